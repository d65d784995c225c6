"""Catalogue paging jumps to any page (first, last, the ones around, ellipses for the rest); the industry and
region filters read in the reader's language."""

import re

import pytest

from market.demo.listings import seed_listings
from market.web.paging import page_links


@pytest.mark.parametrize(("page", "pages", "links"), [
    (1, 1, [1]),
    (1, 5, [1, 2, 3, 4, 5]),
    (6, 20, [1, None, 4, 5, 6, 7, 8, None, 20]),
    (1, 20, [1, 2, 3, None, 20]),
    (20, 20, [1, None, 18, 19, 20]),
    (4, 20, [1, 2, 3, 4, 5, 6, None, 20]),  # one left-out page is shown rather than an ellipsis
])
def test_page_links_keep_first_last_and_neighbours_and_mark_gaps(page, pages, links):
    assert page_links(page, pages) == links


@pytest.fixture
def listings(session, clock):
    """120 bulk listings."""
    seed_listings(session, clock(), 120)
    return session


def _pager(html: str) -> str:
    return html.split('<nav class="pagination"')[1].split("</nav>")[0]


def test_the_catalogue_links_first_last_and_nearby_pages_keeping_the_filters(client, listings):
    html = client.get("/catalogue?per_page=5&sort=price_asc&page=12").get_data(as_text=True)
    pager = _pager(html)
    numbers = [int(n) for n in re.findall(r"[?&]page=(\d+)", pager)]
    assert {1, 10, 11, 13, 14, 24} <= set(numbers) and not {2, 9, 15, 23} & set(numbers)
    assert pager.count("…") == 2 and 'aria-current="page">12<' in pager
    assert all("sort=price_asc" in href and "per_page=5" in href for href in re.findall(r'href="([^"]+)"', pager))
    last = client.get("/catalogue?per_page=5&page=24").get_data(as_text=True)
    assert 'rel="next"' not in _pager(last) and 'aria-current="page">24<' in _pager(last)


def test_in_english_industries_and_regions_are_translated_but_filter_by_their_stored_value(client, listings):
    client.get("/language/en")
    html = client.get("/catalogue").get_data(as_text=True)
    assert '<option value="集成电路" >Integrated circuits</option>' in html
    assert '<option value="北京" >Beijing</option>' in html
    assert "集成电路</option>" not in html
    filtered = client.get("/catalogue?industry=集成电路&region=北京").get_data(as_text=True)
    assert "Integrated circuits · Beijing" in filtered and "Listings found: 0" not in filtered


def test_in_chinese_they_read_as_stored(client, listings):
    client.get("/language/zh")
    html = client.get("/catalogue").get_data(as_text=True)
    assert '<option value="集成电路" >集成电路</option>' in html and "Integrated circuits" not in html
