"""Licensing end to end through the services: round, sealed offers, ranking, consent, signing, royalties."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.channels import RoundStatus, StepNotAllowed
from market.domain.ledger import proceeds_payable
from market.domain.licensing import LicenceKind
from market.domain.roles import Role
from market.domain.royalty_csv import CsvRejected
from market.domain.workflow import CaseState
from market.models import AuditEvent, Licence, LicencePayment
from market.services import licensing, recoveries
from market.services.access import Forbidden, NotFound
from market.services.audit import Actor, verify_chain
from market.services.ledger import balance
from market.services.tick import run_due
from tests.factories import make_user
from tests.factories_channels import YUAN, make_channel_case, offer, open_round, operator


@pytest.fixture
def parties(session):
    """A case ready for a channel, its bank's user, an operator and two applicants."""
    case = make_channel_case(session)
    bank = make_user(session, Role.BANK, institution=case.bank)
    op, op_actor = operator(session)
    first, second = make_user(session, Role.AIC), make_user(session, Role.BANK)
    session.commit()
    return case, Actor.of(bank), op_actor, Actor.of(first), Actor.of(second)


def _granted(session, clock, parties, *, upfront=200_000):
    case, bank, op, first, second = parties
    now = clock()
    licence_round = open_round(session, case, now, min_upfront_fen=0)
    licensing.submit_licence_offer(session, licence_round.id, offer(upfront, 50_000), actor=first, now=now)
    licensing.submit_licence_offer(session, licence_round.id, offer(upfront // 2, 40_000), actor=second, now=now)
    later = clock.advance(days=8)
    run_due(session, later)
    best = licensing.ranking(session.get(type(licence_round), licence_round.id))[0].key
    licensing.award_licence(session, licence_round.id, [best], actor=op, now=later)
    licensing.decide_pledgee_consent(session, licence_round.id, consent=True, reference="BOC-2026-001",
                                     actor=bank, now=later)
    licences = licensing.sign_licences(session, licence_round.id, contract_refs=["BJIPX-L-2026-001"],
                                       signed_on=later.date(), actor=op, now=later)
    return licence_round, licences[0]


def test_a_case_ends_through_licensing_with_the_upfront_fee_as_its_recovery(session, clock, parties):
    case = parties[0]
    licence_round, licence = _granted(session, clock, parties)
    session.refresh(case)
    assert case.state == CaseState.DISPOSED
    assert case.recovery_fen == 200_000 * YUAN
    assert case.buyer_institution_id == parties[3].user.institution_id
    assert case.disposed_at == clock()
    assert licence_round.status == RoundStatus.SIGNED
    assert licence.recordal_due_on == clock().date() + timedelta(days=90)
    assert -balance(session, proceeds_payable(case.id)) == 200_000 * YUAN
    assert verify_chain(session).ok


def test_offers_stay_sealed_until_the_deadline(session, clock, parties):
    case, bank, op, first, _ = parties
    licence_round = open_round(session, case, clock())
    licensing.submit_licence_offer(session, licence_round.id, offer(), actor=first, now=clock())
    with pytest.raises(licensing.DeadlineRule, match="sealed"):
        licensing.close_licence_round(session, licence_round.id, actor=op, now=clock())
    assert not licensing.may_see_ranking(op.user, licence_round)


def test_an_offer_after_the_deadline_is_refused(session, clock, parties):
    case, _, _, first, _ = parties
    licence_round = open_round(session, case, clock())
    with pytest.raises(licensing.DeadlineRule):
        licensing.submit_licence_offer(session, licence_round.id, offer(), actor=first,
                                       now=clock() + timedelta(days=7))


def test_a_revised_offer_replaces_the_first_and_takes_the_later_time(session, clock, parties):
    case, _, _, first, _ = parties
    licence_round = open_round(session, case, clock())
    licensing.submit_licence_offer(session, licence_round.id, offer(200_000), actor=first, now=clock())
    revised = licensing.submit_licence_offer(session, licence_round.id, offer(300_000), actor=first,
                                             now=clock.advance(hours=1))
    session.refresh(licence_round)
    assert len(licence_round.offers) == 1
    assert revised.upfront_fen == 300_000 * YUAN and revised.submitted_at == clock()


def test_the_pledgee_bank_cannot_apply_for_its_own_collateral(session, clock, parties):
    case, bank, *_ = parties
    licence_round = open_round(session, case, clock())
    with pytest.raises(Forbidden):
        licensing.submit_licence_offer(session, licence_round.id, offer(), actor=bank, now=clock())


@pytest.mark.parametrize("role", [Role.BUREAU])
def test_roles_that_do_not_license_cannot_apply(session, clock, parties, role):
    licence_round = open_round(session, parties[0], clock())
    with pytest.raises(Forbidden):
        licensing.submit_licence_offer(session, licence_round.id, offer(),
                                       actor=Actor.of(make_user(session, role)), now=clock())


def test_a_round_without_offers_fails_at_the_deadline_and_the_case_awaits_its_next_channel(session, clock,
                                                                                           parties):
    case = parties[0]
    licence_round = open_round(session, case, clock())
    moved = run_due(session, clock.advance(days=7))
    assert moved["licence_offer_deadlines"] == 1
    session.refresh(licence_round)
    session.refresh(case)
    assert licence_round.status == RoundStatus.FAILED
    assert case.state == CaseState.AWAITING_CHANNEL
    assert run_due(session, clock.advance(minutes=1))["licence_offer_deadlines"] == 0


def test_signing_needs_the_pledgee_banks_consent(session, clock, parties):
    case, bank, op, first, _ = parties
    licence_round = open_round(session, case, clock())
    licensing.submit_licence_offer(session, licence_round.id, offer(), actor=first, now=clock())
    later = clock.advance(days=7)
    licensing.close_licence_round(session, licence_round.id, actor=op, now=later)
    offer_id = licensing.ranking(licence_round)[0].key
    licensing.award_licence(session, licence_round.id, [offer_id], actor=op, now=later)
    with pytest.raises(licensing.PledgeeConsentMissing, match="444"):
        licensing.sign_licences(session, licence_round.id, contract_refs=["C-1"], signed_on=later.date(),
                                actor=op, now=later)
    other_bank = Actor.of(make_user(session, Role.BANK))
    with pytest.raises(Forbidden):
        licensing.decide_pledgee_consent(session, licence_round.id, consent=True, actor=other_bank, now=later)


def test_a_refused_consent_ends_the_round_and_the_case_awaits_its_next_channel(session, clock, parties):
    case, bank, op, first, _ = parties
    licence_round = open_round(session, case, clock())
    licensing.submit_licence_offer(session, licence_round.id, offer(), actor=first, now=clock())
    later = clock.advance(days=7)
    licensing.close_licence_round(session, licence_round.id, actor=op, now=later)
    licensing.award_licence(session, licence_round.id, [licensing.ranking(licence_round)[0].key], actor=op,
                            now=later)
    licensing.decide_pledgee_consent(session, licence_round.id, consent=False, reason="Price too low",
                                     actor=bank, now=later)
    session.refresh(case)
    assert licence_round.status == RoundStatus.FAILED and case.state == CaseState.AWAITING_CHANNEL


def test_a_non_exclusive_round_can_license_several_applicants(session, clock, parties):
    case, bank, op, first, second = parties
    licence_round = open_round(session, case, clock(), kind=LicenceKind.NON_EXCLUSIVE)
    licensing.submit_licence_offer(session, licence_round.id, offer(200_000), actor=first, now=clock())
    licensing.submit_licence_offer(session, licence_round.id, offer(150_000), actor=second, now=clock())
    later = clock.advance(days=7)
    licensing.close_licence_round(session, licence_round.id, actor=op, now=later)
    ids = [r.key for r in licensing.ranking(licence_round)]
    licensing.award_licence(session, licence_round.id, ids, actor=op, now=later)
    licensing.decide_pledgee_consent(session, licence_round.id, consent=True, actor=bank, now=later)
    licences = licensing.sign_licences(session, licence_round.id, contract_refs=["N-1", "N-2"],
                                       signed_on=later.date(), actor=op, now=later)
    session.refresh(case)
    assert len(licences) == 2
    assert case.recovery_fen == 350_000 * YUAN


def test_royalties_add_to_the_recovery_and_apply_in_the_legal_order(session, clock, parties):
    case = parties[0]
    _, licence = _granted(session, clock, parties, upfront=10_000)
    op = parties[2]
    now = clock.advance(days=100)
    with unit_of_work(session):
        licensing.record_royalty_payment(session, licence.id, received_on=now.date(), amount_fen=20_000 * YUAN,
                                         reference="TX-1", actor=op, now=now)
    session.refresh(case)
    assert case.recovery_fen == 30_000 * YUAN == licensing.licence_income_to_date(session, case.id)
    effects = licensing.payment_effects(session, case)
    assert [(p.kind.value, e.to_costs, e.to_interest, e.to_principal) for p, e in effects] == [
        ("upfront", 0, 10_000 * YUAN, 0),
        ("royalty", 0, 12_500 * YUAN, 7_500 * YUAN),  # unpaid interest ¥22,500, then principal
    ]


def test_a_payment_reference_is_recorded_once(session, clock, parties):
    _, licence = _granted(session, clock, parties)
    op, now = parties[2], clock()
    licensing.record_royalty_payment(session, licence.id, received_on=now.date(), amount_fen=100,
                                     reference="TX-1", actor=op, now=now)
    with pytest.raises(licensing.PaymentRefused, match="already recorded"):
        licensing.record_royalty_payment(session, licence.id, received_on=now.date(), amount_fen=100,
                                         reference="TX-1", actor=op, now=now)


def test_a_csv_statement_imports_all_rows_or_none(session, clock, parties):
    case = parties[0]
    _, licence = _granted(session, clock, parties)
    op, now = parties[2], clock.advance(days=120)
    bad = "received_on,amount,reference\n2027-01-05,1000.00,A\n2027-01-06,12.345,B\n"
    with pytest.raises(CsvRejected, match="Line 3"):
        licensing.import_royalty_csv(session, licence.id, bad, actor=op, now=now)
    assert session.scalar(sa.select(sa.func.count(LicencePayment.id))) == 1  # only the upfront fee
    good = "received_on,amount,reference,reported_sales\n2027-01-05,1000.00,A,20000\n2027-01-06,\"2,000.50\",B,\n"
    result = licensing.import_royalty_csv(session, licence.id, good, actor=op, now=now)
    assert len(result.recorded) == 2
    again = licensing.import_royalty_csv(session, licence.id, good, actor=op, now=now)
    assert again.recorded == [] and again.skipped_references == ["A", "B"]
    session.refresh(case)
    assert case.recovery_fen == (200_000 + 1_000 + 2_000.50) * YUAN


def test_only_the_operator_records_payments(session, clock, parties):
    _, licence = _granted(session, clock, parties)
    with pytest.raises(Forbidden):
        licensing.record_royalty_payment(session, licence.id, received_on=clock().date(), amount_fen=100,
                                         reference="X", actor=parties[1], now=clock())


def test_a_missed_recordal_is_flagged_once_by_the_clock(session, clock, parties):
    _, licence = _granted(session, clock, parties)
    assert run_due(session, clock.advance(days=90))["licence_recordal_deadlines"] == 0
    assert run_due(session, clock.advance(days=1))["licence_recordal_deadlines"] == 1
    assert run_due(session, clock.advance(days=1))["licence_recordal_deadlines"] == 0
    session.refresh(licence)
    assert licence.recordal_missed_at is not None
    events = session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "licence")).all()
    assert events.count("recordal_missed") == 1


def _fake_hook(monkeypatch, calls):
    monkeypatch.setattr(recoveries, "on_later_recovery",
                        lambda s, case, amount, now, **_: calls.append((case.id, amount, now)))


def test_a_royalty_after_settlement_goes_to_the_settlement_hook(session, clock, parties, monkeypatch):
    case = parties[0]
    _, licence = _granted(session, clock, parties)
    session.refresh(case)
    case.state = CaseState.SETTLED
    session.commit()
    calls = []
    _fake_hook(monkeypatch, calls)
    with unit_of_work(session):
        licensing.record_royalty_payment(session, licence.id, received_on=clock().date(), amount_fen=5_000,
                                         reference="R-1", actor=parties[2], now=clock())
    assert calls == [(case.id, 5_000, clock())]
    session.refresh(case)
    assert case.recovery_fen == 200_000 * YUAN  # the settled result; the statement adds the royalty
    assert licensing.licence_income_to_date(session, case.id) == 200_000 * YUAN + 5_000


def test_a_royalty_before_settlement_adds_to_the_channels_result(session, clock, parties, monkeypatch):
    case = parties[0]
    _, licence = _granted(session, clock, parties)
    calls = []
    _fake_hook(monkeypatch, calls)
    with unit_of_work(session):
        licensing.record_royalty_payment(session, licence.id, received_on=clock().date(), amount_fen=5_000,
                                         reference="R-1", actor=parties[2], now=clock())
    session.refresh(case)
    assert calls == []
    assert case.recovery_fen == 200_000 * YUAN + 5_000


def test_a_step_out_of_order_is_refused(session, clock, parties):
    case, _, op, *_ = parties
    licence_round = open_round(session, case, clock())
    with pytest.raises(StepNotAllowed):
        licensing.award_licence(session, licence_round.id, [1], actor=op, now=clock())


def test_someone_elses_licence_is_not_found(session, clock, parties):
    _, licence = _granted(session, clock, parties)
    stranger = make_user(session, Role.GUARANTOR)
    with pytest.raises(NotFound):
        licensing.get_licence(session, licence.id, stranger)
    assert licensing.get_licence(session, licence.id, parties[3].user) == session.get(Licence, licence.id)
