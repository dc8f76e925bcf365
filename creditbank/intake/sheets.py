"""Reading the spreadsheets people keep: CSV (UTF-8 with or without a BOM, or GB18030 with or
without its own) and XLSX (:mod:`creditbank.intake.workbooks`: checked, then read by openpyxl
read-only, so no whole sheet is held in memory).

Nothing here knows what the columns mean: a sheet is a header row and numbered rows of text.
Row numbers are the ones a spreadsheet program shows, the header being row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, Any

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the binary .xls of Excel 97-2003
_GB18030_BOM = "\ufeff"  # GB18030 writes U+FEFF as 84 31 95 33; decoding leaves it in
# Excel writes a NUL in a cell's text as the OOXML escape _x0000_, which openpyxl leaves as it is.
_XLSX_NUL = "_x0000_"
# 2026-04-15, 2026/4/15, 2026.4.15, 2026年4月15日, with a midnight time as some exports add.
_DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0?0:00(?::00)?)?"
)


MAX_COLUMNS = 64  # an XLSX sheet is read no further right; a CSV row with more is refused
MAX_CELL_LENGTH = 2_000  # characters of one cell (the longest field, a description, takes 2,000)
EMPTY_ROWS_FACTOR = 5  # rows read past, empty, before a sheet is refused: this × max_rows


class SheetError(ValueError):
    """The file is not a spreadsheet this service reads; the message says what to do."""


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet shows it: the header is row 1
    cells: tuple[str, ...]  # text, "" for an empty cell


@dataclass(frozen=True)
class Sheet:
    header: Row
    rows: Iterator[Row]  # the data rows that are not entirely empty
    encoding: str  # how the file was read: "utf-8", "utf-8-sig", "gb18030" or "xlsx"


def read_sheet(stream: IO[bytes], max_rows: int) -> Sheet:
    """The header row and an iterator over the data rows that are not entirely empty.

    XLSX is recognised by its content (a ZIP), anything else is read as CSV. More than
    ``max_rows`` data rows raise :class:`SheetError` when the iterator reaches them.
    """
    head = stream.read(4)
    stream.seek(0)
    if head == _OLE_MAGIC:
        raise SheetError("This is an Excel 97-2003 .xls file: save it as .xlsx or CSV UTF-8.")
    if head == _ZIP_MAGIC:
        # The XLSX reader (and openpyxl with it) is imported on first use: it slows start-up.
        from creditbank.intake.workbooks import xlsx_rows

        encoding, rows = "xlsx", xlsx_rows(stream, max_rows)
    else:
        encoding, text = _csv_text(stream.read())
        rows = _csv_rows(text)
    header = next(rows, None)
    if header is None or not any(header.cells):
        raise SheetError("The file is empty: the first row must name the columns.")
    return Sheet(header, _bounded(rows, max_rows), encoding)


def _bounded(rows: Iterator[Row], max_rows: int) -> Iterator[Row]:
    count = 0
    for row in rows:
        if not any(row.cells):
            # A sheet can run on with empty, formatted rows; reading them costs time too.
            if row.number > max_rows * EMPTY_ROWS_FACTOR:
                raise SheetError(f"The sheet runs past row {row.number}: delete its empty rows.")
            continue
        count += 1
        if count > max_rows:
            raise SheetError(f"More than {max_rows} rows: split the file.")
        yield row


def _csv_text(raw: bytes) -> tuple[str, str]:
    """The encoding a CSV is in, and its text without a byte order mark."""
    encoding = "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return encoding, raw.decode(encoding)
    except UnicodeDecodeError:
        pass
    # Excel on a Chinese Windows saves "CSV (逗号分隔)" in GB18030 (GBK); read that too rather
    # than refuse the most common file there is, with or without GB18030's own BOM.
    try:
        return "gb18030", raw.decode("gb18030").removeprefix(_GB18030_BOM)
    except UnicodeDecodeError:
        raise SheetError("The CSV is neither UTF-8 nor GB18030 text.") from None


def _csv_rows(text: str) -> Iterator[Row]:
    try:
        # A row as the spreadsheet shows it is a record: a quoted cell may hold line breaks.
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            cells = [cell.strip() for cell in record]
            while cells and not cells[-1]:
                cells.pop()
            if len(cells) > MAX_COLUMNS:
                raise SheetError(
                    f"Row {number} has more than {MAX_COLUMNS} columns: delete the ones past them."
                )
            yield Row(number, tuple(cells))
    except csv.Error as exc:
        raise SheetError(f"The CSV cannot be read: {exc}.") from None


def cell_text(value: Any) -> str:
    """A cell as text: numbers as written (``10.0`` typed as ``10`` stays ``10``), dates as
    ``YYYY-MM-DD``, and blanks around text dropped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel keeps every number as a double; a whole number is shown without a point.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip().replace(_XLSX_NUL, "\x00")


def iso_date(text: str) -> str:
    """``2026/4/15``, ``2026.4.15`` or ``2026年4月15日`` as ``2026-04-15``; other text as is."""
    match = _DATE_TEXT.fullmatch(text)
    if not match:
        return text
    year, month, day = (int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"
