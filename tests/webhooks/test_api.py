"""The webhooks API: register (the secret answered once), refuse a bad address, rotate, switch off and on, read
the log; another institution's endpoint is a 404; the document describes every event in `webhooks`."""

import uuid

import sqlalchemy as sa

from market.domain.notices import NoticeType
from market.domain.roles import Role
from market.models import WebhookEndpoint
from market.services import webhooks
from market.services.accounts import create_api_token
from market.web.notice_words import SENTENCES
from market.webhook_sink import WebhookSink
from tests.factories import make_user
from tests.webhooks.test_outbox import CONFIG, _case_moved, _endpoint, bank_case  # noqa: F401 - a fixture


def _headers(session, user):
    return {"Authorization": f"Bearer {create_api_token(session, user)}", "Idempotency-Key": str(uuid.uuid4())}


def test_a_bank_registers_an_endpoint_by_api_and_gets_its_secret_once(session, client):
    headers = _headers(session, make_user(session, Role.BANK))
    answer = client.post("/api/v1/webhooks", headers=headers, json={
        "url": "https://api.bank.example/ipd/hooks", "event_types": ["auction.outbid", "auction.won"]})
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert body["secret"].startswith("whsec_") and body["event_types"] == ["auction.outbid", "auction.won"]
    assert body["enabled"] is True and body["waiting"] == 0
    listed = client.get("/api/v1/webhooks", headers=headers).json["endpoints"]
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    replay = client.post("/api/v1/webhooks", headers=headers, json={
        "url": "https://api.bank.example/ipd/hooks", "event_types": ["auction.outbid", "auction.won"]})
    assert replay.json["id"] == body["id"]  # the same key: the first answer, no second endpoint
    assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 1


def test_a_refused_address_and_an_unknown_event_type_are_422_with_a_code(session, client):
    headers = _headers(session, make_user(session, Role.BANK))
    answer = client.post("/api/v1/webhooks", headers=headers, json={
        "url": "http://api.bank.example/hooks", "event_types": ["auction.outbid"]})
    assert (answer.status_code, answer.json["error"], answer.json["params"]) == (422, "webhook_url_not_https", {})
    zh = client.post("/api/v1/webhooks", headers={**headers, "Idempotency-Key": "zh", "Accept-Language": "zh"},
                     json={"url": "https://10.1.2.3/hooks", "event_types": ["auction.outbid"]})
    assert zh.json["error"] == "webhook_url_private" and "内部网络" in zh.json["message"]
    unknown = client.post("/api/v1/webhooks", headers={**headers, "Idempotency-Key": "u"}, json={
        "url": "https://api.bank.example/hooks", "event_types": ["auction.sold"]})
    assert unknown.status_code == 422


def test_rotate_switch_off_and_on_and_read_the_log(session, clock, client, bank_case):  # noqa: F811
    with WebhookSink(clock=clock) as sink:
        endpoint, secret = _endpoint(session, clock, bank_case.bank_id, url=sink.url)
        notice = _case_moved(session, clock, bank_case)
        webhooks.send_due(session, clock(), CONFIG)
    banker = make_user(session, Role.BANK, institution=bank_case.bank)
    headers = _headers(session, banker)
    base = f"/api/v1/webhooks/{endpoint.id}"
    log = client.get(f"{base}/attempts", headers=headers).json["attempts"]
    assert [(a["event_id"], a["event_type"], a["status_code"], a["error"]) for a in log] == [
        (notice.id, "case.state_changed", 204, None)]
    rotated = client.post(f"{base}/secret", headers=headers).json
    assert rotated["secret"] != secret and rotated["secret_rotated_at"] == "2026-11-22T02:00:00.000Z"
    off = client.post(f"{base}/disable", headers={**headers, "Idempotency-Key": "off"}).json
    on = client.post(f"{base}/enable", headers={**headers, "Idempotency-Key": "on"}).json
    assert (off["enabled"], on["enabled"]) == (False, True)
    changed = client.post(base, headers={**headers, "Idempotency-Key": "types"}, json={
        "url": "https://api.bank.example/v2/hooks", "event_types": ["payment.due"]})
    assert changed.status_code == 200 and changed.json["event_types"] == ["payment.due"]


def test_another_institutions_endpoint_is_not_found(session, clock, client, bank_case):  # noqa: F811
    endpoint, _ = _endpoint(session, clock, bank_case.bank_id)
    headers = _headers(session, make_user(session, Role.BANK))
    base = f"/api/v1/webhooks/{endpoint.id}"
    assert client.get(base, headers=headers).status_code == 404
    assert client.get(f"{base}/attempts", headers=headers).status_code == 404
    assert client.post(f"{base}/secret", headers=headers).status_code == 404
    assert client.get("/api/v1/webhooks", headers=headers).json == {"endpoints": []}


def test_the_document_describes_every_event_in_its_webhooks_section(app, client):
    document = client.get("/api/v1/openapi.json").json
    section = document["webhooks"]
    assert set(section) == {t.value for t in NoticeType}
    outbid = section["auction.outbid"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    payload = outbid["allOf"][1]["properties"]["payload"]
    assert {"price_fen", "price", "minimum_fen", "minimum"} <= set(payload["required"])
    assert "WebhookEvent" in document["components"]["schemas"]
    with app.test_request_context():  # every fact a notice's sentence names is documented for its type
        import re
        for notice_type, sentence in SENTENCES.items():
            named = set(re.findall(r"%\((\w+)\)s", str(sentence)))
            documented = section[notice_type.value]["post"]["requestBody"]["content"]["application/json"][
                "schema"]["allOf"][1]["properties"]["payload"]["properties"]
            assert named <= set(documented), notice_type
