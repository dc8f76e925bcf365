"""XLSX workbooks, opened with openpyxl only once they are known to be safe to open.

An XLSX file is a ZIP of XML parts, and openpyxl inflates and parses them as they come: an
upload of a megabyte can inflate to gigabytes (a decompression bomb), a row can hold millions
of cells that openpyxl keeps in memory at once, and a part can declare entities (billion
laughs, external entities). So the ZIP's directory is checked first (how many parts, how large
once inflated, how much larger than stored), then every part is streamed once through expat,
with no DTD allowed, counting its elements against the limits below. Only then does openpyxl
open the file; it parses with defusedxml (a requirement of this package) as a second line.
Whatever a damaged file makes openpyxl raise becomes a :class:`SheetError`.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, NoReturn
from xml.parsers import expat

from creditbank.intake.sheets import EMPTY_ROWS_FACTOR, MAX_COLUMNS, Row, SheetError, cell_text
from creditbank.intake.text import excerpt

MAX_PARTS = 1_000
MAX_INFLATED_BYTES = 64 * 1024 * 1024  # all parts together, as the ZIP's directory declares
MAX_RATIO = 100  # inflated ÷ stored, for a part over RATIO_FLOOR (Apache POI's limit too)
RATIO_FLOOR = 1024 * 1024
MAX_ELEMENTS = 3_000_000  # XML elements of all parts together; 20,000 full rows take 1.3 M
MAX_PART_ELEMENTS = 100_000  # of a part openpyxl reads whole (workbook, styles, relationships)
MAX_RECORD_ELEMENTS = 50_000  # of one row or shared string, which openpyxl holds at once
MAX_SHARED_STRINGS = 500_000

_RECORDS = {"worksheet": "row", "sst": "si"}  # parts openpyxl streams, a record at a time
_STREAMED_AS = {
    "worksheet": ("spreadsheetml.worksheet+xml", "/worksheet"),
    "sst": ("spreadsheetml.sharedStrings+xml", "/sharedStrings"),
}  # the content type and relationship type such a part must be declared with
_READ_WHOLE = {  # parts openpyxl finds by name and parses whole, whatever the manifest says
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/styles.xml",
    "docProps/core.xml",
    "docProps/custom.xml",
}
# "&#0;": a character reference to what XML does not allow (some exporters write NUL so).
_BAD_CHARACTER_REFERENCE = expat.errors.codes[expat.errors.XML_ERROR_BAD_CHAR_REF]
# What openpyxl, zipfile and zlib raise on a damaged file (found by fuzzing the reader:
# tests/unit/test_hostile_sheets.py): ParseError is a SyntaxError, defusedxml's refusals are
# ValueErrors, an encrypted part a RuntimeError, a deep nesting a RecursionError.
_DAMAGED = (
    ArithmeticError,
    AttributeError,
    EOFError,
    LookupError,
    OSError,
    RuntimeError,
    SyntaxError,
    TypeError,
    ValueError,
    zipfile.BadZipFile,
    zlib.error,
)
DAMAGED_MESSAGE = (
    "The XLSX file cannot be read: it is damaged, or not a workbook. "
    "Open it in Excel and save it again, or save it as CSV UTF-8."
)


def xlsx_rows(stream: IO[bytes], max_rows: int) -> Iterator[Row]:
    """Every row of the first sheet, numbered as the sheet shows them; :class:`SheetError` for
    a file beyond the limits or damaged."""
    bad_cells = _check_workbook(stream, max_rows)
    stream.seek(0)
    # openpyxl (and numpy with it) would add 0.15 s to every start-up: imported on first use.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True, keep_links=False)
        try:
            # Read-only sheets yield the empty rows between filled ones, so counting gives the
            # row numbers; a stray cell far to the right is not read (MAX_COLUMNS).
            rows = workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
            for number, values in enumerate(rows, start=1):
                cells = [cell_text(value) for value in values]
                while cells and not cells[-1]:
                    cells.pop()
                yield Row(number, tuple(cells))
        finally:
            workbook.close()
    except _DAMAGED as exc:
        # openpyxl's expat stops where the scan's did: at a character XML does not allow, the
        # scan knows the cell.
        cell = bad_cells.get(getattr(exc, "position", None) or (0, 0))
        raise SheetError(_bad_cell(cell) if cell else DAMAGED_MESSAGE) from None


def _bad_cell(cell: str) -> str:
    return (
        f"{cell} holds a character an XLSX file may not (U+0000 or another control "
        "character): delete it, then save the file again."
    )


def _check_workbook(stream: IO[bytes], max_rows: int) -> dict[tuple[int, int], str]:
    """Refuse a workbook beyond the limits; the cells (by parse position) XML cannot hold."""
    try:
        with zipfile.ZipFile(stream) as archive:
            _check_directory(archive.infolist())
            parts: list[_Part] = []
            for info in archive.infolist():
                allowance = MAX_ELEMENTS - sum(part.elements for part in parts)
                parts.append(_scan(archive, info, _Part(info.filename, allowance, max_rows)))
    except SheetError:
        raise
    except _DAMAGED:
        raise SheetError(DAMAGED_MESSAGE) from None
    _check_streamed(parts)
    return {position: cell for part in parts for position, cell in part.bad_cells.items()}


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_PARTS:
        raise SheetError(f"The XLSX file has more than {MAX_PARTS} parts: save it as CSV UTF-8.")
    if sum(info.file_size for info in infos) > MAX_INFLATED_BYTES:
        limit = MAX_INFLATED_BYTES // 1024 // 1024
        raise SheetError(f"The XLSX file inflates to more than {limit} MiB: split it.")
    for info in infos:
        if info.flag_bits & 0x1:
            raise SheetError("The XLSX file is encrypted: save it without a password.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SheetError(DAMAGED_MESSAGE)
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * info.compress_size:
            raise SheetError(
                f"The XLSX file inflates more than {MAX_RATIO} times, as no real workbook "
                "does: save it again from Excel, or as CSV UTF-8."
            )


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, part: _Part) -> _Part:
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.StartElementHandler = part.start
    with archive.open(info) as content:
        try:
            while chunk := content.read(64 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            # Not XML (an image) or damaged XML: openpyxl fails at the same place, if it ever
            # reads this part, having held no more than the scan has counted.
            part.failed_at(exc)
    return part


def _refuse_dtd(*_: object) -> NoReturn:
    raise SheetError("The XLSX file declares XML entities, as no workbook does: save it again.")


class _Part:
    """One part as expat streams it: its root element, how many elements it holds (a row or a
    shared string at most MAX_RECORD_ELEMENTS), and what a manifest or relationships part
    declares."""

    def __init__(self, name: str, allowance: int, max_rows: int) -> None:
        self.name = name
        self.root = ""
        self.elements = 0
        self.allowance = allowance
        self.max_records = max_rows * EMPTY_ROWS_FACTOR + 1
        self.records = self.record_elements = 0
        self.row = self.cell = ""  # where a worksheet's expat is, to name a cell it cannot read
        self.declared: list[tuple[str, str]] = []  # (part, content type), of a manifest
        self.links: list[tuple[str, str]] = []  # (target, relationship type), of relationships
        self.bad_cells: dict[tuple[int, int], str] = {}

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > self.allowance:
            raise _too_much(self.name)
        local = tag.rpartition(":")[2]
        if not self.root:
            self._begin(local)
        record = _RECORDS.get(self.root)
        if record is not None:
            self._in_record(local == record, attributes)
            if local == "c":
                reference = excerpt(attributes.get("r", ""))
                self.cell = f"Cell {reference}" if reference else f"A cell of row {self.row}"
        elif local == "Override" and self.root == "Types":
            self.declared.append(
                (attributes.get("PartName", "")[1:], attributes.get("ContentType", ""))
            )
        elif local == "Relationship" and self.root == "Relationships":
            self._link(attributes)

    def _begin(self, root: str) -> None:
        self.root = root
        if root == "sst":
            self.max_records = MAX_SHARED_STRINGS
        elif root not in _RECORDS:
            self.allowance = min(self.allowance, MAX_PART_ELEMENTS)

    def _in_record(self, starts_one: bool, attributes: dict[str, str]) -> None:
        if starts_one:
            self.records += 1
            self.record_elements = 0
            self.row, self.cell = excerpt(attributes.get("r") or str(self.records)), ""
            if self.records > self.max_records:
                raise _too_much(self.name)
            return
        self.record_elements += 1
        if self.record_elements > MAX_RECORD_ELEMENTS:
            raise _too_much(f"row {self.row} of {self.name}" if self.row else self.name)

    def _link(self, attributes: dict[str, str]) -> None:
        target = attributes.get("Target", "")
        if attributes.get("TargetMode") == "External" or not target:
            return
        if target.startswith("/"):
            resolved = target[1:]
        else:  # relative to the folder of the part whose relationships these are (as openpyxl)
            owner_folder = posixpath.split(posixpath.dirname(self.name))[0]
            resolved = posixpath.normpath(posixpath.join(owner_folder, target))
        self.links.append((resolved, attributes.get("Type", "")))

    def failed_at(self, error: expat.ExpatError) -> None:
        if self.root == "worksheet" and self.cell and error.code == _BAD_CHARACTER_REFERENCE:
            self.bad_cells[(error.lineno, error.offset)] = self.cell


def _check_streamed(parts: list[_Part]) -> None:
    """A part past MAX_PART_ELEMENTS is a worksheet or the shared strings, which openpyxl reads
    a record at a time; it must be declared as one and be nothing else, or openpyxl could be led
    to parse it whole (as the workbook, the styles, a chart sheet)."""
    declared = [entry for part in parts for entry in part.declared]
    links = [link for part in parts for link in part.links]
    for part in parts:
        if part.elements <= MAX_PART_ELEMENTS:
            continue
        content_type, relationship = _STREAMED_AS[part.root]  # others stopped at the limit
        types = {kind for name, kind in declared if name == part.name}
        relations = {kind for name, kind in links if name == part.name}
        if (
            part.name in _READ_WHOLE
            or part.name.endswith(".rels")
            or len(types) != 1
            or not types.pop().endswith(content_type)
            or not all(kind.endswith(relationship) for kind in relations)
        ):
            raise _too_much(part.name)


def _too_much(where: str) -> SheetError:
    return SheetError(
        f"The XLSX file holds more than an upload may ({excerpt(where)}): copy the rows into a "
        "new workbook, or save it as CSV UTF-8."
    )
