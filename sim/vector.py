"""The vectorised engine: a block of paths at a time, in NumPy, with no per-loan draws for loans that survive.

Given the year's factor Z, every loan of a cell (same segment and vintage) defaults with the same
probability, so the number of defaults per cell is drawn binomially; only then are the defaulters picked
(uniformly, without replacement, across the years) and their disposals simulated. The trading centre's
capacity is modelled with a NumPy first-filed, first-served queue over the whole block
(sim.centre.queue_starts); the event engine takes the same draws (draw_cases) and totals (block_totals)
and runs that queue in SimPy instead, the reference the NumPy queue is tested against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from market.domain.loss import LAYERS
from sim.centre import centre_load, filing_order, queue_starts
from sim.compensation import compute_claims
from sim.contributions import payout_by_group
from sim.copula import Economy, case_factor, cell_default_probability, draw_economy
from sim.levers import LoanPolicies, limit_claims, loan_policies
from sim.model import Scenario
from sim.portfolio import LoanBook
from sim.recovery import Disposals, dispose, principal_loss_fen, unpaid_interest_fen
from sim.results import PathTotals
from sim.settlement import DAYS_PER_YEAR, NEVER, ClaimTable, FundRules, settle, settlement_batch
from sim.subsidy import subsidy_by_year

STREAMS = ("factor", "defaults", "picks", "timing", "recovery", "mixing")


@dataclass(frozen=True)
class BlockCases:
    """A block's defaulted loans, one row per default, and how each is disposed of (capacity aside)."""

    counts: np.ndarray  # (cells, paths, years): defaults per cell
    factor: np.ndarray  # (paths, years): the economy, Z
    path: np.ndarray  # per default
    year: np.ndarray
    loan: np.ndarray
    day: np.ndarray  # default day, counted from the start of the horizon
    disposals: Disposals

    @property
    def filed_day(self) -> np.ndarray:
        """When each case reaches the trading centre (for the rate model: when its cash comes in)."""
        return self.day + self.disposals.filing_days


def run_block(
    scenario: Scenario, book: LoanBook, seed: np.random.SeedSequence, n_paths: int
) -> PathTotals:
    """Simulate one block of paths; the block's seed fixes every draw."""
    return run_block_funds(scenario, book, seed, n_paths, [fund_rules(scenario)])[0]


def run_block_funds(
    scenario: Scenario,
    book: LoanBook,
    seed: np.random.SeedSequence,
    n_paths: int,
    funds: list[FundRules],
) -> list[PathTotals]:
    """One block of paths settled under each of several funds' rules: the draws, the centre's queue
    and the claims are made once, since a fund's money does not change them."""
    cases = draw_cases(scenario, book, seed, n_paths)
    operators = centre_operators(scenario)
    started = cases.filed_day
    if operators is not None:
        work = cases.disposals.operator_days
        started = queue_starts(cases.path, started, work, operators, n_paths)
    return block_totals(scenario, book, cases, started, funds)


def fund_rules(scenario: Scenario) -> FundRules:
    """The fund's rules the scenario sets, over its horizon."""
    return FundRules.of(scenario.compensation, scenario.horizon_years)


def centre_operators(scenario: Scenario) -> int | None:
    """The trading centre's operators when cases queue for them (auction model, limited capacity)."""
    return scenario.auction.operators if scenario.recovery.model == "auction" else None


def draw_cases(
    scenario: Scenario, book: LoanBook, seed: np.random.SeedSequence, n_paths: int
) -> BlockCases:
    """The economy, who defaults and when, and each defaulter's disposal, for a block of paths."""
    rng = dict(
        zip(STREAMS, (np.random.default_rng(s) for s in seed.spawn(len(STREAMS))), strict=True)
    )
    economy = draw_economy(
        scenario.default, rng["factor"], rng["mixing"], n_paths, scenario.horizon_years
    )
    factor = economy.factor
    counts = default_counts(scenario, book, economy, rng["defaults"])  # (cells, paths, years)
    cell, path, year = (np.repeat(a.ravel(), counts.ravel()) for a in np.indices(counts.shape))
    loan = pick_defaulters(book, cell * n_paths + path, cell, rng["picks"])
    day = DAYS_PER_YEAR * (year + rng["timing"].random(loan.size))
    disposals = dispose(
        rng["recovery"],
        scenario,
        book.principal_fen[loan],
        book.appraised_fen(loan),
        case_factor(economy, book.segment[loan], path, year),
    )
    return BlockCases(counts, factor, path, year, loan, day, disposals)


def block_totals(
    scenario: Scenario,
    book: LoanBook,
    cases: BlockCases,
    started: np.ndarray,
    funds: list[FundRules],
) -> list[PathTotals]:
    """Losses, claims and each fund's settlements of a block, given when an operator took each case."""
    n_paths, years = cases.factor.shape
    path, year, loan, day, disposals = (
        cases.path,
        cases.year,
        cases.loan,
        cases.day,
        cases.disposals,
    )
    principal = book.principal_fen[loan]
    cash_day = started + disposals.operator_days
    interest = unpaid_interest_fen(principal, book.rate[loan], day / DAYS_PER_YEAR - year)
    loss = principal_loss_fen(scenario, disposals.proceeds_fen, interest, principal)
    claims = claim_table(
        scenario, path, day, cash_day, principal, loss, loan_policies(scenario, book, loan)
    )
    claims = limit_claims(scenario, book, claims, loan, loss)  # the annual cap, stop-loss lines
    by_path_year = path * years + year
    horizon_days = years * DAYS_PER_YEAR
    operators = centre_operators(scenario)
    load = centre_load(
        path, cases.filed_day, started, disposals.operator_days, horizon_days, n_paths
    )
    originated = np.array([book.exposure_fen(y) for y in range(years)], dtype=np.int64)
    defaulted = _by(by_path_year, principal, n_paths, years)
    defaulted_before = np.cumsum(defaulted, axis=1) - defaulted
    subsidy = subsidy_by_year(book.subsidy_book_fen, book.subsidy_fen, loan, path, year, n_paths)
    shared = dict(  # the same whatever the fund's money
        defaults=cases.counts.sum(axis=0),
        exposure_fen=originated - defaulted_before,
        principal_loss_fen=_by(by_path_year, loss, n_paths, years),
        subsidy_fen=subsidy,
        disposals=np.bincount(path, minlength=n_paths).astype(np.int64),
        disposal_days=np.bincount(path, weights=cash_day - day, minlength=n_paths),
        queue_days=np.bincount(path, weights=started - cases.filed_day, minlength=n_paths),
        centre_utilisation=load.offered_days / (operators or math.inf) / horizon_days,
        centre_busy_share=load.busy_days / (operators or math.inf) / horizon_days,
        wait_p95_days=load.wait_p95_days,
        waiting_at_horizon=load.waiting_at_horizon,
    )
    joint = subsidy.sum(axis=2)  # what a joint pot pays first each year: every subsidy line
    totals = []
    claimant = loan[claims.case]
    for rules in funds:
        fund = settle(claims, n_paths, rules, set_aside_fen=joint if rules.joint_pot else None)
        # per claim, only what each bank, sector and size band was paid is kept
        kept = {name: v for name, v in vars(fund).items() if name != "claim_paid_fen"}
        groups = payout_by_group(
            scenario, book, claims.path, claimant, fund.claim_paid_fen, n_paths
        )
        totals.append(PathTotals(**shared, **kept, group_payout_fen=groups))  # PathTotals' names
    return totals


def default_counts(
    scenario: Scenario, book: LoanBook, economy: Economy, rng: np.random.Generator
) -> np.ndarray:
    """Defaults per (cell, path, year): binomial in the loans still performing, given the year's
    economy (sim.copula)."""
    segments = scenario.default.segments
    n_paths, years = economy.factor.shape
    cell_segment = np.array([c.segment for c in book.cells], dtype=np.int64)
    performing = np.zeros((len(book.cells), n_paths), dtype=np.int64)
    counts = np.zeros((len(book.cells), n_paths, years), dtype=np.int64)
    pd = np.array([segments[c.segment].pd_annual for c in book.cells])[:, None]
    for y in range(years):
        for i, c in enumerate(book.cells):
            if c.vintage == y:
                performing[i] = c.size
        p = cell_default_probability(scenario.default, pd, cell_segment, economy, y)
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
    span = int(population.max()) + 1
    key = group * span + index
    suspect = np.arange(index.size)
    redrawn = np.zeros(span, dtype=bool)
    for _ in range(64):
        again = suspect[later_repeats(key[suspect])]
        if again.size == 0:
            return index
        index[again] = rng.integers(0, population[again])
        key[again] = group[again] * span + index[again]
        # only a key a redrawn row holds can repeat now, and every row holding one has its index
        redrawn[:] = False
        redrawn[index[again]] = True
        suspect = np.flatnonzero(redrawn[index])
    for g in np.unique(group[again]):  # nearly every loan of a cell defaulted: shuffle instead
        rows = np.flatnonzero(group == g)
        index[rows] = rng.permutation(int(population[rows[0]]))[: rows.size]
    return index


def later_repeats(key: np.ndarray) -> np.ndarray:
    """Positions of every repeat of a key after its first occurrence, ordered by key, then position.

    Keys are non-negative: a key shifted left with its position in the low bits makes one int64, and
    a plain sort of those, faster than an argsort, orders both."""
    bits = key.size.bit_length()
    if key.size and int(key.max()) < 1 << (62 - bits):
        packed = np.sort((key << bits) | np.arange(key.size))
        ordered, position = packed >> bits, packed & ((1 << bits) - 1)
    else:
        position = np.argsort(key, kind="stable")
        ordered = key[position]
    return position[1:][ordered[1:] == ordered[:-1]]


def claim_table(
    scenario: Scenario,
    path: np.ndarray,
    day: np.ndarray,
    cash_day: np.ndarray,
    principal: np.ndarray,
    loss: np.ndarray,
    policies: LoanPolicies | None = None,
) -> ClaimTable:
    """One claim per (defaulted loan, layer) with a positive amount, in order of approval on each path
    (`policies`: each case's policy, when the ratio varies by size band or bank; sim.levers)."""
    comp, layers = scenario.compensation, scenario.layers
    per_year = comp.settlements_per_year
    early = np.zeros(loss.size, dtype=bool)
    if comp.claim_days is not None:
        # filed before the recovery, on the whole principal; revised when the cash comes in
        early = day + comp.claim_days < cash_day
    # most disposals cover the principal: a loan with no loss and no early claim claims nothing
    claimed = np.flatnonzero((loss > 0) | early)
    path, day, cash_day, principal, loss, early = (
        a[claimed] for a in (path, day, cash_day, principal, loss, early)
    )
    final = np.zeros((loss.size, len(LAYERS)), dtype=np.int64)  # no loss, no claim on it
    lost = np.flatnonzero(loss > 0)
    final[lost] = (
        compute_claims(loss[lost], layers, comp.policy)
        if policies is None
        else policies.claims(loss[lost], layers, claimed[lost])
    )
    first = final.copy()
    revise = np.full(loss.size, NEVER, dtype=np.int64)
    file_day = cash_day
    if comp.claim_days is not None:
        file_day = np.where(early, day + comp.claim_days, cash_day)
        first[early] = (
            compute_claims(principal[early], layers, comp.policy)
            if policies is None
            else policies.claims(principal[early], layers, claimed[early])
        )
        final = np.minimum(final, first)
        revise[early] = settlement_batch(cash_day[early], per_year)
    approve_day = file_day + comp.payment_lag_days
    order = filing_order(path, approve_day)  # by path, then approval (np.lexsort, faster)
    n_layers = len(LAYERS)
    due_first = first[order].ravel()  # row by row: each loan's layers in layer order
    keep = np.flatnonzero(due_first > 0)
    rank, layer = np.divmod(keep, n_layers)
    rows = order[rank]
    return ClaimTable(
        path=path[rows],
        layer=layer,
        approve_batch=settlement_batch(approve_day, per_year)[rows],
        revise_batch=revise[rows],
        due_first=due_first[keep],
        due_final=final.ravel()[rows * n_layers + layer],
        case=claimed[rows],
    )


def _by(group: np.ndarray, amount: np.ndarray, n_paths: int, years: int) -> np.ndarray:
    return (
        np.rint(np.bincount(group, weights=amount, minlength=n_paths * years))
        .astype(np.int64)
        .reshape(n_paths, years)
    )
