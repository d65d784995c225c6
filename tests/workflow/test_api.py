"""The JSON API: the public catalogue with its parameters checked, and the caller's own cases with timelines."""

import pytest

from market.demo.listings import seed_listings
from market.domain.roles import Role
from market.domain.workflow import CaseState as S
from market.services.accounts import create_api_token
from tests.factories import make_user
from tests.factories_workflow import case_in


def _bearer(session, user):
    return {"Authorization": f"Bearer {create_api_token(session, user)}"}


def test_the_catalogue_answers_a_filtered_page_without_a_token(client, session, clock):
    seed_listings(session, clock(), 60)
    response = client.get("/api/v1/catalogue?sort=price_desc&per_page=10&page=2&min_price=1000.00")
    body = response.get_json()
    assert response.status_code == 200 and body["page"] == 2 and len(body["items"]) == 10
    assert body["total"] <= 60
    item = body["items"][0]
    assert isinstance(item["price"], str) and item["price"].count(".") == 1 and len(item["price"].split(".")[1]) == 2
    assert item["notice_published_at"].endswith("Z") and item["url"] == f"/catalogue/{item['id']}"
    prices = [float(i["price"]) for i in body["items"]]
    assert prices == sorted(prices, reverse=True)


@pytest.mark.parametrize("query", ["q=%00", "industry=a%00b", "region=%00"])
def test_a_search_with_a_nul_character_finds_nothing_instead_of_failing(client, session, clock, query):
    seed_listings(session, clock(), 3)
    response = client.get(f"/api/v1/catalogue?{query}")
    assert response.status_code == 200 and response.get_json()["total"] == 0
    assert client.get(f"/catalogue?{query}").status_code == 200  # the page reads the same query


@pytest.mark.parametrize(("query", "parameter"), [
    ("kind=spaceship", "kind"), ("state=filed", "state"), ("channel=lottery", "channel"),
    ("min_price=abc", "min_price"), ("max_price=1.234", "max_price"), ("min_price=10&max_price=5", "max_price"),
    ("sort=cheapest", "sort"), ("page=0", "page"), ("per_page=1000", "per_page"), ("page=two", "page"),
    ("colour=red", "colour"),
])
def test_a_bad_catalogue_parameter_is_a_422_that_names_it(client, query, parameter):
    response = client.get(f"/api/v1/catalogue?{query}")
    body = response.get_json()
    assert response.status_code == 422
    assert body["error"] == "invalid_parameter" and body["parameter"] == parameter
    assert body["message"].startswith(f"Parameter {parameter}:")


def test_my_cases_need_a_token_and_list_only_the_callers_cases_with_amounts_and_timeline(client, session, clock):
    user, _operator, mine = case_in(session, clock, S.NOTICE_PUBLISHED)
    _other, _, theirs = case_in(session, clock, S.FILED)
    assert client.get("/api/v1/cases").status_code == 401
    headers = _bearer(session, user)
    body = client.get("/api/v1/cases", headers=headers).get_json()
    assert [c["id"] for c in body["items"]] == [mine.id] and body["total"] == 1
    case = body["items"][0]
    assert case["state"] == "notice_published" and case["amounts"]["principal_outstanding"] == "1000000.00"
    assert case["amounts"]["appraised_value"] == "1500000.00" and case["assets"][0]["registry_number"]
    assert [e["action"] for e in case["timeline"]] == ["file", "start_review", "verify", "record_valuation",
                                                       "publish_notice"]
    assert case["timeline"][0]["actor_role"] == "bank" and case["timeline"][-1]["at"].endswith("Z")
    one = client.get(f"/api/v1/cases/{mine.id}", headers=headers)
    assert one.status_code == 200 and one.get_json()["reference"] == mine.reference
    other = client.get(f"/api/v1/cases/{theirs.id}", headers=headers)
    assert other.status_code == 404 and other.get_json()["error"] == "not_found"


def test_a_timeline_shows_the_reason_a_human_gave(client, session, clock):
    user, _operator, case = case_in(session, clock, S.RETURNED)
    body = client.get(f"/api/v1/cases/{case.id}", headers=_bearer(session, user)).get_json()
    assert body["timeline"][-1]["reason"] == "The pledge certificate scan is unreadable."
    assert body["timeline"][-1]["actor_role"] == "operator"


def test_a_guarantor_sees_through_the_api_only_the_cases_it_shares_in(client, session, clock):
    guarantor = make_user(session, Role.GUARANTOR)
    session.commit()
    _user, _operator, shared = case_in(session, clock, S.FILED, guarantor=guarantor.institution,
                                       bank_share_ppm=700_000, guarantor_share_ppm=300_000)
    case_in(session, clock, S.FILED)
    body = client.get("/api/v1/cases", headers=_bearer(session, guarantor)).get_json()
    assert [c["id"] for c in body["items"]] == [shared.id]


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert paths["/catalogue"]["get"]["security"] == []
    assert {p["name"] for p in paths["/catalogue"]["get"]["parameters"]} >= {"kind", "q", "min_price", "sort"}
    assert "404" in paths["/cases/{case_id}"]["get"]["responses"] and "/cases" in paths
