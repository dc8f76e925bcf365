"""Writing the spreadsheets people open: CSV a record at a time and XLSX write-only, so that
an export of any size streams in constant memory, and no cell runs as a formula."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


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
    from openpyxl import Workbook  # on first use: openpyxl (and numpy) slow start-up

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
    # Imported once per sheet rather than per value (and not at the top: see xlsx_file).
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def value_of(value: Any) -> Any:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if isinstance(value, Decimal):
            # Set through Cell.value, as WriteOnlyCell(value=...) does: types-openpyxl types
            # WriteOnlyCell's value narrower than Cell's, without Decimal.
            cell = WriteOnlyCell(sheet)
            cell.value = value
            cell.number_format = "0.0"
            return cell
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    return value_of
