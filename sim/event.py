"""The event engine (SimPy): loan-by-loan defaults, and the trading centre's queue where capacity matters.

Each path: the economy draws each year's factor Z and every performing loan's own asset value (the
copula loan by loan, where the vector engine draws counts), and the day each defaulter defaults; each
defaulted loan's disposal is drawn in order of default (sim.recovery), so a queue never reorders draws.
Then the SimPy environment runs the trading centre where its capacity is limited: each of the
`operators` is a process that takes the next case in order of filing, waits for it to be filed if need
be, and works it (notice, rounds, negotiated sale, licence or conversion), until every case is disposed
of. Losses, claims and the bureau's settlement calendar do not feed back into that timing, so they are
computed afterwards, for all paths at once, with the NumPy twin of loss.py the vector engine uses
(tests check it against the claim-by-claim FundOffice). A case costs one or two SimPy timeouts and no
per-event NumPy work; with unlimited capacity (or the plain recovery-rate model) nobody queues and no
events are needed.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass

import numpy as np
import simpy

from sim.model import Scenario
from sim.portfolio import LoanBook, default_threshold
from sim.recovery import dispose, principal_loss_fen, unpaid_interest_fen
from sim.results import PathTotals
from sim.settlement import DAYS_PER_YEAR, FundRules, settle
from sim.vector import claim_table

STREAMS = ("factor", "defaults", "timing", "recovery")

_events = [0]  # SimPy events scheduled by the event engine in this process (for the benchmark)


@dataclass(frozen=True)
class PathCases:
    """One path's economy and its defaulted loans in order of default, with when their cash came in."""

    defaults: np.ndarray  # (years,)
    exposure_fen: np.ndarray  # (years,): performing principal at the start of the year
    subsidy_fen: np.ndarray  # (years,)
    loan: np.ndarray  # per case
    year: np.ndarray
    day: np.ndarray  # default day, counted from the start of the horizon
    proceeds_fen: np.ndarray
    cash_day: np.ndarray
    queue_days: np.ndarray  # waiting for an operator


def run_block(
    scenario: Scenario, book: LoanBook, seed: np.random.SeedSequence, n_paths: int
) -> PathTotals:
    """Simulate a block of paths, each with its own seeds spawned from the block's."""
    return run_paths(scenario, book, seed, 0, n_paths)


def run_paths(
    scenario: Scenario, book: LoanBook, seed: np.random.SeedSequence, first: int, stop: int
) -> PathTotals:
    """Paths first..stop-1 of a block: path i draws only from child i of the block's seed."""
    paths = [run_path(scenario, book, child_seed(seed, i)) for i in range(first, stop)]
    return fund_side(scenario, book, paths)


def events_scheduled() -> int:
    """SimPy events scheduled by the event engine in this process so far."""
    return _events[0]


def run_path(scenario: Scenario, book: LoanBook, seed: np.random.SeedSequence) -> PathCases:
    """One path: the economy, each defaulted loan's disposal, then the trading centre in SimPy."""
    rng = dict(
        zip(STREAMS, (np.random.default_rng(s) for s in seed.spawn(len(STREAMS))), strict=True)
    )
    defaults, exposure, subsidy, loan, year, day, factor = economy(scenario, book, rng)
    principal = book.principal_fen[loan]
    disposal = dispose(rng["recovery"], scenario, principal, book.appraised_fen(loan), factor)
    filed = day + disposal.filing_days
    operators = scenario.auction.operators
    if scenario.recovery.model == "auction" and operators is not None and loan.size:
        started = trading_centre(filed, disposal.operator_days, operators)
    else:
        started = filed  # nobody waits for an operator
    return PathCases(
        defaults=defaults,
        exposure_fen=exposure,
        subsidy_fen=subsidy,
        loan=loan,
        year=year,
        day=day,
        proceeds_fen=disposal.proceeds_fen,
        cash_day=started + disposal.operator_days,
        queue_days=started - filed,
    )


def economy(
    scenario: Scenario, book: LoanBook, rng: dict[str, np.random.Generator]
) -> tuple[np.ndarray, ...]:
    """Each year: new loans join, Z is drawn, each performing loan defaults if its asset value falls short."""
    model, years = scenario.default, scenario.horizon_years
    threshold = np.array([default_threshold(s.pd_annual) for s in model.segments])[book.segment]
    r = model.asset_correlation
    defaults, exposure, subsidy = (np.zeros(years, dtype=np.int64) for _ in range(3))
    performing = np.zeros(0, dtype=np.int64)
    loans, years_of, days, factors = [], [], [], []
    for year in range(years):
        performing = np.r_[performing, np.flatnonzero(book.vintage == year)]
        exposure[year] = book.principal_fen[performing].sum()
        factor = rng["factor"].standard_normal()
        asset = np.sqrt(r) * factor + np.sqrt(1 - r) * rng["defaults"].standard_normal(
            performing.size
        )
        defaulted = asset < threshold[performing]
        loans.append(performing[defaulted])
        days.append(DAYS_PER_YEAR * (year + rng["timing"].random(loans[-1].size)))
        years_of.append(np.full(loans[-1].size, year))
        factors.append(np.full(loans[-1].size, factor))
        defaults[year] = loans[-1].size
        performing = performing[~defaulted]
        subsidy[year] = book.annual_subsidy_fen[performing].sum()
    loan, year_, day, factor_ = (np.concatenate(a) for a in (loans, years_of, days, factors))
    return defaults, exposure, subsidy, loan, year_, day, factor_


def trading_centre(filed: np.ndarray, work_days: np.ndarray, operators: int) -> np.ndarray:
    """Run the centre in SimPy: the day each case gets an operator, first filed, first served."""
    env = simpy.Environment()
    order = np.argsort(filed, kind="stable")
    queue = zip(order.tolist(), filed[order].tolist(), work_days[order].tolist(), strict=True)
    started = [0.0] * filed.size
    for _ in range(min(operators, filed.size)):
        env.process(operator(env, queue, started))
    env.run()
    _events[0] += next(env._eid)  # the environment's own event counter: no cost per event
    return np.array(started)


def operator(
    env: simpy.Environment, queue: Iterator[tuple[int, float, float]], started: list[float]
) -> Generator[simpy.Event, None, None]:
    """An operator takes the next case in order of filing, waits for it if it is not filed yet, works it.

    The operator free first takes the next case, so this is the centre's first-come-first-served queue
    (what a simpy.Resource would give), with one or two timeouts a case and no request objects.
    """
    for case, filed_day, work_days in queue:  # one queue shared by every operator
        if filed_day > env.now:
            yield env.timeout(filed_day - env.now)
        started[case] = env.now
        yield env.timeout(work_days)


def fund_side(scenario: Scenario, book: LoanBook, paths: list[PathCases]) -> PathTotals:
    """Losses, claims and the fund's settlements for some paths at once, from their cases."""
    n_paths, years = len(paths), scenario.horizon_years
    path = np.repeat(np.arange(n_paths), [p.loan.size for p in paths])
    loan, year, day, proceeds, cash_day, queue_days = (
        np.concatenate([getattr(p, name) for p in paths])
        for name in ("loan", "year", "day", "proceeds_fen", "cash_day", "queue_days")
    )
    principal = book.principal_fen[loan]
    interest = unpaid_interest_fen(principal, book.rate[loan], day / DAYS_PER_YEAR - year)
    loss = principal_loss_fen(scenario, proceeds, interest, principal)
    claims = claim_table(scenario, path, day, cash_day, principal, loss)
    fund = settle(claims, n_paths, FundRules.of(scenario.compensation, years))
    by_path_year = np.bincount(path * years + year, weights=loss, minlength=n_paths * years)
    return PathTotals(
        defaults=np.stack([p.defaults for p in paths]),
        exposure_fen=np.stack([p.exposure_fen for p in paths]),
        principal_loss_fen=np.rint(by_path_year).astype(np.int64).reshape(n_paths, years),
        claims_fen=fund.claims_fen,
        payout_fen=fund.payout_fen,
        clawback_fen=fund.clawback_fen,
        subsidy_fen=np.stack([p.subsidy_fen for p in paths]),
        balance_end_fen=fund.balance_end_fen,
        budget_exhausted=fund.budget_exhausted,
        waiting_fen=fund.waiting_fen,
        lapsed_fen=fund.lapsed_fen,
        pending_fen=fund.pending_fen,
        disposals=np.bincount(path, minlength=n_paths).astype(np.int64),
        disposal_days=np.bincount(path, weights=cash_day - day, minlength=n_paths),
        queue_days=np.bincount(path, weights=queue_days, minlength=n_paths),
    )


def child_seed(parent: np.random.SeedSequence, index: int) -> np.random.SeedSequence:
    """What parent.spawn(n)[index] gives, made directly so any worker can compute any path."""
    return np.random.SeedSequence(
        parent.entropy, spawn_key=(*parent.spawn_key, index), pool_size=parent.pool_size
    )
