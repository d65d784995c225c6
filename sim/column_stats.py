"""Statistics of columns too long to hold at once, read a chunk at a time: exact sums and order statistics.

A source of chunks is a function that reads the columns again from the start on every call, yielding a
mapping of column name -> one chunk of that column. Sums of integer columns are exact (Python ints), so
they do not depend on how the columns are cut into chunks. The k-th smallest value is found exactly in a
few passes: a histogram over the candidates' range finds the bin holding rank k, then the same inside
that bin, until the candidates fit in memory or are all one value (ties, e.g. the many paths that pay
nothing). A column small enough for one chunk is simply read once and partitioned.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

Chunks = Callable[[], Iterable[Mapping[str, np.ndarray]]]
FITS_IN_MEMORY = 2_000_000  # candidate values held at once by order_statistics, over all columns
BINS = 1 << 16  # histogram bins per pass: each pass narrows a range of keys this many times
_FLIP = 0x7FFF_FFFF_FFFF_FFFF
_INT64 = 1 << 63


@dataclass(frozen=True)
class Moments:
    """Count, exact sum (and sum of squares, if asked), smallest and largest value of a column."""

    n: int
    total: int | Fraction
    squares: int | Fraction | None
    low: int | float
    high: int | float

    @property
    def mean(self) -> float:
        """The mean, rounded once from the exact sum."""
        return float(Fraction(self.total) / self.n)

    @property
    def sd(self) -> float:
        """The sample standard deviation (n - 1 in the denominator); 0 for a single value."""
        if self.squares is None:
            raise ValueError("moments were read without the sum of squares")
        if self.n < 2:
            return 0.0
        spread = Fraction(self.n * self.squares - self.total**2, self.n * (self.n - 1))
        return math.sqrt(max(0.0, float(spread)))


def in_memory(**columns: np.ndarray) -> Chunks:
    """Columns already in memory, as a source of a single chunk."""
    chunk = {name: np.asarray(values) for name, values in columns.items()}
    return lambda: [chunk]


def moments(chunks: Chunks, spread: Collection[str] = ()) -> dict[str, Moments]:
    """Moments of every column in one pass; the sum of squares only for the columns in `spread`."""
    seen: dict[str, list] = {}
    for chunk in chunks():
        for name, values in chunk.items():
            if values.size == 0:
                continue
            low, high = values.min().item(), values.max().item()
            squares = _exact_square_sum(values) if name in spread else None
            if name not in seen:
                seen[name] = [values.size, _exact_sum(values), squares, low, high]
                continue
            acc = seen[name]
            acc[0] += values.size
            acc[1] += _exact_sum(values)
            acc[2] = None if squares is None else acc[2] + squares
            acc[3], acc[4] = min(acc[3], low), max(acc[4], high)
    return {name: Moments(*acc) for name, acc in seen.items()}


def above(chunks: Chunks, floors: Mapping[str, float]) -> dict[str, tuple[int, int | Fraction]]:
    """For each named column: how many values lie strictly above its floor, and their exact sum."""
    found: dict[str, tuple[int, int | Fraction]] = {name: (0, 0) for name in floors}
    for chunk in chunks():
        for name, floor in floors.items():
            values = chunk[name]
            beyond = values[values > floor]
            count, total = found[name]
            found[name] = (count + beyond.size, total + _exact_sum(beyond))
    return found


@dataclass(frozen=True)
class _Window:
    """Where some ranks of a column lie: keys lo..hi hold `count` values, `below` values lie under lo."""

    name: str
    lo: int
    hi: int
    below: int
    count: int
    ranks: tuple[int, ...]

    @property
    def width(self) -> int:
        """Keys per histogram bin, so the range takes at most BINS bins."""
        return -(-(self.hi - self.lo + 1) // BINS)


def order_statistics(
    chunks: Chunks, ranks: Mapping[str, Iterable[int]], fits: int | None = None
) -> dict[str, dict[int, int | float]]:
    """The values at the given 1-based ranks of each column in sorted order (np.sort(column)[rank - 1]),
    exactly, holding at most `fits` candidate values at once (default FITS_IN_MEMORY)."""
    fits = fits or FITS_IN_MEMORY
    wanted = {name: tuple(sorted(set(rs))) for name, rs in ranks.items()}
    windows, kinds = _whole_columns(chunks, wanted)
    found: dict[str, dict[int, int | float]] = {name: {} for name in wanted}
    while windows:
        for w in windows:
            if w.lo == w.hi:  # every candidate is the same value
                found[w.name] |= {r: _value(w.lo, kinds[w.name]) for r in w.ranks}
        windows = [w for w in windows if w.lo < w.hi]
        if not windows:
            break
        counted, gathered = _one_pass(chunks, windows, share=max(1, fits // len(windows)))
        narrowed = []
        for i, w in enumerate(windows):
            if i in counted:
                narrowed += _narrowed(w, counted[i])
                continue
            candidates = np.concatenate(gathered[i])
            places = [r - w.below - 1 for r in w.ranks]
            candidates.partition(places)
            kind = kinds[w.name]
            found[w.name] |= {
                r: _value(int(candidates[p]), kind) for r, p in zip(w.ranks, places, strict=True)
            }
        windows = narrowed
    return found


def _one_pass(
    chunks: Chunks, windows: list[_Window], share: int
) -> tuple[dict[int, np.ndarray], dict[int, list[np.ndarray]]]:
    """Read the columns once: a histogram of each window holding more than `share` values, the
    values themselves (as keys) of the others."""
    counted = {i: np.zeros(BINS, np.int64) for i, w in enumerate(windows) if w.count > share}
    gathered: dict[int, list[np.ndarray]] = {i: [] for i in range(len(windows)) if i not in counted}
    for chunk in chunks():
        keys = {name: _keys(chunk[name]) for name in {w.name for w in windows}}
        for i, w in enumerate(windows):
            column = keys[w.name]
            inside = column[(column >= w.lo) & (column <= w.hi)]
            if i in gathered:
                gathered[i].append(inside)
                continue
            offset = inside.view(np.uint64) - np.uint64(w.lo % (2 * _INT64))  # wraps exactly
            bins = (offset // np.uint64(w.width)).astype(np.intp)
            counted[i] += np.bincount(bins, minlength=BINS)
    return counted, gathered


def _whole_columns(
    chunks: Chunks, wanted: Mapping[str, tuple[int, ...]]
) -> tuple[list[_Window], dict[str, str]]:
    """One pass for each column's count and key range: the first window holds the whole column."""
    bounds: dict[str, list[int]] = {}
    kinds: dict[str, str] = {}
    for chunk in chunks():
        for name in wanted:
            values = chunk[name]
            kinds[name] = values.dtype.kind
            if values.size == 0:
                continue
            keys = _keys(values)
            n, lo, hi = bounds.get(name, (0, int(keys.min()), int(keys.max())))
            bounds[name] = [n + keys.size, min(lo, int(keys.min())), max(hi, int(keys.max()))]
    windows = []
    for name, ranks in wanted.items():
        n, lo, hi = bounds.get(name, (0, 0, 0))
        if ranks and not 1 <= ranks[0] <= ranks[-1] <= n:
            raise ValueError(f"{name}: ranks must lie in 1..{n}, not {ranks[0]}..{ranks[-1]}")
        if ranks:
            windows.append(_Window(name, lo, hi, 0, n, ranks))
    return windows, kinds


def _narrowed(w: _Window, counts: np.ndarray) -> list[_Window]:
    """The bins of a window's histogram that hold its ranks, as narrower windows."""
    cumulative = np.cumsum(counts)
    by_bin: dict[int, list[int]] = {}
    for r in w.ranks:
        by_bin.setdefault(int(np.searchsorted(cumulative, r - w.below)), []).append(r)
    out = []
    for b, ranks in by_bin.items():
        lo = w.lo + b * w.width
        below = w.below + int(cumulative[b] - counts[b])
        out.append(
            _Window(w.name, lo, min(w.hi, lo + w.width - 1), below, int(counts[b]), tuple(ranks))
        )
    return out


def _keys(values: np.ndarray) -> np.ndarray:
    """int64 keys in the order of the values (a float through its bits), so ranges cut exactly."""
    if values.dtype.kind == "f":
        bits = values.astype(np.float64, copy=False).view(np.int64)
        return np.where(bits < 0, bits ^ np.int64(_FLIP), bits)
    return values.astype(np.int64, copy=False)


def _value(key: int, kind: str) -> int | float:
    if kind != "f":
        return key
    bits = key ^ _FLIP if key < 0 else key
    return float(np.array(bits, dtype=np.int64).view(np.float64))


def _exact_sum(values: np.ndarray) -> int | Fraction:
    """The sum of an integer array exactly (a float array's: rounded once, by math.fsum)."""
    if values.dtype.kind == "f":
        return Fraction(math.fsum(values))
    if values.size == 0:
        return 0
    largest = max(-int(values.min()), int(values.max()))
    if largest * values.size < _INT64:  # NumPy's int64 sum cannot overflow
        return int(values.sum(dtype=np.int64))
    return sum(values.tolist())


def _exact_square_sum(values: np.ndarray) -> int | Fraction:
    if values.dtype.kind == "f":
        return Fraction(math.fsum(values * values))
    as_ints = values.astype(np.int64).tolist()
    return sum(map(operator.mul, as_ints, as_ints))
