"""A tiny real HTTP server for client tests: it serves a spec at ``/endpoints`` and answers
other requests from a script of canned responses, recording every request it saw."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TINY_SPEC: dict[str, Any] = {
    "swagger": "2.0",
    "paths": {
        "/files/{id}": {
            "get": {
                "summary": "Get a file",
                "parameters": [{"name": "id", "in": "path", "required": True, "type": "integer"}],
                "responses": {"200": {"description": "ok", "schema": {"type": "object"}}},
            },
            "patch": {
                "summary": "Update a file",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "type": "integer"},
                    {
                        "name": "Body",
                        "in": "body",
                        "required": True,
                        "schema": {"type": "object", "properties": {"name": {"type": "string"}}},
                    },
                ],
                "responses": {"200": {"description": "ok"}},
            },
            "delete": {
                "summary": "Delete a file",
                "parameters": [{"name": "id", "in": "path", "required": True, "type": "integer"}],
                "responses": {"204": {"description": "gone"}},
            },
        },
        "/files/": {
            "post": {
                "summary": "Initiate an upload",
                "parameters": [
                    {
                        "name": "Body",
                        "in": "body",
                        "required": True,
                        "schema": {"$ref": "#/definitions/FilePost"},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            },
        },
        "/credentials/": {
            "get": {
                "summary": "List credentials",
                "parameters": [
                    {"name": "type", "in": "query", "required": False, "type": "string"},
                    {"name": "default", "in": "query", "required": False, "type": "boolean"},
                    {"name": "remoteHostId", "in": "query", "required": False, "type": "integer"},
                    {"name": "ids", "in": "query", "required": False, "type": "array"},
                    {"name": "limit", "in": "query", "required": False, "type": "integer"},
                    {"name": "page_num", "in": "query", "required": False, "type": "integer"},
                ],
                "responses": {
                    "200": {"description": "ok", "schema": {"type": "array", "items": {}}}
                },
            },
        },
        "/users/me": {
            "get": {
                "summary": "Who am I",
                "parameters": [],
                "responses": {"200": {"description": "ok"}},
            },
        },
        "/databases/": {
            "get": {
                "summary": "List databases",
                "parameters": [],
                "responses": {"200": {"description": "ok", "schema": {"type": "array"}}},
            },
        },
        "/tables/": {
            "get": {
                "summary": "List tables",
                "parameters": [
                    {"name": "database_id", "in": "query", "required": False, "type": "integer"},
                    {"name": "schema", "in": "query", "required": False, "type": "string"},
                    {"name": "name", "in": "query", "required": False, "type": "string"},
                ],
                "responses": {"200": {"description": "ok", "schema": {"type": "array"}}},
            },
        },
    },
    "definitions": {
        "FilePost": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "expiresAt": {"type": "string"},
                "objectType": {"type": "string"},
            },
        },
    },
}


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    client_port: int

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    delay: float = 0.0  # seconds to hold the request (to observe concurrency)


class ScriptedServer:
    """A threaded HTTP server on 127.0.0.1, port chosen by the OS.

    ``script(method, path, *replies)`` queues replies for a route; the last reply of a
    route repeats.  ``/endpoints`` answers ``spec`` unless scripted otherwise.
    """

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.spec = spec if spec is not None else TINY_SPEC
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._routes: dict[tuple[str, str], deque[Reply]] = {}
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Buffer each answer into one write: headers and body in separate small
            # segments meet delayed ACKs and cost ~40 ms per request.
            wbufsize = -1
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(
                    self.command,
                    parts.path,
                    parse_qsl(parts.query),
                    dict(self.headers.items()),
                    body,
                    self.client_address[1],
                )
                reply = outer._reply_for(seen)
                if reply.delay:
                    with outer._lock:
                        outer.in_flight += 1
                        outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                    time.sleep(reply.delay)
                    with outer._lock:
                        outer.in_flight -= 1
                payload = (
                    reply.raw
                    if reply.raw is not None
                    else (b"" if reply.body is None else json.dumps(reply.body).encode())
                )
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if payload:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def script(self, method: str, path: str, *replies: Reply) -> None:
        with self._lock:
            self._routes[(method, path)] = deque(replies)

    def _reply_for(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            queue = self._routes.get((seen.method, seen.path))
            if queue:
                return queue.popleft() if len(queue) > 1 else queue[0]
        if seen.method == "GET" and seen.path == "/endpoints":
            return Reply(body=self.spec)
        return Reply(
            status=404,
            body={"error": "not_found", "errorDescription": "No such route.", "code": 404},
        )

    def requests_to(self, method: str, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.method == method and s.path == path]

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
