"""Tour, part 4: templates and custom scripts.

A template is a script someone published for others to run with their own arguments;
running one makes a "custom script". The platform ships a small template library:
here "Import from URL" loads a CSV at a URL (a platform file's URL works) into a table.
Then we publish a template of our own and run it with ``civis.utils.run_template``,
which hands back the JSON value the run produced. Runs against any Civis API endpoint
through CIVIS_API_ENDPOINT and CIVIS_API_KEY.
"""

import io
import textwrap

import civis

client = civis.APIClient()

# Some predictions to store in a table, uploaded as a platform file.
csv = "customer_id,upgrade_probability\n" + "".join(
    f"{n},{(n * 37 % 100) / 100:.2f}\n" for n in range(1, 201)
)
file_id = civis.io.file_to_civis(io.BytesIO(csv.encode()), "predictions.csv")
url = client.files.get(file_id)["file_url"]

# Find the template by name, as in the original tour, and make a custom script of it.
template_id = civis.find_one(client.templates.list_scripts(limit=1000), name="Import from URL").id
job = client.scripts.post_custom(
    template_id,
    name="Import predictions",
    arguments={
        "URL": url,
        "TABLE_NAME": "scratch.upgrade_predictions",
        "IF_EXISTS": "drop",
        "DATABASE_NAME": "Civis Database",
    },
)
run = civis.utils.run_job(job.id, client=client, polling_interval=0.5).result()
print(f"Custom script {job.id} from template {template_id}, run {run.id}: {run.state}.")
[table_output] = client.scripts.list_custom_runs_outputs(job.id, run.id)
table = client.tables.get(table_output.object_id)
print(f"Loaded {table.schema}.{table.name}: {table.row_count} rows, "
      f"columns {[c.name for c in table.columns]}.")

# Publish our own template: a container script whose params have defaults; the run
# stores a JSON value and attaches it to itself as an output.
command = textwrap.dedent("""\
    python -c "
    import civis, json, os
    c = civis.APIClient()
    top = [int(os.environ['THRESHOLD_PERCENT']) / 100, os.environ['LABEL']]
    value = c.json_values.post(json.dumps({'threshold': top[0], 'label': top[1]}), name='rule')
    c.scripts.post_containers_runs_outputs(
        int(os.environ['CIVIS_JOB_ID']), int(os.environ['CIVIS_RUN_ID']), 'JSONValue', value.id)
    "
""")
script = client.scripts.post_containers(
    required_resources={"cpu": 256, "memory": 512},
    name="Upgrade rule",
    docker_command=command,
    docker_image_name="civisanalytics/datascience-python",
    params=[
        {"name": "THRESHOLD_PERCENT", "type": "integer", "required": True},
        {"name": "LABEL", "type": "string", "default": "likely upgrader"},
    ],
)
rule_template = client.templates.post_scripts(script.id, "Upgrade rule")
rule = civis.utils.run_template(
    rule_template.id, {"THRESHOLD_PERCENT": 80}, return_as="JSONValue", client=client
)
print(f"Template {rule_template.id} returned the JSON value {rule}.")
