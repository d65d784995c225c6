"""A fund-sizing study from start to finish: run, summarise, test sensitivity, write the bureau's files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from market.domain.loss import LAYERS
from sim import charts, report
from sim.budget_lines import LABELS, column_of, line_columns
from sim.contributions import KINDS
from sim.convergence import convergence
from sim.model import Scenario
from sim.parallel import Executor, Job, run_jobs
from sim.path_figures import PathStore
from sim.runner import Plan, book_of
from sim.sensitivity import LineSwings, Swing, swings, variants
from sim.sizing import budget_covering, centre_summary, summarise, total_shape
from sim.subsidy import LINES as SUBSIDY_LINES


@dataclass(frozen=True)
class Sizing:
    """A finished study: the summary, the per-path figures (on disk), and the sensitivity swings (if run)."""

    summary: dict
    figures: PathStore
    sensitivity: tuple[LineSwings, ...] = ()  # the total's, then each budget line's


def size_fund(
    scenario: Scenario,
    plan: Plan,
    confidence: float = 0.99,
    workers: int = 1,
    progress: bool = False,
    sensitivity_paths: int = 0,
    step: float = 0.2,
    executor: Executor | None = None,
) -> Sizing:
    """Run the demand and the scenario's own fund on `plan`, and the sensitivity runs on fewer paths.

    Every run's per-path figures go to disk as they arrive and are read back a chunk at a time, so the
    memory this takes does not grow with the paths (sensitivity runs included). The pieces are computed
    by `executor` (default: `workers` local processes; sim.distributed: a Dask cluster).
    """
    jobs = [Job(scenario, plan, own_fund=True)]
    moved = []
    if sensitivity_paths > 0:
        small = Plan(plan.seed, plan.engine, min(sensitivity_paths, plan.paths), plan.chunk_paths)
        moved = variants(scenario, step)
        if small != plan:  # on fewer paths the base needs a run of its own
            jobs.append(Job(scenario, small, own_fund=False))
        jobs += [Job(varied, small, own_fund=False) for _, _, varied in moved]
    results = run_jobs(jobs, workers=workers, progress=progress, executor=executor)
    base_run, moved_runs = results[len(jobs) - len(moved) - 1], results[len(jobs) - len(moved) :]
    summary = summarise(
        scenario,
        results[0],
        engine=plan.engine,
        seed=plan.seed,
        chunk_paths=plan.chunk_paths,
        book=book_of(scenario),
        confidence=confidence,
    )
    summary |= centre_summary(scenario, results[0])
    summary["convergence"] = convergence(results[0], confidence)
    if not moved:
        return Sizing(summary, results[0])
    found = [  # the total first, then each budget line on its own
        line_swings(name, label, column, base_run, moved, moved_runs, confidence)
        for name, label, column in [
            ("total", "all lines together", "total"),
            *((name, LABELS[name], column) for name, column in line_columns(scenario).items()),
        ]
    ]
    total = found[0]
    summary["sensitivity"] = {
        "paths": base_run.paths,
        "step": step,
        "base_recommended_yuan": round(total.base_yuan, 2),
        "inputs": _swing_rows(total.swings),
        "by_line": [
            {
                "line": line.line,
                "label": line.label,
                "base_recommended_yuan": round(line.base_yuan, 2),
                "inputs": _swing_rows(line.swings),
            }
            for line in found[1:]
        ],
    }
    return Sizing(summary, results[0], tuple(found))


def line_swings(
    name: str,
    label: str,
    column: str,
    base_run: PathStore,
    moved: list[tuple[str, float, Scenario]],
    moved_runs: list[PathStore],
    confidence: float,
) -> LineSwings:
    """One line's (or the total's) recommended amount on the base run and with each input moved."""
    base = budget_covering(base_run, confidence, column) / 100
    ends = [
        (n, f, budget_covering(run, confidence, column) / 100)
        for (n, f, _), run in zip(moved, moved_runs, strict=True)
    ]
    return LineSwings(name, label, base, tuple(swings(ends)))


def _swing_rows(found: tuple[Swing, ...]) -> list[dict]:
    return [
        {
            "input": s.input,
            "label": s.label,
            "low_factor": s.low_factor,
            "high_factor": s.high_factor,
            "recommended_low_yuan": round(s.low_yuan, 2),
            "recommended_high_yuan": round(s.high_yuan, 2),
        }
        for s in found
    ]


def write_outputs(sizing: Sizing, out: Path, by: Sequence[str] = ()) -> dict[str, Path]:
    """Write summary.json, paths.csv, the PNG charts and report.html into `out`; returns what it wrote.

    `by`: kinds of group ("bank", "sector", "size_band") whose payouts paths.csv also gives per path."""
    out.mkdir(parents=True, exist_ok=True)
    summary, figures = sizing.summary, sizing.figures
    budget = summary["budget"]
    panels = [  # each budget line on its own
        charts.Panel(
            line["label"],
            total_shape(figures, line["recommended_yuan"], column_of(line["line"])),
            line["recommended_yuan"],
            line["recommended_ci_yuan"],
        )
        for line in budget["lines"]
    ]
    pngs = {
        "distribution": charts.distribution(panels, budget["confidence"]),
        "budget_curve": charts.budget_curve(panels, budget["confidence"]),
        "by_year": charts.by_year(summary["payout_yuan"]["by_year"]),
        "by_layer": charts.by_layer(summary["payout_yuan"]["by_layer"]),
        "contributions": charts.contributions(summary["contributions"]),
        "convergence": charts.convergence(summary["convergence"], budget["confidence"]),
    }
    if sizing.sensitivity:
        pngs["sensitivity"] = charts.tornado(list(sizing.sensitivity[1:]))
    written = {name: out / f"{name}.png" for name in pngs}
    for name, png in pngs.items():
        written[name].write_bytes(png)
    written["summary"] = out / "summary.json"
    written["summary"].write_text(
        json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    written["paths"] = out / "paths.csv"
    write_paths_csv(figures, written["paths"], _group_columns(summary["contributions"], by))
    written["report"] = out / "report.html"
    page = report.render(summary, pngs)
    written["report"].write_text(page, encoding="utf-8")
    return written


def _group_columns(found: dict, by: Sequence[str]) -> list[tuple[int, str]]:
    """(column of group_payout_fen, paths.csv header) of every group of the kinds in `by`."""
    columns, at = [], 0
    for kind in KINDS:
        for row in found[f"by_{kind}"]:
            if kind in by:
                columns.append((at, f"payout_{kind}_{row['name']}_yuan"))
            at += 1
    return columns


def write_paths_csv(
    figures: PathStore, path: Path, groups: Sequence[tuple[int, str]] = ()
) -> None:
    """One row per path: its totals in yuan (a chunk of paths at a time, so memory stays flat);
    payouts are net of clawbacks, per year and per layer alike, and per group in `groups`
    ((column of group_payout_fen, header) pairs)."""
    years = figures.years
    header = [
        "path",
        "defaults",
        "principal_loss_yuan",
        "payout_yuan",
        *(f"payout_year_{y + 1}_yuan" for y in range(years)),
        *(f"payout_{layer.value}_yuan" for layer in LAYERS),
        *(f"subsidy_{line}_yuan" for line in SUBSIDY_LINES),
        "subsidy_yuan",
        "total_yuan",
        "own_fund_ran_out",
        "own_fund_unpaid_yuan",
        *(name for _, name in groups),
    ]
    money = "%.2f"
    fmt = ["%d", "%d", *[money] * (len(header) - 4 - len(groups)), "%d", money]
    fmt += [money] * len(groups)
    chosen = [column for column, _ in groups]
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\n")
        start = 0
        for rows in figures.chunks():
            payout = rows.payout_fen
            by_line = rows.subsidy_fen.sum(axis=1)
            subsidy = by_line.sum(axis=1)
            block = np.column_stack(
                [
                    np.arange(start, start + payout.shape[0]),
                    rows.defaults,
                    rows.principal_loss_fen / 100,
                    payout.sum(axis=1) / 100,
                    payout / 100,
                    rows.layer_payout_fen / 100,
                    by_line / 100,
                    subsidy / 100,
                    (payout.sum(axis=1) + subsidy) / 100,
                    rows.exhausted,
                    rows.unpaid_fen / 100,
                    rows.group_payout_fen[:, chosen] / 100,
                ]
            )
            np.savetxt(handle, block, fmt=fmt, delimiter=",")
            start += rows.paths
