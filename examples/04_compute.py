"""Tour, part 4: your own code on the platform.

1. A container script (as in the tour's "Build something new"): pickle a Python
   function with cloudpickle, upload it, and run a container script whose command
   downloads it with `civis files download` and calls it. Inside the job the function
   uses the client to upload a file and post it as the run's output; we read it back.
2. A custom script from the template library: "Import from URL" run with arguments,
   loading a platform file into a table.
3. joblib's `Parallel` through `civis.parallel`: each task a job.

Runs against any Civis API endpoint through CIVIS_API_ENDPOINT and CIVIS_API_KEY.
"""

import io
import tempfile

import cloudpickle
import joblib

import civis

client = civis.APIClient()


def make_report() -> None:
    """Runs inside the job: write a small report and attach it to the run."""
    import io as _io
    import os

    import civis as _civis

    inner = _civis.APIClient()
    text = f"Hello from job {os.environ['CIVIS_JOB_ID']} / run {os.environ['CIVIS_RUN_ID']}\n"
    file_id = _civis.io.file_to_civis(_io.BytesIO(text.encode()), "report.txt", client=inner)
    inner.scripts.post_containers_runs_outputs(
        int(os.environ["CIVIS_JOB_ID"]), int(os.environ["CIVIS_RUN_ID"]), "File", file_id
    )


# 1. Pickle the function, upload it, and make a container script that runs it.
with tempfile.TemporaryFile() as fh:
    cloudpickle.dump(make_report, fh)
    fh.seek(0)
    func_file_id = civis.io.file_to_civis(fh, "make_report.pkl")
script = client.scripts.post_containers(
    required_resources={"cpu": 256, "memory": 512},
    docker_command=(
        f"civis files download {func_file_id} func.pkl && "
        "python -c \"import cloudpickle; cloudpickle.load(open('func.pkl', 'rb'))()\""
    ),
    docker_image_name="civisanalytics/datascience-python",
    name="Report maker",
)
future = civis.utils.run_job(script.id)
print(f"Container script {script.id}, run {future.run_id}: {future.result().state}")
for output in future.outputs():
    buf = io.BytesIO()
    civis.io.civis_to_file(output["object_id"], buf)
    print(f"Its output {output['name']!r} says: {buf.getvalue().decode().strip()}")

# 2. A template run with arguments: "Import from URL" loads a CSV into a table.
template = civis.find_one(client.templates.list_scripts(limit=1000), name="Import from URL")
if template is None:
    print("This platform has no 'Import from URL' template; skipping the custom script.")
else:
    csv_id = civis.io.file_to_civis(io.BytesIO(b"id,city\n1,Chicago\n2,Denver\n"), "c.csv")
    custom = client.scripts.post_custom(
        template.id,
        name="Import cities",
        arguments={
            "URL": client.files.get(csv_id)["file_url"],
            "TABLE_NAME": "scratch.cities",
            "IF_EXISTS": "drop",
            "DATABASE_NAME": "Civis Database",
        },
    )
    state = civis.utils.run_job(custom.id).result().state
    print(f"Custom script {custom.id} from template {template.id}: {state}")
    rows = civis.io.read_civis("scratch.cities", "Civis Database")
    print(f"scratch.cities now holds {len(rows) - 1} rows: {rows[1:]}")


# 3. joblib Parallel, every task a Civis job (nothing is pip-installed in them).
def cube(n: int) -> int:
    return n**3


joblib.register_parallel_backend(
    "civis",
    civis.parallel.make_backend_factory(required_resources={"cpu": 256, "memory": 512}),
)
with joblib.parallel_config("civis"):
    cubes = joblib.Parallel(n_jobs=4)(joblib.delayed(cube)(n) for n in range(4))
print(f"Cubes computed by 4 jobs: {cubes}")
