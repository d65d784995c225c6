"""Send what the outboxes hold: each kind of delivery (webhooks, e-mail) sends what is due; `flask deliver`
runs them all, once or in a loop, beside `flask tick`.

A kind's `send` reads its own outbox rows (written in the unit of work of the action that raised the notice),
sends what is due at `now`, records each attempt in its own unit of work and returns how many it sent; a crash
between sending and recording sends that one again, so receivers dedupe by the notice id they are given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy.orm as so

from market import mailer
from market.services import webhooks


@dataclass(frozen=True)
class DeliveryKind:
    """One outbox and how to send what is due from it."""

    name: str
    send: Callable[[so.Session, datetime, Mapping], int]  # send(session, now, app config) -> how many sent


DELIVERIES: tuple[DeliveryKind, ...] = (
    DeliveryKind("mail", mailer.send_mail),
    DeliveryKind("webhooks", webhooks.send_due),
)


def deliver_due(session: so.Session, now: datetime, config: Mapping) -> dict[str, int]:
    """Send what every outbox holds that is due at `now`; how many each kind sent."""
    return {kind.name: kind.send(session, now, config) for kind in DELIVERIES}
