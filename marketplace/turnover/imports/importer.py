"""Importing the registration system's export files (CSV or XLSX).

Every row is checked in one streaming pass that writes nothing to the database; a file with
any bad row imports nothing and yields a report naming each bad row, column and reason.
On PostgreSQL that pass also converts each good row into a line of COPY text in a spooled
temporary file, so a good file is read and checked only once: the spool is then sent by
COPY in the same transaction, without the contract numbers already registered (one set
query; a number whose only original was rejected is not registered, so it is imported),
so a re-import adds nothing. Imports run one at a time (an advisory lock); a number
registered by someone else between the look-up and the COPY makes the import look up and
copy again, so it is never registered twice and the import does not fail. On SQLite
(development) a good file is read again and inserted by executemany. Memory stays flat:
rows are never held as ORM objects.

``import_file`` does the whole job inline (the CLI, the benchmark, small files from the
page); big files from the page are stored under the instance folder and imported by a
worker through the outbox (``queue_file`` → ``run_batch``), which records its progress.
"""
import os
import uuid
from itertools import islice

from flask import current_app
from psycopg.errors import UniqueViolation
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String

from marketplace.core import audit, outbox
from marketplace.core.spreadsheets import (ImportReport, Reader, csv_writer, data_rows,
                                           file_sha256, unreadable)
from marketplace.core.states import transition
from marketplace.core.timeutil import now_utc
from marketplace.extensions import db
from marketplace.turnover.imports.columns import (COLUMNS, ROW_VALUES, RowChecker,
                                                column_title, reason_text)
from marketplace.turnover.imports.copy_spool import CopySpool, fixed_values
from marketplace.turnover.models import (ContractRegistration, ImportStatus,
                                         RegistrationImportBatch)
from marketplace.turnover.registry.registration import lock_registry_for_import

CHUNK = 5000                 # rows per bulk insert and per progress step


def _report(filename, **counts):
    """An empty report of a registration export, in the words of its columns."""
    return ImportReport(filename=filename, describe=(column_title, reason_text), **counts)


def check_file(stream, filename, progress=None, sink=None):
    """The streaming validation pass: (report or None, rows, contract numbers). ``sink``
    is given each good row's values (ROW_VALUES order) until the first bad row."""
    report = _report(filename)
    rows, positions, missing = data_rows(Reader(stream, filename), COLUMNS)
    for key in missing:
        report.add(1, key, "header")
    if missing:
        report.bad_rows = 1
        return report, 0, set()
    checker = RowChecker(positions)
    cells_of, check = checker.cells, checker.check
    for number, cells in rows:
        report.rows_in_file += 1
        values, errors = check(cells_of(cells), number)
        if errors:
            report.bad_rows += 1
            for column, reason in errors:
                report.add(number, column, reason)
        elif sink is not None and not report.bad_rows:
            sink(values)
        if progress and report.rows_in_file % CHUNK == 0:
            progress(report.rows_in_file)
    if report.rows_in_file == 0:
        report.add(2, "contract_number", "missing")
        report.bad_rows = 1
    return (report if report.bad_rows else None), report.rows_in_file, set(checker.seen)


def import_file(path_or_stream, filename, actor, *, progress=None, batch=None):
    """Import one file in the current transaction (flushes, never commits). Returns the
    :class:`RegistrationImportBatch` (status ``imported``) or an :class:`ImportReport`
    when some row is bad (then nothing was written)."""
    stream = open(path_or_stream, "rb") if isinstance(path_or_stream, (str, os.PathLike)) \
        else path_or_stream
    spool = CopySpool() if db.session.get_bind().dialect.name == "postgresql" else None
    try:
        digest = file_sha256(stream)
        try:
            report, rows_in_file, numbers = check_file(stream, filename, progress,
                                                       spool.add if spool else None)
        except unreadable():
            report = _report(filename, bad_rows=1)
            report.add(1, "file", "unreadable")
        if report is not None:
            return report
        lock_registry_for_import()
        if batch is None:
            batch = RegistrationImportBatch(filename=filename[:255], sha256=digest,
                                            imported_by_id=_actor_id(actor),
                                            status=ImportStatus.IMPORTED)
            db.session.add(batch)
        batch.rows_in_file = batch.rows_processed = rows_in_file
        db.session.flush()
        added = _add_unregistered(stream, filename, spool, numbers, batch.id, _actor_id(actor))
        batch.rows_added = added
        batch.rows_already_registered = rows_in_file - added
        batch.finished_dt = now_utc()
        db.session.flush()
        audit.record(batch, "import", actor=actor,
                     data={"filename": filename, "sha256": digest, "rows": rows_in_file,
                           "added": added, "already_registered": rows_in_file - added})
        return batch
    finally:
        if spool is not None:
            spool.close()
        if stream is not path_or_stream:
            stream.close()


# how often an import looks up and copies again after a number was registered meanwhile
ATTEMPTS = 3


def _add_unregistered(stream, filename, spool, numbers, batch_id, actor_id):
    """Look up which numbers are registered and add the others; returns how many were
    added. A number registered by someone else between the look-up and the COPY (a contract
    signed on the platform, a registration by hand: they do not wait for an import) makes
    the COPY fail on the live-number index: the attempt is rolled back to its savepoint and
    made again, and the second look-up finds that number. A rare race, so each retry costs
    a whole COPY rather than every import paying for a conflict-tolerant insert."""
    for attempt in range(1, ATTEMPTS + 1):
        existing = _registered_numbers(numbers)
        if existing >= numbers:
            return 0
        savepoint = db.session.begin_nested()
        try:
            if spool is not None:
                added = spool.copy(existing, batch_id, actor_id)
            else:
                added = _insert_rows(stream, filename, batch_id, existing, actor_id)
        except (UniqueViolation, IntegrityError):
            savepoint.rollback()
            if attempt == ATTEMPTS:
                raise
            continue
        savepoint.commit()
        return added


def _insert_rows(stream, filename, batch_id, existing, actor_id):
    """SQLite: the second pass over a good file, inserted by executemany."""
    rows, positions, _missing = data_rows(Reader(stream, filename), COLUMNS)
    checker = RowChecker(positions)
    fixed = fixed_values(batch_id, actor_id)

    def records():
        for number, cells in rows:
            values, _errors = checker.check(checker.cells(cells), number)
            if values[0] in existing:
                continue
            record = dict(zip(ROW_VALUES, values), **fixed)
            registered = record["registered_on"]
            record.update(registered_year=registered.year, registered_month=registered.month)
            yield record

    added = 0
    table = ContractRegistration.__table__
    source = records()
    while chunk := list(islice(source, CHUNK)):
        db.session.execute(insert(table), chunk)
        added += len(chunk)
    return added


def _registered_numbers(numbers):
    """The contract numbers of ``numbers`` with a live (pending or confirmed) original:
    one query on PostgreSQL, through the live-number index."""
    if not numbers:
        return set()
    column = ContractRegistration.contract_number
    if db.session.get_bind().dialect.name == "postgresql":
        # the status test spelled as the live-number index's predicate (LIVE_SQL), so
        # the planner can use that index
        statement = text("SELECT contract_number FROM contract_registrations "
                         "WHERE sequence = 0 AND status <> 'rejected' "
                         "AND contract_number = ANY(:numbers)"
                         ).bindparams(bindparam("numbers", type_=ARRAY(String)))
        return set(db.session.execute(statement, {"numbers": list(numbers)}).scalars())
    found = set()
    ordered = list(numbers)
    for start in range(0, len(ordered), 500):
        found.update(db.session.execute(
            select(column).where(ContractRegistration.sequence == 0,
                                 ContractRegistration.is_live(),
                                 column.in_(ordered[start:start + 500]))).scalars())
    return found


def _actor_id(actor):
    return actor if isinstance(actor, int) or actor is None else actor.id


# --- big files: stored, then imported by a worker ----------------------------------------

def import_dir():
    path = os.path.join(current_app.config["UPLOAD_DIR"], "imports")
    os.makedirs(path, exist_ok=True)
    return path


def queue_file(stream, filename, actor):
    """Store the upload under the instance folder and queue its import (after commit)."""
    extension = ".xlsx" if filename.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    path = os.path.join(import_dir(), uuid.uuid4().hex + extension)
    stream.seek(0)
    with open(path, "wb") as target:
        while block := stream.read(1 << 20):
            target.write(block)
    with open(path, "rb") as stored:
        digest = file_sha256(stored)
    batch = RegistrationImportBatch(filename=filename[:255], sha256=digest,
                                    imported_by_id=_actor_id(actor), stored_path=path,
                                    status=ImportStatus.QUEUED)
    db.session.add(batch)
    db.session.flush()
    audit.record(batch, "queue", actor=actor, after=batch.status,
                 data={"filename": filename, "sha256": digest})
    outbox.emit("turnover.import_queued", batch_id=batch.id)
    return batch


def run_batch(batch_id):
    """The worker's side: check the stored file (committing progress every CHUNK rows),
    then import it or keep the report. Runs once: a batch no longer queued is left."""
    from marketplace.accounts.models import User
    from marketplace.notifications.services import notify

    batch = db.session.get(RegistrationImportBatch, batch_id, with_for_update=True)
    if batch is None or batch.status != ImportStatus.QUEUED:
        return
    transition(batch, "start", actor=batch.imported_by_id)
    db.session.commit()
    importer = db.session.get(User, batch.imported_by_id)

    def progress(rows):
        batch.rows_processed = rows
        db.session.commit()

    try:
        result = import_file(batch.stored_path, batch.filename, importer, progress=progress,
                             batch=batch)
    except Exception as error:  # unreadable file, worker trouble: say so, keep nothing
        db.session.rollback()
        batch = db.session.get(RegistrationImportBatch, batch_id)
        transition(batch, "fail", actor=batch.imported_by_id,
                   data={"error": str(error)[:500]})
        batch.finished_dt = now_utc()
        discard_stored_file(batch)
        db.session.commit()
        return
    if isinstance(result, ImportReport):
        transition(batch, "refuse", actor=batch.imported_by_id,
                   data={"bad_rows": result.bad_rows})
        batch.rows_in_file = batch.rows_processed = result.rows_in_file
        batch.report = result.to_json()
        batch.finished_dt = now_utc()
        notify(importer, "registration_import_refused", link=f"/contracts/imports/{batch.id}",
               filename=batch.filename, bad=result.bad_rows)
    else:
        transition(batch, "finish", actor=batch.imported_by_id)
        notify(importer, "registration_import_done", link=f"/contracts/imports/{batch.id}",
               filename=batch.filename, added=batch.rows_added,
               skipped=batch.rows_already_registered)
    discard_stored_file(batch)
    db.session.flush()


def discard_stored_file(batch):
    if batch.stored_path and os.path.exists(batch.stored_path):
        os.unlink(batch.stored_path)
    batch.stored_path = None


def report_of(batch):
    return ImportReport.from_json(batch.filename, batch.report, (column_title, reason_text)) \
        if batch.report else None


def example_csv():
    """The CSV template (UTF-8 with BOM, so Excel opens the Chinese headers)."""
    import io

    from marketplace.turnover.imports.columns import template_rows
    buffer = io.StringIO()
    csv_writer(buffer).writerows(template_rows())
    return "\ufeff" + buffer.getvalue()

