"""Reading an XLSX workbook for the mapped translator: size caps, the sheet, numbered rows, cell locations.

DESIGN §9.4: XLSX is read whole by a maintained reader (python-calamine), so its size is capped
(``ColumnMapping.max_xlsx_bytes``; larger → ``HostileInputError``) and it is exempt from the flat-memory
goal. Before calamine sees the bytes, the ZIP directory is checked: not a ZIP (or truncated) →
``ParseError``; more than :data:`MAX_INFLATION` × the cap uncompressed, or more than :data:`MAX_ENTRIES`
entries → ``HostileInputError`` (a zip bomb). Rows keep their Excel numbers (row 1 = the sheet's first row,
empty rows skipped but counted) and cells their column letters, so a problem reads
``sheet Prislista, row 12, column E (Pris)``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from python_calamine import CalamineSheet, CalamineWorkbook

from hub.errors import HostileInputError, InvalidValueError, ParseError
from hub.formats.delimited import Cell, Column, Locator, Row
from hub.formats.mapping import ColumnMapping

MAX_INFLATION = 20
MAX_ENTRIES = 10_000


def column_letter(index: int) -> str:
    """Excel's name for a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def letter_index(letters: str) -> int:
    """The 0-based index of an Excel column name (A → 0, AA → 26)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def sheet_locator(sheet: str) -> Locator:
    def locate(line: int, column: Column | None) -> str:
        where = f"sheet {sheet}, row {line}"
        return where if column is None else f"{where}, column {column_letter(column.index)} ({column.label})"

    return locate


def read_sheet(stream: BinaryIO, mapping: ColumnMapping) -> tuple[str, Iterator[Row]]:
    """The chosen sheet's name and its non-empty rows (cells indexed from column A)."""
    data = stream.read(mapping.max_xlsx_bytes + 1)
    if len(data) > mapping.max_xlsx_bytes:
        raise HostileInputError(f"XLSX larger than {mapping.max_xlsx_bytes} bytes (the mapping's max_xlsx_bytes)")
    _check_zip(data, mapping.max_xlsx_bytes)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = _sheet(workbook, mapping.sheet)
    except InvalidValueError:
        raise
    except Exception as exc:  # calamine raises several types (CalamineError, ZipError, XmlError, ValueError …)
        raise ParseError(f"the XLSX workbook cannot be read: {exc}") from None
    return sheet.name, _rows(sheet)


def _check_zip(data: bytes, limit: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ParseError("not an XLSX workbook: not a ZIP archive, or truncated") from None
    inflated = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ENTRIES or inflated > MAX_INFLATION * limit:
        message = f"XLSX would inflate to {inflated} bytes in {len(entries)} parts (a ZIP bomb?)"
        raise HostileInputError(message)


def _sheet(workbook: CalamineWorkbook, wanted: str | int | None) -> CalamineSheet:
    names = workbook.sheet_names
    shown = ", ".join(repr(name) for name in names) or "none"
    if isinstance(wanted, int) or wanted is None:
        number = 1 if wanted is None else wanted
        if not 1 <= number <= len(names):
            raise InvalidValueError(f"the workbook has no sheet {number}; its sheets are: {shown}")
        return workbook.get_sheet_by_index(number - 1)
    for name in (n for n in names if n == wanted or n.strip().casefold() == wanted.strip().casefold()):
        return workbook.get_sheet_by_name(name)
    raise InvalidValueError(f"the workbook has no sheet {wanted!r}; its sheets are: {shown}")


def _rows(sheet: CalamineSheet) -> Iterator[Row]:
    # python-calamine yields rows from the sheet's first row (row 1) but cells from the first used
    # column; pad them so a cell's index is its column (A = 0). Pinned by tests/formats/test_mapped.py.
    start = sheet.start
    if start is None:
        return
    padding: list[Cell] = [""] * start[1]
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        if any(cell != "" for cell in cells):
            yield Row(number, padding + [cell.strip() if isinstance(cell, str) else cell for cell in cells])
