"""A loopback Civis-like server for the `civis.ml` client tests, on which CivisML runs are
the real CivisML programs (``python -m civis_platform.programs.civisml``) in a subprocess.

It extends `FilesServer` (files, runs, logs, outputs) with what `civis.ml` calls: template
aliases, ``POST /scripts/custom`` (kept, with its arguments), ``GET /scripts/containers/
{id}``, run outputs that programs post, ``GET /scripts/custom`` lists, shares, the user and
the databases.  Each custom-script run of a CivisML template starts the program with the
script's arguments in its environment (as the run engine passes them) and this server as
its API, and ends ``succeeded`` or ``failed`` with the program's last stderr line as the
error.  Programs read their data from Civis files here (no warehouse).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from files_server import FilesServer, Run, _error, _Reply

TEMPLATES = {"training": 11219, "prediction": 11220, "registration": 11221}
PROGRAM_OF = {11219: "train", 11220: "predict", 11221: "register"}
ME = {"id": 41, "username": "analyst", "name": "An Analyst"}
DATABASES = [{"id": 3, "name": "Warehouse"}]
_SRC = Path(__file__).resolve().parents[3] / "src"


def argument_env(arguments: dict[str, Any]) -> dict[str, str]:
    """Strings as they are, anything else as JSON, None left out (the run engine's way)."""
    return {
        k: v if isinstance(v, str) else json.dumps(v) for k, v in arguments.items() if v is not None
    }


class CivisMLServer(FilesServer):
    """`FilesServer` plus the CivisML surface; use as a context manager."""

    def __init__(
        self, aliases: list[dict[str, Any]] | None = None, run_programs: bool = True
    ) -> None:
        super().__init__()
        self.aliases = (
            aliases
            if aliases is not None
            else [
                {
                    "id": i + 1,
                    "objectId": tid,
                    "objectType": "template_script",
                    "alias": f"civis-civisml-{kind}",
                }
                for i, (kind, tid) in enumerate(TEMPLATES.items())
            ]
        )
        self.scripts: dict[int, dict[str, Any]] = {}
        self.shares: list[tuple[str, str, int, Any]] = []
        self.program_logs: dict[int, str] = {}
        self.on_new_run = self._start_program if run_programs else None

    # -- programs --------------------------------------------------------------------------
    def _start_program(self, run: Run) -> None:
        script = self.scripts.get(run.job_id)
        if script is None or script["fromTemplateId"] not in PROGRAM_OF:
            return
        threading.Thread(target=self._run_program, args=(script, run), daemon=True).start()

    def _run_program(self, script: dict[str, Any], run: Run) -> None:
        env = {
            **os.environ,
            **argument_env(script["arguments"]),
            "CIVIS_API_ENDPOINT": self.url,
            "CIVIS_API_KEY": "test-key",
            "CIVIS_JOB_ID": str(run.job_id),
            "CIVIS_RUN_ID": str(run.id),
            "PYTHONPATH": str(_SRC),
        }
        self.set_state(run.id, "running")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "civis_platform.programs.civisml",
                PROGRAM_OF[script["fromTemplateId"]],
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        self.program_logs[run.id] = proc.stderr
        if proc.returncode == 0:
            self.set_state(run.id, "succeeded")
        else:
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            self.set_state(
                run.id, "failed", error=lines[-1] if lines else f"exit status {proc.returncode}"
            )

    # -- routes ----------------------------------------------------------------------------
    def _route(
        self, h: Any, verb: str, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        import re

        for (method, pattern), name in _ML_ROUTES.items():
            m = re.fullmatch(pattern, path)
            if m and method == verb:
                return getattr(self, name)(h, *[int(g) for g in m.groups()], query=query)
        return super()._route(h, verb, path, query, headers)

    def list_aliases(self, h: Any, query: dict[str, str]) -> None:
        page = int(query.get("page_num", 1))
        limit = int(query.get("limit", 50))
        rows = [a for a in self.aliases if query.get("object_type") in (None, a["objectType"])]
        h.reply(200, rows[(page - 1) * limit : page * limit])

    def post_custom(self, h: Any, query: dict[str, str], headers: Any = None) -> None:
        body = json.loads(h.body_bytes() or b"{}")
        with self.lock:
            script_id = next(self.ids)
            script = {
                "id": script_id,
                "name": body.get("name") or "CivisML",
                "fromTemplateId": body.get("from_template_id"),
                "arguments": body.get("arguments") or {},
                "notifications": body.get("notifications") or {},
                "author": {"id": ME["id"]},
                "params": [],
                "lastRun": None,
            }
            self.scripts[script_id] = script
        h.reply(200, script)

    def get_container(self, h: Any, job_id: int, query: dict[str, str]) -> None:
        script = self.scripts.get(job_id)
        if script is None:
            raise _Reply(404, _error(404, "The requested resource could not be found."))
        with self.lock:
            runs = [r for r in self.runs.values() if r.job_id == job_id]
        last = max(runs, key=lambda r: r.id).body() if runs else None
        h.reply(200, {**script, "lastRun": last})

    def post_output(self, h: Any, job_id: int, run_id: int, query: dict[str, str]) -> None:
        body = json.loads(h.body_bytes() or b"{}")
        object_id = int(body.get("object_id", body.get("objectId")))
        kind = body.get("object_type", body.get("objectType"))
        name = self.files[object_id].name if kind == "File" else str(object_id)
        output = {"objectType": kind, "objectId": object_id, "name": name}
        with self.lock:
            self._run(job_id, run_id).outputs.append(output)
        h.reply(200, output)

    def list_custom(self, h: Any, query: dict[str, str]) -> None:
        wanted = {int(t) for t in query.get("from_template_id", "").split(",") if t.strip()}
        rows = [
            s
            for s in self.scripts.values()
            if (not wanted or s["fromTemplateId"] in wanted)
            and ("author" not in query or str(s["author"]["id"]) == query["author"])
        ]
        rows.sort(key=lambda s: s["id"], reverse=query.get("order_dir") == "desc")
        h.reply(200, rows)

    def me(self, h: Any, query: dict[str, str]) -> None:
        h.reply(200, ME)

    def databases(self, h: Any, query: dict[str, str]) -> None:
        h.reply(200, DATABASES)

    def credentials(self, h: Any, query: dict[str, str]) -> None:
        h.reply(200, [{"id": 77, "name": "github", "type": "Custom"}])

    def _share(self, h: Any, verb: str, resource: str, object_id: int, rest: Any) -> None:
        body = json.loads(h.body_bytes() or b"{}")
        with self.lock:
            self.shares.append((verb, resource, object_id, body if verb == "PUT" else rest))
        h.reply(200 if verb == "PUT" else 204, {} if verb == "PUT" else None)

    def put_script_share(self, h: Any, job_id: int, query: dict[str, str]) -> None:
        self._share(h, "PUT", "scripts", job_id, None)

    def put_file_share(self, h: Any, file_id: int, query: dict[str, str]) -> None:
        self._share(h, "PUT", "files", file_id, None)

    def delete_script_share(self, h: Any, job_id: int, user: int, query: dict[str, str]) -> None:
        self._share(h, "DELETE", "scripts", job_id, user)

    def delete_file_share(self, h: Any, file_id: int, user: int, query: dict[str, str]) -> None:
        self._share(h, "DELETE", "files", file_id, user)

    def container_runs(self, h: Any, job_id: int, query: dict[str, str]) -> None:
        page = int(query.get("page_num", 1))
        with self.lock:
            runs = sorted((r for r in self.runs.values() if r.job_id == job_id), key=lambda r: r.id)
        h.reply(200, [r.body() for r in runs] if page == 1 else [])

    def container_outputs(self, h: Any, job_id: int, run_id: int, query: dict[str, str]) -> None:
        page = int(query.get("page_num", 1))
        with self.lock:
            outputs = list(self._run(job_id, run_id).outputs)
        h.reply(200, outputs if page == 1 else [])


_ML_ROUTES: dict[tuple[str, str], str] = {
    ("GET", r"/aliases"): "list_aliases",
    ("POST", r"/scripts/custom"): "post_custom",
    ("GET", r"/scripts/custom"): "list_custom",
    ("GET", r"/scripts/containers/(\d+)"): "get_container",
    ("GET", r"/scripts/containers/(\d+)/runs"): "container_runs",
    ("GET", r"/scripts/containers/(\d+)/runs/(\d+)/outputs"): "container_outputs",
    ("POST", r"/scripts/containers/(\d+)/runs/(\d+)/outputs"): "post_output",
    ("PUT", r"/scripts/containers/(\d+)/shares/(?:users|groups)"): "put_script_share",
    ("DELETE", r"/scripts/containers/(\d+)/shares/(?:users|groups)/(\d+)"): "delete_script_share",
    ("PUT", r"/files/(\d+)/shares/(?:users|groups)"): "put_file_share",
    ("DELETE", r"/files/(\d+)/shares/(?:users|groups)/(\d+)"): "delete_file_share",
    ("GET", r"/users/me"): "me",
    ("GET", r"/databases"): "databases",
    ("GET", r"/credentials"): "credentials",
}
