"""NumPy twins of market/domain/levers.py over a block's claims: each loan's ratio (by size band or
bank), the fund's annual cap and each bank's stop-loss line, to the fen.

The ratio changes the claims themselves (sim.vector.claim_table computes each group of loans with the
policy market.domain.levers.policy_for_loan gives it). The cap and the stop-loss line then cut the
claims as approved (`limit_claims`), in order of approval on each path, before the fund settles them:
a paused bank's claims are approved at nothing, and the claims past the year's cap are cut like those
past a cap per institution-year (applied afterwards, in the settlement). Revised amounts never exceed
the cut ones. tests/sim/test_levers.py checks both against the scalar rules, claim by claim.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from market.domain.levers import StopLossResume, policy_for_loan
from market.domain.loss import LAYERS, LayerShares
from sim.compensation import compute_claims
from sim.model import Scenario
from sim.portfolio import LoanBook
from sim.settlement import ClaimTable


@dataclass(frozen=True)
class LoanPolicies:
    """The compensation policy of each defaulted loan of a block: one of a few, by size band and bank."""

    group: np.ndarray  # per case: index into `policies`
    policies: tuple

    def claims(self, amount: np.ndarray, layers: LayerShares, case: np.ndarray) -> np.ndarray:
        """(rows, layers): compute_claims of each amount with the policy of its case."""
        out = np.zeros((amount.size, len(LAYERS)), dtype=np.int64)
        group = self.group[case]
        for g, policy in enumerate(self.policies):
            rows = np.flatnonzero(group == g)
            if rows.size:
                out[rows] = compute_claims(amount[rows], layers, policy)
        return out


def loan_policies(scenario: Scenario, book: LoanBook, loan: np.ndarray) -> LoanPolicies | None:
    """Each case's policy when the levers make the ratio vary by loan (None: one policy for all)."""
    levers, policy = scenario.compensation.levers, scenario.compensation.policy
    if not levers.varies_ratio:
        return None
    banks = scenario.portfolio.bank_names
    band, bank = book.size_band[loan], book.bank[loan]
    key = band * len(banks) + bank
    found: dict[int, int] = {}
    policies = []
    group = np.zeros(loan.size, dtype=np.int64)
    for k in np.unique(key).tolist():
        rows = key == k
        principal = int(book.principal_fen[loan[np.argmax(rows)]])  # any loan of the band
        found[k] = len(policies)
        policies.append(policy_for_loan(policy, levers, principal, banks[k % len(banks)]))
        group[rows] = found[k]
    return LoanPolicies(group, tuple(policies))


def limit_claims(
    scenario: Scenario, book: LoanBook, claims: ClaimTable, loan: np.ndarray, loss: np.ndarray
) -> ClaimTable:
    """The claims as approved under the stop-loss line and the annual cap (the table unchanged
    without them). `loan` and `loss` are per case (claims.case indexes them)."""
    levers = scenario.compensation.levers
    if levers.annual_cap_fen is None and levers.stop_loss_share is None:
        return claims
    per_year, years = scenario.compensation.settlements_per_year, scenario.horizon_years
    year = (claims.approve_batch - 1) // per_year
    first, final = claims.due_first.copy(), claims.due_final.copy()
    if levers.stop_loss_share is not None:
        paused = _paused(scenario, book, claims, year, loan, loss)
        first[paused] = 0
        final[paused] = 0
    if levers.annual_cap_fen is not None:
        key = claims.path * (years + 64) + np.minimum(year, years + 63)
        first = capped_in_order(first, key, levers.annual_cap_fen)
        final = np.minimum(final, first)
    return replace(claims, due_first=first, due_final=final)


def capped_in_order(amount: np.ndarray, key: np.ndarray, cap: int) -> np.ndarray:
    """Amounts in table order cut so each key's running total stays within the cap
    (levers.within_annual_cap, row by row): each keeps min(cap, total to it) - min(cap, total before)."""
    order = np.argsort(key, kind="stable")
    sorted_amount, sorted_key = amount[order], key[order]
    upto = np.cumsum(sorted_amount)
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    run = np.repeat(starts, np.diff(np.r_[starts, sorted_key.size]))
    upto = upto - (upto[run] - sorted_amount[run])  # running total within the key, inclusive
    capped = np.empty_like(amount)
    capped[order] = np.minimum(cap, upto) - np.minimum(cap, upto - sorted_amount)
    return capped


def _paused(
    scenario: Scenario,
    book: LoanBook,
    claims: ClaimTable,
    year: np.ndarray,
    loan: np.ndarray,
    loss: np.ndarray,
) -> np.ndarray:
    """Per claim row: its bank was past the stop-loss line when it was approved (losses counted up
    to and including its loan's, in order of approval; levers.past_stop_loss)."""
    levers, years = scenario.compensation.levers, scenario.horizon_years
    banks = len(scenario.portfolio.bank_names)
    case = claims.case
    # a loan's loss counts once, at its first row (its layers follow one another in the table)
    first_row = np.r_[True, case[1:] != case[:-1]]
    bank = book.bank[loan[case]]
    counted = np.where(first_row, loss[case], 0)
    by_year = levers.stop_loss_resume is StopLossResume.YEAR_END
    key = (claims.path * banks + bank) * (years + 64)
    if by_year:
        key = key + np.minimum(year, years + 63)
    order = np.argsort(key, kind="stable")
    total = np.cumsum(counted[order])
    starts = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1]])
    run = np.repeat(starts, np.diff(np.r_[starts, key.size]))
    losses = np.empty_like(counted)
    losses[order] = total - (total[run] - counted[order][run])
    lent = bank_loans_fen(book, banks, years)[bank, np.minimum(year, years - 1)]
    share = levers.stop_loss_share
    if losses.size == 0:
        return np.zeros(0, dtype=bool)
    if int(losses.max()) < 2**62 // share.denominator and int(lent.max()) < 2**62 // max(
        share.numerator, 1
    ):
        return losses * share.denominator > share.numerator * lent
    return np.array(  # exact in Python ints where int64 could overflow
        [
            lo * share.denominator > share.numerator * le
            for lo, le in zip(losses.tolist(), lent.tolist(), strict=True)
        ],
        dtype=bool,
    )


def bank_loans_fen(book: LoanBook, banks: int, years: int) -> np.ndarray:
    """(banks, years): principal each bank has lent up to each year (its vintages so far)."""
    made = np.zeros((banks, years), dtype=np.int64)
    np.add.at(made, (book.bank, np.minimum(book.vintage, years - 1)), book.principal_fen)
    return np.cumsum(made, axis=1)
