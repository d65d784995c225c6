"""The bureau's statistics per bank and per quarter (seed 004), and the NPL tolerance."""

from datetime import UTC, date, datetime

from market.domain.settlement import DisposalCosts
from market.domain.workflow import Channel
from market.models import LoanStatus
from market.services import statistics
from market.services.statistics import Quarter
from tests.factories import make_enterprise, make_institution, make_loan
from tests.factories_settlement import YUAN, make_disposed_case, settle

Q4 = Quarter(2026, 4)


def test_quarters_are_read_and_walked():
    assert Quarter.parse("2026Q4") == Quarter.parse("2026-q4") == Q4
    assert Quarter.parse("2026Q5") is None and Quarter.parse("soon") is None
    assert (Q4.start, Q4.end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert Q4.next() == Quarter(2027, 1) and Quarter(2026, 1).previous() == Quarter(2025, 4)
    assert [str(q) for q in statistics.last_quarters(Q4, 3)] == ["2026Q2", "2026Q3", "2026Q4"]
    assert Quarter.of(date(2026, 11, 22)) == Q4


def test_a_bank_s_quarter_counts_new_loans_balance_firms_pledge_rate_and_npl(session, clock):
    bank = make_institution(session, npl_ratio_ppm=15_000)  # 1.5% bank-wide: tolerance 4.5%
    firm = make_enterprise(session)
    make_loan(session, bank=bank, enterprise=firm, principal_fen=600 * YUAN, outstanding_principal_fen=600 * YUAN,
              appraised_value_fen=1_200 * YUAN, start_date=date(2026, 10, 5), status=LoanStatus.PERFORMING,
              defaulted_on=None)
    make_loan(session, bank=bank, enterprise=firm, principal_fen=400 * YUAN, outstanding_principal_fen=400 * YUAN,
              appraised_value_fen=800 * YUAN, start_date=date(2026, 2, 1), status=LoanStatus.PERFORMING,
              defaulted_on=None)
    make_loan(session, bank=bank, principal_fen=100 * YUAN, outstanding_principal_fen=100 * YUAN,
              appraised_value_fen=100 * YUAN, start_date=date(2025, 1, 1), defaulted_on=date(2026, 9, 1))
    make_loan(session, bank=bank, principal_fen=999 * YUAN, start_date=date(2025, 1, 1),
              status=LoanStatus.REPAID, defaulted_on=None)
    session.commit()
    line = next(line for line in statistics.bank_quarters(session, Q4) if line.bank_id == bank.id)
    assert (line.new_loans, line.new_loans_fen) == (1, 600 * YUAN)
    assert line.balance_fen == 1_100 * YUAN and line.client_firms == 2
    assert line.pledge_rate_ppm == 1_100 * 1_000_000 // 2_100
    assert line.npl_ratio_ppm == 100 * 1_000_000 // 1_100  # 9.09%
    assert line.tolerance_ppm == 45_000 and line.within_tolerance is False
    total = statistics.bank_quarters(session, Q4)[-1]
    assert total.bank_id is None and total.balance_fen >= line.balance_fen


def test_disposals_recovery_and_days_to_settlement_come_from_settled_cases(session, clock):
    bank = make_institution(session, npl_ratio_ppm=10_000)
    loan = make_loan(session, bank=bank, principal_fen=1_000 * YUAN, outstanding_principal_fen=1_000 * YUAN,
                     unpaid_interest_fen=0, defaulted_on=date(2026, 6, 1))
    case = make_disposed_case(session, recovery_fen=400 * YUAN, loan=loan, channel=Channel.LICENSING,
                              disposed_at=datetime(2026, 11, 1, 2, tzinfo=UTC))
    session.commit()
    settle(session, case, now=datetime(2026, 11, 20, 2, tzinfo=UTC), costs=DisposalCosts())
    line = next(line for line in statistics.bank_quarters(session, Q4) if line.bank_id == bank.id)
    assert line.disposals == {Channel.LICENSING: 1} and line.settled_cases == 1
    assert line.recovery_rate_ppm == 400_000
    assert line.mean_days_to_settlement == (date(2026, 11, 20) - date(2026, 6, 1)).days
    assert line.balance_fen == 0  # the settled loan left the balance
