"""Run a scenario with either engine: seeds per fixed-size block of paths, results joined after the run."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim import event, vector
from sim.portfolio import LoanBook, build_book
from sim.results import PathTotals, SimResult
from sim.scenario import Scenario, load
from sim.settlement import FundRules

ENGINES = ("vector", "event")
DEFAULT_CHUNK_PATHS = 1000


@dataclass(frozen=True)
class Plan:
    """What fixes a run's draws: the seed, the engine, the number of paths and the seed block size."""

    seed: int
    engine: str
    paths: int
    chunk_paths: int = DEFAULT_CHUNK_PATHS

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if self.paths < 1 or self.chunk_paths < 1:
            raise ValueError("paths and chunk_paths must be at least 1")

    @property
    def blocks(self) -> int:
        """Number of seed blocks."""
        return math.ceil(self.paths / self.chunk_paths)

    def block_size(self, block: int) -> int:
        """Paths in a block (the last one may be short)."""
        return min(self.chunk_paths, self.paths - block * self.chunk_paths)

    def pieces(self) -> list[tuple[int, int]]:
        """The run cut into ranges of paths (first, stop), one per seed block.

        Both engines draw a whole block at once, so a block is the smallest piece worth computing alone.
        """
        return [
            (block * self.chunk_paths, block * self.chunk_paths + self.block_size(block))
            for block in range(self.blocks)
        ]


def run(
    scenario: Scenario | str | Path,
    paths: int,
    seed: int | None = None,
    engine: str = "vector",
    chunk_paths: int = DEFAULT_CHUNK_PATHS,
) -> SimResult:
    """Simulate `paths` paths; the same seed, engine and chunk_paths always give the same result.

    A generated book is drawn from the scenario's own seed, so every run of a scenario sees the same
    loans; `seed` (default: the scenario's) drives the paths. Block b of `chunk_paths` paths draws from
    its own child of that seed whoever computes it, so splitting blocks across workers cannot change the
    result.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    plan = Plan(scenario.seed if seed is None else seed, engine, paths, chunk_paths)
    totals = run_range(scenario, book_of(scenario), plan, 0, paths)
    return SimResult(scenario, engine, plan.seed, chunk_paths, totals)


def book_of(scenario: Scenario) -> LoanBook:
    """The scenario's loan book, drawn from the scenario's own seed (the same on every run)."""
    book_seed = np.random.SeedSequence(scenario.seed).spawn(2)[0]
    return build_book(scenario, np.random.default_rng(book_seed))


def block_seed(seed: int, block: int) -> np.random.SeedSequence:
    """The seed of block `block` of a run: child `block` of the run's paths seed, made directly."""
    return event.child_seed(np.random.SeedSequence(seed).spawn(2)[1], block)


def run_range(scenario: Scenario, book: LoanBook, plan: Plan, first: int, stop: int) -> PathTotals:
    """Paths first..stop-1 of a run, exactly as the whole run gives them (so work can be split freely).

    Both engines draw a block at once, so a range that cuts a block computes the whole block.
    """
    return run_range_funds(scenario, book, plan, first, stop, [vector.fund_rules(scenario)])[0]


def run_range_funds(
    scenario: Scenario, book: LoanBook, plan: Plan, first: int, stop: int, funds: list[FundRules]
) -> list[PathTotals]:
    """run_range settled under each of several funds' rules, on the same draws made once."""
    parts: list[list[PathTotals]] = [[] for _ in funds]
    engine = event if plan.engine == "event" else vector
    for block in range(first // plan.chunk_paths, math.ceil(stop / plan.chunk_paths)):
        start, size = block * plan.chunk_paths, plan.block_size(block)
        lo, hi = max(first, start) - start, min(stop, start + size) - start
        seed = block_seed(plan.seed, block)
        for kept, totals in zip(
            parts, engine.run_block_funds(scenario, book, seed, size, funds), strict=True
        ):
            kept.append(totals if (lo, hi) == (0, size) else _rows(totals, lo, hi))
    return [PathTotals.concat(kept) for kept in parts]


def _rows(totals: PathTotals, lo: int, hi: int) -> PathTotals:
    return PathTotals(**{name: array[lo:hi] for name, array in vars(totals).items()})
