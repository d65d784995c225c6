"""The demo a bureau would believe: performing books with a few percent NPL, one bank outside the tolerance,
nothing dated after the app's clock, assets that belong to their borrower's industry."""

import sqlalchemy as sa

from market.demo import seed
from market.demo.vocabulary import industries_of
from market.models import Base, DisposalCase, Loan, UTCDateTime
from market.services import statistics
from market.services.fund import LOCAL

# Columns that say when something is due, ends or expires: they may lie ahead of the clock.
AHEAD = {"expires_on", "expires_at", "maturity_date", "due_at", "notice_ends_at", "negotiated_sale_ends_at",
         "payment_due_at", "scheduled_end_at", "ends_at", "first_refusal_ends_at", "offer_deadline",
         "recordal_due_on", "lockup_until", "starts_on",
         "inspection_slot.starts_at"}  # a slot is published for a visit to come (an auction's start is not)


def _banks(session, quarter):
    return statistics.bank_quarters(session, quarter)[:-1]


def _this_quarter(clock):
    return statistics.Quarter.of(clock().astimezone(LOCAL).date())


def test_each_demo_bank_has_hundreds_of_loans_a_few_percent_npl_and_exactly_one_is_outside_the_tolerance(
        session, clock):
    seed(session, now=clock())
    banks = _banks(session, _this_quarter(clock))
    assert len(banks) == 3
    for bank in banks:
        assert 5_000 <= bank.npl_ratio_ppm <= 100_000, (bank.bank_name, bank.npl_ratio_ppm)
        assert session.scalar(sa.select(sa.func.count(Loan.id)).where(Loan.bank_id == bank.bank_id)) >= 300
    assert [bank.within_tolerance for bank in banks].count(False) == 1


def test_the_demo_quarters_move_plausibly(session, clock):
    seed(session, now=clock())
    trend = statistics.trend(session, statistics.last_quarters(_this_quarter(clock), 4))
    for before, after in zip(trend, trend[1:], strict=False):
        assert abs(after.npl_ratio_ppm - before.npl_ratio_ppm) <= 15_000  # at most 1.5 points a quarter
        assert before.balance_fen <= after.balance_fen <= before.balance_fen * 3 // 2
        assert after.new_loans >= before.new_loans // 2


def test_fifty_more_listings_keep_every_bank_npl_within_range_nothing_after_the_clock_and_industries_agree(
        app, clock):
    with app.app_context():
        output = app.test_cli_runner().invoke(args=["seed-demo", "--listings", "50"]).output
    assert "50 extra listings added." in output
    with app.extensions["market.sessions"]() as session:
        for bank in _banks(session, _this_quarter(clock)):
            assert 5_000 <= bank.npl_ratio_ppm <= 100_000, (bank.bank_name, bank.npl_ratio_ppm)
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if column.name in AHEAD or f"{table.name}.{column.name}" in AHEAD:
                    continue
                if isinstance(column.type, UTCDateTime):
                    bound = clock()
                elif isinstance(column.type, sa.Date):
                    bound = clock().astimezone(LOCAL).date()
                else:
                    continue
                late = session.scalar(sa.select(sa.func.count()).where(column > bound))
                assert late == 0, f"{table.name}.{column.name}: {late} rows after the clock"
        cases = session.scalars(sa.select(DisposalCase)).all()
        assert len(cases) > 50
        for case in cases:
            assert case.industry == case.loan.enterprise.industry, case.reference
            for asset in case.assets:
                assert industries_of(asset.title) == {case.industry}, (case.reference, asset.title)
