"""An audit event in the reader's words: what was done to which object, the states it moved between, and its
details with named fields and formatted values (¥, percentages, Beijing time, labels, institutions by name).

Events are immutable: they keep the codes and raw values they were written with, and are put into words here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from market.domain.auction import AuctionKind, AuctionStatus, DepositStatus
from market.domain.award_chain import FallBack
from market.domain.channels import ListingStatus, ProposalStatus, RoundStatus
from market.domain.confirmation import Party as SaleParty
from market.domain.confirmation import SignatureMethod
from market.domain.conversion import ConsentParty
from market.domain.data_room import Attendance, DocumentCategory, InspectionKind
from market.domain.ledger import BudgetLine
from market.domain.licensing import LicenceKind
from market.domain.loss import Layer
from market.domain.money import format_yuan
from market.domain.qualification import QualificationStatus
from market.domain.registry import HoldResolution, RegistryStatus
from market.domain.settlement import ClaimKind, ClaimState
from market.domain.workflow import REVIEW_CHECKS, CaseState, SuspensionGrounds
from market.models import AuditEvent, LegalStatus
from market.web import case_support
from market.web.labels import label, reason_text

# What each object's events are called: (object, action) → words. A case's own workflow actions are
# case_support.ACTION_NAMES; a test reads the services for every action they write and finds it here or there.
ACTION_NAMES = {
    ("auction", "auction_opened"): _l("Auction round opened"),
    ("auction", "first_refusal_opened"): _l("First-refusal window opened"),
    ("auction", "first_refusal_match"): _l("First-refusal holder matched the top bid"),
    ("auction", "first_refusal_decline"): _l("First-refusal holder declined"),
    ("auction", "auction_won"): _l("Auction won"),
    ("auction", "auction_paid"): _l("Winner paid"),
    ("auction", "winner_defaulted"): _l("Winner did not pay"),
    ("auction", "second_bidder_offered"): _l("Lot offered to the second bidder"),
    ("auction", "second_bidder_accepted"): _l("Second bidder accepted the lot"),
    ("auction", "second_bidder_declined"): _l("Second bidder declined the lot"),
    ("auction", "award_chain_fell_back"): _l("Back to a re-auction"),
    ("sale_confirmation", "confirmation_generated"): _l("Confirmation of sale generated"),
    ("sale_confirmation", "confirmation_signed"): _l("Confirmation of sale signed"),
    ("sale_confirmation", "confirmation_completed"): _l("Confirmation of sale signed by both parties"),
    ("auction", "auction_failed"): _l("No valid bid"),
    ("auction", "auction_cancelled"): _l("Auction round cancelled"),
    ("licence_round", "opened"): _l("Licence round opened"),
    ("licence_round", "closed"): _l("Offers unsealed"),
    ("licence_round", "awarded"): _l("Licensee chosen"),
    ("licence_round", "pledgee_consented"): _l("Pledgee bank consented"),
    ("licence_round", "pledgee_consent_refused"): _l("Pledgee bank refused consent"),
    ("licence_round", "signed"): _l("Licence signed"),
    ("licence_round", "failed"): _l("Licensing ended without a licence"),
    ("licence_offer", "submitted"): _l("Licence offer submitted"),
    ("licence_offer", "revised"): _l("Licence offer revised"),
    ("licence_offer", "withdrawn"): _l("Licence offer withdrawn"),
    ("licence", "upfront_received"): _l("Upfront fee received"),
    ("licence", "royalty_received"): _l("Royalty received"),
    ("licence", "recorded"): _l("Licence recorded with the IP office"),
    ("licence", "recordal_missed"): _l("Licence recordal deadline missed"),
    ("conversion", "proposed"): _l("Conversion proposed"),
    ("conversion", "consented"): _l("Consent given"),
    ("conversion", "consent_refused"): _l("Consent refused"),
    ("conversion", "executed"): _l("Conversion executed"),
    ("conversion", "abandoned"): _l("Conversion abandoned"),
    ("claim_listing", "submitted"): _l("Claim submitted for transfer"),
    ("claim_listing", "opened"): _l("Claim listing opened"),
    ("claim_listing", "offer_submitted"): _l("Offer for the claim submitted"),
    ("claim_listing", "offer_revised"): _l("Offer for the claim revised"),
    ("claim_listing", "offer_withdrawn"): _l("Offer for the claim withdrawn"),
    ("claim_listing", "offer_accepted"): _l("Offer for the claim accepted"),
    ("claim_listing", "completed"): _l("Claim transfer completed"),
    ("claim_listing", "withdrawn"): _l("Claim listing withdrawn"),
    ("claim_listing", "failed"): _l("Claim transfer failed"),
    ("claim_listing", "pledge_change_recorded"): _l("Change of pledgee recorded with the IP office"),
    ("claim_listing", "pledge_recordal_missed"): _l("Pledge-change recordal deadline missed"),
    ("loan", "claim_transferred"): _l("Loan claim passed to the buyer"),
    ("claim", "claim_drafted"): _l("Compensation application drafted"),
    ("claim", "claim_filed"): _l("Compensation application filed"),
    ("claim", "subsidy_filed"): _l("Subsidy application filed"),
    ("claim", "claim_approve"): _l("Application approved"),
    ("claim", "claim_reduce"): _l("Application reduced"),
    ("claim", "claim_reject"): _l("Application rejected"),
    ("claim", "claim_payment"): _l("Payment run"),
    ("claim", "claim_revised"): _l("Application revised after a later recovery"),
    ("claim", "clawback_repaid"): _l("Clawback repaid"),
    ("fund", "fund_contribution"): _l("Contribution to the fund"),
    ("fund", "budget_granted"): _l("Budget granted"),
    ("fund", "year_closed"): _l("Year closed"),
    ("policy", "policy_version_added"): _l("Compensation policy version added"),
    ("ip_asset", "registry_status_recorded"): _l("Status change at the IP office recorded"),
    ("registry_hold", "hold_placed"): _l("Put on hold by a registry change"),
    ("registry_hold", "hold_resumed"): _l("Hold ended: the sale resumes"),
    ("registry_hold", "hold_withdrawn"): _l("Hold ended: the round is withdrawn"),
    ("auction", "hold_resumed"): _l("Round resumed after a registry hold"),
    ("licence_round", "hold_resumed"): _l("Round resumed after a registry hold"),
    ("sandbox_clock", "clock_started"): _l("Sandbox clock started"),
    ("sandbox_clock", "clock_jumped"): _l("Sandbox clock jumped forward"),
    ("sandbox_clock", "factor_changed"): _l("Sandbox clock's speed changed"),
    ("room_document", "document_added"): _l("Document added to the data room"),
    ("room_document", "document_withdrawn"): _l("Document withdrawn from the data room"),
    ("data_room", "nda_accepted"): _l("NDA accepted"),
    ("data_room", "approval_required"): _l("Seller's approval required for confidential documents"),
    ("data_room", "approval_not_required"): _l("Seller's approval no longer required"),
    ("data_room", "institution_approved"): _l("Institution approved for the data room"),
    ("data_room", "approval_revoked"): _l("Data-room approval revoked"),
    ("data_room", "questions_close_set"): _l("Question close set"),
    ("lot_question", "question_asked"): _l("Question asked"),
    ("lot_question", "question_answered"): _l("Question answered and published"),
    ("inspection_slot", "slot_published"): _l("Inspection slot published"),
    ("inspection_slot", "slot_cancelled"): _l("Inspection slot cancelled"),
    ("inspection_slot", "slot_booked"): _l("Inspection booked"),
    ("inspection_slot", "booking_cancelled"): _l("Inspection booking cancelled"),
    ("inspection_slot", "attendance_recorded"): _l("Inspection attendance recorded"),
    ("lot_condition", "condition_added"): _l("Condition for bidders added"),
    ("lot_condition", "condition_removed"): _l("Condition for bidders removed"),
    ("lot_registration", "proof_attached"): _l("Proof uploaded for a bidder registration"),
    ("lot_registration", "registration_submitted"): _l("Bidder registration submitted"),
    ("lot_registration", "registration_approved"): _l("Bidder registration approved"),
    ("lot_registration", "registration_refused"): _l("Bidder registration refused"),
    ("institution", "strike_recorded"): _l("Strike for a won lot left unpaid"),
    ("institution", "bidding_banned"): _l("Banned from registering for new lots"),
    ("institution", "ban_lifted"): _l("Ban on registering for new lots lifted"),
}

# The states an object's events move between, by the enum of that object.
STATE_ENUMS: dict[str, type[Enum]] = {
    "case": CaseState, "auction": AuctionStatus, "licence_round": RoundStatus, "conversion": ProposalStatus,
    "claim_listing": ListingStatus, "claim": ClaimState, "ip_asset": LegalStatus, "registry_hold": HoldResolution,
    "lot_registration": QualificationStatus,
}
SIGNED_STATES = {"unsigned": _l("Awaiting signatures"), "signed": _l("Signed by both parties")}
ON_HOLD = _l("On hold")  # a registry hold's state before the operator ends it
# Events whose before and after are institutions (by id): whose the claim is, who holds first refusal.
INSTITUTION_STATES = {("loan", "claim_transferred"), ("case", "first_refusal_holder_linked")}

DETAIL_NAMES = {
    "amount": _l("Amount"), "amount_fen": _l("Amount"), "appraised_value_fen": _l("Appraised value"),
    "appraiser": _l("Appraisal agency"), "applicant": _l("Applicant"), "asking_price": _l("Asking price"),
    "assets": _l("Assets"), "auction_id": _l("Auction round"), "auction_status": _l("Auction result"),
    "aic_id": _l("AIC"), "base_fen": _l("Base"), "buyer": _l("Buyer"), "buyer_id": _l("Buyer"),
    "case_id": _l("Case"), "case_state": _l("Case state"), "checks": _l("Checks"),
    "claim_listing_id": _l("Claim listing"), "claimed_fen": _l("Amount claimed"),
    "clawback_id": _l("Clawback"), "clawed_back_fen": _l("Clawed back"), "conversion_id": _l("Conversion"),
    "deadline": _l("Deadline"), "deposit_fen": _l("Deposit"), "deposit_share_ppm": _l("Deposit share"),
    "deposit_status": _l("Deposit"), "due_fen": _l("Amount due"), "due_on": _l("Due on"),
    "ends_at": _l("Ends at"), "equity_position_id": _l("Equity position"),
    "equity_share_ppm": _l("Equity share"), "first_refusal_holders": _l("First-refusal holders"),
    "forfeited_fen": _l("Deposit forfeited"), "fund_compensation": _l("Fund compensation asked"),
    "grounds": _l("Grounds"), "gross_proceeds_fen": _l("Gross proceeds"), "holder": _l("Holder"),
    "holder_id": _l("Holder"), "holders": _l("Holders"), "increment_fen": _l("Bid increment"),
    "institution": _l("Institution"), "institution_id": _l("Institution"), "kind": _l("Kind"),
    "lapsed_compensation_fen": _l("Compensation budget lapsed"), "lapsed_fen": _l("Lapsed"),
    "lapsed_subsidy_fen": _l("Subsidy budget lapsed"), "late": _l("Late"), "layer": _l("Layer"),
    "licence_ids": _l("Licences"), "licence_round_id": _l("Licence round"), "line": _l("Budget line"),
    "loan": _l("Loan contract"), "loan_id": _l("Loan"), "min_annual_royalty": _l("Minimum annual royalty"),
    "offer_id": _l("Offer"), "offer_ids": _l("Offers"), "offers": _l("Offers received"),
    "paid_by_debtor_fen": _l("Paid by the debtor"), "paid_fen": _l("Paid"), "party": _l("Party"),
    "pending_fen": _l("Waiting for money"), "pledge_id": _l("Pledge"),
    "pledge_released_on": _l("Pledge released on"), "policy_version": _l("Policy version"),
    "pre_money": _l("Pre-money valuation"), "price": _l("Price"), "price_fen": _l("Price"),
    "principal_loss_fen": _l("Principal loss"), "received_on": _l("Received on"),
    "recordal_number": _l("Recordal number"), "recorded_on": _l("Recorded on"), "reference": _l("Reference"),
    "report_ref": _l("Report"), "revision": _l("Revision"), "round": _l("Round"), "round_id": _l("Licence round"),
    "royalty_rate_ppm": _l("Royalty rate"), "seller_id": _l("Seller"), "signed_on": _l("Signed on"),
    "start_fen": _l("Starting price"), "start_price_fen": _l("Starting price"), "step": _l("Review step"),
    "upfront": _l("Upfront fee"), "valued_on": _l("Valued on"), "version": _l("Version"),
    "via_first_refusal": _l("By first refusal"), "winner_code": _l("Winner (bidder code)"), "year": _l("Year"),
    "bank_id": _l("Bank"), "registry_change_id": _l("Registry change"), "status": _l("Status at the IP office"),
    "event_code": _l("IP office event"), "effective_on": _l("Effective on"), "registry_number": _l("Registry number"),
    "remaining_seconds": _l("Time left when held (seconds)"), "invitation_id": _l("Invitation"),
    "expires_at": _l("Expires at"), "factor": _l("Speed (× real time)"),
    "sandbox_before_at": _l("Sandbox time before"), "sandbox_after_at": _l("Sandbox time after"),
    "category": _l("Category"), "confidential": _l("Confidential"),
    "sha256": _l("SHA-256"), "filename": _l("File name"), "closes_at": _l("Closes at"),
    "starts_at": _l("Starts at"), "capacity": _l("Places"), "attendance": _l("Attendance"),
    "condition": _l("Condition"),
    "credit_code": _l("Unified social credit code"), "proofs": _l("Proofs (SHA-256)"), "strikes": _l("Strikes counting"),
    "limit": _l("Strike limit"), "window_months": _l("Window (months)"), "ban_id": _l("Ban"),
    "second_bidder": _l("Second bidder"),
    "second_bidder_price_fen": _l("Second bidder's last bid"), "decision_due_at": _l("Decide by"),
    "answer_due_at": _l("Answer by"), "payment_due_at": _l("Pay by"), "fall_back": _l("Why a re-auction"),
    "why": _l("Why a re-auction"), "second_bidder_offer": _l("Second-bidder offer allowed"),
    "original_sha256": _l("SHA-256 of the original"),
    "evidence_sha256": _l("SHA-256 of the signature record"), "method": _l("How signed"),
    "signing_party": _l("Signed for"),
}
# Money written as a decimal string of yuan ("1234.50"), institutions by id, enums by their value.
YUAN_STRINGS = {"amount", "asking_price", "min_annual_royalty", "pre_money", "price", "upfront"}
INSTITUTION_IDS = {"aic_id", "bank_id", "buyer_id", "institution_id", "seller_id"}
ENUM_OF_KEY: dict[str, type[Enum]] = {
    "layer": Layer, "line": BudgetLine, "grounds": SuspensionGrounds, "party": ConsentParty,
    "deposit_status": DepositStatus, "auction_status": AuctionStatus, "case_state": CaseState,
    "status": RegistryStatus, "category": DocumentCategory, "attendance": Attendance,
    "fall_back": FallBack, "why": FallBack, "signing_party": SaleParty,
    "method": SignatureMethod,
}
KIND_OF_OBJECT: dict[str, type[Enum]] = {"auction": AuctionKind, "claim": ClaimKind, "licence_round": LicenceKind,
                                         "inspection_slot": InspectionKind}


@dataclass(frozen=True)
class EventWords:
    """One event as a reader sees it."""

    action: str
    before: str
    after: str
    reason: str
    details: list[tuple[str, str]]


def institution_ids(events: list[AuditEvent]) -> set[int]:
    """The institutions the events name by id, to look up their names once for the page."""
    ids: set[int] = set()
    for event in events:
        if (event.entity_type, event.action) in INSTITUTION_STATES:
            ids.update(int(v) for v in (event.from_state, event.to_state) if v and v.isdigit())
        ids.update(int(v) for k, v in (event.detail or {}).items() if k in INSTITUTION_IDS and isinstance(v, int))
    return ids


def action_name(entity: str, action: str) -> str:
    """What the event did, in the reader's words (its code when nothing names it: a test forbids that)."""
    if entity == "case":
        return str(case_support.ACTION_NAMES.get(action, action))
    return str(ACTION_NAMES.get((entity, action), action))


def words(event: AuditEvent, institutions: dict[int, str]) -> EventWords:
    """The event's action, states, reason and details for the reader."""
    return EventWords(
        action=action_name(event.entity_type, event.action),
        before=_state(event, event.from_state, institutions),
        after=_state(event, event.to_state, institutions),
        reason=reason_text(event.reason),
        details=[(str(DETAIL_NAMES.get(key, key)), value_words(event.entity_type, key, value, institutions))
                 for key, value in sorted((event.detail or {}).items())],
    )


def _state(event: AuditEvent, value: str | None, institutions: dict[int, str]) -> str:
    if not value:
        return "—"
    if (event.entity_type, event.action) in INSTITUTION_STATES:
        return institutions.get(int(value), value) if value.isdigit() else value
    if event.entity_type == "registry_hold" and value == "held":
        return str(ON_HOLD)
    if event.entity_type == "sale_confirmation":
        return str(SIGNED_STATES.get(value, value))
    enum = STATE_ENUMS.get(event.entity_type)
    return _member(enum, value)


def _member(enum: type[Enum] | None, value: object) -> str:
    try:
        return label(enum(value)) if enum is not None else str(value)
    except ValueError:
        return str(value)


def value_words(entity: str, key: str, value: object, institutions: dict[int, str]) -> str:
    """One detail value in the reader's words: ¥ for fen, local time for *_at, labels for codes, names for ids."""
    if isinstance(value, list):
        return _(", ").join(value_words(entity, key, item, institutions) for item in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key.endswith("_fen") and isinstance(value, int):
        return format_yuan(value)
    if key in YUAN_STRINGS and isinstance(value, str):
        return _yuan(value)
    if key.endswith("_ppm") and isinstance(value, int):
        return f"{value / 10_000:g}%"
    if key in INSTITUTION_IDS and isinstance(value, int):
        return institutions.get(value, f"#{value}")
    if key == "checks":
        return str(case_support.CHECK_NAMES.get(value, value)) if value in REVIEW_CHECKS else str(value)
    if key == "kind":
        return _member(KIND_OF_OBJECT.get(entity), value)
    if key in ENUM_OF_KEY:
        return _member(ENUM_OF_KEY[key], value)
    if key.endswith("_id") or key.endswith("_ids"):
        return f"#{value}"
    if key.endswith("_at") and isinstance(value, str):
        return _when(value)
    return str(value)


def _yuan(text: str) -> str:
    try:
        return format_yuan(int(Decimal(text) * 100))
    except (InvalidOperation, ValueError):
        return text


def _when(text: str) -> str:
    try:
        return format_datetime(datetime.fromisoformat(text), "yyyy-MM-dd HH:mm")
    except ValueError:
        return text
