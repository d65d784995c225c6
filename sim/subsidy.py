"""The bureau's subsidy lines (DOMAIN.md section 4): who is eligible, what each loan earns, and the
yearly totals per path, computed one way for both engines.

Interest and premium subsidies are yearly, on loans still performing: a loan that defaults earns
none from its year of default on (interest is paid annually in arrears). The appraisal-fee subsidy
is paid once, in the year the loan is made. Only eligible loans earn any subsidy (seed 001 section 5:
"eligible firms in priority fields"): those of the scenario's eligible segments, and of those a
share `eligible_share` of each vintage, picked once with the book.
"""

from __future__ import annotations

import numpy as np

from sim.compensation import interest_subsidy, to_fen
from sim.model import Scenario, SubsidyModel

LINES = ("interest", "appraisal_fee", "premium")  # the order of the last axis of subsidy arrays
YEARLY = np.array([True, False, True])  # earned each year the loan performs; else once, when made


def eligible_loans(
    scenario: Scenario, segment: np.ndarray, vintage: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Which loans may earn subsidies: the eligible segments, then `eligible_share` of each vintage."""
    subsidy, names = scenario.subsidy, [s.name for s in scenario.default.segments]
    wanted = [names.index(name) for name in subsidy.eligible_segments or names]
    eligible = np.isin(segment, wanted)
    if subsidy.eligible_share == 1:
        return eligible
    for v in np.unique(vintage):
        candidates = np.flatnonzero(eligible & (vintage == v))
        keep = round(float(subsidy.eligible_share) * candidates.size)
        eligible[candidates] = False
        eligible[rng.permutation(candidates)[:keep]] = True
    return eligible


def loan_subsidies(
    subsidy: SubsidyModel,
    principal_fen: np.ndarray,
    interest_fen: np.ndarray,
    appraised_fen: np.ndarray,
    eligible: np.ndarray,
) -> np.ndarray:
    """(loans, lines): each loan's subsidy per line (a year's for yearly lines), zero when ineligible.

    Every line follows the interest subsidy's rule, a share of the cost within a cap per firm
    (sim.compensation.interest_subsidy, the twin of loss.interest_subsidy_fen)."""
    fee = to_fen(appraised_fen * subsidy.appraisal_fee_rate)
    premium = to_fen(principal_fen * subsidy.premium_rate)
    lines = [
        interest_subsidy(base, share, cap)
        for base, share, cap in (
            (interest_fen, subsidy.interest_share, subsidy.interest_cap_fen),
            (fee, subsidy.appraisal_fee_share, subsidy.appraisal_fee_cap_fen),
            (premium, subsidy.premium_share, subsidy.premium_cap_fen),
        )
    ]
    return np.where(eligible[:, None], np.column_stack(lines), 0)


def book_by_year(per_loan_fen: np.ndarray, vintage: np.ndarray, years: int) -> np.ndarray:
    """(years, lines): the subsidies a book would earn each year if no loan defaulted."""
    made = np.stack(
        [
            np.bincount(vintage, weights=per_loan_fen[:, j], minlength=years)
            for j in range(len(LINES))
        ],
        axis=1,
    )
    made = np.rint(made).astype(np.int64)
    return np.where(YEARLY, np.cumsum(made, axis=0), made)  # yearly lines: every vintage so far


def subsidy_by_year(
    book_fen: np.ndarray,
    per_loan_fen: np.ndarray,
    loan: np.ndarray,
    path: np.ndarray,
    year: np.ndarray,
    n_paths: int,
) -> np.ndarray:
    """(paths, years, lines): the subsidies paid on each path, given its defaults (loan, path, year).

    `book_fen` is book_by_year of the book; a defaulted loan's yearly lines stop from its year on."""
    years = book_fen.shape[0]
    cell = path * years + year
    lost = np.zeros((n_paths * years, len(LINES)), dtype=np.int64)
    for j in np.flatnonzero(YEARLY & per_loan_fen.any(axis=0)):  # other lines lose nothing
        lost[:, j] = np.rint(
            np.bincount(cell, weights=per_loan_fen[loan, j], minlength=lost.shape[0])
        )
    lost = lost.reshape(n_paths, years, len(LINES)).cumsum(axis=1)
    return book_fen[None, :, :] - lost


def used_lines(subsidy: SubsidyModel) -> tuple[str, ...]:
    """The subsidy lines the scenario pays (a share above zero)."""
    shares = (subsidy.interest_share, subsidy.appraisal_fee_share, subsidy.premium_share)
    return tuple(line for line, share in zip(LINES, shares, strict=True) if share > 0)
