"""Read the disposed cases the simulator is calibrated from, and export the calibration as a scenario fragment.

One implementation for `flask export-calibration` and `scripts/calibrate.py`: read the cases (a handful of
set-based queries, whatever their number), fit them (sim/calibration.py) and render the fragment
(sim/calibration_fragment.py). Nothing is written to the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import AuctionKind, AuctionStatus, Outcome
from market.domain.roles import Role
from market.domain.workflow import CaseState
from market.models import (
    Auction,
    AuctionBidder,
    AuctionResult,
    AuditEvent,
    DisposalCase,
    IPKind,
    Loan,
)
from market.models.settlement import SettlementStatement
from sim.calibration import LEVEL, Calibration, CaseRecord, RoundRecord, fit
from sim.calibration_fragment import Provenance, fragment, to_toml, warnings

DISPOSED_STATES = (CaseState.DISPOSED, CaseState.SETTLED, CaseState.TRANSFER_RECORDED, CaseState.CLOSED)
FALLBACK_STARTS = {"start_licensing", "start_conversion", "start_claim_transfer"}
CHANNEL_STATES = {s.value for s in (CaseState.AUCTION, CaseState.NEGOTIATED_SALE, CaseState.LICENSING,
                                    CaseState.CONVERSION, CaseState.CLAIM_TRANSFER)}


@dataclass(frozen=True)
class Export:
    """A finished export: the fragment's text, the fit behind it and the warnings to print."""

    text: str
    calibration: Calibration
    warnings: list[str]


def export_calibration(session: so.Session, *, source: str, now: datetime, since: date | None = None,
                       kind: IPKind | None = None, force: bool = False, level: float = LEVEL,
                       seed: int = 0) -> Export:
    """Read the disposed cases, fit them and render the fragment (the caller writes it where it likes)."""
    cases = disposed_cases(session, since=since, kind=kind)
    calibration = fit(cases, seed=seed, level=level)
    provenance = Provenance(source, now.astimezone(UTC), since.isoformat() if since else None,
                            kind.value if kind else None, force)
    text = to_toml(fragment(calibration, provenance), calibration)
    return Export(text, calibration, warnings(calibration, force))


def disposed_cases(session: so.Session, *, since: date | None = None, kind: IPKind | None = None) -> list[CaseRecord]:
    """Every disposed case (disposed on or after `since`, of one IP kind if given) as a calibration record."""
    query = (
        sa.select(DisposalCase, Loan.defaulted_on)
        .join(Loan, Loan.id == DisposalCase.loan_id)
        .where(DisposalCase.state.in_(DISPOSED_STATES), DisposalCase.disposed_at.is_not(None),
               DisposalCase.recovery_fen.is_not(None), DisposalCase.appraised_value_fen > 0,
               DisposalCase.channel.is_not(None))
        .order_by(DisposalCase.id)
    )
    if since is not None:
        query = query.where(DisposalCase.disposed_at >= datetime.combine(since, time(), tzinfo=UTC))
    if kind is not None:
        query = query.where(DisposalCase.primary_kind == kind)
    rows = session.execute(query).all()
    ids = [case.id for case, _ in rows]
    statements = _first_statements(session, ids)
    rounds = _rounds(session, ids)
    events = _case_events(session, ids)
    return [_record(case, defaulted_on, statements.get(case.id), rounds.get(case.id, []), events.get(case.id, []))
            for case, defaulted_on in rows]


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _first_statements(session: so.Session, ids: list[int]) -> dict[int, SettlementStatement]:
    found = {}
    for chunk in _chunks(ids):
        for row in session.scalars(sa.select(SettlementStatement).where(
                SettlementStatement.case_id.in_(chunk), SettlementStatement.revision == 1)):
            found[row.case_id] = row
    return found


def _rounds(session: so.Session, ids: list[int]) -> dict[int, list[sa.Row]]:
    bidders = (sa.select(sa.func.count(AuctionBidder.id)).where(AuctionBidder.auction_id == Auction.id)
               .correlate(Auction).scalar_subquery())
    found: dict[int, list[sa.Row]] = defaultdict(list)
    for chunk in _chunks(ids):
        query = (
            sa.select(Auction.case_id, Auction.round_no, Auction.status, Auction.starting_price_fen, Auction.starts_at,
                      Auction.closed_at, Auction.payment_due_at, Auction.paid_at, AuctionResult.outcome, AuctionResult.price_fen,
                      bidders.label("bidders"))
            .join(AuctionResult, AuctionResult.auction_id == Auction.id)
            .where(Auction.case_id.in_(chunk), Auction.kind == AuctionKind.ASSET)
            .order_by(Auction.case_id, Auction.round_no)
        )
        for row in session.execute(query):
            found[row.case_id].append(row)
    return found


def _case_events(session: so.Session, ids: list[int]) -> dict[int, list[sa.Row]]:
    found: dict[int, list[sa.Row]] = defaultdict(list)
    for chunk in _chunks(ids):
        query = (
            sa.select(AuditEvent.entity_id, AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state,
                      AuditEvent.actor_role, AuditEvent.occurred_at)
            .where(AuditEvent.entity_type == "case", AuditEvent.entity_id.in_(chunk))
            .order_by(AuditEvent.entity_id, AuditEvent.occurred_at, AuditEvent.id)
        )
        for row in session.execute(query):
            found[row.entity_id].append(row)
    return found


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 86_400


def _record(case: DisposalCase, defaulted_on: date | None, statement: SettlementStatement | None,
            rounds: list[sa.Row], events: list[sa.Row]) -> CaseRecord:
    appraised = case.appraised_value_fen
    notice_at = case.notice_published_at
    round_records, previous = [], notice_at
    for row in rounds:
        sold = row.outcome == Outcome.WON and row.paid_at is not None
        defaulted = row.outcome == Outcome.WON and row.status == AuctionStatus.DEFAULTED
        # a round ends when the price is paid, when it closes without a winner, or when its winner's
        # payment falls due unpaid (the re-run is reckoned from then)
        ended = row.paid_at if sold else row.payment_due_at if defaulted else (row.closed_at or row.starts_at)
        round_records.append(RoundRecord(
            round_no=row.round_no, start_share=row.starting_price_fen / appraised, bidders=int(row.bidders),
            sold=sold, price_share=row.price_fen / appraised if sold else None, days=_days(ended, row.starts_at),
            days_since_previous=_days(row.starts_at, previous) if previous else 0.0, defaulted=defaulted,
        ))
        previous = ended if defaulted else (row.closed_at or row.starts_at)
    negotiated, negotiated_days = _negotiated(events)
    fallback_start = next((e.occurred_at for e in events if e.action in FALLBACK_STARTS), None)
    opened = [e.occurred_at for e in events if e.to_state in CHANNEL_STATES and e.from_state != e.to_state]
    channel_opened = min([*opened, *(r.starts_at for r in rounds)], default=None)
    return CaseRecord(
        kind=case.primary_kind.value, channel=case.channel.value, appraised_fen=appraised,
        principal_fen=case.principal_outstanding_fen, recovery_fen=case.recovery_fen, defaulted_on=defaulted_on,
        filed_at=case.filed_at, notice_at=notice_at, disposed_at=case.disposed_at, rounds=tuple(round_records),
        negotiated=negotiated, negotiated_days=negotiated_days,
        fallback_days=_days(case.disposed_at, fallback_start) if fallback_start else None,
        channel_opened_at=channel_opened, settled_at=case.settled_at,
        gross_proceeds_fen=statement.gross_proceeds_fen if statement else None,
        costs_fen=statement.costs_fen if statement else None,
        to_principal_fen=statement.to_principal_fen if statement else None,
        operator_actions=sum(1 for e in events if e.actor_role == Role.OPERATOR.value),
    )


def _negotiated(events: list[sa.Row]) -> tuple[bool | None, float | None]:
    """Whether a negotiated sale was tried and sold, and how long it took (agreed or lapsed)."""
    started = next((e.occurred_at for e in events if e.to_state == CaseState.NEGOTIATED_SALE.value), None)
    if started is None:
        return None, None
    for event in events:
        if event.occurred_at < started:
            continue
        if event.action == "negotiated_sale_agreed":
            return True, _days(event.occurred_at, started)
        if event.action == "negotiated_sale_lapsed":
            return False, _days(event.occurred_at, started)
    return None, None

