"""Auction rounds: opening one for a case, registering bidders (deposits), and reading the live state.

Bidding is in market.services.bidding; closing, first refusal, payment and default in
market.services.closing. Lock order everywhere: auction row, then case row.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import is_postgresql
from market.domain.auction import (
    DEFAULT_AUCTION_RULES,
    LIVE_STATUSES,
    AuctionClosed,
    AuctionKind,
    AuctionRules,
    AuctionStatus,
    Barred,
    BidState,
    DepositStatus,
    NotEligible,
    OpensInPast,
    RoundUnfinished,
    Terms,
    check_terms,
    free_bidder_code,
    may_buy_pledged_ip,
    minimum_bid_fen,
)
from market.domain.award_chain import check_lot_terms
from market.domain.claim_transfer import may_buy_claims, may_see_claim_lots
from market.domain.errors import NotFound
from market.domain.ledger import Movement
from market.domain.rules import RuleBroken
from market.domain.workflow import CaseAction, CaseState
from market.models import (
    Auction,
    AuctionBar,
    AuctionBidder,
    Bid,
    DisposalCase,
    FirstRefusalHolder,
    Institution,
    User,
)
from market.services import accounts
from market.services.accounts import Caller
from market.services.audit import Actor, record_event
from market.services.cases import lock_case, move_case
from market.services.ledger import record_movement
from market.services.qualification import qualification_problem


class AuctionNotFound(NotFound):
    """No such auction, or not one this caller may see."""


@dataclass(frozen=True)
class Playbook:
    """How an auction of one kind moves its case (None: the case does not move at that step)."""

    live_state: CaseState  # where the case is while bidding runs
    open: CaseAction
    awarded_state: CaseState
    won: CaseAction | None
    failed: CaseAction
    paid: CaseAction
    defaulted: CaseAction
    payment: Movement


PLAYBOOKS: dict[AuctionKind, Playbook] = {
    AuctionKind.ASSET: Playbook(
        live_state=CaseState.AUCTION, open=CaseAction.OPEN_AUCTION, awarded_state=CaseState.AWAITING_PAYMENT,
        won=CaseAction.AUCTION_WON, failed=CaseAction.AUCTION_FAILED, paid=CaseAction.BUYER_PAID,
        defaulted=CaseAction.BUYER_DEFAULTED, payment=Movement.BUYER_PAYMENT,
    ),
    # A claim-rights lot runs inside the claim-transfer channel: the case stays in CLAIM_TRANSFER
    # until the buyer pays (CLAIM_TRANSFERRED) or the round fails (CLAIM_TRANSFER_FAILED).
    AuctionKind.CLAIM: Playbook(
        live_state=CaseState.CLAIM_TRANSFER, open=CaseAction.START_CLAIM_TRANSFER,
        awarded_state=CaseState.CLAIM_TRANSFER, won=None, failed=CaseAction.CLAIM_TRANSFER_FAILED,
        paid=CaseAction.CLAIM_TRANSFERRED, defaulted=CaseAction.CLAIM_TRANSFER_FAILED,
        payment=Movement.CLAIM_PRICE,
    ),
}


# ---- reading ------------------------------------------------------------------------------------


def lock_auction(session: so.Session, auction_id: int) -> Auction | None:
    """Load an auction for change; on PostgreSQL the row is locked until commit (SQLite: BEGIN IMMEDIATE)."""
    query = sa.select(Auction).where(Auction.id == auction_id)
    if is_postgresql(session):
        query = query.with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()


def terms_of(auction: Auction) -> Terms:
    """The fixed terms of a round."""
    return Terms(auction.starting_price_fen, auction.increment_fen, auction.deposit_fen,
                 auction.starts_at, auction.scheduled_end_at)


def state_of(auction: Auction) -> BidState:
    """The live state of a round."""
    return BidState(AuctionStatus(auction.status), auction.ends_at, auction.bid_count,
                    auction.current_price_fen, auction.leader_institution_id, auction.held_at is not None)


@dataclass(frozen=True)
class Snapshot:
    """What a bidder's system or the live page shows of one round at one moment."""

    id: int
    case_id: int
    round_no: int
    kind: AuctionKind
    title: str
    status: AuctionStatus
    starting_price_fen: int
    increment_fen: int
    deposit_fen: int
    starts_at: datetime
    ends_at: datetime
    bid_count: int
    current_price_fen: int | None
    leader_code: str | None
    minimum_bid_fen: int
    your_code: str | None
    first_refusal_ends_at: datetime | None
    payment_due_at: datetime | None
    held: bool = False  # on hold by a registry change: no bids, the clock stopped


def snapshot(auction: Auction, your_code: str | None = None) -> Snapshot:
    """The round as it stands in its row."""
    return Snapshot(
        id=auction.id, case_id=auction.case_id, round_no=auction.round_no, kind=AuctionKind(auction.kind),
        title=auction.title, status=AuctionStatus(auction.status),
        starting_price_fen=auction.starting_price_fen, increment_fen=auction.increment_fen,
        deposit_fen=auction.deposit_fen, starts_at=auction.starts_at, ends_at=auction.ends_at,
        bid_count=auction.bid_count, current_price_fen=auction.current_price_fen,
        leader_code=auction.leader_code, minimum_bid_fen=minimum_bid_fen(terms_of(auction), state_of(auction)),
        your_code=your_code, first_refusal_ends_at=auction.first_refusal_ends_at,
        payment_due_at=auction.payment_due_at, held=auction.held_at is not None,
    )


def may_see(viewer: Caller | None, auction: Auction | sa.Row) -> bool:
    """Asset lots are public; claim-rights lots only for licensed financial institutions and the operator."""
    return auction.kind != AuctionKind.CLAIM or _sees_claim_lots(viewer)


def visible_auctions(viewer: Caller | None) -> sa.ColumnElement[bool]:
    """A WHERE clause for the auctions a caller (or the public, with None) may see."""
    return _visible(sa.literal(_sees_claim_lots(viewer), sa.Boolean))


def _visible(sees_claim_lots: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    # a value for one caller, or a parameter in the prebuilt watch-list statements
    return sa.or_(Auction.kind == AuctionKind.ASSET, sees_claim_lots)


def _sees_claim_lots(viewer: Caller | None) -> bool:
    return viewer is not None and may_see_claim_lots(viewer.role, viewer.institution_kind, viewer.licensed_financial)


MAX_ID = 2**31 - 1  # ids are INTEGER columns: anything larger cannot exist


def get_visible(session: so.Session, auction_id: int, viewer: Caller | None) -> Auction:
    """The auction, or AuctionNotFound when it does not exist or the caller may not see it."""
    auction = session.get(Auction, auction_id) if 0 < auction_id <= MAX_ID else None
    if auction is None or not may_see(viewer, auction):
        raise AuctionNotFound()
    return auction


_bidder = AuctionBidder.__table__
_ROUND_COLUMNS = (*Auction.__table__.c, _bidder.c.id.label("bidder_id"), _bidder.c.code.label("bidder_code"))
_ROUNDS = sa.select(*_ROUND_COLUMNS).select_from(  # every auction column with one institution's registration
    Auction.__table__.outerjoin(_bidder, sa.and_(
        _bidder.c.auction_id == Auction.id, _bidder.c.institution_id == sa.bindparam("institution_id")))
)
_ROUND_FOR = _ROUNDS.where(Auction.id == sa.bindparam("auction_id"))


def round_for(session: so.Session, auction_id: int, institution_id: int | None) -> sa.Row:
    """The auction's row with the institution's registration (bidder_id, bidder_code, or None), in one
    query and without ORM objects: what every bid and every API read starts from."""
    row = session.connection().execute(_ROUND_FOR, {"auction_id": auction_id, "institution_id": institution_id}).first() \
        if 0 < auction_id <= MAX_ID else None
    if row is None:
        raise AuctionNotFound()
    return row


def rounds_for(
    session: so.Session,
    viewer: Caller,
    *,
    ids: Sequence[int] = (),
    status: AuctionStatus | None = None,
    limit: int = 500,
) -> list[sa.Row]:
    """The auctions the viewer may see (only `ids`, when given), soonest end first, each as round_for
    reads it: one query, however many."""
    parameters = {"institution_id": viewer.institution_id, "sees_claim_lots": _sees_claim_lots(viewer),
                  "limit": limit}
    if ids:
        parameters["ids"] = _possible(ids)
    if status is not None:
        parameters["status"] = status
    return list(session.connection().execute(_ROUNDS_WHERE[bool(ids), status is not None], parameters))


def _possible(ids: Sequence[int]) -> list[int]:
    # ids an INTEGER column can hold (larger ones would make the driver fail, not find nothing)
    return [i for i in ids if 0 < i <= MAX_ID]


def _rounds_where(by_id: bool, by_status: bool) -> sa.Select:
    # Built once per shape (a bank's watch list is read as often as single auctions): only parameters vary.
    query = _ROUNDS.where(_visible(sa.bindparam("sees_claim_lots", type_=sa.Boolean)))
    if by_id:
        query = query.where(Auction.id.in_(sa.bindparam("ids", expanding=True)))
    if by_status:
        query = query.where(Auction.status == sa.bindparam("status"))
    return query.order_by(Auction.ends_at, Auction.id).limit(sa.bindparam("limit", type_=sa.Integer))


_ROUNDS_WHERE = {(by_id, by_status): _rounds_where(by_id, by_status) for by_id in (False, True)
                 for by_status in (False, True)}


def rounds_for_token(session: so.Session, token: str, ids: Sequence[int]) -> tuple[Caller | None, list[sa.Row]]:
    """The bearer token's caller and, of the auctions with `ids`, those it may see, soonest end first, each
    as round_for reads it (with the caller's registration): one query where a request would need two.
    (None, []) when the token is not valid."""
    ids = _possible(ids)
    query, parameters = _ROUNDS_FOR_TOKEN[len(ids) == 1], accounts.token_parameters(token)
    parameters |= {"auction_id": ids[0]} if len(ids) == 1 else {"ids": ids}
    rows = session.connection().execute(query, parameters).all()
    if not rows:
        return None, []
    caller = accounts.caller_of(session, rows[0])
    return caller, [row for row in rows if row.id is not None and may_see(caller, row)]


def _rounds_for_token(one: bool) -> sa.Select:
    # the caller's row, outer-joined to the auctions asked for (none: one row with only the caller) and to
    # the caller's registration for each
    asked = Auction.id == sa.bindparam("auction_id") if one else Auction.id.in_(sa.bindparam("ids", expanding=True))
    return (accounts.with_api_caller(*_ROUND_COLUMNS)
            .outerjoin(Auction, asked)
            .outerjoin(_bidder, sa.and_(_bidder.c.auction_id == Auction.id,
                                        _bidder.c.institution_id == User.institution_id))
            .order_by(Auction.ends_at, Auction.id))


_ROUNDS_FOR_TOKEN = {one: _rounds_for_token(one) for one in (False, True)}


def forget_loaded(session: so.Session, auction_id: int, attributes: list[str] | None = None) -> None:
    """Expire the session's Auction object for this id, if it holds one (all of it, or `attributes`): its row
    was written by core statements or by another session behind the ORM's back."""
    loaded = session.identity_map.get(so.util.identity_key(Auction, auction_id))
    if loaded is not None:
        session.expire(loaded, attributes)


def registration(session: so.Session, auction_id: int, institution_id: int) -> AuctionBidder | None:
    """An institution's registration (code and deposit) in a round, if it has one."""
    return session.scalar(
        sa.select(AuctionBidder).where(
            AuctionBidder.auction_id == auction_id, AuctionBidder.institution_id == institution_id
        )
    )


@dataclass(frozen=True)
class HistoryLine:
    """One accepted bid as everyone sees it: bidders only by code."""

    seq: int
    code: str
    amount_fen: int
    placed_at: datetime
    by_proxy: bool


def bid_history(session: so.Session, auction_id: int, after_seq: int = 0) -> list[HistoryLine]:
    """Accepted bids in order (optionally only those after a sequence number)."""
    rows = session.execute(
        sa.select(Bid.seq, AuctionBidder.code, Bid.amount_fen, Bid.placed_at, Bid.by_proxy)
        .join(AuctionBidder, AuctionBidder.id == Bid.bidder_id)
        .where(Bid.auction_id == auction_id, Bid.seq > after_seq)
        .order_by(Bid.seq)
    )
    return [HistoryLine(*row) for row in rows]


def live_auction_for_case(session: so.Session, case_id: int) -> Auction | None:
    """The case's round that is still open, in first refusal or awaiting payment."""
    return session.scalar(
        sa.select(Auction).where(Auction.case_id == case_id, Auction.status.in_(LIVE_STATUSES))
    )


# ---- opening a round ----------------------------------------------------------------------------


def open_auction(
    session: so.Session,
    case_id: int,
    *,
    starting_price_fen: int,
    increment_fen: int,
    deposit_fen: int,
    ends_at: datetime,
    actor: Actor,
    now: datetime,
    starts_at: datetime | None = None,
    kind: AuctionKind = AuctionKind.ASSET,
    rules: AuctionRules = DEFAULT_AUCTION_RULES,
    second_bidder_offer: bool = False,
) -> Auction:
    """Open the next auction round of a case (the workflow checks notice, rounds and the start floor);
    `second_bidder_offer`: the lot's rules let the centre offer it to the second bidder if the winner defaults."""
    starts_at = starts_at or now
    if starts_at < now:
        raise OpensInPast()
    check_terms(Terms(starting_price_fen, increment_fen, deposit_fen, starts_at, ends_at), rules)
    check_lot_terms(kind, second_bidder_offer)
    case = lock_case(session, case_id)
    if case is None:
        raise NotFound()
    if live_auction_for_case(session, case_id) is not None:
        raise RoundUnfinished()
    playbook = PLAYBOOKS[kind]
    if case.state != playbook.live_state:
        move_case(session, case, playbook.open, actor=actor, now=now, rules=rules.disposal,
                  start_price_fen=starting_price_fen, due_at=ends_at)
    rounds = session.scalar(sa.select(sa.func.count(Auction.id)).where(Auction.case_id == case_id)) or 0
    auction = Auction(
        case_id=case_id, round_no=rounds + 1, kind=kind, title=case.title, status=AuctionStatus.OPEN,
        starting_price_fen=starting_price_fen, increment_fen=increment_fen, deposit_fen=deposit_fen,
        starts_at=starts_at, scheduled_end_at=ends_at, ends_at=ends_at,
        extension_seconds=int(rules.extension.total_seconds()), code_salt=secrets.token_hex(8),
        bid_count=0, proxy_count=0, opened_by_user_id=actor.user.id if actor.user else None, created_at=now,
        second_bidder_offer_allowed=second_bidder_offer,
    )
    session.add(auction)
    session.flush()
    record_event(session, actor=actor, entity="auction", entity_id=auction.id, action="auction_opened",
                 now=now, to_state=AuctionStatus.OPEN.value,
                 detail={"case_id": case_id, "round": auction.round_no, "kind": kind.value,
                         "start_fen": starting_price_fen, "increment_fen": increment_fen,
                         "deposit_fen": deposit_fen, "ends_at": ends_at.isoformat(),
                         "second_bidder_offer": second_bidder_offer})
    return auction


# ---- registering to bid (the deposit step) ------------------------------------------------------


def eligibility_problem(
    session: so.Session, auction: Auction, case: DisposalCase, institution: Institution
) -> RuleBroken | None:
    """Why an institution may not register for a round, or None when it may."""
    is_holder = any(h.institution_id == institution.id for h in case.first_refusal_holders)
    if not may_buy_pledged_ip(institution.kind) and not is_holder:
        return NotEligible()
    if auction.kind == AuctionKind.CLAIM and not may_buy_claims(institution.kind, institution.licensed_financial):
        return NotEligible()
    barred = session.scalar(
        sa.select(AuctionBar.id).where(AuctionBar.case_id == case.id, AuctionBar.institution_id == institution.id)
    )
    if barred:
        return Barred()
    return qualification_problem(session, case, institution)  # bans and approved registrations (issue 21)


def pay_deposit(
    session: so.Session,
    auction_id: int,
    institution_id: int,
    *,
    now: datetime,
    user: User | None = None,
    rules: AuctionRules = DEFAULT_AUCTION_RULES,
) -> tuple[AuctionBidder, bool]:
    """Register an institution for a round and take its deposit (the filing bank is exempt); idempotent.

    Returns the registration and whether this call created it.
    """
    auction = lock_auction(session, auction_id) if 0 < auction_id <= MAX_ID else None
    if auction is None:
        raise AuctionNotFound()
    existing = registration(session, auction_id, institution_id)
    if existing is not None:
        return existing, False
    if auction.status != AuctionStatus.OPEN or now >= auction.ends_at:
        raise AuctionClosed()
    bidder = register_bidder(session, auction, institution_id, now=now, user=user, rules=rules)
    return bidder, True


def register_bidder(
    session: so.Session, auction: Auction, institution_id: int, *, now: datetime, user: User | None,
    rules: AuctionRules, check: bool = True,
) -> AuctionBidder:
    """Register an institution inside the caller's transaction (the auction row must be locked)."""
    case = session.get(DisposalCase, auction.case_id)
    institution = session.get(Institution, institution_id)
    if check:
        problem = eligibility_problem(session, auction, case, institution)
        if problem is not None:
            raise problem
    taken = set(session.scalars(sa.select(AuctionBidder.code).where(AuctionBidder.auction_id == auction.id)))
    exempt = rules.filing_bank_exempt and institution_id == case.bank_id
    bidder = AuctionBidder(
        auction_id=auction.id, institution_id=institution_id,
        code=free_bidder_code(auction.code_salt, institution_id, taken, rules.code_length),
        deposit_fen=0 if exempt else auction.deposit_fen,
        deposit_status=DepositStatus.EXEMPT if exempt else DepositStatus.HELD,
        registered_at=now, registered_by_user_id=user.id if user else None,
    )
    session.add(bidder)
    session.flush()
    if not exempt:
        record_movement(session, Movement.DEPOSIT_PAID, amount_fen=auction.deposit_fen, now=now,
                        case_id=auction.case_id, institution_id=institution_id,
                        reference=f"auction:{auction.id}:deposit:{institution_id}")
    return bidder


def holders_of(case: DisposalCase) -> list[FirstRefusalHolder]:
    """The first-refusal holders named in the case's notice."""
    return list(case.first_refusal_holders)
