"""Tour, part 2: files, and code that runs on the platform.

Store a JSON document and a table in platform files and read them back, then package
a small program as a container script: the platform runs it (in a sandbox, on the
runtime image its image name selects), the program stores its result as a file and
attaches it to its run as an output, and we read that output back. Runs against any
Civis API endpoint through CIVIS_API_ENDPOINT and CIVIS_API_KEY.
"""

import io
import json
import random
import textwrap

import pandas as pd

import civis

client = civis.APIClient()

# A deterministic snapshot of a bike-share network: stations, bikes and free docks.
rng = random.Random(2017)
stations = [
    {
        "id": i,
        "stationName": f"Station {i}",
        "totalDocks": (docks := rng.randint(11, 39)),
        "availableBikes": (bikes := rng.randint(0, docks)),
        "availableDocks": docks - bikes,
    }
    for i in range(1, 585)
]
bikes = {"stationBeanList": stations}

# Upload any binary buffer; the platform answers with a file id.
buf = io.BytesIO(json.dumps(bikes).encode())
bike_file_id = civis.io.file_to_civis(buf, "Bike status")
print(f"Stored data on {len(stations)} stations as file {bike_file_id}.")

# Download it into a new buffer, or let the client parse JSON for us.
down = io.BytesIO()
civis.io.civis_to_file(bike_file_id, down)
assert json.loads(down.getvalue()) == bikes
again = civis.io.file_to_json(bike_file_id)
print(f"Read back {len(again['stationBeanList'])} stations; the round trip is exact.")

# Tables travel as CSV files: write a DataFrame, read it back as a DataFrame.
df = pd.DataFrame(stations)
# (Like pandas.to_csv, dataframe_to_file writes the index unless told not to.)
table_file_id = civis.io.dataframe_to_file(df, name="stations.csv", index=False)
df_back = civis.io.file_to_dataframe(table_file_id)
print(
    f"DataFrame round trip through file {table_file_id}: shape {df_back.shape}, "
    f"equal: {df_back.equals(df)}."
)

# A program to run on the platform: it reads the station file, finds the emptiest
# stations, stores them as a file, and attaches that file to its own run as an output.
program = textwrap.dedent("""
    import io, json, os
    import civis

    client = civis.APIClient()
    stations = civis.io.file_to_json(int(os.environ["BIKE_FILE_ID"]))["stationBeanList"]
    emptiest = sorted(stations, key=lambda s: s["availableBikes"])[:5]
    print(f"Checked {len(stations)} stations.")
    out_id = civis.io.file_to_civis(io.BytesIO(json.dumps(emptiest).encode()), "emptiest.json")
    client.scripts.post_containers_runs_outputs(
        int(os.environ["CIVIS_JOB_ID"]), int(os.environ["CIVIS_RUN_ID"]), "File", out_id)
    print(f"Stored the five emptiest stations as file {out_id}.")
""")
code_file_id = civis.io.file_to_civis(io.BytesIO(program.encode()), "emptiest_stations.py")

# The command downloads the program and runs it; arguments arrive as environment variables.
command = (
    "python -c \"import civis, os; civis.io.civis_to_file(int(os.environ['CODE_FILE_ID']), "
    "'program.py')\" && python program.py"
)
job = client.scripts.post_containers(
    required_resources={"cpu": 256, "memory": 512, "diskSpace": 2},
    name="Emptiest bike stations",
    docker_image_name="civisanalytics/datascience-python",
    docker_command=command,
    docker_image_tag="6.0.0",
    arguments={"CODE_FILE_ID": code_file_id, "BIKE_FILE_ID": bike_file_id},
)
future = civis.utils.run_job(job.id, client=client)
run = future.result()  # a CivisFuture: blocks until the run is done
print(f"Container script {job.id}, run {run.id}: {run.state}.")

for log in civis.utils.job_logs(job.id, run.id, client=client):
    print(f"  log: {log['message']}")

outputs = client.scripts.list_containers_runs_outputs(job.id, run.id)
emptiest = civis.io.file_to_json(outputs[0].object_id)
print(f"Run output {outputs[0].name!r} (file {outputs[0].object_id}):")
for station in emptiest:
    print(
        f"  {station['stationName']}: {station['availableBikes']} bikes, "
        f"{station['availableDocks']} free docks"
    )
