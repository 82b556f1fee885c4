"""Progress bars of file transfers: when they show, what they count, on real transfers.

`test_no_bar_by_default_off_a_terminal` transfers with the real server (`real_client`); the
every-byte test stays on the Civis fake, which fails a part on request so that one part is
sent twice (the real server does not fail parts, and refuses parts under 5 MiB).
"""

from __future__ import annotations

import io
import os
import time
from typing import Any

import pytest
from files_server import FilesServer

from civis.io import civis_to_file, file_to_civis
from civis.io._progress import AUTO_MIN_BYTES, Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "setting, stream, total, shown",
    [
        ("1", io.StringIO(), 10, True),  # asked for: always
        ("0", Tty(), AUTO_MIN_BYTES, False),  # turned off: never
        (None, Tty(), AUTO_MIN_BYTES, True),  # auto: a long transfer on a terminal
        (None, Tty(), AUTO_MIN_BYTES - 1, False),  # auto: too short to bother
        (None, io.StringIO(), AUTO_MIN_BYTES * 10, False),  # auto: not a terminal
        (None, Tty(), None, False),  # auto: unknown size
    ],
)
def test_when_a_bar_shows(
    monkeypatch: pytest.MonkeyPatch,
    setting: str | None,
    stream: io.StringIO,
    total: int | None,
    shown: bool,
) -> None:
    if setting is None:
        monkeypatch.delenv("CIVIS_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("CIVIS_PROGRESS", setting)
    bar = Progress("Uploading x", total, stream)
    bar.track(0)(5)
    bar.close()
    assert bar.enabled is shown
    assert ("Uploading x" in stream.getvalue()) is shown


def test_a_part_sent_again_is_not_counted_twice() -> None:
    bar = Progress("Uploading x", 300, io.StringIO(), enabled=True)
    first, second = bar.track(0), bar.track(1)
    first(100)
    second(150)
    first(40)  # part 0 failed and starts over
    assert bar.done == 190
    first(150)
    assert bar.done == 300


def _last_line(text: str) -> str:
    return text.rstrip("\n").rsplit("\r", 1)[-1]


@pytest.mark.usefixtures("small_parts")
def test_uploads_and_downloads_report_every_byte(
    srv: FilesServer,
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CIVIS_PROGRESS", "1")
    monkeypatch.setattr(time, "sleep", lambda s: None)
    srv.part_failures = {1: 1}  # one part is sent twice: the bar must still end at 100%
    data = os.urandom(400_000)
    file_id = file_to_civis(io.BytesIO(data), "big.bin", client=client)
    uploaded = capsys.readouterr().err
    assert _last_line(uploaded).startswith("Uploading big.bin 100% 0.4/0.4 MB"), uploaded
    out = io.BytesIO()
    civis_to_file(file_id, out, client=client)
    assert out.getvalue() == data
    downloaded = capsys.readouterr().err
    assert _last_line(downloaded).startswith("Downloading big.bin 100% 0.4/0.4 MB"), downloaded


def test_no_bar_by_default_off_a_terminal(
    real_client: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import civis.io._progress as progress

    monkeypatch.delenv("CIVIS_PROGRESS", raising=False)
    monkeypatch.setattr(progress, "AUTO_MIN_BYTES", 1000)
    data = os.urandom(2000)  # long enough for a bar on a terminal
    file_id = file_to_civis(io.BytesIO(data), "small", client=real_client)
    out = io.BytesIO()
    civis_to_file(file_id, out, client=real_client)
    assert out.getvalue() == data
    assert capsys.readouterr().err == ""


def test_a_real_transfer_reports_every_byte(
    real_client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CIVIS_PROGRESS", "1")
    data = os.urandom(400_000)
    file_id = file_to_civis(io.BytesIO(data), "real.bin", client=real_client)
    uploaded = capsys.readouterr().err
    assert _last_line(uploaded).startswith("Uploading real.bin 100% 0.4/0.4 MB"), uploaded
    civis_to_file(file_id, io.BytesIO(), client=real_client)
    downloaded = capsys.readouterr().err
    assert _last_line(downloaded).startswith("Downloading real.bin 100% 0.4/0.4 MB"), downloaded
