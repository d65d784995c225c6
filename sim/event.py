"""The event engine (SimPy), the reference: the vector engine's draws, then the trading centre's queue in SimPy.

A block of paths draws its economy, its defaulters, the day each defaults and each case's disposal
exactly as the vector engine does (sim.vector.draw_cases: the number of defaults per cell given the
year's factor Z, then which loans), all before any queueing, so a queue never reorders draws. Then SimPy
runs the trading centre where its capacity is limited, one environment per path: each of the
`operators` takes the path's next case in order of filing, waits for it to be filed if need be, and
works it (notice, rounds, negotiated sale, licence or conversion), until every case is disposed of.
Losses, claims and the bureau's settlement calendar do not feed back into that timing, so they are
computed afterwards for the whole block with the vector engine's code (sim.vector.block_totals, whose
NumPy fund twin tests check against the claim-by-claim FundOffice). A case costs one SimPy timeout,
two when its operator has to wait for the filing, and no per-event NumPy work; with unlimited capacity
(or the plain recovery-rate model) nobody queues, no events are needed, and the engine gives exactly
the vector engine's result for the same seed.
"""

from __future__ import annotations

from array import array

import numpy as np
import simpy

from sim.centre import filing_order
from sim.model import Scenario
from sim.portfolio import LoanBook
from sim.results import PathTotals
from sim.settlement import FundRules
from sim.vector import block_totals, centre_operators, draw_cases, fund_rules

_events = [0]  # SimPy events scheduled by the event engine in this process (for the benchmark)


def run_block(
    scenario: Scenario, book: LoanBook, seed: np.random.SeedSequence, n_paths: int
) -> PathTotals:
    """Simulate one block of paths; the block's seed fixes every draw, as in the vector engine."""
    return run_block_funds(scenario, book, seed, n_paths, [fund_rules(scenario)])[0]


def run_block_funds(
    scenario: Scenario,
    book: LoanBook,
    seed: np.random.SeedSequence,
    n_paths: int,
    funds: list[FundRules],
) -> list[PathTotals]:
    """One block of paths settled under each of several funds' rules (the draws and queue made once)."""
    cases = draw_cases(scenario, book, seed, n_paths)
    filed = cases.filed_day
    operators = centre_operators(scenario)
    if operators is not None:
        started = trading_centre(cases.path, filed, cases.disposals.operator_days, operators)
    else:
        started = filed  # nobody waits for an operator
    return block_totals(scenario, book, cases, started, funds)


def events_scheduled() -> int:
    """SimPy events scheduled by the event engine in this process so far."""
    return _events[0]


def trading_centre(
    path: np.ndarray, filed: np.ndarray, work_days: np.ndarray, operators: int
) -> np.ndarray:
    """Run each path's centre in SimPy: the day each case gets an operator, first filed, first served.

    Paths share nothing, so each runs in its own environment (a few small event queues run faster
    than one large one); the cases are sorted once for all paths.
    """
    order = filing_order(path, filed)
    ends = np.cumsum(np.bincount(path, minlength=int(path.max(initial=-1)) + 1)).tolist()
    filed_days, work = filed[order], work_days[order]
    started = array("d")  # by position in `order`; read by NumPy without a copy
    first = 0
    for stop in ends:
        if stop > first:
            path_centre(
                filed_days[first:stop].tolist(), work[first:stop].tolist(), operators, started
            )
        first = stop
    by_case = np.empty(order.size)
    by_case[order] = np.frombuffer(started)
    return by_case


class PathEnvironment(simpy.Environment):
    """A SimPy environment made for one path, about four times faster to make than its parent class.

    simpy.Environment binds each of its event classes (timeout, process, ...) to every new instance,
    most of the cost of making one; it binds only what the instance's own class defines, so a
    subclass's instances skip that and bind `timeout` when path_centre asks for it, once a path.
    """


def path_centre(filed: list[float], work_days: list[float], operators: int, started: array) -> None:
    """One path's centre in its own environment: appends to `started` the day each case gets an operator.

    An operator is a chain of SimPy timeouts, one per case it works and one more when it has to wait
    for the case to be filed: when a case ends, the timeout's callback takes the path's next case.
    The operator free first takes it, so this is the centre's first-come-first-served queue (what a
    simpy.Resource gives, tested), without a request per case or a process per operator, whose
    start and end events would stand for nothing and whose generators cost about 15% more per event.
    """
    env = PathEnvironment()
    timeout, record = env.timeout, started.append
    # one queue shared by the path's operators, in order of filing
    queue = zip(filed, work_days, strict=True)

    def take_next(_done: simpy.Event | None = None) -> None:
        for filed_day, days in queue:  # the next case, if any is left
            now = env._now  # the clock without the property call: this runs once per event
            if filed_day > now:
                wait = filed_day - now
                record(now + wait)  # the day SimPy's clock reads when the wait ends
                timeout(wait, days).callbacks.append(work)
            else:
                record(now)
                timeout(days).callbacks.append(take_next)
            return

    def work(filing: simpy.Event) -> None:
        timeout(filing._value).callbacks.append(take_next)  # the wait carries the case's work days

    for _ in range(min(operators, len(filed))):
        take_next()
    env.run()
    _events[0] += next(env._eid)  # the environment's own event counter: no cost per event


def child_seed(parent: np.random.SeedSequence, index: int) -> np.random.SeedSequence:
    """What parent.spawn(n)[index] gives, made directly so any worker can compute any block."""
    return np.random.SeedSequence(
        parent.entropy, spawn_key=(*parent.spawn_key, index), pool_size=parent.pool_size
    )
