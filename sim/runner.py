"""Run a scenario with either engine: seeds per fixed-size block of paths, results joined after the run."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim import event, vector
from sim.portfolio import build_book
from sim.results import PathTotals, SimResult
from sim.scenario import Scenario, load

ENGINES = ("vector", "event")
DEFAULT_CHUNK_PATHS = 1000


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
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if paths < 1 or chunk_paths < 1:
        raise ValueError("paths and chunk_paths must be at least 1")
    seed = scenario.seed if seed is None else seed
    book_seed = np.random.SeedSequence(scenario.seed).spawn(2)[
        0
    ]  # the book belongs to the scenario
    paths_seed = np.random.SeedSequence(seed).spawn(2)[1]
    book = build_book(scenario, np.random.default_rng(book_seed))
    run_block = vector.run_block if engine == "vector" else event.run_block
    block_seeds = paths_seed.spawn(math.ceil(paths / chunk_paths))
    blocks = [
        run_block(scenario, book, block_seed, min(chunk_paths, paths - b * chunk_paths))
        for b, block_seed in enumerate(block_seeds)
    ]
    return SimResult(scenario, engine, seed, chunk_paths, PathTotals.concat(blocks))
