"""Identity-document numbers are kept only as a keyed hash and shown masked.

The hash is HMAC-SHA256 of the number's comparison key (``normalise.identity_number_key``)
under ``IDENTITY_HASH_KEY``: equal numbers hash alike, so people are matched across
organisations and against the barred list, while a copy of the database does not give the
numbers back (a plain SHA-256 of an 18-digit number with a known structure is reversed by
enumeration in hours; without the key it cannot be). The masked form keeps the first four
and the last four characters, which is what a person needs to recognise their own number.
"""
import hashlib
import hmac

from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.accounts import uscc
from marketplace.core import normalise

ID_KINDS = ("resident_id", "uscc", "other")
ID_KIND_NAMES = {
    "resident_id": _l("Resident identity card"),
    "uscc": _l("Unified social credit code (a shareholding organisation)"),
    "other": _l("Passport or other document"),
}


class InvalidIdentityNumber(ValueError):
    def __init__(self, reason):
        self.reason = reason
        super().__init__(reason)


def number_hash(number):
    """The keyed hash (64 hex characters) of an identity-document number, or None."""
    key = normalise.identity_number_key(number)
    if not key:
        return None
    secret = current_app.config["IDENTITY_HASH_KEY"].encode("utf-8")
    return hmac.new(secret, key.encode("ascii", "ignore"), hashlib.sha256).hexdigest()


def masked(number):
    """3601**********1234: the first and the last four characters."""
    key = normalise.identity_number_key(number) or ""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:4] + "*" * (len(key) - 8) + key[-4:]


def checked_number(kind, number):
    """The number's comparison key if it is a number of ``kind``, else
    :class:`InvalidIdentityNumber` naming the reason."""
    key = normalise.identity_number_key(number)
    if not key:
        raise InvalidIdentityNumber("missing")
    if kind == "resident_id":
        if not normalise.is_resident_id(key):
            raise InvalidIdentityNumber("resident_id")
    elif kind == "uscc":
        if not uscc.is_valid(key):
            raise InvalidIdentityNumber("uscc")
    elif kind == "other":
        if not 5 <= len(key) <= 30:
            raise InvalidIdentityNumber("other")
    else:
        raise InvalidIdentityNumber("kind")
    return key


REASONS = {
    "missing": _l("Give the identity-document number."),
    "resident_id": _l("Not a resident identity number: 18 characters whose last (check) "
                      "character matches the first 17."),
    "uscc": _l("Not a unified social credit code."),
    "other": _l("A document number has 5 to 30 letters and digits."),
    "kind": _l("Choose the kind of document."),
}
