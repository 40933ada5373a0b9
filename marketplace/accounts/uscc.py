"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-symbol alphabet (digits and capitals without I, O, Z, S, V);
the last one is a check character computed from the first 17 with fixed weights.
"""
import re

from marketplace.core.normalise import nfkc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {char: index for index, char in enumerate(ALPHABET)}


class InvalidCreditCode(ValueError):
    def __init__(self, reason, expected=None):
        self.reason = reason
        self.expected = expected
        super().__init__(reason)


_SPACING = re.compile(r"[\s\-_.·]+")
# what people put between codes they list: line breaks, commas, semicolons, 、 (after NFKC)
_LIST_SEPARATORS = re.compile(r"[\n\r,;、|/]+")


def normalise(code):
    """A code as typed, in the form it is stored and compared: NFKC (a Chinese input
    method's full-width ９１３６… is 9136…), without spacing or dashes, upper-case."""
    return _SPACING.sub("", nfkc(code)).upper()


def codes_in(text):
    """The codes a person listed in ``text`` (one a line, or separated by commas or
    semicolons, full-width or not), normalised, in order, each once. A piece of 36, 54…
    characters once its spacing is gone is that many codes written side by side."""
    found = []
    for piece in _LIST_SEPARATORS.split(nfkc(text)):
        piece = normalise(piece)
        parts = [piece[i:i + 18] for i in range(0, len(piece), 18)] \
            if len(piece) > 18 and len(piece) % 18 == 0 else [piece]
        found += [part for part in parts if part and part not in found]
    return found


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
