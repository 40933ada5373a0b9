"""Importing the bureau's lists and business-registry exports of people, all or nothing,
with the shared spreadsheet reader and report (``core.spreadsheets``): every row is
checked first; a file with any bad row imports nothing and the report names each row,
column and reason.

- integrity list: each row an entry (a row already listed, same subject and start, is
  skipped, so a re-import adds nothing);
- certification lists: each row a certificate (one already listed is skipped);
- people: the rows of one credit code are that organisation's whole list of people, and
  become its next version (when they differ from the current one), as an approved
  change request would; numbers left blank keep the number on file for the same name
  and role."""
from sqlalchemy import select

from marketplace.accounts import people as people_rules
from marketplace.accounts import versions
from marketplace.accounts.models import Organisation
from marketplace.accounts.version_models import VersionSource
from marketplace.core import audit, normalise
from marketplace.core.spreadsheets import (ImportReport, Reader, data_rows, file_sha256,
                                           unreadable)
from marketplace.extensions import db
from marketplace.integrity import barred, list_formats
from marketplace.integrity.models import (CertificationEntry, CertificationSource,
                                          IdentityImportBatch, IdentityImportKind,
                                          IntegrityListEntry)


def _report(filename):
    return ImportReport(filename=filename,
                        describe=(list_formats.column_title, list_formats.reason_text))


def check_rows(stream, filename, kind, today):
    """(report or None, [(row number, values)])."""
    columns = list_formats.COLUMNS[kind]
    report = _report(filename)
    rows, positions, missing = data_rows(Reader(stream, filename), columns)
    for key in missing:
        report.add(1, key, "header")
    if missing:
        report.bad_rows = 1
        return report, []
    read = list_formats.READERS[kind]
    keys = [key for key, _zh, _en, _req in columns]
    good = []
    for number, cells in rows:
        report.rows_in_file += 1
        by_key = {key: (cells[positions[key]] if key in positions
                        and positions[key] < len(cells) else None) for key in keys}
        values, errors = read(by_key, today)
        # PostgreSQL text cannot hold NUL: stored, it failed the whole request with a 500
        errors += [(key, "nul") for key, cell in by_key.items()
                   if isinstance(cell, str) and "\x00" in cell]
        if errors:
            report.bad_rows += 1
            for column, reason in errors:
                report.add(number, column, reason)
        else:
            good.append((number, values))
    if report.rows_in_file == 0:
        report.add(2, keys[0], "missing")
        report.bad_rows = 1
    return (report if report.bad_rows else None), good


def import_list(stream, filename, kind, actor, today):
    """Import one file in the current transaction (flushes, never commits): the
    :class:`IdentityImportBatch`, or an ImportReport (nothing written)."""
    kind = IdentityImportKind(kind)
    try:
        report, rows = check_rows(stream, filename, kind.value, today)
        if report is None and kind == IdentityImportKind.PEOPLE:
            report, rows = _grouped_people(filename, rows)
        if report is None and kind == IdentityImportKind.CERTIFICATION:
            report = _repeated_certificates(filename, rows)
    except unreadable():
        report = _report(filename)
        report.bad_rows = 1
        report.add(1, "file", "unreadable")
    if report is not None:
        return report
    batch = IdentityImportBatch(kind=kind, filename=filename[:255], sha256=file_sha256(stream),
                                imported_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    add = {IdentityImportKind.INTEGRITY_LIST: _add_entries,
           IdentityImportKind.CERTIFICATION: _add_certificates,
           IdentityImportKind.PEOPLE: _add_people}[kind]
    batch.rows_in_file = len(rows) if kind != IdentityImportKind.PEOPLE \
        else sum(len(group) for _org, group in rows)
    batch.rows_added = add(rows, batch, actor)
    db.session.flush()
    audit.record(batch, "import", actor=actor,
                 data={"kind": kind.value, "filename": filename, "sha256": batch.sha256,
                       "rows": batch.rows_in_file, "added": batch.rows_added})
    return batch


def _add_entries(rows, batch, actor):
    added = 0
    for _number, values in rows:
        entry_values = barred.entry_values(
            subject=values["subject"], name=values["name"], uscc=values["uscc"],
            id_kind="resident_id" if len(normalise.identity_number_key(
                values["id_number"]) or "") in (15, 18) else "other",
            id_number=values["id_number"], reason=values["reason"], source=values["source"],
            listed_from=values["listed_from"], listed_to=values["listed_to"])
        exists = db.session.execute(select(IntegrityListEntry.id).where(
            IntegrityListEntry.subject == entry_values["subject"],
            IntegrityListEntry.listed_from == entry_values["listed_from"],
            (IntegrityListEntry.uscc == entry_values["uscc"])
            if entry_values["uscc"] else
            (IntegrityListEntry.id_number_hash == entry_values["id_number_hash"]))).first()
        if exists:
            continue
        db.session.add(IntegrityListEntry(**entry_values, import_batch_id=batch.id,
                                          created_by_id=actor.id))
        added += 1
    return added


def _repeated_certificates(filename, rows):
    seen, report = {}, _report(filename)
    for number, values in rows:
        key = (values["tier"], values["certificate_number"])
        first = seen.setdefault(key, number)
        if first != number:
            report.bad_rows += 1
            report.add(number, "certificate_number", ("duplicate", first))
    report.rows_in_file = len(rows)
    return report if report.bad_rows else None


def _add_certificates(rows, batch, actor):
    added = 0
    for _number, values in rows:
        if db.session.execute(select(CertificationEntry.id).where(
                CertificationEntry.tier == values["tier"],
                CertificationEntry.certificate_number == values["certificate_number"])
                ).first():
            continue
        db.session.add(CertificationEntry(
            tier=values["tier"], uscc=values["uscc"], organisation_name=values["name"],
            certificate_number=values["certificate_number"], valid_from=values["valid_from"],
            valid_to=values["valid_to"], source=CertificationSource.LIST,
            import_batch_id=batch.id, created_by_id=actor.id))
        added += 1
    return added


def _grouped_people(filename, rows):
    """[(organisation, [(row, person)])] or a report: each credit code must be registered
    and its rows must make a valid list of people."""
    report = _report(filename)
    report.rows_in_file = len(rows)
    codes = sorted({values["uscc"] for _n, values in rows})
    organisations = {o.uscc: o for o in db.session.execute(
        select(Organisation).where(Organisation.uscc.in_(codes))).scalars()}
    groups = {}
    for number, values in rows:
        organisation = organisations.get(values["uscc"])
        if organisation is None:
            report.bad_rows += 1
            report.add(number, "uscc", "not_registered")
            continue
        groups.setdefault(organisation.id, (organisation, []))[1].append((number, values))
    found = []
    for organisation, group in groups.values():
        on_file = versions.current_version(organisation).people
        people = []
        try:
            for _number, values in group:
                kept = next((p for p in on_file if p.role.value == values["role"]
                             and p.name_key == normalise.name_key(values["name"])
                             and p.id_number_hash), None)
                people.append(people_rules.person(
                    values["role"], values["name"], title=values["title"],
                    id_kind=values["id_kind"], id_number=values["id_number"],
                    share_bp=values["share_bp"],
                    kept_hash=kept.id_number_hash if kept else None,
                    kept_masked=kept.id_number_masked if kept else None))
            people = people_rules.checked_people(people)
        except people_rules.PeopleInvalid as error:
            report.bad_rows += 1
            report.add(group[0][0], "role",
                       "representatives" if error.details.get("reason") == "representative"
                       else ("people", str(error.message)))
            continue
        found.append((organisation, people))
    return (report if report.bad_rows else None), found


def _add_people(groups, batch, actor):
    """A new version for each organisation whose people the export changes."""
    changed = 0
    for organisation, people in groups:
        current = versions.current_version(organisation)
        difference = versions.differences(current, current.facts(), people)
        if not (difference["people_added"] or difference["people_removed"]):
            continue
        versions.record_version(organisation, current.facts(), people, actor=actor,
                                source=VersionSource.REGISTRY_IMPORT)
        changed += len(people)
    return changed


def template_csv(kind):
    """The CSV template of a kind of file (UTF-8 with BOM, so Excel opens the headers)."""
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows(list_formats.template_rows(kind))
    return "\ufeff" + buffer.getvalue()
