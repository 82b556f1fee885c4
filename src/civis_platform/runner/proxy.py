"""The worker's end of a sandbox's only way out: a Unix socket that leads to the API.

Each sandbox gets its own `ApiForwarder`: a listening Unix socket in the run's folder
(bound into the sandbox, where `sandbox_init` serves it as ``127.0.0.1:<port>``), whose
connections are piped to the API's TCP address and nowhere else. Closing the
forwarder closes the listener and every connection it carried.

Examples:
    >>> import tempfile, pathlib
    >>> forwarder = ApiForwarder(pathlib.Path(tempfile.mkdtemp()) / "api.sock", ("127.0.0.1", 9))
    >>> forwarder.start().path.exists()
    True
    >>> forwarder.close()
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from pathlib import Path

from civis_platform.runner.sandbox_init import pipe

CONNECT_TIMEOUT_SECONDS = 10.0


class ApiForwarder:
    """A Unix socket at ``path`` whose connections reach ``target`` (host, port)."""

    def __init__(self, path: Path, target: tuple[str, int], *, mode: int = 0o666) -> None:
        self.path = path
        self.target = target
        self._mode = mode
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> ApiForwarder:
        """Listen (the socket file is made world-connectable: the sandbox's user differs)."""
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        os.chmod(self.path, self._mode)
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, name="civis-api-forward", daemon=True).start()
        return self

    def close(self) -> None:
        """Stop listening and drop every forwarded connection."""
        with self._lock:
            self._closed = True
            sockets = list(self._open)
            self._open.clear()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._open.add(sock)
            return True

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        with contextlib.suppress(OSError):
            sock.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        if not self._track(client):
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=CONNECT_TIMEOUT_SECONDS)
            upstream.settimeout(None)
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            self._forget(client)
            return
        if not self._track(upstream):
            upstream.close()
            self._forget(client)
            return
        back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
        back.start()
        pipe(client, upstream)
        back.join()
        self._forget(client)
        self._forget(upstream)
