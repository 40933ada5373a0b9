"""Amounts in Chinese capital numerals (大写), the way contracts and bank forms write them."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.numerals import DIGITS, fen_to_capital


@pytest.mark.parametrize("fen, text", [
    (0, "零元整"),
    (1, "壹分"),
    (10, "壹角整"),
    (55, "伍角伍分"),
    (100, "壹元整"),
    (150, "壹元伍角整"),
    (105, "壹元零伍分"),
    (1000, "壹拾元整"),
    (1100, "壹拾壹元整"),
    (10100, "壹佰零壹元整"),
    (100500, "壹仟零伍元整"),
    (105000, "壹仟零伍拾元整"),
    (1_000_500, "壹万零伍元整"),
    (1_005_000, "壹万零伍拾元整"),
    (1_050_000, "壹万零伍佰元整"),
    (1_500_000, "壹万伍仟元整"),
    (10_000_000, "壹拾万元整"),
    (10_700_053, "壹拾万柒仟元伍角叁分"),     # the accounting rules' example (零 after 元 optional)
    (1_640_902, "壹万陆仟肆佰零玖元零贰分"),   # 角 zero before a 分: 零
    (168_032, "壹仟陆佰捌拾元叁角贰分"),
    (100_050_000, "壹佰万零伍佰元整"),
    (100_500_000, "壹佰万伍仟元整"),
    (1_000_000_000, "壹仟万元整"),
    (10_000_000_000, "壹亿元整"),
    (10_000_500_000, "壹亿零伍仟元整"),
    (10_001_000_000, "壹亿零壹万元整"),
    (11_000_000_000, "壹亿壹仟万元整"),
    (729_200_000_000, "柒拾贰亿玖仟贰佰万元整"),          # ¥7.292 bn, the city's 2020 turnover
    (100_000_000_000_000, "壹万亿元整"),
    (100_000_000_000_001, "壹万亿元零壹分"),
    (123_456_789_012_345, "壹万贰仟叁佰肆拾伍亿陆仟柒佰捌拾玖万零壹佰贰拾叁元肆角伍分"),
    (-150, "负壹元伍角整"),
])
def test_amounts_are_written_in_capital_numerals(fen, text):
    assert fen_to_capital(fen) == text


@pytest.mark.parametrize("bad", [1.5, "100", None, True])
def test_only_integer_fen_are_accepted(bad):
    with pytest.raises(TypeError):
        fen_to_capital(bad)


def _read_back(text):
    """Parse 大写 back to fen (an independent reading, for the property below)."""
    digits = {c: i for i, c in enumerate(DIGITS)}
    units = {"拾": 10, "佰": 100, "仟": 1000}
    yuan_text, _, cents_text = text.partition("元")
    if "元" not in text:
        yuan_text, cents_text = "", text

    def integer(part):
        for section, size in (("亿", 10 ** 8), ("万", 10 ** 4)):
            if section in part:
                high, _, low = part.rpartition(section) if section == "万" and "亿" not in part \
                    else part.partition(section)
                return integer(high) * size + integer(low)
        total, digit = 0, 0
        for char in part:
            if char in digits:
                digit = digits[char]
            elif char in units:
                total, digit = total + digit * units[char], 0
        return total + digit

    fen = integer(yuan_text) * 100
    for char, size in (("角", 10), ("分", 1)):
        if char in cents_text:
            before = cents_text.split(char)[0]
            fen += digits[before[-1]] * size
    return fen


@given(st.integers(min_value=1, max_value=10 ** 15))
def test_the_text_reads_back_to_the_same_amount(fen):
    text = fen_to_capital(fen)
    assert _read_back(text) == fen
    assert "零零" not in text and not text.startswith("零")
    assert text.endswith("整") == (fen % 10 == 0)
