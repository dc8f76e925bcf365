"""A catalogue as the XLSX an upload reads (PROGRAMMES.md § Endpoints, *Catalogues*): the
headers, a note row, and one row per course and equivalence. ``GET /catalogues/{id}`` sends a
published version so, and ``GET /catalogues/template.xlsx`` catalogue C1 as the example."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any

from creditbank.documents.spreadsheets import Column, xlsx_file
from creditbank.intake.catalogue_rows import EXAMPLE, catalogue_rows, note_row
from creditbank.intake.catalogue_sheets import COLUMNS
from creditbank.transfer import validate_catalogue_document

SHEET_TITLE = "专业学分转换目录"
# Codes stay text (a code such as 0012 keeps its zeros); amounts are numbers with one place.
TEXT_FIELDS = frozenset({"code", "name", "source_code", "institution"})
AMOUNT_FIELDS = frozenset({"credits", "min_credits"})
WIDTHS = {"name": 24, "source_code": 20, "institution": 18, "grade": 24}


def catalogue_workbook(document: Mapping[str, Any]) -> IO[bytes]:
    """The sheet of a normalised catalogue document, rewound and ready to send."""
    columns = [
        Column(column.header, WIDTHS.get(column.field, 12), column.field in TEXT_FIELDS)
        for column in COLUMNS
    ]
    fields = [column.field for column in COLUMNS]
    rows = [
        [_cell(name, value) for name, value in zip(fields, row, strict=True)]
        for row in catalogue_rows(document)
    ]
    return xlsx_file(SHEET_TITLE, columns, [note_row(), *rows])


def template_workbook() -> IO[bytes]:
    """The upload template: catalogue C1 of PROGRAMMES.md as the example."""
    return catalogue_workbook(validate_catalogue_document(EXAMPLE))


def _cell(name: str, value: Any) -> Any:
    if name in AMOUNT_FIELDS and isinstance(value, str):
        return Decimal(value)
    return value
