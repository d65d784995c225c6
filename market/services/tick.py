"""Advance whatever is due: each kind of due work finds its items and advances one; `flask tick` runs them all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy.orm as so

from market.db import unit_of_work
from market.domain.rules import RuleBroken
from market.services import (
    award_chain,
    claim_transfer,
    closing,
    licensing,
    round_notices,
    workflow_deadlines,
)


@dataclass(frozen=True)
class DueWork:
    """One kind of work the clock makes due: which items are due now, and how to advance one.

    `advance` re-checks under its lock that the item is still due and returns False when it is not (another
    tick or a person got there first), so running it twice, or from two ticks at once, is safe.
    """

    name: str
    find: Callable[[so.Session, datetime], Sequence[int]]
    advance: Callable[..., bool]  # advance(session, item_id, now=now)


DUE_WORK = (
    DueWork("auctions: tell bidders of rounds closing within the hour", round_notices.rounds_closing_soon,
            round_notices.tell_closing_soon),
    DueWork("auctions: close ended rounds", closing.ended_rounds, closing.close_auction),
    DueWork("auctions: end first-refusal windows", closing.lapsed_first_refusals, closing.end_first_refusal),
    DueWork("auctions: payment deadlines", closing.unpaid_winners, closing.record_default),
    DueWork("auctions: second-bidder decisions", award_chain.lapsed_decisions, award_chain.end_second_bidder_decision),
    DueWork("auctions: second-bidder offers", award_chain.lapsed_offers, award_chain.end_second_bidder_offer),
    DueWork("negotiated_sales_lapsed", workflow_deadlines.lapsed_negotiated_sales,
            workflow_deadlines.lapse_negotiated_sale),
    DueWork("negotiated_sale_buyers_defaulted", workflow_deadlines.unpaid_negotiated_sales,
            workflow_deadlines.default_negotiated_sale_buyer),
    DueWork("cases_with_lapsed_rights_suspended", workflow_deadlines.cases_with_lapsed_rights,
            workflow_deadlines.suspend_for_lapsed_rights),
    DueWork("licence_offer_deadlines", licensing.rounds_past_deadline, licensing.close_round_at_deadline),
    DueWork("licence_recordal_deadlines", licensing.missed_licence_recordals, licensing.flag_missed_licence_recordal),
    DueWork("claim_offer_deadlines", claim_transfer.listings_without_offers, claim_transfer.fail_listing_without_offers),
    DueWork("pledge_recordal_deadlines", claim_transfer.missed_pledge_recordals,
            claim_transfer.flag_missed_pledge_recordal),
    DueWork("claim_auction_results", claim_transfer.finished_claim_auctions, claim_transfer.sync_claim_auction),
)


def run_due(session: so.Session, now: datetime) -> dict[str, int]:
    """Run every kind of due work once, each item in its own unit of work; how many items each moved."""
    return {work.name: advance_due(session, work, now) for work in DUE_WORK}


def advance_due(session: so.Session, work: DueWork, now: datetime) -> int:
    """Advance every item of one kind that is due at `now`, each in its own unit of work."""
    with unit_of_work(session):
        due = list(work.find(session, now))
    moved = 0
    for item_id in due:
        try:
            with unit_of_work(session):
                moved += bool(work.advance(session, item_id, now=now))
        except RuleBroken:
            continue  # moved by someone else first, or its deadline moved: nothing is due any more
    return moved
