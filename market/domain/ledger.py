"""The chart of accounts (trading centre and compensation fund) and which accounts each money movement touches.

Balances are debit-positive. Two books share one ledger:
- the trading centre's: its bank account (`cash`), what it holds for bidders and for each case, its
  commission income;
- the risk-compensation fund's: its bank account (`fund:cash`), what it owes each approved claim, what
  each clawed-back claim owes it, and the memo accounts of each year's budget lines (granted, used, lapsed).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Movement(enum.StrEnum):
    """A kind of money movement through the trading centre or the compensation fund."""

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
    COSTS_PAID = "costs_paid"  # appraisal fee, taxes and other disposal costs paid out of the proceeds
    SURPLUS_PAID = "surplus_paid"  # what is left after costs, interest and principal, back to the debtor

    # the compensation fund
    FUND_CONTRIBUTION = "fund_contribution"  # money put into the fund (a top-up of its balance)
    BUDGET_GRANTED = "budget_granted"  # a year's budget line, or a top-up of it
    BUDGET_LAPSED = "budget_lapsed"  # year-end: what is left of a year's budget line lapses
    CLAIM_APPROVED = "claim_approved"  # the fund now owes an approved claim
    CLAIM_PAID = "claim_paid"  # the fund pays (part of) an approved claim, within the budget
    CLAIM_LAPSED = "claim_lapsed"  # the unpaid part of a claim lapses (shortfall policy "lapse")
    CLAIM_REDUCED = "claim_reduced"  # a later recovery shrinks what an unpaid claim is still owed
    CLAWBACK_DEMANDED = "clawback_demanded"  # a paid claim turned out too large: the claimant owes it back
    CLAWBACK_REPAID = "clawback_repaid"  # the claimant pays a clawback back into the fund


class BudgetLine(enum.StrEnum):
    """The fund's budget lines: compensation of losses, and subsidies."""

    COMPENSATION = "compensation"
    SUBSIDY = "subsidy"


CASH = "cash"
COMMISSION_INCOME = "commission_income"
FUND_CASH = "fund:cash"
FUND_CONTRIBUTIONS = "fund:contributions"
FUND_PAYOUTS = "fund:payouts"  # compensation and subsidies the fund has committed (expense)

# Accounts whose (credit-normal) balance must never go below zero: what someone is owed.
LIABILITY_PREFIXES = ("deposits_held:", "proceeds_payable:", "forfeited:", "fund:claims_payable:", "fund:budget:")
# Accounts whose (debit-normal) balance must never go below zero: money held, money owed to us.
ASSET_ACCOUNTS = (CASH, FUND_CASH)
ASSET_PREFIXES = ("fund:clawback_receivable:",)


def deposits_held(institution_id: int) -> str:
    """What the centre holds for a bidder."""
    return f"deposits_held:{institution_id}"


def proceeds_payable(case_id: int) -> str:
    """What the centre owes the pledgee from a case's disposal."""
    return f"proceeds_payable:{case_id}"


def forfeited(case_id: int) -> str:
    """Forfeited deposits kept for a case (costs of the re-run, then its shortfall)."""
    return f"forfeited:{case_id}"


def claims_payable(claim_id: int) -> str:
    """What the fund owes one approved claim."""
    return f"fund:claims_payable:{claim_id}"


def clawback_receivable(claim_id: int) -> str:
    """What a claimant owes the fund back after a later recovery."""
    return f"fund:clawback_receivable:{claim_id}"


def budget_left(year: int, line: BudgetLine | str) -> str:
    """What is left of a year's budget line (a memo account: credit-normal)."""
    return f"fund:budget:{year}:{BudgetLine(line).value}"


def budget_granted(year: int, line: BudgetLine | str) -> str:
    """The total granted to a year's budget line (memo, debit side)."""
    return f"fund:budget_granted:{year}:{BudgetLine(line).value}"


def budget_used(year: int, line: BudgetLine | str) -> str:
    """What a year's budget line paid out (memo, credit side)."""
    return f"fund:budget_used:{year}:{BudgetLine(line).value}"


def budget_lapsed(year: int, line: BudgetLine | str) -> str:
    """What of a year's budget line lapsed at year-end (memo, credit side)."""
    return f"fund:budget_lapsed:{year}:{BudgetLine(line).value}"


def must_stay_positive(account: str) -> str | None:
    """'debit' or 'credit' for an account whose normal balance may not go negative, else None."""
    if account in ASSET_ACCOUNTS or account.startswith(ASSET_PREFIXES):
        return "debit"
    if account.startswith(LIABILITY_PREFIXES):
        return "credit"
    return None


@dataclass(frozen=True)
class Entry:
    """A balanced pair: debit one account, credit another, by a positive amount."""

    debit: str
    credit: str
    amount_fen: int


def entries_for(
    movement: Movement,
    amount_fen: int,
    *,
    case_id: int | None,
    institution_id: int | None,
    claim_id: int | None = None,
    year: int | None = None,
    line: BudgetLine | str | None = None,
) -> list[Entry]:
    """The double-entry postings of one movement."""
    if amount_fen <= 0:
        raise ValueError("A money movement is a positive amount of fen.")
    case_account = proceeds_payable(case_id) if case_id is not None else None
    bidder = deposits_held(institution_id) if institution_id is not None else None
    claim = claims_payable(claim_id) if claim_id is not None else None
    receivable = clawback_receivable(claim_id) if claim_id is not None else None
    budget = year is not None and line is not None
    left = budget_left(year, line) if budget else None
    table: dict[Movement, tuple[tuple[str | None, str | None], ...]] = {
        Movement.DEPOSIT_PAID: ((CASH, bidder),),
        Movement.DEPOSIT_REFUNDED: ((bidder, CASH),),
        Movement.DEPOSIT_APPLIED: ((bidder, case_account),),
        Movement.DEPOSIT_FORFEITED: ((bidder, forfeited(case_id) if case_id is not None else None),),
        Movement.BUYER_PAYMENT: ((CASH, case_account),),
        Movement.LICENCE_INCOME: ((CASH, case_account),),
        Movement.CONVERSION_PRICE: ((CASH, case_account),),
        Movement.CLAIM_PRICE: ((CASH, case_account),),
        Movement.COMMISSION: ((case_account, COMMISSION_INCOME),),
        Movement.PROCEEDS_PAID: ((case_account, CASH),),
        Movement.FORFEIT_USED: ((forfeited(case_id) if case_id is not None else None, case_account),),
        Movement.COSTS_PAID: ((case_account, CASH),),
        Movement.SURPLUS_PAID: ((case_account, CASH),),
        Movement.FUND_CONTRIBUTION: ((FUND_CASH, FUND_CONTRIBUTIONS),),
        Movement.BUDGET_GRANTED: ((budget_granted(year, line) if budget else None, left),),
        Movement.BUDGET_LAPSED: ((left, budget_lapsed(year, line) if budget else None),),
        Movement.CLAIM_APPROVED: ((FUND_PAYOUTS, claim),),
        # paying a claim moves money and uses budget: two balanced pairs in one transaction
        Movement.CLAIM_PAID: ((claim, FUND_CASH), (left, budget_used(year, line) if budget else None)),
        Movement.CLAIM_LAPSED: ((claim, FUND_PAYOUTS),),
        Movement.CLAIM_REDUCED: ((claim, FUND_PAYOUTS),),
        Movement.CLAWBACK_DEMANDED: ((receivable, FUND_PAYOUTS),),
        Movement.CLAWBACK_REPAID: ((FUND_CASH, receivable),),
    }
    pairs = table[movement]
    if any(debit is None or credit is None for debit, credit in pairs):
        raise ValueError(f"{movement.value} needs a case, an institution, a claim and/or a budget year and line.")
    return [Entry(debit, credit, amount_fen) for debit, credit in pairs]


class AccountKind(enum.StrEnum):
    """What an account of the chart is, whatever case, bidder, claim or year it belongs to."""

    CASH = "cash"
    COMMISSION_INCOME = "commission_income"
    DEPOSITS_HELD = "deposits_held"
    PROCEEDS_PAYABLE = "proceeds_payable"
    FORFEITED = "forfeited"
    FUND_CASH = "fund:cash"
    FUND_CONTRIBUTIONS = "fund:contributions"
    FUND_PAYOUTS = "fund:payouts"
    CLAIMS_PAYABLE = "fund:claims_payable"
    CLAWBACK_RECEIVABLE = "fund:clawback_receivable"
    BUDGET_LEFT = "fund:budget"
    BUDGET_GRANTED = "fund:budget_granted"
    BUDGET_USED = "fund:budget_used"
    BUDGET_LAPSED = "fund:budget_lapsed"


def account_kind(account: str) -> tuple[AccountKind, str]:
    """An account's kind and what it belongs to ("" for the single accounts): "deposits_held:7" → (DEPOSITS_HELD, "7")."""
    for kind in sorted(AccountKind, key=lambda k: -len(k.value)):
        if account == kind.value:
            return kind, ""
        if account.startswith(kind.value + ":"):
            return kind, account[len(kind.value) + 1:]
    raise ValueError(f"{account!r} is not in the chart of accounts.")


# The accounts of a pledgee bank's cases (what the centre owes it, what was forfeited to them).
PLEDGEE_ACCOUNT_PREFIXES = ("proceeds_payable:", "forfeited:")
