"""The sandbox served for real: gunicorn with two workers and a separate tick process share one fast clock, and
every page and API answer says it is a sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
import uuid
from datetime import datetime, timedelta

from tests.live_server import BIN, ROOT, gunicorn_serving

SANDBOX = {"MARKET_SANDBOX": "1", "MARKET_SANDBOX_FACTOR": "1440"}


def _operator_token(database_url: str) -> str:
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.domain.roles import Role
    from market.services.accounts import create_api_token
    from tests.factories import make_user

    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session, unit_of_work(session):
            return create_api_token(session, make_user(session, Role.OPERATOR))
    finally:
        engine.dispose()


def _get(url: str, token: str | None = None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers, response.read()


def _jump(base: str, token: str, **body) -> dict:
    request = urllib.request.Request(
        f"{base}/api/v1/sandbox/clock/jump", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Idempotency-Key": str(uuid.uuid4())})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_gunicorn_marks_every_answer_and_its_workers_and_the_tick_share_the_jumped_clock(tmp_path):
    with gunicorn_serving(tmp_path, _operator_token, environment=SANDBOX,
                          database_name="sandbox.sqlite3") as (base, token):
        headers, page = _get(f"{base}/catalogue")
        assert headers["X-IPD-Sandbox"] == "1" and headers["X-IPD-Sandbox-Factor"] == "1440"
        assert b"data-sandbox" in page and "沙箱环境".encode() in page  # the banner, in Chinese by default
        headers, body = _get(f"{base}/api/v1/sandbox/clock", token)
        assert headers["X-IPD-Sandbox"] == "1" and json.loads(body)["factor"] == 1440

        jumped = _jump(base, token, to="2030-01-01T00:00:00Z")
        assert jumped["time"].startswith("2030-01-01T0")  # and on: a real second is 24 sandbox minutes
        for _ in range(6):  # both workers answer in turn: each reads the jumped clock
            sandbox_time = datetime.fromisoformat(_get(f"{base}/api/v1/me", token)[0]["X-IPD-Sandbox-Time"])
            assert timedelta(0) <= sandbox_time - datetime.fromisoformat("2030-01-01T00:00:00+00:00") < timedelta(days=2)

        env = {**os.environ, **SANDBOX, "MARKET_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
               "MARKET_INSTANCE_DIR": str(tmp_path), "MARKET_SECRET_KEY": "e2e-secret-key-not-for-production",
               "PYTHONPATH": str(ROOT)}
        tick = subprocess.run([str(BIN / "flask"), "--app", "market.app", "tick", "--every", "0.2", "--runs", "2"],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert tick.returncode == 0, tick.stderr
        assert [line[:20] for line in tick.stdout.splitlines()] == ["[sandbox 2030-01-01 "] * 2
