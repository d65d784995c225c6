"""The event engine (SimPy): the vector engine's draws, then the trading centre's queue where capacity matters.

A block of paths draws its economy, its defaulters, the day each defaults and each case's disposal
exactly as the vector engine does (sim.vector.draw_cases: the number of defaults per cell given the
year's factor Z, then which loans), all before any queueing, so a queue never reorders draws. Then SimPy
runs the trading centre where its capacity is limited, one environment per path: each of the
`operators` is a process that takes the path's next case in order of filing, waits for it to be filed if
need be, and works it (notice, rounds, negotiated sale, licence or conversion), until every case is
disposed of. Losses, claims and the bureau's settlement calendar do not feed back into that timing, so
they are computed afterwards for the whole block with the vector engine's code (sim.vector.block_totals,
whose NumPy fund twin tests check against the claim-by-claim FundOffice). A case costs one SimPy
timeout, two when its operator has to wait for the filing (and each operator a start and an end event),
and no per-event NumPy work; with unlimited capacity (or the plain recovery-rate model) nobody queues,
no events are needed, and the engine gives exactly the vector engine's result for the same seed.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import numpy as np
import simpy

from sim.model import Scenario
from sim.portfolio import LoanBook
from sim.results import PathTotals
from sim.vector import block_totals, draw_cases

_events = [0]  # SimPy events scheduled by the event engine in this process (for the benchmark)


def run_block(
    scenario: Scenario, book: LoanBook, seed: np.random.SeedSequence, n_paths: int
) -> PathTotals:
    """Simulate one block of paths; the block's seed fixes every draw, as in the vector engine."""
    cases = draw_cases(scenario, book, seed, n_paths)
    filed = cases.filed_day
    operators = scenario.auction.operators
    if scenario.recovery.model == "auction" and operators is not None:
        started = trading_centre(cases.path, filed, cases.disposals.operator_days, operators)
    else:
        started = filed  # nobody waits for an operator
    return block_totals(scenario, book, cases, started)


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
    started = np.empty(order.size)  # by position in `order`
    first = 0
    for stop in ends:
        if stop > first:
            started[first:stop] = path_centre(
                filed_days[first:stop].tolist(), work[first:stop].tolist(), operators
            )
        first = stop
    by_case = np.empty(order.size)
    by_case[order] = started
    return by_case


def path_centre(filed: list[float], work_days: list[float], operators: int) -> list[float]:
    """One path's centre in its own environment: when each case, in order of filing, gets an operator."""
    env = simpy.Environment()
    started = [0.0] * len(filed)
    queue = zip(range(len(filed)), filed, work_days, strict=True)
    for _ in range(min(operators, len(filed))):
        env.process(operator(env, queue, started))
    env.run()
    _events[0] += next(env._eid)  # the environment's own event counter: no cost per event
    return started


def filing_order(path: np.ndarray, filed: np.ndarray) -> np.ndarray:
    """The cases path by path, each path's in order of filing (cases filed together in their own order).

    What np.lexsort((filed, path)) gives, faster: a quick sort by day (a stable one only if two days
    are equal), then a stable sort by path, a radix sort when the paths fit in 16 bits."""
    order = np.argsort(filed)
    if np.any(filed[order][1:] == filed[order][:-1]):
        order = np.argsort(filed, kind="stable")
    by_path = path[order]
    if by_path.size and by_path.max() < 1 << 16:
        by_path = by_path.astype(np.uint16)
    return order[np.argsort(by_path, kind="stable")]


def operator(
    env: simpy.Environment, queue: Iterator[tuple[int, float, float]], started: list[float]
) -> Generator[simpy.Event, None, None]:
    """An operator takes the next case in order of filing, waits for it if it is not filed yet, works it.

    The operator free first takes the next case, so this is the centre's first-come-first-served queue
    (what a simpy.Resource would give), with one or two timeouts a case and no request objects. SimPy's
    clock moves on by exactly a timeout's delay, so `now` is env.now without asking for it.
    """
    timeout, now = env.timeout, env.now
    for case, filed_day, work_days in queue:  # one queue shared by the path's operators
        if filed_day > now:
            wait = filed_day - now
            yield timeout(wait)
            now += wait
        started[case] = now
        yield timeout(work_days)
        now += work_days


def child_seed(parent: np.random.SeedSequence, index: int) -> np.random.SeedSequence:
    """What parent.spawn(n)[index] gives, made directly so any worker can compute any block."""
    return np.random.SeedSequence(
        parent.entropy, spawn_key=(*parent.spawn_key, index), pool_size=parent.pool_size
    )
