"""Command lines of ipd-size-fund and ipd-compare-scenarios (scripts/size_fund.py and compare_scenarios.py
call these too)."""

from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import html
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn, TypeVar

from sim import charts, report
from sim.calibration_fragment import Calibrated
from sim.calibration_fragment import calibrated as calibrated_scenario
from sim.calibration_report import calibration_summary
from sim.cli import (
    fitted_chunk_paths,
    memory_option,
    non_negative_int,
    open_probability,
    positive_int,
)
from sim.contributions import KINDS
from sim.fund_study import size_fund, write_outputs
from sim.parallel import Executor, ProcessPool, default_workers
from sim.runner import DEFAULT_CHUNK_PATHS, ENGINES, Plan
from sim.scenario import Scenario, ScenarioError, load

EXIT_BAD_INPUT = 2
T = TypeVar("T")
# paths per sensitivity run: on common random numbers 500 rank the inputs as 5,000 do on the example
# cities, and eleven runs of 500 add about a quarter to a 20,000-path run (scripts/bench_sim.py --whole-run)
SENSITIVITY_PATHS = {"vector": 500, "event": 200}


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (and exit 2), like a bad scenario file's."""

    def error(self, message: str) -> NoReturn:
        """Print `prog: error: message` on one line and exit with 2."""
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def size_fund_main(argv: list[str] | None = None) -> int:
    """Size the fund for one scenario and write the bureau's files; a bad input exits with 2."""
    parser = _parser("Size a risk-compensation fund: summary, report and charts.")
    parser.add_argument("scenario", help="scenario TOML file")
    _run_options(parser)
    parser.add_argument(
        "--sensitivity-paths",
        type=non_negative_int,
        default=None,
        help="paths per sensitivity run (default: 500 vector, 200 event; 0 skips it)",
    )
    parser.add_argument(
        "--calibration",
        metavar="FILE",
        help="a fragment from export-calibration laid over the scenario; the report compares both",
    )
    parser.add_argument(
        "--by",
        action="append",
        choices=KINDS,
        default=[],
        help="also give each path's payout per bank, sector or size band in paths.csv (repeatable)",
    )
    args = parser.parse_args(argv)
    calibrated = _calibrated_or_exit(args.scenario, args.calibration) if args.calibration else None
    scenario = calibrated.calibrated if calibrated else _load_or_exit(args.scenario)
    plan = _plan(args, scenario, args.scenario)
    sensitivity = args.sensitivity_paths
    if sensitivity is None:
        sensitivity = min(plan.paths, SENSITIVITY_PATHS[plan.engine])
    started = time.perf_counter()
    with executor_of(args) as executor:
        sizing = size_fund(
            scenario, plan, args.confidence, progress=not args.no_progress,
            sensitivity_paths=sensitivity, executor=executor,
        )  # fmt: skip
        if calibrated:
            # the same plan and seed: both runs see the same futures (common random numbers)
            without = size_fund(
                calibrated.base, plan, args.confidence, progress=not args.no_progress, executor=executor
            ).summary
            sizing.summary["calibration"] = calibration_summary(calibrated, without, sizing.summary)
        where = executor.describe()
    written = write_or_exit(lambda: write_outputs(sizing, args.out, args.by), args.out)
    print(report.headline(sizing.summary))
    if note := report.centre_note(sizing.summary):
        print(note)
    if calibrated:
        figures = sizing.summary["calibration"]
        print(
            f"Compensation budget without the calibration: "
            f"{report.yuan(figures['compensation_without_yuan'])}; with it: "
            f"{report.yuan(figures['compensation_with_yuan'])} (same seed; all lines: "
            f"{report.yuan(figures['budget_without_yuan'])} and {report.yuan(figures['budget_with_yuan'])})."
        )
    print(
        f"{plan.paths:,} paths, {plan.engine} engine, seed {plan.seed}, {where}, "
        f"{time.perf_counter() - started:.1f} s; wrote {written['report']} and {len(written) - 1} more"
    )
    return 0


def compare_main(argv: list[str] | None = None) -> int:
    """Size several scenarios on the same settings and put them side by side."""
    parser = _parser("Put several fund scenarios side by side.")
    parser.add_argument("scenarios", nargs="+", help="scenario TOML files")
    _run_options(parser)
    args = parser.parse_args(argv)
    scenarios = [_load_or_exit(path) for path in args.scenarios]
    rows, summaries = [], []
    with executor_of(args) as executor:
        for path, scenario in zip(args.scenarios, scenarios, strict=True):
            plan = _plan(args, scenario, path)
            summary = size_fund(
                scenario, plan, args.confidence, progress=not args.no_progress, executor=executor
            ).summary
            rows.append(comparison_row(summary))
            summaries.append(summary)
    changes = [variant_change(summaries[0], summary) for summary in summaries[1:]]
    table = format_table(rows)
    if changes:
        table += f"\n\nChange against {summaries[0]['scenario']}:\n" + format_table(changes)
    write_or_exit(lambda: write_comparison(rows, table, args.out, changes), args.out)
    print(table)
    return 0


def variant_change(base: dict, variant: dict) -> dict[str, object]:
    """A policy variant against the base scenario: the change in the compensation budget, in the
    chance the fund runs short, and in each bank's contribution to the mean payout and to ES99."""
    budget, before = variant["budget"], base["budget"]
    change: dict[str, object] = {
        "scenario": variant["scenario"],
        "compensation_change_yuan": budget["lines"][0]["recommended_yuan"]
        - before["lines"][0]["recommended_yuan"],
        "recommended_change_yuan": budget["recommended_yuan"] - before["recommended_yuan"],
        "exhaustion_change": budget["exhaustion_probability"] - before["exhaustion_probability"],
    }
    banks_before = {row["name"]: row for row in base["contributions"]["by_bank"]}
    for row in variant["contributions"]["by_bank"]:
        was = banks_before.get(row["name"], {"mean_yuan": 0.0, "es99_yuan": 0.0})
        change[f"bank_{row['name']}_mean_change_yuan"] = row["mean_yuan"] - was["mean_yuan"]
        change[f"bank_{row['name']}_es99_change_yuan"] = row["es99_yuan"] - was["es99_yuan"]
    return change


def comparison_row(summary: dict) -> dict[str, object]:
    """One scenario's headline figures for the comparison table: compensation and the subsidies
    apart, then all lines together; the chance of running short is the compensation pot's."""
    budget = summary["budget"]
    compensation = budget["lines"][0]
    subsidies = budget["lines"][1:]
    return {
        "scenario": summary["scenario"],
        "years": summary["horizon_years"],
        "loans": summary["loans"],
        "exposure_yuan": summary["exposure_yuan"],
        "payout_mean_yuan": summary["payout_yuan"]["mean"],
        "payout_p99_yuan": summary["payout_yuan"]["p99"],
        "compensation_yuan": compensation["recommended_yuan"],
        "compensation_annual_yuan": compensation["recommended_annual_yuan"],
        "exhaustion_probability": budget["exhaustion_probability"],
        "leverage": budget["leverage"],
        "subsidy_mean_yuan": summary["subsidy_yuan"]["mean"],
        "subsidy_annual_yuan": sum(line["recommended_annual_yuan"] for line in subsidies),
        "recommended_yuan": budget["recommended_yuan"],
        "ci_low_yuan": budget["recommended_ci_yuan"][0],
        "ci_high_yuan": budget["recommended_ci_yuan"][1],
        "recommended_annual_yuan": budget["recommended_annual_yuan"],
        "confidence": budget["confidence"],
    }


def format_table(rows: list[dict[str, object]]) -> str:
    """The comparison as an aligned text table (money in whole yuan)."""
    shown = [
        {
            key: (
                ("+" if value >= 0 else "−") + report.yuan(abs(value))
                if key.endswith("change_yuan")
                else report.yuan(value)
                if key.endswith("_yuan")
                else report.probability(value)
                if key == "exhaustion_probability"
                else f"{value:+.1%}"
                if key == "exhaustion_change"
                else f"{value:.1f}x"
                if key == "leverage" and value is not None
                else str(value)
            )
            for key, value in row.items()
        }
        for row in rows
    ]
    keys = list(dict.fromkeys(k for row in rows for k in row))  # variants may name other banks
    widths = {k: max(len(k), *(len(r.get(k, "—")) for r in shown)) for k in keys}
    lines = ["  ".join(k.rjust(widths[k]) for k in keys)]
    lines += ["  ".join(r.get(k, "—").rjust(widths[k]) for k in keys) for r in shown]
    return "\n".join(lines)


def write_comparison(
    rows: list[dict[str, object]],
    table: str,
    out: Path,
    changes: list[dict[str, object]] = (),
) -> None:
    """comparison.csv, changes.csv (each variant against the first scenario, when there are
    several), comparison.png and a self-contained comparison.html."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "comparison.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    if changes:
        names = list(dict.fromkeys(key for change in changes for key in change))
        with (out / "changes.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=names, restval="")
            writer.writeheader()
            writer.writerows(changes)
    png = charts.comparison(
        [str(r["scenario"]) for r in rows],
        [float(r["recommended_yuan"]) for r in rows],
        [(float(r["ci_low_yuan"]), float(r["ci_high_yuan"])) for r in rows],
        [float(r["payout_mean_yuan"]) + float(r["subsidy_mean_yuan"]) for r in rows],
    )
    (out / "comparison.png").write_bytes(png)
    image = base64.b64encode(png).decode()
    (out / "comparison.html").write_text(
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Fund scenarios compared</title><style>{report.STYLE}</style></head><body>"
        f"<h1>Fund scenarios compared</h1><pre>{html.escape(table)}</pre>"
        f"<img alt='comparison' src='data:image/png;base64,{image}'></body></html>\n",
        encoding="utf-8",
    )


def _parser(description: str) -> OneLineParser:
    # prog is argparse's default, the name it was run by: size_fund.py, or ipd-size-fund when installed
    return OneLineParser(description=description)


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--paths", type=positive_int, default=10_000, help="simulated futures")
    parser.add_argument("--seed", type=non_negative_int, default=None, help="default: the scenario's")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--engine", choices=ENGINES, default="vector")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=positive_int,
        default=default_workers(),
        help="processes (default: all cores)",
    )
    cluster_options(where)
    parser.add_argument("--confidence", type=open_probability, default=0.99)
    parser.add_argument(
        "--chunk-paths",
        type=positive_int,
        default=DEFAULT_CHUNK_PATHS,
        help="paths per seed block (part of what fixes the random draws)",
    )
    memory_option(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def cluster_options(group: argparse._ActionsContainer) -> None:
    """--scheduler ADDRESS and --local-workers K: run the seed blocks on Dask (sim.distributed)."""
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster whose scheduler is at ADDRESS, e.g. tcp://10.0.0.5:8786",
    )
    group.add_argument(
        "--local-workers",
        type=positive_int,
        metavar="K",
        help="run on a Dask LocalCluster of K worker processes on this machine",
    )


@contextlib.contextmanager
def executor_of(args: argparse.Namespace, dask: bool = False) -> Iterator[Executor]:
    """Where the seed blocks run: Dask when --scheduler or --local-workers is given (or `dask`),
    else a pool of --workers processes; a cluster that cannot be reached is a one-line error."""
    if not (dask or args.scheduler or args.local_workers):
        yield ProcessPool(args.workers)
        return
    from sim.distributed import ClusterMismatch, dask_executor  # Dask loads only when it is used

    with contextlib.ExitStack() as stack:
        try:
            executor = stack.enter_context(dask_executor(args.scheduler, args.local_workers))
        except (OSError, ClusterMismatch) as exc:
            print(f"error: cannot use the Dask cluster: {exc}", file=sys.stderr)
            raise SystemExit(EXIT_BAD_INPUT) from None
        yield executor


def _plan(args: argparse.Namespace, scenario: Scenario, path: str) -> Plan:
    seed = scenario.seed if args.seed is None else args.seed
    try:
        chunk_paths = fitted_chunk_paths(scenario, args.chunk_paths, args.max_memory_mb)
    except ScenarioError as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT) from None
    return Plan(seed, args.engine, args.paths, chunk_paths)


def _load_or_exit(path: str) -> Scenario:
    try:
        return load(path)
    except ScenarioError as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT) from None


def _calibrated_or_exit(scenario: str, fragment: str) -> Calibrated:
    try:
        return calibrated_scenario(scenario, fragment)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT) from None


def write_or_exit(write: Callable[[], T], out: Path) -> T:
    """Run `write`; a folder that cannot be written to is a one-line error and exit 2."""
    try:
        return write()
    except OSError as exc:
        print(f"error: cannot write to {out}: {exc.strerror or exc}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT) from None
