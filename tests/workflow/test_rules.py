"""Each rule of the workflow is refused, when broken, with its named exception and a message a user understands."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest

from market.domain import workflow as wf
from market.domain.filing import (
    AssetNotPledged,
    ClaimExceedsLoan,
    Filing,
    LoanNotDefaulted,
    NoAssetsChosen,
    PledgedLoan,
    PledgeNotRegistered,
    check_filing,
)
from market.domain.roles import Role
from market.domain.rules import DEFAULT_RULES
from market.domain.workflow import CaseAction as A
from market.domain.workflow import CaseFacts, Channel
from market.domain.workflow import CaseState as S

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
VALUED = CaseFacts(S.VALUED, appraised_value_fen=100_000_000, valuation_report_ref="R1", valued_on=date(2026, 11, 1),
                   checks=frozenset(wf.REVIEW_CHECKS))
NOTICE = replace(VALUED, state=S.NOTICE_PUBLISHED, notice_published_at=NOW - timedelta(days=31),
                 notice_ends_at=NOW - timedelta(days=1), listed=True)
AFTER_ONE_ROUND = replace(NOTICE, state=S.AWAITING_CHANNEL, channel=Channel.AUCTION, failed_rounds=1,
                          last_start_price_fen=70_000_000)
NEGOTIATING = replace(NOTICE, state=S.NEGOTIATED_SALE, channel=Channel.NEGOTIATED_SALE, failed_rounds=2,
                      last_start_price_fen=56_000_000, negotiated_sale_ends_at=NOW + timedelta(days=20))
PUBLISH = dict(start_price_fen=70_000_000, deposit_share_ppm=100_000, encumbrances="none known")


def op(case, action, **params):
    """The operator takes an action now."""
    return wf.apply(case, action, role=Role.OPERATOR, now=params.pop("now", NOW), reason=params.pop("reason", ""),
                    rules=params.pop("rules", DEFAULT_RULES), **params)


def test_a_first_auction_below_70_percent_of_the_appraisal_is_refused_with_the_floor_in_yuan():
    with pytest.raises(wf.StartPriceTooLow, match=r"70%.*¥700,000\.00"):
        op(NOTICE, A.OPEN_AUCTION, start_price_fen=69_999_999)
    assert op(NOTICE, A.OPEN_AUCTION, start_price_fen=70_000_000).to_state == S.AUCTION


def test_a_re_auction_may_cut_the_previous_start_by_at_most_20_percent():
    with pytest.raises(wf.PriceCutTooDeep, match=r"20%.*¥560,000\.00"):
        op(AFTER_ONE_ROUND, A.OPEN_AUCTION, start_price_fen=55_999_999)
    move = op(AFTER_ONE_ROUND, A.OPEN_AUCTION, start_price_fen=56_000_000)
    assert move.changes["last_start_price_fen"] == move.changes["list_price_fen"] == 56_000_000


def test_a_negotiated_sale_before_the_failed_rounds_is_refused():
    with pytest.raises(wf.NegotiatedSaleTooEarly, match="2 failed auction rounds; 1 have failed"):
        op(AFTER_ONE_ROUND, A.START_NEGOTIATED_SALE)
    with pytest.raises(wf.NegotiatedSaleTooEarly):
        op(NOTICE, A.START_NEGOTIATED_SALE)


def test_a_negotiated_sale_is_at_no_less_than_the_last_starting_price():
    with pytest.raises(wf.NegotiatedPriceTooLow, match=r"¥560,000\.00"):
        op(NEGOTIATING, A.NEGOTIATED_SALE_AGREED, price_fen=55_999_999, buyer_name="买方")
    move = op(NEGOTIATING, A.NEGOTIATED_SALE_AGREED, price_fen=56_000_000, buyer_name="买方")
    assert move.to_state == S.AWAITING_PAYMENT
    assert move.changes["payment_due_at"] == NOW + timedelta(days=DEFAULT_RULES.winner_payment_days)


def test_a_negotiated_sale_needs_a_buyer_and_cannot_be_agreed_after_its_period():
    with pytest.raises(wf.BuyerMissing):
        op(NEGOTIATING, A.NEGOTIATED_SALE_AGREED, price_fen=56_000_000, buyer_name="  ")
    with pytest.raises(wf.DeadlinePassed):
        op(NEGOTIATING, A.NEGOTIATED_SALE_AGREED, price_fen=56_000_000, buyer_name="买方",
           now=NOW + timedelta(days=21))


def test_licensing_after_an_auction_waits_for_the_rounds_and_the_negotiated_sale():
    with pytest.raises(wf.ChannelOutOfOrder, match="after the 2 auction rounds and the negotiated sale"):
        op(AFTER_ONE_ROUND, A.START_LICENSING)
    lapsed = replace(NEGOTIATING, state=S.AWAITING_CHANNEL, negotiated_sale_lapsed_at=NOW)
    assert op(lapsed, A.START_CONVERSION).to_state == S.CONVERSION
    with pytest.raises(wf.AuctionRoundsExhausted):
        op(lapsed, A.OPEN_AUCTION, start_price_fen=56_000_000)


def test_no_channel_opens_while_the_notice_runs_and_the_refusal_carries_its_end():
    running = replace(NOTICE, notice_ends_at=datetime(2026, 12, 22, 2, 0, tzinfo=UTC))
    for action in (A.OPEN_AUCTION, A.START_LICENSING, A.START_CONVERSION, A.START_CLAIM_TRANSFER):
        with pytest.raises(wf.NoticePeriodRunning) as refused:
            op(running, action, start_price_fen=70_000_000)
        assert refused.value.params == {"ends_at": running.notice_ends_at}


def test_an_old_valuation_must_be_redone_before_publishing_or_auctioning():
    with pytest.raises(wf.ValuationStale):
        op(replace(VALUED, state=S.VERIFIED), A.RECORD_VALUATION, appraised_value_fen=1, report_ref="R",
           valued_on=date(2025, 11, 1))
    later = NOW + timedelta(days=400)
    with pytest.raises(wf.ValuationStale):
        op(VALUED, A.PUBLISH_NOTICE, now=later, **PUBLISH)
    with pytest.raises(wf.ValuationStale):
        op(NOTICE, A.OPEN_AUCTION, now=later, start_price_fen=70_000_000)
    redone = op(NOTICE, A.RECORD_VALUATION, now=later, appraised_value_fen=90_000_000, report_ref="R2",
                valued_on=later.date())
    assert redone.to_state == S.VALUED
    assert redone.changes["listed"] is False  # out of the catalogue until the notice is published again


def test_a_valuation_needs_a_value_a_report_and_a_date_not_in_the_future():
    verified = replace(VALUED, state=S.VERIFIED)
    with pytest.raises(wf.ValuationMissing, match="appraised value, the appraisal report reference and its date"):
        op(verified, A.RECORD_VALUATION, appraised_value_fen=90_000_000, report_ref="", valued_on=date(2026, 11, 1))
    with pytest.raises(wf.ValuationMissing, match="future"):
        op(verified, A.RECORD_VALUATION, appraised_value_fen=90_000_000, report_ref="R", valued_on=date(2026, 12, 1))


def test_the_review_needs_every_check_valid_rights_and_every_consent():
    review = CaseFacts(S.UNDER_REVIEW, co_owner_consents=frozenset({"清华大学"}))
    with pytest.raises(wf.ReviewIncomplete, match="legal status, co owner consent"):
        op(review, A.VERIFY, checks=("title", "pledge_registration", "pledgee_consent"))
    checks = dict(checks=wf.REVIEW_CHECKS)
    with pytest.raises(wf.LegalStatusNotValid, match="ZL201810001234.5"):
        op(review, A.VERIFY, lapsed_assets=["ZL201810001234.5"], **checks)
    with pytest.raises(wf.CoOwnerConsentMissing, match="北京大学"):
        op(review, A.VERIFY, co_owners=["清华大学", "北京大学"], **checks)
    with pytest.raises(wf.PledgeeConsentMissing, match="art. 444"):
        op(replace(review, pledgee_consent=False), A.VERIFY, **checks)
    assert op(review, A.VERIFY, co_owners=["清华大学"], **checks).to_state == S.VERIFIED


def test_the_notice_must_disclose_encumbrances_holders_and_a_deposit_in_range():
    with pytest.raises(wf.DisclosureIncomplete):
        op(VALUED, A.PUBLISH_NOTICE, **dict(PUBLISH, encumbrances=" "))
    with pytest.raises(wf.FirstRefusalHolderMissing, match="清华大学"):
        op(VALUED, A.PUBLISH_NOTICE, co_owners=["清华大学"], **PUBLISH)
    with pytest.raises(wf.DepositOutOfRange, match="5% and 20%"):
        op(VALUED, A.PUBLISH_NOTICE, **dict(PUBLISH, deposit_share_ppm=250_000))
    with pytest.raises(wf.NoticeTooShort, match="30 days"):
        op(VALUED, A.PUBLISH_NOTICE, notice_days=20, **PUBLISH)
    with pytest.raises(wf.StartPriceTooLow):
        op(VALUED, A.PUBLISH_NOTICE, **dict(PUBLISH, start_price_fen=60_000_000))
    move = op(VALUED, A.PUBLISH_NOTICE, co_owners=["清华大学"], first_refusal_holders=["清华大学"], notice_days=45,
              **PUBLISH)
    assert move.changes["notice_ends_at"] == NOW + timedelta(days=45) == move.changes["due_at"]
    assert move.changes["listed"] is True


@pytest.mark.parametrize("action", [A.RETURN_TO_BANK, A.REJECT])
def test_returning_or_rejecting_a_filing_needs_a_reason(action):
    with pytest.raises(wf.ReasonRequired):
        op(CaseFacts(S.UNDER_REVIEW), action, reason="   ")


def test_suspending_resuming_and_withdrawing_need_a_reason_and_withdrawing_an_amount():
    with pytest.raises(wf.ReasonRequired):
        op(NOTICE, A.SUSPEND)
    with pytest.raises(wf.WithdrawalAmountMissing):
        op(NOTICE, A.WITHDRAW, reason="The debtor paid.")
    assert op(NOTICE, A.WITHDRAW, reason="The debtor paid.", paid_by_debtor_fen=1).changes["listed"] is False


def test_a_disposal_without_a_result_cannot_complete_or_be_settled():
    licensing = replace(NOTICE, state=S.LICENSING, channel=Channel.LICENSING)
    with pytest.raises(wf.ResultMissing):
        op(licensing, A.LICENCE_GRANTED)
    # a channel may write the result on the case first and then move it
    assert op(replace(licensing, recovery_fen=0), A.LICENCE_GRANTED).to_state == S.DISPOSED
    with pytest.raises(wf.ResultMissing):
        op(replace(NOTICE, state=S.DISPOSED), A.SETTLE)


def test_a_winning_price_is_required_and_never_below_the_start():
    auction = replace(NOTICE, state=S.AUCTION, channel=Channel.AUCTION, last_start_price_fen=70_000_000)
    with pytest.raises(wf.ResultMissing):
        op(auction, A.AUCTION_WON)
    with pytest.raises(wf.PriceBelowStart, match=r"¥700,000\.00"):
        op(auction, A.AUCTION_WON, price_fen=69_000_000)


def test_a_negotiated_sale_lapses_only_once_its_period_has_run():
    with pytest.raises(wf.DeadlineNotReached):
        wf.apply(NEGOTIATING, A.NEGOTIATED_SALE_LAPSED, role=Role.SYSTEM, now=NOW)
    move = wf.apply(NEGOTIATING, A.NEGOTIATED_SALE_LAPSED, role=Role.SYSTEM, now=NOW + timedelta(days=20))
    assert move.to_state == S.AWAITING_CHANNEL


@pytest.mark.parametrize(("role", "action", "case"), [
    (Role.BANK, A.VERIFY, CaseFacts(S.UNDER_REVIEW)),
    (Role.BANK, A.START_REVIEW, CaseFacts(S.FILED)),
    (Role.SYSTEM, A.VERIFY, CaseFacts(S.UNDER_REVIEW)),
    (Role.SYSTEM, A.PUBLISH_NOTICE, VALUED),
    (Role.GUARANTOR, A.WITHDRAW, CaseFacts(S.FILED)),
    (Role.OPERATOR, A.RESUBMIT, CaseFacts(S.RETURNED)),
    (Role.BUREAU, A.SUSPEND, CaseFacts(S.FILED)),
])
def test_a_role_that_may_not_take_an_action_is_refused(role, action, case):
    with pytest.raises(wf.NotYourAction):
        wf.apply(case, action, role=role, now=NOW, reason="r", checks=wf.REVIEW_CHECKS, paid_by_debtor_fen=1,
                 **PUBLISH)


def test_every_rule_number_is_a_setting_of_the_trading_centre():
    rules = DEFAULT_RULES.with_overrides(min_start_share=Fraction(1, 2), failed_rounds_before_negotiated_sale=3,
                                         notice_days=45, negotiated_sale_days=30, max_price_cut=Fraction(1, 2))
    assert op(NOTICE, A.OPEN_AUCTION, start_price_fen=50_000_000, rules=rules).to_state == S.AUCTION
    assert op(AFTER_ONE_ROUND, A.OPEN_AUCTION, start_price_fen=35_000_000, rules=rules).to_state == S.AUCTION
    second = replace(AFTER_ONE_ROUND, failed_rounds=2)
    with pytest.raises(wf.NegotiatedSaleTooEarly, match="3 failed"):
        op(second, A.START_NEGOTIATED_SALE, rules=rules)
    third = replace(second, state=S.AUCTION)
    move = wf.apply(third, A.AUCTION_FAILED, role=Role.SYSTEM, now=NOW, rules=rules)
    assert move.changes["negotiated_sale_ends_at"] == NOW + timedelta(days=30)
    published = op(VALUED, A.PUBLISH_NOTICE, rules=rules, **PUBLISH)
    assert published.changes["notice_ends_at"] == NOW + timedelta(days=45)


def test_resuming_a_case_pushes_its_running_deadline_back_by_the_pause():
    suspended_at = NOW - timedelta(days=10)
    paused = replace(NEGOTIATING, state=S.SUSPENDED, suspended_from=S.NEGOTIATED_SALE, suspended_at=suspended_at)
    move = op(paused, A.RESUME, reason="The court dismissed the claim.")
    assert move.to_state == S.NEGOTIATED_SALE
    assert move.changes["negotiated_sale_ends_at"] == NEGOTIATING.negotiated_sale_ends_at + timedelta(days=10)
    assert move.changes["suspended_from"] is None


def test_a_published_case_stays_listed_while_suspended_and_an_unpublished_one_is_not():
    assert op(NOTICE, A.SUSPEND, reason="dispute").changes["listed"] is True
    assert op(CaseFacts(S.FILED), A.SUSPEND, reason="dispute").changes["listed"] is False


LOAN = PledgedLoan(defaulted=True, principal_fen=100_000_000, pledge_registration="Y2024001", pledge_released=False,
                   pledged_assets={1: ("ZL1", ("清华大学",)), 2: ("ZL2", ())})
FILING = Filing(asset_ids=(1, 2), principal_outstanding_fen=90_000_000, unpaid_interest_fen=1_000_000,
                costs_so_far_fen=0, pledgee_consent=True, co_owner_consents=("清华大学",))


@pytest.mark.parametrize(("loan", "filing", "error"), [
    (replace(LOAN, defaulted=False), FILING, LoanNotDefaulted),
    (replace(LOAN, pledge_released=True), FILING, PledgeNotRegistered),
    (LOAN, replace(FILING, asset_ids=()), NoAssetsChosen),
    (LOAN, replace(FILING, asset_ids=(1, 3)), AssetNotPledged),
    (LOAN, replace(FILING, principal_outstanding_fen=100_000_001), ClaimExceedsLoan),
    (LOAN, replace(FILING, pledgee_consent=False), wf.PledgeeConsentMissing),
    (LOAN, replace(FILING, co_owner_consents=()), wf.CoOwnerConsentMissing),
])
def test_a_filing_that_breaks_a_rule_is_refused_by_name(loan, filing, error):
    with pytest.raises(error):
        check_filing(loan, filing)


def test_a_complete_filing_passes_and_a_co_owner_of_an_asset_left_out_needs_no_consent():
    check_filing(LOAN, FILING)
    check_filing(LOAN, replace(FILING, asset_ids=(2,), co_owner_consents=()))
