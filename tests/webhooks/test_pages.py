"""The webhooks page: register an endpoint (secret shown once), refusals in the reader's words, the delivery log
of the institution's own endpoints only, rotating, switching off and on."""

import re

import sqlalchemy as sa

from market.domain.notices import NoticeType
from market.domain.roles import Role
from market.models import WebhookEndpoint
from market.services import webhooks
from market.webhook_sink import WebhookSink
from tests.factories import make_user
from tests.webhooks.test_outbox import CONFIG, _case_moved, _endpoint, bank_case  # noqa: F401 - a fixture


def _register(client, url, *types):
    return client.post("/account/webhooks", data={"url": url, "event_types": [t.value for t in types]})


def test_a_bank_registers_an_endpoint_and_sees_its_secret_once(session, client, auth):
    banker = make_user(session, Role.BANK)
    auth.login(banker.email)
    answer = _register(client, "https://api.bank.example/ipd/hooks", NoticeType.OUTBID, NoticeType.ROUND_WON)
    page = answer.get_data(as_text=True)
    endpoint = session.scalar(sa.select(WebhookEndpoint))
    assert answer.status_code == 201 and endpoint.secret in page
    assert endpoint.event_types == [NoticeType.OUTBID, NoticeType.ROUND_WON]
    shown = client.get(f"/account/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "https://api.bank.example/ipd/hooks" in shown and endpoint.secret not in shown
    assert endpoint.secret not in client.get("/account/webhooks").get_data(as_text=True)


def test_a_plain_http_address_is_refused_in_english_and_in_chinese(session, client, auth):
    banker = make_user(session, Role.BANK)
    auth.login(banker.email)
    answer = _register(client, "http://api.bank.example/hooks", NoticeType.OUTBID)
    assert answer.status_code == 422
    assert "Webhooks are delivered over https only" in answer.get_data(as_text=True)
    client.get("/language/zh")
    answer = _register(client, "http://api.bank.example/hooks", NoticeType.OUTBID)
    assert "仅通过 https 推送" in answer.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_an_institution_sees_only_its_own_endpoints_and_log(session, clock, client, auth, bank_case):  # noqa: F811
    with WebhookSink(clock=clock) as sink:
        ours, _ = _endpoint(session, clock, bank_case.bank_id, url=sink.url)
        _case_moved(session, clock, bank_case)
        assert webhooks.send_due(session, clock(), CONFIG) == 1
    stranger = make_user(session, Role.BANK)
    auth.login(stranger.email)
    assert sink.url not in client.get("/account/webhooks").get_data(as_text=True)
    assert client.get(f"/account/webhooks/{ours.id}").status_code == 404
    assert client.post(f"/account/webhooks/{ours.id}/secret").status_code == 404
    assert client.post(f"/account/webhooks/{ours.id}/disable").status_code == 404
    auth.logout()
    banker = make_user(session, Role.BANK, institution=bank_case.bank)
    auth.login(banker.email)
    page = client.get(f"/account/webhooks/{ours.id}").get_data(as_text=True)
    assert "Case moved on" in page and "204 Delivered" in page


def test_rotating_shows_a_new_secret_and_switching_off_and_on(session, clock, client, auth, bank_case):  # noqa: F811
    endpoint, old_secret = _endpoint(session, clock, bank_case.bank_id)
    banker = make_user(session, Role.BANK, institution=bank_case.bank)
    auth.login(banker.email)
    page = client.post(f"/account/webhooks/{endpoint.id}/secret").get_data(as_text=True)
    new_secret = re.search(r'id="webhook-secret">([^<]+)<', page).group(1)
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    assert session.get(WebhookEndpoint, endpoint.id, populate_existing=True).secret == new_secret
    client.post(f"/account/webhooks/{endpoint.id}/disable")
    assert not session.get(WebhookEndpoint, endpoint.id, populate_existing=True).enabled
    assert "Enable again" in client.get(f"/account/webhooks/{endpoint.id}").get_data(as_text=True)
    client.post(f"/account/webhooks/{endpoint.id}/enable")
    assert session.get(WebhookEndpoint, endpoint.id, populate_existing=True).enabled


def test_changing_the_event_types_on_the_page(session, clock, client, auth, bank_case):  # noqa: F811
    endpoint, _ = _endpoint(session, clock, bank_case.bank_id, url="https://api.bank.example/h")
    banker = make_user(session, Role.BANK, institution=bank_case.bank)
    auth.login(banker.email)
    answer = client.post(f"/account/webhooks/{endpoint.id}", data={
        "url": "https://api.bank.example/h2", "event_types": ["auction.outbid", "payment.due"]})
    assert answer.status_code == 302
    endpoint = session.get(WebhookEndpoint, endpoint.id, populate_existing=True)
    assert endpoint.url.endswith("/h2") and endpoint.event_types == [NoticeType.OUTBID, NoticeType.PAYMENT_DUE]
