"""The confirmation of sale (成交确认书): generated when the buyer of a round has paid, signed by both parties,
then kept signed; every step is audited (entity "sale_confirmation").

The rules (who signs, who reads, what a signature is) are market.domain.confirmation; the PDF is
market.services.confirmation_pdf; the bytes live in the document store with their SHA-256.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import is_postgresql
from market.domain.auction import DepositStatus
from market.domain.award_chain import SecondOfferStatus
from market.domain.confirmation import (
    DEFAULT_SIGNER,
    AlreadySigned,
    ConfirmationNotReady,
    DocumentChanged,
    Party,
    PartyFacts,
    SaleFacts,
    Signatory,
    SignedBy,
    Signer,
    check_authorised,
    may_read,
)
from market.domain.documents import sha256_hex
from market.domain.errors import NotFound
from market.domain.roles import SEES_EVERYTHING, InstitutionKind
from market.models import (
    Auction,
    AuctionBidder,
    ConfirmationSignature,
    DisposalCase,
    Institution,
    SaleConfirmation,
    SecondBidderOffer,
    User,
)
from market.services.audit import Actor, record_event
from market.services.confirmation_pdf import render_confirmation
from market.services.documents import store_document

if TYPE_CHECKING:
    from market.services.award_chain import Buyer

DEFAULT_CENTRE_NAME = "知识产权交易中心"


def generate_confirmation(session: so.Session, auction: Auction, case: DisposalCase, buyer: Buyer, *,
                          deposit_applied_fen: int, now: datetime, actor: Actor) -> SaleConfirmation:
    """Render the confirmation of a round its buyer has just paid, keep it with its SHA-256, and audit it."""
    facts = _facts(session, auction, case, buyer.bidder.institution, price_fen=buyer.price_fen,
                   deposit_applied_fen=deposit_applied_fen, paid_at=now, via_second_bidder=buyer.second_bidder)
    document = store_document(session, filename=f"成交确认书-{case.reference}.pdf",
                              data=render_confirmation(facts), now=now, by=actor.user)
    confirmation = SaleConfirmation(
        case_id=case.id, auction_id=auction.id, document_id=document.id, document_sha256=document.sha256,
        seller_institution_id=case.bank_id, buyer_institution_id=buyer.bidder.institution_id,
        price_fen=buyer.price_fen, generated_at=now)
    session.add(confirmation)
    session.flush()
    _audit(session, confirmation, "confirmation_generated", now, actor, None, "unsigned",
           {"case_id": case.id, "auction_id": auction.id, "sha256": document.sha256, "price_fen": buyer.price_fen})
    return confirmation


def confirmation_for(session: so.Session, user: User, case_id: int) -> SaleConfirmation:
    """The case's confirmation if the user may read it; ConfirmationNotReady when there is none yet (for
    someone who may read it), NotFound for anyone else."""
    confirmation = session.scalar(sa.select(SaleConfirmation).where(SaleConfirmation.case_id == case_id))
    if confirmation is None:
        case = session.get(DisposalCase, case_id)
        if case is not None and (user.role in SEES_EVERYTHING or user.institution_id in
                                 (case.bank_id, case.buyer_institution_id)):
            raise ConfirmationNotReady()
        raise NotFound()
    if not may_read(sees_everything=user.role in SEES_EVERYTHING, institution_id=user.institution_id,
                    seller_id=confirmation.seller_institution_id, buyer_id=confirmation.buyer_institution_id):
        raise NotFound()
    return confirmation


def readable_confirmation(session: so.Session, user: User, case_id: int) -> SaleConfirmation | None:
    """The case's confirmation if there is one the user may read, else None (for pages that link to it)."""
    try:
        return confirmation_for(session, user, case_id)
    except (NotFound, ConfirmationNotReady):
        return None


def sign_confirmation(session: so.Session, case_id: int, *, user: User, now: datetime,
                      signer: Signer = DEFAULT_SIGNER) -> ConfirmationSignature:
    """An authorised user signs the case's confirmation for its institution; once both parties have, the signed
    confirmation is rendered and kept."""
    confirmation = _locked(session, confirmation_for(session, user, case_id).id)
    party = check_authorised(active=user.active, institution_id=user.institution_id,
                             seller_id=confirmation.seller_institution_id,
                             buyer_id=confirmation.buyer_institution_id)
    if any(s.party == party for s in confirmation.signatures):
        raise AlreadySigned()
    if sha256_hex(confirmation.document.content) != confirmation.document_sha256:
        raise DocumentChanged()
    signatory = Signatory(user_id=user.id, user_name=user.display_name or user.email,
                          institution_id=user.institution_id, institution_name=user.institution.name, party=party)
    signature = signer.sign(confirmation.document_sha256, by=signatory, now=now)
    row = ConfirmationSignature(
        confirmation=confirmation, party=party, institution_id=user.institution_id, user_id=user.id,
        method=signature.method, document_sha256=signature.document_sha256, evidence=signature.evidence,
        evidence_sha256=signature.evidence_sha256, signed_at=now)
    session.add(row)
    session.flush()  # UNIQUE(confirmation_id, party): one signature per party
    _audit(session, confirmation, "confirmation_signed", now, Actor.of(user), "unsigned", None,
           {"signing_party": party.value, "method": signature.method.value, "sha256": signature.document_sha256,
            "evidence_sha256": signature.evidence_sha256})
    if {s.party for s in confirmation.signatures} == set(Party):
        _complete(session, confirmation, now=now, actor=Actor.of(user))
    return row


def _complete(session: so.Session, confirmation: SaleConfirmation, *, now: datetime, actor: Actor) -> None:
    """Both parties signed: render the signed confirmation (the original's facts and every signature) and keep it."""
    auction = session.get(Auction, confirmation.auction_id)
    offer = session.scalar(sa.select(SecondBidderOffer).where(SecondBidderOffer.auction_id == auction.id))
    via_second = offer is not None and offer.status == SecondOfferStatus.ACCEPTED
    buyer_bidder = session.scalar(sa.select(AuctionBidder).where(
        AuctionBidder.auction_id == auction.id, AuctionBidder.institution_id == confirmation.buyer_institution_id))
    deposit = buyer_bidder.deposit_fen if buyer_bidder.deposit_status == DepositStatus.APPLIED else 0
    facts = _facts(session, auction, confirmation.case, confirmation.buyer, price_fen=confirmation.price_fen,
                   deposit_applied_fen=deposit, paid_at=auction.paid_at, via_second_bidder=via_second)
    signed_by = [SignedBy(party=s.party, institution_name=s.institution.name,
                          user_name=s.user.display_name or s.user.email, signed_at=s.signed_at, method=s.method,
                          evidence_sha256=s.evidence_sha256) for s in confirmation.signatures]
    data = render_confirmation(facts, signed_by=signed_by, original_sha256=confirmation.document_sha256)
    document = store_document(session, filename=f"成交确认书-{confirmation.case.reference}-已签署.pdf", data=data,
                              now=now, by=actor.user)
    confirmation.signed_document_id, confirmation.signed_at = document.id, now
    _audit(session, confirmation, "confirmation_completed", now, actor, "unsigned", "signed",
           {"sha256": document.sha256, "original_sha256": confirmation.document_sha256})


def _facts(session: so.Session, auction: Auction, case: DisposalCase, buyer: Institution, *, price_fen: int,
           deposit_applied_fen: int, paid_at: datetime, via_second_bidder: bool) -> SaleFacts:
    centre = session.scalar(sa.select(Institution.name).where(Institution.kind == InstitutionKind.TRADING_CENTRE)
                            .order_by(Institution.id).limit(1))
    return SaleFacts(
        case_reference=case.reference, lot_title=auction.title,
        registry_numbers=tuple(asset.registry_number for asset in case.assets), round_no=auction.round_no,
        bidding_ended_at=auction.ends_at, price_fen=price_fen, deposit_applied_fen=deposit_applied_fen,
        paid_at=paid_at, seller=PartyFacts(case.bank.name, case.bank.credit_code),
        buyer=PartyFacts(buyer.name, buyer.credit_code), centre_name=centre or DEFAULT_CENTRE_NAME,
        via_second_bidder=via_second_bidder)


def _locked(session: so.Session, confirmation_id: int) -> SaleConfirmation:
    query = sa.select(SaleConfirmation).where(SaleConfirmation.id == confirmation_id)
    if is_postgresql(session):
        query = query.with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()


def _audit(session, confirmation: SaleConfirmation, action: str, now: datetime, actor: Actor,
           from_state: str | None, to_state: str | None, detail: dict) -> None:
    record_event(session, actor=actor, entity="sale_confirmation", entity_id=confirmation.id, action=action, now=now,
                 from_state=from_state, to_state=to_state, detail=detail)
