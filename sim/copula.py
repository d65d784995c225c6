"""The economy a year: the factors that make defaults come together, and P(default | economy) per cell.

One Gaussian factor Z a year is the default (sim.portfolio.conditional_pd, drawn exactly as before,
so a scenario without the keys below gives the same paths). With `[default] factor_correlation`,
each sector (segment) has its own factor, Z = L e with L the Cholesky factor of the matrix and e
standard normal, and a loan's asset value is sqrt(R) Z_sector + sqrt(1 - R) eps. With `copula = "t"`
every asset value of a year is divided by sqrt(W / nu), W ~ chi-squared(nu) drawn once a year (one
mixing variable for the whole economy), so bad years are worse: a loan defaults when that is below
the t quantile of its PD, which keeps each loan's PD. The recovery's macro effect (auction values)
reads the loan's own sector factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri, stdtrit

from sim.model import DefaultModel
from sim.portfolio import conditional_pd


@dataclass(frozen=True)
class Economy:
    """A block's draws of the economy, per path and year."""

    factor: np.ndarray  # (paths, years): Z (with sector factors: the first sector's)
    sector_factor: np.ndarray | None  # (paths, years, sectors), with factor_correlation
    mixing: np.ndarray | None  # (paths, years): sqrt(W / nu), with the t copula


def draw_economy(
    model: DefaultModel,
    factor_rng: np.random.Generator,
    mixing_rng: np.random.Generator,
    n_paths: int,
    years: int,
) -> Economy:
    """Draw the factors (and the t copula's mixing variable) of a block of paths."""
    sectors = None
    if model.factor_correlation is None:
        factor = factor_rng.standard_normal((n_paths, years))  # the one-factor stream, unchanged
    else:
        root = np.linalg.cholesky(np.array(model.factor_correlation))
        sectors = factor_rng.standard_normal((n_paths, years, root.shape[0])) @ root.T
        factor = sectors[:, :, 0]
    mixing = None
    if model.copula == "t":
        nu = model.degrees_of_freedom
        mixing = np.sqrt(mixing_rng.chisquare(nu, (n_paths, years)) / nu)
    return Economy(factor, sectors, mixing)


def case_factor(
    economy: Economy, segment: np.ndarray, path: np.ndarray, year: np.ndarray
) -> np.ndarray:
    """The factor each case's recovery reads: its sector's (the one factor without sectors)."""
    if economy.sector_factor is None:
        return economy.factor[path, year]
    return economy.sector_factor[path, year, segment]


def cell_default_probability(
    model: DefaultModel, pd: np.ndarray, segment: np.ndarray, economy: Economy, year: int
) -> np.ndarray:
    """(cells, paths): P(default | the year's economy) of a loan of each cell (pd: (cells, 1))."""
    correlation = model.asset_correlation
    if model.one_factor_gaussian:
        return conditional_pd(pd, correlation, economy.factor[None, :, year])
    if economy.sector_factor is None:
        factor = economy.factor[None, :, year]
    else:
        factor = economy.sector_factor[:, year, :].T[segment]
    if model.copula == "t":
        threshold = stdtrit(model.degrees_of_freedom, pd) * economy.mixing[None, :, year]
    else:
        threshold = ndtri(pd)
    return ndtr((threshold - np.sqrt(correlation) * factor) / np.sqrt(1 - correlation))
