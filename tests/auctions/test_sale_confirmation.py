"""The confirmation of sale (成交确认书): generated as a Chinese PDF when the buyer pays, kept with its SHA-256,
signed by an authorised user of each party, then kept signed."""

import io
from datetime import timedelta

import pypdf
import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.confirmation import (
    AlreadySigned,
    ConfirmationNotReady,
    ElectronicAcceptance,
    NotAPartyToTheSale,
    Party,
    PartyFacts,
    SaleFacts,
    Signatory,
    SignatureMethod,
)
from market.domain.documents import sha256_hex
from market.domain.errors import NotFound
from market.domain.roles import InstitutionKind, Role
from market.models import AuditEvent, SaleConfirmation
from market.services.confirmation_pdf import render_confirmation
from market.services.sale_confirmations import confirmation_for, sign_confirmation
from tests.factories import make_institution, make_user
from tests.factories_auctions import make_operator, make_sold_round, open_round

PRICE = "¥1,060,000.00"


def _text(data: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_payment_generates_the_confirmation_with_the_lot_the_price_and_both_parties(session, clock):
    case, seller, buyer = make_sold_round(session, clock)
    confirmation = confirmation_for(session, seller, case.id)
    document = confirmation.document
    assert document.media_type == "application/pdf" and document.filename.endswith(".pdf")
    assert confirmation.document_sha256 == document.sha256 == sha256_hex(document.content)
    text = _text(document.content)
    assert "成交确认书" in text and case.reference in text and case.title in text
    assert PRICE in text
    assert case.bank.name in text and buyer.institution.name in text
    assert case.assets[0].registry_number in text
    assert "第二十四条" in text  # the rule it rests on
    generated = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "confirmation_generated"))
    assert generated.detail["sha256"] == document.sha256


def test_the_same_facts_render_the_same_bytes(clock):
    facts = SaleFacts(
        case_reference="DC-2026-0001", lot_title="一种锂电池隔膜的制备方法", registry_numbers=("ZL202110000001.1",),
        round_no=2, bidding_ended_at=clock(), price_fen=106_000_000, deposit_applied_fen=10_500_000,
        paid_at=clock() + timedelta(days=3), seller=PartyFacts("北京银行", "91110000000000001A"),
        buyer=PartyFacts("中信金融资产投资有限公司", "91110000000000002B"), centre_name="北京知识产权交易中心",
        via_second_bidder=True)
    data = render_confirmation(facts)
    assert data == render_confirmation(facts)
    text = _text(data)
    assert "第 2 轮" in text and "最后出价" in text and PRICE in text


def test_both_parties_sign_and_the_signed_confirmation_records_each_signature(session, clock):
    case, seller, buyer = make_sold_round(session, clock)
    with unit_of_work(session):
        first = sign_confirmation(session, case.id, user=buyer, now=clock())
    assert (first.party, first.method) == (Party.BUYER, SignatureMethod.ELECTRONIC_ACCEPTANCE)
    confirmation = confirmation_for(session, seller, case.id)
    assert first.document_sha256 == confirmation.document_sha256 and confirmation.signed_document_id is None

    clock.advance(hours=1)
    with unit_of_work(session):
        sign_confirmation(session, case.id, user=seller, now=clock())
    session.refresh(confirmation)
    assert confirmation.signed_at == clock()
    signed = _text(confirmation.signed_document.content)
    assert confirmation.document_sha256 in signed
    assert "出让方" in signed and "买受人" in signed and PRICE in signed
    assert all(s.evidence_sha256 in signed.replace("\n", "") for s in confirmation.signatures)
    actions = list(session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "sale_confirmation")
                                   .order_by(AuditEvent.id)))
    assert actions == ["confirmation_generated", "confirmation_signed", "confirmation_signed",
                       "confirmation_completed"]


def test_each_party_signs_once_and_no_one_else_signs(session, clock):
    case, _seller, buyer = make_sold_round(session, clock)
    with unit_of_work(session):
        sign_confirmation(session, case.id, user=buyer, now=clock())
    with pytest.raises(AlreadySigned):
        sign_confirmation(session, case.id, user=buyer, now=clock())
    session.rollback()
    stranger = make_user(session, Role.BANK, institution=make_institution(session, InstitutionKind.BANK))
    with pytest.raises(NotFound):
        sign_confirmation(session, case.id, user=stranger, now=clock())
    session.rollback()
    operator = make_operator(session)
    with pytest.raises(NotAPartyToTheSale):
        sign_confirmation(session, case.id, user=operator, now=clock())
    session.rollback()


def test_an_inactive_user_of_a_party_is_not_authorised(session, clock):
    case, seller, _buyer = make_sold_round(session, clock)
    seller.active = False
    session.flush()
    with pytest.raises(NotAPartyToTheSale):
        sign_confirmation(session, case.id, user=seller, now=clock())
    session.rollback()


def test_before_payment_there_is_no_confirmation_yet(session, clock):
    auction = open_round(session, clock)
    seller = make_user(session, Role.BANK, institution=auction.case.bank)
    with pytest.raises(ConfirmationNotReady):
        confirmation_for(session, seller, auction.case_id)
    assert session.scalar(sa.select(sa.func.count(SaleConfirmation.id))) == 0


def test_an_electronic_acceptance_states_who_accepted_which_document_and_when(clock):
    by = Signatory(user_id=7, user_name="张三", institution_id=3, institution_name="工商银行", party=Party.SELLER)
    signature = ElectronicAcceptance().sign("ab" * 32, by=by, now=clock() + timedelta(hours=1))
    assert signature.document_sha256 == "ab" * 32
    assert "accepted_sha256=" + "ab" * 32 in signature.evidence and "party=seller" in signature.evidence
    assert len(signature.evidence_sha256) == 64
