"""Output lines of a process, turned into run logs as they come, in batches.

A process writes fast (10,000 lines in a second is ordinary); writing each line in a
transaction of its own would make logging the bottleneck. `LogPump` reads stdout and
stderr in a thread each and writes what arrived through ``host.log_lines`` at most
every `FLUSH_SECONDS` (or every `BATCH_LINES` lines), so a follower sees lines within
a fraction of a second and in the order they were read. It remembers the last
non-empty stderr line for the run's error.
"""

from __future__ import annotations

import threading
from typing import IO

from civis_platform.runner.host import Host

FLUSH_SECONDS = 0.05
BATCH_LINES = 2000
MAX_LINE_BYTES = 64 * 1024
TRUNCATED = " [line truncated]"


class LogPump:
    """Pump a process's output streams into ``host``'s logs (see the module docstring)."""

    def __init__(self, host: Host) -> None:
        self._host = host
        self._pending: list[tuple[str, str]] = []
        self._lock = threading.Condition()
        self._readers: list[threading.Thread] = []
        self._done = False
        self.last_error_line = ""
        self._flusher = threading.Thread(target=self._flush_loop, name="civis-logs", daemon=True)
        self._flusher.start()

    def follow(self, stream: IO[bytes], *, is_stderr: bool) -> None:
        """Read ``stream`` line by line until it ends (in a thread of its own)."""
        reader = threading.Thread(target=self._read, args=(stream, is_stderr), daemon=True)
        reader.start()
        self._readers.append(reader)

    def close(self, timeout: float | None = None) -> None:
        """Wait for the streams to end (``timeout`` each), then write what is left."""
        for reader in self._readers:
            reader.join(timeout)
        with self._lock:
            self._done = True
            self._lock.notify()
        self._flusher.join()

    def _read(self, stream: IO[bytes], is_stderr: bool) -> None:
        with stream:
            for raw in iter(lambda: stream.readline(MAX_LINE_BYTES + 1), b""):
                complete = raw.endswith(b"\n")
                text = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
                if not complete and len(raw) > MAX_LINE_BYTES:
                    text += TRUNCATED
                    # Skip the rest of an overlong line.
                    while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                        pass
                if is_stderr and text.strip():
                    self.last_error_line = text.strip()
                with self._lock:
                    self._pending.append((text, "info"))
                    if len(self._pending) >= BATCH_LINES:
                        self._lock.notify()

    def _flush_loop(self) -> None:
        while True:
            with self._lock:
                if not self._done and len(self._pending) < BATCH_LINES:
                    self._lock.wait(FLUSH_SECONDS)
                batch, self._pending = self._pending, []
                done = self._done
            if batch:
                try:
                    self._host.log_lines(batch)
                except Exception:  # the store or API is away: keep reading, try later
                    with self._lock:
                        self._pending[:0] = batch
                    if done:
                        return
            elif done:
                return
