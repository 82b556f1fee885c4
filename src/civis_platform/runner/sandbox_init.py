"""The first process inside a sandbox (standard library only; runs as ``python -I -S``).

The sandbox has its own network namespace with nothing but loopback, so a run reaches
the API only through this forwarder: it listens on ``127.0.0.1:<port>`` (the port of
the ``CIVIS_API_ENDPOINT`` the run is given) and pipes each connection to the Unix
socket the worker serves at ``<socket>``, which leads to the API and nowhere else.

When the server runs as root, this process starts as root inside the sandbox (so that it
can listen on the API's port even below 1024) and then drops to the run's own user for
good: it clears its capability bounding set, its groups, sets the uid and gid, and
``no_new_privs`` (no setuid program can give privileges back). ``-`` as the uid means
the sandbox already runs as an unprivileged user.

Then it starts the run's command (``argv``), waits for it and exits with its status
(128 + N when killed by signal N). Usage::

    python -I -S sandbox_init.py <port> <socket> <uid or -> -- <argv...>

This file is bound read-only into every sandbox; it must not import the platform.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading

CHUNK = 256 * 1024


def pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until ``source`` ends; then end both directions
    that this copy owns (the worker's forwarder pipes with it too)."""
    try:
        while True:
            data = source.recv(CHUNK)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
            with contextlib.suppress(OSError):
                sock.shutdown(how)


def _serve(listener: socket.socket, target: str) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        try:
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(target)
        except OSError:
            client.close()
            continue
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(source, sink), daemon=True).start()


PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
LAST_CAPABILITY = 63


def drop_privileges(uid: int) -> None:
    """Become ``uid`` for good (see the module docstring); raises OSError on failure."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(LAST_CAPABILITY + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL past the kernel's last cap
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


def main(args: list[str]) -> int:
    """Forward the API port, run the command, return its exit status."""
    port, target, uid, separator, *argv = args
    if separator != "--" or not argv:
        print("usage: sandbox_init.py PORT SOCKET UID -- ARGV...", file=sys.stderr)
        return 2
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(port)))
    listener.listen(64)
    if uid != "-":
        try:
            drop_privileges(int(uid))
        except OSError as error:
            print(f"cannot drop privileges: {error}", file=sys.stderr)
            return 126
    threading.Thread(target=_serve, args=(listener, target), daemon=True).start()
    try:
        pid = os.posix_spawnp(argv[0], argv, dict(os.environ))
    except OSError as error:
        print(f"cannot start {argv[0]}: {error.strerror}", file=sys.stderr)
        return 127
    # Pass termination on to the command; the sandbox's pid 1 reaps the rest.
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda received, _frame: os.kill(pid, received))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
