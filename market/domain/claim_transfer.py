"""A bank selling its loan and the pledge that secures it to another licensed financial institution."""

from __future__ import annotations

import enum

from market.domain.money import MAX_FEN
from market.domain.roles import FINANCIAL_INSTITUTION_KINDS, InstitutionKind, Role
from market.domain.rules import RuleBroken


class SaleMode(enum.StrEnum):
    """How the claim is sold: offers negotiated with the seller, or the auction channel."""

    NEGOTIATED = "negotiated"
    AUCTION = "auction"


# Loan statuses (market.models.LoanStatus values) a bank may list for sale.
LISTABLE_LOAN_STATUSES = frozenset({"performing", "overdue", "defaulted", "in_disposal"})


class NotEligibleBuyer(RuleBroken):
    """Only licensed financial institutions may see a claim's data room and offer for it."""

    code = "not_eligible_buyer"


class ClaimNotListable(RuleBroken):
    """The loan cannot be listed for sale as it stands."""

    code = "claim_not_listable"


class InvalidClaimOffer(RuleBroken):
    """An offer for a claim must be a positive price within the ceiling."""

    code = "invalid_claim_offer"


def may_buy_claims(kind: InstitutionKind, licensed_financial: bool) -> bool:
    """Whether an institution may see claim lots and bid or offer for them: a licensed bank or AIC."""
    return licensed_financial and kind in FINANCIAL_INSTITUTION_KINDS


def may_see_claim_lots(role: Role, kind: InstitutionKind, licensed_financial: bool) -> bool:
    """Whether a user sees claim lots (and their auctions): the centre's operator, or one whose institution
    may buy claims."""
    return role == Role.OPERATOR or may_buy_claims(kind, licensed_financial)


def check_buyer(kind: InstitutionKind, licensed_financial: bool, *, is_seller: bool) -> None:
    """Raise NotEligibleBuyer unless the institution may buy this claim (a seller cannot buy its own)."""
    if not may_buy_claims(kind, licensed_financial):
        raise NotEligibleBuyer("Only licensed financial institutions may offer for a claim.")
    if is_seller:
        raise NotEligibleBuyer("A bank cannot buy its own claim.")


def check_listable(loan_status: str, *, has_case: bool, case_ready: bool, already_listed: bool) -> None:
    """Raise ClaimNotListable unless the loan may be listed now.

    A loan with a disposal case can be sold only when the case is ready for a channel (notice published
    or awaiting the next channel); a loan without one can be sold as it stands.
    """
    if already_listed:
        raise ClaimNotListable("This loan is already listed for sale.")
    if loan_status not in LISTABLE_LOAN_STATUSES:
        raise ClaimNotListable(
            f"A loan that is {loan_status.replace('_', ' ')} cannot be listed; only a performing or "
            "defaulted claim can."
        )
    if has_case and not case_ready:
        raise ClaimNotListable(
            "The loan's disposal case is not ready for a channel: the claim can be listed once the notice "
            "is published or the case awaits its next channel."
        )


def check_price(price_fen: int | None, what: str = "price") -> None:
    """Raise InvalidClaimOffer unless the price is a positive amount within the ceiling."""
    if price_fen is None or not 0 < price_fen <= MAX_FEN:
        raise InvalidClaimOffer(f"Enter the {what}, greater than zero.")
