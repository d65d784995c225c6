"""What a run can hold: amounts bounded so no total overflows int64 fen, and memory estimated before
a run from loans x PD x paths per block, so an input the machine cannot run is refused up front.

Every amount in a scenario is at most MAX_AMOUNT_YUAN and every loan at most MAX_LOAN_YUAN; the
book's principal over the horizon can never reach 2**62 fen (so no int64 sum overflows), and its mean
stays below 2**53 fen, where the engines' sums (float64 bincounts rounded back to fen) are exact. Memory: a block of paths holds each of its defaults
as a few dozen numbers (BYTES_PER_CASE, measured on the example cities: 143 to 358 bytes), and each
process holds the loan book (BYTES_PER_LOAN while it is built).
"""

from __future__ import annotations

import math

from sim.errors import ScenarioError
from sim.model import Portfolio, Scenario

MAX_AMOUNT_YUAN = 10**12  # ¥1 trillion: any budget, balance, cap or fee
MAX_LOAN_YUAN = 10**10  # ¥10 billion: one loan's principal (lognormal draws are cut here)
MAX_EXPOSURE_FEN = 2**53  # the book's mean principal over the horizon (about ¥90 trillion)
MAX_BOOK_FEN = 2**62  # the book's largest possible principal: no int64 sum can overflow
BYTES_PER_CASE = 400  # per default in a block, with headroom over the measured 143-358
CASE_HEADROOM = 1.25  # a block's defaults above their mean (a bad year, a small block)
BYTES_PER_LOAN = 250  # per loan of the book while it is built (measured: 193)
BASE_BYTES = 120 * 2**20  # the interpreter, NumPy, SciPy and SimPy
DEFAULT_MEMORY_MB = 1024


def loans_over_horizon(portfolio: Portfolio, years: int) -> int:
    """Every loan originated over the horizon: the initial book and each year's growth."""
    total, book = portfolio.loans, portfolio.loans
    for _ in range(1, years):
        made = round(portfolio.growth * book)
        book, total = book + made, total + made
    return total


def check_exposure(scenario: Scenario) -> None:
    """Refuse a book whose principal over the horizon could overflow int64 fen, or whose expected
    principal is beyond the range the engines sum exactly."""
    portfolio, years = scenario.portfolio, scenario.horizon_years
    loans = loans_over_horizon(portfolio, years)
    largest, mean = _largest_loan_fen(portfolio), _mean_loan_fen(portfolio)
    alone = portfolio.loans * largest <= MAX_BOOK_FEN and portfolio.loans * mean <= MAX_EXPOSURE_FEN
    key = "portfolio.growth" if alone else "portfolio.loans"  # what takes the book over the line
    if loans * largest > MAX_BOOK_FEN:
        raise ScenarioError(
            key,
            f"{loans:,} loans over {years} year(s) of up to ¥{largest / 100:,.0f} each could lend "
            f"more than ¥{MAX_BOOK_FEN / 100:,.0f}, beyond what the simulator can add up",
        )
    if loans * mean > MAX_EXPOSURE_FEN:
        raise ScenarioError(
            key,
            f"{loans:,} loans over {years} year(s) of ¥{mean / 100:,.0f} on average lend more than "
            f"the ¥{MAX_EXPOSURE_FEN / 100:,.0f} the simulator sums exactly",
        )


def expected_defaults(scenario: Scenario) -> float:
    """Mean defaults a path over the horizon (each vintage's loans, exposed from their first year)."""
    portfolio, years = scenario.portfolio, scenario.horizon_years
    pd = max(segment.pd_annual for segment in scenario.default.segments)
    book, total = portfolio.loans, 0.0
    for year in range(years):
        made = portfolio.loans if year == 0 else round(portfolio.growth * book)
        book += made if year else 0
        total += made * (1 - (1 - pd) ** (years - year))
    return total


def estimated_bytes(scenario: Scenario, chunk_paths: int) -> int:
    """A process's peak memory for a block of `chunk_paths` paths, estimated before running."""
    cases = chunk_paths * expected_defaults(scenario) * CASE_HEADROOM
    book = loans_over_horizon(scenario.portfolio, scenario.horizon_years) * BYTES_PER_LOAN
    return int(BASE_BYTES + book + cases * BYTES_PER_CASE)


def fit_chunk_paths(scenario: Scenario, chunk_paths: int, memory_mb: int) -> int:
    """The paths per block that fit in `memory_mb` a process: `chunk_paths`, or fewer when it would
    not fit; a book that does not fit even one path at a time is refused, naming the key."""
    limit = memory_mb * 2**20
    if estimated_bytes(scenario, chunk_paths) <= limit:
        return chunk_paths
    if estimated_bytes(scenario, 1) > limit:
        portfolio = scenario.portfolio
        loans = loans_over_horizon(portfolio, scenario.horizon_years)
        alone = BASE_BYTES + portfolio.loans * BYTES_PER_LOAN <= limit
        key = "portfolio.growth" if alone else "portfolio.loans"  # what takes it over the limit
        raise ScenarioError(
            key,
            f"{loans:,} loans over {scenario.horizon_years} year(s) need about "
            f"{estimated_bytes(scenario, 1) / 2**20:,.0f} MB, above the limit of {memory_mb:,} MB "
            "a process (--max-memory-mb)",
        )
    room = limit - estimated_bytes(scenario, 0)
    per_path = expected_defaults(scenario) * CASE_HEADROOM * BYTES_PER_CASE
    return max(1, min(chunk_paths, math.floor(room / per_path)))


def _largest_loan_fen(portfolio: Portfolio) -> int:
    """The largest principal a loan of the book can have, in fen."""
    largest = 0.0
    if portfolio.rows is not None:
        largest = max(row.principal_fen for row in portfolio.rows) / 100
    if portfolio.principal_yuan is not None:
        largest = max(largest, portfolio.principal_yuan.largest)
    return math.ceil(largest * 100)


def _mean_loan_fen(portfolio: Portfolio) -> float:
    """A loan's mean principal, in fen."""
    means = []
    if portfolio.rows is not None:
        means.append(sum(row.principal_fen for row in portfolio.rows) / len(portfolio.rows))
    if portfolio.principal_yuan is not None:
        means.append(portfolio.principal_yuan.mean * 100)
    return max(means)
