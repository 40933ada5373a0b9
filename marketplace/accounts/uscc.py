"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-symbol alphabet (digits and capitals without I, O, Z, S, V);
the last one is a check character computed from the first 17 with fixed weights.
"""
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {char: index for index, char in enumerate(ALPHABET)}


class InvalidCreditCode(ValueError):
    def __init__(self, reason, expected=None):
        self.reason = reason
        self.expected = expected
        super().__init__(reason)


def normalise(code):
    return (code or "").strip().upper()


def check_character(first17):
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code):
    """Return the normalised code or raise :class:`InvalidCreditCode` with the reason."""
    code = normalise(code)
    if len(code) != 18:
        raise InvalidCreditCode("length")
    bad = [char for char in code if char not in _VALUES]
    if bad:
        raise InvalidCreditCode("characters")
    if not code[2:8].isdigit():
        raise InvalidCreditCode("division")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidCreditCode("check", expected=expected)
    return code


def is_valid(code):
    try:
        validate(code)
        return True
    except InvalidCreditCode:
        return False


def make(first17):
    """Complete a 17-character prefix with its check character (demo data, tests)."""
    first17 = normalise(first17)
    return first17 + check_character(first17)
