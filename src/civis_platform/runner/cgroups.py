"""Resource limits for a sandboxed process tree: cgroups where the server may make them,
else an address-space rlimit.

`Limiter.detect()` picks, in order:

- cgroup v2 (the unified hierarchy with the ``memory`` controller enabled below this
  process's cgroup): ``memory.max`` (swap off), ``cpu.weight``;
- cgroup v1 (writable ``memory`` and ``cpu`` hierarchies): ``memory.limit_in_bytes``
  (and ``memsw`` where swap is accounted), ``cpu.shares``;
- neither: ``ulimit -v`` (the address space of each process; a tree can exceed it in
  sum, and programs that reserve much virtual memory may fail early: say so in docs).

A `Group` is made per run; the launcher's shell joins it before it ``exec``s the
sandbox (`Group.join_command`), so every process of the run is inside from its first
instruction. `Group.oom_killed` says afterwards whether the kernel killed for memory;
`Group.kill_all` and `Group.remove` clean up.

Examples:
    >>> Group(kind="rlimit", paths=(), memory_mb=64).shell_prefix()
    'ulimit -v 65536; '
"""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_PREFIX = "civis-run-"
# Civis CPU shares (1000 per core) -> cgroup v1 shares (1024 per core) / v2 weight.
V1_SHARES_PER_CORE = 1024


def _own_cgroup(controller: str | None) -> str | None:
    """This process's cgroup path in a v1 hierarchy (or v2 for None)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        names = controllers.split(",") if controllers else []
        if (controller is None and not controllers) or (controller in names):
            return path
    return None


def _writable_dir(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


@dataclass(frozen=True)
class Group:
    """One run's limits: the cgroup folders made for it (none for ``rlimit``)."""

    kind: str  # "v2", "v1" or "rlimit"
    paths: tuple[Path, ...]
    memory_mb: int | None = None

    def shell_prefix(self) -> str:
        """Shell commands the launcher runs first, as itself, before exec'ing the sandbox."""
        if self.kind == "rlimit":
            return f"ulimit -v {self.memory_mb * 1024}; " if self.memory_mb else ""
        return "".join(f'echo $$ > "{path}/cgroup.procs"; ' for path in self.paths)

    def oom_killed(self) -> bool:
        """True when the kernel killed a process of the group for going over memory."""
        for path in self.paths:
            for name, key in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill")):
                with contextlib.suppress(OSError):
                    for line in (path / name).read_text().splitlines():
                        field, _, value = line.partition(" ")
                        if field == key and int(value or 0) > 0:
                            return True
        return False

    def kill_all(self) -> None:
        """SIGKILL every process still in the group."""
        for path in self.paths:
            with contextlib.suppress(OSError):
                (path / "cgroup.kill").write_text("1")  # v2, Linux 5.14+
            with contextlib.suppress(OSError):
                for pid in (path / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError, ValueError):
                        os.kill(int(pid), signal.SIGKILL)

    def remove(self) -> None:
        """Remove the group's folders (after its processes are gone)."""
        for path in self.paths:
            with contextlib.suppress(OSError):
                path.rmdir()


class Limiter:
    """Makes `Group`s with the best mechanism this machine allows (see module doc)."""

    def __init__(self, kind: str, bases: tuple[Path, ...]) -> None:
        self.kind = kind
        self.bases = bases

    @classmethod
    def detect(cls, root: Path = CGROUP_ROOT) -> Limiter:
        """Probe the machine once (no cgroup is made)."""
        unified = root if (root / "cgroup.controllers").exists() else root / "unified"
        own = _own_cgroup(None)
        if own is not None and (unified / "cgroup.controllers").exists():
            base = unified / own.lstrip("/")
            with contextlib.suppress(OSError):
                if "memory" in (base / "cgroup.subtree_control").read_text().split() and (
                    _writable_dir(base)
                ):
                    return cls("v2", (base,))
        found: dict[str, Path] = {}
        for controller in ("memory", "cpu"):
            path = _own_cgroup(controller)
            base = root / controller / (path or "").lstrip("/")
            if path is not None and _writable_dir(base):
                found[controller] = base
        if "memory" in found:
            return cls("v1", tuple(found.values()))
        return cls("rlimit", ())

    def describe(self) -> str:
        """How limits are enforced here, for start-up logs and docs.

        Examples:
            >>> Limiter("rlimit", ()).describe()
            'memory as an address-space rlimit per process (no cgroups here); no CPU share'
        """
        if self.kind == "v2":
            return "memory and CPU through cgroup v2"
        if self.kind == "v1":
            cpu = any("cpu" in p.parts for p in self.bases)
            return "memory through cgroup v1" + (", CPU shares too" if cpu else "")
        return "memory as an address-space rlimit per process (no cgroups here); no CPU share"

    def group(self, run_id: int, memory_mb: int | None, cpu_shares: int | None) -> Group:
        """A new group for one run with its limits written (rlimit: nothing to make)."""
        if self.kind == "rlimit":
            return Group("rlimit", (), memory_mb)
        name = f"{GROUP_PREFIX}{run_id}-{uuid.uuid4().hex[:8]}"
        made: list[Path] = []
        try:
            for base in self.bases:
                path = base / name
                path.mkdir()
                made.append(path)
                self._configure(path, memory_mb, cpu_shares)
        except OSError:
            for path in made:
                with contextlib.suppress(OSError):
                    path.rmdir()
            raise
        return Group(self.kind, tuple(made), memory_mb)

    def _configure(self, path: Path, memory_mb: int | None, cpu_shares: int | None) -> None:
        if self.kind == "v2":
            if memory_mb:
                (path / "memory.max").write_text(str(memory_mb * 1024 * 1024))
                with contextlib.suppress(OSError):
                    (path / "memory.swap.max").write_text("0")
            if cpu_shares:
                with contextlib.suppress(OSError):
                    weight = max(1, min(10000, round(cpu_shares * 100 / 1000)))
                    (path / "cpu.weight").write_text(str(weight))
            return
        if (path / "memory.limit_in_bytes").exists() and memory_mb:
            limit = str(memory_mb * 1024 * 1024)
            (path / "memory.limit_in_bytes").write_text(limit)
            with contextlib.suppress(OSError):
                (path / "memory.memsw.limit_in_bytes").write_text(limit)
        if (path / "cpu.shares").exists() and cpu_shares:
            shares = max(2, cpu_shares * V1_SHARES_PER_CORE // 1000)
            (path / "cpu.shares").write_text(str(shares))
