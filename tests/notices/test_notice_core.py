"""Raising a notice, who receives it, and reading it."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.auction import AuctionKind
from market.domain.errors import NotFound
from market.domain.notices import NoticeType, sign, verify
from market.domain.roles import InstitutionKind, Role
from market.models import Notice, NoticeInstitution, UserNotice
from market.services.notices import About, mark_read, publish, unread_count
from tests.factories import make_case, make_institution, make_user
from tests.factories_auctions import open_round


def _for_case(session, clock, case, **kwargs):
    with unit_of_work(session):
        return publish(session, NoticeType.CASE_STATE_CHANGED, about=About("case", case.id, case.id), now=clock(),
                       payload={"case_no": case.reference, "from_state": "filed", "to_state": "verified"}, **kwargs)


def test_a_case_notice_reaches_the_filing_banks_users_and_no_other_bank(session, clock):
    case = make_case(session)
    banker = make_user(session, Role.BANK, institution=case.bank)
    stranger = make_user(session, Role.BANK)
    _for_case(session, clock, case, institutions=[case.bank_id, stranger.institution_id])
    assert unread_count(session, banker.id) == 1
    assert unread_count(session, stranger.id) == 0  # named, but it may not see the case: nothing reaches it
    assert session.scalar(sa.select(sa.func.count()).select_from(NoticeInstitution)) == 2


def test_a_notice_for_a_role_reaches_its_active_users_only(session, clock):
    case = make_case(session)
    bureau = make_user(session, Role.BUREAU)
    retired = make_user(session, Role.BUREAU, active=False)
    _for_case(session, clock, case, roles=[Role.BUREAU])
    assert (unread_count(session, bureau.id), unread_count(session, retired.id)) == (1, 0)


def test_a_claim_lot_notice_never_reaches_an_institution_that_may_not_see_claim_lots(session, clock):
    auction = open_round(session, clock, kind=AuctionKind.CLAIM)
    guarantor = make_user(session, Role.GUARANTOR, institution=make_institution(session, InstitutionKind.GUARANTOR))
    with unit_of_work(session):
        publish(session, NoticeType.ROUND_CLOSING_SOON, about=About("auction", auction.id, auction.case_id),
                now=clock(), institutions=[guarantor.institution_id])
    assert unread_count(session, guarantor.id) == 0


def test_a_rolled_back_action_leaves_no_notice(session, clock):
    case = make_case(session)
    with pytest.raises(RuntimeError), unit_of_work(session):
        publish(session, NoticeType.CASE_ON_HOLD, about=About("case", case.id, case.id), now=clock(),
                institutions=[case.bank_id])
        raise RuntimeError("the action failed after raising its notice")
    assert session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_a_notice_with_a_used_dedupe_key_is_not_raised_twice(session, clock):
    case = make_case(session)
    first = _for_case(session, clock, case, institutions=[case.bank_id], dedupe_key=f"test:{case.id}")
    second = _for_case(session, clock, case, institutions=[case.bank_id], dedupe_key=f"test:{case.id}")
    assert first is not None and second is None


def test_marking_read_counts_only_the_users_own_notices(session, clock):
    case = make_case(session)
    banker = make_user(session, Role.BANK, institution=case.bank)
    other = make_user(session, Role.BANK, institution=case.bank)
    _for_case(session, clock, case, institutions=[case.bank_id])
    _for_case(session, clock, case, institutions=[case.bank_id])
    others_entry = session.scalar(sa.select(UserNotice.id).where(UserNotice.user_id == other.id))
    with pytest.raises(NotFound), unit_of_work(session):
        mark_read(session, banker.id, now=clock(), entry_id=others_entry)
    with unit_of_work(session):
        assert mark_read(session, banker.id, now=clock()) == 2
    assert (unread_count(session, banker.id), unread_count(session, other.id)) == (0, 2)


def test_the_notice_page_words_a_notice_and_marks_it_read(app, session, client, auth, clock):
    case = make_case(session)
    banker = make_user(session, Role.BANK, institution=case.bank)
    _for_case(session, clock, case, institutions=[case.bank_id])
    auth.login(banker.email)
    page = client.get("/notices/").get_data(as_text=True)
    assert f"Case {case.reference} moved from “Filed” to" in page and "Unread" in page
    entry = session.scalar(sa.select(UserNotice.id).where(UserNotice.user_id == banker.id))
    opened = client.post(f"/notices/{entry}/read")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/cases/{case.id}")
    assert 'class="badge"' not in client.get("/notices/").get_data(as_text=True).split("<main")[0]


def test_the_chinese_page_reads_in_chinese(app, session, client, auth, clock):
    case = make_case(session)
    banker = make_user(session, Role.BANK, institution=case.bank)
    _for_case(session, clock, case, institutions=[case.bank_id])
    auth.login(banker.email)
    client.get("/language/zh")
    page = client.get("/notices/").get_data(as_text=True)
    assert "案件状态变更" in page and f"案件 {case.reference} 由" in page


def test_a_signature_verifies_within_the_window_and_not_after_or_tampered(clock):
    body = b'{"id": 7}'
    header = sign("s3cret", int(clock().timestamp()), body)
    assert verify("s3cret", header, body, clock())
    assert not verify("s3cret", header, body + b" ", clock())
    assert not verify("other", header, body, clock())
    assert not verify("s3cret", header, body, clock() + timedelta(minutes=6))
    assert not verify("s3cret", "garbage", body, clock())
