"""The award chain and the confirmation of sale through the pages: the centre offers a defaulted lot to the second
bidder, the second bidder accepts it, and both parties sign and download the confirmation from the case."""

import io

import pypdf

from market.domain.auction import AuctionStatus
from market.domain.roles import Role
from market.models import Auction
from tests.factories import make_institution, make_user
from tests.factories_auctions import (
    INCREMENT,
    START,
    make_defaulted_round,
    make_operator,
    make_sold_round,
)


def test_the_operator_offers_the_lot_and_the_second_bidder_accepts_it_on_the_live_page(client, session, clock, auth):
    auction, (_third, second, _winner) = make_defaulted_round(session, clock)
    operator = make_operator(session)
    session.commit()
    auth.login(operator.email)
    page = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert "Offer the lot to the second bidder" in page and second.institution.name in page
    answer = client.post(f"/auctions/{auction.id}/second-bidder/decision",
                         data={"offer": "Offer the lot to the second bidder"}, follow_redirects=True)
    assert "The lot is offered to the second bidder." in answer.get_data(as_text=True)
    auth.logout()

    auth.login(second.email)
    page = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert "The lot is offered to you at your last bid of ¥1,060,000.00" in page
    answer = client.post(f"/auctions/{auction.id}/second-bidder/answer", data={"accept": "Accept"},
                         follow_redirects=True)
    assert "You accepted the lot." in answer.get_data(as_text=True)
    session.expire_all()
    assert session.get(Auction, auction.id).status == AuctionStatus.AWARDED


def test_only_the_operator_decides_and_only_the_second_bidder_answers(client, session, clock, auth):
    auction, (third, _second, _winner) = make_defaulted_round(session, clock)
    session.commit()
    auth.login(third.email)
    assert "Offer the lot" not in client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert client.post(f"/auctions/{auction.id}/second-bidder/decision", data={"offer": "x"}).status_code == 403


def test_the_operator_may_send_the_case_back_for_a_rerun(client, session, clock, auth):
    auction, _users = make_defaulted_round(session, clock)
    operator = make_operator(session)
    session.commit()
    auth.login(operator.email)
    answer = client.post(f"/auctions/{auction.id}/second-bidder/decision", data={"rerun": "Re-auction"},
                         follow_redirects=True)
    assert "goes back for a re-auction" in answer.get_data(as_text=True)


def test_the_operator_announces_the_second_bidder_offer_when_opening_a_round(client, session, clock, auth):
    from tests.factories_auctions import make_ready_case

    case = make_ready_case(session, clock)
    operator = make_operator(session)
    session.commit()
    auth.login(operator.email)
    form = client.get(f"/auctions/open/{case.id}").get_data(as_text=True)
    assert 'name="second_bidder_offer"' in form
    client.post(f"/auctions/open/{case.id}", data={
        "kind": "asset", "starting_price": "1050000", "increment": "10000", "deposit": "105000",
        "ends_at": "2026-11-25T10:00", "second_bidder_offer": "y"})
    session.expire_all()
    assert session.query(Auction).filter_by(case_id=case.id).one().second_bidder_offer_allowed


def test_both_parties_sign_the_confirmation_from_the_case_and_download_it_signed(client, session, clock, auth):
    case, seller, buyer = make_sold_round(session, clock)
    auth.login(seller.email)
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Confirmation of sale" in case_page and f"/cases/{case.id}/confirmation" in case_page
    original = client.get(f"/cases/{case.id}/confirmation.pdf")
    assert original.mimetype == "application/pdf"
    assert original.headers["X-Content-SHA256"] in client.get(f"/cases/{case.id}/confirmation").get_data(as_text=True)
    answer = client.post(f"/cases/{case.id}/confirmation/sign", follow_redirects=True)
    assert "Signed for your institution." in answer.get_data(as_text=True)
    assert client.get(f"/cases/{case.id}/confirmation-signed.pdf").status_code == 404  # one party so far
    auth.logout()

    auth.login(buyer.email)  # the buyer is no party to the case's private pages, but to its confirmation
    assert client.get(f"/cases/{case.id}").status_code == 404
    client.post(f"/cases/{case.id}/confirmation/sign")
    signed = client.get(f"/cases/{case.id}/confirmation-signed.pdf")
    assert signed.status_code == 200
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(signed.data)).pages)
    assert original.headers["X-Content-SHA256"] in text and f"¥{(START + INCREMENT) // 100:,}.00" in text


def test_no_one_else_reads_the_confirmation(client, session, clock, auth):
    case, _seller, _buyer = make_sold_round(session, clock)
    stranger = make_user(session, Role.BANK, institution=make_institution(session))
    session.commit()
    auth.login(stranger.email)
    assert client.get(f"/cases/{case.id}/confirmation").status_code == 404
    assert client.get(f"/cases/{case.id}/confirmation.pdf").status_code == 404
