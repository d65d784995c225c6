"""Demo data: realistic, deterministic, and safe to load again (each area seeds only what is missing)."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module

import sqlalchemy.orm as so

# Each module has seed(session, now) -> bool (True when it created something). Order matters.
AREAS = ("market.demo.core", "market.demo.cases", "market.demo.auctions", "market.demo.channels", "market.demo.settlement")


def seed(session: so.Session, *, now: datetime, listings: int = 0) -> bool:
    """Seed every area in order; with listings, also bulk-create that many catalogue listings."""
    created = False
    for name in AREAS:
        created |= bool(import_module(name).seed(session, now))
    if listings:
        bulk = getattr(import_module("market.demo.listings"), "seed_listings", None)
        if bulk is None:
            raise RuntimeError("Bulk listings are not available yet.")
        bulk(session, now, listings)
        created = True
    return created
