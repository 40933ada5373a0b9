"""Every CSV and XLSX file the product writes goes through here (and the files it reads
are read here: CSV in UTF-8 or GB18030, or XLSX), so no cell a user typed
can become a formula in the spreadsheet that opens it.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, LibreOffice and WPS as a formula (``=HYPERLINK(...)``, ``-2+3+cmd|...``), or a
DDE command: such a cell gets a leading ``'`` (OWASP's "CSV injection" advice). Numbers
stay numbers (an int, a Decimal, or a text that is only a number such as ``-1200.50``);
XLSX text cells are written as strings, never as formulas.
"""
import codecs
import csv
import io
import re

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
