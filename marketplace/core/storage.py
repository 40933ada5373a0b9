"""Uploaded files (an agency's qualifications, an order's documents, a commissioner's
attachments, a brokered deal's messages): checked by their content (not their name), at
most ``UPLOAD_MAX_BYTES``, stored outside the web root under random names.

A file is written when it is stored, before the row that records it commits; if that
transaction (or the savepoint it was stored in) rolls back instead, as when the second of
two attachments is refused, nothing would ever name the file again. So each stored file is
noted on the session with the transaction it was stored in, and deleted when that
transaction, or one enclosing it, rolls back; a commit of the outermost transaction keeps
it for good."""
import hashlib
import os
import secrets
import weakref
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.core.errors import ValidationFailed
from marketplace.extensions import db

# content type -> (leading bytes, extension of the stored file)
SIGNATURES = {
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
}
_CHUNK = 64 * 1024


class UploadRejected(ValidationFailed):
    code = "upload_rejected"
    default_message = _l("The file cannot be accepted.")


def sniff(head):
    """The content type the file's first bytes prove, or None."""
    for content_type, (signature, _ext) in SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


def served_name(original_name, content_type):
    """The name a stored file is downloaded under: the uploader's name with the extension
    of the type its content was found to be, so a PDF uploaded as ``x.html`` is saved as
    ``x.pdf`` and never opened by the browser as a page."""
    stem = os.path.splitext(os.path.basename(original_name or ""))[0].strip(" .") or "document"
    known = SIGNATURES.get(content_type)
    return stem + (known[1] if known else ".bin")


def send_stored(storage_name, content_type, original_name):
    """The download of a stored file (404 when it is gone), as an attachment under its
    :func:`served_name`, with the content type found at upload."""
    from flask import abort, send_file

    path = path_of(storage_name)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=content_type if content_type in SIGNATURES
                     else "application/octet-stream", as_attachment=True,
                     download_name=served_name(original_name, content_type), max_age=0)


def upload_root():
    return Path(current_app.config["UPLOAD_DIR"])


def path_of(storage_name):
    # storage names are ours (hex + extension); refuse anything else outright
    if not storage_name or "/" in storage_name or storage_name.startswith("."):
        raise ValueError("bad storage name")
    return upload_root() / storage_name[:2] / storage_name


def store(stream, original_name, field="file"):
    """Copy ``stream`` into the upload folder; return what the database row records."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    root = upload_root()
    (root / "incoming").mkdir(parents=True, exist_ok=True)
    incoming = root / "incoming" / secrets.token_hex(16)
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with open(incoming, "wb") as out:
            while chunk := stream.read(_CHUNK):
                if len(head) < 16:
                    head += chunk[:16 - len(head)]
                size += len(chunk)
                if size > limit:
                    raise UploadRejected(
                        _l("The file is larger than %(limit)s MiB.",
                           limit=limit // (1024 * 1024)),
                        details={"field": field, "reason": "too_large"})
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRejected(_l("The file is empty."),
                                 details={"field": field, "reason": "empty"})
        content_type = sniff(head)
        if content_type is None:
            raise UploadRejected(_l("Only PDF, PNG or JPEG files are accepted."),
                                 details={"field": field, "reason": "type"})
        storage_name = secrets.token_hex(20) + SIGNATURES[content_type][1]
        final = path_of(storage_name)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming, final)
        _note_uncommitted(final)
    finally:
        if incoming.exists():
            incoming.unlink()
    return {"storage_name": storage_name, "content_type": content_type, "size_bytes": size,
            "sha256": digest.hexdigest(),
            "original_name": os.path.basename(original_name or "document")[:255] or "document"}


# --- files whose row has not committed -----------------------------------------------------

_UNCOMMITTED = "storage.uncommitted_files"     # [(path, transaction it was stored in)]
_COMMITTED = "storage.committed_transactions"


def _note_uncommitted(path):
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_UNCOMMITTED, []).append((path, transaction))


@event.listens_for(Session, "after_commit")
def _note_commit(session):
    # after_transaction_end, which follows, does not say whether the transaction committed
    if session.info.get(_UNCOMMITTED):
        committing = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(_COMMITTED, weakref.WeakSet()).add(committing)


@event.listens_for(Session, "after_transaction_end")
def _settle_files(session, transaction):
    """A savepoint released hands its files to the transaction around it; the outermost
    transaction committed keeps them; any transaction ended otherwise (rolled back,
    closed) deletes the files stored in it."""
    noted = session.info.get(_UNCOMMITTED)
    if not noted:
        return
    committed = transaction in session.info.get(_COMMITTED, ())
    if committed and transaction.parent is None:
        session.info.pop(_UNCOMMITTED, None)
        session.info.pop(_COMMITTED, None)
        return
    still = []
    for path, stored_in in noted:
        if stored_in is not transaction:
            still.append((path, stored_in))
        elif committed:
            still.append((path, transaction.parent))
        else:
            Path(path).unlink(missing_ok=True)
    session.info[_UNCOMMITTED] = still
