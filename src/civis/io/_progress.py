"""Optional progress bars for long file transfers (uploads, downloads, query results).

``CIVIS_PROGRESS`` decides: ``1`` shows a bar for every transfer, ``0`` never; unset
(``auto``), a bar appears only on an interactive terminal and only for transfers of at
least `AUTO_MIN_BYTES`.  The bar is tqdm's when tqdm is installed, otherwise one line on
standard error rewritten a few times a second::

    Uploading data.csv  42% 126.0/300.0 MB 85.1 MB/s

Bytes are counted per part (`Progress.track`), so a part that is sent again after a
failure starts its count over instead of counting twice.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

__all__ = ["AUTO_MIN_BYTES", "CountingReader", "Progress"]

PROGRESS_ENV = "CIVIS_PROGRESS"
AUTO_MIN_BYTES = 64 * 2**20
_REFRESH_SECONDS = 0.25
_MB = 1e6


def _wanted(total: int | None, stream: IO[str]) -> bool:
    setting = os.environ.get(PROGRESS_ENV, "auto").strip().lower()
    if setting in ("1", "true", "yes", "on"):
        return True
    if setting in ("0", "false", "no", "off"):
        return False
    interactive = bool(getattr(stream, "isatty", lambda: False)())
    return interactive and total is not None and total >= AUTO_MIN_BYTES


class Progress:
    """Bytes moved by one transfer, shown as a bar (or nothing, when not wanted).

    Thread-safe: the parts of a multipart upload report from several threads.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with Progress("Uploading a.csv", 2_000_000, out, enabled=True) as bar:
    ...     bar.track(0)(1_000_000)  # part 0 has sent 1 MB so far
    ...     bar.track(1)(1_000_000)
    >>> out.getvalue().rsplit("\\r", 1)[-1].split(" MB/s")[0].rsplit(" ", 1)[0]
    'Uploading a.csv 100% 2.0/2.0 MB'
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
    ) -> None:
        self.label, self.total = label, total
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = _wanted(total, self._stream) if enabled is None else enabled
        self._parts: dict[int, int] = {}
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._shown = 0.0
        self._bar: Any = self._tqdm() if self.enabled else None

    def _tqdm(self) -> Any:
        try:
            from tqdm import tqdm  # an optional dependency: the plain bar does without
        except ImportError:
            return None
        return tqdm(total=self.total, desc=self.label, unit="B", unit_scale=True, file=self._stream)

    @property
    def done(self) -> int:
        """Bytes moved so far, over all parts."""
        with self._lock:
            return sum(self._parts.values())

    def track(self, part: int) -> Callable[[int], None]:
        """A callback for one part: call it with the bytes that part has moved so far
        (counting from 0 again if the part is sent again)."""

        def moved(so_far: int) -> None:
            if not self.enabled:
                return
            with self._lock:
                step = so_far - self._parts.get(part, 0)
                self._parts[part] = so_far
                done = sum(self._parts.values())
            if self._bar is not None:
                self._bar.update(step)
            else:
                self._draw(done, final=False)

        return moved

    def _draw(self, done: int, final: bool) -> None:
        now = time.monotonic()
        if not final and now - self._shown < _REFRESH_SECONDS:
            return
        self._shown = now
        rate = done / _MB / max(now - self._started, 1e-6)
        if self.total:
            shown = f"{100 * done // self.total:3d}% {done / _MB:.1f}/{self.total / _MB:.1f} MB"
        else:
            shown = f"{done / _MB:.1f} MB"
        self._stream.write(f"\r{self.label} {shown} {rate:.1f} MB/s")
        self._stream.flush()

    def close(self) -> None:
        """Finish the bar (a last redraw and a newline)."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
            return
        self._draw(self.done, final=True)
        self._stream.write("\n")
        self._stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CountingReader:
    """A readable view of ``raw`` that reports the bytes read so far to ``moved``.

    Examples
    --------
    >>> import io
    >>> seen = []
    >>> reader = CountingReader(io.BytesIO(b"abcdef"), seen.append)
    >>> reader.read(4), reader.read(), seen
    (b'abcd', b'ef', [4, 6])
    """

    def __init__(self, raw: Any, moved: Callable[[int], None]) -> None:
        self._raw, self._moved, self._count = raw, moved, 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._raw.read(size)
        if data:
            self._count += len(data)
            self._moved(self._count)
        return data
