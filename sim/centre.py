"""The trading centre's queue in NumPy for a whole block of paths, and its load on each path.

The centre has `operators` operators; cases are taken first filed, first served, each by the operator
free first. Case k of a path starts at max(filed, earliest free time of the path's operators), and that
operator is then busy until start + work days. The vector engine runs this for every path of a block at
once, one case rank at a time (the k-th case of every path that has one); the event engine runs the
same queue in SimPy (sim.event.path_centre), the reference this is tested against. The arithmetic is
SimPy's (a wait ends at now + (filed - now)), so both give the same days to the last bit.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

WAIT_PERCENTILE = 0.95  # the per-path wait figure beside the mean
FEW_PATHS = 64  # below this many paths in a round, the queue finishes path by path in Python


def filing_order(path: np.ndarray, filed: np.ndarray, ties_in_order: bool = True) -> np.ndarray:
    """The cases path by path, each path's in order of filing (cases filed together in their own order,
    unless ties_in_order is False); any non-negative group and value: rows by group, then value.

    What np.lexsort((filed, path)) gives, faster: a quick sort by day (a stable one only if two days
    are equal and their order matters), then a stable sort by path, a radix sort when the paths fit in
    16 bits."""
    order = np.argsort(filed)
    by_day = filed[order]
    if ties_in_order and np.any(by_day[1:] == by_day[:-1]):
        order = np.argsort(filed, kind="stable")
    by_path = path[order]
    if by_path.size and by_path.max() < 1 << 16:
        by_path = by_path.astype(np.uint16)
    return order[np.argsort(by_path, kind="stable")]


def queue_starts(
    path: np.ndarray, filed: np.ndarray, work_days: np.ndarray, operators: int, n_paths: int
) -> np.ndarray:
    """The day each case gets an operator, first filed, first served, every path of a block at once.

    Round k takes the k-th case of every path that has one. The paths are ranked busiest first, so the
    paths still in round k are the first rows of the operators' table and each round reads a slice;
    the last few paths finish one by one with a heap of their operators' free days (the same sums)."""
    order = filing_order(path, filed)
    counts = np.bincount(path, minlength=n_paths)
    path_start = np.cumsum(counts) - counts  # where each path's cases begin in `order`
    rank = np.arange(order.size) - np.repeat(path_start, counts)
    busiest = np.argsort(-counts, kind="stable")
    row = np.empty(n_paths, dtype=np.int64)
    row[busiest] = np.arange(n_paths)
    in_round = np.bincount(rank, minlength=int(counts.max(initial=0)))  # paths with a k-th case
    round_start = np.cumsum(in_round) - in_round
    by_round = np.empty_like(order)  # round by round, each round's cases in row order
    by_round[round_start[rank] + row[path[order]]] = order
    free = np.zeros((n_paths, operators))  # when each operator of each path is next free
    flat_free = free.reshape(-1)  # the same memory, addressed as row x operators + operator
    started = np.empty(filed.size)
    # a path's first `operators` cases each find an operator who has never worked: all in one go
    fresh = rank < operators
    first_cases = order[fresh]
    started[first_cases] = filed[first_cases]
    free[row[path[first_cases]], rank[fresh]] = filed[first_cases] + work_days[first_cases]
    skip = min(operators, in_round.size)
    # the later rounds' cases, their filing days and work, laid out round by round: each round a slice
    later = int(round_start[skip]) if skip < in_round.size else by_round.size
    filed_by_round, work_by_round = filed[by_round[later:]], work_days[by_round[later:]]
    begin_by_round = np.empty(filed_by_round.size)
    row_base = np.arange(0, n_paths * operators, operators)
    done = by_round.size
    for k in range(skip, in_round.size):
        first, m = int(round_start[k]) - later, int(in_round[k])
        if m <= FEW_PATHS:  # the last, busiest paths: a round of NumPy costs more than their cases
            for i, p in enumerate(busiest[:m].tolist()):
                cases = order[path_start[p] + k : path_start[p] + counts[p]]
                started[cases] = _one_path(free[i].tolist(), filed[cases], work_days[cases])
            done = first + later
            break
        who = free[:m].argmin(axis=1)
        who += row_base[:m]
        now = flat_free[who]
        begin = begin_by_round[first : first + m]
        # max(filed, now) as SimPy reaches it: a wait ends at now + (filed - now)
        np.subtract(filed_by_round[first : first + m], now, out=begin)
        np.maximum(begin, 0, out=begin)
        begin += now
        flat_free[who] = begin + work_by_round[first : first + m]
    started[by_round[later:done]] = begin_by_round[: done - later]
    return started


def _one_path(free: list[float], filed: np.ndarray, work_days: np.ndarray) -> list[float]:
    """One path's remaining cases in filing order, its operators' free days in a heap: their starts."""
    heapq.heapify(free)
    started = []
    for filed_day, days in zip(filed.tolist(), work_days.tolist(), strict=True):
        now = free[0]
        begin = now + (filed_day - now) if filed_day > now else now
        heapq.heapreplace(free, begin + days)
        started.append(begin)
    return started


@dataclass(frozen=True)
class CentreLoad:
    """The centre's load on each path of a block (paths,)."""

    busy_days: np.ndarray  # operator-days worked within the horizon
    offered_days: np.ndarray  # operator-days the cases filed within the horizon need
    wait_p95_days: np.ndarray  # the 95th percentile of the path's cases' waits (0 with no case)
    waiting_at_horizon: np.ndarray  # cases filed by the horizon and not yet taken by an operator


def centre_load(
    path: np.ndarray,
    filed: np.ndarray,
    started: np.ndarray,
    work_days: np.ndarray,
    horizon_days: float,
    n_paths: int,
) -> CentreLoad:
    """Operator-days worked and needed within the horizon, the waits' 95th percentile, the queue at the end."""
    busy = np.clip(np.minimum(started + work_days, horizon_days) - started, 0, None)
    wait = started - filed
    return CentreLoad(
        busy_days=np.bincount(path, weights=busy, minlength=n_paths),
        offered_days=np.bincount(
            path, weights=np.where(filed <= horizon_days, work_days, 0), minlength=n_paths
        ),
        wait_p95_days=percentile_by_group(path, wait, n_paths, WAIT_PERCENTILE),
        waiting_at_horizon=np.bincount(
            path, weights=(filed <= horizon_days) & (started > horizon_days), minlength=n_paths
        ).astype(np.int64),
    )


def percentile_by_group(
    group: np.ndarray, values: np.ndarray, n_groups: int, q: float
) -> np.ndarray:
    """Per group, the smallest value covering a share q of the group's non-negative values (0 for an
    empty group). Only the positive values are sorted: a rank that falls on a zero is zero."""
    counts = np.bincount(group, minlength=n_groups)
    rank = np.maximum(np.ceil(q * counts - 1e-9).astype(np.int64), 1)  # 1-based, as sim.sizing
    positive = np.flatnonzero(values > 0)
    # by group, then value (which of two equal values comes first does not change the value)
    order = positive[filing_order(group[positive], values[positive], ties_in_order=False)]
    above = np.bincount(group[positive], minlength=n_groups)
    rank_above = rank - (counts - above)  # the rank among the group's positive values
    ends = np.cumsum(above)
    out = np.zeros(n_groups)
    some = (rank_above > 0) & (counts > 0)
    out[some] = values[order[ends[some] - above[some] + rank_above[some] - 1]]
    return out
