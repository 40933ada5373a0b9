"""When a page tells the total by itself, and when it must be counted."""
import pytest

from marketplace.core.pagination import total_told_by_page


@pytest.mark.parametrize("shown, offset, per_page, total", [
    (3, 0, 20, 3),        # a short first page is all there is
    (1, 20, 20, 21),      # a short second page: the first was full
    (0, 0, 20, 0),        # nothing at all
    (20, 0, 20, None),    # a full page: more may follow
    (0, 40, 20, None),    # past the end: how far the end is, the page cannot say
])
def test_a_page_tells_its_total_only_when_it_is_short_or_the_empty_first(
        shown, offset, per_page, total):
    assert total_told_by_page(shown, offset, per_page) == total
