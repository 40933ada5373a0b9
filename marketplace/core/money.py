"""Money is integer fen (1 yuan = 100 fen). Never a float anywhere."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100


class MoneyError(ValueError):
    pass


def yuan_to_fen(text):
    """Parse a yuan amount typed by a person ("1,234.5", "¥200000") into integer fen."""
    if isinstance(text, int):
        return text * FEN_PER_YUAN
    cleaned = str(text).strip().replace(",", "").replace("¥", "").replace("￥", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError(f"not an amount: {text!r}")
    if not value.is_finite():   # "NaN", "Infinity": numbers to Decimal, not money
        raise MoneyError(f"not an amount: {text!r}")
    if value.as_tuple().exponent < -2:
        raise MoneyError("at most two decimal places")
    return int((value * FEN_PER_YUAN).to_integral_value(rounding=ROUND_HALF_UP))


def format_fen(fen, symbol="¥", *, grouping=True):
    """Render fen as yuan: 123456 -> '¥1,234.56', -5 -> '-¥0.05'. Bank files want plain
    decimals (``symbol="", grouping=False``: '1234.56'), never a float's rounding."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}" if grouping else \
        f"{sign}{symbol}{yuan}.{cents:02d}"


def share_of(amount_fen, basis_points):
    """``amount_fen`` × basis points / 10,000, rounded down to whole fen (never overpay)."""
    return (int(amount_fen) * int(basis_points)) // 10_000
