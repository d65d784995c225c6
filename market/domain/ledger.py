"""The trading centre's chart of accounts and which accounts each money movement touches."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Movement(enum.StrEnum):
    """A kind of money movement through the trading centre."""

    DEPOSIT_PAID = "deposit_paid"  # a bidder pays its deposit in
    DEPOSIT_REFUNDED = "deposit_refunded"  # a losing bidder's deposit goes back
    DEPOSIT_APPLIED = "deposit_applied"  # the winner's deposit counts toward the price
    DEPOSIT_FORFEITED = "deposit_forfeited"  # a winner who did not pay loses it (悔拍)
    BUYER_PAYMENT = "buyer_payment"  # the buyer pays the balance of the price
    LICENCE_INCOME = "licence_income"  # upfront fee or royalty received for a case
    CONVERSION_PRICE = "conversion_price"  # the AIC pays the agreed price for the claim
    CLAIM_PRICE = "claim_price"  # a buying institution pays for a transferred claim
    COMMISSION = "commission"  # the trading centre's fee out of the proceeds
    PROCEEDS_PAID = "proceeds_paid"  # net proceeds paid out to the pledgee bank
    FORFEIT_USED = "forfeit_used"  # forfeited deposit applied to the case's proceeds (costs, shortfall)


CASH = "cash"
COMMISSION_INCOME = "commission_income"
# Accounts whose (credit-normal) balance must never go below zero: what the centre owes someone.
LIABILITY_PREFIXES = ("deposits_held:", "proceeds_payable:", "forfeited:")


def deposits_held(institution_id: int) -> str:
    """What the centre holds for a bidder."""
    return f"deposits_held:{institution_id}"


def proceeds_payable(case_id: int) -> str:
    """What the centre owes the pledgee from a case's disposal."""
    return f"proceeds_payable:{case_id}"


def forfeited(case_id: int) -> str:
    """Forfeited deposits kept for a case (costs of the re-run, then its shortfall)."""
    return f"forfeited:{case_id}"


@dataclass(frozen=True)
class Entry:
    """A balanced pair: debit one account, credit another, by a positive amount."""

    debit: str
    credit: str
    amount_fen: int


def entries_for(movement: Movement, amount_fen: int, *, case_id: int | None, institution_id: int | None) -> list[Entry]:
    """The double-entry postings of one movement."""
    if amount_fen <= 0:
        raise ValueError("A money movement is a positive amount of fen.")
    case_account = proceeds_payable(case_id) if case_id is not None else None
    bidder = deposits_held(institution_id) if institution_id is not None else None
    table = {
        Movement.DEPOSIT_PAID: (CASH, bidder),
        Movement.DEPOSIT_REFUNDED: (bidder, CASH),
        Movement.DEPOSIT_APPLIED: (bidder, case_account),
        Movement.DEPOSIT_FORFEITED: (bidder, forfeited(case_id) if case_id is not None else None),
        Movement.BUYER_PAYMENT: (CASH, case_account),
        Movement.LICENCE_INCOME: (CASH, case_account),
        Movement.CONVERSION_PRICE: (CASH, case_account),
        Movement.CLAIM_PRICE: (CASH, case_account),
        Movement.COMMISSION: (case_account, COMMISSION_INCOME),
        Movement.PROCEEDS_PAID: (case_account, CASH),
        Movement.FORFEIT_USED: (forfeited(case_id) if case_id is not None else None, case_account),
    }
    debit, credit = table[movement]
    if debit is None or credit is None:
        raise ValueError(f"{movement.value} needs a case and/or an institution.")
    return [Entry(debit, credit, amount_fen)]
