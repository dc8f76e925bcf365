"""Reading and writing the spreadsheets people keep: CSV (UTF-8, with or without a BOM) and
XLSX (openpyxl, read-only and write-only, so neither side holds a whole sheet in memory).

Nothing here knows what the columns mean: a sheet is a header row and numbered rows of text.
Row numbers are the ones a spreadsheet program shows, the header being row 1.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the binary .xls of Excel 97-2003
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
# 2026-04-15, 2026/4/15, 2026.4.15, 2026年4月15日, with a midnight time as some exports add.
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0?0:00(?::00)?)?$"
)


MAX_COLUMNS = 64
EMPTY_ROWS_FACTOR = 5  # rows read past, empty, before a sheet is refused: this × max_rows


class SheetError(ValueError):
    """The file is not a spreadsheet this service reads; the message says what to do."""


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet shows it: the header is row 1
    cells: tuple[str, ...]  # text, "" for an empty cell


def read_sheet(stream: IO[bytes], max_rows: int) -> tuple[Row, Iterator[Row]]:
    """The header row and an iterator over the data rows that are not entirely empty.

    XLSX is recognised by its content (a ZIP), anything else is read as CSV. More than
    ``max_rows`` data rows raise :class:`SheetError` when the iterator reaches them.
    """
    head = stream.read(4)
    stream.seek(0)
    if head == _OLE_MAGIC:
        raise SheetError("This is an Excel 97-2003 .xls file: save it as .xlsx or CSV UTF-8.")
    rows = _xlsx_rows(stream) if head == _ZIP_MAGIC else _csv_rows(stream)
    header = next(rows, None)
    if header is None or not any(header.cells):
        raise SheetError("The file is empty: the first row must name the columns.")
    return header, _bounded(rows, max_rows)


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


def _csv_rows(stream: IO[bytes]) -> Iterator[Row]:
    raw = stream.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves "CSV (逗号分隔)" in GB18030 (GBK); read that too
        # rather than refuse the most common file there is.
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise SheetError("The CSV is neither UTF-8 nor GB18030 text.") from None
    try:
        # A row as the spreadsheet shows it is a record: a quoted cell may hold line breaks.
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            yield Row(number, tuple(cell.strip() for cell in record))
    except csv.Error as exc:
        raise SheetError(f"The CSV cannot be read: {exc}.") from None


def _xlsx_rows(stream: IO[bytes]) -> Iterator[Row]:
    # openpyxl (and numpy with it) would add 0.15 s to every start-up: imported on first use.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SheetError(f"The XLSX file cannot be opened: {exc}.") from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only sheets yield the empty rows between filled ones, so counting gives the
        # row numbers; a stray cell far to the right is not read (MAX_COLUMNS).
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        for number, values in enumerate(rows, start=1):
            cells = [cell_text(value) for value in values]
            while cells and not cells[-1]:
                cells.pop()
            yield Row(number, tuple(cells))
    finally:
        workbook.close()


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
    return str(value).strip()


def iso_date(text: str) -> str:
    """``2026/4/15``, ``2026.4.15`` or ``2026年4月15日`` as ``2026-04-15``; other text as is."""
    match = _DATE_TEXT.match(text)
    if not match:
        return text
    year, month, day = (int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def csv_line(values: Iterable[Any]) -> str:
    """One CSV record (RFC 4180 quoting, CRLF), for streaming a CSV a row at a time."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_inert(value) for value in values])
    return buffer.getvalue()


def _inert(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (``=HYPERLINK(…)`` in a title a provider
    typed) is written with a leading apostrophe, as OWASP advises for CSV exports."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS and not _NUMBER.match(value):
        return "'" + value
    return value


def xlsx_file(sheet_title: str, header: list[str], rows: Iterable[list[Any]]) -> IO[bytes]:
    """An XLSX of one sheet, written row by row (openpyxl write-only: constant memory) to a
    temporary file that spills to disk past 8 MiB; returned rewound, ready to stream."""
    from openpyxl import Workbook  # on first use, not at start-up (see _xlsx_rows)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "A2"
    sheet.append(header)
    cell_value = _xlsx_values(sheet)
    for row in rows:
        sheet.append([cell_value(value) for value in row])
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned
    workbook.save(spool)
    spool.seek(0)
    return spool


def _xlsx_values(sheet: WriteOnlyWorksheet) -> Callable[[Any], Any]:
    """What each value is written as in ``sheet``. Amounts (decimals) are numbers shown with
    one place (openpyxl writes their own digits); text is always text, even when it starts
    with ``=`` (openpyxl would make it a formula). Control characters, which XML 1.0 cannot
    hold (a name typed with one, say), are dropped: openpyxl would refuse the whole workbook."""
    # Imported once per sheet rather than per value (see _xlsx_rows for why not at the top).
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def value_of(value: Any) -> Any:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if isinstance(value, Decimal):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "0.0"
            return cell
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    return value_of
