"""The shared loss and compensation rule (DOMAIN.md section 4)."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.domain.loss import (
    LAYERS,
    CompensationPolicy,
    InvalidShare,
    Layer,
    LayerShares,
    NegativeAmount,
    SharesDoNotSumToOne,
    apply_recovery,
    compensation_base,
    compute_claims,
    exact_share,
    interest_subsidy_fen,
    split_largest_remainder,
)

YUAN = 100
WORKED_SHARES = LayerShares(
    bank="0.4", guarantor="0.3", insurer="0.2", agency="0.1", reguarantee="0.5", reinsurance="0.25"
)


def test_the_domain_worked_example():
    claims = compute_claims(1_000_000 * YUAN, WORKED_SHARES, CompensationPolicy.uniform("0.3"))
    bases = {line.layer: line.base_fen for line in claims.lines}
    assert bases == {
        Layer.BANK: 400_000 * YUAN,
        Layer.GUARANTOR: 150_000 * YUAN,
        Layer.INSURER: 150_000 * YUAN,
        Layer.AGENCY: 100_000 * YUAN,
    }
    assert claims.by_layer() == {
        Layer.BANK: 120_000 * YUAN,
        Layer.GUARANTOR: 45_000 * YUAN,
        Layer.INSURER: 45_000 * YUAN,
        Layer.AGENCY: 30_000 * YUAN,
    }
    assert claims.total_fen == 240_000 * YUAN


def test_nothing_recovered_means_the_whole_principal_is_lost():
    applied = apply_recovery(0, 0, 0, 1_000_000 * YUAN)
    assert applied.principal_loss == 1_000_000 * YUAN


def test_proceeds_pay_costs_then_interest_then_principal():
    applied = apply_recovery(
        proceeds_fen=1000, costs_fen=100, unpaid_interest_fen=200, principal_fen=500
    )
    assert (applied.to_costs, applied.to_interest, applied.to_principal) == (100, 200, 500)
    assert applied.surplus == 200
    assert applied.principal_loss == 0


def test_proceeds_below_costs_leave_the_whole_principal_lost():
    applied = apply_recovery(
        proceeds_fen=80, costs_fen=100, unpaid_interest_fen=200, principal_fen=500
    )
    assert (applied.to_costs, applied.to_interest, applied.to_principal) == (80, 0, 0)
    assert applied.principal_loss == 500


def test_a_negative_amount_is_refused():
    with pytest.raises(NegativeAmount):
        apply_recovery(-1, 0, 0, 100)


def test_shares_not_summing_to_one_are_refused():
    with pytest.raises(SharesDoNotSumToOne):
        LayerShares(bank="0.5", guarantor="0.3")
    with pytest.raises(SharesDoNotSumToOne):
        split_largest_remainder(100, {Layer.BANK: Fraction(1, 3), Layer.AGENCY: Fraction(1, 3)})


def test_a_share_outside_zero_and_one_is_refused():
    with pytest.raises(InvalidShare):
        LayerShares(bank="1.2", guarantor="-0.2")
    with pytest.raises(InvalidShare):
        exact_share("a third")


def test_floats_are_read_by_their_shortest_decimal():
    assert exact_share(0.1) == Fraction(1, 10)


def test_largest_remainder_breaks_ties_by_layer_order():
    thirds = {
        Layer.BANK: Fraction(1, 3),
        Layer.GUARANTOR: Fraction(1, 3),
        Layer.INSURER: Fraction(1, 3),
    }
    assert split_largest_remainder(100, thirds) == {
        Layer.BANK: 34,
        Layer.GUARANTOR: 33,
        Layer.INSURER: 33,
    }
    assert split_largest_remainder(101, thirds) == {
        Layer.BANK: 34,
        Layer.GUARANTOR: 34,
        Layer.INSURER: 33,
    }


def test_the_base_rounds_down_to_the_fen():
    shares = LayerShares(guarantor=1, reguarantee=Fraction(1, 3))
    assert compensation_base({Layer.GUARANTOR: 100}, shares) == {Layer.GUARANTOR: 66}


def test_a_per_layer_cap_limits_that_layers_claim():
    policy = CompensationPolicy.uniform("0.3", cap_per_layer_fen={Layer.BANK: 50_000 * YUAN})
    claims = compute_claims(1_000_000 * YUAN, WORKED_SHARES, policy)
    assert claims.claim_of(Layer.BANK) == 50_000 * YUAN
    assert claims.claim_of(Layer.GUARANTOR) == 45_000 * YUAN


def test_a_per_loan_cap_scales_the_claims_pro_rata():
    policy = CompensationPolicy.uniform("0.3", cap_per_loan_fen=120_000 * YUAN)
    claims = compute_claims(1_000_000 * YUAN, WORKED_SHARES, policy)
    assert claims.by_layer() == {
        Layer.BANK: 60_000 * YUAN,
        Layer.GUARANTOR: 22_500 * YUAN,
        Layer.INSURER: 22_500 * YUAN,
        Layer.AGENCY: 15_000 * YUAN,
    }


def test_the_interest_subsidy_is_a_share_within_the_yearly_cap():
    assert interest_subsidy_fen(1_000_000, "0.4", cap_fen=None) == 400_000
    assert interest_subsidy_fen(1_000_000, "0.4", cap_fen=300_000) == 300_000
    assert (
        interest_subsidy_fen(1_000_000, "0.4", cap_fen=300_000, subsidised_this_year_fen=250_000)
        == 50_000
    )


# --- properties ---------------------------------------------------------------------------------

fen = st.integers(min_value=0, max_value=10**13)
hundredths = st.integers(min_value=0, max_value=100).map(lambda n: Fraction(n, 100))


@st.composite
def layer_shares(draw) -> LayerShares:
    """Four layer shares summing to 1 (random denominators), plus pass-on fractions."""
    denominator = draw(st.integers(min_value=1, max_value=1000))
    cuts = sorted(draw(st.lists(st.integers(0, denominator), min_size=3, max_size=3)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, denominator], strict=True)]
    return LayerShares(
        *(Fraction(p, denominator) for p in parts),
        reguarantee=draw(hundredths),
        reinsurance=draw(hundredths),
    )


@st.composite
def policies(draw) -> CompensationPolicy:
    """A policy with random ratios and random (sometimes absent) caps."""
    optional_cap = st.none() | st.integers(min_value=0, max_value=10**11)
    caps = {layer: draw(optional_cap) for layer in LAYERS}
    return CompensationPolicy(
        ratio={layer: draw(hundredths) for layer in LAYERS},
        cap_per_layer_fen={layer: cap for layer, cap in caps.items() if cap is not None},
        cap_per_loan_fen=draw(optional_cap),
    )


@given(fen, fen, fen, fen)
def test_recovery_is_conserved_to_the_fen(proceeds, costs, interest, principal):
    applied = apply_recovery(proceeds, costs, interest, principal)
    assert (
        applied.to_costs + applied.to_interest + applied.to_principal + applied.surplus == proceeds
    )
    assert 0 <= applied.principal_loss <= principal
    assert applied.principal_loss == principal - applied.to_principal


@given(fen, layer_shares())
def test_layer_losses_add_up_to_the_loss(loss, shares):
    parts = split_largest_remainder(loss, shares.by_layer())
    assert sum(parts.values()) == loss
    for layer, part in parts.items():
        assert abs(part - loss * shares.of(layer)) < 1


@given(fen, layer_shares(), policies())
def test_claims_respect_every_cap(loss, shares, policy):
    claims = compute_claims(loss, shares, policy)
    for line in claims.lines:
        assert 0 <= line.claim_fen <= line.ratio * line.base_fen
        assert line.base_fen + line.dispersed_fen == line.loss_fen
        if line.cap_fen is not None:
            assert line.claim_fen <= line.cap_fen
    if policy.cap_per_loan_fen is not None:
        assert claims.total_fen <= policy.cap_per_loan_fen
    assert sum(line.loss_fen for line in claims.lines) == loss


@given(fen, layer_shares(), policies())
def test_a_binding_loan_cap_is_paid_in_full_and_no_more(loss, shares, policy):
    uncapped = compute_claims(
        loss, shares, CompensationPolicy(policy.ratio, policy.cap_per_layer_fen)
    )
    claims = compute_claims(loss, shares, policy)
    if policy.cap_per_loan_fen is not None:
        assert claims.total_fen == min(uncapped.total_fen, policy.cap_per_loan_fen)
    for line, before in zip(claims.lines, uncapped.lines, strict=True):
        assert line.claim_fen <= before.claim_fen
