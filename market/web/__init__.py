"""Blueprints, one per audience; create_app registers them in this order."""

from __future__ import annotations

from importlib import import_module

from flask import Blueprint

from market.extensions import csrf, limiter

# Each module exposes `bp`. Add a module here when an area gets pages.
MODULES = (
    "market.web.auth",
    "market.web.main",
    "market.web.catalogue",
    "market.web.cases",
    "market.web.operator",
    "market.web.auctions",
    "market.web.channels",
    "market.web.bureau",
    "market.web.settlement",
    "market.web.api",
)


def blueprints() -> list[Blueprint]:
    """Import every blueprint; the JSON API is exempt from CSRF (it authenticates by bearer token)."""
    found = []
    for name in MODULES:
        module = import_module(name)
        blueprint = getattr(module, "bp", None)
        if blueprint is None:
            continue
        if blueprint.name == "api":
            csrf.exempt(blueprint)
            limiter.exempt(blueprint)  # bearer-token clients; the login form is what is rate-limited
        found.append(blueprint)
    return found
