"""Debt-to-equity conversion through a financial asset investment company (AIC, 2018 rules): the terms,
the equity share they give, and the consents that must all be in before execution."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from market.domain.errors import Forbidden, Kind
from market.domain.money import MAX_FEN
from market.domain.rules import RuleBroken

PPM = 1_000_000
MAX_LOCKUP_MONTHS = 120


class ExitRoute(enum.StrEnum):
    """How the AIC expects to leave the equity after the lock-up."""

    BUYBACK = "buyback"  # the controlling shareholder buys the shares back
    LISTING = "listing"  # IPO or sale on an exchange
    EQUITY_TRANSFER = "equity_transfer"  # sale to a third party
    OTHER = "other"


class ConsentParty(enum.StrEnum):
    """Who must agree before a conversion can execute."""

    BANK = "bank"  # the pledgee selling its claim
    AIC = "aic"  # the buyer and new shareholder
    BORROWER = "borrower"  # the firm, by a board resolution
    GUARANTOR = "guarantor"  # when it carries a share of the loss
    INSURER = "insurer"  # when it carries a share of the loss
    BUREAU = "bureau"  # when the compensation fund will be asked to pay


class ConversionAmount(enum.StrEnum):
    """The amounts a conversion proposal states (each above zero)."""

    CLAIM_PRICE = "claim_price"
    CLAIM_VALUATION = "claim_valuation"
    PRE_MONEY_VALUATION = "pre_money_valuation"


class InvalidConversionTerms(RuleBroken):
    """The proposal's terms are incomplete or out of range."""

    code = "invalid_conversion_terms"


class ConversionAmountMissing(InvalidConversionTerms):
    """A price or valuation is above zero."""

    code, fields = "conversion_amount_missing", ("amount",)


class ValuationReportMissing(InvalidConversionTerms):
    """The price rests on a named valuation report."""

    code = "valuation_report_missing"


class PriceAboveFace(InvalidConversionTerms):
    """The price cannot exceed what the claim is worth on its face."""

    code = "price_above_face"


class LockupOutOfRange(InvalidConversionTerms):
    """The lock-up lies within the allowed months."""

    code, fields = "lockup_out_of_range", ("max_months",)


class ExitTermsMissing(InvalidConversionTerms):
    """The exit terms are described."""

    code = "exit_terms_missing"


class ConsentMissing(RuleBroken):
    """A party whose consent is required has not given it."""

    code, kind, fields = "consent_missing", Kind.CONFLICT, ("parties",)


class ConsentRefused(RuleBroken):
    """A required party refused its consent."""

    code, kind, fields = "consent_refused", Kind.CONFLICT, ("parties",)


class ConsentNotNeeded(RuleBroken):
    """This party does not take part in this conversion."""

    code, fields = "consent_not_needed", ("party",)


class ConsentAlreadyDecided(RuleBroken):
    """A party decides once."""

    code, fields = "consent_already_decided", ("party",)


class BuyerNotAic(RuleBroken):
    """The buyer of the claim is a financial asset investment company (AIC)."""

    code = "buyer_not_aic"


class BoardResolutionMissing(RuleBroken):
    """The borrower consents by a board resolution with its reference."""

    code = "board_resolution_missing"


class NotAParty(Forbidden):
    """The user's institution does not decide on this conversion."""

    code = "not_a_party"


@dataclass(frozen=True)
class ConversionTerms:
    """What the AIC pays for the claim, what the borrower is worth before, and the lock-up and exit terms."""

    claim_price_fen: int  # a market price for the claim: the bank's recovery
    claim_valuation_fen: int  # the valuation that price rests on
    valuation_report_ref: str
    pre_money_valuation_fen: int  # the borrower's equity value before the conversion
    lockup_months: int
    exit_route: ExitRoute
    exit_terms: str

    def check(self, claim_face_fen: int) -> None:
        """Raise InvalidConversionTerms naming the first problem; the price cannot exceed what is owed."""
        for amount, fen in ((ConversionAmount.CLAIM_PRICE, self.claim_price_fen),
                            (ConversionAmount.CLAIM_VALUATION, self.claim_valuation_fen),
                            (ConversionAmount.PRE_MONEY_VALUATION, self.pre_money_valuation_fen)):
            if not 0 < fen <= MAX_FEN:
                raise ConversionAmountMissing(amount=amount)
        if not self.valuation_report_ref.strip():
            raise ValuationReportMissing()
        if self.claim_price_fen > claim_face_fen:
            raise PriceAboveFace()
        if not 0 <= self.lockup_months <= MAX_LOCKUP_MONTHS:
            raise LockupOutOfRange(max_months=MAX_LOCKUP_MONTHS)
        if not self.exit_terms.strip():
            raise ExitTermsMissing()

    @property
    def equity_share(self) -> Fraction:
        """The AIC's share after conversion: price / (pre-money valuation + price), exactly."""
        return equity_share(self.claim_price_fen, self.pre_money_valuation_fen)


def equity_share(converted_fen: int, pre_money_fen: int) -> Fraction:
    """The share of the enlarged equity a conversion of this amount buys: converted / post-money."""
    if converted_fen <= 0 or pre_money_fen <= 0:
        raise ConversionAmountMissing(amount=ConversionAmount.CLAIM_PRICE if converted_fen <= 0
                                      else ConversionAmount.PRE_MONEY_VALUATION)
    return Fraction(converted_fen, pre_money_fen + converted_fen)


def share_ppm(share: Fraction) -> int:
    """A share in parts per million, rounded half up (for storage and display)."""
    return int((share * PPM * 2 + 1) // 2)


def required_parties(*, guarantor_carries: bool, insurer_carries: bool,
                     fund_compensation: bool) -> tuple[ConsentParty, ...]:
    """The parties whose consent a conversion needs, in the order they are shown."""
    parties = [ConsentParty.BANK, ConsentParty.AIC, ConsentParty.BORROWER]
    if guarantor_carries:
        parties.append(ConsentParty.GUARANTOR)
    if insurer_carries:
        parties.append(ConsentParty.INSURER)
    if fund_compensation:
        parties.append(ConsentParty.BUREAU)
    return tuple(parties)


def check_consents(required: tuple[ConsentParty, ...], decisions: Mapping[ConsentParty, bool]) -> None:
    """Raise naming every refusal, else every missing consent; decisions map a party to consented or not."""
    refused = [p for p in required if decisions.get(p) is False]
    if refused:
        raise ConsentRefused(parties=refused)
    missing = [p for p in required if decisions.get(p) is not True]
    if missing:
        raise ConsentMissing(parties=missing)
