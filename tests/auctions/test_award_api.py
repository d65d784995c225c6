"""The award chain and the confirmation of sale through the JSON API: the centre's system offers a defaulted lot,
the second bidder's system accepts it, the centre records the payment, and both parties sign the confirmation."""

import uuid

from market.domain.roles import Role
from market.services.accounts import create_api_token
from tests.factories import make_institution, make_user
from tests.factories_auctions import make_defaulted_round, make_operator, make_sold_round


def _headers(session, user):
    session.commit()
    return {"Authorization": f"Bearer {create_api_token(session, user)}"}


def _post(client, path, headers):
    return client.post(f"/api/v1{path}", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})


def test_the_centre_offers_the_lot_and_the_second_bidder_accepts_then_pays(client, session, clock):
    auction, (third, second, _winner) = make_defaulted_round(session, clock)
    centre = _headers(session, make_operator(session))
    bidder = _headers(session, second)

    award = client.get(f"/api/v1/awards/{auction.id}", headers=centre).get_json()
    assert award["status"] == "second_bidder_decision" and award["second_bidder_offer_allowed"]
    assert award["second_bidder_decision_due_at"].endswith("Z")

    offered = _post(client, f"/awards/{auction.id}/second-bidder/offer", centre)
    assert offered.status_code == 200, offered.get_json()
    assert offered.get_json()["second_bidder_offer"]["price"] == "1060000.00"

    seen = client.get(f"/api/v1/awards/{auction.id}", headers=bidder).get_json()
    assert seen["second_bidder_offer"]["to_you"] is True
    others = client.get(f"/api/v1/awards/{auction.id}", headers=_headers(session, third)).get_json()
    assert others["second_bidder_offer"] is None  # only the centre and the bidder it is made to see it

    accepted = _post(client, f"/awards/{auction.id}/second-bidder/accept", bidder).get_json()
    assert (accepted["status"], accepted["price"], accepted["you_must_pay"]) == ("awarded", "1060000.00", True)

    paid = _post(client, f"/awards/{auction.id}/payment", centre).get_json()
    assert paid["status"] == "sold"
    confirmation = client.get(f"/api/v1/cases/{auction.case_id}/confirmation", headers=bidder).get_json()
    assert confirmation["price"] == "1060000.00" and confirmation["your_party"] == "buyer"


def test_a_bidder_cannot_make_the_centres_decision_nor_answer_an_offer_made_to_another(client, session, clock):
    auction, (third, _second, _winner) = make_defaulted_round(session, clock)
    other = _headers(session, third)
    assert _post(client, f"/awards/{auction.id}/second-bidder/offer", other).status_code == 403
    _post(client, f"/awards/{auction.id}/second-bidder/offer", _headers(session, make_operator(session)))
    refused = _post(client, f"/awards/{auction.id}/second-bidder/accept", other)
    assert (refused.status_code, refused.get_json()["error"]) == (403, "not_the_second_bidder")


def test_the_centre_may_choose_a_rerun(client, session, clock):
    auction, _users = make_defaulted_round(session, clock)
    answer = _post(client, f"/awards/{auction.id}/second-bidder/rerun", _headers(session, make_operator(session)))
    assert answer.get_json()["status"] == "defaulted"


def test_both_parties_sign_the_confirmation_through_the_api(client, session, clock):
    case, seller, buyer = make_sold_round(session, clock)
    seller_headers, buyer_headers = _headers(session, seller), _headers(session, buyer)
    first = _post(client, f"/cases/{case.id}/confirmation/signatures", seller_headers)
    assert first.status_code == 201 and [s["party"] for s in first.get_json()["signatures"]] == ["seller"]
    again = _post(client, f"/cases/{case.id}/confirmation/signatures", seller_headers)
    assert (again.status_code, again.get_json()["error"]) == (409, "already_signed")
    done = _post(client, f"/cases/{case.id}/confirmation/signatures", buyer_headers).get_json()
    assert done["signed_at"] and len(done["signed_sha256"]) == 64
    assert {s["document_sha256"] for s in done["signatures"]} == {done["sha256"]}


def test_no_one_else_reads_the_confirmation(client, session, clock):
    case, _seller, _buyer = make_sold_round(session, clock)
    stranger = make_user(session, Role.BANK, institution=make_institution(session))
    assert client.get(f"/api/v1/cases/{case.id}/confirmation",
                      headers=_headers(session, stranger)).status_code == 404
