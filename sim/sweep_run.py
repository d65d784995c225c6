"""Run a sweep: every cell is one sizing run (sim.fund_study.size_fund) on one executor.

A cell's summary is the one size_fund.py gives for the cell's own scenario file (written next to it as
cells/<cell>/scenario.toml), so any cell can be checked alone. A bad cell (its changes make an invalid
scenario, or its run fails) is kept with its problem and the sweep goes on with the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import tomli_w
from tqdm import tqdm

from sim.fund_study import size_fund
from sim.limits import DEFAULT_MEMORY_MB, fit_chunk_paths
from sim.parallel import Executor, Job, Task
from sim.path_figures import Piece
from sim.runner import Plan
from sim.sweep import Cell, Grid


@dataclass(frozen=True)
class Settings:
    """What every cell of a sweep is run with (seed None: each cell's scenario seed; a process may use
    `max_memory_mb`, so a cell whose blocks would not fit runs fewer paths a block, as size_fund.py)."""

    paths: int
    seed: int | None
    engine: str
    confidence: float
    sensitivity_paths: int
    chunk_paths: int
    max_memory_mb: int = DEFAULT_MEMORY_MB

    def plan(self, cell: Cell) -> Plan:
        """The cell's run plan (a ScenarioError if even one path a block would not fit)."""
        assert cell.scenario is not None
        seed = cell.scenario.seed if self.seed is None else self.seed
        chunk_paths = fit_chunk_paths(cell.scenario, self.chunk_paths, self.max_memory_mb)
        return Plan(seed, self.engine, self.paths, chunk_paths)


@dataclass(frozen=True)
class Outcome:
    """A cell's result: its summary (as in summary.json), or the problem that stopped it."""

    cell: Cell
    summary: dict | None = None
    problem: str | None = None


def run_sweep(
    grid: Grid,
    settings: Settings,
    executor: Executor,
    out: Path,
    progress: bool = False,
    cells_at_once: int = 1,
) -> list[Outcome]:
    """Size every cell; write each cell's scenario and summary under out/cells/ as it ends.

    With `cells_at_once` > 1 the next cells start while one is summarised (on this machine, from
    its paths on disk), so a cluster is not left idle between cells; the outcomes are the same.
    """
    outcomes = []
    bar = tqdm(total=len(grid.cells), desc="cells", unit="cell", disable=None if progress else True)
    counted = _Counted(executor, bar)
    with bar, ThreadPoolExecutor(cells_at_once, thread_name_prefix="cell") as cells:
        for outcome in cells.map(lambda cell: _sized(cell, settings, counted), grid.cells):
            _keep(outcome, out / "cells" / outcome.cell.slug)
            outcomes.append(outcome)
            bar.update(1)
    return outcomes


def _sized(cell: Cell, settings: Settings, executor: Executor) -> Outcome:
    if cell.scenario is None:
        return Outcome(cell, problem=cell.problem)
    try:
        sizing = size_fund(
            cell.scenario,
            settings.plan(cell),
            settings.confidence,
            sensitivity_paths=settings.sensitivity_paths,
            executor=executor,
        )
    except Exception as exc:  # one failed run must not lose the hours spent on the others
        return Outcome(cell, problem=f"{type(exc).__name__}: {exc}")
    return Outcome(cell, sizing.summary)


def _keep(outcome: Outcome, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if outcome.cell.document:
        (folder / "scenario.toml").write_text(
            tomli_w.dumps(outcome.cell.document), encoding="utf-8"
        )
    if outcome.summary is not None:
        text = json.dumps(outcome.summary, indent=2, ensure_ascii=False)
        (folder / "summary.json").write_text(text, encoding="utf-8")


class _Counted:
    """An executor passing pieces through and counting their paths on the progress bar."""

    def __init__(self, executor: Executor, bar: tqdm) -> None:
        self.executor, self.bar, self.paths = executor, bar, 0

    def computed(
        self, jobs: list[Job], tasks: list[Task]
    ) -> Iterator[tuple[int, int, Piece]]:
        """The wrapped executor's pieces, counted."""
        for j, first, piece in self.executor.computed(jobs, tasks):
            self.paths += piece.figures.paths
            self.bar.set_postfix_str(f"{self.paths:,} paths", refresh=False)
            yield j, first, piece

    def describe(self) -> str:
        """The wrapped executor's description."""
        return self.executor.describe()


def headline_figures(summary: dict) -> dict[str, float | int | None]:
    """The figures a sweep compares, read from one cell's summary.json (format 2): the only reader of
    its layout. The exhaustion probability is that of the pot paying compensation, and leverage is
    read against the compensation line, with its interval from that line's."""
    budget, error = summary["budget"], summary["mc_standard_error"]
    compensation = next(line for line in budget["lines"] if line["line"] == "compensation")
    low, high = budget["recommended_ci_yuan"]
    comp_low, comp_high = compensation["recommended_ci_yuan"]
    exposure = summary["exposure_yuan"]
    return {
        "recommended_yuan": budget["recommended_yuan"],
        "recommended_ci_low_yuan": low,
        "recommended_ci_high_yuan": high,
        "recommended_annual_yuan": budget["recommended_annual_yuan"],
        "compensation_yuan": compensation["recommended_yuan"],
        "compensation_ci_low_yuan": comp_low,
        "compensation_ci_high_yuan": comp_high,
        "compensation_annual_yuan": compensation["recommended_annual_yuan"],
        "exhaustion_pot": compensation["pot"],
        "exhaustion_probability": budget["exhaustion_probability"],
        "exhaustion_probability_se": error["exhaustion_probability"],
        "payout_mean_yuan": summary["payout_yuan"]["mean"],
        "payout_mean_se_yuan": error["payout_mean_yuan"],
        "subsidy_mean_yuan": summary["subsidy_yuan"]["mean"],
        "total_mean_se_yuan": error["total_mean_yuan"],
        "leverage": budget["leverage"],
        "leverage_ci_low": exposure / comp_high if comp_high > 0 else None,
        "leverage_ci_high": exposure / comp_low if comp_low > 0 else None,
        "exposure_yuan": exposure,
        "loans": summary["loans"],
        "horizon_years": summary["horizon_years"],
        "paths": summary["paths"],
        "seed": summary["seed"],
        "confidence": budget["confidence"],
    }
