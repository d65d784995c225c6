"""The real app under gunicorn on a free loopback port with a temporary SQLite database, for browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
T = TypeVar("T")


@contextmanager
def gunicorn_serving(tmp_path: Path, arrange: Callable[[str], T], workers: int = 2,
                     environment: dict[str, str] | None = None,
                     database_name: str = "e2e.sqlite3") -> Iterator[tuple[str, T]]:
    """Migrate a fresh database (the SQLite file `database_name`), let `arrange(database_url)` fill it, serve it
    with `workers` processes (and `environment` added to this process's); yields (base_url, arranged)."""
    database_url = f"sqlite:///{tmp_path / database_name}"
    env = {**os.environ, "MARKET_DATABASE_URL": database_url, "MARKET_INSTANCE_DIR": str(tmp_path),
           "MARKET_SECRET_KEY": "e2e-secret-key-not-for-production", "PYTHONPATH": str(ROOT), **(environment or {})}
    subprocess.run([str(BIN / "flask"), "--app", "market.app", "init-db"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    arranged = arrange(database_url)
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "market.app:create_app()"]
    with serving(command, env=env, cwd=ROOT) as base:
        yield base, arranged


@contextmanager
def serving(gunicorn: list[str], env: dict[str, str], cwd: Path, ready_path: str = "/catalogue") -> Iterator[str]:
    """Run the gunicorn command line bound to a free loopback port until ready_path answers 200; yields the
    base URL and stops the server (its whole process group) afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([*gunicorn, "--bind", f"127.0.0.1:{port}"], env=env, cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a bound for a busy machine, not a timed assertion
        while True:
            try:
                with urllib.request.urlopen(f"{base}{ready_path}", timeout=10) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    _stop(server)  # first: its stderr ends only when it has stopped
                    raise RuntimeError("gunicorn did not start: " + server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield base
    finally:
        _stop(server)


def _stop(server: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (its own process group), if still there."""
    with suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=20)
