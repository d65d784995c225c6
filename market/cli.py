"""Command-line tools: flask --app market.app init-db | seed-demo | create-user | create-token | tick | verify-audit."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click
import sqlalchemy as sa
from flask import Flask, current_app

from market.db import unit_of_work
from market.demo import seed
from market.migrate import upgrade_to_head
from market.models import Institution, User
from market.services import accounts, audit, tick


@contextmanager
def _unit_of_work():
    """A session for one command, in one unit of work (commit at the end, roll back on an error)."""
    with current_app.extensions["market.sessions"]() as session, unit_of_work(session):
        yield session


def _now():
    return current_app.config["CLOCK"]()


@click.command("init-db")
def init_db() -> None:
    """Create or migrate the database to the newest schema."""
    upgrade_to_head(current_app.extensions["market.engine"])
    click.echo("Database is at the newest migration.")


@click.command("seed-demo")
@click.option("--listings", type=int, default=0, help="Also bulk-create N public listings (speed checks).")
def seed_demo(listings: int) -> None:
    """Load the demo data once (safe to run again); optionally N extra catalogue listings."""
    with _unit_of_work() as session:
        created = seed(session, now=_now(), listings_count=listings)
    click.echo("Demo data loaded." if created else "The demo data was already there; none was loaded.")
    if listings:
        click.echo(f"{listings} extra listings added.")


@click.command("create-user")
@click.argument("email")
@click.option("--institution", "institution_code", required=True, help="Unified social credit code.")
@click.option("--name", default="")
@click.password_option()
def create_user(email: str, institution_code: str, name: str, password: str) -> None:
    """Create a user for an existing institution (the role follows the institution's kind)."""
    with _unit_of_work() as session:
        institution = session.scalar(sa.select(Institution).where(Institution.credit_code == institution_code))
        if institution is None:
            raise click.UsageError(f"No institution with credit code {institution_code}.")
        try:
            user = accounts.create_user(
                session, email=email, password=password, institution=institution, display_name=name
            )
        except accounts.AccountError as error:
            raise click.UsageError(str(error)) from None
        click.echo(f"Created {user.email} ({user.role.value}, {institution.name}).")


@click.command("create-token")
@click.argument("email")
@click.option("--label", default="")
def create_token(email: str, label: str) -> None:
    """Print a new API bearer token for a user (shown once; stored hashed)."""
    with _unit_of_work() as session:
        user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
        if user is None or not user.active:
            raise click.UsageError(f"No active user {email}.")
        click.echo(accounts.create_api_token(session, user, label=label))


@click.command("tick")
def tick_command() -> None:
    """Advance whatever is due (notice periods, auction closes, payment deadlines). Safe from cron."""
    with current_app.extensions["market.sessions"]() as session:
        moved = tick.run_due(session, _now())  # each item advances in its own unit of work
    click.echo(", ".join(f"{name}: {count}" for name, count in moved.items()) or "nothing due")


@click.command("verify-audit")
def verify_audit() -> None:
    """Recompute the audit chain; exit 1 and name the first bad event if any row was edited."""
    with _unit_of_work() as session:
        report = audit.verify_chain(session)
    if report.ok:
        click.echo(f"Audit trail intact: {report.checked} events verified.")
        return
    click.echo(f"Audit trail BROKEN at event {report.broken_at}: {report.problem}.", err=True)
    sys.exit(1)


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (init_db, seed_demo, create_user, create_token, tick_command, verify_audit):
        app.cli.add_command(command)

