"""Advance whatever is due: each area registers a handler; `flask tick` runs them all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import import_module

import sqlalchemy.orm as so

# A handler does the due work of one kind in its own transactions and returns how many it moved.
# It must be idempotent and safe when two ticks run at once (lock or conditional update).
DueHandler = Callable[[so.Session, datetime], int]
HANDLERS: list[tuple[str, DueHandler]] = []


def due(name: str):
    """Register a handler that advances due items of one kind."""

    def register(handler: DueHandler) -> DueHandler:
        HANDLERS.append((name, handler))
        return handler

    return register


def run_due(session: so.Session, now: datetime) -> dict[str, int]:
    """Run every registered handler once; returns how many items each moved."""
    _load_handlers()
    return {name: handler(session, now) for name, handler in HANDLERS}


def _load_handlers() -> None:
    # Importing the service modules registers their handlers.
    for module in TICKING_MODULES:
        import_module(module)


# Service modules that register @due handlers; add yours here.
TICKING_MODULES: list[str] = ["market.services.closing", "market.services.workflow_deadlines",
                               "market.services.licensing", "market.services.claim_transfer"]
