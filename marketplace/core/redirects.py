"""Where a ``next`` parameter may send the browser: a path on this site, never elsewhere.

Every view that redirects to a target the request names (sign-in's ``next``, the language
switch's) asks :func:`local_target`. Browsers repair what they are given before they follow
it: they drop tabs and newlines anywhere (``/%09/evil.example`` becomes ``//evil.example``,
another host), read ``\\`` as ``/``, and some map full-width characters to their plain
forms; a CR or LF in a Location header is a header injection (werkzeug refuses it with a
500). So a target is refused when it, its percent-decoded forms or its NFKC form could be
read as anything but a path of this site, or when it holds an invisible character.
"""
import unicodedata
from urllib.parse import unquote, urlsplit

from werkzeug.urls import iri_to_uri

MAX_LENGTH = 2000
_DECODE_ROUNDS = 3


def _invisible(ch):
    """A control, format or separator character other than the plain space (tabs and
    newlines, which browsers drop; U+2028; zero-width and direction marks)."""
    return ch != " " and unicodedata.category(ch)[0] in "CZ"


def _is_local_path(text):
    if not text.startswith("/") or text.startswith("//"):
        return False
    if "\\" in text or any(_invisible(ch) for ch in text):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def _readings(target):
    """The target as given, percent-decoded up to a few times, and NFKC-normalised."""
    seen, text = [target], target
    for _round in range(_DECODE_ROUNDS):
        decoded = unquote(text)
        if decoded == text:
            break
        seen.append(decoded)
        text = decoded
    return seen + [unicodedata.normalize("NFKC", reading) for reading in seen]


def local_target(target, default):
    """``target`` as an ASCII Location if it is a path on this site, else ``default``."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return default
    if not all(_is_local_path(reading) for reading in _readings(target)):
        return default
    return iri_to_uri(target)
