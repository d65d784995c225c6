"""Panels on each role's home page; every area registers the panels it contributes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from market.domain.roles import Role
from market.models import User


@dataclass(frozen=True)
class Panel:
    """One box on a home page: a title, rows of (label, value, link) and an optional action link."""

    title: str
    rows: list[tuple[str, str, str | None]] = field(default_factory=list)
    action: tuple[str, str] | None = None  # (label, url)
    empty: str = ""


PanelSource = Callable[[User], Panel | None]
_SOURCES: dict[Role, list[PanelSource]] = {}


def contributes(*roles: Role):
    """Register a function that builds a home-page panel for users of these roles."""

    def register(source: PanelSource) -> PanelSource:
        for role in roles:
            _SOURCES.setdefault(role, []).append(source)
        return source

    return register


def panels_for(user: User) -> list[Panel]:
    """The panels a user sees on their home page, in registration order."""
    found = []
    for source in _SOURCES.get(Role(user.role), []):
        panel = source(user)
        if panel is not None:
            found.append(panel)
    return found
