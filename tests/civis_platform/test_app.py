"""The app factory: per-app wiring, nothing opened at import or construction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from civis_platform.app import RESOURCES, create_app
from civis_platform.config import Settings


def test_create_app_opens_no_database(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path / "home"))
    assert not (tmp_path / "home" / "metadata.sqlite").exists()
    assert app.state.platform.settings.home == tmp_path / "home"
    assert app.state.spec["swagger"] == "2.0"


def test_two_apps_share_no_state(tmp_path: Path) -> None:
    first = create_app(Settings(home=tmp_path / "a", rate_limit=5))
    second = create_app(Settings(home=tmp_path / "b"))
    assert first.state.platform.store is not second.state.platform.store
    assert first.state.platform.verifier is not second.state.platform.verifier
    assert first.state.platform.limiter.limit == 5 and second.state.platform.limiter.limit == 1000


def test_testing_routes_only_in_testing_mode(tmp_path: Path) -> None:
    def paths(testing: bool) -> set[str]:
        app = create_app(Settings(home=tmp_path, testing=testing))
        return {getattr(route, "path", "") for route in app.router.routes}

    assert "/testing/reset" in paths(True)
    assert "/testing/reset" not in paths(False)


def test_every_resource_declares_operations() -> None:
    assert all(resource.operations for resource in RESOURCES)


def test_importing_the_server_reads_no_environment(tmp_path: Path) -> None:
    # A bogus home in the environment must not matter until Settings() is built.
    code = "import civis_platform.app, civis_platform.cli, civis_platform.testing; print('ok')"
    env = {"CIVIS_PLATFORM_HOME": str(tmp_path / "nope"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr
    assert not (tmp_path / "nope").exists()
