"""The ``civis-platform`` command, run as a subprocess like a user would."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

CLI = str(Path(sys.executable).parent / "civis-platform")


def run(
    *args: str, home: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CIVIS_PLATFORM_HOME": str(home), **(env or {})}
    result = subprocess.run(
        [CLI, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_init_prints_the_key_alone_on_the_last_line_and_upgrades_the_second_time(
    tmp_path: Path,
) -> None:
    result = run("init", home=tmp_path)
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("cvp_") and " " not in key
    assert (tmp_path / "metadata.sqlite").exists()
    assert (tmp_path / "warehouse.duckdb").exists()
    # An old home whose library lacks an entry (or has an outdated one) is upgraded in
    # place: no second admin, no new key, the entry back under its fixed id.
    with sqlite3.connect(tmp_path / "metadata.sqlite") as db:
        db.execute("UPDATE templates SET name = 'old name' WHERE library_key = 'import-from-url'")
        users = db.execute("SELECT count(*) FROM users").fetchone()
    again = run("init", home=tmp_path)
    assert "already initialised" in again.stdout and "cvp_" not in again.stdout
    assert "'Import from URL': updated" in again.stdout
    with sqlite3.connect(tmp_path / "metadata.sqlite") as db:
        assert db.execute("SELECT count(*) FROM users").fetchone() == users
        assert db.execute(
            "SELECT id, name FROM templates WHERE library_key = 'import-from-url'"
        ).fetchall() == [(10001, "Import from URL")]


def test_users_and_keys_commands(tmp_path: Path) -> None:
    run("init", home=tmp_path)
    created = run("users", "create", "carol", "--admin", home=tmp_path)
    assert created.stdout.strip().splitlines()[-1].startswith("cvp_")
    duplicate = run("users", "create", "carol", home=tmp_path, check=False)
    assert duplicate.returncode != 0 and "taken" in duplicate.stderr
    minted = run("keys", "create", "carol", "--name", "laptop", home=tmp_path)
    assert minted.stdout.strip().splitlines()[-1].startswith("cvp_")
    listing = run("keys", "list", "carol", home=tmp_path).stdout
    assert "laptop" in listing
    key_id = next(line.split("\t")[0] for line in listing.splitlines() if "laptop" in line)
    run("keys", "revoke", key_id, home=tmp_path)
    assert (
        "\t-"
        not in next(
            line
            for line in run("keys", "list", "carol", home=tmp_path).stdout.splitlines()
            if "laptop" in line
        ).rsplit("\t", 1)[-1]
    )
    status = run("status", home=tmp_path).stdout
    assert "Users: 2" in status and "not answering" in status
    assert run("keys", "list", "nobody", home=tmp_path, check=False).returncode != 0


def test_commands_need_an_initialised_home(tmp_path: Path) -> None:
    result = run("users", "create", "dave", home=tmp_path, check=False)
    assert result.returncode != 0 and "civis-platform init" in result.stderr


def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    key = run("init", home=tmp_path).stdout.strip().splitlines()[-1]
    port = free_port()
    env = {**os.environ, "CIVIS_PLATFORM_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(url + "users/me", auth=(key, ""), timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json()["username"] == "admin"
        status = run("status", home=tmp_path, env={"CIVIS_PLATFORM_PORT": str(port)})
        assert "Users: 1" in status.stdout
        assert f"Server: answering at http://127.0.0.1:{port}/" in status.stdout
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_demo_runs_examples_in_order_and_reports_failures(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "01_me.py").write_text(
        "import os, requests\n"
        "r = requests.get(os.environ['CIVIS_API_ENDPOINT'] + 'users/me',\n"
        "                 auth=(os.environ['CIVIS_API_KEY'], ''))\n"
        "print('me is', r.json()['username'])\n"
        "assert os.path.isdir(os.environ['CIVIS_PLATFORM_HOME'])\n"
    )
    (examples / "02_ok.py").write_text("print('second')\n")
    (examples / "helper.py").write_text("raise SystemExit('helpers are not run')\n")
    ok = run("demo", "--examples", str(examples), home=tmp_path)
    assert "===== 01_me.py =====" in ok.stdout
    assert ok.stdout.index("me is demo") < ok.stdout.index("second")
    assert "helpers are not run" not in ok.stdout + ok.stderr
    (examples / "03_fail.py").write_text("raise SystemExit(3)\n")
    failed = run("demo", "--examples", str(examples), home=tmp_path, check=False)
    assert failed.returncode != 0
    assert "03_fail.py" in failed.stderr


def test_databases_add_and_list(tmp_path: Path) -> None:
    key = run("init", home=tmp_path).stdout.strip().splitlines()[-1]
    assert key.startswith("cvp_")
    run("databases", "add", "Scratch", "--duckdb", str(tmp_path / "scratch.duckdb"), home=tmp_path)
    run(
        "databases",
        "add",
        "Shared PG",
        "--postgres",
        "postgresql://u@db.example:6543/wh",
        home=tmp_path,
    )
    assert (tmp_path / "scratch.duckdb").exists()
    listing = run("databases", "list", home=tmp_path).stdout
    assert "Scratch\tduckdb" in listing and "Shared PG\tpostgresql\twh" in listing
    for bad in (["--postgres", "mysql://x/y"], [], ["--duckdb", "a", "--postgres", "b"]):
        assert run("databases", "add", "Bad", *bad, home=tmp_path, check=False).returncode != 0
    stray = tmp_path / "other.duckdb"
    duplicate = run(
        "databases", "add", "Scratch", "--duckdb", str(stray), home=tmp_path, check=False
    )
    assert duplicate.returncode != 0 and "registered" in duplicate.stderr
    assert not stray.exists()
