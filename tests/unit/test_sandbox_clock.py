"""The sandbox's clock arithmetic and who may run a sandbox where (pure: no app, no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from market.config import SandboxRefused, sandbox_problem, sandbox_settings
from market.domain.sandbox import MAX_JUMP, ClockAnchor, ClockCannotGoBack, JumpTooFar

REAL = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
SANDBOX = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)


def anchor(factor: int = 1440) -> ClockAnchor:
    return ClockAnchor(real_at=REAL, sandbox_at=SANDBOX, factor=factor)


def test_a_real_minute_is_a_sandbox_day_at_1440():
    assert anchor().time_at(REAL + timedelta(minutes=1)) == SANDBOX + timedelta(days=1)
    assert anchor().time_at(REAL + timedelta(seconds=12.5)) == SANDBOX + timedelta(hours=5)


def test_the_rules_durations_pass_in_a_factors_share_of_real_time():
    clock = anchor()
    assert clock.real_time_of(SANDBOX + timedelta(days=30)) == REAL + timedelta(minutes=30)  # the notice
    assert clock.real_time_of(SANDBOX + timedelta(minutes=5)) == REAL + timedelta(seconds=300 / 1440)  # extension


def test_a_real_clock_set_back_does_not_take_the_sandbox_below_its_anchor():
    assert anchor().time_at(REAL - timedelta(seconds=30)) == SANDBOX


def test_a_new_clock_reads_real_time_and_runs_from_there():
    started = ClockAnchor.started(REAL, 60)
    assert started.time_at(REAL) == REAL and started.time_at(REAL + timedelta(minutes=1)) == REAL + timedelta(hours=1)


def test_a_jump_sets_a_new_anchor_at_the_moment_of_the_jump():
    later = REAL + timedelta(seconds=10)
    jumped = anchor().jumped_to(SANDBOX + timedelta(days=40), later)
    assert jumped == ClockAnchor(real_at=later, sandbox_at=SANDBOX + timedelta(days=40), factor=1440)
    assert jumped.time_at(later + timedelta(minutes=1)) == SANDBOX + timedelta(days=41)


def test_a_jump_refuses_to_go_back_and_names_the_time_it_reads():
    later = REAL + timedelta(minutes=1)  # the sandbox reads SANDBOX + 1 day
    with pytest.raises(ClockCannotGoBack) as refused:
        anchor().jumped_to(SANDBOX + timedelta(hours=23), later)
    assert refused.value.params == {"to": SANDBOX + timedelta(hours=23), "sandbox_now": SANDBOX + timedelta(days=1)}


def test_a_jump_to_the_time_it_reads_is_no_move_and_one_beyond_ten_years_is_refused():
    assert anchor().jumped_to(SANDBOX, REAL).time_at(REAL) == SANDBOX
    with pytest.raises(JumpTooFar):
        anchor().jumped_to(SANDBOX + MAX_JUMP + timedelta(seconds=1), REAL)


def test_a_new_factor_carries_the_sandbox_time_on():
    later = REAL + timedelta(minutes=2)
    slower = anchor().running_at(60, later)
    assert slower.time_at(later) == SANDBOX + timedelta(days=2)
    assert slower.time_at(later + timedelta(minutes=1)) == SANDBOX + timedelta(days=2, hours=1)


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://ipd@db.example/ipd", "postgresql+psycopg://ipd:secret@db.example/market_prod",
    "sqlite:////srv/ipd/instance/market.sqlite3", "sqlite://", "not a url",
])
def test_a_sandbox_is_refused_on_a_database_not_named_as_a_sandbox(url):
    problem = sandbox_problem(url, "")
    assert problem is not None and "MARKET_SANDBOX=1 is refused" in problem
    assert "secret" not in problem


def test_a_sandbox_is_refused_with_market_env_production_whatever_the_database():
    assert "MARKET_ENV=production" in sandbox_problem("postgresql+psycopg://ipd@db/ipd_sandbox", "production")


@pytest.mark.parametrize("url", ["postgresql+psycopg://ipd@db.example/ipd_sandbox",
                                 "sqlite:////tmp/x/sandbox.sqlite3", "sqlite:///instance/Bank-SANDBOX.db"])
def test_a_database_named_as_a_sandbox_may_run_one(url):
    assert sandbox_problem(url, "staging") is None


def test_the_sandbox_switch_and_factor_are_read_strictly():
    assert sandbox_settings({}) == {"SANDBOX": False, "SANDBOX_FACTOR": 1440}
    assert sandbox_settings({"MARKET_SANDBOX": "1", "MARKET_SANDBOX_FACTOR": "60"}) == {
        "SANDBOX": True, "SANDBOX_FACTOR": 60}
    for environ in ({"MARKET_SANDBOX": "yes"}, {"MARKET_SANDBOX_FACTOR": "0"}, {"MARKET_SANDBOX_FACTOR": "1.5"}):
        with pytest.raises(SandboxRefused):
            sandbox_settings(environ)
