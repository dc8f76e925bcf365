"""Finding a learner from one line a clerk types: an account number (as printed, with blanks or
hyphens too), a national ID, or a name. The line says which it is by its shape; a number that
has the shape but fails its check digit is a 422 on ``q``, never a search by name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from creditbank.domain.errors import ValidationFailed
from creditbank.services import learners
from creditbank.services.learners import LearnerView
from creditbank.services.openings import national_id_problem
from creditbank.services.pagination import Page

_SEPARATORS = re.compile(r"[\s-]+")
_ACCOUNT_SHAPE = re.compile(r"\d{12}", re.ASCII)
_NATIONAL_ID_SHAPE = re.compile(r"\d{17}[\dX]", re.ASCII)
MAX_QUERY = 100
BY_ACCOUNT, BY_NATIONAL_ID, BY_NAME = "account_number", "national_id", "name"


@dataclass(frozen=True)
class Found:
    key: str  # BY_ACCOUNT, BY_NATIONAL_ID or BY_NAME
    page: Page[LearnerView]


def search_learners(text: str, cursor: str | None, limit: int) -> Found:
    line = unicodedata.normalize("NFKC", text or "").strip()
    if not line:
        raise _query_error("请输入姓名、学习账号或身份证号。")
    if len(line) > MAX_QUERY:
        raise _query_error(f"查询内容不能超过 {MAX_QUERY} 个字。")
    compact = _SEPARATORS.sub("", line).upper()
    try:
        if _NATIONAL_ID_SHAPE.fullmatch(compact):
            return Found(BY_NATIONAL_ID, learners.search_by_national_id(compact))
        if _ACCOUNT_SHAPE.fullmatch(compact):
            page = learners.find_learners(
                account_number=compact, name=None, cursor=None, limit=limit
            )
            return Found(BY_ACCOUNT, page)
    except ValidationFailed as exc:
        raise _query_error(_why(exc)) from None
    page = learners.find_learners(account_number=None, name=line, cursor=cursor, limit=limit)
    return Found(BY_NAME, page)


def _why(exc: ValidationFailed) -> str:
    errors = exc.errors or {}
    if "national_id" in errors:
        return national_id_problem(" ".join(errors["national_id"])) + "，请核对后重新输入。"
    return "学习账号校验位不符（可能输错了某一位），请核对后重新输入。"


def _query_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={"q": [message]})
