"""Accounts asks the bureau's lists through answers the integrity domain provides from its
init_app. Unwired, a question is an error: answering "not listed" would let a barred
party register."""
import pytest

from marketplace.accounts import bureau_lists


@pytest.fixture(autouse=True)
def _fresh_database():
    """Overrides the conftest fixture: no database here."""
    yield


def test_a_question_nobody_answers_is_an_error_not_a_pass(monkeypatch):
    monkeypatch.setattr(bureau_lists, "_answers", None)
    with pytest.raises(RuntimeError, match="integrity"):
        bureau_lists.refuse_if_listed(uscc="91360106MA35X00010", id_hashes=[],
                                      field="credit_code")
    with pytest.raises(RuntimeError):
        bureau_lists.tier_on("91360106MA35X00010")
