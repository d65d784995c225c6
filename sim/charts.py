"""The sizing charts (matplotlib, Agg backend): each function draws one figure and returns its PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np

from sim.sensitivity import INPUTS, LineSwings
from sim.sizing import TotalShape

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

MILLION = 1e6
BLUE, RED, GREY = "#2b6cb0", "#c53030", "#718096"


@dataclass(frozen=True)
class Panel:
    """One budget line's share of a chart: its distribution over the horizon and its budget."""

    label: str
    shape: TotalShape
    recommended_yuan: float
    interval_yuan: Sequence[float]


def distribution(panels: Sequence[Panel], confidence: float) -> bytes:
    """Per budget line, a histogram of its cost over the horizon, with the mean and the recommended budget."""
    fig, axes = _panels(len(panels))
    for ax, panel in zip(axes, panels, strict=True):
        shape = panel.shape
        edges = shape.bin_edges_yuan / MILLION
        low, high = (x / MILLION for x in panel.interval_yuan)
        ax.hist(edges[:-1], bins=edges, weights=shape.bin_counts, color=BLUE, alpha=0.8)
        ax.axvspan(low, high, color=RED, alpha=0.15, label="95% CI")
        ax.axvline(
            panel.recommended_yuan / MILLION, color=RED, label=f"budget covering {confidence:.0%}"
        )
        ax.axvline(shape.mean_yuan / MILLION, color=GREY, linestyle="--", label="mean")
        ax.set(xlabel=f"{panel.label} over the horizon (¥ million)", ylabel="simulated futures")
        ax.legend()
    return png_bytes(fig)


def by_year(years: list[dict]) -> bytes:
    """Fund payouts per year: the mean (bars) and the 99th percentile (markers)."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    labels = [f"year {row['year']}" for row in years]
    ax.bar(labels, [row["mean"] / MILLION for row in years], color=BLUE, label="mean")
    ax.plot(
        labels, [row["p99"] / MILLION for row in years], "v", color=RED, label="99th percentile"
    )
    ax.set(ylabel="fund payouts (¥ million)")
    ax.legend()
    return png_bytes(fig)


def by_layer(layers: dict[str, dict]) -> bytes:
    """Fund payouts over the horizon per layer (bank, guarantor, insurer, agency): mean and p99."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = list(layers)
    ax.bar(names, [layers[n]["mean"] / MILLION for n in names], color=BLUE, label="mean")
    ax.plot(
        names, [layers[n]["p99"] / MILLION for n in names], "v", color=RED, label="99th percentile"
    )
    ax.set(ylabel="paid over the horizon (¥ million)")
    ax.legend()
    return png_bytes(fig)


def contributions(found: dict) -> bytes:
    """Which banks and sectors use the fund: each group's share of the mean payout and of ES99."""
    kinds = [kind for kind in ("bank", "sector", "size_band") if found[f"by_{kind}"]]
    fig, axes = plt.subplots(1, len(kinds), figsize=(4 * len(kinds), 3.5), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        rows = found[f"by_{kind}"]
        mean_total = sum(r["mean_yuan"] for r in rows) or 1.0
        es_total = sum(r["es99_yuan"] for r in rows) or 1.0
        y = np.arange(len(rows))
        ax.barh(y - 0.2, [r["mean_yuan"] / mean_total for r in rows], 0.4, color=BLUE, label="mean")
        ax.barh(y + 0.2, [r["es99_yuan"] / es_total for r in rows], 0.4, color=RED, label="ES99")
        ax.set_yticks(y, [r["name"] for r in rows])
        ax.invert_yaxis()
        ax.set(xlabel="share of the fund's payouts", title=kind.replace("_", " "))
    axes[0][0].legend()
    return png_bytes(fig)


def convergence(rows: list[dict], confidence: float) -> bytes:
    """The recommended budget (all lines) and its 95% interval on the first n paths, n doubling."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    paths = [r["paths"] for r in rows]
    low = [r["recommended_ci_yuan"][0] / MILLION for r in rows]
    high = [r["recommended_ci_yuan"][1] / MILLION for r in rows]
    ax.fill_between(paths, low, high, color=RED, alpha=0.15, label="95% CI")
    ax.plot(paths, [r["recommended_yuan"] / MILLION for r in rows], "o-", color=RED,
            label=f"budget covering {confidence:.0%}")  # fmt: skip
    ax.set_xscale("log")
    ax.set(xlabel="simulated futures (first n)", ylabel="budget over the horizon (¥ million)")
    ax.legend()
    return png_bytes(fig)


def budget_curve(panels: Sequence[Panel], confidence: float) -> bytes:
    """Per budget line: budget -> probability that the line's cost exceeds it (log scale)."""
    fig, axes = _panels(len(panels))
    for ax, panel in zip(axes, panels, strict=True):
        shape, n = panel.shape, panel.shape.paths
        ax.step(
            shape.budgets_yuan / MILLION,
            np.maximum(shape.share_above, 0.5 / n),
            where="post",
            color=BLUE,
        )
        ax.axvline(panel.recommended_yuan / MILLION, color=RED, label=f"covers {confidence:.0%}")
        ax.axhline(1 - confidence, color=RED, linestyle=":")
        ax.set_yscale("log")
        ax.set_ylim(0.5 / n, 1.05)
        ax.set(
            xlabel=f"{panel.label}: budget over the horizon (¥ million)",
            ylabel="probability of running out",
        )
        ax.legend()
    return png_bytes(fig)


def tornado(lines: Sequence[LineSwings]) -> bytes:
    """Per budget line, its recommended budget with each input moved down and up: widest bar on top."""
    fig, axes = _panels(len(lines), height=max(0.6 * len(INPUTS) + 1.5, 2.5))
    for ax, line in zip(axes, lines, strict=True):
        base_yuan, rows = line.base_yuan, list(reversed(line.swings))
        y = np.arange(len(rows))
        for side, colour in (("low", BLUE), ("high", RED)):
            ends = [getattr(s, f"{side}_yuan") for s in rows]
            factor = getattr(rows[0], f"{side}_factor") if rows else 1.0
            ax.barh(
                y,
                [(end - base_yuan) / MILLION for end in ends],
                left=base_yuan / MILLION,
                color=colour,
                alpha=0.8,
                label=f"input x {factor:g}",
            )
        ax.axvline(base_yuan / MILLION, color="black", linewidth=1)
        ax.set_yticks(y, [s.label for s in rows])
        ax.set(xlabel=f"recommended {line.label} budget (¥ million)")
        ax.legend(loc="lower right")
    return png_bytes(fig)


def comparison(
    names: list[str], recommended: list[float], intervals: list[Sequence[float]], mean: list[float]
) -> bytes:
    """Scenarios side by side: the recommended budget (with its interval) and the mean payouts."""
    fig, ax = plt.subplots(figsize=(max(6, 1.8 * len(names)), 4))
    x = np.arange(len(names))
    low = [(r - i[0]) / MILLION for r, i in zip(recommended, intervals, strict=True)]
    high = [(i[1] - r) / MILLION for r, i in zip(recommended, intervals, strict=True)]
    ax.bar(
        x - 0.2,
        np.array(recommended) / MILLION,
        0.4,
        yerr=[low, high],
        color=RED,
        label="recommended budget",
    )
    ax.bar(x + 0.2, np.array(mean) / MILLION, 0.4, color=BLUE, label="mean payouts + subsidies")
    ax.set_xticks(x, names)
    ax.set(ylabel="over the horizon (¥ million)")
    ax.legend()
    return png_bytes(fig)


def save(png: bytes, path: Path) -> bytes:
    """Write a chart to a file and hand its bytes on (for inlining in a report)."""
    path.write_bytes(png)
    return png


def _panels(count: int, height: float = 3.2) -> tuple[plt.Figure, list[plt.Axes]]:
    """A figure of `count` charts, one above the other (one per budget line)."""
    fig, axes = plt.subplots(
        max(count, 1), 1, figsize=(8, height * max(count, 1) + 0.6), squeeze=False
    )
    return fig, list(axes[:, 0])[:count]


def png_bytes(fig: plt.Figure) -> bytes:
    """A finished figure as PNG bytes, in the reports' size and resolution (the figure is closed)."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()
