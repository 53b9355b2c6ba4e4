"""`tipnet serve` in a process group of its own, as an operator starts it: started, waited for and stopped the same
way by every test that needs a real server process (workers, forwarded headers, body limits)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    base: str
    port: int
    proc: subprocess.Popen[bytes]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers: TERM to the group, KILL when it has not gone within 20 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextmanager
def serve(db_url: str, env: Mapping[str, str], *args: str, timeout: float = 120,
          ready: Callable[[Served], bool] | None = None) -> Iterator[Served]:
    """`tipnet serve --db DB_URL --port <free> ARGS` with exactly `env`; yields once `/health` answers 200 (and
    `ready`, when given, holds); fails the test with the server's last words when it exits or does not get there."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tipnet.cli", "serve", "--db", db_url, "--port", str(port), *args],
                            env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    served = Served(f"http://127.0.0.1:{port}", port, proc)
    try:
        deadline = time.monotonic() + timeout
        seen: object = None
        while True:
            if proc.poll() is not None:
                pytest.fail(f"tipnet serve exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                seen = httpx.get(f"{served.base}/health", timeout=2).status_code
                if seen == 200 and (ready is None or ready(served)):
                    break
            except httpx.TransportError as exc:
                seen = exc
            if time.monotonic() > deadline:
                stop(proc)
                err = proc.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
                pytest.fail(f"tipnet serve was not ready within {timeout:.0f} s ({seen!r}): {err[-3000:]}")
            time.sleep(0.3)
        yield served
    finally:
        stop(proc)
