"""Properties of settlement, claims and the fund, checked through the services on a real database."""

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.domain.ledger import BudgetLine
from market.domain.loss import LAYERS, Layer, Shortfall
from market.domain.settlement import (
    AboveYearCap,
    ClaimKind,
    ClaimState,
    DisposalCosts,
    ReviewDecision,
)
from market.services import compensation, fund, recoveries, settlement
from market.services.audit import Actor
from market.services.ledger import check_ledger
from tests.factories import make_institution, make_loan
from tests.factories_settlement import (
    YUAN,
    bureau_users,
    claims_of,
    fresh_database,
    make_disposed_case,
    make_policy,
    operator,
    receive_price,
    user_of,
)

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
# database_url only cleans the database once per test; each example gets its own fresh_database
EXAMPLES = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

amounts = st.integers(min_value=0, max_value=5_000_000 * YUAN)
ppm = st.integers(min_value=0, max_value=1_000_000)


@st.composite
def layer_shares(draw):
    """Four ppm shares summing to one million, and the dispersal fractions."""
    cuts = sorted(draw(st.lists(ppm, min_size=3, max_size=3)))
    bank, guarantor, insurer, agency = cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], 1_000_000 - cuts[2]
    return dict(bank_share_ppm=bank, guarantor_share_ppm=guarantor, insurer_share_ppm=insurer,
                agency_share_ppm=agency, reguarantee_ppm=draw(ppm), reinsurance_ppm=draw(ppm))


def _loan(session, shares, principal, interest, **overrides):
    from market.domain.roles import InstitutionKind

    return make_loan(
        session, principal_fen=max(principal, 1), outstanding_principal_fen=principal, unpaid_interest_fen=interest,
        guarantor=overrides.pop("guarantor", None) or make_institution(session, InstitutionKind.GUARANTOR),
        insurer=make_institution(session, InstitutionKind.INSURER),
        agency=make_institution(session, InstitutionKind.AGENCY), **shares, **overrides,
    )


@EXAMPLES
@given(shares=layer_shares(), principal=amounts, interest=st.integers(0, 500_000 * YUAN), recovery=amounts,
       commission=st.integers(0, 200_000 * YUAN), other=st.integers(0, 100_000 * YUAN),
       through_centre=st.booleans())
def test_a_settlement_conserves_every_fen(database_url, database_template, shares, principal, interest, recovery, commission,
                                          other, through_centre):
    with fresh_database(database_template) as session:
        make_policy(session)
        case = make_disposed_case(session, recovery_fen=recovery, loan=_loan(session, shares, principal, interest))
        session.commit()
        if through_centre and recovery:
            receive_price(session, case, recovery, now=NOW)
        row = settlement.settle_case(session, case.id, actor=Actor.of(operator(session)), now=NOW,
                                     costs=DisposalCosts(commission_fen=commission, other_fen=other))
        assert row.to_costs_fen + row.to_interest_fen + row.to_principal_fen + row.surplus_fen == recovery
        assert row.principal_loss_fen == principal - row.to_principal_fen >= 0
        assert sum(line.loss_fen for line in row.layers) == row.principal_loss_fen
        assert all(line.loss_fen == line.base_fen + line.dispersed_fen for line in row.layers)
        payouts = settlement.payouts_made(session, case.id)
        assert payouts.total_fen == (recovery if through_centre else 0)
        assert settlement.held_for_case(session, case.id) == 0
        assert check_ledger(session).ok


@EXAMPLES
@given(shares=layer_shares(), losses=st.lists(st.integers(1, 3_000_000 * YUAN), min_size=1, max_size=4),
       layer_cap=st.one_of(st.none(), st.integers(0, 200_000 * YUAN)),
       loan_cap=st.one_of(st.none(), st.integers(0, 400_000 * YUAN)),
       year_cap=st.one_of(st.none(), st.integers(0, 600_000 * YUAN)))
def test_claims_respect_every_cap(database_url, database_template, shares, losses, layer_cap, loan_cap, year_cap):
    with fresh_database(database_template) as session:
        make_policy(session, cap_guarantor_fen=layer_cap, cap_bank_fen=layer_cap, cap_per_loan_fen=loan_cap,
                    cap_per_institution_year_fen=year_cap, four_eyes_above_fen=None)
        from market.domain.roles import InstitutionKind

        guarantor = make_institution(session, InstitutionKind.GUARANTOR)
        first, _ = bureau_users(session)
        op = operator(session)
        cases = [make_disposed_case(session, loan=_loan(session, shares, loss, 0, guarantor=guarantor))
                 for loss in losses]
        session.commit()
        for case in cases:
            settlement.settle_case(session, case.id, actor=Actor.of(op), now=NOW, costs=DisposalCosts())
        filer = Actor.of(user_of(session, guarantor))
        session.commit()
        for case in cases:
            claims = claims_of(session, case)
            assert sum(c.claimed_fen for c in claims.values()) <= (loan_cap if loan_cap is not None else 10**18)
            for layer in (Layer.BANK, Layer.GUARANTOR):
                if layer in claims and layer_cap is not None:
                    assert claims[layer].claimed_fen <= layer_cap
            claim = claims.get(Layer.GUARANTOR)
            if claim is None or claim.claimed_fen == 0:
                continue
            compensation.file_claim(session, claim.id, actor=filer, now=NOW)
            try:
                compensation.review(session, claim.id, actor=Actor.of(first), decision=ReviewDecision.APPROVE,
                                    now=NOW)
            except AboveYearCap:
                room = compensation.year_room(session, claim, 2026)
                session.commit()
                if room:
                    compensation.review(session, claim.id, actor=Actor.of(first), decision=ReviewDecision.REDUCE,
                                        amount_fen=room, reason="yearly cap", now=NOW)
        approved = compensation.used_in_year(session, year=2026, kind=ClaimKind.COMPENSATION,
                                             institution_id=guarantor.id)
        if year_cap is not None:
            assert approved <= year_cap


@EXAMPLES
@given(claims=st.lists(st.integers(1, 500_000 * YUAN), min_size=1, max_size=5),
       balance=st.integers(0, 1_500_000 * YUAN), budget=st.integers(0, 1_500_000 * YUAN),
       lapse=st.booleans())
def test_the_fund_never_pays_above_its_balance_or_budget_and_pays_in_order(database_url, database_template, claims, balance,
                                                                           budget, lapse):
    with fresh_database(database_template) as session:
        make_policy(session, four_eyes_above_fen=None, shortfall=Shortfall.LAPSE if lapse else Shortfall.WAIT,
                    interest_subsidy_ppm=1_000_000, interest_subsidy_cap_fen=None)
        first, _ = bureau_users(session)
        bank = make_institution(session)
        filer = Actor.of(user_of(session, bank))
        session.commit()
        bureau = Actor.of(first)
        if balance:
            fund.contribute(session, balance, actor=bureau, now=NOW)
        fund.open_year(session, 2026, NOW)
        session.commit()
        if budget:
            fund.grant_budget(session, 2026, BudgetLine.SUBSIDY, budget, actor=bureau, now=NOW)
        rows = []
        for amount in claims:
            loan = make_loan(session, bank=bank)
            session.commit()
            claim = compensation.file_subsidy_claim(session, actor=filer, loan_id=loan.id,
                                                    kind=ClaimKind.INTEREST_SUBSIDY, base_fen=amount,
                                                    evidence="x", now=NOW)
            compensation.review(session, claim.id, actor=bureau, decision=ReviewDecision.APPROVE, now=NOW)
            rows.append(claim)
        run = fund.run_payments(session, actor=bureau, now=NOW)
        assert run.paid_fen == min(balance, budget, sum(claims))
        assert fund.fund_balance_fen(session) == balance - run.paid_fen >= 0
        short = False
        for claim in rows:  # in order of approval: once one is short, every later one gets nothing
            if short:
                assert claim.paid_fen == 0
            if claim.paid_fen < claim.due_fen:
                short = True
                assert claim.state == (ClaimState.LAPSED if lapse else ClaimState.PENDING)
        assert check_ledger(session).ok


@EXAMPLES
@given(shares=layer_shares(), principal=st.integers(1_000 * YUAN, 3_000_000 * YUAN),
       later=st.integers(1, 4_000_000 * YUAN))
def test_a_later_recovery_claws_back_exactly_what_was_paid_too_much(database_url, database_template, shares, principal, later):
    with fresh_database(database_template) as session:
        make_policy(session, four_eyes_above_fen=None)
        first, _ = bureau_users(session)
        op = operator(session)
        case = make_disposed_case(session, loan=_loan(session, shares, principal, 0))
        session.commit()
        bureau = Actor.of(first)
        settlement.settle_case(session, case.id, actor=Actor.of(op), now=NOW, costs=DisposalCosts())
        fund.contribute(session, 10_000_000 * YUAN, actor=bureau, now=NOW)
        fund.grant_budget(session, 2026, BudgetLine.COMPENSATION, 10_000_000 * YUAN, actor=bureau, now=NOW)
        claims = claims_of(session, case)
        for claim in claims.values():
            compensation.file_claim(session, claim.id, actor=Actor.of(user_of(session, claim.institution)), now=NOW)
            compensation.review(session, claim.id, actor=bureau, decision=ReviewDecision.APPROVE, now=NOW)
        fund.run_payments(session, actor=bureau, now=NOW)
        paid = {layer: c.paid_fen for layer, c in claims.items()}
        row = recoveries.record_later_recovery(session, case.id, later, actor=Actor.of(op), now=NOW)
        from market.domain.loss import clawback as rule_clawback
        from market.services.fund import compensation_rule
        from market.services.settlement import statement_shares

        expected = rule_clawback(paid, row.principal_loss_fen, statement_shares(row),
                                 compensation_rule(fund.current_policy(session)))
        for layer, claim in claims.items():
            assert claim.clawed_back_fen == expected.clawed_back[layer]
            assert claim.paid_fen - claim.clawed_back_fen == min(paid[layer], expected.claims.claim_of(layer))
        assert sum(c.clawed_back_fen for c in claims.values()) == expected.total_fen
        assert check_ledger(session).ok
        assert set(claims) <= set(LAYERS)
