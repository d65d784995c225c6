"""The rules of each workflow action: a guard checks them and returns (next state, changed fields)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction

from market.domain.case_errors import (
    ActionNotAllowed,
    AgreedPriceMissing,
    AuctionRoundsExhausted,
    BuyerMissing,
    ChannelOutOfOrder,
    CoOwnerConsentMissing,
    DeadlineNotReached,
    DeadlinePassed,
    DepositNotStated,
    EncumbrancesNotDisclosed,
    FirstRefusalHolderMissing,
    LegalStatusNotValid,
    NegotiatedPriceTooLow,
    NegotiatedSaleOver,
    NegotiatedSaleTooEarly,
    NoPriceToPay,
    NothingToSettle,
    NoticePeriodRunning,
    PledgeeConsentMissing,
    PriceBelowStart,
    ResultMissing,
    ReviewIncomplete,
    StartPriceMissing,
    SuspendedFromUnknown,
    ValuationInFuture,
    ValuationMissing,
    ValuationStale,
    ValuationTooOld,
    WinningPriceMissing,
    WithdrawalAmountMissing,
)
from market.domain.case_states import REVIEW_CHECKS, CaseAction, CaseFacts, CaseState, Channel
from market.domain.rules import (
    DepositOutOfRange,
    DisposalRules,
    NoticeTooShort,
    PriceCutTooDeep,
    StartPriceTooLow,
    check_start_price,
    deposit_range_fen,
    min_first_start_fen,
    min_next_start_fen,
)

S, A = CaseState, CaseAction


def _resubmit(case, target, *, now, rules, **_):
    return target, {"checks": frozenset()}


def _verify(case, target, *, now, rules, checks=(), co_owners=(), lapsed_assets=(), **_):
    missing = [c for c in REVIEW_CHECKS if c not in set(checks) | case.checks]
    if missing:
        raise ReviewIncomplete(checks=missing)
    if lapsed_assets:
        raise LegalStatusNotValid(assets=sorted(lapsed_assets))
    if not case.pledgee_consent:
        raise PledgeeConsentMissing()
    without = sorted(set(co_owners) - case.co_owner_consents)
    if without:
        raise CoOwnerConsentMissing(names=without)
    return target, {"checks": frozenset(REVIEW_CHECKS)}


def _valuation_is_fresh(valued_on: date | None, now: datetime, rules: DisposalRules) -> bool:
    return valued_on is not None and now.date() - valued_on <= timedelta(days=rules.valuation_max_age_days)


def _record_valuation(case, target, *, now, rules, appraised_value_fen=None, report_ref="", valued_on=None,
                      appraiser_id=None, **_):
    if not appraised_value_fen or appraised_value_fen <= 0 or not (report_ref or "").strip() or valued_on is None:
        raise ValuationMissing()
    if valued_on > now.date():
        raise ValuationInFuture()
    if not _valuation_is_fresh(valued_on, now, rules):
        raise ValuationStale(valued_on=valued_on, max_age_days=rules.valuation_max_age_days)
    changes = {"appraised_value_fen": appraised_value_fen, "valuation_report_ref": report_ref.strip(),
               "valued_on": valued_on}
    if appraiser_id is not None:
        changes["appraiser_id"] = appraiser_id
    return target, changes


def _check_round_price(case: CaseFacts, start_price_fen: int | None, rules: DisposalRules) -> None:
    """The first-round floor and the re-auction cut limit, with the figures in yuan."""
    if start_price_fen is None or start_price_fen <= 0:
        raise StartPriceMissing()
    if case.last_start_price_fen is None:
        floor = min_first_start_fen(case.appraised_value_fen or 0, rules)
        if start_price_fen < floor:
            raise StartPriceTooLow(min_share=rules.min_start_share, minimum_fen=floor)
    else:
        floor = min_next_start_fen(case.last_start_price_fen, rules)
        if start_price_fen < floor:
            raise PriceCutTooDeep(max_cut=rules.max_price_cut, minimum_fen=floor)
    check_start_price(start_price_fen, appraised_value_fen=case.appraised_value_fen or 0,
                      previous_start_fen=case.last_start_price_fen, rules=rules)


def _publish_notice(case, target, *, now, rules, start_price_fen=None, deposit_share_ppm=None,
                    encumbrances="", first_refusal_holders=(), co_owners=(), notice_days=None, **_):
    if not _valuation_is_fresh(case.valued_on, now, rules):
        raise ValuationTooOld()
    if not (encumbrances or "").strip():
        raise EncumbrancesNotDisclosed()
    named = {name.strip() for name in first_refusal_holders}
    unnamed = sorted(set(co_owners) - named)
    if unnamed:
        raise FirstRefusalHolderMissing(names=unnamed)
    days = rules.notice_days if notice_days is None else notice_days
    if days < rules.notice_days:
        raise NoticeTooShort(days=rules.notice_days)
    if case.failed_rounds < rules.failed_rounds_before_negotiated_sale:
        _check_round_price(case, start_price_fen, rules)
    else:  # rounds exhausted: the notice announces the negotiated sale at the last price
        start_price_fen = case.last_start_price_fen
    if start_price_fen is None:
        raise StartPriceMissing()
    if deposit_share_ppm is None:
        raise DepositNotStated()
    if not rules.min_deposit_share <= Fraction(deposit_share_ppm, 1_000_000) <= rules.max_deposit_share:
        low, high = deposit_range_fen(start_price_fen, rules)
        raise DepositOutOfRange(low_share=rules.min_deposit_share, high_share=rules.max_deposit_share,
                                low_fen=low, high_fen=high)
    return target, {"notice_published_at": now, "notice_ends_at": now + timedelta(days=days),
                    "list_price_fen": start_price_fen, "deposit_share_ppm": deposit_share_ppm,
                    "encumbrances": encumbrances.strip()}


def channel_opens_at(notice_ends_at: datetime | None, now: datetime) -> datetime | None:
    """When the public notice lets a channel open: None once it has run, else the end of the notice period."""
    return notice_ends_at if notice_ends_at is not None and now < notice_ends_at else None


def _notice_has_run(case: CaseFacts, now: datetime) -> None:
    if channel_opens_at(case.notice_ends_at, now) is not None:
        raise NoticePeriodRunning(ends_at=case.notice_ends_at)


def _open_auction(case, target, *, now, rules, start_price_fen=None, due_at=None, **_):
    _notice_has_run(case, now)
    if case.failed_rounds >= rules.failed_rounds_before_negotiated_sale:
        raise AuctionRoundsExhausted(failed=case.failed_rounds)
    if not _valuation_is_fresh(case.valued_on, now, rules):
        raise ValuationTooOld()
    _check_round_price(case, start_price_fen, rules)
    return target, {"last_start_price_fen": start_price_fen, "list_price_fen": start_price_fen,
                    "channel": Channel.AUCTION, "due_at": due_at}


def _enter_negotiated_sale(case: CaseFacts, now: datetime, rules: DisposalRules) -> dict:
    return {"channel": Channel.NEGOTIATED_SALE, "list_price_fen": case.last_start_price_fen,
            "negotiated_sale_ends_at": now + timedelta(days=rules.negotiated_sale_days)}


def _round_failed(case, target, *, now, rules, **_):
    failed = case.failed_rounds + 1
    if failed >= rules.failed_rounds_before_negotiated_sale:
        return S.NEGOTIATED_SALE, {"failed_rounds": failed, **_enter_negotiated_sale(case, now, rules)}
    return S.AWAITING_CHANNEL, {"failed_rounds": failed}


def _sale_agreed(case, *, now, rules, price_fen, buyer_institution_id, buyer_name, payment_due_at) -> dict:
    return {"sale_price_fen": price_fen, "buyer_institution_id": buyer_institution_id,
            "buyer_name": (buyer_name or "").strip(),
            "payment_due_at": payment_due_at or now + timedelta(days=rules.winner_payment_days)}


def _auction_won(case, target, *, now, rules, price_fen=None, buyer_institution_id=None, buyer_name="",
                 payment_due_at=None, **_):
    if price_fen is None or price_fen <= 0:
        raise WinningPriceMissing()
    if case.last_start_price_fen is not None and price_fen < case.last_start_price_fen:
        raise PriceBelowStart(starting_price_fen=case.last_start_price_fen)
    return target, _sale_agreed(case, now=now, rules=rules, price_fen=price_fen, buyer_name=buyer_name,
                                buyer_institution_id=buyer_institution_id, payment_due_at=payment_due_at)


def _second_bidder_accepted(case, target, *, now, rules, price_fen=None, buyer_institution_id=None,
                            payment_due_at=None, **_):
    if case.channel != Channel.AUCTION:
        raise ActionNotAllowed(action=A.SECOND_BIDDER_ACCEPTED, state=case.state)
    return _auction_won(case, target, now=now, rules=rules, price_fen=price_fen,
                        buyer_institution_id=buyer_institution_id, payment_due_at=payment_due_at)


def _buyer_paid(case, target, *, now, rules, **_):
    price = case.sale_price_fen if case.sale_price_fen is not None else case.recovery_fen
    if price is None:
        raise NoPriceToPay()
    return target, {"recovery_fen": price, "disposed_at": now, "payment_due_at": None}


def _buyer_defaulted(case, target, *, now, rules, **_):
    cleared = {"sale_price_fen": None, "buyer_institution_id": None, "buyer_name": "", "payment_due_at": None}
    if case.channel != Channel.NEGOTIATED_SALE:
        target, changes = _round_failed(case, target, now=now, rules=rules)
        return target, {**cleared, **changes}
    if case.negotiated_sale_ends_at is not None and now < case.negotiated_sale_ends_at:
        return S.NEGOTIATED_SALE, cleared  # the window is still open: look for another buyer
    return S.AWAITING_CHANNEL, {**cleared, "negotiated_sale_lapsed_at": now}


def _start_negotiated_sale(case, target, *, now, rules, **_):
    _notice_has_run(case, now)
    if case.failed_rounds < rules.failed_rounds_before_negotiated_sale:
        raise NegotiatedSaleTooEarly(required=rules.failed_rounds_before_negotiated_sale, failed=case.failed_rounds)
    if case.negotiated_sale_lapsed_at is not None:
        raise NegotiatedSaleOver()
    return target, _enter_negotiated_sale(case, now, rules)


def _negotiated_sale_agreed(case, target, *, now, rules, price_fen=None, buyer_name="",
                            buyer_institution_id=None, **_):
    if case.negotiated_sale_ends_at is not None and now >= case.negotiated_sale_ends_at:
        raise DeadlinePassed()
    if not (buyer_name or "").strip() and buyer_institution_id is None:
        raise BuyerMissing()
    if price_fen is None or price_fen <= 0:
        raise AgreedPriceMissing()
    if case.last_start_price_fen is not None and price_fen < case.last_start_price_fen:
        raise NegotiatedPriceTooLow(minimum_fen=case.last_start_price_fen)
    return target, _sale_agreed(case, now=now, rules=rules, price_fen=price_fen, buyer_name=buyer_name,
                                buyer_institution_id=buyer_institution_id, payment_due_at=None)


def _negotiated_sale_lapsed(case, target, *, now, rules, **_):
    if case.negotiated_sale_ends_at is not None and now < case.negotiated_sale_ends_at:
        raise DeadlineNotReached(ends_at=case.negotiated_sale_ends_at)
    return target, {"negotiated_sale_lapsed_at": now}


def _enter_channel(channel: Channel):
    def guard(case, target, *, now, rules, due_at=None, **_):
        _notice_has_run(case, now)
        if case.failed_rounds > 0 and case.negotiated_sale_lapsed_at is None:
            raise ChannelOutOfOrder(rounds=rules.failed_rounds_before_negotiated_sale)
        return target, {"channel": channel, "due_at": due_at}

    return guard


def _channel_result(case, target, *, now, rules, recovery_fen=None, buyer_institution_id=None, buyer_name="",
                    **_):
    if recovery_fen is None:  # a channel may have written its result on the case before moving it
        recovery_fen = case.recovery_fen
    if recovery_fen is None or recovery_fen < 0:
        raise ResultMissing()
    changes = {"recovery_fen": recovery_fen, "disposed_at": case.disposed_at or now}
    if buyer_institution_id is not None or buyer_name:
        changes.update(buyer_institution_id=buyer_institution_id, buyer_name=(buyer_name or "").strip())
    return target, changes


def _settle(case, target, *, now, rules, **_):
    if case.recovery_fen is None or case.disposed_at is None:
        raise NothingToSettle()
    return target, {"settled_at": now}


def _stamp(name: str):
    def guard(case, target, *, now, rules, **_):
        return target, {name: now}

    return guard


def _withdraw(case, target, *, now, rules, paid_by_debtor_fen=None, **_):
    if not paid_by_debtor_fen or paid_by_debtor_fen <= 0:
        raise WithdrawalAmountMissing()
    return target, {"withdrawn_amount_fen": paid_by_debtor_fen, "suspended_from": None, "suspended_at": None}


def _suspend(case, target, *, now, rules, **_):
    return target, {"suspended_from": case.state, "suspended_at": now}


def _resume(case, target, *, now, rules, **_):
    if case.suspended_from is None:
        raise SuspendedFromUnknown()
    # deadlines that were still running when the case was paused are pushed back by the pause
    paused = now - case.suspended_at if case.suspended_at is not None else timedelta(0)
    changes: dict = {"suspended_from": None, "suspended_at": None}
    for name in ("notice_ends_at", "negotiated_sale_ends_at", "payment_due_at", "due_at"):
        value = getattr(case, name)
        if value is not None and case.suspended_at is not None and value > case.suspended_at:
            changes[name] = value + paused
    return case.suspended_from, changes


GUARDS = {
    A.RESUBMIT: _resubmit,
    A.VERIFY: _verify,
    A.RECORD_VALUATION: _record_valuation,
    A.PUBLISH_NOTICE: _publish_notice,
    A.OPEN_AUCTION: _open_auction,
    A.AUCTION_FAILED: _round_failed,
    A.AUCTION_WON: _auction_won,
    A.BUYER_PAID: _buyer_paid,
    A.BUYER_DEFAULTED: _buyer_defaulted,
    A.SECOND_BIDDER_ACCEPTED: _second_bidder_accepted,
    A.START_NEGOTIATED_SALE: _start_negotiated_sale,
    A.NEGOTIATED_SALE_AGREED: _negotiated_sale_agreed,
    A.NEGOTIATED_SALE_LAPSED: _negotiated_sale_lapsed,
    A.START_LICENSING: _enter_channel(Channel.LICENSING),
    A.START_CONVERSION: _enter_channel(Channel.CONVERSION),
    A.START_CLAIM_TRANSFER: _enter_channel(Channel.CLAIM_TRANSFER),
    A.LICENCE_GRANTED: _channel_result,
    A.CONVERSION_EXECUTED: _channel_result,
    A.CLAIM_TRANSFERRED: _channel_result,
    A.SETTLE: _settle,
    A.RECORD_TRANSFER: _stamp("transfer_recorded_at"),
    A.CLOSE: _stamp("closed_at"),
    A.WITHDRAW: _withdraw,
    A.SUSPEND: _suspend,
    A.RESUME: _resume,
}
