"""Every CSV and XLSX file the product writes goes through here (and the files it reads
are read here: CSV in UTF-8 or GB18030, or XLSX), so no cell a user typed
can become a formula in the spreadsheet that opens it. The imports of several domains
(the contract registry's exports, the bureau's lists) share the reading half: the rows,
the cells read as text or dates, the file's digest and the report of a refused file.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, LibreOffice and WPS as a formula (``=HYPERLINK(...)``, ``-2+3+cmd|...``), or a
DDE command: such a cell gets a leading ``'`` (OWASP's "CSV injection" advice). Numbers
stay numbers (an int, a Decimal, or a text that is only a number such as ``-1200.50``);
XLSX text cells are written as strings, never as formulas.
"""
import codecs
import csv
import hashlib
import io
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from marketplace.core.normalise import nfkc

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value):
    """``value`` as a cell that cannot be a formula; non-text values are unchanged."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


class SafeCsvWriter:
    """``csv.writer`` whose every cell passes through :func:`safe_cell`."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


class SafeCsvDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose every cell passes through :func:`safe_cell`."""

    def writerow(self, rowdict):
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts):
        for rowdict in rowdicts:
            self.writerow(rowdict)


def csv_writer(out, **options):
    return SafeCsvWriter(out, **options)


def xlsx_row(sheet, values, *, font=None):
    """The cells of one row for ``sheet.append`` (write-only or normal worksheet): text
    neutralised and typed as a string, everything else as given."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=safe_cell(value))
        if isinstance(value, str):
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        cells.append(cell)
    return cells


class Reader:
    """Rows of a CSV (UTF-8 with or without BOM, or GB18030) or XLSX file as lists of
    cells, the header first."""

    def __init__(self, stream, filename):
        self.stream = stream
        self.is_xlsx = filename.lower().endswith((".xlsx", ".xlsm"))

    def rows(self):
        self.stream.seek(0)
        if self.is_xlsx:
            from openpyxl import load_workbook
            workbook = load_workbook(self.stream, read_only=True, data_only=True)
            try:
                yield from workbook.worksheets[0].iter_rows(values_only=True)
            finally:
                workbook.close()
            return
        encoding = sniff_encoding(self.stream)
        self.stream.seek(0)
        text = io.TextIOWrapper(self.stream, encoding=encoding, newline="")
        try:
            yield from csv.reader(text)
        finally:
            text.detach()


def sniff_encoding(stream, size=65536):
    """``utf-8-sig`` when the first 64 KiB decode as UTF-8 (a BOM is skipped), else
    ``gb18030`` (the encoding of Chinese Excel's CSV)."""
    head = stream.read(size)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def header_map(header, columns):
    """{column key: position} and the keys of required columns the header lacks, of
    ``columns``: (key, Chinese header, English header, required)."""
    positions = {}
    names = {}
    for key, zh, en, _req in columns:
        for name in (key, zh, en, en.replace("_", " ")):
            names[name.lower()] = key
    for index, cell in enumerate(header or ()):
        name = str(cell or "").strip().lstrip("\ufeff").lower()
        key = names.get(name)
        if key and key not in positions:
            positions[key] = index
    missing = [key for key, _zh, _en, req in columns if req and key not in positions]
    return positions, missing


_UNREADABLE = (zipfile.BadZipFile, csv.Error, UnicodeDecodeError, ValueError, KeyError,
               OSError)


def unreadable():
    """What a damaged or mislabelled file raises while it is read, for ``except
    unreadable():`` (evaluated only once something was raised). openpyxl's
    InvalidFileException is among them once openpyxl is loaded; before that no file was
    read as XLSX, so none was raised. openpyxl is some 18 MB that a worker should load for
    an XLSX, not at start (issue 23), nor to be told a CSV was unreadable."""
    exceptions = sys.modules.get("openpyxl.utils.exceptions")
    if exceptions is None:
        return _UNREADABLE
    return _UNREADABLE + (exceptions.InvalidFileException,)


MAX_REPORTED = 1000          # problems listed in a report (all are counted)


@dataclass
class ImportReport:
    """Why a file was refused: ``problems`` is a list of (row, column key, reason).
    ``describe``: the (column title, reason text) functions of the kind of file, which
    turn a problem into words for the page and the CLI."""
    filename: str
    describe: tuple
    rows_in_file: int = 0
    bad_rows: int = 0
    problems: list = field(default_factory=list)
    problem_count: int = 0

    def add(self, row, column, reason):
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append((row, column, reason))

    def lines(self):
        """[(row, column title, translated reason)] for the page and the CLI."""
        title, text = self.describe
        return [(row, title(column), text(reason)) for row, column, reason in self.problems]

    def to_json(self):
        return json.dumps({"rows_in_file": self.rows_in_file, "bad_rows": self.bad_rows,
                           "problem_count": self.problem_count,
                           "problems": [list(p) for p in self.problems]},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, filename, data, describe):
        found = json.loads(data)
        report = cls(filename=filename, describe=describe,
                     rows_in_file=found["rows_in_file"], bad_rows=found["bad_rows"],
                     problem_count=found["problem_count"])
        report.problems = [tuple(p) for p in found["problems"]]
        return report


def data_rows(reader, columns):
    """(row number, cells) of every non-blank row, the header's {column key: position}
    and the header problems, of a file with ``columns``."""
    rows = reader.rows()
    header = next(rows, None)
    positions, missing = header_map(header, columns)

    def generate():
        for number, cells in enumerate(rows, start=2):
            first = cells[0] if cells else None
            # most rows start with a filled cell: only the others are looked at whole
            if not (type(first) is str and first.strip()) and \
                    all(c is None or str(c).strip() == "" for c in cells):
                continue
            yield number, cells
    return generate(), positions, missing


def file_sha256(stream):
    """The hex SHA-256 of a whole binary stream, left at its start for the reader."""
    stream.seek(0)
    digest = hashlib.sha256()
    while block := stream.read(1 << 20):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def cell_text(cell):
    """A cell as stripped text: empty for an empty cell, a whole float without ``.0``."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


# a date, then perhaps the time of day a spreadsheet writes when it saves a date cell as
# CSV ("2026/3/2 0:00") or a database export adds ("2026-03-02 00:00:00", "...T09:30:00")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:(?:\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")


def _date_of(match):
    """The date of a date match (ValueError for a day or a time of day that is none)."""
    year, month, day, *time = (match.groups() + (None,) * 3)[:6]
    if any(int(part or 0) > limit for part, limit in zip(time, (23, 59, 59))):
        raise ValueError("not a time of day")
    return date(int(year), int(month), int(day))


def read_date(cell, today=None):
    """(date, None) or (None, reason) of a date cell (a date, 2026-03-02, 2026/3/2,
    2026年3月2日, 20260302, in full-width digits too, perhaps with a time of day that is
    ignored); ``today`` given, a later date is refused as "future"."""
    if isinstance(cell, datetime):
        found = cell.date()
    elif isinstance(cell, date):
        found = cell
    else:
        value = nfkc(cell_text(cell))
        if not value:
            return None, "missing"
        match = _DATE.match(value)
        if not match and len(value) == 8 and value.isdigit():
            match = re.match(r"(\d{4})(\d{2})(\d{2})", value)
        try:
            found = _date_of(match) if match else None
        except ValueError:
            found = None
        if found is None:
            return None, "date"
    if today is not None and found > today:
        return None, "future"
    return found, None
