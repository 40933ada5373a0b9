"""Every CSV and XLSX file the product writes goes through here, so no cell a user typed
can become a formula in the spreadsheet that opens it.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, LibreOffice and WPS as a formula (``=HYPERLINK(...)``, ``-2+3+cmd|...``), or a
DDE command: such a cell gets a leading ``'`` (OWASP's "CSV injection" advice). Numbers
stay numbers (an int, a Decimal, or a text that is only a number such as ``-1200.50``);
XLSX text cells are written as strings, never as formulas.
"""
import csv
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
