"""The fund's calendar and a NumPy twin of the fund rule (loss.pay_claims, loss.clawback) over many paths.

The bureau settles in batches: `settlements_per_year` dates a year, the last on the year's final day.
At each date, in this order: a new year resets the budget (and adds the contribution); late recoveries
revise claims (excess already paid is clawed back into the balance, waiting amounts shrink); newly
approved claims join the queue; the queue is paid in order of approval while budget and balance last.
Both engines follow this calendar, so they differ only in how cases reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from market.domain.loss import LAYERS, Shortfall
from sim.model import CompensationModel

DAYS_PER_YEAR = 365.0
UNLIMITED_FEN = 2**61  # stands for "no limit" in int64 arithmetic; far above any real budget
NEVER = np.iinfo(np.int32).max  # the settlement batch of something that never happens


def settlement_batch(days: np.ndarray | float, per_year: int) -> np.ndarray:
    """The first settlement date (1, 2, ...) on or after each time in days."""
    batch = np.ceil(np.asarray(days, dtype=np.float64) * per_year / DAYS_PER_YEAR)
    return np.maximum(batch, 1).astype(np.int64)


def settlement_day(batch: int, per_year: int) -> float:
    """The day of a settlement date."""
    return batch * DAYS_PER_YEAR / per_year


@dataclass(frozen=True)
class FundRules:
    """The fund's numbers as int64-safe figures, with limits that do not apply set very high."""

    budget_fen: int
    initial_balance_fen: int
    contribution_fen: int
    shortfall: Shortfall
    per_year: int
    years: int
    institution_year_cap_fen: int | None = None  # each layer is one institution on a path
    joint_pot: bool = False  # the fund also pays the subsidies, first, as each year opens

    @classmethod
    def of(cls, compensation: CompensationModel, years: int) -> FundRules:
        """The rules a scenario's [compensation] table sets."""
        budget, balance = compensation.annual_budget_fen, compensation.initial_balance_fen
        return cls(
            budget_fen=UNLIMITED_FEN if budget is None else budget,
            initial_balance_fen=UNLIMITED_FEN if balance is None else balance,
            contribution_fen=compensation.annual_contribution_fen,
            shortfall=compensation.shortfall,
            per_year=compensation.settlements_per_year,
            years=years,
            institution_year_cap_fen=compensation.policy.cap_per_institution_year_fen,
            joint_pot=compensation.joint_pot,
        )


@dataclass(frozen=True)
class ClaimTable:
    """One row per (loan, layer) claim, sorted by path, then approval time, then loan, then layer."""

    path: np.ndarray
    layer: np.ndarray
    approve_batch: np.ndarray
    revise_batch: np.ndarray  # NEVER when the claim was filed on the final loss
    due_first: np.ndarray  # the claim as filed (> 0)
    due_final: np.ndarray  # after the recovery; never above due_first
    case: np.ndarray | None = None  # the row of the block's cases (defaults) each claim is for
    # what settling needs whatever the fund's money, per horizon and paths (funds settle one table)
    _schedules: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def schedule(self, last: int, n_paths: int) -> Schedule:
        """The table's settlement dates 1..last and the claims approved after them."""
        if (last, n_paths) not in self._schedules:
            approving = _by_batch(self.approve_batch, last)
            later = approving[last + 1]
            self._schedules[last, n_paths] = Schedule(
                approving=approving[: last + 1],
                revising=_by_batch(self.revise_batch, last)[: last + 1],
                pending_fen=_sum_by(self.path[later], self.due_final[later], n_paths),
                pending_claims=np.bincount(self.path[later], minlength=n_paths).astype(np.int64),
            )
        return self._schedules[last, n_paths]


@dataclass(frozen=True)
class Schedule:
    """A claim table's rows approved, and revised, at each settlement date 0..last (in table order),
    and the claims on each path approved after the horizon."""

    approving: list[np.ndarray]
    revising: list[np.ndarray]
    pending_fen: np.ndarray  # (paths,)
    pending_claims: np.ndarray  # (paths,)


@dataclass(frozen=True)
class FundTotals:
    """What the fund did on each path, per year and (for payouts) per layer."""

    payout_fen: np.ndarray  # (paths, years, layers)
    clawback_fen: np.ndarray  # (paths, years)
    clawback_by_layer_fen: np.ndarray  # (paths, layers): over the horizon
    claims_fen: np.ndarray  # (paths, years): claims approved, at their amount on approval
    balance_end_fen: np.ndarray  # (paths, years)
    # (paths, years): some payable claim was left unpaid at a settlement
    budget_exhausted: np.ndarray
    waiting_fen: np.ndarray  # (paths,): approved and still owed at the horizon
    lapsed_fen: np.ndarray  # (paths,)
    pending_fen: np.ndarray  # (paths,): claims on the horizon's defaults approved after it
    pending_claims: np.ndarray  # (paths,): how many claims those are
    claim_paid_fen: np.ndarray | None = None  # per claim row: paid net of clawbacks at the horizon


def settle(
    claims: ClaimTable, n_paths: int, rules: FundRules, set_aside_fen: np.ndarray | None = None
) -> FundTotals:
    """Run the fund's settlement calendar over every path at once (the twin of loss.pay_claims).

    `set_aside_fen` (paths, years), for a joint pot: paid first out of each year's budget and balance
    when the year opens (the subsidies); what they cannot cover counts as the pot running short."""
    years, per_year, n_layers = rules.years, rules.per_year, len(LAYERS)
    path, layer = claims.path, claims.layer
    due = claims.due_first.copy()
    paid = np.zeros_like(due)
    closed = np.zeros(due.shape, dtype=bool)
    balance = np.full(n_paths, rules.initial_balance_fen, dtype=np.int64)
    budget_left = np.zeros(n_paths, dtype=np.int64)
    payout = np.zeros((n_paths, years, n_layers), dtype=np.int64)
    clawback = np.zeros((n_paths, years), dtype=np.int64)
    clawback_by_layer = np.zeros(n_paths * n_layers, dtype=np.int64)
    demand = np.zeros((n_paths, years), dtype=np.int64)
    balance_end = np.zeros((n_paths, years), dtype=np.int64)
    short = np.zeros((n_paths, years), dtype=bool)
    approved_this_year = np.zeros(
        n_paths * n_layers, dtype=np.int64
    )  # per institution (path, layer)
    last = years * per_year
    schedule = claims.schedule(last, n_paths)
    approving, revising = schedule.approving, schedule.revising
    owing = np.zeros(due.shape, dtype=bool)  # approved, not lapsed, and still owed: the queue
    for batch in range(1, last + 1):
        year = (batch - 1) // per_year
        if (batch - 1) % per_year == 0:
            budget_left[:] = rules.budget_fen
            balance += rules.contribution_fen if year else 0
            approved_this_year[:] = 0
            if set_aside_fen is not None:
                wanted = set_aside_fen[:, year]
                spent = np.minimum(wanted, np.maximum(np.minimum(balance, budget_left), 0))
                balance -= spent
                budget_left -= spent
                short[:, year] |= spent < wanted
        revised = revising[batch]
        if revised.size:
            due[revised] = np.minimum(due[revised], claims.due_final[revised])
            excess = np.maximum(paid[revised] - due[revised], 0)
            paid[revised] -= excess
            back = _sum_by(path[revised], excess, n_paths)
            balance += back
            clawback[:, year] += back
            clawback_by_layer += _sum_by(
                path[revised] * n_layers + layer[revised], excess, n_paths * n_layers
            )
            owing[revised] &= due[revised] > paid[revised]
        new = approving[batch]  # in the table's order: by path, then approval
        institution = path[new] * n_layers + layer[new]
        if rules.institution_year_cap_fen is not None:
            due[new] = _within_yearly_cap(
                due[new], institution, approved_this_year, rules.institution_year_cap_fen
            )
        approved_this_year += _sum_by(institution, due[new], n_paths * n_layers)
        demand[:, year] += _sum_by(path[new], due[new], n_paths)
        owing[new] = due[new] > paid[new]
        queue = np.flatnonzero(owing)
        if queue.size:
            owed = due[queue] - paid[queue]
            queue_path = path[queue]
            before = _exclusive_cumsum_by_run(owed, queue_path)
            available = np.maximum(np.minimum(balance, budget_left), 0)
            pay = np.clip(available[queue_path] - before, 0, owed)
            paid[queue] += pay
            spent = _sum_by(queue_path, pay, n_paths)
            balance -= spent
            budget_left -= spent
            payout[:, year, :] += _sum_by(
                queue_path * n_layers + layer[queue], pay, n_paths * n_layers
            ).reshape(n_paths, n_layers)
            short[:, year] |= _sum_by(queue_path, (owed > pay).astype(np.int64), n_paths) > 0
            owing[queue] = owed > pay
        if rules.shortfall is Shortfall.LAPSE:
            closed[new] = True
            owing[new] = False
        balance_end[:, year] = balance
    # the queue holds exactly the approved, unlapsed claims still owed; what lapsed was closed
    owed_rows, closed_rows = np.flatnonzero(owing), np.flatnonzero(closed)
    left_over = np.maximum(due[closed_rows] - paid[closed_rows], 0)
    return FundTotals(
        payout_fen=payout,
        clawback_fen=clawback,
        clawback_by_layer_fen=clawback_by_layer.reshape(n_paths, n_layers),
        claims_fen=demand,
        balance_end_fen=balance_end,
        budget_exhausted=short,
        waiting_fen=_sum_by(path[owed_rows], due[owed_rows] - paid[owed_rows], n_paths),
        lapsed_fen=_sum_by(path[closed_rows], left_over, n_paths),
        pending_fen=schedule.pending_fen,
        pending_claims=schedule.pending_claims,
        claim_paid_fen=paid,
    )


def _by_batch(batch: np.ndarray, last: int) -> list[np.ndarray]:
    """The rows due at each settlement date 0..last, each date's in table order, then those due later."""
    key = np.minimum(batch, last + 1).astype(np.uint16 if last < 1 << 15 else np.int64)
    order = np.argsort(key, kind="stable")  # a radix sort for 16-bit keys
    return np.split(order, np.cumsum(np.bincount(key, minlength=last + 2))[:-1])


def _within_yearly_cap(
    amount: np.ndarray, institution: np.ndarray, approved: np.ndarray, cap: int
) -> np.ndarray:
    """Claims in order of approval cut to what still fits under each institution's yearly cap.

    Claim by claim (loss.cap_for_institution_year) the approved total after claim i is
    min(cap, approved + the sum of claims up to i), so claim i keeps the difference of two such minima.
    """
    order = np.argsort(institution, kind="stable")
    amount_sorted, key = amount[order], institution[order]
    upto = approved[key] + _exclusive_cumsum_by_run(amount_sorted, key) + amount_sorted
    capped = np.empty_like(amount)
    capped[order] = np.minimum(cap, upto) - np.minimum(cap, upto - amount_sorted)
    return capped


def _sum_by(group: np.ndarray, amount: np.ndarray, n_groups: int) -> np.ndarray:
    """Exact int64 sums of amounts per group (bincount's float64 is exact below 2**53 fen per group)."""
    return np.rint(np.bincount(group, weights=amount, minlength=n_groups)).astype(np.int64)


def _exclusive_cumsum_by_run(amount: np.ndarray, run_key: np.ndarray) -> np.ndarray:
    """For rows grouped in runs of equal key: the sum of the earlier rows of the same run."""
    total = np.cumsum(amount)
    exclusive = total - amount
    starts = np.flatnonzero(np.r_[True, run_key[1:] != run_key[:-1]])
    run_index = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, amount.size]))
    return exclusive - exclusive[starts][run_index]
