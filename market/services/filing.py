"""A bank files a disposal case from its defaulted loan, and resubmits it when the centre returns it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.exc import IntegrityError

from market.db import is_postgresql
from market.domain.filing import (
    AssetNotPledged,
    CaseAlreadyOpen,
    Filing,
    PledgedLoan,
    PledgeNotOfLoan,
    check_filing,
)
from market.domain.roles import Role
from market.domain.workflow import CaseAction, CaseState
from market.models import DisposalCase, IPAsset, Loan, LoanStatus, Pledge, User
from market.services.access import NotFound, require_role
from market.services.audit import Actor, record_event
from market.services.cases import lock_case, move_case
from market.services.catalogue import catalogue_fields

CLOSED_FOR_FILING = (CaseState.REJECTED, CaseState.WITHDRAWN)


def _open_case_exists(loan_id) -> sa.ColumnElement[bool]:
    return sa.exists().where(DisposalCase.loan_id == loan_id, DisposalCase.state.not_in(CLOSED_FOR_FILING))


def fileable_loans(session: so.Session, user: User) -> list[Loan]:
    """The user's bank's defaulted, pledged loans that have no disposal case in progress."""
    return list(session.scalars(
        sa.select(Loan)
        .where(Loan.bank_id == user.institution_id, Loan.status == LoanStatus.DEFAULTED,
               Loan.pledge_id.is_not(None), ~_open_case_exists(Loan.id))
        .options(so.selectinload(Loan.pledge).selectinload(Pledge.assets), so.joinedload(Loan.enterprise))
        .order_by(Loan.defaulted_on.desc(), Loan.id)
    ))


def loan_for_filing(session: so.Session, user: User, loan_id: int) -> Loan:
    """One of the user's bank's loans (NotFound for anyone else's)."""
    require_role(user, Role.BANK)
    loan = session.scalar(
        sa.select(Loan).where(Loan.id == loan_id, Loan.bank_id == user.institution_id)
        .options(so.selectinload(Loan.pledge).selectinload(Pledge.assets), so.joinedload(Loan.enterprise))
    )
    if loan is None:
        raise NotFound()
    return loan


def loan_by_contract(session: so.Session, user: User, contract_number: str) -> Loan:
    """One of the user's bank's loans by its contract number, as a bank's system names it (NotFound for
    anyone else's)."""
    require_role(user, Role.BANK)
    loan_id = session.scalar(sa.select(Loan.id).where(Loan.contract_number == contract_number,
                                                      Loan.bank_id == user.institution_id))
    if loan_id is None:
        raise NotFound()
    return loan_for_filing(session, user, loan_id)


def pledged_asset_ids(loan: Loan, registration: str, registry_numbers: list[str]) -> tuple[int, ...]:
    """The loan's pledged assets named by registry number, for a filing made by a bank's system: the pledge
    named must be the loan's; a number it does not cover is refused as the page refuses a stranger."""
    if loan.pledge is None or loan.pledge.registration_number != registration:
        raise PledgeNotOfLoan(registration=registration)
    by_number = {asset.registry_number: asset.id for asset in loan.pledge.assets}
    if any(number not in by_number for number in registry_numbers):
        raise AssetNotPledged()
    return tuple(by_number[number] for number in registry_numbers)


def pledged_loan(loan: Loan) -> PledgedLoan:
    """The facts of a loan the filing rules read."""
    pledge = loan.pledge
    return PledgedLoan(
        defaulted=loan.status in (LoanStatus.DEFAULTED, LoanStatus.IN_DISPOSAL),
        principal_fen=loan.principal_fen,
        pledge_registration=pledge.registration_number if pledge else None,
        pledge_released=bool(pledge and pledge.released_on),
        pledged_assets={a.id: (a.registry_number, tuple(a.co_owners or ())) for a in (pledge.assets if pledge else [])},
    )


def file_case(session: so.Session, *, loan_id: int, filing: Filing, summary: str, actor: Actor,
              now: datetime) -> DisposalCase:
    """Check the filing, create the case in state filed, mark the loan in disposal, audit."""
    require_role(actor.user, Role.BANK)
    loan = _lock_loan(session, actor.user, loan_id)
    if session.scalar(sa.select(_open_case_exists(loan.id))):
        raise CaseAlreadyOpen()
    check_filing(pledged_loan(loan), filing)
    assets = _chosen_assets(loan, filing.asset_ids)
    case = DisposalCase(
        reference=f"NEW-{loan.id}-{now.timestamp():.0f}", loan=loan, bank_id=loan.bank_id,
        state=CaseState.FILED, summary=summary.strip(), assets=assets,
        principal_outstanding_fen=filing.principal_outstanding_fen,
        unpaid_interest_fen=filing.unpaid_interest_fen, costs_so_far_fen=filing.costs_so_far_fen,
        pledgee_consent=filing.pledgee_consent, co_owner_consents=sorted(filing.co_owner_consents),
        review_checks=[], filed_at=now, updated_at=now, listed=False,
        **catalogue_fields("", assets, loan.enterprise),
    )
    session.add(case)
    try:
        with session.begin_nested():  # a savepoint: a concurrent filing's case undoes only this insert
            session.flush()
    except IntegrityError as error:
        if "open_loan" not in str(error) and "disposal_case.loan_id" not in str(error):
            raise
        raise CaseAlreadyOpen() from None
    case.reference = f"DC-{now.year}-{case.id:06d}"
    case.search_text = catalogue_fields(case.reference, assets, loan.enterprise)["search_text"]
    loan.status = LoanStatus.IN_DISPOSAL
    record_event(session, actor=actor, entity="case", entity_id=case.id, action="file", now=now,
                 from_state=None, to_state=CaseState.FILED.value,
                 detail={"loan": loan.contract_number, "assets": [a.registry_number for a in assets]})
    return case


def resubmit_case(session: so.Session, case_id: int, *, filing: Filing, summary: str, actor: Actor,
                  now: datetime) -> DisposalCase:
    """The bank corrects a returned filing and sends it back to the centre."""
    require_role(actor.user, Role.BANK)
    case = lock_case(session, case_id)
    if case is None or case.bank_id != actor.user.institution_id:
        raise NotFound()
    check_filing(pledged_loan(case.loan), filing)
    case.assets = _chosen_assets(case.loan, filing.asset_ids)
    case.principal_outstanding_fen = filing.principal_outstanding_fen
    case.unpaid_interest_fen = filing.unpaid_interest_fen
    case.costs_so_far_fen = filing.costs_so_far_fen
    case.pledgee_consent = filing.pledgee_consent
    case.co_owner_consents = sorted(filing.co_owner_consents)
    case.summary = summary.strip()
    for name, value in catalogue_fields(case.reference, case.assets, case.loan.enterprise).items():
        setattr(case, name, value)
    move_case(session, case, CaseAction.RESUBMIT, actor=actor, now=now)
    return case


def _lock_loan(session: so.Session, user: User, loan_id: int) -> Loan:
    query = sa.select(Loan).where(Loan.id == loan_id, Loan.bank_id == user.institution_id)
    if is_postgresql(session):
        query = query.with_for_update()
    loan = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if loan is None:
        raise NotFound()
    return loan


def _chosen_assets(loan: Loan, asset_ids: tuple[int, ...]) -> list[IPAsset]:
    by_id = {asset.id: asset for asset in loan.pledge.assets}
    return [by_id[asset_id] for asset_id in dict.fromkeys(asset_ids)]
