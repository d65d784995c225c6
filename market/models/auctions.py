"""Auction rounds, bidders and their deposits, the append-only bid log, hidden maxima and outcomes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import (
    AuctionKind,
    AuctionStatus,
    DepositStatus,
    Outcome,
    RefusalDecision,
)
from market.domain.award_chain import SecondOfferStatus
from market.models.base import Base, Fen, UTCDateTime, enum_column, utcnow
from market.models.cases import DisposalCase, FirstRefusalHolder
from market.models.core import Institution

__all__ = ["Auction", "AuctionBar", "AuctionBidder", "AuctionResult", "Bid", "FirstRefusalAnswer", "HolderInvitation",
           "ProxyBid", "SecondBidderOffer"]


class Auction(Base):
    """One auction round of a case: its terms, and the live price that always equals the top bid."""

    __tablename__ = "auction"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    round_no: so.Mapped[int] = so.mapped_column(sa.Integer)
    kind: so.Mapped[AuctionKind] = so.mapped_column(enum_column(AuctionKind), default=AuctionKind.ASSET)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    status: so.Mapped[AuctionStatus] = so.mapped_column(enum_column(AuctionStatus), index=True)

    starting_price_fen: so.Mapped[int] = so.mapped_column(Fen)
    increment_fen: so.Mapped[int] = so.mapped_column(Fen)
    deposit_fen: so.Mapped[int] = so.mapped_column(Fen)
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    scheduled_end_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)  # moved by late bids
    extension_seconds: so.Mapped[int] = so.mapped_column(sa.Integer)  # anti-sniping, fixed at opening
    code_salt: so.Mapped[str] = so.mapped_column(sa.String(32))  # makes bidder codes per auction

    # the live state, written only together with the bid that changes it
    bid_count: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    current_price_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    leader_institution_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"))
    leader_code: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    proxy_count: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)  # hidden maxima set (skip the lookup at 0)

    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    held_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # on hold by a registry change
    first_refusal_ends_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    payment_due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    paid_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # the award chain (domain.award_chain): announced in the notice, then the deadlines after a default
    second_bidder_offer_allowed: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    second_bidder_decision_due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    second_bidder_answer_due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    opened_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    case: so.Mapped[DisposalCase] = so.relationship()
    leader: so.Mapped[Institution | None] = so.relationship(foreign_keys=[leader_institution_id])
    result: so.Mapped[AuctionResult | None] = so.relationship(back_populates="auction", uselist=False)

    __table_args__ = (
        sa.UniqueConstraint("case_id", "round_no", name="uq_auction_case_round"),
        sa.CheckConstraint("starting_price_fen > 0", name="start_positive"),
        sa.CheckConstraint("increment_fen > 0", name="increment_positive"),
        sa.CheckConstraint("deposit_fen >= 0", name="deposit_not_negative"),
        sa.CheckConstraint("bid_count >= 0", name="bid_count_not_negative"),
        sa.CheckConstraint("proxy_count >= 0", name="proxy_count_not_negative"),
        sa.CheckConstraint("round_no > 0", name="round_positive"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "(bid_count = 0 AND current_price_fen IS NULL) OR "
            "(bid_count > 0 AND current_price_fen >= starting_price_fen)",
            name="price_matches_bids",
        ),
        sa.Index("ix_auction_status_ends_at", "status", "ends_at"),
    )


class AuctionBidder(Base):
    """An institution registered to bid in one round: its anonymous code and its deposit."""

    __tablename__ = "auction_bidder"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    auction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction.id"))
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(12))
    deposit_fen: so.Mapped[int] = so.mapped_column(Fen)
    deposit_status: so.Mapped[DepositStatus] = so.mapped_column(enum_column(DepositStatus))
    registered_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    released_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    registered_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))

    institution: so.Mapped[Institution] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("auction_id", "institution_id", name="uq_auction_bidder_institution"),
        sa.UniqueConstraint("auction_id", "code", name="uq_auction_bidder_code"),
        sa.CheckConstraint("deposit_fen >= 0", name="deposit_not_negative"),
    )


class Bid(Base):
    """One accepted bid: append-only, numbered without gaps, strictly increasing within its auction."""

    __tablename__ = "bid"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    auction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction.id"))
    seq: so.Mapped[int] = so.mapped_column(sa.Integer)
    bidder_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction_bidder.id"), index=True)
    amount_fen: so.Mapped[int] = so.mapped_column(Fen)
    placed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    by_proxy: so.Mapped[bool] = so.mapped_column(default=False)

    bidder: so.Mapped[AuctionBidder] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("auction_id", "seq", name="uq_bid_auction_seq"),
        sa.UniqueConstraint("auction_id", "amount_fen", name="uq_bid_auction_amount"),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("seq > 0", name="seq_positive"),
    )


class ProxyBid(Base):
    """A bidder's hidden maximum: the system bids for it one increment at a time, never above it."""

    __tablename__ = "proxy_bid"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    auction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction.id"))
    bidder_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction_bidder.id"))
    max_fen: so.Mapped[int] = so.mapped_column(Fen)
    set_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)

    __table_args__ = (
        sa.UniqueConstraint("auction_id", "bidder_id", name="uq_proxy_bid_bidder"),
        sa.CheckConstraint("max_fen > 0", name="max_positive"),
    )


class AuctionResult(Base):
    """The one outcome of a round: a winner with price and deposit, or a failed round (流拍)."""

    __tablename__ = "auction_result"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    auction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction.id"), unique=True)
    outcome: so.Mapped[Outcome] = so.mapped_column(enum_column(Outcome, name="auction_outcome"))
    winner_bidder_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("auction_bidder.id"))
    winner_institution_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"))
    price_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    winning_seq: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    via_first_refusal: so.Mapped[bool] = so.mapped_column(default=False)
    decided_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)

    auction: so.Mapped[Auction] = so.relationship(back_populates="result")
    winner: so.Mapped[AuctionBidder | None] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(outcome = 'won' AND price_fen > 0 AND winner_institution_id IS NOT NULL) OR "
            "(outcome = 'failed' AND price_fen IS NULL AND winner_institution_id IS NULL)",
            name="won_has_price_and_winner",
        ),
    )


class FirstRefusalAnswer(Base):
    """A first-refusal holder's answer within the window after bidding ended."""

    __tablename__ = "first_refusal_answer"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    auction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction.id"))
    holder_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("first_refusal_holder.id"))
    decision: so.Mapped[RefusalDecision] = so.mapped_column(enum_column(RefusalDecision))
    decided_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    decided_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))

    holder: so.Mapped[FirstRefusalHolder] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("auction_id", "holder_id", name="uq_first_refusal_answer_holder"),)


class AuctionBar(Base):
    """A winner who did not pay, barred from every later round of the same case (art. 24)."""

    __tablename__ = "auction_bar"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"))
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"))
    auction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction.id"))
    barred_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    __table_args__ = (sa.UniqueConstraint("case_id", "institution_id", name="uq_auction_bar_case_institution"),)


class HolderInvitation(Base):
    """A one-time link the operator sends a first-refusal holder to register on the platform and be linked.

    Only the token's SHA-256 is kept; the link is shown once, to the operator who issued it."""

    __tablename__ = "holder_invitation"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    holder_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("first_refusal_holder.id"), index=True)
    auction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction.id"))
    created_by_user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    used_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))

    holder: so.Mapped[FirstRefusalHolder] = so.relationship()
    auction: so.Mapped[Auction] = so.relationship()


class SecondBidderOffer(Base):
    """The one offer of a lot to its second-highest bidder at its own last bid, after the winner defaulted."""

    __tablename__ = "second_bidder_offer"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    auction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction.id"), unique=True)
    bidder_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction_bidder.id"))
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    price_fen: so.Mapped[int] = so.mapped_column(Fen)
    status: so.Mapped[SecondOfferStatus] = so.mapped_column(enum_column(SecondOfferStatus))
    offered_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    offered_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    answer_due_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    answered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    answered_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))

    bidder: so.Mapped[AuctionBidder] = so.relationship()
    institution: so.Mapped[Institution] = so.relationship()

    __table_args__ = (sa.CheckConstraint("price_fen > 0", name="price_positive"),)
