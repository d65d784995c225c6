"""The ledger pages: postings by account, case and date with running balances, one transaction, CSV export.

The centre and the bureau read the whole ledger; a bank or AIC reads the postings that concern it
(access.posting_visibility).
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.ledger import AccountKind, BudgetLine, Movement, account_kind
from market.domain.roles import SEES_EVERYTHING, Role
from market.services import ledger_book
from market.services.access import BIDDER_ROLES
from market.services.ledger_book import LedgerQuery, PostingLine
from market.web import dashboards
from market.web.bureau_csv import csv_response, yuan
from market.web.context import db, user
from market.web.forms.records import LedgerFilterForm
from market.web.labels import ACCOUNT_KIND_NAMES, label
from market.web.paging import page_links

bp = Blueprint("ledger", __name__, url_prefix="/ledger")

READERS = SEES_EVERYTHING | set(BIDDER_ROLES)


@bp.before_request
@login_required
def _readers_only():
    if user().role not in READERS:
        abort(403)


def account_name(account: str, institutions: dict[str, str]) -> str:
    """An account in words: its kind's label and what it belongs to (a bidder, a case, a claim, a year)."""
    kind, owner = account_kind(account)
    name = str(ACCOUNT_KIND_NAMES[kind])
    if kind == AccountKind.DEPOSITS_HELD:
        return f"{name} · {institutions.get(owner, owner)}"
    if kind in (AccountKind.PROCEEDS_PAYABLE, AccountKind.FORFEITED):
        return f"{name} · " + _("case %(number)s", number=owner)
    if kind in (AccountKind.CLAIMS_PAYABLE, AccountKind.CLAWBACK_RECEIVABLE):
        return f"{name} · " + _("claim %(number)s", number=owner)
    if owner:
        year, line = owner.split(":", 1)
        return f"{name} · {year} {label(BudgetLine(line))}"
    return name


def _query(form: LedgerFilterForm) -> LedgerQuery:
    return LedgerQuery(account=(form.account.data or "").strip() or None, case_id=form.case.data,
                       since=form.since.data, until=form.until.data, page=form.page.data or 1)


def _form() -> tuple[LedgerFilterForm, bool]:
    form = LedgerFilterForm(formdata=request.args)
    return form, form.validate()


@bp.route("/")
def index():
    """The postings the reader may see, newest first, filtered and paged, each with its account's balance."""
    form, valid = _form()
    query = _query(form) if valid else LedgerQuery()
    page = ledger_book.ledger_page(db(), user(), query)
    accounts = ledger_book.visible_accounts(db(), user())
    names = ledger_book.institution_names(db(), accounts)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("ledger/index.html", form=form, page=page, accounts=accounts, names=names,
                           account_name=account_name, args=args, links=page_links(page.page, page.pages),
                           movement=lambda value: label(Movement(value))), (200 if valid else 422)


@bp.route("/transactions/<int:transaction_id>")
def transaction(transaction_id: int):
    """One transaction and its postings (those the reader may see)."""
    found, lines = ledger_book.transaction_postings(db(), user(), transaction_id)
    names = ledger_book.institution_names(db(), lines)
    return render_template("ledger/transaction.html", transaction=found, lines=lines, names=names,
                           account_name=account_name, movement=label(Movement(found.movement)))


@bp.route("/export.csv")
def export():
    """The filtered postings as CSV, oldest first (all pages)."""
    form, valid = _form()
    if not valid:
        abort(422)
    lines = list(ledger_book.ledger_lines(db(), user(), _query(form)))
    names = ledger_book.institution_names(db(), lines)
    header = [_("Posting"), _("Transaction"), _("Time (Beijing)"), _("Movement"), _("Case"), _("Account"),
              _("Account code"), _("Debit (yuan)"), _("Credit (yuan)"), _("Balance (yuan, debit-positive)"), _("Memo")]
    return csv_response("ledger.csv", header, (_row(line, names) for line in lines))


def _row(line: PostingLine, names: dict[str, str]) -> list[object]:
    local = line.occurred_at.astimezone(ledger_book.LOCAL).strftime("%Y-%m-%d %H:%M:%S")
    return [line.id, line.transaction_id, local, label(Movement(line.movement)), line.case_id,
            account_name(line.account, names), line.account, yuan(line.amount_fen) if line.amount_fen > 0 else None,
            yuan(-line.amount_fen) if line.amount_fen < 0 else None, yuan(line.balance_fen), line.memo]


@dashboards.contributes(Role.OPERATOR, Role.BUREAU, Role.BANK, Role.AIC)
def _ledger_panel(me):
    return dashboards.Panel(title=_("Ledger"), rows=[], action=(_("Browse the ledger"), url_for("ledger.index")),
                            empty=_("Every money movement through the trading centre and the fund, by account."))
