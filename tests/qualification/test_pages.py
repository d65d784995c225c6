"""The lot's page, the operator's registrations and bans desks, and the approval shown on the award."""

import io

import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.qualification import QualificationStatus
from market.domain.roles import Role
from market.models import LotRegistration
from market.services.auctions import pay_deposit
from market.services.bidding import place_bid
from market.services.closing import close_auction
from market.services.strikes import ban_in_force
from tests.factories import make_user
from tests.factories_auctions import START, make_operator, make_ready_case, open_round
from tests.factories_qualification import (
    PDF,
    add_condition,
    approve,
    register_with_proofs,
    win_and_leave_unpaid,
)
from tests.factories_workflow import sign_in

LICENCE = "持有集成电路设计行业许可证"


def _lot(session, clock):
    case = make_ready_case(session, clock)
    auction = open_round(session, clock, case)
    condition = add_condition(session, clock, case, LICENCE)
    return case, auction, condition


def test_the_operator_writes_a_condition_and_the_auction_page_states_who_may_bid(client, session, clock):
    case = make_ready_case(session, clock)
    auction = open_round(session, clock, case)
    operator = make_operator(session)
    sign_in(client, operator)
    page = client.post(f"/lots/{case.id}/conditions", data={"text": LICENCE}, follow_redirects=True)
    assert LICENCE in page.get_data(as_text=True)
    bank = make_user(session)
    session.commit()
    client.post("/logout")
    sign_in(client, bank)
    shown = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert "Who may bid" in shown and LICENCE in shown and 'data-field="approval-needed"' in shown


def test_a_bank_uploads_its_proof_submits_and_sees_it_waiting(client, session, clock):
    case, _auction, condition = _lot(session, clock)
    bank = make_user(session)
    sign_in(client, bank)
    client.post(f"/lots/{case.id}/proofs/{condition.id}",
                data={"proof": (io.BytesIO(PDF), "许可证.pdf")}, content_type="multipart/form-data")
    page = client.post(f"/lots/{case.id}/submit", follow_redirects=True).get_data(as_text=True)
    assert "Waiting for the trading centre" in page and "许可证.pdf" in page
    registration = session.scalar(sa.select(LotRegistration))
    session.refresh(registration)
    assert registration.status == QualificationStatus.PENDING


def test_a_renamed_file_is_refused_on_the_page_with_what_to_upload(client, session, clock):
    case, _auction, condition = _lot(session, clock)
    sign_in(client, make_user(session))
    page = client.post(f"/lots/{case.id}/proofs/{condition.id}", data={"proof": (io.BytesIO(b"MZ\x90"), "a.pdf")},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "is not what its name says" in page


def test_the_operator_sees_the_proof_with_its_fingerprint_and_refuses_with_a_reason(client, session, clock):
    case, _auction, _condition = _lot(session, clock)
    bank = make_user(session)
    registration = register_with_proofs(session, clock, case, bank)
    sign_in(client, make_operator(session))
    desk = client.get("/lots/registrations").get_data(as_text=True)
    assert bank.institution.name in desk
    page = client.get(f"/lots/registrations/{registration.id}").get_data(as_text=True)
    proof = registration.proofs[0]
    assert proof.document.sha256 in page and bank.institution.credit_code in page
    download = client.get(f"/lots/proofs/{proof.id}")
    assert download.data == PDF and download.headers["X-Content-SHA256"] == proof.document.sha256
    refused = client.post(f"/lots/registrations/{registration.id}", data={"refuse": "1", "reason": ""},
                          follow_redirects=True).get_data(as_text=True)
    assert "needs a reason" in refused
    client.post(f"/lots/registrations/{registration.id}", data={"refuse": "1", "reason": "许可证已过期"})
    session.refresh(registration)
    assert (registration.status, registration.decision_reason) == (QualificationStatus.REFUSED, "许可证已过期")


def test_another_bank_cannot_open_a_registration_or_its_proof(client, session, clock):
    case, _auction, _condition = _lot(session, clock)
    registration = register_with_proofs(session, clock, case, make_user(session))
    sign_in(client, make_user(session))
    assert client.get(f"/lots/registrations/{registration.id}").status_code == 404
    assert client.get(f"/lots/proofs/{registration.proofs[0].id}").status_code == 404
    assert client.get("/lots/registrations").status_code == 403


def test_the_award_shows_the_winners_approval(client, session, clock):
    case, auction, _condition = _lot(session, clock)
    bank = make_user(session)
    approved = approve(session, clock, register_with_proofs(session, clock, case, bank))
    with unit_of_work(session):
        pay_deposit(session, auction.id, bank.institution_id, now=clock(), user=bank)
        place_bid(session, auction.id, institution_id=bank.institution_id, amount_fen=START, now=clock())
    clock.advance(hours=25)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
    sign_in(client, bank)
    page = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert 'data-field="winner-approval"' in page and approved.decided_at is not None


def test_the_operator_lifts_a_ban_with_a_reason_on_the_bans_desk(client, session, clock):
    bank = make_user(session, Role.BANK)
    win_and_leave_unpaid(session, clock, bank)
    win_and_leave_unpaid(session, clock, bank)
    sign_in(client, make_operator(session))
    desk = client.get("/lots/bans").get_data(as_text=True)
    assert bank.institution.name in desk and 'data-form="lift-ban"' in desk
    ban = ban_in_force(session, bank.institution_id)
    page = client.post(f"/lots/bans/{ban.id}/lift", data={"reason": "已补缴并承诺"}, follow_redirects=True)
    assert "is lifted" in page.get_data(as_text=True)
    session.expire_all()
    assert ban_in_force(session, bank.institution_id) is None
