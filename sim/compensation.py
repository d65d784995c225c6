"""A NumPy twin of market/domain/loss.py: the same rule, to the fen, on arrays of loans.

tests/sim/test_compensation_twin.py checks it against the scalar rule on thousands of random cases.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np

from market.domain.loss import LAYERS, CompensationPolicy, LayerShares

INT = np.int64


def to_fen(amount: np.ndarray | float) -> np.ndarray:
    """Round float amounts (already in fen) half up to whole fen; both engines convert money this one way."""
    return np.floor(np.asarray(amount, dtype=np.float64) + 0.5).astype(INT)


def mul_div_floor(
    a: np.ndarray, num: np.ndarray | int, den: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact floor(a x num / den) and its remainder for non-negative int64, even when a x num overflows 64 bits."""
    a = np.asarray(a, dtype=INT)
    num = np.asarray(num, dtype=INT)
    den = np.asarray(den, dtype=INT)
    if a.size and int(a.max()) <= np.iinfo(INT).max // max(1, int(num.max())):
        return np.divmod(a * num, den)  # the product fits in 64 bits: plain integer division
    # a float estimate is within one of the quotient for quotients below 2**50 (any real amount of fen);
    # the remainder is small, so computing it with wrapping int64 arithmetic gives it exactly
    q = np.floor(a.astype(np.float64) * num.astype(np.float64) / den.astype(np.float64)).astype(INT)
    with np.errstate(over="ignore"):
        r = a * num - q * den
    for _ in range(4):
        low, high = r < 0, r >= den
        if not (low.any() or high.any()):
            return q, r
        q = q - low + high
        r = r + np.where(low, den, 0) - np.where(high, den, 0)
    raise ArithmeticError("mul_div_floor: amounts too large to compute exactly")


def fen_share(amount: np.ndarray, share: Fraction) -> np.ndarray:
    """A share of each amount, rounded down to the fen (loss.fen_share)."""
    return mul_div_floor(amount, share.numerator, share.denominator)[0]


def apply_recovery(
    proceeds: np.ndarray, costs: np.ndarray, unpaid_interest: np.ndarray, principal: np.ndarray
) -> np.ndarray:
    """Principal loss after proceeds pay costs, then interest, then principal (loss.apply_recovery)."""
    left = np.maximum(proceeds - np.minimum(proceeds, costs), 0)
    left = left - np.minimum(left, unpaid_interest)
    return principal - np.minimum(left, principal)


def largest_remainder(
    total: np.ndarray, numerators: np.ndarray, denominator: np.ndarray | int
) -> np.ndarray:
    """Split each total by weights numerators/denominator (rows sum to 1); ties go to the earlier column."""
    total = np.asarray(total, dtype=INT)
    den = np.asarray(denominator, dtype=INT)
    den = den[:, None] if den.ndim else den
    parts, rem = mul_div_floor(total[:, None], numerators, den)
    left = total - parts.sum(axis=1)
    # a column's place when sorted by remainder, largest first, earlier column first among equals:
    # a handful of columns, so counting who comes before each beats sorting every row
    columns = rem.shape[1]
    place = np.zeros(rem.shape, dtype=INT)
    for j in range(columns):
        for i in range(columns):
            if i != j:
                place[:, j] += (rem[:, i] >= rem[:, j]) if i < j else (rem[:, i] > rem[:, j])
    return parts + (place < left[:, None])


def split_by_layer(loss: np.ndarray, shares: LayerShares) -> np.ndarray:
    """Each loss split over the four layers by largest remainder: shape (n, 4), rows sum to the loss."""
    numerators, common = _layer_weights(shares)
    if common > TABLE_DENOMINATOR:
        return largest_remainder(loss, numerators[None, :], common)
    # loss = q x common + r splits as q x numerators plus the split of r: the floors' remainders, and
    # so the fen handed out by largest remainder, depend on r alone (a table of common rows)
    loss = np.asarray(loss, dtype=INT)
    q = loss // common
    return q[:, None] * numerators + _remainder_splits(tuple(numerators.tolist()), common)[loss - q * common]


TABLE_DENOMINATOR = 1 << 14  # layer shares over a denominator up to this split through a table


def _layer_weights(shares: LayerShares) -> tuple[np.ndarray, int]:
    """The layers' shares as integer numerators over their least common denominator."""
    fractions = [shares.of(layer) for layer in LAYERS]
    common = math.lcm(*(f.denominator for f in fractions))
    return np.array([f.numerator * (common // f.denominator) for f in fractions], dtype=INT), common


@functools.lru_cache(maxsize=16)
def _remainder_splits(numerators: tuple[int, ...], common: int) -> np.ndarray:
    """(common, layers): the largest-remainder split of every total below the common denominator."""
    table = largest_remainder(np.arange(common, dtype=INT), np.array([numerators], dtype=INT), common)
    table.flags.writeable = False
    return table


def fen_share_by_column(amounts: np.ndarray, shares: list[Fraction]) -> np.ndarray:
    """Column j of (n, columns) amounts times shares[j], each rounded down to the fen (loss.fen_share)."""
    out = np.empty_like(amounts)
    for j, share in enumerate(shares):
        num, den = share.numerator, share.denominator
        column = amounts[:, j]
        if num == den:
            out[:, j] = column
        elif num == 0:
            out[:, j] = 0
        elif column.size == 0 or int(column.max()) <= np.iinfo(INT).max // num:
            out[:, j] = column * num // den  # a scalar divisor: NumPy divides without a division per row
        else:
            out[:, j] = mul_div_floor(column, num, den)[0]
    return out


def compute_claims(loss: np.ndarray, shares: LayerShares, policy: CompensationPolicy) -> np.ndarray:
    """Claims per layer for each principal loss, after per-layer and per-loan caps: shape (n, 4)."""
    loss = np.asarray(loss, dtype=INT)
    losses = split_by_layer(loss, shares)
    kept = [1 - shares.passed_on(layer) for layer in LAYERS]  # each layer at once, in fen_share steps
    ratio = [Fraction(policy.ratio_of(layer)) for layer in LAYERS]
    claims = fen_share_by_column(fen_share_by_column(losses, kept), ratio)
    for j, layer in enumerate(LAYERS):
        cap = policy.cap_of(layer)
        if cap is not None:
            np.minimum(claims[:, j], cap, out=claims[:, j])
    cap = policy.cap_per_loan_fen
    if cap is not None:
        total = claims.sum(axis=1)
        over = total > cap
        if over.any():
            capped = np.full(int(over.sum()), cap, dtype=INT)
            claims[over] = largest_remainder(capped, claims[over], total[over])
    return claims


def interest_subsidy(interest_paid: np.ndarray, share: Fraction, cap_fen: int | None) -> np.ndarray:
    """A share of each firm's interest paid, within the yearly cap (loss.interest_subsidy_fen, nothing yet subsidised)."""
    subsidy = fen_share(interest_paid, share)
    return subsidy if cap_fen is None else np.minimum(subsidy, cap_fen)
