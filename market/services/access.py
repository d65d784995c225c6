"""Who may see what: deny by default, per role and per object."""

from __future__ import annotations

import sqlalchemy as sa

from market.domain.roles import SEES_EVERYTHING, Role
from market.models import DisposalCase, Loan, User


class Forbidden(PermissionError):
    """The user may not do this."""


class NotFound(LookupError):
    """No such object, or not one this user may know about."""


def loan_visibility(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause for the loans the user may see."""
    if user.role in SEES_EVERYTHING:
        return sa.true()
    column = {
        Role.BANK: Loan.bank_id,
        Role.GUARANTOR: Loan.guarantor_id,
        Role.INSURER: Loan.insurer_id,
        Role.AGENCY: Loan.agency_id,
    }.get(user.role)
    if column is None:
        return sa.false()
    return column == user.institution_id


def case_visibility(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause for the disposal cases the user may see (beyond the public catalogue)."""
    if user.role in SEES_EVERYTHING:
        return sa.true()
    if user.role == Role.BANK:
        return DisposalCase.bank_id == user.institution_id
    return DisposalCase.loan_id.in_(sa.select(Loan.id).where(loan_visibility(user)))


def can_see_case(user: User, case: DisposalCase) -> bool:
    """Whether the user may open the case's private pages."""
    if user.role in SEES_EVERYTHING:
        return True
    if user.role == Role.BANK:
        return case.bank_id == user.institution_id
    loan = case.loan
    return user.institution_id in {
        Role.GUARANTOR: {loan.guarantor_id},
        Role.INSURER: {loan.insurer_id},
        Role.AGENCY: {loan.agency_id, case.appraiser_id},
    }.get(user.role, set())


def require_role(user: User, *roles: Role) -> None:
    """Raise Forbidden unless the user has one of the roles."""
    if user.role not in roles:
        raise Forbidden(f"This needs the role {' or '.join(r.value for r in roles)}.")
