"""Demo data: realistic, deterministic, and safe to load again (each area seeds only what is missing)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy.orm as so

from market.demo import (
    auctions,
    cases,
    channels,
    confirmation,
    core,
    listings,
    loan_book,
    lots,
    settlement,
)
from market.demo.history import Truth, seed_history

# Each area has seed(session, now) -> bool (True when it created something). Order matters: the loan book
# comes last, sized against the defaulted loans the others add.
AREAS = (core, cases, auctions, lots, confirmation, channels, settlement, loan_book)


def seed(session: so.Session, *, now: datetime, listings_count: int = 0, history_cases: int = 0,
         truth: Truth | None = None) -> bool:
    """Seed every area in order; with listings_count, also bulk-create that many catalogue listings; with
    history_cases, make the calibration history that many past cases long (history.seed_history).

    True only when some area created its demo data (extra listings and history alone do not count: the
    demo itself was already there).
    """
    created = False
    for area in AREAS:
        if area is settlement and history_cases:
            # before the fund has a policy on a new demo, so the history's long-settled cases draft no claims
            seed_history(session, now, history_cases, truth or Truth())
        created |= bool(area.seed(session, now))
    if listings_count:
        listings.seed_listings(session, now, listings_count)
        loan_book.top_up(session, now)  # the listings' defaulted loans come with the banks' performing lending
    return created
