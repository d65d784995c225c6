"""The clock advances what is due: `flask tick` is idempotent, needs no sleeps, and two ticks at once move a case once."""

import threading
from datetime import timedelta

import sqlalchemy as sa

from market.domain.workflow import CaseAction as A
from market.domain.workflow import CaseState as S
from market.domain.workflow import Channel
from market.models import AuditEvent, DisposalCase
from market.services import disposal
from market.services.audit import Actor
from market.services.tick import run_due
from tests.factories_workflow import case_in


def _state(session, case_id):
    session.expire_all()
    return session.get(DisposalCase, case_id)


def _events(session, case_id, action):
    return session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.entity_id == case_id, AuditEvent.action == action))


def test_the_tick_command_lapses_a_negotiated_sale_after_its_sixty_days_and_only_once(app, session, clock):
    _user, _operator, case = case_in(session, clock, S.NEGOTIATED_SALE)
    session.rollback()  # on SQLite an open read holds the write lock
    runner = app.test_cli_runner()

    def tick():
        with app.app_context():
            result = runner.invoke(args=["tick"])
        assert result.exit_code == 0, result.output
        return result.output

    clock.advance(days=59, hours=23)
    tick()
    assert _state(session, case.id).state == S.NEGOTIATED_SALE
    session.rollback()
    clock.advance(hours=1)
    assert "negotiated_sales_lapsed: 1" in tick()
    case = _state(session, case.id)
    assert case.state == S.AWAITING_CHANNEL and case.negotiated_sale_lapsed_at == clock()
    session.rollback()
    assert "negotiated_sales_lapsed: 0" in tick()
    assert _events(session, case.id, "negotiated_sale_lapsed") == 1


def test_a_negotiated_sale_buyer_who_misses_the_payment_deadline_loses_the_sale(session, clock):
    _user, _operator, case = case_in(session, clock, S.AWAITING_PAYMENT)
    clock.advance(days=9)
    assert run_due(session, clock())["negotiated_sale_buyers_defaulted"] == 0
    clock.advance(days=1)
    assert run_due(session, clock())["negotiated_sale_buyers_defaulted"] == 1
    case = _state(session, case.id)
    assert case.state == S.NEGOTIATED_SALE and case.sale_price_fen is None and case.buyer_name == ""
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "buyer_defaulted"))
    assert event.actor_role == "system" and "did not pay" in event.reason


def test_an_auction_winner_who_does_not_pay_is_left_to_the_auction_desk(session, clock):
    _user, operator, case = case_in(session, clock, S.AUCTION)
    disposal.take_action(session, case.id, A.AUCTION_WON, actor=Actor.of(operator), now=clock(),
                         price_fen=case.list_price_fen, buyer_name="北京银行")
    clock.advance(days=30)
    assert run_due(session, clock())["negotiated_sale_buyers_defaulted"] == 0
    case = _state(session, case.id)
    assert case.state == S.AWAITING_PAYMENT and case.channel == Channel.AUCTION


def test_a_published_case_whose_right_expires_is_suspended_by_the_clock(session, clock):
    _user, _operator, published = case_in(session, clock, S.NOTICE_PUBLISHED)
    _user, _operator, auctioned = case_in(session, clock, S.AUCTION)
    for case in (published, auctioned):
        case.assets[0].expires_on = (clock() + timedelta(days=3)).date()
    session.commit()
    clock.advance(days=3)
    assert run_due(session, clock())["cases_with_lapsed_rights_suspended"] == 1
    assert run_due(session, clock())["cases_with_lapsed_rights_suspended"] == 0
    suspended = _state(session, published.id)
    assert suspended.state == S.SUSPENDED and suspended.suspended_from == S.NOTICE_PUBLISHED and suspended.listed
    assert _state(session, auctioned.id).state == S.AUCTION  # the auction desk decides about a live round


def test_two_ticks_running_at_once_move_each_due_case_once(app, session, clock):
    cases = [case_in(session, clock, S.NEGOTIATED_SALE)[2].id for _ in range(3)]
    clock.advance(days=61)
    session.rollback()  # on SQLite an open read holds the write lock
    factory = app.extensions["market.sessions"]
    barrier, moved, errors = threading.Barrier(2), [], []

    def tick():
        try:
            with factory() as own:
                barrier.wait()
                moved.append(run_due(own, clock())["negotiated_sales_lapsed"])
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(moved) == 3
    for case_id in cases:
        assert _state(session, case_id).state == S.AWAITING_CHANNEL
        assert _events(session, case_id, "negotiated_sale_lapsed") == 1
