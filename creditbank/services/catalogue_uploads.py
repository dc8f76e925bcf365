"""Publishing a catalogue from a spreadsheet (``POST /programmes/{id}/catalogues/upload``).

The file is read as ``POST /outcomes/upload`` reads one
(:func:`creditbank.intake.sheets.read_sheet`: the first sheet of an XLSX, or a CSV in UTF-8 or
GB18030), its rows become the document's courses
(:mod:`creditbank.intake.catalogue_sheets`), the form fields the rest, and the document is
validated and published exactly as a posted one. A dry run answers what would be published and
every error at once, and writes nothing; otherwise it is all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from creditbank.domain.errors import ValidationFailed
from creditbank.domain.roles import Principal
from creditbank.extensions import db
from creditbank.intake.catalogue_rows import upload_document
from creditbank.intake.catalogue_sheets import ParsedCatalogue, parse_catalogue_sheet
from creditbank.intake.outcome_sheets import RowError, keyed
from creditbank.intake.sheets import SheetError, read_sheet
from creditbank.services.catalogues import publish_normalised
from creditbank.services.college_scope import writable_programme
from creditbank.transfer import CatalogueInvalid, validate_catalogue_document

# One row per course and equivalence: enough for any programme's training plan.
MAX_CATALOGUE_ROWS = 2_000


def upload_catalogue(
    principal: Principal,
    programme_id: str,
    stream: IO[bytes],
    form: Mapping[str, str],
    *,
    dry_run: bool,
) -> dict[str, Any]:
    """Publish the catalogue a sheet and the form's fields describe (or, in a dry run, say what
    would be published and what is wrong with it)."""
    writable_programme(db.session(), principal, programme_id)
    try:
        sheet = read_sheet(stream, MAX_CATALOGUE_ROWS)
        parsed = parse_catalogue_sheet(sheet.header, sheet.rows)
    except SheetError as exc:
        raise ValidationFailed(str(exc), errors={"file": [str(exc)]}) from None
    normal, row_errors, document_errors = _checked(parsed, upload_document(form, parsed.courses))
    if dry_run:
        return {
            "dry_run": True,
            "valid": not (row_errors or document_errors),
            "rows": parsed.rows,
            "courses": len(parsed.courses),
            "catalogue": normal,
            "errors": [
                *({"row": None, "column": path, "message": message}
                  for path, messages in document_errors.items() for message in messages),
                *(error.as_json() for error in row_errors),
            ],
        }  # fmt: skip
    if row_errors or document_errors:
        count = len({error.row for error in row_errors})
        detail = f"{count} row(s) are not valid" if count else "The catalogue is not valid"
        raise ValidationFailed(detail, errors={**document_errors, **keyed(row_errors)})
    assert normal is not None  # no error: validated
    return publish_normalised(principal, programme_id, normal)


def _checked(
    parsed: ParsedCatalogue, document: dict[str, Any]
) -> tuple[dict[str, Any] | None, list[RowError], dict[str, list[str]]]:
    """The normalised document (None when anything is wrong), the rows' errors in row order,
    and the errors of the form's fields under their document paths."""
    try:
        normal: dict[str, Any] | None = validate_catalogue_document(document)
        found: Mapping[str, list[str]] = {}
    except CatalogueInvalid as exc:
        normal, found = None, exc.errors
    more, document_errors = parsed.split_errors(found)
    row_errors = sorted([*parsed.errors, *more], key=lambda error: error.row)
    return (None if row_errors else normal), row_errors, document_errors
