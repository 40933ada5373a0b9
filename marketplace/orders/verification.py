"""The code printed on a contract document, and what the public verification page shows.

The code is an HMAC, under a key derived from the app's SECRET_KEY, of the contract's key
figures as signed (number, type, amounts, voucher part, co-pay, signing date, the parties'
ids): a made-up number or code, or a document whose number was changed, finds nothing.
The page then shows the figures the platform holds, so a document whose amounts were
changed disagrees with it. It never shows the parties' private data (bank account, phone,
identity numbers), only their names, which the registry publishes anyway.
Changing SECRET_KEY invalidates the codes of documents already printed.
"""
import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import current_app
from sqlalchemy import select

from marketplace.core import normalise
from marketplace.core.signals import answers
from marketplace.extensions import db
from marketplace.orders import signals
from marketplace.orders.models import TechContract
from marketplace.orders.parties import contract_parties

CODE_BYTES = 10   # 80 bits: 16 characters of base32, not worth guessing


def _key():
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"hongcheng contract verification", hashlib.sha256).digest()


def key_figures(contract):
    return "|".join(str(value) for value in (
        contract.number, contract.contract_type.value, contract.contract_amount_fen,
        contract.technical_amount_fen, contract.voucher_part_fen, contract.copay_fen,
        contract.signed_on.isoformat(), contract.buyer_id, contract.seller_id))


def verification_code(contract):
    """``ABCD-EFGH-JKLM-NPQR``: what the document prints and its QR code carries."""
    digest = hmac.new(_key(), key_figures(contract).encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest[:CODE_BYTES]).decode()
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def normalise_code(code):
    """The code's letters and digits in upper case: typed by hand with spaces or without
    dashes, in lower case, or in a Chinese input method's full-width forms (ＺＤ７Ｘ), which
    NFKC folds. Only ASCII is kept, so the comparison never meets other characters
    (hmac.compare_digest refuses non-ASCII text with a TypeError)."""
    folded = normalise.nfkc(code).upper()
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


def normalise_number(number):
    """A contract number as typed: NFKC (full-width forms), no surrounding spaces, upper
    case, as the platform writes its numbers (HC-2026-0000001)."""
    return normalise.nfkc(number).upper()


def verification_url(contract):
    """The page's address as printed: PUBLIC_BASE_URL, so a document rendered through any
    host name points to the bureau's public address (the route of
    ``orders.verify_contract``, built without a request)."""
    path = f"/contracts/verify/{quote(contract.number)}?" + urlencode(
        {"code": verification_code(contract)})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


@dataclass
class Verified:
    contract: TechContract
    state: str            # registered, pending, not_registered, cancelled
    field_code: str
    buyer_name: str       # as the document names them: the versions pinned at signing
    seller_name: str


def verify(number, code):
    """The contract whose number and code match, with its registration's state; None for
    anything else (a wrong code and an unknown number look the same)."""
    number = normalise_number(number)
    if not number or len(number) > 40 or not code:
        return None
    contract = db.session.execute(select(TechContract).where(
        TechContract.number == number)).scalar_one_or_none()
    if contract is None or not hmac.compare_digest(
            normalise_code(verification_code(contract)), normalise_code(code)):
        return None
    # the turnover domain answers with the registration's state and field
    answered = answers(signals.registration_asked, contract)
    state, field_code = answered[0] if answered else ("not_registered", contract.field_code)
    if contract.is_cancelled:
        state = "cancelled"
    buyer, seller = contract_parties(contract)
    return Verified(contract=contract, state=state, field_code=field_code,
                    buyer_name=buyer.name, seller_name=seller.name)
