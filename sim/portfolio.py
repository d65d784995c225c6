"""The loan book: the initial loans and each year's new vintage, grouped into cells of alike loans.

The book is drawn once per run (from its own random stream) and is the same on every path. Loans are
renewed at maturity (one-year IP-pledge loans are rolled over), so a loan leaves the book only by
defaulting; each year from the second a new vintage adds `growth` x the loans originated so far, the
bank's volume target. Generated loans draw their principal from the scenario; a file's book is grown
by resampling its rows (with principals from principal_yuan when the scenario gives one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from market.domain.loss import largest_remainder
from sim.compensation import to_fen
from sim.model import Scenario
from sim.subsidy import book_by_year, eligible_loans, loan_subsidies


@dataclass(frozen=True)
class Cell:
    """A run of loans in the book with the same segment and vintage (and so the same default law)."""

    segment: int
    vintage: int
    start: int
    size: int
    alike: bool  # every loan in the cell has the same principal, rate, pledge rate and bank


@dataclass(frozen=True)
class LoanBook:
    """All loans of a run as arrays, sorted by vintage then segment."""

    principal_fen: np.ndarray
    rate: np.ndarray
    pledge_rate: np.ndarray
    segment: np.ndarray
    vintage: np.ndarray
    cells: tuple[Cell, ...]
    annual_interest_fen: np.ndarray  # interest a performing loan pays in a year
    eligible: np.ndarray  # the loan may earn subsidies (sim.subsidy.eligible_loans)
    subsidy_fen: np.ndarray  # (loans, subsidy lines): a year's, or the one-off, subsidy per loan
    subsidy_book_fen: np.ndarray  # (years, subsidy lines): earned if no loan defaulted
    bank: np.ndarray  # index into Portfolio.bank_names
    size_band: np.ndarray  # index of the loan-size band (Portfolio.size_bands_yuan)

    @property
    def size(self) -> int:
        """Number of loans, all vintages."""
        return int(self.principal_fen.size)

    def appraised_fen(self, loans: np.ndarray) -> np.ndarray:
        """Appraised value of the pledged IP of some loans (principal / pledge rate), in fen as floats."""
        return self.principal_fen[loans] / self.pledge_rate[loans]

    def exposure_fen(self, vintage_upto: int) -> int:
        """Principal of every loan originated up to a vintage (ignoring defaults)."""
        return int(self.principal_fen[self.vintage <= vintage_upto].sum())


def vintage_sizes(initial: int, growth: float, years: int) -> list[int]:
    """Loans originated at the start of each year: the initial book, then growth x the book so far."""
    sizes = [initial]
    for _ in range(1, years):
        sizes.append(round(growth * sum(sizes)))
    return sizes


def build_book(scenario: Scenario, rng: np.random.Generator) -> LoanBook:
    """Draw (or read) the book and its vintages; deterministic given the rng."""
    portfolio, segments = scenario.portfolio, scenario.default.segments
    names = [segment.name for segment in segments]
    banks = portfolio.bank_names
    parts: list[tuple[np.ndarray, ...]] = []
    for vintage, size in enumerate(
        vintage_sizes(portfolio.loans, portfolio.growth, scenario.horizon_years)
    ):
        if portfolio.rows is not None:
            rows = (
                portfolio.rows
                if vintage == 0
                else [portfolio.rows[i] for i in rng.integers(0, len(portfolio.rows), size)]
            )
            principal = np.array([row.principal_fen for row in rows], dtype=np.int64)
            if vintage and portfolio.principal_yuan is not None:
                principal = np.maximum(to_fen(portfolio.principal_yuan.sample(rng, size) * 100), 1)
            rate = np.array([row.rate for row in rows])
            pledge = np.array([row.pledge_rate for row in rows])
            segment = np.array([names.index(row.segment) for row in rows], dtype=np.int64)
            bank = np.array([banks.index(row.bank) for row in rows], dtype=np.int64)
        else:
            assert portfolio.principal_yuan is not None  # the reader requires it without a file
            principal = np.maximum(to_fen(portfolio.principal_yuan.sample(rng, size) * 100), 1)
            rate = np.full(size, portfolio.rate)
            pledge = np.full(size, portfolio.pledge_rate)
            counts = largest_remainder(size, [s.share for s in segments])
            segment = np.repeat(np.arange(len(segments)), counts)
            bank = np.zeros(size, dtype=np.int64)  # split cell by cell once sorted
        parts.append((principal, rate, pledge, segment, bank))
    vintage = np.concatenate([np.full(p[0].size, v) for v, p in enumerate(parts)])
    principal, rate, pledge, segment, bank = (
        np.concatenate([p[i] for p in parts]) for i in range(5)
    )
    order = np.lexsort((segment, vintage))
    principal, rate, pledge, segment, vintage, bank = (
        a[order] for a in (principal, rate, pledge, segment, vintage, bank)
    )
    if portfolio.rows is None and portfolio.banks:
        cells = _cells(principal, rate, pledge, segment, vintage, bank)
        bank = _split_between_banks(cells, [b.share for b in portfolio.banks])
    # loans of different banks are not interchangeable: who defaults is then drawn
    cells = _cells(principal, rate, pledge, segment, vintage, bank)
    interest = to_fen(principal * rate)
    eligible = eligible_loans(scenario, segment, vintage, rng)
    subsidy = loan_subsidies(scenario.subsidy, principal, interest, principal / pledge, eligible)
    return LoanBook(
        principal,
        rate,
        pledge,
        segment,
        vintage,
        cells,
        interest,
        eligible,
        subsidy,
        book_by_year(subsidy, vintage, scenario.horizon_years),
        bank,
        size_band(principal, portfolio.size_bands_yuan),
    )


def size_band(principal_fen: np.ndarray, edges_yuan: tuple[float, ...]) -> np.ndarray:
    """The loan-size band of each principal: band i holds loans above edge i-1, up to edge i."""
    edges_fen = np.rint(np.asarray(edges_yuan) * 100)
    return np.searchsorted(edges_fen, principal_fen, side="left").astype(np.int64)


def size_band_names(edges_yuan: tuple[float, ...]) -> tuple[str, ...]:
    """A label for each loan-size band, e.g. "up to ¥5,000,000", "above ¥10,000,000"."""
    names = [f"up to ¥{edges_yuan[0]:,.0f}"]
    names += [f"¥{lo:,.0f} to ¥{hi:,.0f}" for lo, hi in zip(edges_yuan, edges_yuan[1:], strict=False)]
    return (*names, f"above ¥{edges_yuan[-1]:,.0f}")


def _split_between_banks(cells: tuple[Cell, ...], shares: list) -> np.ndarray:
    """Each cell's loans split between the banks by their shares (largest remainder), in runs: a
    cell's loans are alike in law and drawn independently, so no random draw is needed."""
    bank = np.zeros(sum(c.size for c in cells), dtype=np.int64)
    for c in cells:
        counts = largest_remainder(c.size, shares)
        bank[c.start : c.start + c.size] = np.repeat(np.arange(len(shares)), counts)
    return bank


def _cells(principal, rate, pledge, segment, vintage, bank) -> tuple[Cell, ...]:
    key = vintage * 1_000_000 + segment
    starts = (
        np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        if key.size
        else np.array([], dtype=np.int64)
    )
    ends = np.r_[starts[1:], key.size]
    cells = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        span = slice(start, end)
        alike = all(np.all(a[span] == a[start]) for a in (principal, rate, pledge, bank))
        cells.append(Cell(int(segment[start]), int(vintage[start]), start, end - start, alike))
    return tuple(cells)


def conditional_pd(pd_annual: float, correlation: float, factor: np.ndarray) -> np.ndarray:
    """P(default | Z): Phi((Phi^-1(PD) - sqrt(R) Z) / sqrt(1 - R)), the one-factor Gaussian copula."""
    threshold = ndtri(pd_annual)
    return ndtr((threshold - np.sqrt(correlation) * factor) / np.sqrt(1 - correlation))


def default_threshold(pd_annual: float) -> float:
    """Phi^-1(PD): a loan defaults when its asset value sqrt(R) Z + sqrt(1-R) eps falls below this."""
    return float(ndtri(pd_annual))
