"""A sweep's files: sweep.csv and sweep.json (headline figures per cell with their Monte Carlo errors),
the comparison charts and a self-contained report.html (charts inlined, opens offline)."""

from __future__ import annotations

import base64
import csv
import html
import json
import math
from dataclasses import asdict
from pathlib import Path

from sim import report
from sim.charts import plt, png_bytes
from sim.sweep import Grid
from sim.sweep_run import Outcome, Settings, headline_figures

MILLION = 1e6
Z95 = 1.959964  # a 95% interval of a mean is about this many standard errors either side
CAPTIONS = {
    "budget": "Recommended budget over the horizon per city and variant (bars: its 95% interval).",
    "exhaustion": "Chance that the current money paying compensation runs short (bars: 95% Monte Carlo interval).",
    "leverage": "Loans backed per yuan of the compensation budget (bars: from that budget's interval).",
}


def rows(outcomes: list[Outcome]) -> list[dict[str, object]]:
    """One row per cell: what it is, whether it ran, its headline figures (empty if it did not)."""
    empty = dict.fromkeys(headline_figures(_any_summary(outcomes)) if _ran(outcomes) else {})
    return [
        {
            "index": o.cell.index,
            "name": o.cell.name,
            "scenario": o.cell.base,
            "variant": o.cell.variant,
            "status": "ok" if o.summary is not None else "failed",
            **(headline_figures(o.summary) if o.summary is not None else empty),
            "problem": o.problem or "",
        }
        for o in outcomes
    ]


def write_sweep(
    grid: Grid, settings: Settings, outcomes: list[Outcome], out: Path
) -> dict[str, Path]:
    """Write sweep.csv, sweep.json, the charts and report.html into `out`; returns what it wrote."""
    out.mkdir(parents=True, exist_ok=True)
    table = rows(outcomes)
    written = {"csv": out / "sweep.csv", "json": out / "sweep.json", "report": out / "report.html"}
    with written["csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    cells = [
        {**row, "changes": o.cell.changes, "problem": o.problem}
        for row, o in zip(table, outcomes, strict=True)
    ]
    document = {"grid": grid.name, "settings": asdict(settings), "cells": cells}
    document["cells_failed"] = sum(o.summary is None for o in outcomes)
    written["json"].write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    ok = [row for row in table if row["status"] == "ok"]
    pngs = comparison_charts(ok) if ok else {}
    for name, png in pngs.items():
        written[name] = out / f"{name}.png"
        written[name].write_bytes(png)
    written["report"].write_text(render(grid, settings, table, pngs), encoding="utf-8")
    return written


def comparison_charts(ok: list[dict[str, object]]) -> dict[str, bytes]:
    """Budget, exhaustion probability and leverage per city (groups) and variant (bars)."""

    def by(value, low, high, scale=1.0):
        return [(r, value(r) * scale, low(r) * scale, high(r) * scale) for r in ok]

    p = "exhaustion_probability"
    return {
        "budget": grouped_bars(
            by(
                lambda r: r["recommended_yuan"],
                lambda r: r["recommended_ci_low_yuan"],
                lambda r: r["recommended_ci_high_yuan"],
                1 / MILLION,
            ),
            "budget over the horizon (¥ million)",
        ),
        "exhaustion": grouped_bars(
            by(
                lambda r: r[p],
                lambda r: max(0.0, r[p] - Z95 * r[f"{p}_se"]),
                lambda r: min(1.0, r[p] + Z95 * r[f"{p}_se"]),
                100,
            ),
            "current fund runs out (%)",
        ),
        "leverage": grouped_bars(
            by(
                lambda r: r["leverage"] or 0.0,
                lambda r: r["leverage_ci_low"] or 0.0,
                lambda r: r["leverage_ci_high"] or r["leverage"] or 0.0,
            ),
            "loans per yuan of compensation budget",
        ),
    }


def grouped_bars(values: list[tuple[dict, float, float, float]], ylabel: str) -> bytes:
    """One panel per city (each with its own scale: cities differ by orders of magnitude), one bar
    per variant in the same colour in every panel, with (low, high) error bars."""
    cities = list(dict.fromkeys(str(r["scenario"]) for r, *_ in values))
    variants = list(dict.fromkeys(_variant(r) for r, *_ in values))
    columns = min(len(cities), 4)
    rows = math.ceil(len(cities) / columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(max(6.0, columns * (1.2 + 0.45 * len(variants))), 3.2 * rows + 0.8),
        squeeze=False,
    )
    colours = plt.get_cmap("tab10" if len(variants) <= 10 else "tab20")
    for ax, city in zip(axes.flat, cities, strict=False):
        mine = [(r, value, low, high) for r, value, low, high in values if r["scenario"] == city]
        x = [variants.index(_variant(r)) for r, *_ in mine]
        ax.bar(
            x,
            [value for _, value, _, _ in mine],
            yerr=[
                [max(0.0, value - low) for _, value, low, _ in mine],
                [max(0.0, high - value) for _, value, _, high in mine],
            ],
            color=[colours(i % 20) for i in x],
            capsize=3,
        )
        ax.set_xticks(range(len(variants)), variants, rotation=30, ha="right", fontsize="small")
        ax.set_title(city)
    for ax in axes.flat[len(cities) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize="small")
    return png_bytes(fig)


def _variant(row: dict) -> str:
    return str(row["variant"]) or "as written"


def render(
    grid: Grid, settings: Settings, table: list[dict[str, object]], pngs: dict[str, bytes]
) -> str:
    """The sweep's report as one HTML page."""
    failed = [row for row in table if row["status"] != "ok"]
    head = (
        "<tr><th>cell</th><th>compensation budget (95% CI)</th><th>all lines (95% CI)</th>"
        "<th>all lines, the same every year</th>"
        "<th>current money for compensation runs short (± MC error)</th><th>leverage</th></tr>"
    )
    body = "".join(_row(row) for row in table if row["status"] == "ok")
    figures = "".join(
        f"<figure><img alt='{name}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        f"<figcaption>{html.escape(CAPTIONS[name])}</figcaption></figure>"
        for name, png in pngs.items()
    )
    problems = "".join(
        f"<li><b>{html.escape(str(row['name']))}</b>: {html.escape(str(row['problem']))}</li>"
        for row in failed
    )
    seed = "each scenario's own seed" if settings.seed is None else f"seed {settings.seed}"
    title = f"Fund sizing sweep: {grid.name}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{report.STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="headline">{len(table) - len(failed)} of {len(table)} cells sized, each on {settings.paths:,}
simulated futures ({settings.engine} engine, {seed}); budgets cover {settings.confidence:.0%} of futures.</p>
<table>{head}{body}</table>
{figures}
{f"<h2>Cells that did not run</h2><ul>{problems}</ul>" if failed else ""}
<p class="note">Each cell is one run of size_fund.py on the scenario in cells/&lt;cell&gt;/scenario.toml,
with the same settings; its full figures are in cells/&lt;cell&gt;/summary.json. The same grid, settings
and seeds give the same numbers on any number of workers or machines.</p>
</body></html>
"""


def _row(row: dict[str, object]) -> str:
    p, se = float(row["exhaustion_probability"]), float(row["exhaustion_probability_se"])
    leverage = row["leverage"]
    cells = [
        str(row["name"]),
        _with_interval(row, "compensation_yuan", "compensation_ci_low_yuan", "compensation_ci_high_yuan"),
        _with_interval(row, "recommended_yuan", "recommended_ci_low_yuan", "recommended_ci_high_yuan"),
        report.yuan(float(row["recommended_annual_yuan"])),
        f"{report.probability(p)} ± {report.probability(Z95 * se)}",
        "—" if leverage is None else f"{float(leverage):.1f}x",
    ]
    return "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"


def _with_interval(row: dict[str, object], value: str, low: str, high: str) -> str:
    yuan = [report.yuan(float(row[key])) for key in (value, low, high)]
    return f"{yuan[0]} ({yuan[1]}–{yuan[2]})"


def _ran(outcomes: list[Outcome]) -> bool:
    return any(o.summary is not None for o in outcomes)


def _any_summary(outcomes: list[Outcome]) -> dict:
    return next(o.summary for o in outcomes if o.summary is not None)
