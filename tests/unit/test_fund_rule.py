"""The compensation fund: budget, balance, waiting claims and clawbacks (DOMAIN.md section 4)."""

from hypothesis import given
from hypothesis import strategies as st

from market.domain.loss import (
    LAYERS,
    ApprovedClaim,
    CompensationPolicy,
    Fund,
    Layer,
    LayerShares,
    Shortfall,
    clawback,
    compute_claims,
    pay_claims,
)

SHARES = LayerShares(bank="0.4", guarantor="0.3", insurer="0.2", agency="0.1", reguarantee="0.5")
POLICY = CompensationPolicy.uniform("0.3")


def test_claims_are_paid_in_order_of_approval_until_the_budget_runs_out():
    fund = Fund(balance_fen=1_000, budget_left_fen=250)
    settled = pay_claims(
        fund, [ApprovedClaim("a", 100), ApprovedClaim("b", 100), ApprovedClaim("c", 100)]
    )
    assert [p.paid_fen for p in settled.payments] == [100, 100, 50]
    assert settled.fund.waiting == (ApprovedClaim("c", 50),)
    assert settled.fund.balance_fen == 750 and settled.fund.budget_left_fen == 0
    assert settled.short


def test_waiting_claims_are_paid_first_next_year():
    fund = Fund(balance_fen=1_000, budget_left_fen=0, waiting=(ApprovedClaim("old", 80),))
    settled = pay_claims(fund.start_year(budget_fen=100), [ApprovedClaim("new", 80)])
    assert [(p.claim_id, p.paid_fen, p.waiting_fen) for p in settled.payments] == [
        ("old", 80, 0),
        ("new", 20, 60),
    ]


def test_under_the_lapse_policy_the_unpaid_part_is_lost():
    settled = pay_claims(Fund(100, 1_000), [ApprovedClaim("a", 150)], Shortfall.LAPSE)
    assert settled.payments[0].lapsed_fen == 50
    assert settled.fund.waiting == ()


def test_a_late_recovery_claws_back_the_excess_pro_rata():
    paid = compute_claims(1_000_000, SHARES, POLICY).by_layer()
    back = clawback(paid, principal_loss_fen=600_000, shares=SHARES, policy=POLICY)
    assert back.clawed_back == {
        Layer.BANK: 48_000,
        Layer.GUARANTOR: 18_000,
        Layer.INSURER: 24_000,
        Layer.AGENCY: 12_000,
    }
    assert back.total_fen == 102_000
    assert sum(back.still_due.values()) == 0


def test_a_recovery_on_a_waiting_claim_reduces_what_it_is_still_owed():
    half_paid = {
        layer: claim // 2
        for layer, claim in compute_claims(1_000_000, SHARES, POLICY).by_layer().items()
    }
    back = clawback(half_paid, principal_loss_fen=800_000, shares=SHARES, policy=POLICY)
    assert back.total_fen == 0
    fund = Fund(0, 0, waiting=(ApprovedClaim("loan-1/bank", 60_000, Layer.BANK),))
    fund = fund.revise_waiting("loan-1/bank", back.still_due[Layer.BANK])
    assert fund.waiting_fen == 96_000 - 60_000


amounts = st.integers(min_value=0, max_value=10**9)


@given(
    amounts,
    amounts,
    st.lists(amounts, max_size=20),
    st.lists(amounts, max_size=20),
    st.sampled_from(Shortfall),
)
def test_the_fund_never_pays_more_than_its_balance_or_budget(
    balance, budget, waiting, new, shortfall
):
    fund = Fund(balance, budget, tuple(ApprovedClaim(("w", i), a) for i, a in enumerate(waiting)))
    claims = [ApprovedClaim(("n", i), a) for i, a in enumerate(new)]
    settled = pay_claims(fund, claims, shortfall)
    owed = sum(waiting) + sum(new)
    assert settled.paid_fen == min(owed, balance, budget)
    assert settled.fund.balance_fen == balance - settled.paid_fen >= 0
    assert settled.fund.budget_left_fen == budget - settled.paid_fen >= 0
    for payment, claim in zip(settled.payments, (*fund.waiting, *claims), strict=True):
        assert payment.paid_fen + payment.waiting_fen + payment.lapsed_fen == claim.amount_fen
    assert (
        settled.fund.waiting_fen + sum(p.lapsed_fen for p in settled.payments)
        == owed - settled.paid_fen
    )


@given(
    st.integers(min_value=0, max_value=10**11),
    st.integers(min_value=0, max_value=10**11),
    st.lists(st.integers(0, 100), min_size=4, max_size=4),
)
def test_after_a_clawback_no_layer_keeps_more_than_its_new_claim(loss, recovered, paid_percent):
    first = compute_claims(loss, SHARES, POLICY).by_layer()
    paid = {
        layer: first[layer] * pct // 100 for layer, pct in zip(LAYERS, paid_percent, strict=True)
    }
    back = clawback(paid, max(0, loss - recovered), SHARES, POLICY)
    new = back.claims.by_layer()
    for layer in LAYERS:
        kept = paid[layer] - back.clawed_back[layer]
        assert kept == min(paid[layer], new[layer])
        assert kept + back.still_due[layer] == new[layer]
