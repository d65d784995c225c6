"""A stateful test: deposits, payments, settlements, claims and fund payments keep the ledger balanced and
equal to a simple model of who holds what."""

from contextlib import ExitStack
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from market.domain import ledger as accounts
from market.domain.ledger import BudgetLine, Movement
from market.domain.settlement import ClaimState, DisposalCosts, ReviewDecision
from market.services import compensation, fund, recoveries, settlement
from market.services.audit import Actor
from market.services.ledger import LedgerWouldGoNegative, balance, check_ledger, record_movement
from tests.factories import make_institution
from tests.factories_settlement import (
    YUAN,
    bureau_users,
    claims_of,
    fresh_database,
    make_disposed_case,
    make_policy,
    operator,
    user_of,
    worked_example_loan,
)

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
money = st.integers(min_value=1, max_value=200_000 * YUAN)


class LedgerMachine(RuleBasedStateMachine):
    """The centre's and the fund's money, moved through the services, against a model in plain integers."""

    template = None  # the migrated database to start from (set by the test)
    bidders = Bundle("bidders")
    open_cases = Bundle("open_cases")
    settled_cases = Bundle("settled_cases")

    def __init__(self):
        super().__init__()
        self.stack = ExitStack()
        self.session = self.stack.enter_context(fresh_database(self.template))
        self.cash = 0
        self.held = {}  # bidder -> deposits held
        self.proceeds = {}  # case -> held for the pledgee
        self.forfeits = {}  # case -> forfeited deposits kept
        self.commission = {}  # settled case -> (commission due, gross proceeds) so far
        self.fund_cash = 0
        self.budget_left = 0
        self.paid = 0

    def teardown(self):
        self.stack.close()

    @initialize()
    def set_up(self):
        s = self.session
        make_policy(s, four_eyes_above_fen=None)
        self.bureau = Actor.of(bureau_users(s)[0])
        self.operator = Actor.of(operator(s))
        s.commit()
        fund.open_year(s, 2026, NOW)
        s.commit()

    # --- the trading centre ---------------------------------------------------------------------

    @rule(target=bidders)
    def a_bidder_registers(self):
        bidder = make_institution(self.session)
        self.session.commit()
        self.held[bidder.id] = 0
        return bidder.id

    @rule(target=open_cases)
    def a_case_is_disposed(self):
        case = make_disposed_case(self.session, recovery_fen=None, loan=worked_example_loan(self.session,
                                                                                            unpaid_interest_fen=0))
        self.session.commit()
        self.proceeds[case.id] = self.forfeits[case.id] = 0
        return case.id

    @rule(bidder=bidders, amount=money)
    def a_bidder_pays_a_deposit(self, bidder, amount):
        self._post(Movement.DEPOSIT_PAID, amount, institution_id=bidder)
        self.held[bidder] += amount
        self.cash += amount

    @rule(bidder=bidders, amount=money)
    def a_losing_deposit_is_refunded(self, bidder, amount):
        if amount > self.held[bidder]:
            with pytest.raises(LedgerWouldGoNegative):
                self._post(Movement.DEPOSIT_REFUNDED, amount, institution_id=bidder)
            return
        self._post(Movement.DEPOSIT_REFUNDED, amount, institution_id=bidder)
        self.held[bidder] -= amount
        self.cash -= amount

    @precondition(lambda self: any(self.held.values()))
    @rule(case=open_cases, data=st.data(), forfeit=st.booleans())
    def a_winner_s_deposit_is_applied_or_forfeited(self, case, data, forfeit):
        bidder = data.draw(st.sampled_from(sorted(b for b, held in self.held.items() if held)))
        amount = self.held[bidder]
        self._post(Movement.DEPOSIT_FORFEITED if forfeit else Movement.DEPOSIT_APPLIED, amount, case_id=case,
                   institution_id=bidder)
        self.held[bidder] = 0
        (self.forfeits if forfeit else self.proceeds)[case] += amount

    @rule(case=open_cases, amount=money)
    def the_buyer_pays_the_balance(self, case, amount):
        self._post(Movement.BUYER_PAYMENT, amount, case_id=case)
        self.proceeds[case] += amount
        self.cash += amount

    @rule(target=settled_cases, case=consumes(open_cases), commission=st.integers(0, 50_000 * YUAN))
    def the_case_is_settled(self, case, commission):
        s = self.session
        row = s.get(settlement.DisposalCase, case)
        row.recovery_fen = self.proceeds[case]
        s.commit()
        statement = settlement.settle_case(s, case, actor=self.operator, now=NOW,
                                           costs=DisposalCosts(commission_fen=commission))
        gross = self.proceeds[case] + self.forfeits[case]
        assert statement.gross_proceeds_fen == gross
        self.cash -= gross - min(commission, gross)  # the commission stays in the centre's account
        self.commission[case] = (commission, gross)
        self.proceeds[case] = self.forfeits[case] = 0
        return case

    @rule(case=settled_cases, amount=money)
    def royalties_arrive_after_settlement(self, case, amount):
        recoveries.record_later_recovery(self.session, case, amount, actor=self.operator, now=NOW,
                                         through_centre=True)
        # costs come first (art. 561): later money pays the commission, at the settings' 2%, and any
        # commission the first proceeds could not cover; everything else is paid out again
        due, gross = self.commission[case]
        new_due, new_gross = due + amount * 20_000 // 1_000_000, gross + amount
        self.cash += min(new_due, new_gross) - min(due, gross)
        self.commission[case] = (new_due, new_gross)

    # --- the fund -------------------------------------------------------------------------------

    @rule(amount=money)
    def money_goes_into_the_fund(self, amount):
        fund.contribute(self.session, amount, actor=self.bureau, now=NOW)
        self.fund_cash += amount

    @rule(amount=money)
    def the_budget_is_topped_up(self, amount):
        fund.grant_budget(self.session, 2026, BudgetLine.COMPENSATION, amount, actor=self.bureau, now=NOW)
        self.budget_left += amount

    @rule(case=settled_cases)
    def the_claims_are_filed_and_approved(self, case):
        s = self.session
        for claim in claims_of(s, s.get(settlement.DisposalCase, case)).values():
            if claim.state == ClaimState.DRAFTED and claim.claimed_fen > 0:
                compensation.file_claim(s, claim.id, actor=Actor.of(user_of(s, claim.institution)), now=NOW)
                compensation.review(s, claim.id, actor=self.bureau, decision=ReviewDecision.APPROVE, now=NOW)

    @rule()
    def the_bureau_pays_the_queue(self):
        owed = sum(claim.still_owed_fen for claim in fund.payment_queue(self.session))
        run = fund.run_payments(self.session, actor=self.bureau, now=NOW)
        expected = min(owed, self.fund_cash, self.budget_left)
        assert run.paid_fen == expected
        self.fund_cash -= expected
        self.budget_left -= expected

    # --- what must always hold ------------------------------------------------------------------

    @invariant()
    def the_ledger_balances_and_matches_the_model(self):
        if not hasattr(self, "bureau"):
            return
        s = self.session
        report = check_ledger(s)
        assert report.ok, report
        assert balance(s, accounts.CASH) == self.cash
        for bidder, held in self.held.items():
            assert -balance(s, accounts.deposits_held(bidder)) == held
        for case, held in self.proceeds.items():
            assert settlement.held_for_case(s, case) == held
            assert settlement.forfeited_for_case(s, case) == self.forfeits[case]
        assert fund.fund_balance_fen(s) == self.fund_cash
        assert fund.budget_left_fen(s, 2026, BudgetLine.COMPENSATION) == self.budget_left
        s.commit()

    def _post(self, movement, amount, **ids):
        try:
            record_movement(self.session, movement, amount_fen=amount, now=NOW, **ids)
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise


def test_the_ledger_always_balances_and_matches_a_simple_model(database_url, database_template):
    LedgerMachine.template = database_template
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=12, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
