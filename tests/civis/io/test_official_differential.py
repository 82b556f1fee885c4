"""The official client and ours, doing the same file transfers against the same server,
leave the same thing on the server (bytes, name, options, form layout) and read it back
the same way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from files_server import FilesServer, env_for_official

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import support
from civis.io import civis_to_file, file_to_civis

_OFFICIAL_SCRIPT = """
import json, sys
import civis
spec, src, dst, opts = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
client = civis.APIClient(local_api_spec=spec)
fid = civis.io.file_to_civis(src, client=client, **opts)
civis.io.civis_to_file(fid, dst, client=client)
print(fid)
"""


def _official(server: FilesServer, src: Path, dst: Path, opts: dict[str, Any]) -> int:
    try:
        python = support.official_python()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    out = subprocess.run(
        [
            str(python),
            "-c",
            _OFFICIAL_SCRIPT,
            str(support.reference_spec_path()),
            str(src),
            str(dst),
            json.dumps(opts),
        ],
        env=env_for_official(server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split()[-1])


def _server_view(server: FilesServer, file_id: int) -> dict[str, Any]:
    f = server.files[file_id]
    return {
        "bytes": server.file_bytes(file_id),
        "name": f.name,
        "expires_at": f.expires_at,
        "description": f.description,
        "num_parts": f.num_parts,
        "form": [name for name, _ in f.form_fields],
        "filenames": all(fn for _, fn in f.form_fields),
    }


@pytest.mark.parametrize(
    "size, opts",
    [
        (0, {}),
        (1_000_000, {"name": "a.csv", "expires_at": None, "description": "hello"}),
        (51 * 2**20, {"name": "big.bin"}),
    ],
)
def test_official_and_ours_store_the_same(
    srv: FilesServer, client: Any, tmp_path: Path, size: int, opts: dict[str, Any]
) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(size))
    theirs_copy, ours_copy = tmp_path / "theirs.out", tmp_path / "ours.out"
    theirs = _official(srv, src, theirs_copy, opts)
    ours = file_to_civis(src, client=client, **opts)
    civis_to_file(ours, ours_copy, client=client)
    assert _server_view(srv, ours) == _server_view(srv, theirs)
    assert ours_copy.read_bytes() == theirs_copy.read_bytes() == src.read_bytes()
