"""Debt-to-equity conversion through a financial asset investment company (AIC, 2018 rules): the terms,
the equity share they give, and the consents that must all be in before execution."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

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


PARTY_NAMES = {
    ConsentParty.BANK: "the pledgee bank",
    ConsentParty.AIC: "the AIC",
    ConsentParty.BORROWER: "the borrower (board resolution)",
    ConsentParty.GUARANTOR: "the guarantor",
    ConsentParty.INSURER: "the insurer",
    ConsentParty.BUREAU: "the bureau (fund compensation sign-off)",
}


class InvalidConversionTerms(RuleBroken):
    """The proposal's terms are incomplete or out of range."""

    code = "invalid_conversion_terms"


class ConsentMissing(RuleBroken):
    """A party whose consent is required has not given it."""

    code = "consent_missing"


class ConsentRefused(RuleBroken):
    """A required party refused its consent."""

    code = "consent_refused"


class ConsentNotNeeded(RuleBroken):
    """This party does not take part in this conversion."""

    code = "consent_not_needed"


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
        for name, fen in (("price for the claim", self.claim_price_fen),
                          ("valuation of the claim", self.claim_valuation_fen),
                          ("borrower's pre-money valuation", self.pre_money_valuation_fen)):
            if not 0 < fen <= MAX_FEN:
                raise InvalidConversionTerms(f"Enter the {name}, greater than zero.")
        if not self.valuation_report_ref.strip():
            raise InvalidConversionTerms("Name the valuation report the price rests on.")
        if self.claim_price_fen > claim_face_fen:
            raise InvalidConversionTerms(
                "The price cannot exceed what the claim is worth on its face (principal plus unpaid interest)."
            )
        if not 0 <= self.lockup_months <= MAX_LOCKUP_MONTHS:
            raise InvalidConversionTerms(f"The lock-up lies between 0 and {MAX_LOCKUP_MONTHS} months.")
        if not self.exit_terms.strip():
            raise InvalidConversionTerms("Describe the exit terms (who buys back, when, at what price).")

    @property
    def equity_share(self) -> Fraction:
        """The AIC's share after conversion: price / (pre-money valuation + price), exactly."""
        return equity_share(self.claim_price_fen, self.pre_money_valuation_fen)


def equity_share(converted_fen: int, pre_money_fen: int) -> Fraction:
    """The share of the enlarged equity a conversion of this amount buys: converted / post-money."""
    if converted_fen <= 0 or pre_money_fen <= 0:
        raise InvalidConversionTerms("The converted amount and the pre-money valuation must be positive.")
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
        raise ConsentRefused(
            "The conversion cannot execute: " + _names(refused) + (" has" if len(refused) == 1 else " have")
            + " refused consent."
        )
    missing = [p for p in required if decisions.get(p) is not True]
    if missing:
        raise ConsentMissing("The conversion cannot execute without the consent of " + _names(missing) + ".")


def _names(parties: list[ConsentParty]) -> str:
    names = [PARTY_NAMES[p] for p in parties]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
