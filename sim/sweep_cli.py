"""The command line of ipd-sweep and scripts/sweep.py: a grid of scenarios sized on a Dask cluster."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.cli import (
    fitted_chunk_paths,
    memory_option,
    non_negative_int,
    open_probability,
    positive_int,
)
from sim.errors import ScenarioError
from sim.runner import DEFAULT_CHUNK_PATHS, ENGINES
from sim.sizing_cli import (
    EXIT_BAD_INPUT,
    SENSITIVITY_PATHS,
    OneLineParser,
    cluster_options,
    executor_of,
    write_or_exit,
)
from sim.sweep import Grid, load_grid
from sim.sweep_report import write_sweep
from sim.sweep_run import Settings, run_sweep

EXIT_SOME_CELLS_FAILED = 1
CELLS_AT_ONCE = 2  # the next cell's blocks run while the last one is summarised here


def sweep_main(argv: list[str] | None = None) -> int:
    """Size every cell of a grid and write the comparison; exit 1 if some cells failed, 2 on bad input."""
    parser = OneLineParser(description="Size a fund for every cell of a grid of scenarios.")
    parser.add_argument("grid", help="grid TOML file (see sim/sweeps/)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--paths", type=positive_int, help="futures per cell (default 10,000)")
    parser.add_argument("--seed", type=non_negative_int, help="default: each scenario's own")
    parser.add_argument("--engine", choices=ENGINES)
    parser.add_argument("--confidence", type=open_probability)
    parser.add_argument("--sensitivity-paths", type=non_negative_int, help="0 skips them")
    parser.add_argument("--chunk-paths", type=positive_int, help="paths per seed block")
    memory_option(parser)
    cluster_options(parser.add_mutually_exclusive_group())
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        grid = load_grid(args.grid)
        settings = settings_of(args, grid)
    except ScenarioError as exc:
        print(f"error: {args.grid}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for cell in grid.cells:
        if cell.problem:
            print(f"bad cell {cell.name}: {cell.problem}", file=sys.stderr)
        elif cell.scenario is not None:  # a note if its blocks are cut to fit (if none fits: failed)
            with contextlib.suppress(ScenarioError):
                fitted_chunk_paths(cell.scenario, settings.chunk_paths, settings.max_memory_mb, cell.name)
    started = time.perf_counter()
    with executor_of(args, dask=True) as executor:
        where = executor.describe()
        outcomes = run_sweep(
            grid, settings, executor, args.out, not args.no_progress, CELLS_AT_ONCE
        )
    written = write_or_exit(lambda: write_sweep(grid, settings, outcomes, args.out), args.out)
    failed = [o for o in outcomes if o.summary is None]
    for outcome in failed:
        if outcome.cell.scenario is not None:  # a run that failed (bad files were named above)
            print(f"failed cell {outcome.cell.name}: {outcome.problem}", file=sys.stderr)
    print(
        f"{len(outcomes) - len(failed)} of {len(outcomes)} cells sized, {settings.paths:,} paths "
        f"each, {where}, {time.perf_counter() - started:.1f} s; wrote {written['report']}, "
        f"{written['csv'].name}, {written['json'].name}"
    )
    return EXIT_SOME_CELLS_FAILED if failed else 0


def settings_of(args: argparse.Namespace, grid: Grid) -> Settings:
    """The run settings: the command line's, else the grid's [run] table's, else size_fund.py's."""

    def setting(name: str, check: Callable[[str], Any], default: Any) -> Any:
        given = getattr(args, name)
        if given is not None:
            return given
        if name not in grid.run:
            return default
        try:
            return check(str(grid.run[name]))
        except (argparse.ArgumentTypeError, ValueError) as exc:
            raise ScenarioError(f"run.{name}", str(exc)) from None

    engine = setting("engine", _engine, "vector")
    paths = setting("paths", positive_int, 10_000)
    sensitivity = setting("sensitivity_paths", non_negative_int, None)
    return Settings(
        paths=paths,
        seed=setting("seed", non_negative_int, None),
        engine=engine,
        confidence=setting("confidence", open_probability, 0.99),
        sensitivity_paths=min(paths, SENSITIVITY_PATHS[engine])
        if sensitivity is None
        else sensitivity,
        chunk_paths=setting("chunk_paths", positive_int, DEFAULT_CHUNK_PATHS),
        max_memory_mb=args.max_memory_mb,
    )


def _engine(text: str) -> str:
    if text not in ENGINES:
        raise ValueError(f"must be one of {', '.join(ENGINES)}")
    return text
