"""A private Ray head node on this machine, for the tests and the benchmark.

It runs ``ray start --head --block`` in a session of its own, on 127.0.0.1 with its own
temp dir, and is stopped by killing exactly the processes it started (never ``ray stop``,
which stops every Ray cluster of the machine).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

# The environment of the head node and of every driver that joins it. Ray otherwise
# replaces 127.0.0.1 with the machine's address and listens on every interface; the first
# variable keeps every server on the loopback. The token (fresh for each session) makes
# the cluster and its drivers independent of a ~/.ray/auth_token left by another Ray.
CLUSTER_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_AUTH_MODE": "token",
    "RAY_AUTH_TOKEN": secrets.token_hex(32),
}
STARTUP_SECONDS = 180
OBJECT_STORE_BYTES = 200 * 2**20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(root: int) -> list[int]:
    """``root`` and every process below it, now."""
    tree, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def kill_tree(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``process`` and every process below it, taken in one snapshot first (Ray's
    workers start sessions of their own, so killing a process group would miss them)."""
    for _ in range(2):
        for pid in descendants(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)


@contextlib.contextmanager
def local_cluster(temp: Path, cpus: int = 2) -> Iterator[str]:
    """Start a head node with ``cpus`` CPUs keeping its files in ``temp``; yield its
    address; kill it at the end.

    Raises:
        RuntimeError: it did not start within ``STARTUP_SECONDS``.
    """
    log = temp / "ray-start.log"
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "ray"), "start", "--head", "--block",
        "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", str(cpus),
        "--temp-dir", str(temp), "--disable-usage-stats", "--include-dashboard", "false",
        "--dashboard-port", str(free_port()), "--object-store-memory", str(OBJECT_STORE_BYTES),
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **CLUSTER_ENV},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while b"Ray runtime started" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"ray start failed:\n{tail}")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        kill_tree(process)
