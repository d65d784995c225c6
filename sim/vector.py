"""The vectorised engine: a block of paths at a time, in NumPy, with no per-loan draws for loans that survive.

Given the year's factor Z, every loan of a cell (same segment and vintage) defaults with the same
probability, so the number of defaults per cell is drawn binomially; only then are the defaulters picked
(uniformly, without replacement, across the years) and their disposals simulated. Trading-centre
capacity is not modelled here (use the event engine for queues).
"""

from __future__ import annotations

import numpy as np

from market.domain.loss import LAYERS
from sim.compensation import compute_claims
from sim.model import Scenario
from sim.portfolio import LoanBook, conditional_pd
from sim.recovery import dispose, principal_loss_fen, unpaid_interest_fen
from sim.results import PathTotals
from sim.settlement import DAYS_PER_YEAR, NEVER, ClaimTable, FundRules, settle, settlement_batch

STREAMS = ("factor", "defaults", "picks", "timing", "recovery")


def run_block(
    scenario: Scenario, book: LoanBook, seed: np.random.SeedSequence, n_paths: int
) -> PathTotals:
    """Simulate one block of paths; the block's seed fixes every draw."""
    rng = dict(
        zip(STREAMS, (np.random.default_rng(s) for s in seed.spawn(len(STREAMS))), strict=True)
    )
    years = scenario.horizon_years
    factor = rng["factor"].standard_normal((n_paths, years))
    counts = default_counts(scenario, book, factor, rng["defaults"])  # (cells, paths, years)
    cell, path, year = (np.repeat(a.ravel(), counts.ravel()) for a in np.indices(counts.shape))
    loan = pick_defaulters(book, cell * n_paths + path, cell, rng["picks"])
    day = DAYS_PER_YEAR * (year + rng["timing"].random(loan.size))
    principal = book.principal_fen[loan]
    disposals = dispose(
        rng["recovery"], scenario, principal, book.appraised_fen(loan), factor[path, year]
    )
    cash_day = day + disposals.filing_days + disposals.operator_days
    interest = unpaid_interest_fen(principal, book.rate[loan], day / DAYS_PER_YEAR - year)
    loss = principal_loss_fen(scenario, disposals.proceeds_fen, interest, principal)
    claims = claim_table(scenario, path, day, cash_day, principal, loss)
    fund = settle(claims, n_paths, FundRules.of(scenario.compensation, years))
    by_path_year = path * years + year
    originated = np.array([book.exposure_fen(y) for y in range(years)], dtype=np.int64)
    defaulted = _by(by_path_year, principal, n_paths, years)
    defaulted_before = np.cumsum(defaulted, axis=1) - defaulted
    lost_subsidy = _by(by_path_year, book.annual_subsidy_fen[loan], n_paths, years).cumsum(axis=1)
    book_subsidy = np.array(
        [book.annual_subsidy_fen[book.vintage <= y].sum() for y in range(years)], dtype=np.int64
    )
    return PathTotals(
        defaults=counts.sum(axis=0),
        exposure_fen=originated - defaulted_before,
        principal_loss_fen=_by(by_path_year, loss, n_paths, years),
        claims_fen=fund.claims_fen,
        payout_fen=fund.payout_fen,
        clawback_fen=fund.clawback_fen,
        subsidy_fen=book_subsidy - lost_subsidy,
        balance_end_fen=fund.balance_end_fen,
        budget_exhausted=fund.budget_exhausted,
        waiting_fen=fund.waiting_fen,
        lapsed_fen=fund.lapsed_fen,
        pending_fen=fund.pending_fen,
        disposals=np.bincount(path, minlength=n_paths).astype(np.int64),
        disposal_days=np.bincount(path, weights=cash_day - day, minlength=n_paths),
        queue_days=np.zeros(n_paths),
    )


def default_counts(
    scenario: Scenario, book: LoanBook, factor: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Defaults per (cell, path, year): binomial in the loans still performing, given the year's Z."""
    segments, correlation = scenario.default.segments, scenario.default.asset_correlation
    n_paths, years = factor.shape
    performing = np.zeros((len(book.cells), n_paths), dtype=np.int64)
    counts = np.zeros((len(book.cells), n_paths, years), dtype=np.int64)
    pd = np.array([segments[c.segment].pd_annual for c in book.cells])[:, None]
    for y in range(years):
        for i, c in enumerate(book.cells):
            if c.vintage == y:
                performing[i] = c.size
        p = conditional_pd(pd, correlation, factor[None, :, y])
        counts[:, :, y] = rng.binomial(performing, p)
        performing -= counts[:, :, y]
    return counts


def pick_defaulters(
    book: LoanBook, group: np.ndarray, cell: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Which loans default: distinct loans of the cell within each (cell, path) group, uniformly.

    The years of a group take its picks in order, so a loan defaults at most once."""
    start = np.array([c.start for c in book.cells], dtype=np.int64)
    size = np.array([c.size for c in book.cells], dtype=np.int64)
    alike = np.array([c.alike for c in book.cells], dtype=bool)
    index = np.zeros(cell.size, dtype=np.int64)
    draw = np.flatnonzero(~alike[cell])  # loans of an alike cell are interchangeable
    if draw.size:
        index[draw] = distinct_uniform(rng, group[draw], size[cell[draw]])
    return start[cell] + index


def distinct_uniform(
    rng: np.random.Generator, group: np.ndarray, population: np.ndarray
) -> np.ndarray:
    """For rows grouped by `group`, indices in [0, population) that are distinct within each group.

    Draw with replacement, redraw the later of any two equal draws in a group, repeat: every ordered
    set of distinct indices is equally likely, because the procedure treats all labels alike.
    """
    index = rng.integers(0, population)
    active = np.arange(index.size)
    for _ in range(64):
        key = group[active] * (int(population.max()) + 1) + index[active]
        order = np.argsort(key, kind="stable")
        repeated = np.r_[False, key[order][1:] == key[order][:-1]]
        again = active[order[repeated]]
        if again.size == 0:
            return index
        index[again] = rng.integers(0, population[again])
        active = active[np.isin(group[active], group[again])]
    for g in np.unique(group[active]):  # nearly every loan of a cell defaulted: shuffle instead
        rows = active[group[active] == g]
        index[rows] = rng.permutation(int(population[rows[0]]))[: rows.size]
    return index


def claim_table(
    scenario: Scenario,
    path: np.ndarray,
    day: np.ndarray,
    cash_day: np.ndarray,
    principal: np.ndarray,
    loss: np.ndarray,
) -> ClaimTable:
    """One claim per (defaulted loan, layer) with a positive amount, in order of approval on each path."""
    comp, layers = scenario.compensation, scenario.layers
    per_year = comp.settlements_per_year
    final = compute_claims(loss, layers, comp.policy)
    first = final.copy()
    revise = np.full(loss.size, NEVER, dtype=np.int64)
    file_day = cash_day
    if comp.claim_days is not None:
        # filed before the recovery, on the whole principal; revised when the cash comes in
        early = day + comp.claim_days < cash_day
        file_day = np.where(early, day + comp.claim_days, cash_day)
        first[early] = compute_claims(principal[early], layers, comp.policy)
        final = np.minimum(final, first)
        revise[early] = settlement_batch(cash_day[early], per_year)
    approve_day = file_day + comp.payment_lag_days
    order = np.lexsort((approve_day, path))
    n_layers = len(LAYERS)
    due_first = first[order].ravel()  # row by row: each loan's layers in layer order
    keep = due_first > 0
    rows = np.repeat(order, n_layers)[keep]
    return ClaimTable(
        path=path[rows],
        layer=np.tile(np.arange(n_layers), order.size)[keep],
        approve_batch=settlement_batch(approve_day, per_year)[rows],
        revise_batch=revise[rows],
        due_first=due_first[keep],
        due_final=final[order].ravel()[keep],
    )


def _by(group: np.ndarray, amount: np.ndarray, n_paths: int, years: int) -> np.ndarray:
    return (
        np.rint(np.bincount(group, weights=amount, minlength=n_paths * years))
        .astype(np.int64)
        .reshape(n_paths, years)
    )
