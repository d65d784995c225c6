"""The audit trail is append-only in the database itself and hash-chained; `verify-audit` finds an edited row."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from market.domain.workflow import CaseState as S
from market.models import AuditEvent
from market.services import audit
from tests.factories_workflow import case_in


@pytest.fixture
def trail(session, clock):
    """A case taken to its notice, so the trail has several chained events."""
    case = case_in(session, clock, S.NOTICE_PUBLISHED)[2]
    session.rollback()
    return case


def _engine(app):
    return app.extensions["market.engine"]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET reason = 'rewritten' WHERE id = 2",
    "DELETE FROM audit_event WHERE id = 2",
    "UPDATE audit_event SET hash = prev_hash",
])
def test_the_database_refuses_to_change_or_delete_an_audit_event(app, trail, statement):
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with _engine(app).begin() as connection:
            connection.execute(sa.text(statement))
    with _engine(app).connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM audit_event WHERE reason = 'rewritten'")) == 0


def test_every_event_links_to_the_one_before_it(session, trail):
    events = list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))
    assert events[0].prev_hash == audit.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
    report = audit.verify_chain(session)
    assert report.ok and report.checked == len(events) == 5  # file, review, verify, value, publish


def _tamper(app, statement: str) -> None:
    """Change a row behind the trigger's back, as someone with the database password could."""
    with _behind_the_triggers(app) as connection:
        connection.execute(sa.text(statement))


@contextmanager
def _behind_the_triggers(app):
    """A connection with audit_event's append-only triggers off, as its owner could have."""
    engine = _engine(app)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(sa.text("DROP TRIGGER audit_event_no_update"))
            connection.execute(sa.text("DROP TRIGGER audit_event_no_delete"))
            yield connection
            for verb in ("UPDATE", "DELETE"):
                connection.execute(sa.text(
                    f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"))
        else:
            connection.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            try:
                yield connection
            finally:
                connection.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


def _verify(app, *anchors: str):
    with app.app_context():
        return app.test_cli_runner().invoke(args=["verify-audit", *(f"--anchor={kept}" for kept in anchors)])


def _anchor(app) -> str:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["audit-anchor"])
    assert result.exit_code == 0
    return result.output.strip()


def test_verify_audit_passes_on_an_untouched_trail(app, trail):
    result = _verify(app)
    assert result.exit_code == 0 and "intact" in result.output


def test_verify_audit_names_an_edited_event_and_exits_1(app, session, trail):
    edited = session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "verify"))
    session.rollback()
    _tamper(app, f"UPDATE audit_event SET reason = 'nothing to see' WHERE id = {edited}")
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at event {edited}" in result.output and "content was changed" in result.output


def test_verify_audit_notices_a_deleted_event(app, session, trail):
    removed = session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "start_review"))
    session.rollback()
    _tamper(app, f"DELETE FROM audit_event WHERE id = {removed}")
    result = _verify(app)
    assert result.exit_code == 1 and "predecessor is missing" in result.output


@pytest.fixture
def longer_trail(session, clock):
    """Two cases taken to their notices: ten chained events."""
    for _ in range(2):
        case_in(session, clock, S.NOTICE_PUBLISHED)
    session.rollback()


def test_an_anchor_is_reached_by_the_untouched_trail_and_by_a_longer_one(app, session, clock, longer_trail):
    kept = _anchor(app)
    assert kept.startswith("ipd1/10/")
    case_in(session, clock, S.NOTICE_PUBLISHED)
    session.commit()
    result = _verify(app, kept)
    assert result.exit_code == 0 and "15 events verified, 1 anchors reached" in result.output


def test_deleting_the_last_five_events_passes_the_chain_but_not_the_anchor(app, session, longer_trail):
    kept = _anchor(app)
    _tamper(app, "DELETE FROM audit_event WHERE id > 5")
    assert _verify(app).exit_code == 0  # what is left still chains: only the anchor knows what is missing
    result = _verify(app, kept)
    assert result.exit_code == 1
    assert "counted 10 events, the trail has 5: events were deleted" in result.output


def test_rewriting_an_event_and_recomputing_the_chain_misses_the_anchor(app, session, longer_trail):
    kept = _anchor(app)
    events = list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))
    session.expunge_all()  # keep them as read, to rewrite
    session.rollback()
    with _behind_the_triggers(app) as connection:
        prev = events[2].prev_hash
        for event in events[2:]:
            event.reason, event.prev_hash = (event.reason + " (rewritten)", prev) if event is events[2] else (
                event.reason, prev)
            event.hash = prev = audit.event_hash(event)
            connection.execute(sa.text("UPDATE audit_event SET reason = :reason, prev_hash = :prev, hash = :hash "
                                       "WHERE id = :id"),
                               {"reason": event.reason, "prev": event.prev_hash, "hash": event.hash, "id": event.id})
    assert _verify(app).exit_code == 0  # a consistent, rehashed chain
    result = _verify(app, kept)
    assert result.exit_code == 1 and "does not match event 10: the trail was rewritten" in result.output


def test_an_emptied_trail_misses_the_anchor(app, longer_trail):
    kept = _anchor(app)
    _tamper(app, "DELETE FROM audit_event")
    result = _verify(app, kept)
    assert result.exit_code == 1 and "the trail has 0: events were deleted" in result.output


@pytest.mark.parametrize("statement", ["TRUNCATE audit_event", "TRUNCATE bid", "TRUNCATE ledger_posting",
                                       "TRUNCATE user_account CASCADE"])
def test_postgresql_refuses_to_truncate_an_append_only_table(app, trail, statement):
    if _engine(app).dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE meets the row triggers")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with _engine(app).begin() as connection:
            connection.execute(sa.text(statement))
    with _engine(app).connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM audit_event")) == 5


def test_a_keyed_anchor_cannot_be_forged_without_the_key(database_url, clock):
    from tests.conftest import make_test_app

    app = make_test_app(database_url, clock, AUDIT_KEY="kept-in-the-environment")
    kept = _anchor(app)
    assert len(kept.split("/")[-1]) == 64  # the MAC
    assert _verify(app, kept).exit_code == 0
    forged = kept.rsplit("/", 1)[0] + "/" + "0" * 64
    result = _verify(app, forged)
    assert result.exit_code == 1 and "not authentic" in result.output
    unsigned = make_test_app(database_url, clock)
    assert _verify(unsigned, kept.rsplit("/", 1)[0] + "/-").exit_code == 0
    assert _verify(app, kept.rsplit("/", 1)[0] + "/-").exit_code == 1  # with a key, anchors must carry its MAC
    for each in (app, unsigned):
        each.extensions["market.engine"].dispose()
