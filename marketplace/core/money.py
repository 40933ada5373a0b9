"""Money is integer fen (1 yuan = 100 fen). Never a float anywhere.

One way in, one way out: :func:`yuan_to_fen` reads every amount typed by a person or
found in a file, :func:`fen_to_yuan` is the exact yuan of a number of fen (a file's
numeric cell), :func:`format_fen` writes every amount shown or sent as text (pages,
chart axes, the bank's file)."""
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from marketplace.core.normalise import nfkc

FEN_PER_YUAN = 100
_CENTS = Decimal("0.01")
# "1200000", "-5", "1200000.5": read as integers, exactly and fast (an import reads a
# hundred thousand of them); any other spelling goes through Decimal
_PLAIN = re.compile(r"(-?)([0-9]{1,18})(?:\.([0-9]{1,2}))?")
# what a typed amount may look like once its separators, ¥ and 元 are gone: digits with
# an optional sign and point. Decimal would also read "1e5", "1_200" or "0x" spellings,
# which no one means as money
_TYPED = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


class MoneyError(ValueError):
    pass


class AmountTooLarge(MoneyError):
    """An amount past any real figure ("1e999999", forty nines): refused before it is
    computed, which would overflow Decimal or build an integer of millions of bits."""


# Digits of yuan before the point that any spelling may have: 10^20 yuan, far past every
# amount the forms allow (core.forms.MAX_AMOUNT_FEN is 10^12 yuan), so they can still say
# "too large", and far below what costs anything to turn into fen ("1e999997" is a
# million-digit integer, half a minute of CPU; "1e1000000" overflows Decimal).
_MAX_DIGITS_BEFORE_POINT = 21


def yuan_to_fen(text):
    """Parse a yuan amount typed by a person or read from a file ("1,234.5", "¥200000",
    "-12.30", "１２０，０００元", an int or a Decimal) into integer fen; more than two
    decimals is refused."""
    if isinstance(text, int):
        return text * FEN_PER_YUAN
    if type(text) is str and (plain := _PLAIN.fullmatch(text)):
        sign, yuan, cents = plain.groups()
        fen = int(yuan) * FEN_PER_YUAN + (int(cents.ljust(2, "0")) if cents else 0)
        return -fen if sign else fen
    # NFKC: a Chinese input method types full-width digits, comma, point and ￥
    # (１２０，０００．５０); 元 after the number says the unit the field asks for anyway
    cleaned = nfkc(str(text)).removesuffix("元")
    cleaned = cleaned.replace(",", "").replace("¥", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError(f"not an amount: {text!r}")
    if not value.is_finite():   # "NaN", "Infinity": numbers to Decimal, not money
        raise MoneyError(f"not an amount: {text!r}")
    if value and value.adjusted() >= _MAX_DIGITS_BEFORE_POINT:
        raise AmountTooLarge(f"too large: {text!r}")
    if isinstance(text, str) and not _TYPED.fullmatch(cleaned):
        raise MoneyError(f"not an amount: {text!r}")
    if value.as_tuple().exponent < -2:
        raise MoneyError("at most two decimal places")
    return int((value * FEN_PER_YUAN).to_integral_value(rounding=ROUND_HALF_UP))


def fen_to_yuan(fen):
    """The exact yuan of ``fen`` as a Decimal with two places (None stays None)."""
    if fen is None:
        return None
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(_CENTS)


def format_fen(fen, symbol="¥", *, places=2, grouping=True, unit=1):
    """Fen as text: ``123456 -> '¥1,234.56'``, ``-5 -> '-¥0.05'``.

    ``places`` decimals, rounded half away from zero (0 for whole yuan); ``grouping``
    writes thousands separators (a bank reads plain decimals: ``symbol="", grouping=False``);
    ``unit`` counts in units of that many yuan (10_000 for 万, 10**8 for 亿), the caller
    naming the unit after the number. None is the empty text."""
    if fen is None:
        return ""
    exact = Decimal(int(fen)) / (FEN_PER_YUAN * unit)
    value = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    number = f"{abs(value):{',' if grouping else ''}.{places}f}"
    return f"{sign}{symbol}{number}"


def share_of(amount_fen, basis_points):
    """``amount_fen`` × basis points / 10,000, rounded down to whole fen (never overpay)."""
    return (int(amount_fen) * int(basis_points)) // 10_000
