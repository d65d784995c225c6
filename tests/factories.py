"""Tiny factories: make_x(session, **overrides) builds a valid object and flushes it."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from functools import lru_cache

from argon2 import PasswordHasher

from market.domain.roles import ROLE_OF_INSTITUTION, InstitutionKind, Role
from market.domain.workflow import CaseState
from market.models import (
    PPM,
    DisposalCase,
    Enterprise,
    Institution,
    IPAsset,
    IPKind,
    LegalStatus,
    Loan,
    LoanStatus,
    Pledge,
    User,
)

PASSWORD = "password-123"
_seq = itertools.count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # argon2id with the cheapest parameters: verification cost is read from the hash, so test logins
    # stay fast while going through the real argon2 verify
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def _n() -> int:
    return next(_seq)


def make_institution(session, kind: InstitutionKind = InstitutionKind.BANK, **overrides) -> Institution:
    """An institution of a kind (bank by default)."""
    n = _n()
    fields = dict(name=f"{kind.value.title()} {n}", kind=kind, credit_code=f"91TEST{n:012d}", region="北京",
                  licensed_financial=kind in (InstitutionKind.BANK, InstitutionKind.AIC))
    fields.update(overrides)
    institution = Institution(**fields)
    session.add(institution)
    session.flush()
    return institution


def make_user(session, role: Role = Role.BANK, institution: Institution | None = None, **overrides) -> User:
    """A user with the password "password-123"; makes an institution of the matching kind if none."""
    if institution is None:
        kind = next(k for k, r in ROLE_OF_INSTITUTION.items() if r == role)
        institution = make_institution(session, kind)
    n = _n()
    fields = dict(email=f"{role.value}{n}@test.cn", password_hash=_password_hash(), role=role,
                  institution=institution, display_name=f"{role.value} user {n}")
    fields.update(overrides)
    user = User(**fields)
    session.add(user)
    session.flush()
    return user


def make_enterprise(session, **overrides) -> Enterprise:
    """A borrowing firm."""
    n = _n()
    fields = dict(name=f"测试科技有限公司{n}", credit_code=f"91ENT{n:013d}", industry="集成电路", region="北京")
    fields.update(overrides)
    enterprise = Enterprise(**fields)
    session.add(enterprise)
    session.flush()
    return enterprise


def make_asset(session, owner: Enterprise | None = None, **overrides) -> IPAsset:
    """A valid patent owned by a firm."""
    n = _n()
    fields = dict(kind=IPKind.PATENT, registry_number=f"ZL2024{n:08d}.X", title=f"一种测试方法{n}",
                  owner=owner or make_enterprise(session), legal_status=LegalStatus.VALID,
                  expires_on=date(2040, 1, 1))
    fields.update(overrides)
    asset = IPAsset(**fields)
    session.add(asset)
    session.flush()
    return asset


def make_loan(session, bank: Institution | None = None, **overrides) -> Loan:
    """A defaulted ¥1,000,000 loan held by the bank alone, pledged with one patent."""
    bank = bank or make_institution(session)
    enterprise = overrides.pop("enterprise", None) or make_enterprise(session)
    n = _n()
    pledge = overrides.pop("pledge", None) or Pledge(
        registration_number=f"Y2024{n:08d}", pledgee=bank, secured_amount_fen=100_000_000,
        registered_on=date(2024, 1, 10), assets=[make_asset(session, owner=enterprise)],
    )
    fields = dict(
        contract_number=f"LOAN-{n:06d}", bank=bank, enterprise=enterprise, pledge=pledge,
        principal_fen=100_000_000, outstanding_principal_fen=100_000_000, unpaid_interest_fen=2_250_000,
        annual_rate_ppm=45_000, appraised_value_fen=200_000_000, start_date=date(2024, 1, 10),
        maturity_date=date(2025, 1, 10), defaulted_on=date(2025, 4, 10), status=LoanStatus.DEFAULTED,
        bank_share_ppm=PPM,
    )
    fields.update(overrides)
    loan = Loan(**fields)
    session.add(loan)
    session.flush()
    return loan


def make_case(session, state: CaseState = CaseState.FILED, loan: Loan | None = None, **overrides) -> DisposalCase:
    """A disposal case in a given state (fields filled so the state is consistent)."""
    loan = loan or make_loan(session)
    n = _n()
    asset = loan.pledge.assets[0] if loan.pledge and loan.pledge.assets else make_asset(session)
    fields = dict(
        reference=f"DC-TEST-{n:05d}", loan=loan, bank_id=loan.bank_id, state=state, title=asset.title,
        primary_kind=asset.kind, industry=loan.enterprise.industry, region=loan.enterprise.region,
        principal_outstanding_fen=loan.outstanding_principal_fen,
        unpaid_interest_fen=loan.unpaid_interest_fen, pledgee_consent=True, assets=[asset],
    )
    past_review = state not in (CaseState.FILED, CaseState.UNDER_REVIEW, CaseState.RETURNED, CaseState.REJECTED)
    if past_review:
        fields["review_checks"] = ["title", "pledge_registration", "legal_status", "co_owner_consent",
                                   "pledgee_consent"]
    if past_review and state != CaseState.VERIFIED:
        fields.update(appraised_value_fen=150_000_000, valuation_report_ref=f"京评报字[2026]第{n}号",
                      valued_on=date(2026, 11, 1))
    fields.update(overrides)
    case = DisposalCase(**fields)
    session.add(case)
    session.flush()
    return case


def days_ago(days: int) -> date:
    """A date some days before the test clock's start (2026-11-22)."""
    return date(2026, 11, 22) - timedelta(days=days)
