"""Runtime images: the environments users' code runs in, built with ``uv`` from a catalog.

A container script names a Docker image (``docker_image_name[:tag]``). There is no
Docker here: the catalog (`Settings.images`, default `DEFAULT_CATALOG`) maps image
names (any tag, or tags matching a pattern) to an entry: a Python version and a list of
packages. The first entry is the default image; an image that is not in the catalog
runs on it, and the run's first log line says so.

An image is a virtual environment built once into ``<images_dir>/<name>-<digest>``
(the digest covers the entry, so a changed entry builds a new image), atomically (built
aside, then renamed), and shared read-only by every run. ``uv`` resolves and installs
the packages: a bad entry (an unknown package, a version that does not exist) fails
the build with uv's own message, never a user's run halfway. Console scripts are
rewritten to start with ``#!/usr/bin/env python3``, so that inside a sandbox they run
on the run's own writable environment stacked on the image (`runner.sandbox`).

This project's own client (``civis``, with its ``civis`` and ``civis_joblib_worker``
commands) and ``civis_platform`` are not copied into images: the sandbox binds the
running server's packages read-only, so a job always talks the server's dialect, and
an image does not go stale when the project changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from civis_platform.clock import utcnow

MANIFEST = "civis-image.json"
BUILD_TIMEOUT_SECONDS = 1800


class ImageBuildError(Exception):
    """An image could not be built; the message carries the resolver's output."""


# Bumped when the way images are built changes (2: bytecode compiled at build time), so
# that images cached by an older recipe are rebuilt rather than reused.
BUILD_RECIPE = 2


@dataclass(frozen=True)
class ImageEntry:
    """One catalog entry: which Docker image names it stands for, and what it holds."""

    name: str  # a Docker image name, e.g. "civisanalytics/datascience-python"
    python: str = "3.11"
    packages: tuple[str, ...] = ()
    tags: str = "*"  # a glob the tag must match

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ImageEntry:
        """An entry from configuration (``name`` required; ``python``, ``packages``,
        ``tags`` optional).

        Examples:
            >>> ImageEntry.from_dict({"name": "team/ml", "packages": ["numpy"]}).packages
            ('numpy',)
        """
        unknown = set(data) - {"name", "python", "packages", "tags"}
        if unknown or not isinstance(data.get("name"), str):
            raise ValueError(
                f"an image catalog entry needs a name and takes python, packages and tags "
                f"(not {', '.join(sorted(unknown)) or 'this'})"
            )
        packages = data.get("packages", ())
        if isinstance(packages, str) or not isinstance(packages, (list, tuple)):
            raise ValueError(f"packages of image {data['name']} must be a list")
        return cls(
            name=str(data["name"]),
            python=str(data.get("python", "3.11")),
            packages=tuple(str(p) for p in packages),
            tags=str(data.get("tags", "*")),
        )

    def matches(self, image: str, tag: str | None) -> bool:
        """True when ``image:tag`` is this entry."""
        return image == self.name and fnmatch.fnmatchcase(tag or "latest", self.tags)

    def digest(self) -> str:
        """A short hash of everything that decides the image's contents.

        Examples:
            >>> ImageEntry("x", packages=("a",)).digest() != ImageEntry("x").digest()
            True
        """
        text = json.dumps([BUILD_RECIPE, self.python, sorted(self.packages)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def slug(self) -> str:
        """The folder name of this entry's image (name and digest).

        Examples:
            >>> ImageEntry("civisanalytics/datascience-python").slug.split("-")[0]
            'civisanalytics_datascience_python'
        """
        safe = "".join(c if c.isalnum() or c in "._" else "_" for c in self.name)
        return f"{safe}-{self.digest()}"


DEFAULT_CATALOG: tuple[ImageEntry, ...] = (
    ImageEntry(
        name="civisanalytics/datascience-python",
        python="3.11",
        packages=(
            "pandas>=2.2",
            "numpy>=1.26",
            "scipy>=1.11",
            "scikit-learn>=1.5",
            "polars>=1.0",
            "pyarrow>=16",
            "cloudpickle>=3.0",
            "joblib>=1.4",
            "requests>=2.31",
            # What the platform's own `civis` client needs (it is bound at run time).
            "tenacity>=8.2",
            "click>=8.1",
            "pyyaml>=6.0",
            "pip",  # so that `pip install` inside a run works (into the run's own layer)
        ),
    ),
)


@dataclass(frozen=True)
class Image:
    """A built image: its folder, the interpreter it is based on, what it holds."""

    entry: ImageEntry
    path: Path
    base_python: str  # the interpreter the environment was made from (resolved)
    base_prefix: str  # that interpreter's installation prefix (stdlib, shared libs)
    python_version: str  # "3.11"
    built_at: str
    packages: dict[str, str] = field(default_factory=dict)  # name -> version installed

    @property
    def site_packages(self) -> Path:
        """The image's site-packages folder."""
        return self.path / "lib" / f"python{self.python_version}" / "site-packages"


def split_image(reference: str | None) -> tuple[str | None, str | None]:
    """``name[:tag]`` as (name, tag); a registry's port is part of the name.

    Examples:
        >>> split_image("civisanalytics/datascience-python:7.1")
        ('civisanalytics/datascience-python', '7.1')
        >>> split_image("registry:5000/team/image")
        ('registry:5000/team/image', None)
    """
    if not reference:
        return None, None
    name, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag:
        return reference, None
    return name, tag or None


def find_uv() -> str:
    """The ``uv`` executable (the ``uv`` package the server depends on, else PATH)."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise ImageBuildError("uv is not installed: `pip install uv`") from None
        return found


class ImageStore:
    """The images of one catalog under one folder (see the module docstring)."""

    def __init__(self, root: Path, catalog: Sequence[ImageEntry] = DEFAULT_CATALOG) -> None:
        if not catalog:
            raise ValueError("an image catalog needs at least one entry")
        self.root = Path(root)
        self.catalog = tuple(catalog)

    @property
    def default(self) -> ImageEntry:
        """The first entry: the image for unknown names."""
        return self.catalog[0]

    def resolve(self, image: str | None, tag: str | None) -> tuple[ImageEntry, str | None]:
        """The entry for ``image:tag`` and, when the default stands in, the note for
        the run's log.

        Examples:
            >>> store = ImageStore(Path("/nonexistent"))
            >>> store.resolve("civisanalytics/datascience-python", "7.1")[1] is None
            True
            >>> print(store.resolve("ubuntu", "22.04")[1])  # doctest: +ELLIPSIS
            Image ubuntu:22.04 is not in this platform's catalog; running on ...
        """
        for entry in self.catalog:
            if image and entry.matches(image, tag):
                return entry, None
        if not image:
            return self.default, None
        named = f"{image}:{tag}" if tag else image
        note = (
            f"Image {named} is not in this platform's catalog; running on "
            f"{self.default.name} (Python {self.default.python}) instead."
        )
        return self.default, note

    def entry_named(self, name: str) -> ImageEntry:
        """The catalog entry of an image name (KeyError when none)."""
        for entry in self.catalog:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def built(self, entry: ImageEntry) -> Image | None:
        """The built image of ``entry``, or None when it is not built (yet)."""
        manifest = self.root / entry.slug / MANIFEST
        try:
            data = json.loads(manifest.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return Image(
            entry=entry,
            path=self.root / entry.slug,
            base_python=data["base_python"],
            base_prefix=data["base_prefix"],
            python_version=data["python_version"],
            built_at=data["built_at"],
            packages=dict(data.get("packages", {})),
        )

    def ensure(self, entry: ImageEntry) -> Image:
        """The built image of ``entry``, building it first when needed (once, also
        across processes: builders wait on a lock file)."""
        image = self.built(entry)
        if image is not None:
            return image
        self.root.mkdir(parents=True, exist_ok=True)
        with _locked(self.root / f".{entry.slug}.lock"):
            image = self.built(entry)
            return image if image is not None else self._build(entry)

    def _build(self, entry: ImageEntry) -> Image:
        uv = find_uv()
        final = self.root / entry.slug
        staging = self.root / f".{entry.slug}.building-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": ""}
        try:
            _uv(uv, ["venv", "--quiet", "--python", entry.python, str(staging)], env)
            python = staging / "bin" / "python"
            if entry.packages:
                _uv(
                    uv,
                    # Compiled once here: runs see the image read-only and could not
                    # cache bytecode themselves (each would recompile every import).
                    [
                        "pip",
                        "install",
                        "--quiet",
                        "--compile-bytecode",
                        "--python",
                        str(python),
                        *entry.packages,
                    ],
                    env,
                )
            facts = _describe(python)
            _rewrite_shebangs(staging / "bin")
            _make_readable(staging)
            manifest = {
                "name": entry.name,
                "tags": entry.tags,
                "python": entry.python,
                "requested": list(entry.packages),
                "digest": entry.digest(),
                "built_at": utcnow().isoformat(),
                **facts,
            }
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=1))
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        image = self.built(entry)
        assert image is not None
        return image

    def list(self) -> list[tuple[ImageEntry, Image | None]]:
        """Every catalog entry with its built image (None: not built)."""
        return [(entry, self.built(entry)) for entry in self.catalog]


def _uv(uv: str, args: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(
            [uv, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise ImageBuildError(f"uv {args[0]} took longer than {BUILD_TIMEOUT_SECONDS} s") from None
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip()
        raise ImageBuildError(f"uv {' '.join(args[:2])} failed:\n{message}")


_DESCRIBE = r"""
import json, os, sys, importlib.metadata as m
print(json.dumps({
    "base_python": os.path.realpath(sys.executable),
    "base_prefix": os.path.realpath(sys.base_prefix),
    "python_version": "%d.%d" % sys.version_info[:2],
    "packages": {d.metadata["Name"].lower(): d.version for d in m.distributions()},
}))
"""


def _describe(python: Path) -> dict[str, object]:
    """What the new environment is made of (asked of its own interpreter)."""
    result = subprocess.run(
        [str(python), "-I", "-c", _DESCRIBE], capture_output=True, text=True, check=True
    )
    facts: dict[str, object] = json.loads(result.stdout)
    return facts


def _rewrite_shebangs(bin_dir: Path) -> None:
    """Console scripts start ``#!/usr/bin/env python3``: run by the run's environment."""
    for script in bin_dir.iterdir():
        if not script.is_file() or script.is_symlink():
            continue
        with open(script, "rb") as fh:
            head = fh.read(2)
            if head != b"#!":
                continue
            rest = fh.read()
        newline = rest.find(b"\n")
        if newline < 0 or b"python" not in rest[:newline]:
            continue
        script.write_bytes(b"#!/usr/bin/env python3" + rest[newline:])


def _make_readable(root: Path) -> None:
    """Everyone may read (and enter) the image: sandboxes run as unprivileged users."""
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = os.path.join(folder, name)
            os.chmod(path, os.stat(path).st_mode | 0o555)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o444)
    os.chmod(root, 0o755)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def describe(image: Image) -> dict[str, object]:
    """A built image as `civis-platform images list` shows it."""
    data = asdict(image)
    data["path"] = str(image.path)
    data["entry"] = asdict(image.entry)
    return data


__all__ = [
    "DEFAULT_CATALOG",
    "Image",
    "ImageBuildError",
    "ImageEntry",
    "ImageStore",
    "describe",
    "find_uv",
]
