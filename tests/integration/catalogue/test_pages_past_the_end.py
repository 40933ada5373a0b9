"""A page number past the last page of a listing that has items (an old bookmark, a
hand-edited URL, a result that shrank) says so and links back to the last page, rather
than telling the person that nothing matches while the heading counts the matches."""
import pytest

from marketplace.extensions import db
from tests.integration.catalogue.test_catalogue_pages import (agency, catalogue,  # noqa: F401
                                                              english, member, text)


@pytest.mark.parametrize("url, last", [
    ("/catalogue?q=检测&page=999", "/catalogue?page=1&amp;q=%E6%A3%80%E6%B5%8B"),
    ("/catalogue?page=50", "/catalogue?page=1"),
])
def test_a_page_past_the_end_of_the_results_says_so_and_links_back(client, catalogue, url,
                                                                    last):
    english(client)
    page = client.get(url)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "No offering matches" not in body
    assert "past the last page" in body
    assert f'href="{last}"' in body


def test_the_exchange_lists_say_so_too(client, catalogue):
    from tests.integration.exchange.builders import make_result
    make_result()
    db.session.commit()
    english(client)
    body = text(client.get("/exchange/results?page=7"))
    assert "past the last page" in body and 'href="/exchange/results?page=1"' in body


def test_an_empty_listing_still_says_nothing_matches(client, catalogue):
    english(client)
    body = text(client.get("/catalogue?q=区块链&page=3"))
    assert "No offering matches" in body and "past the last page" not in body
