"""Writing the spreadsheets people open: CSV a record at a time and XLSX write-only, so that
an export of any size streams in constant memory, and no cell runs as a formula."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


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
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """A column of an exported sheet: its title, its width (in characters) and whether its
    values are text that must stay text (an 18-digit national ID, a code like 0012, a YYYYMM
    month), which a spreadsheet program would otherwise turn into a number and round; an
    amount's number format (one decimal place unless the sheet's reader wants another)."""

    title: str
    width: int = 12
    text: bool = False
    number_format: str = "0.0"


def xlsx_file(sheet_title: str, columns: Sequence[Column], rows: Iterable[list[Any]]) -> IO[bytes]:
    """An XLSX of one sheet, written row by row (openpyxl write-only: constant memory) to a
    temporary file that spills to disk past 8 MiB; returned rewound, ready to stream. The
    header row is bold and frozen, and every column has its width."""
    from openpyxl import Workbook  # on first use: openpyxl (and numpy) slow start-up
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "A2"
    for number, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    sheet.append(_header_cells(sheet, columns))
    cell_value = _xlsx_values(sheet)
    for row in rows:
        sheet.append(
            [cell_value(value, column) for value, column in zip(row, columns, strict=True)]
        )
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned
    workbook.save(spool)
    spool.seek(0)
    return spool


def _header_cells(sheet: WriteOnlyWorksheet, columns: Sequence[Column]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    bold = Font(bold=True)
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font = bold
        cells.append(cell)
    return cells


def _xlsx_values(sheet: WriteOnlyWorksheet) -> Callable[[Any, Column], Any]:
    """What each value is written as in ``sheet``. Amounts (decimals) are numbers shown in
    their column's number format (openpyxl writes their own digits); text is always text, even
    when it starts with ``=`` (openpyxl would make it a formula). Control characters, which
    XML 1.0 cannot hold (a name typed with one, say), are dropped: openpyxl would refuse the
    whole workbook. A text column's values are text cells in the Text format (``@``), so that
    a program that re-reads or edits them never takes them for numbers."""
    # Imported once per sheet rather than per value (and not at the top: see xlsx_file).
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def value_of(value: Any, column: Column) -> Any:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if column.text and value is not None:
            cell = WriteOnlyCell(sheet, value=str(value))
            cell.data_type = "s"
            cell.number_format = "@"
            return cell
        if isinstance(value, Decimal):
            # Set through Cell.value, as WriteOnlyCell(value=...) does: types-openpyxl types
            # WriteOnlyCell's value narrower than Cell's, without Decimal.
            cell = WriteOnlyCell(sheet)
            cell.value = value
            cell.number_format = column.number_format
            return cell
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    return value_of
