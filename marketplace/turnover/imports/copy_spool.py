"""The PostgreSQL side of the import: checked rows spooled as COPY text, then sent.

The check pass hands each good row to :class:`CopySpool`, which writes it as one line of
COPY's text format to a temporary file, so a good file is parsed and checked once; the
columns every row of the batch shares (its id, the importer, the time) are appended while
the spool is sent, since the batch exists only once the whole file is found good."""
import re
import tempfile

from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.turnover.imports.columns import ROW_VALUES
from marketplace.turnover.models import (RegistrationKind, RegistrationSource,
                                         RegistrationStatus)

LINES_PER_WRITE = 5000       # spooled lines joined per write to the file or to COPY


def fixed_values(batch_id, actor_id):
    """The columns every row of one import shares."""
    return {"sequence": 0, "kind": RegistrationKind.ORIGINAL.value,
            "source": RegistrationSource.IMPORT.value,
            "status": RegistrationStatus.CONFIRMED.value, "import_batch_id": batch_id,
            "registered_by_id": actor_id, "created_dt": now_utc()}


# the spool's line: ROW_VALUES, the registration year and month, then the batch's own columns
FIXED_COLUMNS = ("sequence", "kind", "source", "status", "import_batch_id",
                 "registered_by_id", "created_dt")
COPY_COLUMNS = ROW_VALUES + ("registered_year", "registered_month") + FIXED_COLUMNS
_NULL = "\\N"
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    """A text value as COPY's text format spells it (backslash escapes)."""
    return value.translate(_COPY_ESCAPES)


class CopySpool:
    """The checked rows as lines of COPY text (without the batch's own columns, unknown
    until the file is found good) in a temporary file: in memory up to a few MB, then on
    disk, so the memory stays flat whatever the file's length."""

    def __init__(self):
        self.file = tempfile.SpooledTemporaryFile(max_size=8 << 20)
        self.lines = []
        self.rows = 0

    def add(self, values):
        (number, kind, contract, technical, buyer, buyer_org, seller, seller_org, district,
         in_city, field, signed, registered, funded, invoice, invoice_key) = values
        if _COPY_SPECIAL.search(number + buyer + seller + (invoice or "")):
            number, buyer, seller = _copy_text(number), _copy_text(buyer), _copy_text(seller)
            invoice = _copy_text(invoice) if invoice else invoice
        self.lines.append(
            f"{number}\t{kind}\t{contract}\t{technical}\t{buyer}\t"
            f"{_NULL if buyer_org is None else buyer_org}\t{seller}\t"
            f"{_NULL if seller_org is None else seller_org}\t"
            f"{_NULL if district is None else district}\t{'t' if in_city else 'f'}\t"
            f"{field}\t{signed.isoformat()}\t{registered.isoformat()}\t"
            f"{'t' if funded else 'f'}\t{_NULL if invoice is None else invoice}\t"
            f"{_NULL if invoice_key is None else invoice_key}\t"
            f"{registered.year}\t{registered.month}\n")
        self.rows += 1
        if len(self.lines) >= LINES_PER_WRITE:
            self._flush()

    def _flush(self):
        self.file.write("".join(self.lines).encode())
        self.lines.clear()

    def copy(self, existing, batch_id, actor_id):
        """COPY … FROM STDIN of every spooled row whose number is not in ``existing``,
        through the session's own connection (same transaction). Returns the rows sent."""
        self._flush()
        fixed = fixed_values(batch_id, actor_id)
        suffix = "".join(f"\t{_NULL if fixed[name] is None else fixed[name]}"
                         for name in FIXED_COLUMNS[:-1])
        suffix = f"{suffix}\t{fixed['created_dt'].isoformat()}\n".encode()
        connection = db.session.connection().connection.driver_connection
        statement = f"COPY contract_registrations ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        self.file.seek(0)
        added = 0
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            if not existing:
                # every line ends in the only raw newline (those inside values are escaped),
                # so the batch's columns are appended block by block
                while block := self.file.read(1 << 20):
                    copy.write(block.replace(b"\n", suffix))
                return self.rows
            skip = {_copy_text(number).encode() for number in existing}
            kept = []
            for line in self.file:
                if line.split(b"\t", 1)[0] in skip:
                    continue
                kept.append(line[:-1] + suffix)
                if len(kept) >= LINES_PER_WRITE:
                    copy.write(b"".join(kept))
                    added += len(kept)
                    kept.clear()
            copy.write(b"".join(kept))
            return added + len(kept)

    def close(self):
        self.file.close()
