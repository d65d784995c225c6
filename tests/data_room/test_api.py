"""The data room and questions through the API: documents with their SHA-256, the NDA, uploads, questions."""

import base64
import uuid

import sqlalchemy as sa

from market.domain.data_room import NDA_VERSION
from market.domain.documents import sha256_hex
from market.domain.roles import Role
from market.models import DocumentDownload
from market.services.accounts import create_api_token
from tests.factories import make_user
from tests.factories_auctions import make_operator
from tests.factories_data_room import PDF, add_document, lot_with_bidder, make_lot


def _bearer(session, user) -> dict:
    headers = {"Authorization": f"Bearer {create_api_token(session, user)}"}
    session.commit()
    return headers


def _post(client, url, headers, body):
    return client.post(url, json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})


def test_a_bidder_lists_documents_accepts_the_nda_and_downloads_with_the_fingerprint(client, session, clock):
    case, seller, bidder = lot_with_bidder(session, clock)
    entry = add_document(session, clock, case, seller)
    headers = _bearer(session, bidder)
    listed = client.get(f"/api/v1/lots/{case.id}/documents", headers=headers).get_json()
    assert listed["access"] == "needs_nda" and listed["nda_version"] == NDA_VERSION
    assert [(d["sha256"], d["may_open"]) for d in listed["items"]] == [(sha256_hex(PDF), False)]
    refused = client.get(f"/api/v1/lots/{case.id}/documents/{entry.id}", headers=headers)
    assert refused.status_code == 403 and refused.get_json()["error"] == "nda_required"
    accepted = _post(client, f"/api/v1/lots/{case.id}/nda", headers, {"version": NDA_VERSION})
    assert accepted.status_code == 200 and accepted.get_json()["access"] == "full"
    body = client.get(f"/api/v1/lots/{case.id}/documents/{entry.id}", headers=headers).get_json()
    assert base64.b64decode(body["content_base64"]) == PDF and body["sha256"] == sha256_hex(PDF)
    assert session.scalar(sa.select(DocumentDownload.via)) == "api"


def test_an_outdated_nda_version_is_refused(client, session, clock):
    case, _seller, bidder = lot_with_bidder(session, clock)
    answer = _post(client, f"/api/v1/lots/{case.id}/nda", _bearer(session, bidder), {"version": "1999-1"})
    assert answer.status_code == 409 and answer.get_json()["params"] == {"version": NDA_VERSION}


def test_the_seller_adds_a_document_as_base64(client, session, clock):
    case, seller, _bidder = lot_with_bidder(session, clock)
    answer = _post(client, f"/api/v1/lots/{case.id}/documents", _bearer(session, seller), {
        "category": "licence", "title": "普通许可合同", "confidential": True, "filename": "licence.pdf",
        "content_base64": base64.b64encode(PDF).decode()})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["sha256"] == sha256_hex(PDF)


def test_another_bank_may_not_add_documents(client, session, clock):
    case, _seller, _bidder = lot_with_bidder(session, clock)
    answer = _post(client, f"/api/v1/lots/{case.id}/documents", _bearer(session, make_user(session, Role.BANK)), {
        "category": "other", "confidential": False, "filename": "x.pdf",
        "content_base64": base64.b64encode(PDF).decode()})
    assert answer.status_code == 403


def test_a_question_asked_and_answered_through_the_api_is_published(client, session, clock):
    case = make_lot(session, clock)
    asker, operator = _bearer(session, make_user(session, Role.AIC)), _bearer(session, make_operator(session))
    asked = _post(client, f"/api/v1/lots/{case.id}/questions", asker, {"text": "质押登记是否已注销？"})
    assert asked.status_code == 201
    waiting = client.get(f"/api/v1/lots/{case.id}/questions/waiting", headers=operator).get_json()
    assert [q["text"] for q in waiting["items"]] == ["质押登记是否已注销？"]
    question_id = asked.get_json()["id"]
    answered = _post(client, f"/api/v1/lots/{case.id}/questions/{question_id}/answer", operator,
                     {"text": "成交后办理注销。"})
    assert answered.status_code == 200
    published = client.get(f"/api/v1/lots/{case.id}/questions").get_json()
    assert published["open"] is True
    assert [(q["text"], q["answer"]) for q in published["items"]] == [("质押登记是否已注销？", "成交后办理注销。")]
    again = _post(client, f"/api/v1/lots/{case.id}/questions/{question_id}/answer", operator, {"text": "改"})
    assert again.status_code == 409


def test_only_the_centre_reads_the_waiting_questions(client, session, clock):
    case = make_lot(session, clock)
    assert client.get(f"/api/v1/lots/{case.id}/questions/waiting",
                      headers=_bearer(session, make_user(session))).status_code == 403
