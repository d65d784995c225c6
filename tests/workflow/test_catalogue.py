"""The public catalogue: only published cases, every filter, search, sort and page, in a constant number of
queries; a case page with its disclosure and public timeline."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.demo.listings import seed_listings
from market.domain.workflow import CaseState as S
from market.domain.workflow import Channel
from market.models import DisposalCase
from market.services import catalogue
from market.services.catalogue import CatalogueQuery
from tests.factories_workflow import case_in


@pytest.fixture
def listings(session, clock):
    """300 bulk listings of every public state."""
    seed_listings(session, clock(), 300)
    return session


def test_only_published_cases_are_listed_and_a_suspended_one_stays_with_its_badge(client, session, clock):
    shown = {state: case_in(session, clock, state)[2] for state in (
        S.NOTICE_PUBLISHED, S.AUCTION, S.NEGOTIATED_SALE, S.CLOSED, S.SUSPENDED)}
    hidden = {state: case_in(session, clock, state)[2] for state in (
        S.FILED, S.UNDER_REVIEW, S.VERIFIED, S.VALUED, S.RETURNED, S.REJECTED, S.WITHDRAWN)}
    page = catalogue.search_catalogue(session, CatalogueQuery(per_page=50))
    session.commit()  # on SQLite an open read holds the write lock the app's requests need
    assert {item.id for item in page.items} == {case.id for case in shown.values()} and page.total == 5
    for case in hidden.values():
        assert client.get(f"/catalogue/{case.id}").status_code == 404
    body = client.get(f"/catalogue/{shown[S.SUSPENDED].id}").get_data(as_text=True)
    assert "Ownership dispute filed in court." in body  # why the sale is paused is public


def test_every_filter_narrows_the_listings_as_it_says(listings):
    def ids(**filters):
        found, page = set(), 1
        while True:
            result = catalogue.search_catalogue(listings, CatalogueQuery(per_page=100, page=page, **filters))
            found |= {item.id for item in result.items}
            if page >= result.pages:
                return found
            page += 1

    rows = listings.execute(sa.select(DisposalCase.id, DisposalCase.primary_kind, DisposalCase.industry,
                                      DisposalCase.region, DisposalCase.channel, DisposalCase.state,
                                      DisposalCase.list_price_fen, DisposalCase.title)).all()
    total = catalogue.search_catalogue(listings, CatalogueQuery()).total
    assert total == 300
    sample = rows[7]
    expectations = {
        "kind": (dict(kind=sample.primary_kind), lambda r: r.primary_kind == sample.primary_kind),
        "industry": (dict(industry=sample.industry), lambda r: r.industry == sample.industry),
        "region": (dict(region=sample.region), lambda r: r.region == sample.region),
        "channel": (dict(channel=Channel.AUCTION), lambda r: r.channel == Channel.AUCTION),
        "state": (dict(state=S.NEGOTIATED_SALE), lambda r: r.state == S.NEGOTIATED_SALE),
        "price": (dict(min_price_fen=100_000_000, max_price_fen=300_000_000),
                  lambda r: 100_000_000 <= r.list_price_fen <= 300_000_000),
    }
    for name, (filters, keep) in expectations.items():
        expected = {r.id for r in rows if keep(r)}
        assert expected and len(expected) < len(rows), name
        assert ids(**filters) == expected, name


def test_search_finds_words_of_the_title_and_a_registry_number_together(listings):
    case = listings.scalar(sa.select(DisposalCase).order_by(DisposalCase.id.desc()))
    number = case.registry_numbers.split()[0]
    assert case.id in {i.id for i in catalogue.search_catalogue(listings, CatalogueQuery(q=number.lower())).items}
    word = case.title[2:6]
    both = catalogue.search_catalogue(listings, CatalogueQuery(q=f"{word} {number}", per_page=100))
    assert [item.id for item in both.items] == [case.id]
    assert catalogue.search_catalogue(listings, CatalogueQuery(q="100%_no_such")).total == 0


@pytest.mark.parametrize(("sort", "key", "descending"), [
    ("price_asc", lambda i: i.list_price_fen, False), ("price_desc", lambda i: i.list_price_fen, True),
    ("newest", lambda i: i.notice_published_at, True),
])
def test_sorting_orders_the_whole_result_across_pages(listings, sort, key, descending):
    first = catalogue.search_catalogue(listings, CatalogueQuery(sort=sort, per_page=50, page=1)).items
    second = catalogue.search_catalogue(listings, CatalogueQuery(sort=sort, per_page=50, page=2)).items
    values = [key(i) for i in first + second]
    assert values == sorted(values, reverse=descending)
    assert not {i.id for i in first} & {i.id for i in second}


def test_the_deadline_sort_puts_the_nearest_deadline_first_and_those_without_one_last(listings):
    items = catalogue.search_catalogue(listings, CatalogueQuery(sort="ending", per_page=100, page=3)).items
    dated = [i.due_at for i in items if i.due_at]
    assert dated == sorted(dated)
    assert all(i.due_at is None for i in items[len(dated):])


def test_a_catalogue_page_costs_the_same_few_queries_however_many_listings_it_shows(client, listings):
    engine = client.application.extensions["market.engine"]
    statements = []

    def count(*args):
        statements.append(args[2])

    listings.commit()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/catalogue?per_page=5")
        few = len(statements)
        statements.clear()
        response = client.get("/catalogue?per_page=100&sort=price_desc")
        assert response.status_code == 200
        assert len(statements) == few <= 6
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_the_catalogue_page_filters_pages_and_explains_a_bad_filter(client, listings):
    listings.commit()
    page = client.get("/catalogue?lang=en&kind=patent&sort=price_asc&per_page=10").get_data(as_text=True)
    assert "Listings found" in page and "Patent" in page
    assert "page=2" in page and "kind=patent" in page
    bad = client.get("/catalogue?lang=en&min_price=abc&kind=spaceship")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "is not an amount" in text and "Not a valid choice" in text


def test_a_case_page_shows_the_disclosure_and_a_public_timeline_without_the_banks_private_reasons(client, session,
                                                                                               clock):
    from market.domain.workflow import CaseAction
    from market.services import disposal
    from market.services.audit import Actor

    user, operator, case = case_in(session, clock, S.NOTICE_PUBLISHED, co_owners=("清华大学",))
    session.commit()
    page = client.get(f"/catalogue/{case.id}?lang=en").get_data(as_text=True)
    assert "¥1,050,000.00" in page and "¥1,500,000.00" in page and "10.00%" in page
    assert "none known" in page and "清华大学" in page and "at least 24 hours" in page
    assert "Notice published" in page and "Filed by the bank" not in page
    clock.advance(days=31)
    disposal.take_action(session, case.id, CaseAction.OPEN_AUCTION, actor=Actor.of(operator), now=clock(),
                         start_price_fen=105_000_000, due_at=clock() + timedelta(days=3))
    session.commit()
    assert "Auction round opened" in client.get(f"/catalogue/{case.id}?lang=en").get_data(as_text=True)
