"""Statistics of columns too long to hold at once, read a chunk at a time: exact sums and order statistics.

A source of chunks is a function that reads the columns again from the start on every call, yielding a
mapping of column name -> one chunk of that column. Sums are exact (Python ints, or Fractions for floats),
so they do not depend on how the columns are cut into chunks. The k-th smallest value is found exactly in a
few passes: a histogram over the candidates' range finds the bin holding rank k, then the same inside
that bin, until the candidates fit in memory or are all one value (ties, e.g. the many paths that pay
nothing). A column small enough for one chunk is simply read once and partitioned.

A Sketch is what a piece of the columns reduces to where it was computed (a worker): each column's
moments and its counts in fixed, data-independent buckets (a few dozen per power of two). Sketches of
disjoint pieces add up exactly (Tally), so the reader of the whole starts from the buckets that hold
its ranks instead of reading everything to find them: usually one pass gathers the few candidates.
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
SUB_BITS = 6  # a sketch's buckets: 2**(SUB_BITS - 1) per power of two of a key's magnitude
_HALF = (65 - SUB_BITS) << (SUB_BITS - 1)  # buckets of the keys >= 0 (as many hold the keys < 0)
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

    def __add__(self, other: Moments) -> Moments:
        """The moments of both columns together (exact: sums add)."""
        squares = None
        if self.squares is not None and other.squares is not None:
            squares = self.squares + other.squares
        return Moments(
            self.n + other.n,
            self.total + other.total,
            squares,
            min(self.low, other.low),
            max(self.high, other.high),
        )


def in_memory(**columns: np.ndarray) -> Chunks:
    """Columns already in memory, as a source of a single chunk."""
    chunk = {name: np.asarray(values) for name, values in columns.items()}
    return lambda: [chunk]


def moments(chunks: Chunks, spread: Collection[str] = ()) -> dict[str, Moments]:
    """Moments of every column in one pass; the sum of squares only for the columns in `spread`."""
    seen: dict[str, Moments] = {}
    for chunk in chunks():
        for name, found in _chunk_moments(chunk, spread).items():
            seen[name] = seen[name] + found if name in seen else found
    return seen


def _chunk_moments(chunk: Mapping[str, np.ndarray], spread: Collection[str]) -> dict[str, Moments]:
    return {
        name: Moments(
            values.size,
            _exact_sum(values),
            _exact_square_sum(values) if name in spread else None,
            values.min().item(),
            values.max().item(),
        )
        for name, values in chunk.items()
        if values.size
    }


@dataclass(frozen=True)
class Sketch:
    """Some paths' columns reduced where they were computed: moments (sums of squares for `spread`),
    each column's kind of number, and its counts in the fixed buckets (bucket numbers, counts)."""

    paths: int
    moments: dict[str, Moments]
    kinds: dict[str, str]
    buckets: dict[str, tuple[np.ndarray, np.ndarray]]

    @classmethod
    def of(cls, columns: Mapping[str, np.ndarray], spread: Collection[str] = ()) -> Sketch:
        """The sketch of columns of equal length."""
        paths = next(iter(columns.values())).shape[0] if columns else 0
        buckets = {}
        for name, values in columns.items():
            numbers, counts = np.unique(_bucket(_keys(values)), return_counts=True)
            buckets[name] = (numbers.astype(np.int32), counts.astype(np.int64))
        kinds = {name: values.dtype.kind for name, values in columns.items()}
        return cls(paths, _chunk_moments(columns, spread), kinds, buckets)


class Tally:
    """Sketches of disjoint paths added up: the moments and bucket counts of all of them together."""

    def __init__(self) -> None:
        self.paths = 0
        self.moments: dict[str, Moments] = {}
        self.kinds: dict[str, str] = {}
        self.counts: dict[str, np.ndarray] = {}

    def add(self, sketch: Sketch) -> None:
        """Count one more sketch in."""
        self.paths += sketch.paths
        for name, found in sketch.moments.items():
            self.moments[name] = self.moments[name] + found if name in self.moments else found
        self.kinds |= sketch.kinds
        for name, (numbers, counts) in sketch.buckets.items():
            if name not in self.counts:
                self.counts[name] = np.zeros(2 * _HALF, np.int64)
            self.counts[name][numbers] += counts

    def windows(self, wanted: Mapping[str, tuple[int, ...]]) -> list[_Window]:
        """For each column, the buckets holding its wanted ranks, as windows of keys."""
        windows = []
        for name, ranks in wanted.items():
            counts = self.counts[name]
            cumulative = np.cumsum(counts)
            n = int(cumulative[-1])
            if ranks and not 1 <= ranks[0] <= ranks[-1] <= n:
                raise ValueError(f"{name}: ranks must lie in 1..{n}, not {ranks[0]}..{ranks[-1]}")
            by_bucket: dict[int, list[int]] = {}
            for r in ranks:
                by_bucket.setdefault(int(np.searchsorted(cumulative, r)), []).append(r)
            for b, held in by_bucket.items():
                lo, hi = _bucket_keys(b)
                below = int(cumulative[b] - counts[b])
                windows.append(_Window(name, lo, hi, below, int(counts[b]), tuple(held)))
        return windows


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
    chunks: Chunks,
    ranks: Mapping[str, Iterable[int]],
    fits: int | None = None,
    tally: Tally | None = None,
) -> dict[str, dict[int, int | float]]:
    """The values at the given 1-based ranks of each column in sorted order (np.sort(column)[rank - 1]),
    exactly, holding at most `fits` candidate values at once (default FITS_IN_MEMORY); `tally`, the
    columns' sketches added up, saves the passes that find where the ranks lie."""
    fits = fits or FITS_IN_MEMORY
    wanted = {name: tuple(sorted(set(rs))) for name, rs in ranks.items()}
    if tally is not None and tally.counts.keys() >= wanted.keys():
        windows, kinds = tally.windows(wanted), tally.kinds
    else:
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


def _bucket(keys: np.ndarray) -> np.ndarray:
    """Each key's bucket, 0..2 * _HALF - 1, in the order of the keys: a magnitude below 2**SUB_BITS
    is its own bucket, a larger one is cut by its bit length and the next SUB_BITS - 1 bits."""
    negative = keys < 0
    magnitude = np.where(negative, ~keys, keys)  # ~k = -k - 1: the keys < 0 mirror those >= 0
    shift = np.maximum(_bit_length(magnitude) - SUB_BITS, 0)
    within = (shift << (SUB_BITS - 1)) + (magnitude >> shift)
    return np.where(negative, _HALF - 1 - within, _HALF + within)


def _bucket_keys(bucket: int) -> tuple[int, int]:
    """The smallest and largest key of a bucket (the inverse of _bucket)."""
    if bucket < _HALF:
        lo, hi = _magnitudes(_HALF - 1 - bucket)
        return ~hi, ~lo
    return _magnitudes(bucket - _HALF)


def _magnitudes(within: int) -> tuple[int, int]:
    if within < 1 << SUB_BITS:
        return within, within
    shift = (within >> (SUB_BITS - 1)) - 1
    top = within - (shift << (SUB_BITS - 1))
    return top << shift, ((top + 1) << shift) - 1


def _bit_length(magnitude: np.ndarray) -> np.ndarray:
    """int.bit_length of every value of an array of int64 >= 0 (a float's exponent, one less where
    the float rounded up to the next power of two)."""
    length = np.frexp(magnitude.astype(np.float64))[1].astype(np.int64)
    rounded_up = (magnitude > 0) & ((magnitude >> np.maximum(length - 1, 0)) == 0)
    return length - rounded_up


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
    """The sum of an array exactly: an int for integers, a Fraction for floats (not rounded, so sums of
    parts add up to the sum of the whole however it is cut)."""
    if values.dtype.kind == "f":
        return _exact_float_sum(values.astype(np.float64, copy=False))
    if values.size == 0:
        return 0
    largest = max(-int(values.min()), int(values.max()))
    if largest * values.size < _INT64:  # NumPy's int64 sum cannot overflow
        return int(values.sum(dtype=np.int64))
    return sum(values.tolist())


def _exact_float_sum(values: np.ndarray) -> Fraction:
    """Floats summed exactly: each is a 53-bit integer times a power of two; the integers are summed
    (exactly) per power, and the powers' sums brought to the smallest one."""
    if not np.isfinite(values).all():
        raise ValueError("cannot sum a column holding inf or nan exactly")
    fractions, powers = np.frexp(values)
    whole = (fractions * 2.0**53).astype(np.int64)  # exact: a float's significand has 53 bits
    total, smallest = 0, (int(powers.min()) if values.size else 0) - 53
    for power in np.unique(powers):
        total += _exact_sum(whole[powers == power]) << (int(power) - 53 - smallest)
    return Fraction(total) * Fraction(2) ** smallest


def _exact_square_sum(values: np.ndarray) -> int | Fraction:
    if values.dtype.kind == "f":  # the squares are rounded; no summary reads a float's spread
        return Fraction(math.fsum(values * values))
    as_ints = values.astype(np.int64).tolist()
    return sum(map(operator.mul, as_ints, as_ints))
