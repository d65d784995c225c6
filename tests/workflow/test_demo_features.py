"""The demo shows the newer features: notices, lot qualification, a data room, a confirmation of sale to sign."""

import sqlalchemy as sa

from market.demo import confirmation, core, lots, seed
from market.demo.core import DEMO_PASSWORD
from market.domain.notices import NoticeType
from market.domain.qualification import QualificationStatus
from market.models import (
    Auction,
    ConfirmationSignature,
    DisposalCase,
    InspectionBooking,
    InspectionSlot,
    LotCondition,
    LotQuestion,
    LotRegistration,
    Notice,
    RoomDocument,
    SaleConfirmation,
    StoredDocument,
    User,
    UserNotice,
)
from market.services import audit
from tests.factories_workflow import sign_in

FEATURE_TABLES = (LotCondition, LotRegistration, RoomDocument, LotQuestion, InspectionSlot, InspectionBooking,
                  SaleConfirmation, ConfirmationSignature, StoredDocument, Notice)


def _counts(session) -> dict[str, int]:
    return {model.__name__: session.scalar(sa.select(sa.func.count()).select_from(model)) for model in FEATURE_TABLES}


def _user(session, name: str) -> User:
    return session.scalar(sa.select(User).where(User.email == f"{name}@demo.test"))


def _case(session, reference: str) -> DisposalCase:
    return session.scalar(sa.select(DisposalCase).where(DisposalCase.reference == reference))


def test_the_demo_seeds_a_qualified_lot_a_data_room_a_sale_to_sign_and_notices_once(session, clock):
    assert seed(session, now=clock())
    bank1, bank2, bank3 = (_user(session, name) for name in ("bank1", "bank2", "bank3"))

    lot = _case(session, lots.MARKER)
    assert session.scalar(sa.select(LotCondition.text).where(LotCondition.case_id == lot.id)).startswith("需具备")
    statuses = dict(session.execute(sa.select(LotRegistration.institution_id, LotRegistration.status)
                                    .where(LotRegistration.case_id == lot.id)).all())
    assert statuses == {bank1.institution_id: QualificationStatus.APPROVED,
                        bank2.institution_id: QualificationStatus.PENDING}
    pending = session.scalar(sa.select(LotRegistration).where(LotRegistration.institution_id == bank2.institution_id))
    assert [proof.document.content[:5] for proof in pending.proofs] == [b"%PDF-"]

    room = {entry.category.value: entry.confidential for entry in
            session.scalars(sa.select(RoomDocument).where(RoomDocument.case_id == lot.id))}
    assert room == {"valuation_report": False, "title_certificate": True}
    answered = [q.answered_at is not None for q in session.scalars(sa.select(LotQuestion).where(
        LotQuestion.case_id == lot.id).order_by(LotQuestion.id))]
    assert answered == [True, False]
    slots = list(session.scalars(sa.select(InspectionSlot).where(InspectionSlot.case_id == lot.id)))
    assert sorted(slot.booked for slot in slots) == [0, 1] and all(slot.starts_at > clock() for slot in slots)

    sold = _case(session, confirmation.MARKER)
    signed = session.scalar(sa.select(SaleConfirmation).where(SaleConfirmation.case_id == sold.id))
    assert (signed.seller_institution_id, signed.buyer_institution_id) == (bank2.institution_id, bank1.institution_id)
    assert [s.party.value for s in signed.signatures] == ["seller"] and signed.signed_at is None

    for bank in (bank1, bank2, bank3):
        unread = set(session.scalars(sa.select(Notice.type).join(UserNotice, UserNotice.notice_id == Notice.id)
                                     .where(UserNotice.user_id == bank.id, UserNotice.read_at.is_(None))))
        assert NoticeType.CASE_STATE_CHANGED in unread, bank.email
    assert {NoticeType.OUTBID, NoticeType.ROUND_WON} <= set(session.scalars(
        sa.select(Notice.type).join(UserNotice, UserNotice.notice_id == Notice.id).where(UserNotice.user_id == bank1.id)))

    before = _counts(session)
    assert not seed(session, now=clock())
    assert _counts(session) == before
    assert audit.verify_chain(session).ok


def test_the_demo_features_pages_open_for_the_users_the_readme_names(client, session, clock):
    for area in (core, lots, confirmation):
        area.seed(session, clock())
    lot, sold = _case(session, lots.MARKER).id, _case(session, confirmation.MARKER).id
    round_won = session.scalar(sa.select(Auction.id).where(Auction.case_id == sold))
    session.commit()

    pages = {"operator": ["/lots/registrations", f"/lots/{lot}", f"/lots/{lot}/room", "/notices/"],
             "bank1": [f"/lots/{lot}/room", f"/cases/{sold}/confirmation", "/notices/", "/notices/mail/",
                       "/account/webhooks"],
             "bank2": [f"/lots/{lot}", f"/lots/{lot}/room", f"/cases/{sold}/confirmation"]}
    for name, paths in pages.items():
        sign_in(client, _user(session, name), password=DEMO_PASSWORD)
        for path in paths:
            assert client.get(path).status_code == 200, (name, path)
        client.post("/logout")
    sign_in(client, _user(session, "bank1"), password=DEMO_PASSWORD)
    page = client.get(f"/cases/{sold}/confirmation").get_data(as_text=True)
    assert f'action="/cases/{sold}/confirmation/sign"' in page  # the buyer may sign
    assert f"/auctions/{round_won}" in client.get("/auctions/").get_data(as_text=True)
    assert f"/cases/{sold}/confirmation" in client.get(f"/auctions/{round_won}").get_data(as_text=True)
    assert f"/catalogue/{lot}" in client.get(f"/catalogue?q={lots.MARKER}").get_data(as_text=True)
