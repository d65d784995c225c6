"""Raise a notice inside the unit of work of the action it reports, and read a user's notices.

`publish` writes the notice, the institutions it is for and one unread entry per user who may see its
subject (the pages' own visibility predicates decide: a notice never reaches a user who could not open the
record it is about). Deliveries beyond the app (webhooks, e-mail) start from these rows, written in the same
transaction: nothing goes out for work that rolled back, nothing is lost when the app dies after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.errors import NotFound
from market.domain.notices import NoticeType
from market.domain.roles import Role
from market.models import Notice, NoticeInstitution, User, UserNotice, WebhookEndpoint
from market.services import webhooks


@dataclass(frozen=True)
class About:
    """The record a notice is about: its kind (a key of `_VISIBILITY`), its id, and its case when it has one."""

    subject: str
    subject_id: int
    case_id: int | None = None


def publish(
    session: so.Session,
    notice_type: NoticeType,
    *,
    about: About,
    now: datetime,
    institutions: Iterable[int | None] = (),
    roles: Iterable[Role] = (),
    payload: dict | None = None,
    dedupe_key: str | None = None,
) -> Notice | None:
    """Raise one notice for the users of `institutions` and the holders of `roles` who may see its subject.

    With a `dedupe_key` already used, nothing is raised (the clock's notices: a second tick is silent)."""
    if dedupe_key is not None and session.scalar(sa.select(Notice.id).where(Notice.dedupe_key == dedupe_key)):
        return None
    institution_ids = sorted({i for i in institutions if i is not None})
    notice = Notice(type=notice_type, occurred_at=now, subject=about.subject, subject_id=about.subject_id,
                    case_id=about.case_id, payload=payload or {}, dedupe_key=dedupe_key)
    session.add(notice)
    session.flush()
    session.add_all(NoticeInstitution(notice_id=notice.id, institution_id=i) for i in institution_ids)
    audience = _audience(session, about, institution_ids, tuple(roles))
    for user in audience:
        session.add(UserNotice(notice_id=notice.id, user_id=user.id))
    session.flush()
    # An institution's systems hear what its users may see: its webhooks get the notice when one of its
    # users does (the outbox rows commit or roll back with the action).
    webhooks.enqueue(session, notice_id=notice.id, notice_type=notice_type, occurred_at=now,
                     institutions={user.institution_id for user in audience} & set(institution_ids))
    return notice


def publish_public(
    session: so.Session,
    notice_type: NoticeType,
    *,
    about: About,
    now: datetime,
    institutions: Sequence[int] | sa.Select,
    payload: dict,
) -> int:
    """`publish` for a subject every user may see (an asset lot is public), in four core statements and no
    ORM loads: the bid path raises its outbid and extension notices with it. `institutions`: ids, or a
    SELECT of one column of ids. Returns the notice's id.

    A second way to publish, for speed: with a public subject the visibility check `publish` makes per user
    is always true, so the audience is every active user of the institutions, chosen in SQL; their webhook
    outbox rows are written as `publish` writes them."""
    connection = session.connection()
    notice_id = connection.execute(_INSERT_NOTICE, {
        "type": notice_type, "occurred_at": now, "subject": about.subject, "subject_id": about.subject_id,
        "case_id": about.case_id, "payload": payload, "dedupe_key": None}).scalar_one()
    if isinstance(institutions, sa.Select):
        chosen = institutions.subquery()
        connection.execute(sa.insert(_notice_institution).from_select(
            ["notice_id", "institution_id"], sa.select(sa.literal(notice_id, sa.Integer), chosen.c[0]).distinct()))
        ids = sa.select(chosen.c[0])
    else:
        ids = sorted(set(institutions))
        if ids:
            connection.execute(sa.insert(_notice_institution),
                               [{"notice_id": notice_id, "institution_id": i} for i in ids])
    connection.execute(sa.insert(_user_notice).from_select(
        ["notice_id", "user_id"], sa.select(sa.literal(notice_id, sa.Integer), _user.c.id).where(
            _user.c.active.is_(True), _user.c.institution_id.in_(ids))))
    webhooks.enqueue(session, notice_id=notice_id, notice_type=notice_type, occurred_at=now, institutions=ids)
    return notice_id


_notice, _notice_institution, _user_notice, _user = (Notice.__table__, NoticeInstitution.__table__,
                                                     UserNotice.__table__, User.__table__)
_INSERT_NOTICE = sa.insert(_notice).returning(_notice.c.id)


def _audience(session: so.Session, about: About, institution_ids: list[int], roles: tuple[Role, ...]) -> list[User]:
    """The active users the notice is for who may see its subject."""
    if not institution_ids and not roles:
        return []
    candidates = session.scalars(sa.select(User).where(User.active.is_(True), sa.or_(
        User.institution_id.in_(institution_ids), User.role.in_(roles))).order_by(User.id)).all()
    sees = _VISIBILITY[about.subject]
    return [user for user in candidates if sees(session, user, about.subject_id)]


def _predicate(model_path: str, visibility_path: str) -> Callable[[so.Session, User, int], bool]:
    """Whether a user may see the record: its kind's visibility predicate, the one its pages filter by."""

    def sees(session: so.Session, user: User, record_id: int) -> bool:
        model = _load(model_path)
        visibility = _load(visibility_path)
        return session.scalar(sa.select(sa.exists().where(model.id == record_id, visibility(user)))) or False

    return sees


def _sees_auction(session: so.Session, user: User, auction_id: int) -> bool:
    from market.models import Auction
    from market.services.accounts import Caller
    from market.services.auctions import may_see

    auction = session.get(Auction, auction_id)
    return auction is not None and may_see(Caller.of(user), auction)


def _sees_endpoint(session: so.Session, user: User, endpoint_id: int) -> bool:
    return session.scalar(sa.select(WebhookEndpoint.institution_id).where(
        WebhookEndpoint.id == endpoint_id)) == user.institution_id


def _load(path: str):
    module, _, name = path.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


# Each subject a notice may be about, and who may see it (imported when first asked: the services that raise
# notices are the ones that define their records' visibility).
_VISIBILITY: dict[str, Callable[[so.Session, User, int], bool]] = {
    "case": _predicate("market.models.DisposalCase", "market.services.access.case_visibility"),
    "auction": _sees_auction,
    "compensation_claim": _predicate("market.models.CompensationClaim",
                                     "market.services.compensation.claim_visibility"),
    "licence_round": _predicate("market.models.LicenceRound", "market.services.licensing.round_visibility"),
    "licence": _predicate("market.models.Licence", "market.services.licensing.licence_visibility"),
    "claim_listing": _predicate("market.models.ClaimListing", "market.services.claim_transfer.listing_visibility"),
    "conversion_proposal": _predicate("market.models.ConversionProposal",
                                      "market.services.conversion.proposal_visibility"),
    "webhook_endpoint": _sees_endpoint,  # the institution's own users
}
SUBJECTS = frozenset(_VISIBILITY)


# --- reading ------------------------------------------------------------------------------------------------

def unread_count(session: so.Session, user_id: int) -> int:
    """How many of the user's notices are unread (the header's badge)."""
    return session.scalar(sa.select(sa.func.count()).select_from(UserNotice).where(
        UserNotice.user_id == user_id, UserNotice.read_at.is_(None))) or 0


def user_notices(user_id: int, *, unread_only: bool = False) -> sa.Select:
    """The user's notices, newest first (a statement for the pager)."""
    query = sa.select(UserNotice).join(Notice, Notice.id == UserNotice.notice_id).where(
        UserNotice.user_id == user_id).order_by(Notice.occurred_at.desc(), Notice.id.desc())
    return query.where(UserNotice.read_at.is_(None)) if unread_only else query


def mark_read(session: so.Session, user_id: int, *, now: datetime, entry_id: int | None = None) -> int:
    """Mark one of the user's notices read (or all, with no id); how many changed. Another user's: NotFound."""
    condition = [UserNotice.user_id == user_id, UserNotice.read_at.is_(None)]
    if entry_id is not None:
        if session.scalar(sa.select(UserNotice.user_id).where(UserNotice.id == entry_id)) != user_id:
            raise NotFound()
        condition.append(UserNotice.id == entry_id)
    result = session.execute(sa.update(UserNotice).where(*condition).values(read_at=now))
    return result.rowcount
