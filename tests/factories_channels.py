"""Tiny factories for the channels area: cases ready for a channel, rounds, proposals and listings."""

from __future__ import annotations

from datetime import timedelta

from market.db import unit_of_work
from market.domain.conversion import ConversionTerms, ExitRoute
from market.domain.licensing import LicenceKind, LicenceTerms, OfferTerms, ReportingPeriod
from market.domain.roles import Role
from market.domain.workflow import CaseState
from market.services import licensing
from market.services.audit import Actor
from tests.conftest import START
from tests.factories import make_case, make_user

YUAN = 100


def make_channel_case(session, state: CaseState = CaseState.AWAITING_CHANNEL, **overrides):
    """A case whose public notice has run, ready for licensing, conversion or a claim transfer."""
    fields = dict(notice_published_at=START - timedelta(days=40), notice_ends_at=START - timedelta(days=10))
    fields.update(overrides)
    return make_case(session, state, **fields)


def licence_terms(**overrides) -> LicenceTerms:
    """Exclusive, 3 years, quarterly; at least ¥100,000 upfront and 3%; scored at 8% on ¥5m yearly sales."""
    fields = dict(kind=LicenceKind.EXCLUSIVE, field_of_use="Industrial machine vision", territory="Mainland China",
                  term_months=36, min_upfront_fen=100_000 * YUAN, min_royalty_rate_ppm=30_000,
                  reporting_period=ReportingPeriod.QUARTERLY, discount_rate_ppm=80_000,
                  reference_sales_fen=5_000_000 * YUAN)
    fields.update(overrides)
    return LicenceTerms(**fields)


def offer(upfront_yuan: int = 200_000, rate_ppm: int = 50_000, min_annual_yuan: int = 0) -> OfferTerms:
    """An offer in yuan and ppm."""
    return OfferTerms(upfront_yuan * YUAN, rate_ppm, min_annual_yuan * YUAN)


def conversion_terms(**overrides) -> ConversionTerms:
    """¥600,000 for the claim, on a ¥5.4m pre-money valuation: 10% of the equity."""
    fields = dict(claim_price_fen=600_000 * YUAN, claim_valuation_fen=650_000 * YUAN,
                  valuation_report_ref="中评报字[2026]第88号", pre_money_valuation_fen=5_400_000 * YUAN,
                  lockup_months=36, exit_route=ExitRoute.BUYBACK,
                  exit_terms="Controlling shareholder buys back at cost plus 6% a year after the lock-up.")
    fields.update(overrides)
    return ConversionTerms(**fields)


def operator(session):
    """An operator user and its actor."""
    user = make_user(session, Role.OPERATOR)
    return user, Actor.of(user)


def open_round(session, case, now, *, deadline_days: int = 7, **terms):
    """A licence round opened by a fresh operator on the case."""
    _, actor = operator(session)
    with unit_of_work(session):
        return licensing.open_licence_round(session, case.id, licence_terms(**terms),
                                            offer_deadline=now + timedelta(days=deadline_days), actor=actor, now=now)


def list_and_open(session, clock, case=None, *, loan=None, asking_yuan: int = 800_000, days: int = 10):
    """A negotiated claim listing by the case's (or loan's) bank, opened by the centre; returns (listing, seller)."""
    from market.services import claim_transfer

    loan = loan or case.loan
    seller = make_user(session, Role.BANK, institution=loan.bank)
    _, op = operator(session)
    with unit_of_work(session):
        listing = claim_transfer.list_claim(session, loan.id, asking_price_fen=asking_yuan * YUAN,
                                            offer_deadline=clock() + timedelta(days=days),
                                            data_room_notes="Servicing file", actor=Actor.of(seller), now=clock())
        claim_transfer.open_claim_listing(session, listing.id, actor=op, now=clock())
    return listing, Actor.of(seller), op
