"""Lists decide who may see what in SQL, before they page: every page is full and the total is right."""

import re

import sqlalchemy as sa

from market.domain.channels import ListingStatus
from market.domain.claim_transfer import SaleMode
from market.domain.roles import InstitutionKind, Role
from market.models import ClaimListing
from market.services.accounts import create_api_token
from tests.conftest import START
from tests.factories import make_case, make_institution, make_loan, make_user


def test_a_guarantor_pages_through_exactly_the_120_of_300_cases_it_shares_in(client, session):
    guarantor = make_institution(session, InstitutionKind.GUARANTOR)
    me = make_user(session, Role.GUARANTOR, institution=guarantor)
    mine = set()
    for n in range(300):
        loan = make_loan(session, guarantor_id=guarantor.id if n % 5 < 2 else None)
        case = make_case(session, loan=loan)
        if loan.guarantor_id:
            mine.add(case.id)
    headers = {"Authorization": f"Bearer {create_api_token(session, me)}"}

    pages = [client.get(f"/api/v1/cases?per_page=50&page={page}", headers=headers).get_json() for page in (1, 2, 3)]

    assert len(mine) == 120
    assert [len(page["items"]) for page in pages] == [50, 50, 20]
    assert {page["total"] for page in pages} == {120}
    assert {item["id"] for page in pages for item in page["items"]} == mine


def test_the_channel_desk_shows_every_open_claim_lot_an_eligible_bank_may_see_of_300_listings(client, auth, session):
    me = make_user(session, Role.BANK, email="buyer@bank.test")
    seller = make_institution(session)
    for n in range(300):
        loan = make_loan(session, bank=seller)
        session.add(ClaimListing(
            loan_id=loan.id, seller_id=seller.id, status=ListingStatus.OPEN if n % 5 < 2 else ListingStatus.SUBMITTED,
            mode=SaleMode.NEGOTIATED, title=f"债权 {n}", asking_price_fen=100_000_000, offer_deadline=START,
            loan_status_at_listing="defaulted", submitted_at=START))
    session.flush()
    auth.login(me.email)

    page = client.get("/channels/").get_data(as_text=True)

    shown = set(re.findall(r'/channels/claims/(\d+)"', page))
    open_ids = {str(i) for i in session.scalars(sa.select(ClaimListing.id).where(
        ClaimListing.status == ListingStatus.OPEN))}
    assert len(open_ids) == 120 and shown == open_ids
