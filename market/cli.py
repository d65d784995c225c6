"""Command-line tools: flask --app market.app init-db | seed-demo | create-user | create-token | list-tokens |
revoke-token | tick | deliver | audit-anchor | verify-audit | verify-ledger | export-calibration."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

import click
import sqlalchemy as sa
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from market.db import unit_of_work
from market.demo import seed
from market.demo.history import Truth as HistoryTruth
from market.demo.history import history_size
from market.migrate import upgrade_to_head
from market.models import Institution, IPKind, User
from market.services import accounts, audit, calibration, delivery, ledger, sandbox, tick


@contextmanager
def _unit_of_work():
    """A session for one command, in one unit of work (commit at the end, roll back on an error)."""
    with current_app.extensions["market.sessions"]() as session, unit_of_work(session):
        yield session


def _now():
    """Server time: the CLOCK setting's, or in a sandbox the sandbox's clock (its anchor read once per command)."""
    real = current_app.config["CLOCK"]()
    if not current_app.config["SANDBOX"]:
        return real
    if "sandbox_anchor" not in g:
        g.sandbox_anchor = _sandbox_anchor(real)
    return g.sandbox_anchor.time_at(real)


def _sandbox_anchor(real_now):
    # Read in a unit of work of its own, before the command's: on SQLite a transaction holds the one write
    # lock from its first read, so the anchor is never read from a second connection while the command's
    # own transaction is open (the web's now() reads it in the request's transaction instead).
    with _unit_of_work() as session:
        return sandbox.clock_anchor(session, real_now, current_app.config["SANDBOX_FACTOR"])


@click.command("init-db")
def init_db() -> None:
    """Create or migrate the database to the newest schema."""
    upgrade_to_head(current_app.extensions["market.engine"])
    click.echo("Database is at the newest migration.")


@click.command("seed-demo")
@click.option("--listings", type=int, default=0, help="Also bulk-create N public listings (speed checks).")
@click.option("--history", type=click.IntRange(min=0), default=0,
              help="Also make the calibration history N disposed and settled cases spread over past years "
                   "(only the cases missing are added).")
@click.option("--truth", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TOML of the parameters the history is made from (default: market/demo/history.py Truth).")
def seed_demo(listings: int, history: int, truth: str | None) -> None:
    """Load the demo data once (safe to run again); optionally N extra catalogue listings and N past cases."""
    try:
        parameters = HistoryTruth.read(truth)
    except (ValueError, TypeError, OSError) as error:
        raise click.UsageError(f"--truth {truth}: {error}") from None
    with _unit_of_work() as session:
        before = history_size(session)
        created = seed(session, now=_now(), listings_count=listings, history_cases=history, truth=parameters)
        added = history_size(session) - before
    click.echo("Demo data loaded." if created else "The demo data was already there; none was loaded.")
    if listings:
        click.echo(f"{listings} extra listings added.")
    if added:
        click.echo(f"{added} past disposed cases added; the calibration history has {history} cases.")
    elif history:
        click.echo(f"The calibration history already has at least {history} cases; none were added.")


def calibration_options(command):
    """--out, --since, --kind and --force: the options of every calibration export."""
    for option in reversed((
        click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
                     help="Where to write the scenario fragment (TOML)."),
        click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                     help="Only cases disposed on or after this date (YYYY-MM-DD)."),
        click.option("--kind", type=click.Choice([kind.value for kind in IPKind]), default=None,
                     help="Only cases whose main asset is of this IP kind."),
        click.option("--force", is_flag=True, help="Use quantities fitted from fewer than 30 cases too."),
        click.option("--level", type=click.FloatRange(0.5, 1, max_open=True), default=0.95, show_default=True,
                     help="Confidence level of every interval."),
    )):
        command = option(command)
    return command


@click.command("export-calibration")
@calibration_options
@with_appcontext  # the test runner does not push one, and it reads the app's engine
def export_calibration_command(out: str, since, kind: str | None, force: bool, level: float) -> None:
    """Fit the simulator's disposal assumptions to the disposed cases; write a scenario fragment."""
    export_to_file(current_app.extensions["market.sessions"], current_app.extensions["market.engine"], now=_now(),
                   out=out, since=since, kind=kind, force=force, level=level)


def export_to_file(sessions, engine, *, now, out: str, since, kind: str | None, force: bool, level: float) -> None:
    """Read, fit and write the fragment, then say what it holds (scripts/calibrate.py runs this too)."""
    with sessions() as session, unit_of_work(session):
        export = calibration.export_calibration(
            session, source=engine.url.render_as_string(hide_password=True), now=now,
            since=since.date() if since else None, kind=IPKind(kind) if kind else None, force=force, level=level)
    try:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(export.text)
    except OSError as error:
        raise click.UsageError(f"cannot write {out}: {error.strerror or error}") from None
    for line in export.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(f"{export.calibration.cases} disposed cases read; {len(export.calibration.quantities)} quantities "
               f"fitted; wrote {out}.")


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
@click.option("--days", type=click.IntRange(min=1), default=accounts.TOKEN_DAYS, show_default=True,
              help="Days until the token expires.")
def create_token(email: str, label: str, days: int) -> None:
    """Print a new API bearer token for a user (shown once; stored hashed)."""
    with _unit_of_work() as session:
        user = _active_user(session, email)
        click.echo(accounts.create_api_token(session, user, label=label, days=days))


@click.command("list-tokens")
@click.argument("email")
def list_tokens(email: str) -> None:
    """List a user's API tokens: id, label, created, last used, expires, revoked (UTC)."""
    with _unit_of_work() as session:
        user = _active_user(session, email)
        for token in accounts.api_tokens(session, user.institution_id, user.id):
            times = (token.created_at, token.last_used_at, token.expires_at, token.revoked_at)
            click.echo("\t".join([str(token.id), token.label or "-",
                                  *(f"{time:%Y-%m-%d %H:%M}" if time else "-" for time in times)]))


@click.command("revoke-token")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke an API token at once (its id is in list-tokens)."""
    with _unit_of_work() as session:
        try:
            token = accounts.revoke_api_token(session, token_id)
        except accounts.NotFound:
            raise click.UsageError(f"No API token {token_id}.") from None
        click.echo(f"Token {token.id} ({token.label or 'no label'}) revoked.")


def _active_user(session, email: str) -> User:
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise click.UsageError(f"No active user {email}.")
    return user


@click.command("tick")
@click.option("--every", type=click.FloatRange(min=0.1), default=None,
              help="Run again every SECONDS (real time) until stopped; a sandbox's schedule, where cron's minute "
                   "is a whole day.")
@click.option("--runs", type=click.IntRange(min=1), default=None, help="With --every: stop after N runs.")
def tick_command(every: float | None, runs: int | None) -> None:
    """Advance whatever is due (notice periods, auction closes, payment deadlines). Safe from cron."""
    done = 0
    while True:
        g.pop("sandbox_anchor", None)  # a jump since the last run counts
        at = _now()
        with current_app.extensions["market.sessions"]() as session:
            moved = tick.run_due(session, at)  # each item advances in its own unit of work
        summary = ", ".join(f"{name}: {count}" for name, count in moved.items()) or "nothing due"
        click.echo(f"[sandbox {at:%Y-%m-%d %H:%M} UTC] {summary}" if current_app.config["SANDBOX"] else summary)
        done += 1
        if every is None or (runs is not None and done >= runs):
            return
        time.sleep(every)


@click.command("deliver")
@click.option("--every", type=click.FloatRange(min=0.1), default=None,
              help="Keep delivering, waking every this many seconds (default: once, then exit).")
def deliver_command(every: float | None) -> None:
    """Send what the outboxes hold (webhooks, e-mail), with retries as each kind schedules. Safe from cron."""
    while True:
        g.pop("sandbox_anchor", None)  # a sandbox jump since the last pass counts
        with current_app.extensions["market.sessions"]() as session:
            sent = delivery.deliver_due(session, _now(), current_app.config)
        click.echo(", ".join(f"{name}: {count}" for name, count in sent.items()) or "nothing to deliver")
        if every is None:
            return
        time.sleep(every)


@click.command("audit-anchor")
def audit_anchor() -> None:
    """Print the audit chain's anchor (event count, head hash, time; a MAC when MARKET_AUDIT_KEY is set).
    Keep it outside the database; verify-audit --anchor checks the chain still reaches it."""
    with _unit_of_work() as session:
        kept = audit.anchor(session, _now(), key=current_app.config.get("AUDIT_KEY", ""))
    click.echo(kept.text())


@click.command("verify-audit")
@click.option("--anchor", "anchor_texts", multiple=True, help="An anchor printed by audit-anchor (repeatable).")
def verify_audit(anchor_texts: tuple[str, ...]) -> None:
    """Recompute the audit chain and check it against anchors kept outside; exit 1 naming the first problem."""
    key = current_app.config.get("AUDIT_KEY", "")
    try:
        anchors = tuple(audit.Anchor.parse(text) for text in anchor_texts)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    for kept in anchors:
        if not kept.authentic(key):
            click.echo(f"Anchor {kept.text()} is not authentic under MARKET_AUDIT_KEY (forged, or another key).",
                       err=True)
            sys.exit(1)
    with _unit_of_work() as session:
        report = audit.verify_chain(session, anchors)
    if report.ok:
        click.echo(f"Audit trail intact: {report.checked} events verified, {len(anchors)} anchors reached.")
        return
    where = f" at event {report.broken_at}" if report.broken_at is not None else ""
    click.echo(f"Audit trail BROKEN{where}: {report.problem}.", err=True)
    sys.exit(1)


@click.command("verify-ledger")
def verify_ledger() -> None:
    """Check every ledger transaction balances and no held, owed or cash account is negative; exit 1 naming
    the first bad transaction."""
    with _unit_of_work() as session:
        report = ledger.check_ledger(session)
    if report.ok:
        click.echo(f"Ledger consistent: {report.transactions} transactions balance, no account is negative.")
        return
    click.echo(f"Ledger BROKEN at transaction {report.first_bad}: {report.problem}.", err=True)
    sys.exit(1)


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (init_db, seed_demo, create_user, create_token, list_tokens, revoke_token, tick_command, deliver_command,
                    audit_anchor, verify_audit, verify_ledger, export_calibration_command):
        app.cli.add_command(command)

