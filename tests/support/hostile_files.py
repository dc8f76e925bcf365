"""Spreadsheets built to hurt the reader: decompression bombs, rows of countless cells, entity
bombs, external entities, damaged XML. Shared by the unit tier (memory, fuzzing) and the HTTP
tier (the answers a client gets).

Each workbook starts from a real one that openpyxl wrote (a header row and one good row) and
replaces or adds parts of the ZIP, so everything but the hostile part is what Excel expects.
"""

from __future__ import annotations

import functools
import io
import random
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

from openpyxl import Workbook

HEADER = ["学员编号", "外部编号", "成果类型", "获得日期", "类别", "学时"]
SHEET = "xl/worksheets/sheet1.xml"
_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@functools.cache
def _base_parts() -> dict[str, bytes]:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["L1", "R-1", "培训学时", "2026-04-15", "theory", 10])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def workbook_with(parts: dict[str, bytes]) -> bytes:
    """A real workbook whose parts ``parts`` replaces (or adds), deflated as Excel does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**_base_parts(), **parts}.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sheet_xml(rows: str, prolog: str = "") -> bytes:
    """A worksheet part: an optional prolog (a DOCTYPE), then ``rows`` inside ``sheetData``."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        f"<worksheet {_MAIN}><sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def text_row(number: int, values: Iterable[str]) -> str:
    """A row of inline-string cells, as some exporters write them."""
    cells = "".join(
        f'<c r="{_letter(index)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
        for index, value in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def header_row() -> str:
    return text_row(1, (escape(name) for name in HEADER))


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@functools.cache
def decompression_bomb(inflated_mib: int = 300) -> bytes:
    """About 300 MiB of empty cells in one row, deflated to well under a megabyte."""
    chunk = b"<c/>" * 16_384
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in _base_parts().items():
            if name != SHEET:
                archive.writestr(name, data)
        with archive.open(SHEET, "w", force_zip64=True) as part:
            part.write(f'<worksheet {_MAIN}><sheetData>{header_row()}<row r="2">'.encode())
            for _ in range(inflated_mib * 1024 * 1024 // len(chunk)):
                part.write(chunk)
            part.write(b"</row></sheetData></worksheet>")
    return buffer.getvalue()


@functools.cache
def wide_row(cells: int, reference: str = "2") -> bytes:
    """One row of ``cells`` numbered cells: each differs, so it deflates only as text does
    (no ratio check sees it), yet openpyxl would hold every one of them at once."""
    values = "".join(f"<c><v>{number}</v></c>" for number in range(cells))
    return workbook_with({SHEET: sheet_xml(f'{header_row()}<row r="{reference}">{values}</row>')})


def long_row_number(length: int) -> str:
    """A row number of ``length`` digits, random enough not to deflate."""
    return "".join(random.Random(3).choices("0123456789", k=length))


def lying_sizes() -> bytes:
    """The sheet's directory entry declares 100 bytes; the part inflates to 20 MiB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _base_parts().items():
            if name != SHEET:
                archive.writestr(name, data)
        archive.writestr(SHEET, sheet_xml(header_row() + "<row><c/></row>" * 1_500_000))
        archive.getinfo(SHEET).file_size = 100  # the central directory is written on close
    return buffer.getvalue()


BILLION_LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(2, 10)).replace(
        "&lol1;", "&lol;"
    )
    + "]>"
)


def billion_laughs() -> bytes:
    return workbook_with({SHEET: sheet_xml(header_row() + text_row(2, ["&lol9;"]), BILLION_LAUGHS)})


def external_entity(path: str) -> bytes:
    prolog = f'<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file://{path}">]>'
    return workbook_with({SHEET: sheet_xml(header_row() + text_row(2, ["&secret;"]), prolog)})


def truncated_sheet() -> bytes:
    whole = sheet_xml(header_row() + text_row(2, ["L1", "R-1", "培训学时"]))
    return workbook_with({SHEET: whole[: len(whole) * 2 // 3]})


def garbled_sheet() -> bytes:
    return workbook_with({SHEET: sheet_xml(header_row() + '<row r="2"><c r="A2"><<v>1</c></row>')})


def cell_with(reference: str, raw_text: str, learner: str = "L1") -> bytes:
    """The header, and a second row whose cell ``reference`` holds ``raw_text`` as XML text."""
    good = [learner, "R-1", "培训学时", "2026-04-15", "theory", "10"]
    index = ord(reference[0]) - ord("A")
    good[index] = raw_text
    return workbook_with({SHEET: sheet_xml(header_row() + text_row(2, good))})


def long_shared_header(columns: int, length: int) -> bytes:
    """A header of ``columns`` cells that all show one shared string of ``length`` letters."""
    text = "".join(random.Random(7).choices("abcdefghijklmnopqrstuvwxyz", k=length))
    strings = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst {_MAIN} count="1" uniqueCount="1">'
        f"<si><t>{text}</t></si></sst>"
    ).encode()
    cells = "".join(f'<c r="{_letter(i)}1" t="s"><v>0</v></c>' for i in range(columns))
    types = _base_parts()["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    return workbook_with(
        {
            SHEET: sheet_xml(f'<row r="1">{cells}</row>'),
            "xl/sharedStrings.xml": strings,
            "[Content_Types].xml": types,
        }
    )
