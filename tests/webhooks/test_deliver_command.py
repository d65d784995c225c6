"""`flask deliver` as it runs in production, a separate process: killed in the middle of its work and started
again, it delivers every committed event; the receiver dedupes by event id."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from market.domain.roles import Role
from market.models import WebhookDelivery
from market.services.webhooks import POSTING_THREADS
from market.webhook_sink import WebhookSink
from tests.factories import make_case, make_user
from tests.webhooks.test_outbox import _case_moved, _endpoint

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 30


def _deliverer(database_url: str, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MARKET_DATABASE_URL": database_url,
           "MARKET_SECRET_KEY": "test", "MARKET_INSTANCE_DIR": str(tmp_path),
           "MARKET_WEBHOOK_ALLOW_HTTP_LOOPBACK": "1", "MARKET_WEBHOOK_TIMEOUT": "2",
           "MARKET_WEBHOOK_CLAIM_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "market.app", "deliver", "--every", "0.2"],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_a_deliverer_killed_mid_run_and_restarted_delivers_every_event(session, clock, database_url, tmp_path):
    clock.at = datetime.now(UTC) - timedelta(minutes=1)  # the deliverer runs on the real clock
    case = make_case(session)
    make_user(session, Role.BANK, institution=case.bank)
    with WebhookSink(delay_s=0.5) as sink:  # slow enough that it dies with events left
        endpoint, sink.secret = _endpoint(session, clock, case.bank_id, url=sink.url)
        events = {_case_moved(session, clock, case).id for _n in range(EVENTS)}
        session.commit()
        first = _deliverer(database_url, tmp_path)
        try:
            assert sink.wait_for(5, timeout_s=60), first.stderr.read1().decode() if first.poll() else "too slow"
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        assert len(sink.events) < EVENTS  # it died with work left: committed, claimed, not yet sent
        second = _deliverer(database_url, tmp_path)
        try:
            assert sink.wait_for(EVENTS, timeout_s=60)
            assert _until_nothing_pending(session)
        finally:
            second.terminate()
            second.wait(timeout=10)
    assert set(sink.events) == events and sink.refused == 0
    assert sink.received - EVENTS <= POSTING_THREADS  # at most the deliveries in flight when it died came twice


def _until_nothing_pending(session, timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pending = session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.delivered_at.is_(None)))
        session.rollback()  # end the read: SQLite has one writer, and it is the deliverer
        if pending == 0:
            return True
        time.sleep(0.1)
    return False
