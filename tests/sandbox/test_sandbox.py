"""A sandbox for integrators: a fast clock shared by every worker, jumps forward only, marked everywhere."""

import subprocess
import sys
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from market.app import create_app
from market.config import SandboxRefused
from market.db import unit_of_work
from market.domain.roles import Role
from market.models import AuditEvent
from market.services import sandbox
from market.services.accounts import create_api_token
from tests.conftest import START, make_test_app
from tests.factories import make_institution, make_user
from tests.factories_auctions import DEPOSIT, open_round

DAY = timedelta(days=1)


@pytest.fixture
def app(database_url, clock):
    """The marketplace as a sandbox running 1,440 times faster than the (injected) real clock."""
    app = make_test_app(database_url, clock, SANDBOX=True, SANDBOX_FACTOR=1440)
    yield app
    app.extensions["market.engine"].dispose()


def token_for(session, role=Role.BANK):
    user = make_user(session, role, institution=make_institution(session))
    session.commit()
    return {"Authorization": f"Bearer {create_api_token(session, user)}"}


def post(client, path, headers, **body):
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})


def run_tick(app):
    with app.app_context():
        return app.test_cli_runner().invoke(args=["tick"])


def sandbox_time(client, headers) -> datetime:
    return datetime.fromisoformat(client.get("/api/v1/sandbox/clock", headers=headers).get_json()["time"])


def test_a_real_minute_is_a_sandbox_day_and_every_worker_reads_the_same_time(app, client, session, clock,
                                                                               database_url):
    headers = token_for(session)
    assert sandbox_time(client, headers) == START  # the first read starts the clock at real time
    clock.advance(minutes=1)
    assert sandbox_time(client, headers) == START + DAY
    other_worker = make_test_app(database_url, clock, SANDBOX=True, SANDBOX_FACTOR=1440)
    try:
        assert sandbox_time(other_worker.test_client(), headers) == START + DAY
    finally:
        other_worker.extensions["market.engine"].dispose()


def test_every_answer_says_it_is_a_sandbox_with_the_sandbox_time(client, session, clock):
    headers = token_for(session)
    assert sandbox_time(client, headers) == START
    clock.advance(seconds=30)  # twelve sandbox hours
    page = client.get("/catalogue")
    assert page.headers["X-IPD-Sandbox"] == "1" and page.headers["X-IPD-Sandbox-Factor"] == "1440"
    assert page.headers["X-IPD-Sandbox-Time"] == "2026-11-22T14:00:00.000Z"
    assert b"data-sandbox" in page.data and b"SANDBOX" in page.data and b"<title>[Sandbox]" in page.data
    assert b"2026-11-22 22:00" in page.data  # the banner's sandbox time, in Beijing time
    answer = client.get("/api/v1/me", headers=headers)
    assert answer.headers["X-IPD-Sandbox"] == "1" and answer.headers["X-IPD-Sandbox-Time"] == "2026-11-22T14:00:00.000Z"
    refused = client.get("/api/v1/auctions/999", headers=headers)
    assert refused.status_code == 404 and refused.headers["X-IPD-Sandbox"] == "1"


def test_the_operator_jumps_the_clock_forward_and_the_jump_is_audited(client, session, clock):
    operator = token_for(session, Role.OPERATOR)
    answer = post(client, "/api/v1/sandbox/clock/jump", operator, forward_seconds=30 * 86400)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["time"] == "2026-12-22T02:00:00.000Z" and answer.get_json()["factor"] == 1440
    clock.advance(seconds=10)  # four sandbox hours later
    assert sandbox_time(client, operator) == START + 30 * DAY + timedelta(hours=4)
    answer = post(client, "/api/v1/sandbox/clock/jump", operator, to="2027-01-01T00:00:00Z")
    assert answer.get_json()["time"] == "2027-01-01T00:00:00.000Z"
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_type == "sandbox_clock")
                             .order_by(AuditEvent.id)).all()
    assert [event.action for event in events] == ["clock_started", "clock_jumped", "clock_jumped"]
    assert events[1].detail["sandbox_after_at"].startswith("2026-12-22T02:00")


def test_a_jump_back_is_refused_with_the_time_the_clock_reads(client, session, clock):
    operator = token_for(session, Role.OPERATOR)
    assert sandbox_time(client, operator) == START
    clock.advance(minutes=1)
    answer = post(client, "/api/v1/sandbox/clock/jump", operator, to="2026-11-22T12:00:00Z")
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "sandbox_clock_backwards"
    assert answer.get_json()["params"]["sandbox_now"] == "2026-11-23T02:00:00.000Z"
    assert sandbox_time(client, operator) == START + DAY


@pytest.mark.parametrize("body, code", [({}, "sandbox_jump_needs_one_target"),
                                        ({"forward_seconds": 60, "to": "2027-01-01T00:00:00Z"},
                                         "sandbox_jump_needs_one_target"),
                                        ({"forward_seconds": 0}, "invalid_integer"),
                                        ({"to": "2027-01-01T00:00:00"}, "invalid_moment")])
def test_a_jump_says_how_far_exactly_once(client, session, body, code):
    answer = post(client, "/api/v1/sandbox/clock/jump", token_for(session, Role.OPERATOR), **body)
    assert (answer.status_code, answer.get_json()["error"]) == (422, code)


def test_only_the_trading_centre_jumps_the_clock(client, session):
    answer = post(client, "/api/v1/sandbox/clock/jump", token_for(session, Role.BANK), forward_seconds=60)
    assert answer.status_code == 403


def test_the_operator_jumps_from_the_clock_page_and_a_bank_only_reads_it(client, session, auth):
    operator = make_user(session, Role.OPERATOR)
    bank = make_user(session, Role.BANK)
    session.commit()
    auth.login(operator.email)
    page = client.get("/operator/sandbox/")
    assert page.status_code == 200 and b'data-field="sandbox-time">2026-11-22 10:00:00' in page.data
    assert client.post("/operator/sandbox/jump", data={"amount": "2", "unit": "days"}).status_code == 302
    assert b'data-field="sandbox-time">2026-11-24 10:00:00' in client.get("/operator/sandbox/").data
    assert client.post("/operator/sandbox/jump", data={"amount": "0", "unit": "days"}).status_code == 422
    too_far = client.post("/operator/sandbox/jump", data={"amount": "4000", "unit": "days"})
    assert too_far.status_code == 422 and b"at most 3660 days" in too_far.data
    auth.logout()
    auth.login(bank.email)
    page = client.get("/operator/sandbox/")
    assert page.status_code == 200 and b"Jump forward" not in page.data
    assert client.post("/operator/sandbox/jump", data={"amount": "1", "unit": "days"}).status_code == 403


def test_a_new_configured_factor_carries_the_time_on_from_where_it_was(session, clock):
    with unit_of_work(session):
        sandbox.clock_anchor(session, clock(), 1440)
    later = clock.advance(minutes=1)
    with unit_of_work(session):
        slower = sandbox.clock_anchor(session, later, 60)
    assert slower.time_at(later) == START + DAY and slower.time_at(later + timedelta(minutes=1)) == START + DAY + \
        timedelta(hours=1)
    assert session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "factor_changed"


def test_outside_a_sandbox_there_is_no_sandbox_clock_and_no_mark(database_url, clock):
    real = make_test_app(database_url, clock)
    try:
        with real.extensions["market.sessions"]() as session, unit_of_work(session):
            headers = token_for(session)
        client = real.test_client()
        answer = client.get("/api/v1/sandbox/clock", headers=headers)
        assert (answer.status_code, answer.get_json()["error"]) == (404, "not_a_sandbox")
        assert "X-IPD-Sandbox" not in answer.headers
        assert b"data-sandbox" not in client.get("/catalogue").data
    finally:
        real.extensions["market.engine"].dispose()


def test_start_up_refuses_a_sandbox_on_a_production_database(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKET_SANDBOX", "1")
    monkeypatch.setenv("MARKET_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("MARKET_DATABASE_URL", "postgresql+psycopg://ipd:secret@db.example/ipd")
    with pytest.raises(SandboxRefused, match="name contains \"sandbox\""):
        create_app()
    monkeypatch.setenv("MARKET_DATABASE_URL", f"sqlite:///{tmp_path / 'sandbox.sqlite3'}")
    monkeypatch.setenv("MARKET_ENV", "production")
    with pytest.raises(SandboxRefused, match="MARKET_ENV=production"):
        create_app()
    monkeypatch.delenv("MARKET_ENV")
    assert create_app().config["SANDBOX"] is True


def test_the_command_line_refuses_to_start_a_sandbox_on_a_production_database(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "MARKET_SANDBOX": "1", "MARKET_SECRET_KEY": "x" * 32,
           "MARKET_DATABASE_URL": f"sqlite:///{tmp_path / 'market.sqlite3'}", "MARKET_INSTANCE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "market.app", "tick"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "MARKET_SANDBOX=1 is refused" in done.stderr


def test_tick_runs_on_its_own_schedule_and_names_the_sandbox_time(app, clock):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["tick", "--every", "0.1", "--runs", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2 and all(line.startswith("[sandbox 2026-11-22 02:00 UTC]") for line in lines)


def test_a_bank_rehearses_deposit_bids_extension_close_and_default_by_jumping_the_clock(app, client, session,
                                                                                          clock):
    operator, first, second = (token_for(session, role) for role in (Role.OPERATOR, Role.BANK, Role.BANK))
    assert sandbox_time(client, operator) == START
    auction = open_round(session, clock)  # 24 hours of bidding from now, sandbox time
    path = f"/api/v1/auctions/{auction.id}"
    for bank in (first, second):
        assert post(client, f"{path}/deposit", bank).status_code == 201
    assert post(client, f"{path}/bids", first, amount="1050000.00").status_code == 201
    assert post(client, f"{path}/bids", second, amount="1060000.00").status_code == 201

    post(client, "/api/v1/sandbox/clock/jump", operator, to="2026-11-23T01:57:00Z")  # three minutes before the end
    extended = post(client, f"{path}/bids", first, amount="1070000.00").get_json()["auction"]
    assert extended["ends_at"] == "2026-11-23T02:02:00.000Z"  # five sandbox minutes after the late bid

    clock.advance(seconds=1)  # a real second: 24 sandbox minutes, past the extended end
    tick = run_tick(app)
    assert "auctions: close ended rounds: 1" in tick.output, tick.output
    won = client.get(path, headers=first).get_json()
    assert won["status"] == "awarded" and won["leader"] == won["your_code"]
    assert won["payment_due_at"] == "2026-12-03T02:02:00.000Z"  # the rules' ten days, in sandbox time

    post(client, "/api/v1/sandbox/clock/jump", operator, forward_seconds=11 * 86400)
    tick = run_tick(app)
    assert "auctions: payment deadlines: 1" in tick.output, tick.output
    assert client.get(path, headers=first).get_json()["status"] == "defaulted"
    forfeited = session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_type == "auction",
                                                           AuditEvent.action == "winner_defaulted"))
    assert forfeited.detail["forfeited_fen"] == DEPOSIT
    assert forfeited.occurred_at > START + 11 * DAY  # the default happened at sandbox time
