"""Uploaded files (an agency's qualifications, an order's documents, a commissioner's
attachments, a brokered deal's messages): checked by their content (not their name), at
most ``UPLOAD_MAX_BYTES``, stored outside the web root under random names."""
import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import ValidationFailed

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
    finally:
        if incoming.exists():
            incoming.unlink()
    return {"storage_name": storage_name, "content_type": content_type, "size_bytes": size,
            "sha256": digest.hexdigest(),
            "original_name": os.path.basename(original_name or "document")[:255] or "document"}
