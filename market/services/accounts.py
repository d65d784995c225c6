"""Accounts: passwords (argon2id), browser logins that logout really ends, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from market.domain.errors import NotFound, Refusal
from market.domain.roles import ROLE_OF_INSTITUTION, InstitutionKind, Role
from market.models import ApiToken, Institution, LoginSession, User, utcnow
from market.models.base import UTCDateTime

TOKEN_DAYS = 90  # an API token lasts this long unless its creator says otherwise
# How stale "last used" may get: recording every use would write on every API request.
LAST_USE_PRECISION = timedelta(minutes=1)

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(Refusal, ValueError):
    """An account operation cannot be done."""

    code = "account_error"


class EmailInvalid(AccountError):
    """An email address has an @."""

    code = "email_invalid"


class PasswordTooShort(AccountError):
    """Passwords have a minimum length."""

    code, fields = "password_too_short", ("min_length",)


class EmailTaken(AccountError):
    """One user per email address."""

    code, fields = "email_taken", ("email",)


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def create_user(
    session: so.Session,
    *,
    email: str,
    password: str,
    institution: Institution,
    display_name: str = "",
    role: Role | None = None,
) -> User:
    """Create a user for an institution; the role follows the institution's kind unless given."""
    email = email.strip().lower()
    if "@" not in email:
        raise EmailInvalid()
    if len(password) < 10:
        raise PasswordTooShort(min_length=10)
    if session.scalar(sa.select(User.id).where(User.email == email)):
        raise EmailTaken(email=email)
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role or ROLE_OF_INSTITUTION[institution.kind],
        institution=institution,
        display_name=display_name or email.split("@")[0],
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: so.Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    return user


def token_digest(token: str) -> str:
    """What is stored of a secret token (logins, API tokens, invitations): its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_login_session(session: so.Session, user: User) -> str:
    """Open a login for the user; returns the secret kept in the signed session cookie."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=token_digest(token), user_id=user.id))
    session.flush()
    return token


def _current(credential: type[LoginSession] | type[ApiToken], query: sa.Select) -> sa.Select:
    """The query joined to the credential whose hash is the parameter, not revoked, held by an active user.

    Built once per look-up: every request runs one, and building (and keying) it costs more than running it.
    """
    current = [credential.token_hash == sa.bindparam("token_hash"), credential.revoked_at.is_(None),
               User.active.is_(True)]
    if credential is ApiToken:  # API tokens also expire (the parameter `now`)
        current.append(sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > sa.bindparam("now", type_=UTCDateTime)))
    return query.join(credential, credential.user_id == User.id).where(*current)


_USER_BY_LOGIN = _current(LoginSession, sa.select(User))


@dataclass(frozen=True)
class Caller:
    """Who is asking, as access rules need it: the user, the institution it acts for, its role, and whether
    that institution is a licensed financial institution. What a bearer token yields without loading the
    User (every API request asks; most need no more)."""

    id: int
    institution_id: int
    role: Role
    institution_kind: InstitutionKind
    licensed_financial: bool

    @classmethod
    def of(cls, user: User) -> Caller:
        """The caller a loaded user is."""
        return cls(user.id, user.institution_id, Role(user.role), InstitutionKind(user.institution.kind),
                   bool(user.institution.licensed_financial))


def with_api_caller(*columns: sa.ColumnElement) -> sa.Select:
    """A query of the caller behind the bearer token whose hash is the parameter `token_hash` (see
    token_parameters), beside `columns`: outer-join their tables to it, and a request reads who asks and
    what it asks for in one statement instead of two. No row: the token is not valid (see caller_of)."""
    caller = (User.id.label("caller_id"), User.institution_id.label("caller_institution_id"),
              User.role.label("caller_role"), Institution.kind.label("caller_institution_kind"),
              Institution.licensed_financial.label("caller_licensed_financial"),
              ApiToken.id.label("token_id"), ApiToken.last_used_at.label("token_last_used_at"))
    return _current(ApiToken, sa.select(*caller, *columns).select_from(User)
                    .join(Institution, Institution.id == User.institution_id))


def token_parameters(token: str) -> dict[str, object]:
    """The parameters of a with_api_caller query for this bearer token (only its hash is stored). Tokens
    expire by the wall clock, not by the business clock tests move."""
    return {"token_hash": token_digest(token), "now": utcnow()}


def caller_of(session: so.Session, row: sa.Row) -> Caller:
    """The caller a with_api_caller row names; notes that its token was used (to the minute)."""
    now = utcnow()
    if row.token_last_used_at is None or now - row.token_last_used_at >= LAST_USE_PRECISION:
        session.execute(sa.update(ApiToken).where(ApiToken.id == row.token_id).values(last_used_at=now))
    return Caller(row.caller_id, row.caller_institution_id, Role(row.caller_role),
                  InstitutionKind(row.caller_institution_kind), bool(row.caller_licensed_financial))


_CALLER_BY_API_TOKEN = with_api_caller()  # plain columns, no ORM objects


def user_for_login_session(session: so.Session, token: str) -> User | None:
    """The user of a login that has not been revoked, or None."""
    return session.scalar(_USER_BY_LOGIN, {"token_hash": token_digest(token)})


def end_login_session(session: so.Session, token: str, now: datetime | None = None) -> None:
    """Revoke a login so its cookie no longer works anywhere."""
    session.execute(
        sa.update(LoginSession)
        .where(LoginSession.token_hash == token_digest(token), LoginSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    session.flush()


def create_api_token(session: so.Session, user: User, label: str = "", days: int = TOKEN_DAYS) -> str:
    """Issue a bearer token for the user, valid for `days`; only its hash is stored, so show it once."""
    token, now = "ipd_" + secrets.token_urlsafe(32), utcnow()
    session.add(ApiToken(token_hash=token_digest(token), user_id=user.id, label=label, created_at=now,
                         expires_at=now + timedelta(days=days)))
    session.flush()
    return token


def caller_for_api_token(session: so.Session, token: str) -> Caller | None:
    """The active user behind a bearer token that is neither revoked nor expired, as a Caller, or None."""
    row = session.connection().execute(_CALLER_BY_API_TOKEN, token_parameters(token)).first()
    return None if row is None else caller_of(session, row)


def api_tokens(session: so.Session, institution_id: int, user_id: int | None = None) -> list[ApiToken]:
    """The API tokens of an institution's users (or of one of them), newest first, revoked ones too."""
    query = (sa.select(ApiToken).join(User, User.id == ApiToken.user_id)
             .where(User.institution_id == institution_id).options(so.contains_eager(ApiToken.user))
             .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query))


def revoke_api_token(session: so.Session, token_id: int, institution_id: int | None = None) -> ApiToken:
    """Revoke a token at once (no-op if it already is); with `institution_id`, only one of its users'."""
    token = session.get(ApiToken, token_id)
    if token is None or (institution_id is not None and token.user.institution_id != institution_id):
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token
