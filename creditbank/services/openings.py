"""Opening learner accounts at the workstation: one at the desk, or a whole sheet of them
(集体开户). Each account gets an initial password the learner must change at its first sign-in
(``must_change_password``); it is returned once, to be handed out, and never kept in clear.

A sheet is checked row by row first (:func:`check_sheet`, a dry run that writes nothing), then
opened (:func:`open_sheet`): every good row gets an account, a bad row none. By national ID the
opening is idempotent: a row whose ID already holds an account is reported as registered and
skipped, so confirming the same sheet twice opens nobody twice.
"""

from __future__ import annotations

import io
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from creditbank.context import keyring
from creditbank.domain.errors import Conflict, Forbidden, ValidationFailed
from creditbank.domain.national_id import NationalIdError, mask_national_id, validate_national_id
from creditbank.domain.phones import PhoneError, mask_phone, validate_phone
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventNote, EventTag, record_event
from creditbank.intake.sheets import Row, SheetError, read_sheet
from creditbank.labels import OPENING_PROBLEM_TEXT
from creditbank.services.learners import LearnerView, open_learner
from creditbank.services.lookups import registered_national_ids
from creditbank.services.transaction import utcnow, write_transaction

# Without 0/O/o, 1/l/I: a password read aloud or copied from paper is typed right.
PASSWORD_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"  # noqa: S105
PASSWORD_LENGTH = 10
MAX_SHEET_BYTES = 2 * 1024 * 1024
MAX_SHEET_ROWS = 1_000  # each opening hashes a password: a thousand take about a minute and a half
MAX_NAME = 100
HEADERS = {
    "name": ("姓名", "name"),
    "national_id": ("身份证号", "身份证号码", "national_id"),
    "phone": ("手机号", "手机号码", "phone"),
}


def initial_password() -> str:
    """A fresh password for a learner to sign in with once: ten readable characters."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


@dataclass(frozen=True)
class Opened:
    learner: LearnerView
    password: str  # shown once, never stored in clear
    row: int | None = None


def open_at_desk(principal: Principal, name: str, national_id: str, phone: str | None) -> Opened:
    """One account opened by the clerk; 422 keyed by field, 409 when the ID has an account."""
    _require_workstation(principal)
    password = initial_password()
    event = EventNote(EventTag.WEB_LEARNER_OPENED, principal.subject, {"via": "desk"})
    learner = open_learner(name, national_id, password, phone=phone or None, event=event)
    return Opened(learner, password)


@dataclass(frozen=True)
class SheetLine:
    """One data row as checked: what it holds (masked) and, when it opens nothing, why."""

    row: int
    name: str
    national_id_masked: str | None
    phone_masked: str | None
    problem: str | None = None  # a key of labels.OPENING_PROBLEM_TEXT
    reason: str = ""  # the problem in words
    national_id: str = field(default="", repr=False)  # canonical; never shown
    phone: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class SheetCheck:
    lines: list[SheetLine]

    @property
    def to_open(self) -> list[SheetLine]:
        return [line for line in self.lines if line.ok]

    @property
    def registered(self) -> list[SheetLine]:
        return [line for line in self.lines if line.problem == "registered"]

    @property
    def bad(self) -> list[SheetLine]:
        return [line for line in self.lines if not line.ok and line.problem != "registered"]


@dataclass(frozen=True)
class SheetOpening:
    opened: list[Opened]
    check: SheetCheck  # as checked just before opening: what was skipped, and why


def check_sheet(data: bytes) -> SheetCheck:
    """Every row of the sheet with its problem, if any; writes nothing. A file that is not a
    sheet of learners is a 422 keyed ``file`` with the reason in Chinese."""
    if len(data) > MAX_SHEET_BYTES:
        raise _file_error(f"文件超过 {MAX_SHEET_BYTES // 1024 // 1024} MB，请拆分后分批上传。")
    try:
        sheet = read_sheet(io.BytesIO(data), MAX_SHEET_ROWS)
        columns = _columns(sheet.header.cells)
        lines = _lines(sheet.rows, columns)
    except SheetError as exc:
        raise _file_error(_sheet_error_text(str(exc))) from None
    if not lines:
        raise _file_error("表头下没有任何数据行。")
    return SheetCheck(_mark_registered(lines))


def open_sheet(principal: Principal, data: bytes, batch: str) -> SheetOpening:
    """Open an account for every good row of the sheet (checked again, against the accounts
    as they are now); ``batch`` names the staged file in the audit events."""
    _require_workstation(principal)
    check = check_sheet(data)
    opened: list[Opened] = []
    late: dict[int, SheetLine] = {}
    for line in check.to_open:
        password = initial_password()
        details = {"via": "collective", "batch": batch, "row": line.row}
        event = EventNote(EventTag.WEB_LEARNER_OPENED, principal.subject, details)
        try:
            learner = open_learner(
                line.name, line.national_id, password, phone=line.phone or None, event=event
            )
        except Conflict:  # opened by someone else since the check
            late[line.row] = _problem(line, "registered")
            continue
        opened.append(Opened(learner, password, line.row))
    check = SheetCheck([late.get(line.row, line) for line in check.lines])
    with write_transaction() as session:
        record_event(
            session,
            EventTag.WEB_LEARNERS_COLLECTIVE_OPENED,
            actor=principal.subject,
            subject_id=None,
            occurred_at=utcnow(),
            details={
                "batch": batch,
                "rows": len(check.lines),
                "opened": len(opened),
                "registered": len(check.registered),
                "refused": len(check.bad),
            },
        )
    return SheetOpening(opened, check)


def _columns(header: tuple[str, ...]) -> dict[str, int]:
    normal = [unicodedata.normalize("NFKC", cell).strip().lower() for cell in header]
    found: dict[str, int] = {}
    for key, names in HEADERS.items():
        for index, cell in enumerate(normal):
            if cell in names:
                found[key] = index
                break
    if "name" not in found or "national_id" not in found:
        raise SheetError("表头须有“姓名”和“身份证号”两列（“手机号”一列可选）。")
    return found


def _lines(rows: Iterable[Row], columns: dict[str, int]) -> list[SheetLine]:
    lines: list[SheetLine] = []
    first_row_of: dict[str, int] = {}
    for row in rows:
        cell = {
            key: row.cells[index] if index < len(row.cells) else ""
            for key, index in columns.items()
        }
        line = _line(
            row.number, cell.get("name", ""), cell.get("national_id", ""), cell.get("phone", "")
        )
        if line.ok:
            earlier = first_row_of.setdefault(line.national_id, line.row)
            if earlier != line.row:
                line = _problem(line, "duplicate_in_file", row=earlier)
        lines.append(line)
    return lines


def _line(number: int, name: str, national_id: str, phone: str) -> SheetLine:
    name = name.strip()
    try:
        valid_id = validate_national_id(national_id) if national_id else ""
    except NationalIdError as exc:
        return SheetLine(number, name, None, None, *_said(_id_problem(str(exc))))
    line = SheetLine(
        number, name, mask_national_id(valid_id) if valid_id else None, None, national_id=valid_id
    )
    if not name:
        return _problem(line, "name_missing")
    if len(name) > MAX_NAME:
        return _problem(line, "name_too_long")
    if not valid_id:
        return _problem(line, "national_id_missing")
    if phone:
        try:
            valid_phone = validate_phone(phone)
        except PhoneError:
            return _problem(line, "phone_invalid")
        return SheetLine(
            number,
            name,
            line.national_id_masked,
            mask_phone(valid_phone),
            national_id=valid_id,
            phone=valid_phone,
        )
    return line


def _mark_registered(lines: list[SheetLine]) -> list[SheetLine]:
    cipher = keyring().pii
    fingerprints = {line.row: cipher.fingerprint(line.national_id) for line in lines if line.ok}
    taken = registered_national_ids(fingerprints.values())
    return [
        _problem(line, "registered") if fingerprints.get(line.row) in taken else line
        for line in lines
    ]


def _problem(line: SheetLine, problem: str, **values: int) -> SheetLine:
    code, reason = _said(problem, **values)
    return SheetLine(
        line.row,
        line.name,
        line.national_id_masked,
        line.phone_masked,
        code,
        reason,
        national_id=line.national_id,
        phone=line.phone,
    )


def _said(problem: str, **values: int) -> tuple[str, str]:
    return problem, OPENING_PROBLEM_TEXT[problem].format(**values)


def national_id_problem(message: str) -> str:
    """What is wrong with a national ID, in Chinese, from :class:`NationalIdError`'s words."""
    return OPENING_PROBLEM_TEXT[_id_problem(message)]


def _id_problem(message: str) -> str:
    if "check character" in message:
        return "national_id_check"
    if "birth date" in message:
        return "national_id_birth"
    return "national_id_shape"


def _sheet_error_text(message: str) -> str:
    """The intake's reasons are English; the clerk reads Chinese (the original kept after it)."""
    if message.startswith("More than"):
        return f"行数超过 {MAX_SHEET_ROWS} 行，请拆分后分批上传。"
    if any("\u4e00" <= char <= "\u9fff" for char in message):
        return message
    return f"无法读取此文件，请另存为 XLSX 或 CSV (UTF-8) 后重新上传。（{message}）"


def _file_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={"file": [message]})


def _require_workstation(principal: Principal) -> None:
    if principal.role is not Role.WORKSTATION:
        raise Forbidden("Only the workstation opens accounts")
