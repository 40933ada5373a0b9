"""Whether a new password is good enough, and if not, why (in the user's language).

Refused: a password that contains the person's e-mail address or name, or that an
attacker would guess early: zxcvbn (Dropbox's estimator, maintained as a Python package
and shipped with the product, no network) estimates the guesses from its lists of common
and breached passwords (30,000 from real breaches), words, names, keyboard patterns,
repeats, sequences and dates; under PASSWORD_MIN_SCORE (default 2: about a million
guesses) the password is refused with the pattern that made it weak."""
import re

from flask import current_app
from flask_babel import lazy_gettext as _l

REASONS = {
    "passwords": _l("it is one of the most common passwords, found in lists of breached "
                    "passwords"),
    "user_inputs": _l("it contains your e-mail address or name"),
    "repeat": _l("it repeats the same characters"),
    "sequence": _l("it is a sequence such as abcd or 1234"),
    "spatial": _l("it is a pattern of neighbouring keys such as qwerty"),
    "date": _l("it is a date or a year"),
    "regex": _l("it is a date or a year"),
    "dictionary": _l("it is a common word or name"),
    "bruteforce": _l("it is too short"),
}
_WORDS = re.compile(r"[^\W_]+")


def identity_parts(email=None, name=None):
    """The pieces of a person's e-mail and name a password must not contain."""
    parts = set()
    email = (email or "").strip().lower()
    if email:
        local = email.split("@", 1)[0]
        parts |= {email, local}
        parts |= {word for word in _WORDS.findall(local) if len(word) >= 4}
    name = (name or "").strip().lower()
    if name:
        parts.add("".join(name.split()))
        parts |= {word for word in _WORDS.findall(name) if len(word) >= 3}
    return {part for part in parts if len(part) >= 2}


def weakness(password, *, email=None, name=None):
    """Why ``password`` is refused (a lazy string), or None when it is good enough."""
    from zxcvbn import zxcvbn

    lowered = (password or "").lower()
    parts = identity_parts(email, name)
    # shorter pieces ("li", "wei") are common inside other words: zxcvbn weighs those
    if any(part in lowered for part in parts if len(part) >= 4):
        return _why(REASONS["user_inputs"])
    estimate = zxcvbn(password or "", user_inputs=sorted(parts))
    if estimate["score"] >= current_app.config.get("PASSWORD_MIN_SCORE", 2):
        return None
    return _why(_reason(estimate["sequence"]))


def _reason(matches):
    """The most telling pattern of zxcvbn's matches: a listed password first."""
    for match in matches:
        if match.get("dictionary_name") in ("passwords", "user_inputs"):
            return REASONS[match["dictionary_name"]]
    for match in matches:
        if match["pattern"] != "bruteforce":
            return REASONS.get(match["pattern"], REASONS["dictionary"])
    return REASONS["bruteforce"]


def _why(reason):
    return _l("This password is too easy to guess: %(reason)s. Choose a longer one, for "
              "example a few unrelated words.", reason=reason)
