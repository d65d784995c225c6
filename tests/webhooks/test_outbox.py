"""Webhook deliveries: written with the action, posted signed, retried with backoff, endpoints switched off
after too many failures, and two deliverers never sending one row twice."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.db import is_postgresql, unit_of_work
from market.domain import webhooks as rules
from market.domain.notices import NoticeType, sign, verify
from market.domain.roles import Role
from market.models import WebhookDelivery, WebhookEndpoint
from market.services import webhooks
from market.services.notices import About, publish, unread_count
from market.webhook_sink import WebhookSink
from tests.factories import make_case, make_user

CONFIG = {"WEBHOOK_ALLOW_HTTP_LOOPBACK": True, "WEBHOOK_TIMEOUT": 2, "WEBHOOK_FAILURE_LIMIT": 8}
SETTINGS = webhooks.Settings.of(CONFIG)


def _endpoint(session, clock, institution_id, url="http://127.0.0.1:9/hooks",
              types=(NoticeType.CASE_STATE_CHANGED,)):
    with unit_of_work(session):
        endpoint, secret = webhooks.register_endpoint(session, institution_id=institution_id, url=url,
                                                      event_types=types, created_by_id=None, now=clock(),
                                                      settings=SETTINGS)
    return endpoint, secret


def _case_moved(session, clock, case, notice_type=NoticeType.CASE_STATE_CHANGED):
    with unit_of_work(session):
        return publish(session, notice_type, about=About("case", case.id, case.id), now=clock(),
                       institutions=[case.bank_id],
                       payload={"case_no": case.reference, "from_state": "filed", "to_state": "verified"})


def _deliveries(session):
    return session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


@pytest.fixture
def bank_case(session):
    case = make_case(session)
    make_user(session, Role.BANK, institution=case.bank)
    return case


def test_a_delivery_is_written_when_the_action_commits_and_not_when_it_rolls_back(session, clock, bank_case):
    _endpoint(session, clock, bank_case.bank_id)
    with pytest.raises(RuntimeError), unit_of_work(session):
        publish(session, NoticeType.CASE_STATE_CHANGED, about=About("case", bank_case.id, bank_case.id),
                now=clock(), institutions=[bank_case.bank_id])
        raise RuntimeError("the action failed after raising its notice")
    assert _deliveries(session) == []
    notice = _case_moved(session, clock, bank_case)
    assert [(d.notice_id, d.attempts, d.delivered_at) for d in _deliveries(session)] == [(notice.id, 0, None)]


def test_only_enabled_endpoints_that_asked_for_the_type_of_institutions_that_may_see_it_get_a_row(
        session, clock, bank_case):
    wanted, _ = _endpoint(session, clock, bank_case.bank_id)
    _endpoint(session, clock, bank_case.bank_id, types=(NoticeType.OUTBID,))
    switched_off, _ = _endpoint(session, clock, bank_case.bank_id)
    with unit_of_work(session):
        webhooks.set_enabled(session, switched_off.id, institution_id=bank_case.bank_id, enabled=False, now=clock())
    stranger = make_user(session, Role.BANK)
    _endpoint(session, clock, stranger.institution_id)
    with unit_of_work(session):  # named, but no user of it may see the case: its systems hear nothing either
        publish(session, NoticeType.CASE_STATE_CHANGED, about=About("case", bank_case.id, bank_case.id),
                now=clock(), institutions=[bank_case.bank_id, stranger.institution_id])
    assert [d.endpoint_id for d in _deliveries(session)] == [wanted.id]


def test_a_delivery_is_posted_signed_and_a_receiver_with_another_secret_refuses_it(session, clock, bank_case):
    with WebhookSink(secret="whsec_not-the-one", clock=clock) as sink:
        endpoint, secret = _endpoint(session, clock, bank_case.bank_id, url=sink.url)
        notice = _case_moved(session, clock, bank_case)
        assert webhooks.send_due(session, clock(), CONFIG) == 0 and sink.refused == 1
        sink.secret = secret
        clock.at = session.scalar(sa.select(WebhookDelivery.next_attempt_at))
        assert webhooks.send_due(session, clock(), CONFIG) == 1
    assert list(sink.events) == [notice.id] and sink.refused == 1
    event = sink.events[notice.id]
    assert event["type"] == "case.state_changed" and event["occurred_at"] == "2026-11-22T02:00:00.000Z"
    assert event["subject"] == {"kind": "case", "id": bank_case.id, "case_id": bank_case.id}
    assert event["payload"]["case_no"] == bank_case.reference
    log = session.scalars(webhooks.attempts_of(bank_case.bank_id, endpoint.id)).all()
    assert [(a.status_code, a.error) for a in log] == [(204, None), (401, "HTTP 401")]


def test_the_signature_of_a_body_verifies_only_with_the_secret_within_the_window(clock):
    body = b'{"id":1}'
    header = sign("whsec_x", int(clock().timestamp()), body)
    assert verify("whsec_x", header, body, clock() + timedelta(minutes=4))
    assert not verify("whsec_x", header, body, clock() + timedelta(minutes=6))


def test_a_receiver_that_fails_five_times_gets_the_delivery_later(session, clock, bank_case):
    with WebhookSink(fail_first=5, clock=clock) as sink:
        endpoint, secret = _endpoint(session, clock, bank_case.bank_id, url=sink.url)
        sink.secret = secret
        notice = _case_moved(session, clock, bank_case)
        waits = []
        for _attempt in range(6):
            assert webhooks.send_due(session, clock(), CONFIG) in (0, 1)
            delivery = session.scalar(sa.select(WebhookDelivery).execution_options(populate_existing=True))
            if delivery.delivered_at is not None:
                break
            assert webhooks.send_due(session, clock(), CONFIG) == 0  # not due again before its backoff
            waits.append(delivery.next_attempt_at - clock())
            clock.at = delivery.next_attempt_at
    assert list(sink.events) == [notice.id] and sink.refused == 0
    assert delivery.attempts == 6 and delivery.delivered_at is not None
    assert [round(w.total_seconds()) for w in waits] == [30, 60, 120, 240, 480]
    endpoint = session.get(WebhookEndpoint, endpoint.id, populate_existing=True)
    assert endpoint.enabled and endpoint.consecutive_failures == 0


def test_an_endpoint_is_switched_off_after_the_configured_failures_and_its_users_are_told(
        session, clock, bank_case, client, auth):
    banker = make_user(session, Role.BANK, institution=bank_case.bank)
    config = CONFIG | {"WEBHOOK_FAILURE_LIMIT": 3}
    with WebhookSink(fail_first=1000) as sink:
        endpoint, _secret = _endpoint(session, clock, bank_case.bank_id, url=sink.url)
        _case_moved(session, clock, bank_case)
        for _attempt in range(3):
            webhooks.send_due(session, clock(), config)
            clock.advance(hours=7)
        assert webhooks.send_due(session, clock(), config) == 0
        assert sink.received == 3
        endpoint = session.get(WebhookEndpoint, endpoint.id, populate_existing=True)
        assert not endpoint.enabled and endpoint.disabled_at is not None
        assert unread_count(session, banker.id) == 2  # the case's notice and the switch-off
        auth.login(banker.email)
        page = client.get("/notices/").get_data(as_text=True)
        assert "Webhook endpoint switched off" in page and sink.url in page
        sink.fail_first = 0
        with unit_of_work(session):
            webhooks.set_enabled(session, endpoint.id, institution_id=bank_case.bank_id, enabled=True, now=clock())
        assert webhooks.send_due(session, clock(), config) == 1
        assert len(sink.events) == 1


def test_two_deliverers_never_claim_the_same_delivery(app, session, clock, bank_case):
    _endpoint(session, clock, bank_case.bank_id)
    for _n in range(4):
        _case_moved(session, clock, bank_case)
    first = webhooks.claim_due(session, clock(), SETTINGS, limit=2)
    with app.extensions["market.sessions"]() as other:
        second = webhooks.claim_due(other, clock(), SETTINGS)
        assert webhooks.claim_due(other, clock(), SETTINGS) == []
    assert len(first) == 2 and len(second) == 2
    assert not {c.delivery_id for c in first} & {c.delivery_id for c in second}
    clock.advance(seconds=61)  # a deliverer that died: its claims come back after the lease
    assert len(webhooks.claim_due(session, clock(), SETTINGS)) == 4


def test_on_postgresql_a_deliverer_skips_the_rows_another_is_claiming(app, session, clock, bank_case):
    if not is_postgresql(session):
        pytest.skip("SQLite has one writer at a time: claims cannot overlap")
    _endpoint(session, clock, bank_case.bank_id)
    for _n in range(3):
        _case_moved(session, clock, bank_case)
    engine = app.extensions["market.engine"]
    with engine.connect() as holder:
        holder.begin()
        held = holder.execute(sa.text(
            "SELECT id FROM webhook_delivery ORDER BY id LIMIT 1 FOR UPDATE")).scalar_one()
        claimed = webhooks.claim_due(session, clock(), SETTINGS)  # does not wait for the held row
        holder.rollback()
    assert held not in {c.delivery_id for c in claimed} and len(claimed) == 2


def test_the_outbid_body_carries_the_new_price_and_the_next_minimum_in_fen_and_yuan(session, clock, bank_case):
    with unit_of_work(session):
        notice = publish(session, NoticeType.OUTBID, about=About("case", bank_case.id, bank_case.id), now=clock(),
                         institutions=[bank_case.bank_id],
                         payload={"title": "专利", "round_no": 1, "price_fen": 2230000, "minimum_fen": 2240000})
    body = webhooks.body_of(notice).decode()
    assert '"price":"22300.00"' in body and '"price_fen":2230000' in body
    assert '"minimum":"22400.00"' in body and '"minimum_fen":2240000' in body and "专利" in body


@pytest.mark.parametrize("url, refusal", [
    ("http://bank.example/hooks", rules.UrlNotHttps),
    ("http://127.0.0.1:8000/hooks", rules.UrlNotHttps),  # loopback over http needs the setting
    ("https://10.0.0.5/hooks", rules.UrlPrivateAddress),
    ("https://169.254.169.254/latest", rules.UrlPrivateAddress),
    ("https://user:pw@bank.example/hooks", rules.UrlWithCredentials),
    ("ftp://bank.example/hooks", rules.UrlMalformed),
    ("https://bank.example:99999/", rules.UrlMalformed),
    ("https://" + "a" * 500 + ".cn/", rules.UrlTooLong),
])
def test_an_endpoint_url_is_refused_with_its_reason(url, refusal):
    with pytest.raises(rules.EndpointUrlRefused) as refused:
        rules.check_endpoint_url(url)
    assert type(refused.value) is refusal


def test_https_to_a_public_host_and_http_to_loopback_where_allowed_are_accepted():
    assert rules.check_endpoint_url(" https://api.bank.example/ipd/hooks ") == "https://api.bank.example/ipd/hooks"
    assert rules.check_endpoint_url("http://localhost:8080/h", allow_http_loopback=True)
    assert rules.check_endpoint_url("http://[::1]:8080/h", allow_http_loopback=True)


def test_the_backoff_doubles_from_thirty_seconds_up_to_six_hours():
    assert [rules.retry_delay(n) for n in (1, 2, 3)] == [timedelta(seconds=30), timedelta(minutes=1),
                                                        timedelta(minutes=2)]
    assert rules.retry_delay(40) == timedelta(hours=6)


def test_the_outbox_takes_the_institutions_as_a_select_too(session, clock, bank_case):
    from market.models import Institution

    wanted, _ = _endpoint(session, clock, bank_case.bank_id)
    notice = _case_moved(session, clock, bank_case)
    session.execute(sa.delete(WebhookDelivery))
    with unit_of_work(session):  # as a publisher that picks the institutions in SQL would call it
        webhooks.enqueue(session, notice_id=notice.id, notice_type=notice.type, occurred_at=clock(),
                         institutions=sa.select(Institution.id).where(Institution.id == bank_case.bank_id))
    assert [(d.endpoint_id, d.notice_id) for d in _deliveries(session)] == [(wanted.id, notice.id)]
