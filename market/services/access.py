"""Who may see what: deny by default, per role and per object (refusals: NotFound, Forbidden)."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.errors import Forbidden, NotFound, RoleRequired  # noqa: F401 (callers import the access refusals from here)
from market.domain.ledger import PLEDGEE_ACCOUNT_PREFIXES, deposits_held
from market.domain.roles import SEES_EVERYTHING, Role
from market.models import DisposalCase, LedgerPosting, LedgerTransaction, Loan, User

# Who carries a share of a case, per role: columns of the case or of its loan that hold the institution.
# Roles not named (and not in SEES_EVERYTHING) see no case beyond the public catalogue. One table for the
# SQL predicate (case_visibility) and the check of a loaded case (can_see_case).
CASE_PARTIES = {
    Role.BANK: ((DisposalCase, "bank_id"),),
    Role.GUARANTOR: ((Loan, "guarantor_id"),),
    Role.INSURER: ((Loan, "insurer_id"),),
    Role.AGENCY: ((Loan, "agency_id"), (DisposalCase, "appraiser_id")),
}


def loan_visibility(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause for the loans the user may see."""
    if user.role in SEES_EVERYTHING:
        return sa.true()
    columns = [getattr(Loan, name) for model, name in CASE_PARTIES.get(user.role, ()) if model is Loan]
    if user.role == Role.BANK:
        columns = [Loan.bank_id]
    return sa.or_(sa.false(), *(column == user.institution_id for column in columns))


def case_visibility(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause for the disposal cases the user may see (beyond the public catalogue)."""
    if user.role in SEES_EVERYTHING:
        return sa.true()
    parties = CASE_PARTIES.get(user.role, ())
    own = [getattr(DisposalCase, name) == user.institution_id for model, name in parties if model is DisposalCase]
    through_loan = [getattr(Loan, name) == user.institution_id for model, name in parties if model is Loan]
    if through_loan:
        own.append(DisposalCase.loan_id.in_(sa.select(Loan.id).where(sa.or_(*through_loan))))
    return sa.or_(sa.false(), *own)


# Who sees which ledger postings: bidders their own deposits (paid, refunded, applied, forfeited); the pledgee
# bank also what the centre owes it from its cases and what was forfeited to them. Whole accounts, so running
# balances are the same for everyone who sees an account.
BIDDER_ROLES = (Role.BANK, Role.AIC)


def posting_visibility(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause for the ledger postings the user may see (the query joins LedgerTransaction)."""
    if user.role in SEES_EVERYTHING:
        return sa.true()
    if user.role not in BIDDER_ROLES or user.institution_id is None:
        return sa.false()
    own = [LedgerPosting.account == deposits_held(user.institution_id)]
    if user.role == Role.BANK:
        own_cases = sa.select(DisposalCase.id).where(DisposalCase.bank_id == user.institution_id)
        own.append(sa.and_(LedgerTransaction.case_id.in_(own_cases),
                           sa.or_(*(LedgerPosting.account.startswith(p) for p in PLEDGEE_ACCOUNT_PREFIXES))))
    return sa.or_(*own)


def can_see_case(user: User, case: DisposalCase) -> bool:
    """Whether the user may open the case's private pages (case_visibility, for a case already loaded)."""
    if user.role in SEES_EVERYTHING:
        return True
    return any(getattr(case if model is DisposalCase else case.loan, name) == user.institution_id
               for model, name in CASE_PARTIES.get(user.role, ()))


def case_party_ids(case: DisposalCase) -> list[int]:
    """The institutions that carry a share of the case (CASE_PARTIES): its filing bank and its loan's layers."""
    ids = {getattr(case if model is DisposalCase else case.loan, name)
           for parties in CASE_PARTIES.values() for model, name in parties}
    return sorted(i for i in ids if i is not None)


def visible(session: so.Session, model, object_id: int, visibility: sa.ColumnElement[bool], what: str):
    """The record with this id if it passes its kind's visibility predicate (the one its lists filter by);
    NotFound otherwise."""
    found = session.scalar(sa.select(model).where(model.id == object_id, visibility))
    if found is None:
        raise NotFound()
    return found


def require_role(user: User, *roles: Role) -> None:
    """Raise Forbidden unless the user has one of the roles."""
    if user.role not in roles:
        raise RoleRequired(roles=list(roles))
