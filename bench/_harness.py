"""Shared benchmark plumbing: a platform server in its own process, running a snippet under
either client's interpreter, medians, and writing a section of docs/PERFORMANCE.md."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PERFORMANCE_DOC = REPO / "docs" / "PERFORMANCE.md"
sys.path.insert(0, str(REPO / "tests"))

from support import official_python, reference_spec_path  # noqa: E402

OURS = sys.executable


def interpreters() -> dict[str, str]:
    """The two clients under test: each is `import civis` in its own interpreter."""
    return {"official": str(official_python()), "ours": OURS}


@dataclass
class Server:
    base_url: str
    api_key: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def platform_server(**settings: str) -> Iterator[Server]:
    """`civis-platform serve` in a subprocess with a fresh home; yields its URL and admin key."""
    cli = str(Path(OURS).with_name("civis-platform"))
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CIVIS_PLATFORM_HOME": home}
        env.update({f"CIVIS_PLATFORM_{k.upper()}": v for k, v in settings.items()})
        init = subprocess.run([cli, "init"], env=env, capture_output=True, text=True, check=True)
        key = init.stdout.strip().splitlines()[-1]
        port = _free_port()
        proc = subprocess.Popen(
            [cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_until_listening(port, proc)
            yield Server(f"http://127.0.0.1:{port}/", key)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _wait_until_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError("the server did not start listening within 30 s")


def run_snippet(python: str, code: str, env: dict[str, str] | None = None) -> dict:
    """Run `code` in a fresh interpreter; it must print one JSON object as its last line."""
    proc = subprocess.run(
        [python, "-c", code],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark snippet failed under {python}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def update_performance_doc(section: str, body: str) -> None:
    """Replace the text between this section's markers in docs/PERFORMANCE.md."""
    begin, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    text = PERFORMANCE_DOC.read_text() if PERFORMANCE_DOC.exists() else "# Performance\n"
    block = f"{begin}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else f"{text}\n{block}\n"
    PERFORMANCE_DOC.write_text(text)


def machine_note() -> str:
    return (
        f"Machine: {os.cpu_count()} cores (shared; they behave like about one), "
        f"Python {sys.version.split()[0]}. Figures are medians of several runs."
    )


__all__ = [
    "Server",
    "interpreters",
    "machine_note",
    "median",
    "platform_server",
    "reference_spec_path",
    "run_snippet",
    "update_performance_doc",
]
