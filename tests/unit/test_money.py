from decimal import Decimal

import pytest

from marketplace.core.money import MoneyError, fen_to_yuan, format_fen, share_of, yuan_to_fen


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


@pytest.mark.parametrize("fen, shown", [
    (-150, "-¥1.50"), (-1, "-¥0.01"), (-123456789, "-¥1,234,567.89"),
    (9_223_372_036_854_775_807, "¥92,233,720,368,547,758.07"),   # BigInteger's largest
    (-9_223_372_036_854_775_807, "-¥92,233,720,368,547,758.07")])
def test_negative_and_large_amounts_are_shown_exactly(fen, shown):
    assert format_fen(fen) == shown
    assert yuan_to_fen(shown) == fen


@pytest.mark.parametrize("fen, bank", [
    (-150, "-1.50"), (-5, "-0.05"), (0, "0.00"), (123456789012, "1234567890.12"),
    (-10**17 - 1, "-1000000000000000.01")])
def test_the_bank_file_reads_plain_decimals_of_any_sign_and_size(fen, bank):
    assert format_fen(fen, "", grouping=False) == bank
    assert yuan_to_fen(bank) == fen


@pytest.mark.parametrize("fen, whole", [
    (149, "¥1"), (150, "¥2"), (-150, "-¥2"), (-149, "-¥1"), (-49, "¥0"),
    (123456789050, "¥1,234,567,891")])
def test_whole_yuan_round_half_away_from_zero_without_a_minus_zero(fen, whole):
    assert format_fen(fen, places=0) == whole


def test_amounts_in_large_units_are_exact_where_floats_are_not():
    # 1.005 亿元 (100,500,000 yuan): a float rounds 1.005 down to 1.00
    assert format_fen(100_500_000_00, "", unit=10**8) == "1.01"
    assert format_fen(-100_500_000_00, "", unit=10**8) == "-1.01"
    assert format_fen(10**19, "", places=1, grouping=False, unit=10**8) == "1000000000.0"


@pytest.mark.parametrize("fen, yuan", [
    (-5, Decimal("-0.05")), (-150, Decimal("-1.50")),
    (10**18 + 1, Decimal("10000000000000000.01"))])
def test_a_file_cell_holds_the_exact_yuan(fen, yuan):
    assert fen_to_yuan(fen) == yuan and fen_to_yuan(fen).as_tuple().exponent == -2
    assert yuan_to_fen(fen_to_yuan(fen)) == fen
    assert fen_to_yuan(None) is None


@pytest.mark.parametrize("text, fen", [
    ("-12.3", -1230), ("-0.01", -1), ("999999999999999999", 99999999999999999900),
    ("1200000.5", 120000050), ("0012", 1200), ("-1,234.56", -123456), (Decimal("-7.1"), -710),
    (-3, -300)])
def test_one_parser_reads_negative_large_and_plain_amounts(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["1.234", "-0.001", "1.", "--1", "٣"])
def test_the_plain_spelling_refuses_what_decimal_refuses(text):
    try:
        expected = yuan_to_fen(" " + text)       # the slow path (spaces are stripped)
    except MoneyError:
        expected = MoneyError
    if expected is MoneyError:
        with pytest.raises(MoneyError):
            yuan_to_fen(text)
    else:
        assert yuan_to_fen(text) == expected


@pytest.mark.parametrize("text", ["1e999999", "-1E999999", "1e99999", "9" * 40])
def test_an_amount_past_any_real_figure_is_refused_as_money_not_computed(text):
    # "1e999999" overflowed Decimal's context (decimal.Overflow, an ArithmeticError that no
    # caller catches: a 500 on every amount field); "1e999990" was computed into a
    # 3-million-bit integer, half a minute of one worker's time per request
    with pytest.raises(MoneyError):
        yuan_to_fen(text)


@pytest.mark.parametrize("text", ["1e1000000", "-1e1000000", "1e999997", "9" * 5000,
                                  "1E+400000"])
def test_an_amount_past_any_money_is_refused_at_once(text):
    """Decimal reads "1e999997" in no time, but turning it into fen built an integer of
    a million digits (about half a minute of CPU for one query string), and past
    Decimal's exponent it raised decimal.Overflow, which is not a MoneyError: a 500."""
    import time
    started = time.perf_counter()
    with pytest.raises(MoneyError):
        yuan_to_fen(text)
    # computed, it took ~30 s: refused, well under a second even on a loaded machine
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("text", ["1e5", "1E3", "2.5e2", "1_200", "1_200.50", "٣", "+1e2",
                                  "１e５"])
def test_spellings_decimal_reads_but_no_one_types_as_money_are_refused(text):
    """Decimal reads "1e5" as 100000 and "1_200" as 1200: a typo or a paste from code
    would become a large sum of public money without a word."""
    with pytest.raises(MoneyError):
        yuan_to_fen(text)


@pytest.mark.parametrize("text, fen", [("+12", 1200), (".5", 50), ("１２０，０００元", 12000000),
                                       ("¥ 1,200.50", 120050)])
def test_the_typed_spellings_people_use_still_read(text, fen):
    assert yuan_to_fen(text) == fen
