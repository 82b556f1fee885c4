"""A scripted SQL/import server for the table functions of ``civis.io``.

It extends `FilesServer` (files, jobs, runs) with the routes of the reference contract
§5.2: databases and default credentials, ``/scripts/sql`` (+runs, gzip CSV exports and the
multifile manifest), ``/queries``, ``/files/preprocess/csv``, ``/imports/files/csv``,
Dbsync ``/imports`` (+syncs, runs) and the table-existence check.  Every API request is
recorded with its JSON body (`calls`), so tests can compare call sequences exactly, also
with the official client's.  Runs finish at once unless a test says otherwise.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from files_server import FilesServer, StoredFile, _error, _Reply

DB_ID = 32
CRED_ID = 711


@dataclass
class SqlResult:
    """What the next SQL export produces: CSV text (with header) and optional types."""

    csv: str = "a,b\n1,x\n"
    table_columns: list[dict[str, str]] | None = None
    error: str | None = None  # the run fails with this text
    no_output: bool = False
    multifile: list[str] = field(default_factory=list)  # CSV parts for force_multifile
    gzipped: bytes | None = None  # the export's stored bytes, made on first use


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any


class SqlServer(FilesServer):
    """`FilesServer` plus the SQL, query and import routes (see module docs)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.sql_result = SqlResult()
        self.existing_tables: set[tuple[str, str]] = set()
        self.table_check_status = 404  # for a missing table
        self.detected: dict[int, dict[str, Any]] = {}
        self.preprocess_detected: dict[str, Any] = {
            "includeHeader": True,
            "columnDelimiter": "comma",
            "compression": "none",
            "tableColumns": [{"name": "a", "sqlType": "INTEGER"}],
        }
        self.preprocess_outputs = True
        self.job_kinds: dict[int, tuple[str, Any]] = {}
        self.query_rows: list[list[str]] = [["1"]]
        self.import_error: str | None = None
        self.on_new_run = self._finish_run

    # -- recording --------------------------------------------------------------------------
    def _route(
        self, h: Any, verb: str, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        if path.startswith(("/upload/", "/parts/", "/download/")) or path == "/endpoints":
            return super()._route(h, verb, path, query, headers)
        raw = h.body_bytes()
        body = json.loads(raw) if raw else None
        with self.lock:
            self.calls.append(Call(verb, path, dict(query), body))
        # The handler serves a whole keep-alive connection: restore its reader afterwards.
        h.body_bytes = lambda: raw
        try:
            self._dispatch(h, verb, path, query, headers, body)
        finally:
            del h.body_bytes

    def _dispatch(
        self,
        h: Any,
        verb: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
    ) -> None:
        table = re.fullmatch(r"/databases/(\d+)/schemas/([^/]+)/tables/([^/]+)", path)
        if table and verb == "GET":
            return self.get_schema_table(
                h, int(table.group(1)), unquote(table.group(2)), unquote(table.group(3))
            )
        for (method, pattern), name in _SQL_ROUTES.items():
            m = re.fullmatch(pattern, path)
            if m and method == verb:
                return getattr(self, name)(h, *[int(g) for g in m.groups()], body=body, query=query)
        return super()._route(h, verb, path, query, headers)

    def sequence(self) -> list[tuple[str, str]]:
        """``(verb, path)`` of the API calls, repeated polls collapsed to one."""
        out: list[tuple[str, str]] = []
        for call in self.calls:
            key = (call.method, re.sub(r"/\d+", "/N", call.path))
            if not (out and out[-1] == key and call.method == "GET"):
                out.append(key)
        return out

    def bodies(self, method: str, pattern: str) -> list[Any]:
        return [c.body for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    # -- helpers ----------------------------------------------------------------------------
    def store(self, name: str, data: bytes, detected: dict[str, Any] | None = None) -> int:
        with self.lock:
            f = StoredFile(next(self.ids), name)
            self.files[f.id] = f
        path = self.root / f"file-{f.id}"
        path.write_bytes(data)
        f.path = path
        if detected is not None:
            self.detected[f.id] = detected
        return f.id

    def new_job(self, kind: str, spec: Any) -> int:
        with self.lock:
            job_id = next(self.ids)
            self.job_kinds[job_id] = (kind, spec)
        return job_id

    def _finish_run(self, run: Any) -> None:
        kind, spec = self.job_kinds.get(run.job_id, ("other", None))
        if kind == "sql":
            self._finish_sql(run, spec)
        elif kind == "preprocess":
            self._finish_preprocess(run, spec)
        elif kind == "import" and self.import_error:
            run.state, run.error = "failed", self.import_error
        else:
            run.state = "succeeded"

    def _finish_sql(self, run: Any, body: dict[str, Any]) -> None:
        result = self.sql_result
        if result.error:
            run.state, run.error = "failed", result.error
            return
        run.state = "succeeded"
        if result.no_output:
            return
        settings = body.get("csv_settings") or {}
        if settings.get("force_multifile"):
            entries = []
            for i, part in enumerate(result.multifile):
                fid = self.store(f"part{i}.csv", part.encode())
                entries.append(
                    {
                        "id": fid,
                        "name": f"part{i}.csv",
                        "size": len(part),
                        "url": f"s3://b/part{i}",
                        "url_signed": self._url(fid),
                    }
                )
            manifest = {
                "query": body["sql"],
                "header": ["a", "b"],
                "entries": entries,
                "unquoted": False,
                "compression": "none",
                "delimiter": "|",
            }
            fid = self.store("manifest.json", json.dumps(manifest).encode())
            run.outputs = [{"outputName": "manifest", "fileId": fid, "path": self._url(fid)}]
            return
        detected = None if result.table_columns is None else {"tableColumns": result.table_columns}
        if result.gzipped is None:  # once per result: tests may trace memory afterwards
            result.gzipped = gzip.compress(result.csv.encode(), compresslevel=1)
        fid = self.store("export.csv.gz", result.gzipped, detected)
        run.outputs = [{"outputName": "export", "fileId": fid, "path": self._url(fid)}]

    def _finish_preprocess(self, run: Any, body: dict[str, Any]) -> None:
        run.state = "succeeded"
        if not self.preprocess_outputs:
            return
        source = self.files.get(int(body["file_id"]))
        data = source.path.read_bytes() if source and source.path else b""
        name = source.name if source else "missing.csv"
        fid = self.store(f"cleaned-{name}", data, dict(self.preprocess_detected))
        run.outputs = [{"objectType": "File", "objectId": fid, "name": name}]

    def _url(self, file_id: int) -> str:
        return f"{self.url}download/{file_id}"

    # -- routes -----------------------------------------------------------------------------
    def list_databases(self, h: Any, body: Any, query: dict[str, str]) -> None:
        h.reply(200, [{"id": 5, "name": "other"}, {"id": DB_ID, "name": "db"}])

    def list_credentials(self, h: Any, body: Any, query: dict[str, str]) -> None:
        h.reply(200, [{"id": CRED_ID, "name": "me", "type": "Database"}])

    def get_file(
        self,
        h: Any,
        file_id: int,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: Any = None,
    ) -> None:
        f = self.files.get(file_id)
        if f is None:
            raise _Reply(404, _error(404, "The requested resource could not be found."))
        url = None if f.expired or f.path is None else self._url(file_id)
        answer: dict[str, Any] = {"id": f.id, "name": f.name, "fileUrl": url}
        if file_id in self.detected:
            answer["detectedInfo"] = self.detected[file_id]
        h.reply(200, answer)

    def post_sql(self, h: Any, body: Any, query: dict[str, str]) -> None:
        job_id = self.new_job("sql", body)
        h.reply(200, {"id": job_id, "name": body.get("name"), "sql": body.get("sql")})

    def post_sql_run(self, h: Any, job_id: int, body: Any, query: dict[str, str]) -> None:
        h.reply(201, self.new_run(job_id).body())

    def get_sql_run(
        self, h: Any, job_id: int, run_id: int, body: Any, query: dict[str, str]
    ) -> None:
        with self.lock:
            run = self._run(job_id, run_id)
            answer = {**run.body(), "sqlId": job_id, "output": list(run.outputs)}
        h.reply(200, answer)

    def post_query(self, h: Any, body: Any, query: dict[str, str]) -> None:
        job_id = self.new_job("query", body)
        h.reply(200, {"id": job_id, "state": "queued"})

    def get_query(self, h: Any, job_id: int, body: Any, query: dict[str, str]) -> None:
        h.reply(
            200,
            {
                "id": job_id,
                "state": "succeeded",
                "resultColumns": ["a"],
                "resultRows": self.query_rows,
            },
        )

    def post_preprocess(self, h: Any, body: Any, query: dict[str, str]) -> None:
        h.reply(200, {"id": self.new_job("preprocess", body)})

    def post_import_csv(self, h: Any, body: Any, query: dict[str, str]) -> None:
        h.reply(200, {"id": self.new_job("import", body)})

    def post_import(self, h: Any, body: Any, query: dict[str, str]) -> None:
        h.reply(200, {"id": self.new_job("dbsync", body), "name": body.get("name")})

    def post_sync(self, h: Any, job_id: int, body: Any, query: dict[str, str]) -> None:
        h.reply(200, {"id": 1, "source": body.get("source")})

    def post_import_run(self, h: Any, job_id: int, body: Any, query: dict[str, str]) -> None:
        run = self.new_run(job_id)
        h.reply(201, {"runId": run.id})

    def get_import_run(
        self, h: Any, job_id: int, run_id: int, body: Any, query: dict[str, str]
    ) -> None:
        with self.lock:
            answer = self._run(job_id, run_id).body()
        h.reply(200, answer)

    def get_schema_table(self, h: Any, db_id: int, schema: str, table: str) -> None:
        if (schema, table) in self.existing_tables:
            return h.reply(200, {"id": 1, "name": table, "schema": schema})
        raise _Reply(
            self.table_check_status,
            _error(self.table_check_status, "The requested resource could not be found."),
        )


_SQL_ROUTES: dict[tuple[str, str], str] = {
    ("GET", r"/databases"): "list_databases",
    ("GET", r"/credentials"): "list_credentials",
    ("GET", r"/files/(\d+)"): "get_file",
    ("POST", r"/scripts/sql"): "post_sql",
    ("POST", r"/scripts/sql/(\d+)/runs"): "post_sql_run",
    ("GET", r"/scripts/sql/(\d+)/runs/(\d+)"): "get_sql_run",
    ("POST", r"/queries"): "post_query",
    ("GET", r"/queries/(\d+)"): "get_query",
    ("POST", r"/files/preprocess/csv"): "post_preprocess",
    ("POST", r"/imports/files/csv"): "post_import_csv",
    ("POST", r"/imports"): "post_import",
    ("POST", r"/imports/(\d+)/syncs"): "post_sync",
    ("POST", r"/imports/(\d+)/runs"): "post_import_run",
    ("GET", r"/imports/files/(\d+)/runs/(\d+)"): "get_import_run",
}
