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
    return _split_by_layer(np.asarray(loss, dtype=INT), shares).T


def _split_by_layer(loss: np.ndarray, shares: LayerShares) -> np.ndarray:
    """split_by_layer, layer by layer: shape (4, n), each layer's parts contiguous."""
    numerators, common = _layer_weights(shares)
    if common > TABLE_DENOMINATOR:
        return np.ascontiguousarray(largest_remainder(loss, numerators[None, :], common).T)
    # loss = q x common + r splits as q x numerators plus the split of r: the floors' remainders, and
    # so the fen handed out by largest remainder, depend on r alone (a table of common columns)
    q = loss // common
    table = _remainder_splits(tuple(numerators.tolist()), common)
    return numerators[:, None] * q + np.take(table, loss - q * common, axis=1)


TABLE_DENOMINATOR = 1 << 14  # layer shares over a denominator up to this split through a table


def _layer_weights(shares: LayerShares) -> tuple[np.ndarray, int]:
    """The layers' shares as integer numerators over their least common denominator."""
    fractions = [shares.of(layer) for layer in LAYERS]
    common = math.lcm(*(f.denominator for f in fractions))
    return np.array([f.numerator * (common // f.denominator) for f in fractions], dtype=INT), common


@functools.lru_cache(maxsize=16)
def _remainder_splits(numerators: tuple[int, ...], common: int) -> np.ndarray:
    """(layers, common): the largest-remainder split of every total below the common denominator."""
    totals = np.arange(common, dtype=INT)
    table = np.ascontiguousarray(largest_remainder(totals, np.array([numerators]), common).T)
    table.flags.writeable = False
    return table


def fen_share_of_row(amounts: np.ndarray, share: Fraction) -> np.ndarray:
    """fen_share of a contiguous row of amounts, dividing by a scalar (NumPy needs no division per
    element then) unless the products could pass 64 bits."""
    num, den = share.numerator, share.denominator
    if num == den:
        return amounts
    if num == 0:
        return np.zeros_like(amounts)
    if amounts.size == 0 or int(amounts.max()) <= np.iinfo(INT).max // num:
        return amounts * num // den
    return mul_div_floor(amounts, num, den)[0]


def compute_claims(loss: np.ndarray, shares: LayerShares, policy: CompensationPolicy) -> np.ndarray:
    """Claims per layer for each principal loss, after per-layer and per-loan caps: shape (n, 4)."""
    losses = _split_by_layer(np.asarray(loss, dtype=INT), shares)
    claims = np.empty_like(losses)
    for j, layer in enumerate(LAYERS):  # each layer's loss, kept share, ratio, in fen_share steps
        base = fen_share_of_row(losses[j], 1 - shares.passed_on(layer))
        claims[j] = fen_share_of_row(base, Fraction(policy.ratio_of(layer)))
        cap = policy.cap_of(layer)
        if cap is not None:
            np.minimum(claims[j], cap, out=claims[j])
    claims = claims.T  # (n, 4) from here
    cap = policy.cap_per_loan_fen
    if cap is not None:
        total = claims.sum(axis=1)
        over = np.flatnonzero(total > cap)
        if over.size:
            capped = np.full(over.size, cap, dtype=INT)
            claims[over] = largest_remainder(capped, claims[over], total[over])
    return claims


def interest_subsidy(interest_paid: np.ndarray, share: Fraction, cap_fen: int | None) -> np.ndarray:
    """A share of each firm's interest paid, within the yearly cap (loss.interest_subsidy_fen, nothing yet subsidised)."""
    subsidy = fen_share(interest_paid, share)
    return subsidy if cap_fen is None else np.minimum(subsidy, cap_fen)
