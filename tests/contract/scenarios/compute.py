"""Compute scenario: templates, custom scripts, Python scripts and run outputs, through
`import civis` (the official client or ours, unchanged).

- ``client.templates``: the library's "Import from URL" found by name, as in the tour.
- A custom script from "Import from URL" loading a platform file (its ``file_url``)
  into a table, run with ``civis.utils.run_job``; the table is the run's output.
- ``run_template`` returning a JSONValue that the template's backing script made from
  its ``params`` default and the custom script's arguments.
- A Python script (``scripts.post_python3``) whose error text reaches
  ``CivisJobFailure``, and one that succeeds and logs.

Environment: CIVIS_API_ENDPOINT, CIVIS_API_KEY, COMPUTE_TABLE (schema.table).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _checks import check, expect_raises, finish

import civis

client = civis.APIClient()
TABLE = os.environ["COMPUTE_TABLE"]
FAST = 0.1
# Inside the job: our civis client (bound into every sandbox) posts a JSONValue output.
DOUBLER = (
    'python -c "import civis, os, json; c = civis.APIClient(); '
    "v = c.json_values.post(json.dumps({'n': 2 * int(os.environ['N']), "
    "'word': os.environ['WORD']}), name='doubled'); "
    "c.scripts.post_containers_runs_outputs(int(os.environ['CIVIS_JOB_ID']), "
    "int(os.environ['CIVIS_RUN_ID']), 'JSONValue', v.id)\""
)
STATE: dict[str, int] = {}


@check("templates: Import from URL is listed and shown")
def _templates() -> None:
    found = civis.find_one(client.templates.list_scripts(limit=1000), name="Import from URL")
    assert found is not None
    shown = client.templates.get_scripts(found.id)
    names = [p["name"] for p in shown.params]
    assert names == ["URL", "TABLE_NAME", "IF_EXISTS", "DATABASE_NAME"], names
    STATE["import_template"] = found.id


@check("aliases: template_script lookups page as CivisML's discovery does")
def _aliases() -> None:
    found: dict[str, int] = {}
    page = 1
    while True:
        aliases = client.aliases.list(object_type="template_script", page_num=page)
        if not aliases:
            break
        found.update({a.alias: a.object_id for a in aliases})
        page += 1
    assert found.get("civis-import-from-url") == STATE["import_template"], found
    one = client.aliases.get_object_type("template_script", "civis-import-from-url")
    assert one.object_id == STATE["import_template"]


@check("custom script from Import from URL loads a platform file into a table")
def _import_from_url() -> None:
    data = b"id,name\n1,ann\n2,bob\n3,cy\n4,dee\n"
    file_id = civis.io.file_to_civis(io.BytesIO(data), "people.csv", client=client)
    url = client.files.get(file_id)["file_url"]
    custom = client.scripts.post_custom(
        STATE["import_template"],
        name="Import people",
        arguments={
            "URL": url,
            "TABLE_NAME": TABLE,
            "IF_EXISTS": "drop",
            "DATABASE_NAME": "Civis Database",
        },
    )
    future = civis.utils.run_job(custom.id, client=client, polling_interval=FAST)
    assert future.result().state == "succeeded"
    outputs = client.scripts.list_custom_runs_outputs(custom.id, future.run_id)
    [output] = [o for o in outputs if o.object_type == "Table"]
    table = client.tables.get(output.object_id)
    assert (f"{table.schema}.{table.name}", table.row_count) == (TABLE, 4)


@check("run_template returns the JSONValue its backing script made from params")
def _run_template() -> None:
    script = client.scripts.post_containers(
        required_resources={"cpu": 256, "memory": 512},
        name="doubler",
        docker_command=DOUBLER,
        docker_image_name="civisanalytics/datascience-python",
        params=[
            {"name": "N", "type": "integer", "required": True},
            {"name": "WORD", "type": "string", "default": "hi"},
        ],
    )
    template = client.templates.post_scripts(script.id, "Doubler")
    assert template.script_id == script.id
    value = civis.utils.run_template(template.id, {"N": 21}, return_as="JSONValue", client=client)
    assert value == {"n": 42, "word": "hi"}, value
    STATE["doubler"] = template.id


@check("CustomScriptExecutor: a custom script's run polled at the container paths")
def _custom_executor() -> None:
    if not hasattr(civis.futures, "CustomScriptExecutor"):
        return  # our client grows it on another branch
    executor = civis.futures.CustomScriptExecutor(
        STATE["doubler"], arguments={"WORD": "yo"}, client=client, polling_interval=FAST
    )
    future = executor.submit(N=5)
    assert future.result().state == "succeeded"
    outputs = client.scripts.list_containers_runs_outputs(future.job_id, future.run_id)
    assert [o.value for o in outputs if o.object_type == "JSONValue"] == [{"n": 10, "word": "yo"}]
    shown = client.scripts.get_containers(future.job_id)
    assert shown.from_template_id == STATE["doubler"]
    arguments = shown.json()["arguments"]
    assert arguments["N"] == 5 and "CIVIS_PARENT_JOB_ID" in arguments, arguments


@check("ContainerFuture.cancel() cancels a running container script")
def _cancel() -> None:
    script = client.scripts.post_containers(
        required_resources={"cpu": 256, "memory": 512},
        name="sleeper",
        docker_command="echo started; sleep 120",
        docker_image_name="civisanalytics/datascience-python",
    )
    run = client.jobs.post_runs(script.id)
    future = civis.futures.ContainerFuture(script.id, run.id, client=client, polling_interval=FAST)
    assert future.cancel() is True
    assert future.cancelled()
    assert client.scripts.get_containers_runs(script.id, run.id).state == "cancelled"


@check("python3 script: logs, and a failure's error text in CivisJobFailure")
def _python3() -> None:
    good = client.scripts.post_python3("hello", "print('hello from python')")
    future = civis.utils.run_job(good.id, client=client, polling_interval=FAST)
    assert future.result().state == "succeeded"
    logs = client.scripts.list_python3_runs_logs(good.id, future.run_id)
    assert [log["message"] for log in logs] == ["hello from python"]
    bad = client.scripts.post_python3("boom", "raise RuntimeError('the data is wrong')")
    future = civis.utils.run_job(bad.id, client=client, polling_interval=FAST)
    failure = expect_raises(civis.base.CivisJobFailure, future.result)
    assert "RuntimeError: the data is wrong" in str(failure), str(failure)


finish()
