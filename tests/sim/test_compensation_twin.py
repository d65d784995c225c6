"""The NumPy twin of loss.py agrees with the scalar rule to the fen, on thousands of random cases."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.compensation as twin
from market.domain import loss as rule
from market.domain.loss import LAYERS, CompensationPolicy, LayerShares, Shortfall
from sim.office import FundOffice
from sim.settlement import NEVER, ClaimTable, FundRules, settle
from sim.vector import distinct_uniform

CASES = 3000


def random_shares(rng: np.random.Generator) -> LayerShares:
    """Layer shares with a random denominator (sometimes awkward, like 7 or 997), summing to 1."""
    denominator = int(rng.choice([1, 3, 7, 10, 100, 997, 1000]))
    cuts = np.sort(rng.integers(0, denominator + 1, 3))
    parts = np.diff(np.r_[0, cuts, denominator])
    passed = [Fraction(int(rng.integers(0, 101)), 100) for _ in range(2)]
    return LayerShares(
        *(Fraction(int(p), denominator) for p in parts),
        reguarantee=passed[0],
        reinsurance=passed[1],
    )


def random_policy(rng: np.random.Generator) -> CompensationPolicy:
    """Random ratios (exact thousandths) and random caps, each present half the time."""

    def cap() -> int | None:
        return int(rng.integers(0, 10**9)) if rng.random() < 0.5 else None

    caps = {layer: c for layer in LAYERS if (c := cap()) is not None}
    ratio = {layer: Fraction(int(rng.integers(0, 1001)), 1000) for layer in LAYERS}
    return CompensationPolicy(ratio, caps, cap_per_loan_fen=cap())


def test_vectorised_claims_equal_the_scalar_rule_on_random_cases():
    rng = np.random.default_rng(2024)
    for _ in range(CASES // 100):
        shares, policy = random_shares(rng), random_policy(rng)
        losses = np.r_[0, 1, 7, rng.integers(0, 10**7, 40), rng.integers(0, 10**13, 57)].astype(
            np.int64
        )
        vectorised = twin.compute_claims(losses, shares, policy)
        for loss, row in zip(losses.tolist(), vectorised, strict=True):
            scalar = rule.compute_claims(loss, shares, policy).by_layer()
            assert row.tolist() == [scalar[layer] for layer in LAYERS], (loss, shares, policy)


def test_vectorised_recovery_equals_the_scalar_order():
    rng = np.random.default_rng(7)
    proceeds, costs, interest, principal = (rng.integers(0, 10**9, CASES) for _ in range(4))
    vectorised = twin.apply_recovery(proceeds, costs, interest, principal)
    scalar = [
        rule.apply_recovery(*map(int, args)).principal_loss
        for args in zip(proceeds, costs, interest, principal, strict=True)
    ]
    assert vectorised.tolist() == scalar


def test_vectorised_subsidy_equals_the_scalar_rule():
    rng = np.random.default_rng(8)
    interest = rng.integers(0, 10**8, CASES)
    vectorised = twin.interest_subsidy(interest, Fraction(2, 5), 5_000_000)
    assert vectorised.tolist() == [
        rule.interest_subsidy_fen(int(i), "0.4", 5_000_000) for i in interest
    ]


def test_exact_division_survives_products_beyond_64_bits():
    a = np.array([10**15, 999_999_999_999, 3], dtype=np.int64)
    q, r = twin.mul_div_floor(a, 999_999_937, 1_000_000_007)
    assert q.tolist() == [x * 999_999_937 // 1_000_000_007 for x in a.tolist()]
    assert r.tolist() == [x * 999_999_937 % 1_000_000_007 for x in a.tolist()]


def random_claims(rng: np.random.Generator, n_paths: int, per_year: int, years: int) -> ClaimTable:
    """Claims on a few paths, in approval order, some revised down later (a late recovery)."""
    count = rng.integers(0, 25, n_paths)
    path = np.repeat(np.arange(n_paths), count)
    approve = np.concatenate(
        [np.sort(rng.integers(1, per_year * years + 3, c)) for c in count]
    ).astype(np.int64)
    first = rng.integers(1, 3_000, path.size)
    revised = rng.random(path.size) < 0.4
    revise = np.where(revised, rng.integers(1, per_year * years + 2, path.size), NEVER)
    final = np.where(revised, (first * rng.random(path.size)).astype(np.int64), first)
    return ClaimTable(path, rng.integers(0, 4, path.size), approve, revise, first, final)


@pytest.mark.parametrize("shortfall", list(Shortfall))
def test_vectorised_settlement_equals_the_fund_office_claim_by_claim(shortfall):
    rng = np.random.default_rng(99)
    for trial in range(60):
        per_year, years, n_paths = int(rng.integers(1, 5)), int(rng.integers(1, 4)), 12
        rules = FundRules(
            budget_fen=int(rng.integers(0, 20_000)),
            initial_balance_fen=int(rng.integers(0, 40_000)),
            contribution_fen=int(rng.integers(0, 10_000)),
            institution_year_cap_fen=int(rng.integers(0, 8_000)) if rng.random() < 0.5 else None,
            shortfall=shortfall,
            per_year=per_year,
            years=years,
        )
        claims = random_claims(rng, n_paths, per_year, years)
        totals = settle(claims, n_paths, rules)
        for p in range(n_paths):
            office = FundOffice(rules)
            for i in np.flatnonzero(claims.path == p).tolist():
                office.file(
                    i,
                    int(claims.layer[i]),
                    int(claims.due_first[i]),
                    int(claims.approve_batch[i]),
                    (i,),
                )
                if claims.revise_batch[i] != NEVER:
                    office.revise(i, int(claims.due_final[i]), int(claims.revise_batch[i]))
            for batch in range(1, per_year * years + 1):
                office.settle(batch)
            context = (trial, p)
            assert totals.payout_fen[p].tolist() == office.payout_fen.tolist(), context
            assert totals.clawback_fen[p].tolist() == office.clawback_fen.tolist(), context
            assert totals.claims_fen[p].tolist() == office.claims_fen.tolist(), context
            assert totals.balance_end_fen[p].tolist() == office.balance_end_fen.tolist(), context
            assert totals.budget_exhausted[p].tolist() == office.budget_exhausted.tolist(), context
            assert (totals.waiting_fen[p], totals.lapsed_fen[p], totals.pending_fen[p]) == (
                office.waiting_fen,
                office.lapsed_fen,
                office.pending_fen,
            ), context


def test_defaulters_are_distinct_and_uniformly_chosen():
    rng = np.random.default_rng(5)
    groups, population, picks = (
        2000,
        20,
        15,
    )  # three-quarters of each cell: many collisions to redraw
    group = np.repeat(np.arange(groups), picks)
    index = distinct_uniform(rng, group, np.full(group.size, population))
    per_group = index.reshape(groups, picks)
    assert all(len(set(row)) == picks for row in per_group.tolist())
    first_pick = np.bincount(per_group[:, 0], minlength=population)
    expected = groups / population
    chi_square = float(((first_pick - expected) ** 2 / expected).sum())
    assert chi_square < 50  # 19 degrees of freedom: P(chi2 > 50) ~ 1e-4


def test_vectorised_largest_remainder_equals_the_scalar_split_ties_included():
    rng = np.random.default_rng(16)
    for columns in (2, 3, 4, 6):
        for _ in range(20):
            weights = rng.integers(0, 4, columns)  # small weights: many equal remainders
            weights[rng.integers(0, columns)] += 1
            totals = rng.integers(0, 10**9, 50).astype(np.int64)
            split = twin.largest_remainder(totals, weights[None, :], int(weights.sum()))
            fractions = [Fraction(int(w), int(weights.sum())) for w in weights]
            for total, row in zip(totals.tolist(), split.tolist(), strict=True):
                assert row == rule.largest_remainder(total, fractions), (total, weights)


@st.composite
def layer_shares(draw) -> LayerShares:
    """Layer shares over any denominator (small ones split through a table, large ones directly)."""
    denominator = draw(st.sampled_from([1, 2, 3, 7, 10, 100, 997, 1000, 16_384, 16_385, 10**6]))
    cuts = sorted(draw(st.lists(st.integers(0, denominator), min_size=3, max_size=3)))
    parts = np.diff([0, *cuts, denominator]).tolist()
    passed = draw(st.lists(st.fractions(0, 1, max_denominator=1000), min_size=2, max_size=2))
    return LayerShares(
        *(Fraction(p, denominator) for p in parts), reguarantee=passed[0], reinsurance=passed[1]
    )


@st.composite
def policies(draw) -> CompensationPolicy:
    caps = st.none() | st.integers(0, 10**12)
    ratio = {layer: draw(st.fractions(0, 1, max_denominator=1000)) for layer in LAYERS}
    layer_caps = {layer: c for layer in LAYERS if (c := draw(caps)) is not None}
    return CompensationPolicy(ratio, layer_caps, cap_per_loan_fen=draw(caps))


@settings(max_examples=150, deadline=None)
@given(
    shares=layer_shares(),
    policy=policies(),
    losses=st.lists(st.integers(0, 10**14), min_size=1, max_size=30),
)
def test_vectorised_claims_give_the_scalar_rules_fen_for_any_shares_and_losses(
    shares, policy, losses
):
    vectorised = twin.compute_claims(np.array(losses, dtype=np.int64), shares, policy)
    for loss, row in zip(losses, vectorised.tolist(), strict=True):
        scalar = rule.compute_claims(loss, shares, policy).by_layer()
        assert row == [scalar[layer] for layer in LAYERS]
