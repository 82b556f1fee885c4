"""A small but real Civis-like server for client data-plane tests.

It serves the reference spec at ``/endpoints`` and implements, over real HTTP on
loopback, the parts of the API the client's futures, utils and file functions use:

- files: ``POST /files`` (presigned form upload to ``/upload/{id}``, checked strictly:
  no Authorization header, ``key`` first, ``file`` last, every part with a filename),
  ``POST /files/multipart`` (raw part PUTs to ``/parts/{id}/{n}``), ``/complete``
  (rejects missing parts), ``GET /files/{id}`` and ``GET /download/{id}`` with Range;
- jobs and runs: ``POST /jobs/{id}/runs``, ``GET/DELETE /jobs/{id}/runs/{run}``,
  run lists, logs (``last_id``/``limit``, ``civis-max-id``, ``civis-cache-control``),
  outputs, container and custom script runs, ``POST /scripts/{id}/cancel``.

Tests steer runs directly (`set_state`, `add_log`) instead of sleeping.  Uploaded bytes
live in files on disk, so the server itself does not hold large uploads in memory.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import support

_CHUNK = 1 << 16  # small, so tracemalloc in tests sees the client, not us


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class Run:
    id: int
    job_id: int
    state: str = "queued"
    error: str | None = None
    created_at: str = field(default_factory=_now)
    finished_at: str | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "jobId": self.job_id,
            "state": self.state,
            "isCancelRequested": self.state == "cancelled",
            "error": self.error,
            "createdAt": self.created_at,
            "finishedAt": self.finished_at,
        }


@dataclass
class StoredFile:
    id: int
    name: str
    path: Path | None = None
    num_parts: int = 0
    parts: dict[int, Path] = field(default_factory=dict)
    expired: bool = False
    form_fields: list[tuple[str, str | None]] = field(default_factory=list)
    expires_at: Any = "absent"
    description: Any = None


class FilesServer:
    """Threaded HTTP server on 127.0.0.1 (OS-chosen port); use as a context manager."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="civis-files-server-")
        self.root = Path(self._dir.name)
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.log_ids = itertools.count(1)
        self.files: dict[int, StoredFile] = {}
        self.runs: dict[int, Run] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.part_failures: dict[int, int] = {}  # part index -> failures left (-1 forever)
        self.drop_download_after: int | None = None  # bytes, once
        self.ignore_range = False  # answer 200 with the whole file, as some stores do
        self.on_new_run: Callable[[Run], None] | None = None
        self.spec_bytes = support.reference_spec_path().read_bytes()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- test controls ---------------------------------------------------------------------
    def new_run(self, job_id: int, state: str = "queued") -> Run:
        with self.lock:
            run = Run(next(self.ids), job_id, state)
            self.runs[run.id] = run
        if self.on_new_run:
            self.on_new_run(run)
        return run

    def set_state(self, run_id: int, state: str, error: str | None = None) -> None:
        with self.lock:
            run = self.runs[run_id]
            run.state, run.error = state, error
            if state not in ("queued", "running"):
                run.finished_at = _now()

    def add_log(
        self, run_id: int, message: str, level: str = "info", log_id: int | None = None
    ) -> int:
        with self.lock:
            log_id = log_id or next(self.log_ids)
            self.runs[run_id].logs.append(
                {"id": log_id, "createdAt": _now(), "message": message, "level": level}
            )
            return log_id

    def file_bytes(self, file_id: int) -> bytes:
        path = self.files[file_id].path
        assert path is not None, "upload not completed"
        return path.read_bytes()

    def requests_to(self, method: str, pattern: str) -> list[dict[str, str]]:
        with self.lock:
            return [h for m, p, h in self.requests if m == method and re.fullmatch(pattern, p)]

    # -- HTTP ------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = -1
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                headers = dict(self.headers.items())
                with outer.lock:
                    outer.requests.append((self.command, parts.path, headers))
                query = dict(parse_qsl(parts.query))
                try:
                    outer._route(self, self.command, parts.path.rstrip("/"), query, headers)
                except _Reply as reply:
                    self.reply(reply.status, reply.body, reply.headers)

            def body_bytes(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def reply(
                self,
                status: int,
                body: Any = None,
                headers: dict[str, str] | None = None,
                raw: bytes | None = None,
            ) -> None:
                payload = (
                    raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
                )
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if raw is None and payload:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler

    def _route(
        self, h: Any, verb: str, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        if verb == "GET" and path == "/endpoints":
            return h.reply(200, raw=self.spec_bytes)
        for (method, pattern), name in _ROUTES.items():
            m = re.fullmatch(pattern, path)
            if m and method == verb:
                return getattr(self, name)(
                    h, *[int(g) for g in m.groups()], query=query, headers=headers
                )
        raise _Reply(404, _error(404, f"No route {verb} {path}"))

    # files
    def post_file(self, h: Any, query: dict[str, str], headers: dict[str, str]) -> None:
        body = json.loads(h.body_bytes() or b"{}")
        with self.lock:
            f = StoredFile(
                next(self.ids),
                body["name"],
                expires_at=body.get("expires_at", body.get("expiresAt", "absent")),
                description=body.get("description"),
            )
            self.files[f.id] = f
        h.reply(
            200,
            {
                "id": f.id,
                "name": f.name,
                "uploadUrl": f"{self.url}upload/{f.id}",
                "uploadFields": {
                    "key": f"files/{f.id}/{f.name}",
                    "policy": "cG9saWN5",
                    "x-amz-signature": "sig",
                },
            },
        )

    def upload_form(
        self, h: Any, file_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        if "Authorization" in headers:
            raise _Reply(400, _error(400, "presigned uploads must not carry Authorization"))
        match = re.search(r"boundary=(\S+)", headers.get("Content-Type", ""))
        if not match:
            raise _Reply(400, _error(400, "not multipart/form-data"))
        boundary = match.group(1).strip('"').encode()
        data = h.body_bytes()
        chunks = data.split(b"--" + boundary)
        fields: list[tuple[str, str | None]] = []
        content = b""
        for chunk in chunks[1:-1]:
            head, _, value = chunk[2:].partition(b"\r\n\r\n")
            disp = head.decode()
            name = re.search(r' name="([^"]*)"', disp)
            filename = re.search(r' filename="([^"]*)"', disp)
            fields.append((name.group(1) if name else "", filename.group(1) if filename else None))
            if name and name.group(1) == "file":
                content = value[:-2]  # the CRLF before the next boundary
        f = self.files[file_id]
        f.form_fields = fields
        names = [n for n, _ in fields]
        if not names or names[0] != "key" or names[-1] != "file":
            raise _Reply(400, _error(400, f"bad form field order {names}"))
        if any(fn is None for _, fn in fields):
            raise _Reply(400, _error(400, "every form part needs a filename"))
        path = self.root / f"file-{file_id}"
        path.write_bytes(content)
        f.path = path
        h.reply(204)

    def post_multipart(self, h: Any, query: dict[str, str], headers: dict[str, str]) -> None:
        body = json.loads(h.body_bytes() or b"{}")
        num_parts = int(body.get("num_parts", body.get("numParts")))
        with self.lock:
            f = StoredFile(next(self.ids), body["name"], num_parts=num_parts)
            self.files[f.id] = f
        h.reply(
            200,
            {
                "id": f.id,
                "name": f.name,
                "uploadUrls": [f"{self.url}parts/{f.id}/{i}" for i in range(num_parts)],
            },
        )

    def put_part(
        self, h: Any, file_id: int, index: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        length = int(headers.get("Content-Length") or 0)
        path = self.root / f"part-{file_id}-{index}"
        with open(path, "wb") as out:  # stream to disk: the server holds no whole part
            left = length
            while left:
                chunk = h.rfile.read(min(_CHUNK, left))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
        with self.lock:
            failures = self.part_failures.get(index, 0)
            if failures:
                self.part_failures[index] = failures - 1 if failures > 0 else -1
        if failures or "Authorization" in headers:
            raise _Reply(500, raw_text="InternalError")
        self.files[file_id].parts[index] = path
        h.reply(200, headers={"ETag": f'"{index}"'})

    def complete_multipart(
        self, h: Any, file_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        h.body_bytes()
        f = self.files[file_id]
        missing = sorted(set(range(f.num_parts)) - set(f.parts))
        if missing:
            raise _Reply(400, _error(400, f"parts missing: {missing}"))
        path = self.root / f"file-{file_id}"
        with open(path, "wb") as out:
            for i in range(f.num_parts):
                with open(f.parts[i], "rb") as part:
                    while chunk := part.read(_CHUNK):
                        out.write(chunk)
        f.path = path
        h.reply(204)

    def get_file(
        self, h: Any, file_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        f = self.files.get(file_id)
        if f is None:
            raise _Reply(404, _error(404, "The requested resource could not be found."))
        url = None if f.expired or f.path is None else f"{self.url}download/{file_id}"
        size = f.path.stat().st_size if f.path else None
        h.reply(
            200,
            {
                "id": f.id,
                "name": f.name,
                "fileSize": size,
                "fileUrl": url,
                "expiresAt": None if f.expires_at == "absent" else f.expires_at,
                "description": f.description,
            },
        )

    def download(
        self, h: Any, file_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        if "Authorization" in headers:
            raise _Reply(400, _error(400, "presigned downloads must not carry Authorization"))
        f = self.files[file_id]
        assert f.path is not None
        size = f.path.stat().st_size
        start, status = 0, 200
        rng = None if self.ignore_range else re.fullmatch(r"bytes=(\d+)-", headers.get("Range", ""))
        extra = {"Accept-Ranges": "bytes"}
        if rng:
            start, status = int(rng.group(1)), 206
            extra["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        length = size - start
        with self.lock:
            drop, self.drop_download_after = self.drop_download_after, None
        h.send_response(status)
        for k, v in extra.items():
            h.send_header(k, v)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(length))
        h.end_headers()
        sent = 0
        with open(f.path, "rb") as src:
            src.seek(start)
            while chunk := src.read(_CHUNK):
                if drop is not None and sent + len(chunk) > drop:
                    h.wfile.write(chunk[: drop - sent])
                    h.wfile.flush()
                    h.close_connection = True
                    h.connection.shutdown(2)  # the client sees a truncated body
                    return
                h.wfile.write(chunk)
                sent += len(chunk)

    # runs
    def _run(self, job_id: int, run_id: int) -> Run:
        run = self.runs.get(run_id)
        if run is None or run.job_id != job_id:
            raise _Reply(404, _error(404, "The requested resource could not be found."))
        return run

    def post_job_run(
        self, h: Any, job_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        h.body_bytes()
        h.reply(201, self.new_run(job_id).body())

    def get_run(
        self, h: Any, job_id: int, run_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        with self.lock:
            body = self._run(job_id, run_id).body()
        h.reply(200, body)

    def delete_run(
        self, h: Any, job_id: int, run_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        h.body_bytes()
        run = self._run(job_id, run_id)
        if run.state in ("queued", "running"):
            self.set_state(run_id, "cancelled")
        h.reply(204)

    def list_runs(
        self, h: Any, job_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        with self.lock:
            runs = sorted(
                (r for r in self.runs.values() if r.job_id == job_id),
                key=lambda r: r.id,
                reverse=query.get("order_dir") == "desc",
            )
            limit = int(query.get("limit", 20))
            h.reply(200, [r.body() for r in runs[:limit]])

    def run_logs(
        self, h: Any, job_id: int, run_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        with self.lock:
            run = self._run(job_id, run_id)
            last_id = int(query.get("last_id", 0))
            limit = int(query.get("limit", 10000))
            # With last_id: ascending ids after it; without: the newest first.
            newest_first = "last_id" not in query
            logs = sorted(
                (log for log in run.logs if log["id"] > last_id),
                key=lambda log: log["id"],
                reverse=newest_first,
            )[:limit]
            extra = {
                "civis-cache-control": "no-store"
                if run.state in ("queued", "running")
                else "max-age=1209600"
            }
            if run.logs:
                extra["civis-max-id"] = str(max(log["id"] for log in run.logs))
        h.reply(200, logs, extra)

    def run_outputs(
        self, h: Any, job_id: int, run_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        with self.lock:
            body = list(self._run(job_id, run_id).outputs)
        h.reply(200, body)

    def post_custom(self, h: Any, query: dict[str, str], headers: dict[str, str]) -> None:
        body = json.loads(h.body_bytes() or b"{}")
        with self.lock:
            script_id = next(self.ids)
        h.reply(
            200,
            {
                "id": script_id,
                "fromTemplateId": body.get("from_template_id"),
                "arguments": body.get("arguments"),
            },
        )

    def cancel_script(
        self, h: Any, job_id: int, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        h.body_bytes()
        with self.lock:
            active = [
                r
                for r in self.runs.values()
                if r.job_id == job_id and r.state in ("queued", "running")
            ]
        if not active:
            raise _Reply(404, _error(404, "The requested resource could not be found."))
        self.set_state(active[-1].id, "cancelled")
        h.reply(202, {"id": job_id, "state": "cancelled", "isCancelRequested": True})

    def __enter__(self) -> FilesServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._dir.cleanup()


class _Reply(Exception):
    def __init__(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw_text: str | None = None,
    ) -> None:
        self.status = status
        self.body = body if raw_text is None else {"error": raw_text}
        self.headers = headers or {}


def _error(code: int, description: str) -> dict[str, Any]:
    return {
        "error": {400: "bad_request", 404: "not_found"}.get(code, "error"),
        "errorDescription": description,
        "code": code,
    }


_ROUTES: dict[tuple[str, str], str] = {
    ("POST", r"/files"): "post_file",
    ("POST", r"/upload/(\d+)"): "upload_form",
    ("POST", r"/files/multipart"): "post_multipart",
    ("PUT", r"/parts/(\d+)/(\d+)"): "put_part",
    ("POST", r"/files/multipart/(\d+)/complete"): "complete_multipart",
    ("GET", r"/files/(\d+)"): "get_file",
    ("GET", r"/download/(\d+)"): "download",
    ("POST", r"/jobs/(\d+)/runs"): "post_job_run",
    ("GET", r"/jobs/(\d+)/runs"): "list_runs",
    ("GET", r"/jobs/(\d+)/runs/(\d+)"): "get_run",
    ("DELETE", r"/jobs/(\d+)/runs/(\d+)"): "delete_run",
    ("GET", r"/jobs/(\d+)/runs/(\d+)/logs"): "run_logs",
    ("GET", r"/jobs/(\d+)/runs/(\d+)/outputs"): "run_outputs",
    ("GET", r"/scripts/containers/(\d+)/runs/(\d+)"): "get_run",
    ("POST", r"/scripts/custom"): "post_custom",
    ("POST", r"/scripts/custom/(\d+)/runs"): "post_job_run",
    ("GET", r"/scripts/custom/(\d+)/runs/(\d+)"): "get_run",
    ("GET", r"/scripts/custom/(\d+)/runs/(\d+)/outputs"): "run_outputs",
    ("POST", r"/scripts/(\d+)/cancel"): "cancel_script",
}


def make_client(server: FilesServer, monkeypatch: Any) -> Any:
    """Our APIClient pointed at ``server`` (reference spec, so no /endpoints download)."""
    import civis

    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    return civis.APIClient(api_key="test-key", local_api_spec=str(support.reference_spec_path()))


def env_for_official(server: FilesServer) -> dict[str, str]:
    """Environment for the official client in a subprocess against ``server``."""
    return {**os.environ, "CIVIS_API_ENDPOINT": server.url, "CIVIS_API_KEY": "test-key"}
