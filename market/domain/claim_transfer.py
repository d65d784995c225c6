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


class OwnClaim(NotEligibleBuyer):
    """A bank cannot buy its own claim."""

    code = "own_claim"


class ClaimNotListable(RuleBroken):
    """The loan cannot be listed for sale as it stands."""

    code = "claim_not_listable"


class AlreadyListed(ClaimNotListable):
    """A loan is listed for sale once at a time."""

    code = "already_listed"


class LoanNotListable(ClaimNotListable):
    """Only a performing or defaulted claim can be listed."""

    code, fields = "loan_not_listable", ("status",)


class InvalidClaimOffer(RuleBroken):
    """An offer for a claim must be a positive price within the ceiling."""

    code, fields = "invalid_claim_offer", ("what",)


class ClaimPrice(enum.StrEnum):
    """The prices of a claim sale (each above zero)."""

    ASKING = "asking"
    OFFER = "offer"


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
        raise NotEligibleBuyer()
    if is_seller:
        raise OwnClaim()


def check_listable(loan_status: str, *, has_case: bool, case_ready: bool, already_listed: bool) -> None:
    """Raise ClaimNotListable unless the loan may be listed now.

    A loan with a disposal case can be sold only when the case is ready for a channel (notice published
    or awaiting the next channel); a loan without one can be sold as it stands.
    """
    if already_listed:
        raise AlreadyListed()
    if loan_status not in LISTABLE_LOAN_STATUSES:
        raise LoanNotListable(status=loan_status)
    if has_case and not case_ready:
        raise ClaimNotListable()


def check_price(price_fen: int | None, what: ClaimPrice) -> None:
    """Raise InvalidClaimOffer unless the price is a positive amount within the ceiling."""
    if price_fen is None or not 0 < price_fen <= MAX_FEN:
        raise InvalidClaimOffer(what=what)


class BuyersOwnRecovery(RuleBroken):
    """After a claim is sold, what the buyer recovers is the buyer's business, not the seller's statement."""

    code = "buyers_own_recovery"


def bank_layer_bearer(*, lender_id: int, holder_id: int) -> int:
    """Who carries a case's bank layer and files its compensation claim: the policy loan's lender.

    A bank that sold the claim realised its loss at the sale (the price is its recovery, applied to costs,
    interest, then principal); its layer share and its claim stay with it. The buyer (`holder_id`, the
    claim's owner now) carries none of that loss, so compensation never follows the claim to it.
    """
    return lender_id


def check_later_recovery(*, claim_sold: bool) -> None:
    """Raise BuyersOwnRecovery for money recovered after a claim sale: it is the buyer's, not the seller's."""
    if claim_sold:
        raise BuyersOwnRecovery()
