"""What the case pages share: words for states and actions, the centre's rules, the role a page needs."""

from __future__ import annotations

from flask import Blueprint, current_app
from flask_babel import lazy_gettext as _l

from market.domain.roles import Role
from market.domain.rules import DEFAULT_RULES, DisposalRules
from market.domain.workflow import REVIEW_CHECKS, CaseState, Channel, SuspensionGrounds
from market.models import IPKind, LegalStatus
from market.services.access import require_role
from market.web.context import user

STATE_NAMES = {
    CaseState.FILED: _l("Filed"),
    CaseState.UNDER_REVIEW: _l("Under review"),
    CaseState.RETURNED: _l("Returned to the bank"),
    CaseState.REJECTED: _l("Rejected"),
    CaseState.VERIFIED: _l("Verified"),
    CaseState.VALUED: _l("Valued"),
    CaseState.NOTICE_PUBLISHED: _l("Notice published"),
    CaseState.AUCTION: _l("In auction"),
    CaseState.AWAITING_CHANNEL: _l("Awaiting the next channel"),
    CaseState.NEGOTIATED_SALE: _l("Negotiated sale"),
    CaseState.LICENSING: _l("Licensing"),
    CaseState.CONVERSION: _l("Debt-to-equity conversion"),
    CaseState.CLAIM_TRANSFER: _l("Claim transfer"),
    CaseState.AWAITING_PAYMENT: _l("Awaiting payment"),
    CaseState.DISPOSED: _l("Disposed of"),
    CaseState.SETTLED: _l("Settled"),
    CaseState.TRANSFER_RECORDED: _l("Transfer recorded"),
    CaseState.CLOSED: _l("Closed"),
    CaseState.WITHDRAWN: _l("Withdrawn"),
    CaseState.SUSPENDED: _l("Suspended"),
}
STATE_BADGES = {
    CaseState.AUCTION: "live", CaseState.NEGOTIATED_SALE: "live", CaseState.LICENSING: "live",
    CaseState.CONVERSION: "live", CaseState.CLAIM_TRANSFER: "live", CaseState.NOTICE_PUBLISHED: "warn",
    CaseState.AWAITING_PAYMENT: "warn", CaseState.DISPOSED: "ok", CaseState.SETTLED: "ok",
    CaseState.TRANSFER_RECORDED: "ok", CaseState.CLOSED: "ok", CaseState.REJECTED: "bad",
    CaseState.WITHDRAWN: "bad", CaseState.SUSPENDED: "bad", CaseState.RETURNED: "warn",
}
ACTION_NAMES = {
    "file": _l("Filed by the bank"),
    "start_review": _l("Review started"),
    "return_to_bank": _l("Returned to the bank"),
    "resubmit": _l("Resubmitted by the bank"),
    "reject": _l("Rejected"),
    "verify": _l("Title, pledge, legal status and consents verified"),
    "request_valuation": _l("Valuation requested from the appraisal agency"),
    "record_valuation": _l("Valuation recorded"),
    "publish_notice": _l("Notice published"),
    "open_auction": _l("Auction round opened"),
    "auction_failed": _l("Auction round failed"),
    "auction_won": _l("Auction won"),
    "buyer_paid": _l("Buyer paid"),
    "buyer_defaulted": _l("Buyer did not pay"),
    "second_bidder_accepted": _l("Second bidder accepted the lot"),
    "start_negotiated_sale": _l("Negotiated sale opened"),
    "negotiated_sale_agreed": _l("Negotiated sale agreed"),
    "negotiated_sale_lapsed": _l("Negotiated sale lapsed"),
    "start_licensing": _l("Licensing opened"),
    "licence_granted": _l("Licence granted"),
    "licensing_failed": _l("Licensing failed"),
    "start_conversion": _l("Debt-to-equity conversion opened"),
    "conversion_executed": _l("Conversion executed"),
    "conversion_abandoned": _l("Conversion abandoned"),
    "start_claim_transfer": _l("Claim transfer opened"),
    "claim_transferred": _l("Claim transferred"),
    "claim_transfer_failed": _l("Claim transfer failed"),
    "settle": _l("Settled"),
    "record_transfer": _l("Transfer recorded with the IP office"),
    "close": _l("Closed"),
    "withdraw": _l("Withdrawn: the debtor paid"),
    "suspend": _l("Suspended"),
    "resume": _l("Resumed"),
    "first_refusal_holder_linked": _l("First-refusal holder linked to an institution"),
    "first_refusal_holder_invited": _l("First-refusal holder invited to register"),
    "later_recovery": _l("Later recovery recorded"),
    "claims_paused": _l("No compensation drafted: the bank is over the stop-loss line"),
}
CHANNEL_NAMES = {
    Channel.AUCTION: _l("Auction"),
    Channel.NEGOTIATED_SALE: _l("Negotiated sale"),
    Channel.LICENSING: _l("Licensing"),
    Channel.CONVERSION: _l("Debt-to-equity conversion"),
    Channel.CLAIM_TRANSFER: _l("Claim transfer"),
}
KIND_NAMES = {
    IPKind.PATENT: _l("Patent"),
    IPKind.TRADEMARK: _l("Trademark"),
    IPKind.COPYRIGHT: _l("Copyright"),
    IPKind.GEOGRAPHICAL_INDICATION: _l("Geographical indication"),
    IPKind.IC_LAYOUT: _l("IC layout design"),
}
LEGAL_STATUS_NAMES = {
    LegalStatus.VALID: _l("In force"),
    LegalStatus.LAPSED: _l("Lapsed"),
    LegalStatus.INVALIDATED: _l("Invalidated"),
    LegalStatus.DISPUTED: _l("Disputed"),
}
CHECK_NAMES = dict(zip(REVIEW_CHECKS, (
    _l("Title: the borrower owns the rights"),
    _l("Pledge registration with the IP office"),
    _l("Legal status: in force, fees paid"),
    _l("Co-owners' consent on file"),
    _l("Pledgee's consent (Civil Code art. 444)"),
), strict=True))
GROUNDS_NAMES = {
    SuspensionGrounds.LEGAL_STATUS_LAPSED: _l("Legal status lapsed"),
    SuspensionGrounds.DISPUTE: _l("Ownership or validity dispute"),
    SuspensionGrounds.COURT_ORDER: _l("Court order"),
    SuspensionGrounds.OTHER: _l("Other"),
}


def _name(table: dict, value) -> str:
    if value is None or value == "":
        return "—"
    for key, label in table.items():
        if str(key) == str(value):
            return str(label)
    return str(value).replace("_", " ")


def register_filters(bp: Blueprint) -> None:
    """Template filters for the case pages (app-wide, so every area can show a case's state)."""
    bp.add_app_template_filter(lambda v: _name(STATE_NAMES, v), "case_state")
    bp.add_app_template_filter(lambda v: STATE_BADGES.get(CaseState(str(v)), "") if v else "", "state_badge")
    bp.add_app_template_filter(lambda v: _name(ACTION_NAMES, v), "case_action")
    bp.add_app_template_filter(lambda v: _name(CHANNEL_NAMES, v), "channel_name")
    bp.add_app_template_filter(lambda v: _name(KIND_NAMES, v), "ip_kind")
    bp.add_app_template_filter(lambda v: _name(LEGAL_STATUS_NAMES, v), "legal_status")
    bp.add_app_template_filter(lambda v: _name(CHECK_NAMES, v), "review_check")
    bp.add_app_template_filter(lambda v: _name(GROUNDS_NAMES, v), "grounds")


def disposal_rules() -> DisposalRules:
    """The trading centre's rules: the defaults, with any overrides in the DISPOSAL_RULES setting."""
    configured = current_app.config.get("DISPOSAL_RULES")
    if isinstance(configured, DisposalRules):
        return configured
    return DEFAULT_RULES.with_overrides(**configured) if configured else DEFAULT_RULES


def require(*roles: Role):
    """The signed-in user if they have one of the roles; 403 otherwise."""
    me = user()
    require_role(me, *roles)  # Forbidden: the page handler answers 403
    return me
