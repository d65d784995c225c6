"""The operator's audit-trail page: filters by case, actor, action and Beijing date; before and after; the
chain's verification, head hash and event count."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.roles import Role
from market.domain.workflow import CaseState as S
from market.models import AuditEvent
from market.services.audit import Actor, record_event
from tests.factories import make_user
from tests.factories_auctions import open_round
from tests.factories_workflow import case_in, sign_in
from tests.workflow.test_audit import _tamper


@pytest.fixture
def trail(session, clock):
    """Three cases: one taken to its notice (several events), one only filed, one with an auction round open;
    and an event of the system's."""
    bank_user, operator, published = case_in(session, clock, S.NOTICE_PUBLISHED)
    other = case_in(session, clock, S.FILED)[2]
    auction = open_round(session, clock, operator=operator)
    with unit_of_work(session):
        record_event(session, actor=Actor.system(), entity="loan", entity_id=77, action="reminder", now=clock())
    return {"operator": operator, "bank_user": bank_user, "published": published, "other": other, "auction": auction}


def _events_shown(html: str) -> int:
    return html.count('<tr id="event-')


def test_a_bank_may_not_open_the_audit_trail(client, trail):
    sign_in(client, trail["bank_user"])
    assert client.get("/operator/audit/").status_code == 403


def test_the_page_says_the_chain_verifies_and_names_its_head_and_size(client, session, trail):
    count = session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    head = session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    sign_in(client, trail["operator"])
    html = client.get("/operator/audit/").get_data(as_text=True)
    assert "Chain verified" in html and f"Events: {count}" in html and head in html
    assert _events_shown(html) == count


def test_an_edited_event_shows_the_chain_broken_at_it(app, client, session, trail):
    edited = session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "verify"))
    session.rollback()
    _tamper(app, f"UPDATE audit_event SET reason = 'nothing to see' WHERE id = {edited}")
    sign_in(client, trail["operator"])
    html = client.get("/operator/audit/").get_data(as_text=True)
    assert "Chain broken" in html and f"Event {edited} does not verify" in html


def _count(session, entity: str, entity_id: int) -> int:
    return session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.entity_type == entity, AuditEvent.entity_id == entity_id))


def test_a_case_filter_shows_its_events_and_its_objects_but_no_other_cases(client, session, trail):
    auction = trail["auction"]
    of_the_case, of_its_auction = _count(session, "case", auction.case_id), _count(session, "auction", auction.id)
    assert of_the_case and of_its_auction
    sign_in(client, trail["operator"])
    html = client.get(f"/operator/audit/?case={auction.case_id}").get_data(as_text=True)
    assert _events_shown(html) == of_the_case + of_its_auction
    assert f"Auction {auction.id}" in html
    assert _events_shown(client.get(f"/operator/audit/?case={trail['other'].id}").get_data(as_text=True)) == 1


def test_each_event_shows_its_state_before_and_after(client, trail):
    sign_in(client, trail["operator"])
    html = client.get(f"/operator/audit/?case={trail['published'].id}&action=publish_notice").get_data(as_text=True)
    assert _events_shown(html) == 1
    row = html.split('<tr id="event-')[1].split("</tr>")[0]
    assert "Valued" in row and "Notice published" in row
    assert re.search(r"Starting price</dt><dd>¥[\d,]+\.\d\d</dd>", row)  # details named, in the reader's money


def test_actor_filters_take_an_email_or_a_role(client, trail):
    sign_in(client, trail["operator"])
    by_email = client.get(f"/operator/audit/?actor={trail['bank_user'].email}").get_data(as_text=True)
    assert _events_shown(by_email) == 1 and "File" in by_email
    by_role = client.get("/operator/audit/?actor=system").get_data(as_text=True)
    assert _events_shown(by_role) == 1 and "Loan 77" in by_role


def test_a_date_filter_takes_beijing_days(client, session, clock, trail):
    clock.at = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # 01:00 on 2 December in Beijing
    with unit_of_work(session):
        record_event(session, actor=Actor.of(make_user(session, Role.OPERATOR)), entity="case",
                     entity_id=trail["other"].id, action="note", now=clock())
    sign_in(client, trail["operator"])
    assert _events_shown(client.get("/operator/audit/?since=2026-12-01&until=2026-12-01").get_data(as_text=True)) == 0
    assert _events_shown(client.get("/operator/audit/?since=2026-12-02").get_data(as_text=True)) == 1
