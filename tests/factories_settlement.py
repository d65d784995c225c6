"""Tiny factories for settlement, claims and the fund (build on tests/factories.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import make_engine, make_session_factory, unit_of_work
from market.domain.ledger import BudgetLine, Movement
from market.domain.loss import Shortfall
from market.domain.roles import InstitutionKind, Role
from market.domain.settlement import ClaimKind, ClaimState, ReviewDecision
from market.domain.workflow import CaseState, Channel
from market.models import CompensationClaim, DisposalCase, Institution, PolicyVersion, User
from market.services import compensation, fund, settlement
from market.services.audit import Actor
from market.services.ledger import record_movement
from tests.conftest import PG_URL
from tests.factories import make_case, make_institution, make_loan, make_user

YUAN = 100


def worked_example_loan(session, **overrides):
    """DOMAIN.md section 4: ¥1,000,000, shares 0.4 / 0.3 / 0.2 / 0.1, re-guarantee 0.5, reinsurance 0.25."""
    fields = dict(
        guarantor=make_institution(session, InstitutionKind.GUARANTOR),
        insurer=make_institution(session, InstitutionKind.INSURER),
        agency=make_institution(session, InstitutionKind.AGENCY),
        principal_fen=1_000_000 * YUAN, outstanding_principal_fen=1_000_000 * YUAN, unpaid_interest_fen=0,
        bank_share_ppm=400_000, guarantor_share_ppm=300_000, insurer_share_ppm=200_000, agency_share_ppm=100_000,
        reguarantee_ppm=500_000, reinsurance_ppm=250_000,
    )
    fields.update(overrides)
    return make_loan(session, **fields)


def make_disposed_case(session, recovery_fen: int = 0, loan=None, **overrides) -> DisposalCase:
    """A case whose channel produced its result, ready for settlement."""
    fields = dict(state=CaseState.DISPOSED, recovery_fen=recovery_fen, channel=Channel.AUCTION,
                  costs_so_far_fen=0, disposed_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    fields.update(overrides)
    return make_case(session, loan=loan or worked_example_loan(session), **fields)


def make_policy(session, *, version: int | None = None, **overrides) -> PolicyVersion:
    """A policy version: 30% on every layer, no caps, wait on shortfall, four eyes above ¥100,000."""
    latest = session.scalar(sa.select(sa.func.max(PolicyVersion.version))) or 0
    fields = dict(
        version=version or latest + 1, created_at=datetime(2026, 1, 1, tzinfo=fund.LOCAL),
        ratio_bank_ppm=300_000, ratio_guarantor_ppm=300_000, ratio_insurer_ppm=300_000, ratio_agency_ppm=300_000,
        annual_budget_fen=0, subsidy_budget_fen=0, shortfall=Shortfall.WAIT, four_eyes_above_fen=100_000 * YUAN,
        interest_subsidy_ppm=400_000, interest_subsidy_cap_fen=500_000 * YUAN,
        appraisal_subsidy_ppm=500_000, appraisal_subsidy_cap_fen=100_000 * YUAN,
        premium_subsidy_ppm=500_000, premium_subsidy_cap_fen=100_000 * YUAN,
    )
    fields.update(overrides)
    policy = PolicyVersion(**fields)
    session.add(policy)
    session.flush()
    return policy


def bureau_users(session) -> tuple[User, User]:
    """Two users of one finance bureau (four eyes)."""
    bureau = make_institution(session, InstitutionKind.BUREAU)
    return make_user(session, Role.BUREAU, institution=bureau), make_user(session, Role.BUREAU, institution=bureau)


def operator(session) -> User:
    """A trading-centre operator."""
    return make_user(session, Role.OPERATOR)


def user_of(session, institution: Institution) -> User:
    """A user acting for an institution (role from its kind)."""
    from market.domain.roles import ROLE_OF_INSTITUTION

    return make_user(session, ROLE_OF_INSTITUTION[institution.kind], institution=institution)


def fund_money(session, *, now: datetime, balance_fen: int, budget_fen: int, subsidy_budget_fen: int = 0,
               year: int | None = None, bureau: User | None = None) -> None:
    """Put money in the fund and grant this year's budget lines (committed)."""
    actor = Actor.of(bureau) if bureau else Actor.system()
    year = year or fund.fund_year_of(now)
    with unit_of_work(session):
        _fund_money(session, actor, now, year, balance_fen, budget_fen, subsidy_budget_fen)


def _fund_money(session, actor, now, year, balance_fen, budget_fen, subsidy_budget_fen) -> None:
    if balance_fen:
        fund.contribute(session, balance_fen, actor=actor, now=now)
    if budget_fen:
        fund.grant_budget(session, year, BudgetLine.COMPENSATION, budget_fen, actor=actor, now=now)
    if subsidy_budget_fen:
        fund.grant_budget(session, year, BudgetLine.SUBSIDY, subsidy_budget_fen, actor=actor, now=now)
    if not budget_fen and not subsidy_budget_fen:
        fund.open_year(session, year, now)


def settle(session, case: DisposalCase, *, now: datetime, op: User | None = None, **kwargs):
    """Settle a case as an operator (committed)."""
    with unit_of_work(session):
        return settlement.settle_case(session, case.id, actor=Actor.of(op or operator(session)), now=now, **kwargs)


def claims_of(session, case: DisposalCase) -> dict:
    """The case's compensation claims by layer."""
    rows = session.scalars(sa.select(CompensationClaim).where(CompensationClaim.case_id == case.id,
                                                              CompensationClaim.kind == ClaimKind.COMPENSATION))
    return {claim.layer: claim for claim in rows}


def file_and_approve(session, claim: CompensationClaim, *, now: datetime, first: User, second: User) -> CompensationClaim:
    """File a drafted claim as its institution and approve it (twice if four eyes apply)."""
    with unit_of_work(session):
        if claim.state == ClaimState.DRAFTED:
            filer = user_of(session, claim.institution)
            compensation.file_claim(session, claim.id, actor=Actor.of(filer), now=now)
        compensation.review(session, claim.id, actor=Actor.of(first), decision=ReviewDecision.APPROVE, now=now)
        if claim.state == ClaimState.AWAITING_SECOND_APPROVAL:
            compensation.review(session, claim.id, actor=Actor.of(second), decision=ReviewDecision.APPROVE, now=now)
    return claim


def receive_price(session, case: DisposalCase, amount_fen: int, *, now: datetime) -> None:
    """The buyer's money arrives at the centre for the case (what the channels post)."""
    with unit_of_work(session):
        record_movement(session, Movement.BUYER_PAYMENT, amount_fen=amount_fen, now=now, case_id=case.id)


@contextmanager
def fresh_database(database_template):
    """A session on a clean database for one hypothesis example (function fixtures do not reset between them).

    SQLite: a copy of the migrated template. PostgreSQL: the test's clean database inside an outer
    transaction that is rolled back afterwards (a unit of work's commit becomes a savepoint's release); request the
    `database_url` fixture so the database is clean when the test starts.
    """
    if PG_URL:
        engine = _pg_engine()
        connection = engine.connect()
        outer = connection.begin()
        session = so.Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            outer.rollback()
            connection.close()
        return
    handle, path = tempfile.mkstemp(suffix=".sqlite3")
    os.close(handle)
    shutil.copy(database_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)


@lru_cache(maxsize=1)
def _pg_engine():
    return make_engine(PG_URL)
