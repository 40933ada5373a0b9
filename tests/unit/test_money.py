import pytest

from marketplace.core.money import MoneyError, format_fen, share_of, yuan_to_fen


@pytest.mark.parametrize("text, fen", [("1", 100), ("1,234.5", 123450), ("¥200000", 20000000),
                                       ("0.01", 1), (" 12.30 ", 1230)])
def test_yuan_typed_by_a_person_becomes_integer_fen(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["1.234", "abc", "", "1e"])
def test_amounts_that_are_not_money_are_refused(text):
    with pytest.raises(MoneyError):
        yuan_to_fen(text)


def test_fen_are_shown_as_yuan_with_separators():
    assert format_fen(123456789) == "¥1,234,567.89"
    assert format_fen(-5) == "-¥0.05"
    assert format_fen(None) == ""


def test_a_bank_file_reads_plain_decimals_negative_and_large_included():
    def plain(fen):
        return format_fen(fen, symbol="", grouping=False)
    assert plain(123456789) == "1234567.89"
    assert plain(5) == "0.05" and plain(-5) == "-0.05" and plain(-100) == "-1.00"
    assert plain(0) == "0.00"
    # beyond a float's exact range: still exact to the fen
    assert plain(9_007_199_254_740_993) == "90071992547409.93"
    assert yuan_to_fen(plain(-123_45)) == -123_45


def test_a_share_is_rounded_down_never_overpaying():
    assert share_of(999, 5000) == 499
    assert share_of(1_000_000, 5000) == 500_000
