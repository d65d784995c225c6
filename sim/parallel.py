"""Run sizing jobs over several processes, piece by piece, keeping only per-path figures.

A job's paths are cut into pieces of one seed block each (sim.runner.Plan.pieces); each piece is
computed exactly as the whole run would compute it, whichever process does it, so the figures do not
depend on the number of workers. The worker also sketches the piece (sim.column_stats.Sketch), so the
main process only adds sketches up. Each finished piece is written to its job's file on disk
(sim.path_figures.PathStore) and dropped, so memory stays at a few pieces in the main process and one
piece's per-loan arrays per worker, whatever the number of paths.
"""

from __future__ import annotations

import copyreg
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice
from types import MappingProxyType
from typing import Protocol

from tqdm import tqdm

from sim.contributions import group_count
from sim.model import Scenario
from sim.path_figures import PathFigures, PathStore, Piece
from sim.portfolio import LoanBook
from sim.runner import Plan, book_of, run_range_funds
from sim.sizing import fund_is_limited, unlimited_fund
from sim.vector import fund_rules


def _read_only(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


# Scenarios hold read-only mappings (CompensationPolicy.ratio); let them travel to worker processes
# (the class itself cannot be pickled by name, so it is rebuilt through a function that can).
copyreg.pickle(MappingProxyType, lambda proxy: (_read_only, (dict(proxy),)))


@dataclass(frozen=True)
class Job:
    """One run to make: a scenario and its plan; `own_fund` also runs the scenario's own budget."""

    scenario: Scenario
    plan: Plan
    own_fund: bool = True


Task = tuple[int, int, int]  # (job index, first path, stop): one piece, one seed block


class Executor(Protocol):
    """Where pieces are computed: every executor runs piece_figures and yields pieces as they finish."""

    def computed(
        self, jobs: list[Job], tasks: list[Task]
    ) -> Iterator[tuple[int, int, Piece]]:
        """(job index, first path, piece) for every task, in any order."""
        ...

    def describe(self) -> str:
        """Where the work runs, for the closing line of a script."""
        ...


@dataclass(frozen=True)
class ProcessPool:
    """The plain path: a pool of `workers` processes on this machine (1: in this process)."""

    workers: int = 1

    def computed(
        self, jobs: list[Job], tasks: list[Task]
    ) -> Iterator[tuple[int, int, Piece]]:
        """(job index, first path, piece) for every task, as the pool finishes them."""
        return _computed(jobs, tasks, self.workers)

    def describe(self) -> str:
        """How many processes."""
        return f"{self.workers} worker(s)"


def default_workers() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_jobs(
    jobs: list[Job],
    workers: int = 1,
    progress: bool = False,
    desc: str = "paths",
    executor: Executor | None = None,
) -> list[PathStore]:
    """Every job's per-path figures (on disk), computed by `executor` (default: `workers` processes)."""
    executor = executor or ProcessPool(workers)
    results = [
        PathStore(job.plan.paths, job.scenario.horizon_years, group_count(job.scenario))
        for job in jobs
    ]
    tasks = [(j, first, stop) for j, job in enumerate(jobs) for first, stop in job.plan.pieces()]
    bar = tqdm(
        total=sum(job.plan.paths for job in jobs),
        desc=desc,
        unit="path",
        disable=None if progress else True,
        smoothing=0.1,
    )
    with bar:
        for j, first, piece in executor.computed(jobs, tasks):
            results[j].put(first, piece.figures, piece.sketch)
            bar.update(piece.figures.paths)
    return results


def piece_figures(job: Job, first: int, stop: int, book: LoanBook | None = None) -> Piece:
    """Paths first..stop-1 of a job reduced to the kept figures and their sketch: the one block function
    every executor runs, so where a piece is computed cannot change it (`book`: the job's book, if
    already drawn)."""
    book = book_of(job.scenario) if book is None else book  # the fund's limits do not change it
    funds = [fund_rules(unlimited_fund(job.scenario))]
    if job.own_fund and fund_is_limited(job.scenario):
        funds.append(fund_rules(job.scenario))
    demand, *own = run_range_funds(job.scenario, book, job.plan, first, stop, funds)
    return Piece.of(PathFigures.of(demand, own[0] if own else None))


def _computed(jobs: list[Job], tasks: list[Task], workers: int) -> Iterator[tuple[int, int, Piece]]:
    if workers <= 1 or len(tasks) <= 1:
        _start_worker(jobs)
        yield from (_piece(*task) for task in tasks)
        return
    workers = min(workers, len(tasks))
    waiting = iter(tasks)
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(jobs,)) as pool:
        # a few pieces in flight per worker: finished pieces are dropped as soon as they are written
        running = {pool.submit(_piece, *task) for task in islice(waiting, 3 * workers)}
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
                running |= {pool.submit(_piece, *task) for task in islice(waiting, 1)}


_worker_jobs: list[Job] = []
_worker_books: dict[int, LoanBook] = {}


def _start_worker(jobs: list[Job]) -> None:
    _worker_jobs[:] = jobs
    _worker_books.clear()


def _piece(j: int, first: int, stop: int) -> tuple[int, int, Piece]:
    job = _worker_jobs[j]
    if j not in _worker_books:
        _worker_books[j] = book_of(job.scenario)
    return j, first, piece_figures(job, first, stop, _worker_books[j])
