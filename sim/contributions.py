"""Who uses the fund: each bank's, sector's and loan-size band's contribution to the payout's mean,
99th percentile and ES99, by Euler allocation, with Monte Carlo errors.

Each path's net payout (demand run: paid minus clawed back over the horizon) is split exactly by the
group of the loan each claim is for (`payout_by_group`), so within a kind (banks, sectors, bands) the
groups add up to the path's payout. The contributions are conditional means of a group's payout
(Tasche's Euler allocation of a homogeneous risk measure): over all paths (the mean), over the worst
1% (ES99: the paths the ES is the mean of, ties at its edge shared by their mean), and around the 99th
percentile (VaR99: the paths whose payout lies within h ranks of it, h = ceil(sqrt(tail paths)), as a
ratio of sums scaled to the percentile). So each kind's contributions add up to the mean, the p99 and
the ES99 of `payout_yuan`. Every sum is exact (integer fen), so the figures do not depend on how the
paths are read in chunks.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from fractions import Fraction

import numpy as np

from sim.column_stats import Chunks, Moments, moments, order_statistics
from sim.model import Scenario
from sim.portfolio import LoanBook, size_band_names

KINDS = ("bank", "sector", "size_band")
CONFIDENCE = 0.99  # the level of payout_yuan's p99 and es99, which the contributions split


def group_names(scenario: Scenario) -> dict[str, tuple[str, ...]]:
    """The groups of each kind, in the order of PathTotals.group_payout_fen's columns."""
    return {
        "bank": scenario.portfolio.bank_names,
        "sector": tuple(segment.name for segment in scenario.default.segments),
        "size_band": size_band_names(scenario.portfolio.size_bands_yuan),
    }


def group_count(scenario: Scenario) -> int:
    """Columns of group_payout_fen: every bank, sector and size band."""
    return sum(len(names) for names in group_names(scenario).values())


def column_names(scenario: Scenario) -> list[str]:
    """The summary's column of every group (sim.path_figures.PathFigures.columns: "group i")."""
    return [f"group {i}" for i in range(group_count(scenario))]


def loan_groups(book: LoanBook, loans: np.ndarray) -> list[np.ndarray]:
    """For each kind, the group index of each of `loans` (banks, sectors, then size bands)."""
    return [book.bank[loans], book.segment[loans], book.size_band[loans]]


def payout_by_group(
    scenario: Scenario,
    book: LoanBook,
    path: np.ndarray,
    loan: np.ndarray,
    paid_fen: np.ndarray,
    n_paths: int,
) -> np.ndarray:
    """(paths, groups): what each claim was paid net of clawbacks, summed by path and by the bank,
    sector and size band of its loan."""
    widths = [len(names) for names in group_names(scenario).values()]
    parts = []
    for width, index in zip(widths, loan_groups(book, loan), strict=True):
        summed = np.bincount(path * width + index, weights=paid_fen, minlength=n_paths * width)
        parts.append(np.rint(summed).astype(np.int64).reshape(n_paths, width))
    return np.concatenate(parts, axis=1)


def book_by_group(scenario: Scenario, book: LoanBook) -> dict[str, list[tuple[int, int]]]:
    """For each kind, (loans, principal in fen) of each group over the horizon."""
    found = {}
    every = np.arange(book.size)
    for (kind, names), index in zip(
        group_names(scenario).items(), loan_groups(book, every), strict=True
    ):
        count = np.bincount(index, minlength=len(names))
        principal = np.bincount(index, weights=book.principal_fen, minlength=len(names))
        found[kind] = [(int(c), int(round(p))) for c, p in zip(count, principal, strict=True)]
    return found


def ranks(n: int) -> dict[str, int]:
    """The ranks of the payout column the contributions read: the p99, where the worst 1% begin,
    and the window around the p99 (h = ceil(sqrt(tail paths)) ranks either side)."""
    var_rank = max(1, math.ceil(CONFIDENCE * n - 1e-9))  # sim.sizing.covering_rank
    tail_rank = n - max(1, math.floor(n * (1 - CONFIDENCE) + 1e-9)) + 1  # sim.sizing.tail_rank
    half = math.ceil(math.sqrt(n - tail_rank + 1))
    return {
        "var": var_rank,
        "tail": tail_rank,
        "low": max(1, var_rank - half),
        "high": min(n, var_rank + half),
    }


def contributions(
    scenario: Scenario,
    book: LoanBook,
    chunks: Chunks,
    n: int,
    m: Mapping[str, Moments] | None = None,
    payout_at: Mapping[int, int | float] | None = None,
) -> dict:
    """summary.json's `contributions`: per bank, sector and size band, the share of the payout's mean,
    p99 and ES99 (yuan) with Monte Carlo standard errors (docs/fund-sizing.md). `m` (moments of the
    group columns, with squares) and `payout_at` (the payout at `ranks(n)`) when already read."""
    names = column_names(scenario)
    if m is None:
        m = moments(_only(chunks, names), spread=names)
    at_rank = ranks(n)
    if payout_at is None:
        payout_at = order_statistics(_only(chunks, ["payout"]), {"payout": at_rank.values()})
        payout_at = payout_at["payout"]
    at = {name: payout_at[rank] for name, rank in at_rank.items()}
    sums = _tail_sums(_only(chunks, ["payout", *names]), names, at["tail"], (at["low"], at["high"]))
    var_fen, k = at["var"], n - at_rank["tail"] + 1
    above, ties = sums["above"], sums["ties"]
    needed = k - above["count"]  # paths at the tail's edge value that belong to the worst k
    window = sums["window"]
    result: dict = {"confidence": CONFIDENCE, "tail_paths": k, "window_paths": window["count"]}
    held = book_by_group(scenario, book)
    column = 0
    for kind, group in group_names(scenario).items():
        rows = []
        for g, name in enumerate(group):
            col = names[column]
            column += 1
            es = (
                above["sum"][col] + Fraction(needed * ties["sum"][col], max(ties["count"], 1))
            ) / k
            var = _ratio(window, col, var_fen)
            rows.append(
                {
                    "name": name,
                    "loans": held[kind][g][0],
                    "exposure_yuan": _yuan(held[kind][g][1]),
                    "mean_yuan": _yuan(m[col].mean),
                    "mean_se_yuan": _yuan(m[col].sd / math.sqrt(n)),
                    "p99_yuan": _yuan(var),
                    "p99_se_yuan": _yuan(_ratio_se(window, col, var_fen)),
                    "es99_yuan": _yuan(es),
                    "es99_se_yuan": _yuan(_es_se(above, ties, col, es, var, k)),
                }
            )
        result[f"by_{kind}"] = rows
    return result


def _only(chunks: Chunks, names: list[str]) -> Chunks:
    """The same chunks with only the named columns."""
    return lambda: ({name: chunk[name] for name in names} for chunk in chunks())


def _tail_sums(
    chunks: Chunks, names: list[str], edge: int, window: tuple[int, int]
) -> dict[str, dict]:
    """One pass: exact sums of each group column (and squares) over the paths above the tail's edge
    value, over those at it, and (with cross products with the payout) over the window's paths."""
    found = {
        part: {"count": 0, "sum": dict.fromkeys(names, 0), "squares": dict.fromkeys(names, 0)}
        for part in ("above", "ties", "window")
    }
    found["window"] |= {"cross": dict.fromkeys(names, 0), "payout": 0, "payout_squares": 0}
    for chunk in chunks():
        payout = chunk["payout"]
        for part, rows in (
            ("above", payout > edge),
            ("ties", payout == edge),
            ("window", (payout >= window[0]) & (payout <= window[1])),
        ):
            acc = found[part]
            acc["count"] += int(rows.sum())
            total = payout[rows].tolist()
            for name in names:
                values = chunk[name][rows].tolist()
                acc["sum"][name] += sum(values)
                acc["squares"][name] += sum(map(operator.mul, values, values))
                if part == "window":
                    acc["cross"][name] += sum(map(operator.mul, values, total))
            if part == "window":
                acc["payout"] += sum(total)
                acc["payout_squares"] += sum(map(operator.mul, total, total))
    return found


def _ratio(window: Mapping, col: str, var_fen: int) -> Fraction:
    """The group's share of the window's payout, times the percentile."""
    if window["payout"] == 0:
        return Fraction(0)
    return Fraction(window["sum"][col] * var_fen, window["payout"])


def _ratio_se(window: Mapping, col: str, var_fen: int) -> float:
    """Delta-method standard error of the ratio estimator: sqrt(sum (X_g - r X)^2) / sum X."""
    if window["payout"] == 0:
        return 0.0
    r = Fraction(window["sum"][col], window["payout"])
    spread = (
        window["squares"][col] - 2 * r * window["cross"][col] + r * r * window["payout_squares"]
    )
    return math.sqrt(max(0.0, float(spread))) / window["payout"] * var_fen


def _es_se(above: Mapping, ties: Mapping, col: str, es: Fraction, var: Fraction, k: int) -> float:
    """Standard error of a tail conditional mean over k paths: sqrt((Var(X_g | tail) +
    c (ES_g - VaR_g)^2) / k) (the estimator's influence function; c the confidence), the tail's
    variance read over the paths above and at its edge."""
    count = above["count"] + ties["count"]
    if count < 2:
        return 0.0
    total = above["sum"][col] + ties["sum"][col]
    squares = above["squares"][col] + ties["squares"][col]
    variance = Fraction(count * squares - total * total, count * (count - 1))
    return math.sqrt(max(0.0, float(variance + CONFIDENCE * (es - var) ** 2) / k))


def _yuan(fen: float | Fraction) -> float:
    return round(float(fen) / 100, 2)
