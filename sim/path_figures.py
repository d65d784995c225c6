"""What sizing keeps of each path, and where: a file on disk, written piece by piece, read a chunk at a time.

The main process of a sizing run holds one piece or one chunk of paths at a time, never the whole run,
so its memory does not grow with --paths; the file (about 250 bytes a path over three years) is an
unnamed temporary file that disappears with the run. Each piece comes with its sketch, made where the
piece was computed (sim.column_stats.Sketch): the store adds them up, so the summary finds its moments
and where its ranks lie without reading the file, and reads it only to pick the exact values.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, fields

import numpy as np

from market.domain.loss import LAYERS
from sim.column_stats import Sketch, Tally
from sim.results import PathTotals
from sim.subsidy import LINES as SUBSIDY_LINES

READ_PATHS = 20_000  # paths read back at once: a few MB with what is computed from them
SPREAD = ("payout", "principal_loss", "total")  # the columns whose standard deviation the summary reads


def spread_of(columns: Iterable[str]) -> tuple[str, ...]:
    """The columns a sketch keeps sums of squares for: SPREAD and every group's payout ("group i",
    whose spread sim.contributions reads)."""
    return (*SPREAD, *(name for name in columns if name.startswith("group ")))


@dataclass(frozen=True)
class PathFigures:
    """What sizing keeps of each path (money in fen): a few numbers a path, never per-loan arrays."""

    defaults: np.ndarray  # (paths,): over the horizon
    principal_loss_fen: np.ndarray  # (paths,)
    payout_fen: np.ndarray  # (paths, years): demand run, paid minus clawed back
    layer_payout_fen: np.ndarray  # (paths, layers): demand run, paid minus clawed back
    layer_clawback_fen: np.ndarray  # (paths, layers): demand run, clawed back
    subsidy_fen: np.ndarray  # (paths, years, subsidy lines): sim.subsidy.LINES
    exhausted: np.ndarray  # (paths,): the scenario's own fund left a claim unpaid in some year
    unpaid_fen: np.ndarray  # (paths,): what the scenario's own fund did not pay within the horizon
    # the trading centre's load and what the horizon leaves open (demand run; sim.centre), (paths,):
    centre_utilisation: np.ndarray  # float: operator-days needed / available within the horizon
    centre_busy_share: np.ndarray  # float: operator-days worked / available within the horizon
    wait_mean_days: np.ndarray  # float: mean wait for an operator over the path's cases
    wait_p95_days: np.ndarray  # float
    waiting_at_horizon: np.ndarray  # cases filed, not yet taken by an operator at the horizon
    pending_claims: np.ndarray  # claims approved after the horizon
    pending_fen: np.ndarray  # and their amount
    # (paths, groups): demand run, paid minus clawed back, per bank, sector and size band
    # (sim.contributions.group_names)
    group_payout_fen: np.ndarray

    @classmethod
    def of(cls, demand: PathTotals, own: PathTotals | None) -> PathFigures:
        """Reduce a demand run (and the same paths under the scenario's own fund) to the kept figures."""
        net = demand.payout_fen.sum(axis=2) - demand.clawback_fen
        if own is None:  # the scenario's fund has no limit: it pays exactly the demand
            exhausted, unpaid = np.zeros(net.shape[0], dtype=bool), np.zeros_like(net[:, 0])
        else:
            own_net = own.payout_fen.sum(axis=2) - own.clawback_fen
            exhausted, unpaid = own.budget_exhausted.any(axis=1), net.sum(1) - own_net.sum(1)
        return cls(
            defaults=demand.defaults.sum(axis=1),
            principal_loss_fen=demand.principal_loss_fen.sum(axis=1),
            payout_fen=net,
            layer_payout_fen=demand.payout_fen.sum(axis=1) - demand.clawback_by_layer_fen,
            layer_clawback_fen=demand.clawback_by_layer_fen,
            subsidy_fen=demand.subsidy_fen,
            exhausted=exhausted,
            unpaid_fen=unpaid,
            centre_utilisation=demand.centre_utilisation,
            centre_busy_share=demand.centre_busy_share,
            wait_mean_days=demand.queue_days / np.maximum(demand.disposals, 1),
            wait_p95_days=demand.wait_p95_days,
            waiting_at_horizon=demand.waiting_at_horizon,
            pending_claims=demand.pending_claims,
            pending_fen=demand.pending_fen,
            group_payout_fen=demand.group_payout_fen,
        )

    @classmethod
    def empty(cls, paths: int, years: int, groups: int = 0) -> PathFigures:
        """Zeroed figures for `paths` paths (with none: the shape and type of every field)."""
        return cls(
            defaults=np.zeros(paths, dtype=np.int64),
            principal_loss_fen=np.zeros(paths, dtype=np.int64),
            payout_fen=np.zeros((paths, years), dtype=np.int64),
            layer_payout_fen=np.zeros((paths, len(LAYERS)), dtype=np.int64),
            layer_clawback_fen=np.zeros((paths, len(LAYERS)), dtype=np.int64),
            subsidy_fen=np.zeros((paths, years, len(SUBSIDY_LINES)), dtype=np.int64),
            exhausted=np.zeros(paths, dtype=bool),
            unpaid_fen=np.zeros(paths, dtype=np.int64),
            centre_utilisation=np.zeros(paths),
            centre_busy_share=np.zeros(paths),
            wait_mean_days=np.zeros(paths),
            wait_p95_days=np.zeros(paths),
            waiting_at_horizon=np.zeros(paths, dtype=np.int64),
            pending_claims=np.zeros(paths, dtype=np.int64),
            pending_fen=np.zeros(paths, dtype=np.int64),
            group_payout_fen=np.zeros((paths, groups), dtype=np.int64),
        )

    @property
    def paths(self) -> int:
        """Number of paths."""
        return int(self.defaults.shape[0])

    @property
    def total_fen(self) -> np.ndarray:
        """(paths,): payouts plus subsidies over the horizon, what all the budget lines cover."""
        return self.payout_fen.sum(axis=1) + self.subsidy_fen.sum(axis=(1, 2))

    @property
    def worst_year_fen(self) -> np.ndarray:
        """(paths,): the largest one year's payouts plus subsidies."""
        return (self.payout_fen + self.subsidy_fen.sum(axis=2)).max(axis=1)

    def columns(self) -> dict[str, np.ndarray]:
        """One number a path, by name: what the summary reads (sim.column_stats columns).

        Each budget line (compensation, and each subsidy line) has its total over the horizon and its
        worst year; "subsidy" and "subsidy worst_year" are all subsidies together."""
        subsidies = self.subsidy_fen.sum(axis=2)
        columns = {
            "defaults": self.defaults,
            "principal_loss": self.principal_loss_fen,
            "payout": self.payout_fen.sum(axis=1),
            "payout worst_year": self.payout_fen.max(axis=1),
            "subsidy": subsidies.sum(axis=1),
            "subsidy worst_year": subsidies.max(axis=1),
            "total": self.total_fen,
            "worst_year": self.worst_year_fen,
            "exhausted": self.exhausted,
            "unpaid": self.unpaid_fen,
            "centre utilisation": self.centre_utilisation,
            "centre busy share": self.centre_busy_share,
            "centre wait mean": self.wait_mean_days,
            "centre wait p95": self.wait_p95_days,
            "centre waiting": self.waiting_at_horizon,
            "pending claims": self.pending_claims,
            "pending": self.pending_fen,
        }
        for j, line in enumerate(SUBSIDY_LINES):
            columns[f"subsidy {line}"] = self.subsidy_fen[:, :, j].sum(axis=1)
            columns[f"subsidy {line} worst_year"] = self.subsidy_fen[:, :, j].max(axis=1)
        for j, layer in enumerate(LAYERS):
            columns[f"layer {layer.value}"] = self.layer_payout_fen[:, j]
            columns[f"clawback {layer.value}"] = self.layer_clawback_fen[:, j]
        columns |= {f"year {y + 1}": self.payout_fen[:, y] for y in range(self.payout_fen.shape[1])}
        columns |= {f"group {g}": self.group_payout_fen[:, g] for g in range(self.groups)}
        return columns

    @property
    def groups(self) -> int:
        """Banks, sectors and size bands: the columns of group_payout_fen."""
        return int(self.group_payout_fen.shape[1])


@dataclass(frozen=True)
class Piece:
    """A piece of a run as a worker hands it back: its paths' figures and their sketch."""

    figures: PathFigures
    sketch: Sketch

    @classmethod
    def of(cls, figures: PathFigures) -> Piece:
        """The figures with their sketch (made here: where the piece was computed)."""
        columns = figures.columns()
        return cls(figures, Sketch.of(columns, spread_of(columns)))


class PathStore:
    """Every path's figures in an unnamed temporary file: one row of int64 a path, fields side by side
    (a float field is kept as its 64 bits, so it reads back exactly).

    Pieces may arrive in any order (each is written at its own place), so the file does not depend on
    how the work was spread over processes.
    """

    def __init__(self, paths: int, years: int, groups: int = 0) -> None:
        self.paths, self.years = paths, years
        self._layout = PathFigures.empty(0, years, groups)
        self._widths = [int(np.prod(a.shape[1:])) for a in astuple(self._layout)]
        self._row_bytes = 8 * sum(self._widths)
        self._file = tempfile.TemporaryFile(prefix="size_fund_paths_")
        self._tally: Tally | None = Tally()
        self._kinds = {name: c.dtype.kind for name, c in self._layout.columns().items()}

    def put(self, first: int, piece: PathFigures, sketch: Sketch | None = None) -> None:
        """Write a piece's paths into place, starting at path `first`, and count in its sketch."""
        if self._tally is not None and sketch is not None and sketch.kinds == self._kinds:
            self._tally.add(sketch)
        else:  # no sketch, or one of numbers of another kind than the file's: read it all from the file
            self._tally = None
        rows = np.column_stack([_bits(a).reshape(piece.paths, -1) for a in astuple(piece)])
        self._file.seek(first * self._row_bytes)
        self._file.write(np.ascontiguousarray(rows).tobytes())

    @property
    def tally(self) -> Tally | None:
        """The sketches of all the paths added up (None unless every piece came with its sketch)."""
        if self._tally is None or self._tally.paths != self.paths:
            return None
        return self._tally

    def read(self, first: int = 0, stop: int | None = None) -> PathFigures:
        """Paths first..stop-1 (default: all of them) back in memory."""
        stop = self.paths if stop is None else min(stop, self.paths)
        rows = np.zeros((max(0, stop - first), sum(self._widths)), dtype=np.int64)
        self._file.seek(first * self._row_bytes)
        self._file.readinto(memoryview(rows).cast("B"))  # a part never written reads as zeros
        parts, at = {}, 0
        for f, width in zip(fields(PathFigures), self._widths, strict=True):
            kept = getattr(self._layout, f.name)
            block = rows[:, at : at + width]
            if kept.dtype == np.float64:
                block = np.ascontiguousarray(block).view(np.float64)
            block = block.astype(kept.dtype)
            parts[f.name] = block.reshape(-1, *kept.shape[1:])
            at += width
        return PathFigures(**parts)

    def chunks(self, paths: int | None = None) -> Iterator[PathFigures]:
        """The figures a chunk of `paths` paths (default READ_PATHS) at a time, in path order."""
        step = paths or READ_PATHS
        for first in range(0, self.paths, step):
            yield self.read(first, first + step)

    def columns(self) -> Iterator[dict[str, np.ndarray]]:
        """The summary's columns a chunk at a time (a sim.column_stats source when passed uncalled)."""
        return (figures.columns() for figures in self.chunks())


def _bits(values: np.ndarray) -> np.ndarray:
    """A field as int64 for the file: integers as they are, a float's 64 bits unchanged."""
    if values.dtype == np.float64:
        return np.ascontiguousarray(values).view(np.int64)
    return values.astype(np.int64)
