"""Runtime images: catalog resolution, real builds with uv, failures at build time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from civis_platform.runner.images import (
    DEFAULT_CATALOG,
    ImageBuildError,
    ImageEntry,
    ImageStore,
    split_image,
)

TINY = ImageEntry(name="team/tiny", python="3.11", packages=("six",))


@pytest.mark.parametrize(
    ("image", "tag", "entry", "noted"),
    [
        ("civisanalytics/datascience-python", "7.1", 0, False),
        ("civisanalytics/datascience-python", None, 0, False),
        ("team/tiny", "2.0", 1, False),
        ("team/tiny", "1.0", 0, True),  # the tag is not the entry's
        ("ubuntu", "22.04", 0, True),
        (None, None, 0, False),
    ],
)
def test_resolution(image: str | None, tag: str | None, entry: int, noted: bool) -> None:
    catalog = (DEFAULT_CATALOG[0], ImageEntry(name="team/tiny", tags="2.*"))
    found, note = ImageStore(Path("/nowhere"), catalog).resolve(image, tag)
    assert found is catalog[entry]
    assert (note is not None) == noted


def test_split_image() -> None:
    assert split_image("a/b:1") == ("a/b", "1")
    assert split_image("host:5000/a/b") == ("host:5000/a/b", None)
    assert split_image(None) == (None, None)


def test_an_entry_builds_once_and_a_changed_entry_builds_anew(tmp_path: Path) -> None:
    store = ImageStore(tmp_path, (TINY,))
    image = store.ensure(TINY)
    assert image.packages["six"]
    assert store.ensure(TINY).built_at == image.built_at  # not rebuilt
    assert (image.site_packages / "six.py").exists()
    changed = ImageEntry(name="team/tiny", packages=("six", "idna"))
    assert changed.slug != TINY.slug
    assert store.ensure(changed).packages["idna"]
    # Console scripts run on whatever environment a run puts first on PATH.
    scripts = [p for p in (image.path / "bin").iterdir() if p.is_file() and not p.is_symlink()]
    for script in scripts:
        head = script.read_bytes()[:64]
        if head.startswith(b"#!") and b"python" in head.split(b"\n")[0]:
            assert head.startswith(b"#!/usr/bin/env python3"), script


def test_a_bad_entry_fails_at_build_time_with_the_resolvers_message(tmp_path: Path) -> None:
    bad = ImageEntry(name="team/bad", packages=("no-such-package-civis-xyz==9.9.9",))
    store = ImageStore(tmp_path, (bad,))
    with pytest.raises(ImageBuildError) as raised:
        store.ensure(bad)
    assert "no-such-package-civis-xyz" in str(raised.value)
    assert store.built(bad) is None
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"python": "3.11"}, "needs a name"),
        ({"name": "x", "packages": "numpy"}, "must be a list"),
        ({"name": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_catalog_entries_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ImageEntry.from_dict(data)


def test_images_build_names_a_bad_entry(tmp_path: Path) -> None:
    cli = str(Path(sys.executable).with_name("civis-platform"))
    env = {
        "PATH": "/usr/bin:/bin",
        "CIVIS_PLATFORM_IMAGES_DIR": str(tmp_path),
        "CIVIS_PLATFORM_IMAGES": json.dumps(
            [{"name": "team/bad", "packages": ["no-such-package-civis-xyz"]}]
        ),
    }
    result = subprocess.run(
        [cli, "--home", str(tmp_path / "home"), "images", "build"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "building team/bad failed" in result.stderr
    assert "no-such-package-civis-xyz" in result.stderr
    listing = subprocess.run(
        [cli, "--home", str(tmp_path / "home"), "images", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "team/bad (default)" in listing.stdout and "not built" in listing.stdout
