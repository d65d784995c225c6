"""How the answer settles as paths grow: the recommended budget and its interval on the first n paths,
for n doubling up to the whole run (the paths are independent, so a prefix is a smaller run)."""

from __future__ import annotations

from sim.column_stats import Chunks, order_statistics
from sim.path_figures import READ_PATHS, PathStore
from sim.sizing import covering_rank, interval_ranks

FEWEST = 100  # the smallest prefix shown: fewer paths say little about a 99% budget


def prefix_sizes(paths: int, points: int = 8) -> list[int]:
    """The whole run and its halvings, down to FEWEST paths (at most `points`), smallest first."""
    sizes = [paths]
    while len(sizes) < points and sizes[-1] // 2 >= FEWEST:
        sizes.append(sizes[-1] // 2)
    return sorted(sizes)


def convergence(figures: PathStore, confidence: float) -> list[dict]:
    """summary.json's `convergence`: per prefix of n paths, the total's recommended budget and its
    interval (the same order statistics as `budget`), in yuan."""
    rows = []
    for n in prefix_sizes(figures.paths):
        cover = covering_rank(n, confidence)
        low, high = interval_ranks(n, confidence)
        at = order_statistics(_first(figures, n), {"total": [cover, low, high]})["total"]
        rows.append(
            {
                "paths": n,
                "recommended_yuan": round(at[cover] / 100, 2),
                "recommended_ci_yuan": [round(at[low] / 100, 2), round(at[high] / 100, 2)],
            }
        )
    return rows


def _first(figures: PathStore, n: int) -> Chunks:
    """The `total` column of the first n paths, a chunk at a time."""

    def chunks():
        for first in range(0, n, READ_PATHS):
            yield {"total": figures.read(first, min(n, first + READ_PATHS)).total_fen}

    return chunks
