"""Idempotency keys: a request sent again with the same key has its effect once.

API operations declared with ``operation(..., idempotency_key=True)`` take an
``Idempotency-Key`` header; HTML forms a hidden ``idempotency_token`` field
(:class:`IdempotencyTokenField` or ``{{ idempotency_token_field() }}``) checked by
:func:`idempotent_form`. Keys belong to a user. For a key already seen:

- the same request (method, path and canonical body hash alike) replays the first
  response, with the header ``Idempotent-Replayed: true``, and has no second effect;
- another request refuses with 422 ``idempotency_key_reused``;
- while the first is still running, the duplicate waits for its answer (up to
  ``IDEMPOTENCY_WAIT_SECONDS``) and replays it, or gets 409
  ``idempotency_key_in_progress``, which a retry a little later resolves.

How exactly one request wins: the key row is inserted (``INSERT … ON CONFLICT DO
NOTHING``) and committed on its own, with no answer yet (the key is *running*), before the
operation runs; the operation then commits or rolls back its own work as it pleases, and
the answer is stored on the row afterwards. From the claim to the answer the row is always
there, so a duplicate never finds the key free while the first request is at work: it
waits for the stored answer and replays it. (The key used to be inserted in the
operation's own transaction: an operation refused with a 4xx rolled it back with its
work, and a duplicate waiting on the insert took the key and ran the operation again
before the answer was written back.) Answers below 500 (but 429) are stored and replayed,
errors such as 409 ``insufficient_voucher_balance`` too; a 5xx answer or an exception
deletes the row (releases the key), so a retry runs the operation again. A key whose
request died without either (the process killed, the database gone before the release)
stays running and is taken over after ``IDEMPOTENCY_ABANDONED_SECONDS``; the operation's
own state checks (an order cannot be contracted twice) are the second line of defence
there.
"""
import hashlib
import json
import logging
import secrets
import time
from functools import wraps

from flask import Response, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import (CheckConstraint, ForeignKey, Integer, String, Text,
                        UniqueConstraint, delete, select, update)
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import HTTPException
from wtforms import HiddenField

from marketplace.core.errors import Conflict, DomainError
from marketplace.core.rows import insert_unless_present
from marketplace.core.timeutil import now_utc
from marketplace.core.types import UTCDateTime
from marketplace.extensions import db

log = logging.getLogger(__name__)

TOKEN_FIELD = "idempotency_token"
MAX_KEY_LENGTH = 200
STORED_HEADERS = ("Content-Type", "Location")


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH + 10), nullable=False)
    scope: Mapped[str] = mapped_column(String(300), nullable=False)  # "POST /api/v1/…"
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[str | None] = mapped_column(Text)   # JSON object
    response_body: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    claimed_dt: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    completed_dt: Mapped[object | None] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
        CheckConstraint("response_status IS NULL OR response_status BETWEEN 100 AND 599",
                        name="status_is_http"),
        CheckConstraint("(response_status IS NULL) = (completed_dt IS NULL)",
                        name="completed_has_response"),
    )


class IdempotencyKeyMissing(DomainError):
    code = "idempotency_key_missing"
    status = 400
    default_message = _l("This form is missing its one-time token. Please reload the page "
                         "and send it again.")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422
    default_message = _l("This request was already sent with different content. Please "
                         "reload the page and send it again.")


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency_key_in_progress"
    status = 409
    default_message = _l("This request is still being processed. Please wait a moment and "
                         "try again.")


def valid_key(key):
    """1 to 200 printable ASCII characters without spaces (a UUID, say)."""
    return bool(key) and len(key) <= MAX_KEY_LENGTH and all(33 <= ord(c) <= 126 for c in key)


def fingerprint(scope, payload):
    """sha256 of the scope and the canonical JSON of ``payload`` (sorted keys, no spaces),
    so the same content sent with other spacing or key order counts as the same."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False, default=str)
    return hashlib.sha256(f"{scope}\n{canonical}".encode()).hexdigest()


def run_once(*, user_id, key, scope, request_hash, call):
    """Run ``call()`` (a view: returns a response value, commits its own work) once per
    ``(user_id, key)``; see the module docstring. Returns a Response."""
    config = current_app.config
    deadline = time.monotonic() + float(config.get("IDEMPOTENCY_WAIT_SECONDS", 25))
    abandoned_after = float(config.get("IDEMPOTENCY_ABANDONED_SECONDS", 300))
    pause = 0.05
    while True:
        claimed_dt = _claim(user_id, key, scope, request_hash)
        if claimed_dt is not None:
            return _run_claimed(user_id, key, claimed_dt, call)
        row = db.session.execute(select(IdempotencyKey.__table__).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)).first()
        # End this read: SQLite's writer cannot commit under a reader, and the next
        # look must see what has been committed since.
        db.session.rollback()
        if row is None:
            continue  # the first request failed and let go of the key: take it
        if row.request_hash != request_hash:
            raise IdempotencyKeyReused(details={"scope": row.scope})
        if row.response_status is not None:
            return _replay(row)
        if (now_utc() - row.claimed_dt).total_seconds() > abandoned_after:
            claimed_dt = _take_over(row)
            if claimed_dt is not None:
                return _run_claimed(user_id, key, claimed_dt, call)
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInProgress()
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _claim(user_id, key, scope, request_hash):
    """Insert the running key and commit it at once; its ``claimed_dt`` (which names this
    claim: a takeover changes it) when this request took the key, else None. Whatever the
    request changed before (the token's last use) is committed with it."""
    claimed_dt = now_utc()
    if not insert_unless_present(IdempotencyKey.__table__, ["user_id", "key"],
                                 user_id=user_id, key=key, scope=scope[:300],
                                 request_hash=request_hash, created_dt=claimed_dt,
                                 claimed_dt=claimed_dt):
        return None
    session = db.session()
    # The objects the request loaded before (the token's user) stay loaded, as they
    # would within one transaction: they were read moments ago, and expiring them cost a
    # statement per request to read them again.
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit
    return claimed_dt


def _run_claimed(user_id, key, claimed_dt, call):
    try:
        response = current_app.make_response(call())
    except (DomainError, HTTPException) as error:
        db.session.rollback()
        # The app's own handlers make the answer (JSON under /api/, a page elsewhere).
        response = current_app.make_response(current_app.handle_user_exception(error))
    except BaseException:
        db.session.rollback()
        _release_after_failure(user_id, key, claimed_dt)
        raise
    status = response.status_code
    if status >= 500 or status == 429 or response.is_streamed:
        db.session.rollback()
        _release(user_id, key, claimed_dt)
        return response
    table = IdempotencyKey.__table__
    db.session.execute(update(table).where(*_this_claim(user_id, key, claimed_dt)).values(
        response_status=status, response_body=response.get_data(as_text=True),
        response_headers=json.dumps({name: response.headers[name]
                                     for name in STORED_HEADERS if name in response.headers}),
        completed_dt=now_utc()))
    # Stored nothing only if another request took the key over as abandoned: that one
    # answers for the key from now on.
    db.session.commit()
    return response


def _this_claim(user_id, key, claimed_dt):
    table = IdempotencyKey.__table__
    return (table.c.user_id == user_id, table.c.key == key,
            table.c.response_status.is_(None), table.c.claimed_dt == claimed_dt)


def _release(user_id, key, claimed_dt):
    db.session.execute(delete(IdempotencyKey.__table__).where(
        *_this_claim(user_id, key, claimed_dt)))
    db.session.commit()


def _release_after_failure(user_id, key, claimed_dt):
    """Release the key after the operation raised; if the database is what failed and
    the release fails too, the key stays running until it counts as abandoned, and the
    operation's own error is the one reported."""
    try:
        _release(user_id, key, claimed_dt)
    except Exception:
        db.session.rollback()
        log.warning("idempotency key %r of user %s could not be released; it is taken "
                    "over after IDEMPOTENCY_ABANDONED_SECONDS", key, user_id, exc_info=True)


def _take_over(row):
    """Claim a key whose request died; the new ``claimed_dt``, or None if another
    duplicate took it first."""
    claimed_dt = now_utc()
    table = IdempotencyKey.__table__
    taken = db.session.execute(update(table).where(
        table.c.id == row.id, table.c.response_status.is_(None),
        table.c.claimed_dt == row.claimed_dt).values(claimed_dt=claimed_dt)).rowcount
    db.session.commit()
    return claimed_dt if taken == 1 else None


def _replay(row):
    response = Response(row.response_body or "", status=row.response_status,
                        headers=json.loads(row.response_headers or "{}"))
    response.headers["Idempotent-Replayed"] = "true"
    return response


def purge(older_than):
    """Forget keys answered before ``older_than`` (a datetime), and keys still running
    that were claimed before it (their requests died long ago); returns how many.
    Stripe keeps keys for 24 hours; we keep them as long as the caller decides."""
    table = IdempotencyKey.__table__
    return db.session.execute(delete(table).where(
        (table.c.completed_dt < older_than)
        | (table.c.response_status.is_(None) & (table.c.claimed_dt < older_than)))).rowcount


# --- the JSON API ------------------------------------------------------------------------

def api_key_from_request():
    """The ``Idempotency-Key`` header, checked (400 when missing or malformed)."""
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        raise IdempotencyKeyMissing(
            _l("Send an Idempotency-Key header (for instance a UUID) with this request."))
    if not valid_key(key):
        raise IdempotencyKeyMissing(
            _l("The Idempotency-Key header must be 1 to 200 printable ASCII characters "
               "without spaces."), code="idempotency_key_invalid")
    return key


def run_api_operation(user_id, key, call):
    scope = f"{request.method} {request.path}"
    payload = request.get_json(silent=True)
    return run_once(user_id=user_id, key=key, scope=scope,
                    request_hash=fingerprint(scope, payload), call=call)


# --- HTML forms --------------------------------------------------------------------------

def new_token():
    return secrets.token_urlsafe(24)


class IdempotencyTokenField(HiddenField):
    """A hidden one-time token; declare it as ``idempotency_token =
    IdempotencyTokenField()`` on a form whose view is decorated with
    :func:`idempotent_form`. Every rendering carries a fresh token (a form shown again
    with its errors is a new attempt); ``.data`` is the submitted one."""

    def _value(self):
        return new_token()


def idempotency_token_field():
    """For hand-written forms: ``{{ idempotency_token_field() }}``."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(TOKEN_FIELD,
                                                                      new_token())


def idempotent_form(view):
    """View decorator (below ``@access``): a POST carrying an ``idempotency_token`` it has
    seen before from this user replays the first answer (a double click, a reload of
    the result page, the back button) instead of acting twice. A POST without a token
    gets 400."""
    @wraps(view)
    def guarded(*args, **kwargs):
        if request.method != "POST" or not current_user.is_authenticated:
            return view(*args, **kwargs)
        token = request.form.get(TOKEN_FIELD, "")
        if not valid_key(token):
            raise IdempotencyKeyMissing()
        scope = f"POST {request.path}"
        return run_once(user_id=current_user.id, key=f"form:{token}", scope=scope,
                        request_hash=fingerprint(scope, _form_payload()),
                        call=lambda: view(*args, **kwargs))
    return guarded


def _form_payload():
    fields = sorted((name, value) for name in request.form
                    for value in request.form.getlist(name)
                    if name not in (TOKEN_FIELD, "csrf_token"))
    files = []
    for name in sorted(request.files):
        for upload in request.files.getlist(name):
            digest = hashlib.sha256(upload.stream.read()).hexdigest()
            upload.stream.seek(0)  # the view reads it again
            files.append((name, upload.filename, digest))
    return {"form": fields, "files": files}
