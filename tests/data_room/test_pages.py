"""The data room page: documents behind the NDA gate, uploads, questions and answers, inspections."""

import io
from datetime import timedelta

import sqlalchemy as sa

from market.domain.data_room import NDA_VERSION
from market.domain.documents import sha256_hex
from market.domain.roles import Role
from market.models import DocumentDownload, LotQuestion, RoomDocument
from market.web.forms.auctions import utc_to_beijing_input
from tests.factories import make_user
from tests.factories_auctions import make_operator
from tests.factories_data_room import PDF, add_document, lot_with_bidder, make_lot
from tests.factories_workflow import sign_in


def test_the_public_sees_the_fingerprint_and_downloads_only_public_documents(client, session, clock):
    case, seller, _bidder = lot_with_bidder(session, clock)
    public = add_document(session, clock, case, seller, confidential=False, title="登记簿摘录")
    secret = add_document(session, clock, case, seller, title="估值报告")
    html = client.get(f"/lots/{case.id}/room").get_data(as_text=True)
    assert sha256_hex(PDF) in html and "登记簿摘录" in html and "估值报告" in html
    answer = client.get(f"/lots/{case.id}/room/documents/{public.id}")
    assert answer.status_code == 200 and answer.data == PDF
    assert answer.headers["X-Content-SHA256"] == sha256_hex(PDF)
    assert client.get(f"/lots/{case.id}/room/documents/{secret.id}").status_code == 403
    assert session.scalar(sa.select(sa.func.count(DocumentDownload.id))) == 1


def test_a_registered_bidder_accepts_the_nda_and_then_downloads(client, session, clock):
    case, seller, bidder = lot_with_bidder(session, clock)
    secret = add_document(session, clock, case, seller)
    sign_in(client, bidder)
    assert 'data-form="accept-nda"' in client.get(f"/lots/{case.id}/room").get_data(as_text=True)
    assert client.get(f"/lots/{case.id}/room/documents/{secret.id}").status_code == 403
    refused = client.post(f"/lots/{case.id}/room/nda", data={"nda-version": NDA_VERSION})
    assert refused.status_code == 422  # the box is not ticked
    client.post(f"/lots/{case.id}/room/nda", data={"nda-version": NDA_VERSION, "nda-agree": "y"})
    assert client.get(f"/lots/{case.id}/room/documents/{secret.id}").status_code == 200


def test_the_seller_uploads_a_document_from_the_page(client, session, clock):
    case, seller, _bidder = lot_with_bidder(session, clock)
    sign_in(client, seller)
    answer = client.post(f"/lots/{case.id}/room/documents", content_type="multipart/form-data", data={
        "document-category": "valuation_report", "document-title": "评估报告", "document-confidential": "y",
        "document-file": (io.BytesIO(PDF), "评估报告.pdf")})
    assert answer.status_code == 302
    entry = session.scalar(sa.select(RoomDocument))
    assert (entry.title, entry.confidential, entry.document.sha256) == ("评估报告", True, sha256_hex(PDF))


def test_a_file_larger_than_the_ordinary_body_limit_uploads(client, session, clock):
    case, seller, _bidder = lot_with_bidder(session, clock)
    sign_in(client, seller)
    big = PDF + b"0" * (2 * 1024 * 1024)
    answer = client.post(f"/lots/{case.id}/room/documents", content_type="multipart/form-data", data={
        "document-category": "title_certificate", "document-file": (io.BytesIO(big), "证书.pdf")})
    assert answer.status_code == 302


def test_a_renamed_file_is_refused_on_the_page(client, session, clock):
    case, seller, _bidder = lot_with_bidder(session, clock)
    sign_in(client, seller)
    answer = client.post(f"/lots/{case.id}/room/documents", content_type="multipart/form-data", data={
        "document-category": "other", "document-file": (io.BytesIO(b"MZ..."), "report.pdf")})
    assert answer.status_code == 422 and "is not what its name says" in answer.get_data(as_text=True)


def test_a_bidder_may_not_upload(client, session, clock):
    case, _seller, bidder = lot_with_bidder(session, clock)
    sign_in(client, bidder)
    answer = client.post(f"/lots/{case.id}/room/documents", content_type="multipart/form-data", data={
        "document-category": "other", "document-file": (io.BytesIO(PDF), "x.pdf")})
    assert answer.status_code == 403


def test_a_question_is_asked_answered_and_published_without_the_asker(client, session, clock):
    case = make_lot(session, clock)
    asker, operator = make_user(session, Role.BANK, display_name="提问人张三"), make_operator(session)
    session.commit()
    sign_in(client, asker)
    assert client.post(f"/lots/{case.id}/questions", data={"question-text": "是否有在先许可？"}).status_code == 302
    client.post("/logout")
    sign_in(client, operator)
    question = session.scalar(sa.select(LotQuestion))
    assert "是否有在先许可？" in client.get(f"/lots/{case.id}/room").get_data(as_text=True)
    client.post(f"/lots/{case.id}/questions/{question.id}/answer", data={"answer-text": "有一项普通许可，见资料室。"})
    client.post("/logout")
    for page in (f"/lots/{case.id}/room", f"/catalogue/{case.id}"):
        html = client.get(page).get_data(as_text=True)
        assert "是否有在先许可？" in html and "有一项普通许可，见资料室。" in html
        assert "提问人张三" not in html and asker.email not in html


def test_questions_are_refused_after_the_close(client, session, clock):
    case = make_lot(session, clock)
    operator, asker = make_operator(session), make_user(session)
    session.commit()
    sign_in(client, operator)
    closes = utc_to_beijing_input(clock() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/lots/{case.id}/questions/close", data={"close-closes_at": closes}).status_code == 302
    client.post("/logout")
    clock.advance(days=2)
    sign_in(client, asker)
    answer = client.post(f"/lots/{case.id}/questions", data={"question-text": "还能问吗？"})
    assert answer.status_code == 409 and "closed at" in answer.get_data(as_text=True)


def test_the_operator_publishes_a_slot_and_a_bidder_books_it(client, session, clock):
    case, _seller, bidder = lot_with_bidder(session, clock)
    operator = make_operator(session)
    session.commit()
    sign_in(client, operator)
    start = utc_to_beijing_input(clock() + timedelta(days=2))
    answer = client.post(f"/lots/{case.id}/inspections", data={
        "slot-kind": "inventor_session", "slot-starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "slot-ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "slot-place": "交易中心三楼",
        "slot-capacity": "2"})
    assert answer.status_code == 302
    client.post("/logout")
    sign_in(client, bidder)
    html = client.get(f"/lots/{case.id}/room").get_data(as_text=True)
    slot_id = int(html.split('data-slot="', 1)[1].split('"', 1)[0])
    assert client.post(f"/lots/{case.id}/inspections/{slot_id}/book").status_code == 302
    assert "1 / 2" in client.get(f"/lots/{case.id}/room").get_data(as_text=True)
