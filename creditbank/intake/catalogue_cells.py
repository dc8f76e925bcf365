"""The cells of a catalogue sheet (PROGRAMMES.md § Endpoints, *Catalogues*): the words a college
types for courses and equivalences, read into a catalogue document's values, and written back
from them, so that a downloaded sheet uploads again as the same catalogue.

Chinese words and the document's own codes are both accepted (``实践`` or ``practice``). Words
that name nothing are refused here, with the words that would do; numbers are passed on as
numbers for :func:`creditbank.transfer.validate_catalogue_document` to range-check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from creditbank.intake.outcome_sheets import VALUE_NAMES, normal_header
from creditbank.transfer.equivalence_documents import GRADE_WORDS, SCORE_GRADE

COURSE_KINDS = {"理论": "theory", "实践": "practice"}
EQUIVALENCE_KINDS = {
    "证书": "certificate",
    "技能等级": "skill_level",
    "竞赛": "competition",
    "课程": "course",
    "学分": "credits",
}
CERTIFICATE_LEVELS: Mapping[str, Any] = VALUE_NAMES[("certificate", "level")]  # 初级 → junior
SKILL_LEVELS: Mapping[str, Any] = VALUE_NAMES[("skill_level", "level")]  # 五级, 初级工 → 5
SCOPES: Mapping[str, Any] = VALUE_NAMES[("competition", "scope")]  # 省级 → provincial
RANKS: Mapping[str, Any] = VALUE_NAMES[("competition", "rank")]  # 一等奖 → 1
SKILL_LEVEL_WORDS = {5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级"}  # as written back
ONLINE = {"是": True, "否": False, "true": True, "false": False, "yes": True, "no": False}
SCORE_WORD = "原成绩"  # the course outcome's own score (the document's "score")
_LIST_SEPARATORS = re.compile(r"[、;；,，\s]+")
_INTEGER = re.compile(r"[+-]?\d+")


class CellError(ValueError):
    """A cell that names nothing the document knows; the message says what it may hold."""


def _word(text: str, words: Mapping[str, Any], codes: tuple[Any, ...], hint: str) -> Any:
    normal = normal_header(text)
    for word, code in words.items():
        if normal == normal_header(word):
            return code
    for code in codes:
        if normal == str(code).lower():
            return code
    raise CellError(f"Must be {hint}.")


def _options(words: Mapping[str, Any]) -> str:
    return "/".join(words)


def course_kind(text: str) -> str:
    values = tuple(COURSE_KINDS.values())
    return str(_word(text, COURSE_KINDS, values, "理论 or 实践 (theory or practice)"))


def equivalence_kind(text: str) -> str:
    values = tuple(EQUIVALENCE_KINDS.values())
    hint = f"{_options(EQUIVALENCE_KINDS)} (or {'/'.join(values)})"
    return str(_word(text, EQUIVALENCE_KINDS, values, hint))


def min_level(text: str, kind: str) -> Any:
    """A certificate's level (``junior``…) or a skill level's number (1–5)."""
    if kind == "certificate":
        levels = tuple(dict.fromkeys(CERTIFICATE_LEVELS.values()))
        return _word(text, CERTIFICATE_LEVELS, levels, "初级/中级/高级")
    if _INTEGER.fullmatch(text):
        return int(text)
    return _word(text, SKILL_LEVELS, (), "五级…一级 or 1–5")


def scopes(text: str) -> list[str]:
    names = tuple(dict.fromkeys(SCOPES.values()))
    parts = [part for part in _LIST_SEPARATORS.split(text) if part]
    return [str(_word(part, SCOPES, names, "国家级、省级、市级 or 县级")) for part in parts]


def whole_or_word(text: str, words: Mapping[str, Any] | None = None) -> Any:
    """A whole number (a rank may be a word, 一等奖): as an int; other text as it is, for the
    document's own check to refuse with its range."""
    if words and text in words:
        return words[text]
    return int(text) if _INTEGER.fullmatch(text) else text


def online(text: str) -> bool:
    return bool(_word(text, ONLINE, (), "是 or 否"))


def grade(text: str, kind: str) -> Any:
    """A grade word, 原成绩 (the source's own score), or words by level: ``高级=优秀;中级=良好``."""
    normal = normal_header(text)
    if normal in GRADE_WORDS:
        return normal
    if normal in (SCORE_WORD, SCORE_GRADE):
        return SCORE_GRADE
    if "=" not in normal:
        words = _options(dict.fromkeys(GRADE_WORDS))
        raise CellError(f"Must be {words}, {SCORE_WORD}, or words by level: 高级=优秀;中级=良好.")
    by_level: dict[str, str] = {}
    for part in (part for part in _LIST_SEPARATORS.split(normal) if part):
        level, _, word = part.partition("=")
        by_level[_grade_level(level, kind)] = word
    return by_level


def _grade_level(text: str, kind: str) -> str:
    if kind == "certificate":
        return str(min_level(text, kind))
    if kind == "skill_level":
        return str(min_level(text, kind))
    if kind == "competition":
        return str(_word(text, RANKS, (1, 2, 3), "一等奖/二等奖/三等奖 or 1–3"))
    raise CellError("Grades by level are for 证书, 技能等级 and 竞赛 only.")


# --- written back ----------------------------------------------------------------------------


def _name_of(words: Mapping[str, Any], code: Any) -> str:
    return next((word for word, value in words.items() if value == code), str(code))


def course_kind_text(kind: str) -> str:
    return _name_of(COURSE_KINDS, kind)


def equivalence_kind_text(kind: str) -> str:
    return _name_of(EQUIVALENCE_KINDS, kind)


def min_level_text(level: Any, kind: str) -> str:
    if level is None:
        return ""
    if kind == "certificate":
        return _name_of(CERTIFICATE_LEVELS, level)
    return SKILL_LEVEL_WORDS.get(level, str(level))


def scopes_text(values: list[str]) -> str:
    return "、".join(_name_of(SCOPES, scope) for scope in values)


def rank_text(rank: int) -> str:
    return _name_of(RANKS, rank)


def online_text(value: bool) -> str:
    return "是" if value else "否"


def grade_text(value: Any, kind: str) -> str:
    if value == SCORE_GRADE:
        return SCORE_WORD
    if isinstance(value, str):
        return value
    return ";".join(f"{_grade_level_text(level, kind)}={word}" for level, word in value.items())


def _grade_level_text(level: str, kind: str) -> str:
    if kind == "competition":
        return rank_text(int(level))
    return min_level_text(level if kind == "certificate" else int(level), kind)
