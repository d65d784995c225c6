"""Demo data: realistic, deterministic, and safe to load again (each area seeds only what is missing)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy.orm as so

from market.demo import auctions, cases, channels, core, listings, loan_book, settlement

# Each area has seed(session, now) -> bool (True when it created something). Order matters: the loan book
# comes last, sized against the defaulted loans the others add.
AREAS = (core, cases, auctions, channels, settlement, loan_book)


def seed(session: so.Session, *, now: datetime, listings_count: int = 0) -> bool:
    """Seed every area in order; with listings_count, also bulk-create that many catalogue listings.

    True only when some area created its demo data (extra listings alone do not count: the demo itself
    was already there).
    """
    created = False
    for area in AREAS:
        created |= bool(area.seed(session, now))
    if listings_count:
        listings.seed_listings(session, now, listings_count)
        loan_book.top_up(session, now)  # the listings' defaulted loans come with the banks' performing lending
    return created
