"""Letters and digits typed in full width (a Chinese input method in its full-width mode
types ＩＳＯ９００１) are the same letters and digits to the search: a query so typed finds
what is written in half width, and a title so written is found by a half-width query. A
query of full-width letters was taken as no query at all and listed every offering."""
from marketplace.catalogue import search
from marketplace.extensions import db
from tests.factories import make_offering
from tests.integration.catalogue.test_catalogue_pages import (agency, member,  # noqa: F401
                                                              result_titles)


def test_full_width_letters_and_digits_are_terms_like_their_half_width_forms():
    assert search.query_terms("ＩＳＯ　９００１认证") == ["iso", "9001", "认证"]
    assert search.index_terms("ＩＳＯ９００１") == search.index_terms("ISO9001") == "iso9001"


def test_a_full_width_query_finds_a_half_width_title_and_the_other_way(client, agency,
                                                                        member):
    make_offering(agency, actor=member, title="ISO 9001 质量体系认证咨询")
    make_offering(agency, actor=member, title="ＣＮＡＳ实验室认可辅导")
    make_offering(agency, actor=member, title="材料检测服务")
    db.session.commit()
    assert result_titles(client.get("/catalogue?q=ＩＳＯ")) == ["ISO 9001 质量体系认证咨询"]
    assert result_titles(client.get("/catalogue?q=cnas")) == ["ＣＮＡＳ实验室认可辅导"]


def test_a_query_of_punctuation_alone_says_it_searched_for_nothing(client, agency, member):
    make_offering(agency, actor=member, title="材料检测服务")
    db.session.commit()
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get("/catalogue?q=%26%7C!%3A*()%27%5C")
    assert result_titles(page) == ["材料检测服务"]
    body = page.get_data(as_text=True)
    assert 'data-testid="filter-notice"' in body
    assert "no letters, digits or Chinese characters" in body
    assert "no letters" not in client.get("/catalogue?q=检测").get_data(as_text=True)
