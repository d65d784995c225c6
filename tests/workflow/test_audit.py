"""The audit trail is append-only in the database itself and hash-chained; `verify-audit` finds an edited row."""

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
    engine = _engine(app)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(sa.text("DROP TRIGGER audit_event_no_update"))
            connection.execute(sa.text("DROP TRIGGER audit_event_no_delete"))
            connection.execute(sa.text(statement))
            for verb in ("UPDATE", "DELETE"):
                connection.execute(sa.text(
                    f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"))
        else:
            connection.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"))
            try:
                connection.execute(sa.text(statement))
            finally:
                connection.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change"))


def _verify(app):
    with app.app_context():
        return app.test_cli_runner().invoke(args=["verify-audit"])


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
