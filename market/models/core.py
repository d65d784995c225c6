"""Institutions, people, borrowers, IP assets, pledges, loans and the audit trail."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.roles import InstitutionKind, Role
from market.models.base import Base, Fen, UTCDateTime, enum_column, utcnow

PPM = 1_000_000  # shares and rates are stored as exact parts per million


class IPKind(enum.StrEnum):
    """What kind of intellectual property is pledged."""

    PATENT = "patent"
    TRADEMARK = "trademark"
    COPYRIGHT = "copyright"
    GEOGRAPHICAL_INDICATION = "geographical_indication"
    IC_LAYOUT = "ic_layout"


class LegalStatus(enum.StrEnum):
    """Whether the right is still in force."""

    VALID = "valid"
    LAPSED = "lapsed"
    INVALIDATED = "invalidated"
    DISPUTED = "disputed"


class LoanStatus(enum.StrEnum):
    """Where a loan stands."""

    PERFORMING = "performing"
    OVERDUE = "overdue"
    DEFAULTED = "defaulted"
    IN_DISPOSAL = "in_disposal"
    SETTLED = "settled"
    REPAID = "repaid"
    TRANSFERRED = "transferred"


class Institution(Base):
    """A bank, guarantor, insurer, agency, trading centre, bureau or AIC."""

    __tablename__ = "institution"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    kind: so.Mapped[InstitutionKind] = so.mapped_column(enum_column(InstitutionKind), index=True)
    credit_code: so.Mapped[str] = so.mapped_column(sa.String(18), unique=True)  # 统一社会信用代码
    region: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    licensed_financial: so.Mapped[bool] = so.mapped_column(default=False)
    # bank-wide NPL ratio in ppm, for the IP-pledge NPL tolerance check
    npl_ratio_ppm: so.Mapped[int | None] = so.mapped_column(sa.Integer)

    users: so.Mapped[list[User]] = so.relationship(back_populates="institution")


class User(Base):
    """A person who logs in, acting for one institution."""

    __tablename__ = "user_account"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    role: so.Mapped[Role] = so.mapped_column(enum_column(Role))
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    institution: so.Mapped[Institution] = so.relationship(back_populates="users", lazy="joined")


class LoginSession(Base):
    """One browser login; logout revokes it so a copied cookie stops working."""

    __tablename__ = "login_session"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class ThrottleCounter(Base):
    """A login-throttling counter every worker shares when there is no Redis: a count until a time."""

    __tablename__ = "throttle_counter"

    key: so.Mapped[str] = so.mapped_column(sa.String(120), primary_key=True)
    count: so.Mapped[int]
    expires_at: so.Mapped[float]  # seconds since the epoch, as the `limits` library counts


class ApiToken(Base):
    """A bearer token for a bank's system; stored hashed, acts as its user."""

    __tablename__ = "api_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"), index=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship()


class Enterprise(Base):
    """A borrowing firm."""

    __tablename__ = "enterprise"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    credit_code: so.Mapped[str] = so.mapped_column(sa.String(18), unique=True)
    industry: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    region: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    whitelisted: so.Mapped[bool] = so.mapped_column(default=False)


pledge_asset = sa.Table(
    "pledge_asset",
    Base.metadata,
    sa.Column("pledge_id", sa.ForeignKey("pledge.id"), primary_key=True),
    sa.Column("asset_id", sa.ForeignKey("ip_asset.id"), primary_key=True),
)


class IPAsset(Base):
    """A patent, trademark, copyright, geographical indication or IC layout design."""

    __tablename__ = "ip_asset"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[IPKind] = so.mapped_column(enum_column(IPKind), index=True)
    registry_number: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    owner_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    co_owners: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    legal_status: so.Mapped[LegalStatus] = so.mapped_column(
        enum_column(LegalStatus), default=LegalStatus.VALID
    )
    expires_on: so.Mapped[date | None] = so.mapped_column(sa.Date)

    owner: so.Mapped[Enterprise] = so.relationship()


class Pledge(Base):
    """A pledge registered with the IP office over one or more assets."""

    __tablename__ = "pledge"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_number: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    pledgee_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    secured_amount_fen: so.Mapped[int] = so.mapped_column(Fen)
    registered_on: so.Mapped[date] = so.mapped_column(sa.Date)
    released_on: so.Mapped[date | None] = so.mapped_column(sa.Date)

    pledgee: so.Mapped[Institution] = so.relationship()
    assets: so.Mapped[list[IPAsset]] = so.relationship(secondary=pledge_asset)

    __table_args__ = (sa.CheckConstraint("secured_amount_fen > 0", name="secured_positive"),)


class Loan(Base):
    """An IP-pledge loan with the layers that share its loss (DOMAIN.md section 4)."""

    __tablename__ = "loan"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    contract_number: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    enterprise_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    pledge_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("pledge.id"))
    principal_fen: so.Mapped[int] = so.mapped_column(Fen)
    outstanding_principal_fen: so.Mapped[int] = so.mapped_column(Fen)
    unpaid_interest_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    annual_rate_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)
    appraised_value_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    start_date: so.Mapped[date] = so.mapped_column(sa.Date)
    maturity_date: so.Mapped[date] = so.mapped_column(sa.Date)
    defaulted_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    status: so.Mapped[LoanStatus] = so.mapped_column(enum_column(LoanStatus), index=True)

    guarantor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    insurer_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    agency_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    bank_share_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)
    guarantor_share_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    insurer_share_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    agency_share_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    reguarantee_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    reinsurance_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)

    bank: so.Mapped[Institution] = so.relationship(foreign_keys=[bank_id])
    enterprise: so.Mapped[Enterprise] = so.relationship()
    pledge: so.Mapped[Pledge | None] = so.relationship()
    guarantor: so.Mapped[Institution | None] = so.relationship(foreign_keys=[guarantor_id])
    insurer: so.Mapped[Institution | None] = so.relationship(foreign_keys=[insurer_id])
    agency: so.Mapped[Institution | None] = so.relationship(foreign_keys=[agency_id])

    __table_args__ = (
        sa.CheckConstraint("principal_fen > 0", name="principal_positive"),
        sa.CheckConstraint("outstanding_principal_fen >= 0", name="outstanding_not_negative"),
        sa.CheckConstraint(
            "bank_share_ppm + guarantor_share_ppm + insurer_share_ppm + agency_share_ppm = 1000000",
            name="shares_sum_to_one",
        ),
        sa.CheckConstraint(
            "bank_share_ppm >= 0 AND guarantor_share_ppm >= 0 AND insurer_share_ppm >= 0 "
            "AND agency_share_ppm >= 0",
            name="shares_not_negative",
        ),
        sa.CheckConstraint(
            "reguarantee_ppm BETWEEN 0 AND 1000000 AND reinsurance_ppm BETWEEN 0 AND 1000000",
            name="dispersal_fractions",
        ),
    )


class AuditEvent(Base):
    """One append-only, hash-chained record of who did what to which object, and why."""

    __tablename__ = "audit_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    occurred_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    actor_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    actor_role: so.Mapped[str] = so.mapped_column(sa.String(32))
    entity_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    entity_id: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    action: so.Mapped[str] = so.mapped_column(sa.String(60))
    from_state: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    to_state: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    detail: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)

    actor: so.Mapped[User | None] = so.relationship()

    __table_args__ = (sa.Index("ix_audit_event_entity", "entity_type", "entity_id", "id"),)


class IdempotencyRecord(Base):
    """The first answer to an API POST with an Idempotency-Key, replayed for retries of the same body."""

    __tablename__ = "idempotency_record"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    key: so.Mapped[str] = so.mapped_column(sa.String(200))
    endpoint: so.Mapped[str] = so.mapped_column(sa.String(200))
    request_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    status_code: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    response_body: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)
