"""Posting outcomes from a spreadsheet (CSV or XLSX), for training providers.

``import_sheet`` is the one code path: ``POST /outcomes/upload`` and ``creditbank import`` both
call it, so a file behaves the same whichever way it comes in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Protocol

from creditbank.domain.errors import DomainError, ValidationFailed
from creditbank.domain.roles import Principal
from creditbank.intake.outcome_sheets import ParsedSheet, RowError, keyed, parse_sheet
from creditbank.intake.sheets import SheetError, read_sheet
from creditbank.services import posting
from creditbank.services.outcome_views import Posted

# Ten thousand rows must go through (issue 7); twice that still fits one request's time.
MAX_SHEET_ROWS = 20_000


class ImportProgress(Protocol):
    def begin(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


def import_sheet(
    principal: Principal,
    stream: IO[bytes],
    *,
    dry_run: bool,
    progress: ImportProgress | None = None,
) -> dict[str, Any]:
    """Read, validate and post (or, in a dry run, only check) every row of a spreadsheet."""
    parsed, encoding = read_outcome_sheet(stream)
    if dry_run:
        return _dry_run(principal, parsed, encoding)
    if parsed.errors:
        count = len({error.row for error in parsed.errors})
        raise ValidationFailed(f"{count} row(s) are not valid", errors=keyed(parsed.errors))
    if not parsed.items:
        raise ValidationFailed("The file has no rows", errors={"file": ["No rows to post."]})
    if progress:
        progress.begin(len(parsed.items))
    advance: Callable[[int], None] | None = progress.advance if progress else None
    try:
        results = posting.record_outcomes(principal, parsed.items, batch=True, progress=advance)
    except DomainError as exc:
        if exc.errors:  # keyed items.<i>.<field>: say which row and column instead
            exc.errors = keyed(parsed.row_errors(exc.errors))
        raise
    replayed = sum(1 for result in results if result.replayed)
    return {
        "dry_run": False,
        "rows": parsed.rows,
        "posted": len(results) - replayed,
        "replayed": replayed,
        "items": [
            _line(row, result) for row, result in zip(parsed.row_numbers, results, strict=True)
        ],
    }


def read_outcome_sheet(stream: IO[bytes]) -> tuple[ParsedSheet, str]:
    """The sheet's rows read and validated one by one, and the text encoding it came in; a file
    that is no sheet at all is a 422 on ``file``."""
    try:
        sheet = read_sheet(stream, MAX_SHEET_ROWS)
        return parse_sheet(sheet.header, sheet.rows), sheet.encoding
    except SheetError as exc:
        raise ValidationFailed(str(exc), errors={"file": [str(exc)]}) from None


@dataclass(frozen=True)
class SheetCheck:
    """Everything a dry run finds: every row's errors (the rows' own and what posting would
    refuse), in row order, and how many rows would be new outcomes or replays."""

    errors: list[RowError]
    would_post: int
    would_replay: int


def check_sheet(principal: Principal, parsed: ParsedSheet) -> SheetCheck:
    """A dry run of posting ``parsed`` as ``principal``; nothing is written."""
    errors = list(parsed.errors)
    posted = replayed = 0
    if parsed.items:
        check = posting.check_outcomes(principal, parsed.items, batch=True)
        errors.extend(parsed.row_errors(check.errors))
        posted, replayed = check.fresh, check.replays
    if not parsed.rows:
        errors.append(RowError(1, "", "No rows below the header."))
    errors.sort(key=lambda error: error.row)
    return SheetCheck(errors, posted, replayed)


def _dry_run(principal: Principal, parsed: ParsedSheet, encoding: str) -> dict[str, Any]:
    check = check_sheet(principal, parsed)
    return {
        "dry_run": True,
        "encoding": encoding,
        "rows": parsed.rows,
        "valid": not check.errors,
        "would_post": check.would_post,
        "would_replay": check.would_replay,
        "errors": [error.as_json() for error in check.errors],
    }


def _line(row: int, result: Posted) -> dict[str, Any]:
    outcome = result.outcome
    return {
        "row": row,
        "external_ref": outcome["external_ref"],
        "outcome_id": outcome["id"],
        "learner_id": outcome["learner_id"],
        "status": outcome["status"],
        "reason": outcome["reason"],
        "credits": outcome["credits"],
        "replayed": result.replayed,
    }
