"""Registering for a lot through the API: who may bid, a proof per condition (multipart), submitting, and the
trading centre's decision."""

import io

from market.domain.documents import sha256_hex
from market.services.accounts import create_api_token
from tests.factories import make_user
from tests.factories_auctions import make_operator, make_ready_case, open_round
from tests.factories_qualification import PDF, add_condition

LICENCE = "持有集成电路设计行业许可证"


def _headers(session, user, key):
    token = create_api_token(session, user)
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key}


def _lot(session, clock):
    case = make_ready_case(session, clock)
    open_round(session, clock, case)
    return case, add_condition(session, clock, case, LICENCE)


def _upload(client, case, condition, headers, data=PDF, name="licence.pdf"):
    return client.post(f"/api/v1/lots/{case.id}/registration/proofs", headers=headers,
                       data={"condition_id": str(condition.id), "proof": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_bank_reads_who_may_bid_uploads_its_proof_and_submits(client, session, clock):
    case, condition = _lot(session, clock)
    bank = make_user(session)
    headers = _headers(session, bank, "proof-1")
    before = client.get(f"/api/v1/lots/{case.id}/registration", headers=headers).get_json()
    assert before["audience"] == "registered_institutions" and before["requires_approval"] is True
    assert before["conditions"] == [{"id": condition.id, "text": LICENCE}] and before["registration"] is None
    uploaded = _upload(client, case, condition, headers)
    assert uploaded.status_code == 201, uploaded.get_json()
    [proof] = uploaded.get_json()["registration"]["proofs"]
    assert proof["sha256"] == sha256_hex(PDF) and proof["condition_id"] == condition.id
    submitted = client.post(f"/api/v1/lots/{case.id}/registration", headers=headers | {"Idempotency-Key": "sub-1"})
    registration = submitted.get_json()["registration"]
    assert registration["status"] == "pending" and registration["credit_code"] == bank.institution.credit_code


def test_retrying_an_upload_with_the_same_key_replays_and_another_file_is_refused(client, session, clock):
    case, condition = _lot(session, clock)
    headers = _headers(session, make_user(session), "proof-retry")
    first = _upload(client, case, condition, headers)
    again = _upload(client, case, condition, headers)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    other = _upload(client, case, condition, headers, data=PDF + b"% another\n")
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_reused"


def test_an_upload_without_a_file_or_with_a_renamed_one_is_refused_with_what_to_fix(client, session, clock):
    case, condition = _lot(session, clock)
    headers = _headers(session, make_user(session), "x")
    missing = client.post(f"/api/v1/lots/{case.id}/registration/proofs", headers=headers | {"Idempotency-Key": "a"},
                          data={"condition_id": str(condition.id)}, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.get_json()["error"] == "document_missing"
    renamed = _upload(client, case, condition, headers | {"Idempotency-Key": "b"}, data=b"MZ\x90")
    assert renamed.status_code == 422 and renamed.get_json()["error"] == "document_content_mismatch"


def test_submitting_without_proof_names_the_condition(client, session, clock):
    case, _condition = _lot(session, clock)
    answer = client.post(f"/api/v1/lots/{case.id}/registration", headers=_headers(session, make_user(session), "s"))
    assert answer.status_code == 422 and answer.get_json()["params"] == {"condition": LICENCE}


def test_the_operator_lists_waiting_registrations_and_refuses_one_with_a_reason(client, session, clock):
    case, condition = _lot(session, clock)
    bank_headers = _headers(session, make_user(session), "p")
    _upload(client, case, condition, bank_headers)
    client.post(f"/api/v1/lots/{case.id}/registration", headers=bank_headers | {"Idempotency-Key": "q"})
    operator = _headers(session, make_operator(session), "d1")
    [waiting] = client.get("/api/v1/lots/registrations", headers=operator).get_json()["registrations"]
    no_reason = client.post(f"/api/v1/lots/registrations/{waiting['id']}/decision", headers=operator,
                            json={"approve": False, "reason": ""})
    assert no_reason.status_code == 422 and no_reason.get_json()["error"] == "decision_reason_missing"
    refused = client.post(f"/api/v1/lots/registrations/{waiting['id']}/decision",
                          headers=operator | {"Idempotency-Key": "d2"}, json={"approve": False, "reason": "已过期"})
    assert refused.get_json()["status"] == "refused" and refused.get_json()["reason"] == "已过期"
    mine = client.get(f"/api/v1/lots/{case.id}/registration", headers=bank_headers).get_json()
    assert mine["registration"]["status"] == "refused"


def test_a_bank_cannot_decide_or_list_registrations(client, session, clock):
    headers = _headers(session, make_user(session), "n")
    assert client.get("/api/v1/lots/registrations", headers=headers).status_code == 403
    assert client.post("/api/v1/lots/registrations/1/decision", headers=headers,
                       json={"approve": True}).status_code == 403


def test_an_upload_with_a_part_whose_name_cannot_be_read_is_still_answered(client, session, clock):
    case, condition = _lot(session, clock)
    body = (b'--XX\r\nContent-Disposition: form-data; name="\r*"\r\n\r\n{}\r\n'
            b'--XX\r\nContent-Disposition: form-data; name="proof"; filename="licence.pdf"\r\n\r\n' + PDF + b'\r\n'
            b'--XX\r\nContent-Disposition: form-data; name="condition_id"\r\n\r\n' + str(condition.id).encode()
            + b'\r\n--XX--\r\n')
    answer = client.post(f"/api/v1/lots/{case.id}/registration/proofs", data=body,
                         headers=_headers(session, make_user(session), "odd-part"),
                         content_type="multipart/form-data; boundary=XX")
    assert answer.status_code == 201, answer.get_json()  # the unreadable part is ignored, not a server error


def test_an_upload_without_its_condition_is_refused_naming_the_field(client, session, clock):
    case, _condition = _lot(session, clock)
    answer = client.post(f"/api/v1/lots/{case.id}/registration/proofs",
                         headers=_headers(session, make_user(session), "no-condition"),
                         data={"proof": (io.BytesIO(PDF), "licence.pdf")}, content_type="multipart/form-data")
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert "condition_id" in answer.get_json()["message"], answer.get_json()
