"""The local sandbox: users' code as its own process tree, isolated with bubblewrap.

Each `Launch` runs in a fresh sandbox (``bwrap``, Debian package ``bubblewrap``):

- **namespaces**: mount, PID, IPC, UTS, cgroup and network. The run sees a root made
  of read-only system folders (``/usr`` and its links), its runtime image read-only at
  ``/opt/civis/image``, the platform's own ``civis`` and ``civis_platform`` packages
  read-only at ``/opt/civis/platform``, a writable working folder ``/work`` (its
  current directory and ``HOME``), a private ``/tmp``, and its own writable Python
  layer ``/opt/civis/env`` stacked on the image, so ``pip install`` works and
  disappears with the run. Nothing of the platform home, other runs or the server's
  processes is there; ``/proc`` shows only the run's own processes.
- **network**: only loopback. `sandbox_init` serves ``127.0.0.1:<port>`` inside and
  pipes it to a Unix socket that the worker forwards to the API (`proxy`): the run
  reaches ``CIVIS_API_ENDPOINT`` and nothing else of the server or the network.
- **identity**: when the server runs as root, the run's processes run as an
  unprivileged user of their own (``sandbox_uid_base`` + run id, modulo a range) with
  no capabilities and ``no_new_privs``; otherwise as the server's user inside an
  unprivileged user namespace.
- **environment**: exactly the launch's variables (plus ``PATH``, ``HOME``, ``LANG``).
- **limits**: memory (and a CPU share) through cgroups where possible, else an rlimit
  (`cgroups`); a wall-clock time limit; the private ``/tmp`` has a size.
- **lifetime**: ``--die-with-parent`` and a PID namespace: killing the sandbox, or the
  worker (even with ``kill -9``), kills every process of the run. Cancelling kills the
  whole tree.

Where ``bwrap`` is missing the sandbox refuses to run users' code with an error that
says how to install it, unless the operator set ``sandbox = "none"`` (then runs are
plain processes, a warning is logged at start-up and in every such run's log).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from civis_platform.runner import sandbox_init
from civis_platform.runner.cgroups import Group, Limiter
from civis_platform.runner.host import Host, ProgramError
from civis_platform.runner.images import Image, ImageStore, split_image
from civis_platform.runner.logpump import LogPump
from civis_platform.runner.proxy import ApiForwarder
from civis_platform.runner.runspec import Launch, Outcome

log = logging.getLogger("civis_platform.runner")

INSTALL_HINT = (
    "Running users' code needs bubblewrap, which is not installed on this machine: "
    "install it (Debian/Ubuntu: `apt-get install -y bubblewrap`), or set "
    "CIVIS_PLATFORM_SANDBOX=none to run jobs as plain, unsandboxed processes (unsafe "
    "on a shared server)."
)
UNSANDBOXED_WARNING = (
    "WARNING: this platform runs users' code without a sandbox (sandbox = none): the "
    "job can read and change anything the server can."
)
IMAGE_MOUNT = "/opt/civis/image"
ENV_MOUNT = "/opt/civis/env"
PLATFORM_MOUNT = "/opt/civis/platform"
INIT_MOUNT = "/opt/civis/init.py"
SOCKET_MOUNT = "/run/civis/api.sock"
# A unix socket's path holds at most 107 bytes: a run folder deeper than this keeps its
# socket in a short folder of its own under /tmp instead.
MAX_SOCKET_PATH = 100


def api_socket(folder: Path) -> Path:
    """Where the run in ``folder`` gets its API socket: in the folder, or in a new
    short folder under /tmp when the folder's path is too long for a socket."""
    inside = folder / "api.sock"
    if len(str(inside)) <= MAX_SOCKET_PATH:
        return inside
    return Path(tempfile.mkdtemp(prefix="civis-sock-")) / "api.sock"


WORK_MOUNT = "/work"
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
KILL_GRACE_SECONDS = 2.0
UID_RANGE = 50_000
RUN_USER = "civis"
# The platform's own packages, bound read-only into every sandbox.
PLATFORM_PACKAGES = ("civis", "civis_platform")
# Console scripts of this distribution that a job may call (not the server's CLI).
SERVER_ONLY_COMMANDS = frozenset({"civis-platform"})


def find_bwrap() -> str | None:
    """The bubblewrap executable, or None when it is not installed."""
    return shutil.which("bwrap")


@dataclass(frozen=True)
class SandboxSettings:
    """How sandboxes are made on this machine."""

    root: Path  # where run folders are made (under the platform home by default)
    images: ImageStore
    api_url: str  # the API as runs must call it (CIVIS_API_ENDPOINT)
    mode: str = "bwrap"  # "bwrap" or "none"
    uid_base: int = 200_000
    tmp_size_mb: int = 1024
    extra_env: dict[str, str] = field(default_factory=dict)


def _api_target(url: str) -> tuple[str, str, int]:
    """(hostname, connect host, port) of the API URL.

    Examples:
        >>> _api_target("http://127.0.0.1:8123/")
        ('127.0.0.1', '127.0.0.1', 8123)
        >>> _api_target("https://civis.example.com/")
        ('civis.example.com', 'civis.example.com', 443)
    """
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return host, host, port


class LocalSandbox:
    """Runs launches in bubblewrap sandboxes on this machine (`UserCodeExecutor`)."""

    def __init__(self, settings: SandboxSettings, *, limiter: Limiter | None = None) -> None:
        self.settings = settings
        self.root = Path(settings.root)
        self.bwrap = find_bwrap() if settings.mode == "bwrap" else None
        self.privileged = os.geteuid() == 0
        self.limiter = limiter or Limiter.detect()
        self._platform_bin: Path | None = None
        self._lock = threading.Lock()
        if settings.mode == "none":
            log.warning(UNSANDBOXED_WARNING)
        elif self.bwrap is None:
            log.warning(INSTALL_HINT)

    # ------------------------------------------------------------------ protocol

    def run(self, launch: Launch, host: Host) -> Outcome:
        """Run ``launch`` to its end (see the module docstring)."""
        if self.settings.mode == "bwrap" and self.bwrap is None:
            raise ProgramError(INSTALL_HINT)
        entry, note = self.settings.images.resolve(*split_image(launch.image))
        for line in [*launch.notes, *([note] if note else [])]:
            host.log(line)
        if self.settings.images.built(entry) is None:
            host.log(f"Building the runtime image {entry.name} (once; later runs reuse it).")
        image = self.settings.images.ensure(entry)
        if self.settings.mode == "none":
            host.log(UNSANDBOXED_WARNING, "warn")
        with self._run_folder(launch) as folder:
            return self._run_in(folder, launch, image, host)

    def close(self) -> None:
        """Nothing is held between runs."""

    # ------------------------------------------------------------------ one run

    @contextlib.contextmanager
    def _run_folder(self, launch: Launch) -> Iterator[Path]:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o711)  # runs may pass through, never list
        folder = Path(tempfile.mkdtemp(prefix=f"run-{launch.run_id}-", dir=self.root))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _uid(self, launch: Launch) -> int | None:
        if not self.privileged or self.settings.mode == "none":
            return None
        return self.settings.uid_base + launch.run_id % UID_RANGE

    def _run_in(self, folder: Path, launch: Launch, image: Image, host: Host) -> Outcome:
        uid = self._uid(launch)
        sandboxed = self.settings.mode == "bwrap"
        work = folder / "work"
        env_dir = folder / "env"
        work.mkdir()
        for relative, text in launch.files.items():
            target = (work / relative).resolve()
            if work.resolve() not in target.parents:
                raise ProgramError(f"A launch file may not leave the working folder: {relative}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        image_path = IMAGE_MOUNT if sandboxed else str(image.path)
        platform_path = PLATFORM_MOUNT if sandboxed else str(self._platform_root(folder))
        make_env_layer(env_dir, image, image_path=image_path, platform_path=platform_path)
        env_path = ENV_MOUNT if sandboxed else str(env_dir)
        bin_path = f"{platform_path}/bin"
        env = {
            **self.settings.extra_env,
            **launch.env,
            "CIVIS_API_ENDPOINT": self.settings.api_url,
            "PATH": f"{env_path}/bin:{image_path}/bin:{bin_path}:/usr/local/bin:/usr/bin:/bin",
            "HOME": WORK_MOUNT if sandboxed else str(work),
            "LANG": "C.UTF-8",
            "VIRTUAL_ENV": env_path,
        }
        if uid is not None:
            _chown_tree(folder, uid)
        group = self.limiter.group(launch.run_id, launch.limits.memory_mb, launch.limits.cpu_shares)
        forwarder: ApiForwarder | None = None
        socket = api_socket(folder) if sandboxed else None
        try:
            if socket is not None:
                hostname, connect, port = _api_target(self.settings.api_url)
                forwarder = ApiForwarder(socket, (connect, port)).start()
                etc = _write_etc(folder, hostname, uid)
                options, command = self._bwrap_args(
                    folder, work, env_dir, etc, image, env, uid, port, socket, launch.argv
                )
                argv = self._launcher(group, options, command, folder)
            else:
                argv = ["sh", "-c", f'{group.shell_prefix()}exec "$@"', "sh", *launch.argv]
            return self._supervise(argv, env if not sandboxed else {}, work, launch, group, host)
        finally:
            if forwarder is not None:
                forwarder.close()
            if socket is not None and socket.parent != folder:
                shutil.rmtree(socket.parent, ignore_errors=True)
            group.kill_all()
            group.remove()

    def _launcher(
        self, group: Group, options: list[str], command: list[str], folder: Path
    ) -> list[str]:
        """The command that joins the run's cgroup (or sets its rlimit), then execs
        bwrap with its options (mounts, environment: the run's key) read from a file,
        so no process listing shows them; only the command is on the command line."""
        args_file = folder / "bwrap.args"
        args_file.write_bytes(b"".join(a.encode() + b"\0" for a in options))
        args_file.chmod(0o600)
        assert self.bwrap is not None
        script = f'{group.shell_prefix()}f="$1"; shift; exec "$0" --args 3 "$@" 3<"$f"'
        return ["sh", "-c", script, self.bwrap, str(args_file), "--", *command]

    def _bwrap_args(
        self,
        folder: Path,
        work: Path,
        env_dir: Path,
        etc: dict[str, Path],
        image: Image,
        env: dict[str, str],
        uid: int | None,
        port: int,
        socket: Path,
        argv: list[str],
    ) -> tuple[list[str], list[str]]:
        """bwrap's options, and the command it runs in the sandbox."""
        args = [
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            "civis-job",
            "--die-with-parent",
            "--new-session",
        ]
        if not self.privileged:
            args += ["--unshare-user", "--disable-userns"]
        args += ["--ro-bind", "/usr", "/usr"]
        for link in SYSTEM_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        # /dev/shm for POSIX semaphores and shared memory (multiprocessing, joblib).
        tmp_bytes = str(self.settings.tmp_size_mb * 1024 * 1024)
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--perms", "1777", "--size", tmp_bytes, "--tmpfs", "/dev/shm"]
        args += ["--perms", "1777", "--size", tmp_bytes, "--tmpfs", "/tmp"]
        mounts: list[tuple[str, str, str]] = [
            ("--ro-bind", str(image.path), IMAGE_MOUNT),
            ("--bind", str(env_dir), ENV_MOUNT),
            ("--bind", str(work), WORK_MOUNT),
            ("--ro-bind", str(Path(sandbox_init.__file__).resolve()), INIT_MOUNT),
            ("--bind", str(socket), SOCKET_MOUNT),
            ("--ro-bind", str(self.platform_root()), PLATFORM_MOUNT),
        ]
        for package in PLATFORM_PACKAGES:
            mounts.append(("--ro-bind", _package_dir(package), f"{PLATFORM_MOUNT}/{package}"))
        if not image.base_prefix.startswith("/usr/"):
            mounts.append(("--ro-bind", image.base_prefix, image.base_prefix))
        for name, path in etc.items():
            mounts.append(("--ro-bind", str(path), f"/etc/{name}"))
        made: set[str] = {"/", "/usr", "/proc", "/dev", "/tmp"}
        for kind, source, dest in mounts:
            args += _parents(dest, made)
            args += [kind, source, dest]
        args += ["--chdir", WORK_MOUNT, "--clearenv"]
        for name, value in env.items():
            args += ["--setenv", name, value]
        python = image.base_python
        user = "-" if uid is None else str(uid)
        inner = [python, "-I", "-S", INIT_MOUNT, str(port), SOCKET_MOUNT, user, "--", *argv]
        if uid is not None:
            # The init starts as root (to listen on the API's port, even below 1024), then
            # drops these for good (sandbox_init.drop_privileges).
            caps = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE")
            args += ["--cap-drop", "ALL"]
            for cap in caps:
                args += ["--cap-add", cap]
        else:
            args += ["--cap-drop", "ALL"]
        return args, inner

    def _supervise(
        self,
        argv: list[str],
        env: dict[str, str],
        work: Path,
        launch: Launch,
        group: Group,
        host: Host,
    ) -> Outcome:
        try:
            process = subprocess.Popen(
                argv,
                cwd=work,
                env=env or {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as error:
            return Outcome(None, error=f"The job could not be started: {error}")
        pump = LogPump(host)
        assert process.stdout is not None and process.stderr is not None
        pump.follow(process.stdout, is_stderr=False)
        pump.follow(process.stderr, is_stderr=True)
        limit = launch.limits.time_limit_seconds
        deadline = None if limit is None else time.monotonic() + limit
        ended_by: str | None = None
        with host.when_cancelled(lambda: _kill(process, group)):
            while True:
                try:
                    process.wait(timeout=0.05)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if host.is_cancel_requested():
                    ended_by = "cancel"
                    _kill(process, group)
                elif deadline is not None and time.monotonic() > deadline:
                    ended_by = "time"
                    _kill(process, group)
        status = process.wait()
        group.kill_all()
        pump.close(timeout=KILL_GRACE_SECONDS)
        if ended_by == "cancel" or host.is_cancel_requested():
            return Outcome(status, pump.last_error_line, cancelled=True)
        if ended_by == "time":
            return Outcome(
                status,
                pump.last_error_line,
                error=f"The run exceeded its time limit of {limit:g} s and was stopped.",
            )
        if status != 0 and group.oom_killed():
            return Outcome(
                status,
                pump.last_error_line,
                error=(
                    f"The run used more than its memory limit of {launch.limits.memory_mb} MiB "
                    "(requiredResources.memory) and was killed."
                ),
            )
        if status > 128 and status - 128 < signal.NSIG:  # the init's way to say "signal N"
            status = -(status - 128)
        return Outcome(status, pump.last_error_line)

    # ------------------------------------------------------------------ platform packages

    def platform_root(self) -> Path:
        """The folder bound at ``/opt/civis/platform``, made once: wrappers for this
        distribution's console scripts in ``bin`` (``civis``, ``civis_joblib_worker``...,
        run by whatever ``python3`` is first on the job's PATH), the distribution's
        metadata, and empty mount points for its packages."""
        with self._lock:
            if self._platform_bin is None:
                self._platform_bin = write_platform_root(self.root / ".platform")
            return self._platform_bin

    def _platform_root(self, folder: Path) -> Path:
        """Unsandboxed runs: a folder with links to the platform's packages and bin."""
        root = folder / "platform"
        root.mkdir()
        shared = self.platform_root()
        for entry in shared.iterdir():
            if entry.name not in PLATFORM_PACKAGES:
                (root / entry.name).symlink_to(entry)
        for package in PLATFORM_PACKAGES:
            (root / package).symlink_to(_package_dir(package))
        return root


def _package_dir(name: str) -> str:
    module = sys.modules.get(name) or __import__(name)
    assert module.__file__ is not None
    return str(Path(module.__file__).resolve().parent)


def _parents(dest: str, made: set[str]) -> list[str]:
    """``--dir`` arguments (mode 0755) for every missing parent of ``dest``: bwrap would
    make them 0700, which an unprivileged run user cannot enter."""
    args: list[str] = []
    parts = Path(dest).parts
    for n in range(2, len(parts)):
        parent = str(Path(*parts[:n]))
        if parent not in made:
            made.add(parent)
            args += ["--perms", "0755", "--dir", parent]
    return args


def _chown_tree(folder: Path, uid: int) -> None:
    for path, dirs, files in os.walk(folder):
        os.chown(path, uid, uid)
        for name in [*dirs, *files]:
            os.lchown(os.path.join(path, name), uid, uid)


def _write_etc(folder: Path, api_host: str, uid: int | None) -> dict[str, Path]:
    """The sandbox's ``/etc/hosts`` (the API's name is loopback), ``passwd`` and ``group``."""
    etc = folder / "etc"
    etc.mkdir()
    names = " ".join(sorted({"localhost", "civis-job", api_host}))
    user_id = uid if uid is not None else os.getuid()
    files = {
        "hosts": f"127.0.0.1 {names}\n::1 localhost\n",
        "passwd": f"{RUN_USER}:x:{user_id}:{user_id}:Civis job:{WORK_MOUNT}:/bin/sh\n",
        "group": f"{RUN_USER}:x:{user_id}:\n",
    }
    paths = {}
    for name, text in files.items():
        path = etc / name
        path.write_text(text)
        path.chmod(0o644)
        paths[name] = path
    return paths


def make_env_layer(env_dir: Path, image: Image, *, image_path: str, platform_path: str) -> None:
    """The run's writable Python environment, stacked on the (read-only) image.

    A virtual environment whose interpreter is the image's base Python; a ``.pth``
    file adds the image's site-packages and the platform's packages after its own, so
    what a run installs (``pip install``, which targets ``sys.prefix``) goes here and
    wins, and pip never touches the image ("outside environment").
    """
    version = image.python_version
    site = env_dir / "lib" / f"python{version}" / "site-packages"
    site.mkdir(parents=True)
    bin_dir = env_dir / "bin"
    bin_dir.mkdir()
    for name in ("python", "python3", f"python{version}"):
        (bin_dir / name).symlink_to(image.base_python)
    (env_dir / "pyvenv.cfg").write_text(
        f"home = {os.path.dirname(image.base_python)}\n"
        "include-system-site-packages = false\n"
        f"version = {version}\n"
    )
    image_site = f"{image_path}/lib/python{version}/site-packages"
    (site / "_civis_image.pth").write_text(
        f"import site; site.addsitedir({image_site!r}); site.addsitedir({platform_path!r})\n"
    )


def write_platform_root(folder: Path) -> Path:
    """The platform folder of `LocalSandbox.platform_root`; returns ``folder``."""
    staging = folder.with_name(f"{folder.name}.{uuid.uuid4().hex[:8]}")
    (staging / "bin").mkdir(parents=True)
    for package in PLATFORM_PACKAGES:
        (staging / package).mkdir()
    version = _version()
    info = staging / f"civis_platform-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: civis-platform\nVersion: {version}\n"
    )
    (info / "top_level.txt").write_text("\n".join(PLATFORM_PACKAGES) + "\n")
    for name, value in _console_scripts():
        module, _, function = value.partition(":")
        script = staging / "bin" / name
        script.write_text(
            "#!/usr/bin/env python3\n"
            "import sys\n"
            f"from {module} import {function.split('.')[0]} as _main\n"
            "sys.exit(_main())\n"
        )
        script.chmod(0o755)
    for path, _dirs, _files in os.walk(staging):
        os.chmod(path, 0o755)
    _compile_packages()
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(staging, folder)
    return folder


def _compile_packages() -> None:
    """Byte-compile the platform's packages where they are installed (best effort):
    runs see them read-only and would otherwise recompile every module they import."""
    import compileall

    for package in PLATFORM_PACKAGES:
        with contextlib.suppress(OSError):
            compileall.compile_dir(_package_dir(package), quiet=2, workers=1)


def _version() -> str:
    try:
        return metadata.version("civis-platform")
    except metadata.PackageNotFoundError:
        return "0"


def _console_scripts() -> Iterable[tuple[str, str]]:
    try:
        entry_points = metadata.distribution("civis-platform").entry_points
    except metadata.PackageNotFoundError:
        return [("civis", "civis.cli:main")]
    return [
        (ep.name, ep.value)
        for ep in entry_points
        if ep.group == "console_scripts" and ep.name not in SERVER_ONLY_COMMANDS
    ]


def _kill(process: subprocess.Popen[bytes], group: Group) -> None:
    """Kill the sandbox: bwrap, and with it (die-with-parent, PID namespace) every
    process inside; the cgroup's members too, for good measure."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    group.kill_all()
