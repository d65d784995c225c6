"""A notice in the reader's words: its type's name and one sentence from its payload (also used by e-mail).

Payload keys by convention (what each service puts in): `title` (the lot), `case_no`, `round_no`, `price_fen`,
`minimum_fen`, `amount_fen`, `ends_at`, `due_at` (a moment, or a day as YYYY-MM-DD), `from_state`, `to_state`,
`status`, `reason`; ids of what it is about (`auction_id`). Amounts and times are worded as on every page (¥,
Beijing time), states and codes by their labels.
"""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from market.domain.case_states import CaseState
from market.domain.notices import NoticeType
from market.domain.registry import RegistryStatus
from market.models import Notice
from market.web.audit_events import value_words
from market.web.labels import label, reason_text

NOTICE_NAMES = {
    NoticeType.OUTBID: _l("Outbid"),
    NoticeType.ROUND_EXTENDED: _l("Round extended"),
    NoticeType.ROUND_CLOSING_SOON: _l("Round closing within the hour"),
    NoticeType.ROUND_WON: _l("You won"),
    NoticeType.ROUND_LOST: _l("Round closed: not won"),
    NoticeType.ROUND_FAILED: _l("Round failed (流拍)"),
    NoticeType.SECOND_BIDDER_OFFERED: _l("Lot offered to you as second bidder"),
    NoticeType.PAYMENT_DUE: _l("Payment due"),
    NoticeType.PAYMENT_OVERDUE: _l("Payment overdue"),
    NoticeType.DEPOSIT_REFUNDED: _l("Deposit refunded"),
    NoticeType.DEPOSIT_FORFEITED: _l("Deposit forfeited"),
    NoticeType.FIRST_REFUSAL_OPEN: _l("First-refusal window open"),
    NoticeType.CASE_STATE_CHANGED: _l("Case moved on"),
    NoticeType.CASE_ON_HOLD: _l("Case on hold"),
    NoticeType.RECORDAL_DUE: _l("Licence recordal due"),
    NoticeType.CLAIM_DRAFTED: _l("Compensation claim drafted"),
    NoticeType.CLAIM_FIRST_APPROVED: _l("Compensation claim approved (first approval)"),
    NoticeType.CLAIM_SECOND_APPROVED: _l("Compensation claim approved (second approval)"),
    NoticeType.CLAIM_PAID: _l("Compensation paid"),
    NoticeType.CLAIM_REDUCED: _l("Compensation claim reduced"),
    NoticeType.CLAIM_REJECTED: _l("Compensation claim rejected"),
    NoticeType.CLAIM_CLAWED_BACK: _l("Compensation clawed back"),
    NoticeType.WEBHOOK_DISABLED: _l("Webhook endpoint switched off"),
}

SENTENCES = {
    NoticeType.OUTBID: _l("You were outbid on %(title)s: the price is now %(price_fen)s; the next minimum bid is "
                          "%(minimum_fen)s."),
    NoticeType.ROUND_EXTENDED: _l("A late bid extended %(title)s: bidding now ends at %(ends_at)s."),
    NoticeType.ROUND_CLOSING_SOON: _l("Bidding on %(title)s ends at %(ends_at)s."),
    NoticeType.ROUND_WON: _l("You won %(title)s at %(price_fen)s; pay by %(due_at)s."),
    NoticeType.ROUND_LOST: _l("Bidding on %(title)s closed at %(price_fen)s; another bidder won."),
    NoticeType.ROUND_FAILED: _l("Bidding on %(title)s closed without a valid bid."),
    NoticeType.SECOND_BIDDER_OFFERED: _l("The winner of %(title)s did not pay: you may buy it at your last bid of "
                                         "%(price_fen)s; accept by %(due_at)s."),
    NoticeType.PAYMENT_DUE: _l("%(amount_fen)s for %(title)s is due by %(due_at)s."),
    NoticeType.PAYMENT_OVERDUE: _l("The payment for %(title)s was due by %(due_at)s and has not arrived."),
    NoticeType.DEPOSIT_REFUNDED: _l("Your deposit of %(amount_fen)s for %(title)s was refunded."),
    NoticeType.DEPOSIT_FORFEITED: _l("Your deposit of %(amount_fen)s for %(title)s was forfeited."),
    NoticeType.FIRST_REFUSAL_OPEN: _l("You may match %(price_fen)s for %(title)s until %(ends_at)s."),
    NoticeType.CASE_STATE_CHANGED: _l("Case %(case_no)s moved from “%(from_state)s” to “%(to_state)s”."),
    NoticeType.CASE_ON_HOLD: _l("Case %(case_no)s is on hold: the register shows “%(status)s”."),
    NoticeType.RECORDAL_DUE: _l("Record the licence of case %(case_no)s with the IP office by %(due_at)s."),
    NoticeType.CLAIM_DRAFTED: _l("A compensation claim of %(amount_fen)s on case %(case_no)s was drafted."),
    NoticeType.CLAIM_FIRST_APPROVED: _l("The compensation claim on case %(case_no)s passed its first approval "
                                        "(%(amount_fen)s); it waits for the second."),
    NoticeType.CLAIM_SECOND_APPROVED: _l("The compensation claim on case %(case_no)s was approved: %(amount_fen)s."),
    NoticeType.CLAIM_PAID: _l("The fund paid %(amount_fen)s on case %(case_no)s."),
    NoticeType.CLAIM_REDUCED: _l("The compensation claim on case %(case_no)s was reduced to %(amount_fen)s: "
                                 "%(reason)s"),
    NoticeType.CLAIM_REJECTED: _l("The compensation claim on case %(case_no)s was rejected: %(reason)s"),
    NoticeType.CLAIM_CLAWED_BACK: _l("%(amount_fen)s paid on case %(case_no)s was clawed back: %(reason)s"),
    NoticeType.WEBHOOK_DISABLED: _l("Deliveries to %(url)s failed %(failures)s times in a row (last: %(last_error)s), "
                                    "so the endpoint was switched off. Events wait for it: enable it again on its "
                                    "page once your system answers."),
}
_ENUMS = {"from_state": CaseState, "to_state": CaseState, "status": RegistryStatus}


# Where a notice's subject is read: the endpoint and its argument (the list links it, mail too).
SUBJECT_PAGES = {
    "case": ("cases.show", "case_id"),
    "auction": ("auctions.show", "auction_id"),
    "compensation_claim": ("settlement.claim", "claim_id"),
    "licence_round": ("channels.round_page", "round_id"),
    "licence": ("channels.licence_page", "licence_id"),
    "claim_listing": ("channels.claim_page", "listing_id"),
    "conversion_proposal": ("channels.proposal_page", "proposal_id"),
    "webhook_endpoint": ("webhooks.show", "endpoint_id"),
}


def subject_url(subject: str, subject_id: int) -> str:
    """The page of the record a notice is about."""
    endpoint, argument = SUBJECT_PAGES[subject]
    return url_for(endpoint, **{argument: subject_id})


def notice_name(notice: Notice) -> str:
    """The notice's type in the reader's words."""
    return str(NOTICE_NAMES[NoticeType(notice.type)])


def sentence(notice: Notice) -> str:
    """What happened, in one sentence in the reader's language."""
    values = {key: _words(notice.subject, key, value) for key, value in (notice.payload or {}).items()}
    template = str(SENTENCES[NoticeType(notice.type)])
    try:
        return template % _Missing(values)
    except (TypeError, ValueError):
        return template


def _words(subject: str, key: str, value: object) -> str:
    if key in _ENUMS and isinstance(value, str):
        try:
            return label(_ENUMS[key](value))
        except ValueError:
            return value
    if key == "reason":
        return reason_text(str(value))
    if key.endswith("_at") and isinstance(value, str) and len(value) == len("2026-01-31"):
        return format_date(date.fromisoformat(value))  # a day (a recordal deadline), not a moment
    return value_words(subject, key, value, {})


class _Missing(dict):
    """Formatting values where a key the sentence names but the payload lacks reads as a dash."""

    def __missing__(self, key: str) -> str:
        return "—"

