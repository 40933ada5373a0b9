"""Amounts in Chinese capital numerals (大写金额), as contracts, invoices and bank forms
write them, following the accounting rules (会计基础工作规范, 第五十二条):

- the integer part ends with 元; an amount without 角 and 分 ends with 整 (壹万零伍元整), one
  that ends at 角 with 角整 (壹元伍角整), one with 分 ends at 分 (壹元伍角叁分);
- zeros between digits are written once as 零, however many there are (壹仟零伍元整,
  壹亿零伍仟元整); 角 zero before a 分 is written 零 (壹元零伍分);
- 壹 before 拾 is kept (壹拾元整, 壹拾万元整), as the rules' own examples do;
- sections are 万 and 亿, and above 亿 the 万 again (壹万亿元整).

Pure: integer fen in, text out; no float ever.
"""
DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_WAN, _YI = 10_000, 100_000_000


def _below_ten_thousand(number):
    """1..9999 with its inner zeros (壹仟零伍, 壹佰壹拾)."""
    text, pending_zero = [], False
    for position in range(3, -1, -1):
        digit = number // 10 ** position % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text.append(DIGITS[0])
            pending_zero = False
        text.append(DIGITS[digit] + _UNITS[position])
    return "".join(text)


def _integer(number):
    """A positive integer: split at 亿 (eight digits), then at 万 (four digits)."""
    for size, section, width in ((_YI, "亿", 8), (_WAN, "万", 4)):
        if number >= size:
            high, low = divmod(number, size)
            rest = ""
            if low:
                # a lower part with fewer digits than its place holds starts with one 零
                rest = (DIGITS[0] if low < 10 ** (width - 1) else "") + _integer(low)
            return _integer(high) + section + rest
    return _below_ten_thousand(number)


def fen_to_capital(fen):
    """Integer fen as 大写: 1_000_500 → 壹万零伍元整; 150 → 壹元伍角整; 5 → 伍分."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("an amount in integer fen")
    if fen < 0:
        return "负" + fen_to_capital(-fen)
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if fen == 0:
        return "零元整"
    text = _integer(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen_digit and yuan:
        text += DIGITS[0]
    if fen_digit:
        return text + DIGITS[fen_digit] + "分"
    return text + "整"
