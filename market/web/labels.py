"""The translated label of every enum a person reads: one table per enum, and `label(member)` to find it."""

from __future__ import annotations

from enum import Enum

from flask_babel import lazy_gettext as _l

from market.domain.auction import AuctionKind, AuctionStatus, DepositStatus
from market.domain.award_chain import FallBack, SecondOfferStatus
from market.domain.channels import ListingStatus, ProposalStatus, RoundStatus
from market.domain.claim_transfer import ClaimPrice, SaleMode
from market.domain.confirmation import Party as SaleParty
from market.domain.confirmation import SignatureMethod
from market.domain.conversion import ConsentParty, ConversionAmount, ExitRoute
from market.domain.data_room import Attendance, DocumentCategory, InspectionKind
from market.domain.ledger import AccountKind, BudgetLine, Movement
from market.domain.licensing import (
    LicenceAmount,
    LicenceKind,
    LicenceRate,
    OfferTerm,
    ReportingPeriod,
)
from market.domain.loss import Layer
from market.domain.qualification import Audience, QualificationStatus
from market.domain.reasons import SystemReason
from market.domain.registry import HoldResolution, RegistryStatus
from market.domain.roles import Role
from market.domain.settlement import ClaimKind, ClaimState, CostItem
from market.domain.workflow import CaseAction
from market.models.channels import PaymentKind
from market.models.core import LoanStatus
from market.web import case_support

ROLE_NAMES = {
    Role.OPERATOR: _l("Trading centre"),
    Role.BANK: _l("Bank"),
    Role.GUARANTOR: _l("Guarantor"),
    Role.INSURER: _l("Insurer"),
    Role.AGENCY: _l("IP service agency"),
    Role.BUREAU: _l("Finance bureau"),
    Role.AIC: _l("Financial asset investment company"),
    Role.SYSTEM: _l("System"),
}
LOAN_STATUS_NAMES = {
    LoanStatus.PERFORMING: _l("Performing"),
    LoanStatus.OVERDUE: _l("Overdue"),
    LoanStatus.DEFAULTED: _l("Defaulted"),
    LoanStatus.IN_DISPOSAL: _l("In disposal"),
    LoanStatus.SETTLED: _l("Settled"),
    LoanStatus.REPAID: _l("Repaid"),
    LoanStatus.TRANSFERRED: _l("Transferred"),
}
PARTY_NAMES = {
    ConsentParty.BANK: _l("Pledgee bank"),
    ConsentParty.AIC: _l("AIC"),
    ConsentParty.BORROWER: _l("Borrower (board resolution)"),
    ConsentParty.GUARANTOR: _l("Guarantor"),
    ConsentParty.INSURER: _l("Insurer"),
    ConsentParty.BUREAU: _l("Bureau (fund compensation)"),
}
CLAIM_STATE_NAMES = {
    ClaimState.DRAFTED: _l("Drafted"),
    ClaimState.FILED: _l("Filed"),
    ClaimState.AWAITING_SECOND_APPROVAL: _l("Awaiting second approval"),
    ClaimState.APPROVED: _l("Approved"),
    ClaimState.PENDING: _l("Pending: fund short"),
    ClaimState.PAID: _l("Paid"),
    ClaimState.LAPSED: _l("Lapsed"),
    ClaimState.REJECTED: _l("Rejected"),
    ClaimState.CLAWED_BACK: _l("Clawed back"),
}
ROUND_STATUS_NAMES = {
    RoundStatus.OPEN: _l("open"),
    RoundStatus.CLOSED: _l("closed, ranking"),
    RoundStatus.AWARDED: _l("awarded, awaiting consent"),
    RoundStatus.SIGNED: _l("signed"),
    RoundStatus.FAILED: _l("failed"),
}
PROPOSAL_STATUS_NAMES = {
    ProposalStatus.PROPOSED: _l("collecting consents"),
    ProposalStatus.EXECUTED: _l("executed"),
    ProposalStatus.ABANDONED: _l("abandoned"),
}
LISTING_STATUS_NAMES = {
    ListingStatus.SUBMITTED: _l("submitted to the centre"),
    ListingStatus.OPEN: _l("open"),
    ListingStatus.AGREED: _l("agreed, awaiting payment"),
    ListingStatus.COMPLETED: _l("completed"),
    ListingStatus.FAILED: _l("failed"),
    ListingStatus.WITHDRAWN: _l("withdrawn"),
}
CONVERSION_AMOUNT_NAMES = {
    ConversionAmount.CLAIM_PRICE: _l("price for the claim"),
    ConversionAmount.CLAIM_VALUATION: _l("valuation of the claim"),
    ConversionAmount.PRE_MONEY_VALUATION: _l("borrower's pre-money valuation"),
}
LICENCE_AMOUNT_NAMES = {
    LicenceAmount.MIN_UPFRONT: _l("minimum upfront fee"),
    LicenceAmount.REFERENCE_SALES: _l("reference yearly net sales"),
}
LICENCE_RATE_NAMES = {
    LicenceRate.MIN_ROYALTY: _l("minimum royalty rate"),
    LicenceRate.DISCOUNT: _l("discount rate (a year)"),
    LicenceRate.ROYALTY: _l("royalty rate (of net sales)"),
}
OFFER_TERM_NAMES = {
    OfferTerm.UPFRONT: _l("upfront fee"),
    OfferTerm.ROYALTY_RATE: _l("royalty rate"),
}
CLAIM_PRICE_NAMES = {
    ClaimPrice.ASKING: _l("asking price"),
    ClaimPrice.OFFER: _l("price you offer"),
}
KIND_LABELS = {LicenceKind.EXCLUSIVE: _l("Exclusive"), LicenceKind.SOLE: _l("Sole"),
               LicenceKind.NON_EXCLUSIVE: _l("Non-exclusive")}
PERIOD_LABELS = {ReportingPeriod.MONTHLY: _l("Monthly"), ReportingPeriod.QUARTERLY: _l("Quarterly"),
                 ReportingPeriod.SEMI_ANNUAL: _l("Half-yearly"), ReportingPeriod.ANNUAL: _l("Yearly")}
EXIT_LABELS = {ExitRoute.BUYBACK: _l("Buy-back by the controlling shareholder"),
               ExitRoute.LISTING: _l("Listing (IPO) or sale on an exchange"),
               ExitRoute.EQUITY_TRANSFER: _l("Sale of the shares to a third party"), ExitRoute.OTHER: _l("Other")}
MODE_LABELS = {SaleMode.NEGOTIATED: _l("Negotiated offers"), SaleMode.AUCTION: _l("Auction (claim-rights lot)")}
COST_NAMES = {
    CostItem.COMMISSION: _l("commission"),
    CostItem.APPRAISAL: _l("appraisal"),
    CostItem.TAXES: _l("taxes"),
    CostItem.OTHER: _l("other"),
}
ACCOUNT_KIND_NAMES = {
    AccountKind.CASH: _l("Trading centre bank account"),
    AccountKind.COMMISSION_INCOME: _l("Commission income"),
    AccountKind.DEPOSITS_HELD: _l("Deposits held for a bidder"),
    AccountKind.PROCEEDS_PAYABLE: _l("Proceeds payable to the pledgee"),
    AccountKind.FORFEITED: _l("Forfeited deposits of a case"),
    AccountKind.FUND_CASH: _l("Compensation fund bank account"),
    AccountKind.FUND_CONTRIBUTIONS: _l("Contributions to the fund"),
    AccountKind.FUND_PAYOUTS: _l("Compensation committed by the fund"),
    AccountKind.CLAIMS_PAYABLE: _l("Owed to an approved claim"),
    AccountKind.CLAWBACK_RECEIVABLE: _l("Clawback owed to the fund"),
    AccountKind.BUDGET_LEFT: _l("Budget line left"),
    AccountKind.BUDGET_GRANTED: _l("Budget line granted"),
    AccountKind.BUDGET_USED: _l("Budget line used"),
    AccountKind.BUDGET_LAPSED: _l("Budget line lapsed"),
}
REGISTRY_STATUS_NAMES = {
    RegistryStatus.IN_FORCE: _l("In force"),
    RegistryStatus.LAPSED: _l("Lapsed"),
    RegistryStatus.INVALIDATED: _l("Invalidated"),
    RegistryStatus.PLEDGED: _l("Pledge registered"),
    RegistryStatus.PLEDGE_CHANGED: _l("Pledge registration changed"),
    RegistryStatus.PLEDGE_RELEASED: _l("Pledge released"),
    RegistryStatus.CHANGED: _l("Particulars changed"),
}
HOLD_RESOLUTION_NAMES = {HoldResolution.RESUMED: _l("Resumed"), HoldResolution.WITHDRAWN: _l("Withdrawn")}
BUDGET_LINE_NAMES = {BudgetLine.COMPENSATION: _l("Compensation"), BudgetLine.SUBSIDY: _l("Subsidies")}
MOVEMENT_NAMES = {
    Movement.DEPOSIT_PAID: _l("Deposit paid"),
    Movement.DEPOSIT_REFUNDED: _l("Deposit refunded"),
    Movement.DEPOSIT_APPLIED: _l("Deposit applied to the price"),
    Movement.DEPOSIT_FORFEITED: _l("Deposit forfeited"),
    Movement.BUYER_PAYMENT: _l("Buyer's payment"),
    Movement.LICENCE_INCOME: _l("Licence income"),
    Movement.CONVERSION_PRICE: _l("Debt-to-equity price"),
    Movement.CLAIM_PRICE: _l("Price of a transferred claim"),
    Movement.COMMISSION: _l("Commission"),
    Movement.PROCEEDS_PAID: _l("Proceeds paid to the pledgee"),
    Movement.FORFEIT_USED: _l("Forfeited deposit applied to the case"),
    Movement.COSTS_PAID: _l("Disposal costs paid"),
    Movement.SURPLUS_PAID: _l("Surplus paid to the debtor"),
    Movement.FUND_CONTRIBUTION: _l("Contribution to the fund"),
    Movement.BUDGET_GRANTED: _l("Budget granted"),
    Movement.BUDGET_LAPSED: _l("Budget lapsed"),
    Movement.CLAIM_APPROVED: _l("Claim approved"),
    Movement.CLAIM_PAID: _l("Claim paid"),
    Movement.CLAIM_LAPSED: _l("Claim lapsed"),
    Movement.CLAIM_REDUCED: _l("Claim reduced by a later recovery"),
    Movement.CLAWBACK_DEMANDED: _l("Clawback demanded"),
    Movement.CLAWBACK_REPAID: _l("Clawback repaid"),
}
AUCTION_STATUS_NAMES = {
    AuctionStatus.OPEN: _l("Bidding"),
    AuctionStatus.FIRST_REFUSAL: _l("First-refusal window"),
    AuctionStatus.AWARDED: _l("Awarded, awaiting payment"),
    AuctionStatus.SECOND_BIDDER_DECISION: _l("Winner defaulted: offer to the second bidder?"),
    AuctionStatus.SECOND_BIDDER_OFFERED: _l("Offered to the second bidder"),
    AuctionStatus.SOLD: _l("Sold"),
    AuctionStatus.DEFAULTED: _l("Winner did not pay"),
    AuctionStatus.FAILED: _l("No valid bid"),
    AuctionStatus.CANCELLED: _l("Cancelled"),
}
AUCTION_KIND_NAMES = {AuctionKind.ASSET: _l("The pledged IP"), AuctionKind.CLAIM: _l("The claim with its pledge")}
DEPOSIT_STATUS_NAMES = {
    DepositStatus.HELD: _l("Held"),
    DepositStatus.EXEMPT: _l("Exempt (applicant for enforcement)"),
    DepositStatus.REFUNDED: _l("Refunded"),
    DepositStatus.APPLIED: _l("Applied to the price"),
    DepositStatus.FORFEITED: _l("Forfeited"),
}
LAYER_NAMES = {Layer.BANK: _l("Bank"), Layer.GUARANTOR: _l("Guarantor"), Layer.INSURER: _l("Insurer"),
               Layer.AGENCY: _l("Agency")}
CLAIM_KIND_NAMES = {
    ClaimKind.COMPENSATION: _l("Compensation"),
    ClaimKind.INTEREST_SUBSIDY: _l("Interest subsidy"),
    ClaimKind.APPRAISAL_SUBSIDY: _l("Appraisal-fee subsidy"),
    ClaimKind.PREMIUM_SUBSIDY: _l("Premium subsidy"),
}
SECOND_OFFER_STATUS_NAMES = {
    SecondOfferStatus.OFFERED: _l("Offered"), SecondOfferStatus.ACCEPTED: _l("Accepted"),
    SecondOfferStatus.DECLINED: _l("Declined"), SecondOfferStatus.LAPSED: _l("Not answered in time"),
}
FALL_BACK_NAMES = {
    FallBack.NO_SECOND_OFFER: _l("No second-bidder offer possible"),
    FallBack.CENTRE_DECLINED: _l("The trading centre chose a re-auction"),
    FallBack.NO_DECISION: _l("The trading centre did not decide in time"),
    FallBack.SECOND_BIDDER_DECLINED: _l("The second bidder declined"),
    FallBack.SECOND_BIDDER_LAPSED: _l("The second bidder did not answer in time"),
    FallBack.SECOND_BIDDER_DEFAULTED: _l("The second bidder did not pay"),
}
SALE_PARTY_NAMES = {SaleParty.SELLER: _l("Seller (pledgee bank)"), SaleParty.BUYER: _l("Buyer")}
SIGNATURE_METHOD_NAMES = {
    SignatureMethod.ELECTRONIC_ACCEPTANCE: _l("Electronic acceptance"),
    SignatureMethod.QUALIFIED: _l("Qualified electronic signature"),
}
PAYMENT_KIND_NAMES = {PaymentKind.UPFRONT: _l("Upfront fee"), PaymentKind.ROYALTY: _l("Royalty")}
SYSTEM_REASON_NAMES = {
    SystemReason.NO_VALID_BID: _l("No valid bid in the round (流拍)."),
    SystemReason.WINNER_DID_NOT_PAY: _l("The winner did not pay by the deadline."),
    SystemReason.RIGHT_NOT_IN_FORCE: _l("A pledged right is no longer in force."),
    SystemReason.NO_LICENCE_OFFERS: _l("No offers were received by the deadline."),
    SystemReason.PLEDGEE_REFUSED_CONSENT: _l("The pledgee bank refused its consent (Civil Code art. 444)."),
    SystemReason.CLAIM_AUCTION_UNSOLD: _l("The claim-rights auction ended without a sale."),
    SystemReason.LATER_RECOVERY: _l("Money recovered after the payment made part of it repayable."),
}
QUALIFICATION_STATUS_NAMES = {
    QualificationStatus.DRAFT: _l("Draft (not yet submitted)"),
    QualificationStatus.PENDING: _l("Waiting for the trading centre"),
    QualificationStatus.APPROVED: _l("Approved"),
    QualificationStatus.REFUSED: _l("Refused"),
}
AUDIENCE_NAMES = {
    Audience.REGISTERED_INSTITUTIONS: _l("Any institution registered on the platform that may buy pledged IP"),
    Audience.LICENSED_FINANCIAL: _l("Licensed financial institutions only (a claim lot)"),
}

# Industries and regions are stored as the borrowers' records give them, in Chinese; a reader in English sees
# these names for the values the platform knows (others as stored). Keys are the stored values.
INDUSTRY_NAMES = {
    "集成电路": _l("Integrated circuits"), "生物医药": _l("Biomedicine"), "新材料": _l("New materials"),
    "软件和信息服务": _l("Software and information services"), "高端装备": _l("High-end equipment"),
    "人工智能": _l("Artificial intelligence"), "文化创意": _l("Culture and creative industries"), "食品": _l("Food"),
    "新能源": _l("New energy"), "节能环保": _l("Energy saving and environmental protection"),
}
REGION_NAMES = {
    "北京": _l("Beijing"), "上海": _l("Shanghai"), "深圳": _l("Shenzhen"), "苏州": _l("Suzhou"),
    "杭州": _l("Hangzhou"), "武汉": _l("Wuhan"), "成都": _l("Chengdu"), "西安": _l("Xi'an"), "合肥": _l("Hefei"),
    "南京": _l("Nanjing"), "广州": _l("Guangzhou"), "天津": _l("Tianjin"),
}

DOCUMENT_CATEGORY_NAMES = {
    DocumentCategory.TITLE_CERTIFICATE: _l("Title certificate"),
    DocumentCategory.REGISTRY_EXTRACT: _l("Registry extract"),
    DocumentCategory.VALUATION_REPORT: _l("Valuation report"),
    DocumentCategory.LICENCE: _l("Licence"),
    DocumentCategory.ENCUMBRANCE: _l("Encumbrance"),
    DocumentCategory.PLEDGE_REGISTRATION: _l("Pledge registration"),
    DocumentCategory.OTHER: _l("Other document"),
}
INSPECTION_KIND_NAMES = {
    InspectionKind.TECHNOLOGY_DEMONSTRATION: _l("Technology demonstration"),
    InspectionKind.INVENTOR_SESSION: _l("Session with the inventors"),
    InspectionKind.PHYSICAL_CARRIERS: _l("Viewing of physical carriers"),
}
ATTENDANCE_NAMES = {Attendance.ATTENDED: _l("Attended"), Attendance.ABSENT: _l("Did not attend")}


def place_label(table: dict, value: str | None) -> str:
    """An industry or region in the reader's language (INDUSTRY_NAMES, REGION_NAMES), else as stored."""
    return str(table.get(value, value or ""))


# Every enum a refusal may carry, with its one table (the case pages' and channel forms' tables included).
LABELS: dict[type[Enum], dict] = {
    Role: ROLE_NAMES, LoanStatus: LOAN_STATUS_NAMES, ConsentParty: PARTY_NAMES, ClaimState: CLAIM_STATE_NAMES,
    RoundStatus: ROUND_STATUS_NAMES, ProposalStatus: PROPOSAL_STATUS_NAMES, ListingStatus: LISTING_STATUS_NAMES,
    ConversionAmount: CONVERSION_AMOUNT_NAMES, LicenceAmount: LICENCE_AMOUNT_NAMES, LicenceRate: LICENCE_RATE_NAMES,
    OfferTerm: OFFER_TERM_NAMES, ClaimPrice: CLAIM_PRICE_NAMES, CostItem: COST_NAMES,
    AccountKind: ACCOUNT_KIND_NAMES, Movement: MOVEMENT_NAMES, BudgetLine: BUDGET_LINE_NAMES,
    CaseAction: case_support.ACTION_NAMES, AuctionStatus: AUCTION_STATUS_NAMES, AuctionKind: AUCTION_KIND_NAMES,
    DepositStatus: DEPOSIT_STATUS_NAMES, Layer: LAYER_NAMES, ClaimKind: CLAIM_KIND_NAMES,
    PaymentKind: PAYMENT_KIND_NAMES, SystemReason: SYSTEM_REASON_NAMES, RegistryStatus: REGISTRY_STATUS_NAMES,
    HoldResolution: HOLD_RESOLUTION_NAMES, DocumentCategory: DOCUMENT_CATEGORY_NAMES,
    InspectionKind: INSPECTION_KIND_NAMES, Attendance: ATTENDANCE_NAMES,
    QualificationStatus: QUALIFICATION_STATUS_NAMES, Audience: AUDIENCE_NAMES,
    SecondOfferStatus: SECOND_OFFER_STATUS_NAMES, FallBack: FALL_BACK_NAMES,
    SaleParty: SALE_PARTY_NAMES, SignatureMethod: SIGNATURE_METHOD_NAMES,
    **{type(next(iter(table))): table for table in (
        case_support.STATE_NAMES, case_support.CHANNEL_NAMES, case_support.KIND_NAMES,
        case_support.LEGAL_STATUS_NAMES, case_support.CHECK_NAMES, case_support.GROUNDS_NAMES,
        KIND_LABELS, PERIOD_LABELS, EXIT_LABELS, MODE_LABELS,
    )},
}


def label(member: Enum) -> str:
    """The member's label in the reader's language (its value in words if no table has it: a test forbids that)."""
    table = LABELS.get(type(member), {})
    return str(table.get(member, str(member.value).replace("_", " ")))


def reason_text(reason: str | None) -> str:
    """A stored reason for the reader: the platform's own (a SystemReason code) in their language, a person's
    in the words they wrote."""
    try:
        return label(SystemReason(reason))
    except ValueError:
        return reason or ""
