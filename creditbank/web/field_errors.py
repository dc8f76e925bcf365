"""A 422's field errors as a page shows them beside each field: one line per field, in Chinese
where the message is one the intake schemas give (the API keeps its English ones)."""

from __future__ import annotations

import re
from collections.abc import Mapping

_EXACT = {
    "Missing data for required field.": "必填。",
    "Field may not be null.": "必填。",
    "Must not be in the future.": "不能晚于今天。",
    "Not a valid date.": "请按 年-月-日 填写日期，例如 2026-03-01。",
    "Not a valid integer.": "请填写整数。",
    "Unknown field.": "不应填写此项。",
    "Attach at least one evidence file.": "请至少附上一份证明材料。",
}
_PATTERNS = (
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"不能超过 \1 个字。"),
    (re.compile(r"^Shorter than minimum length \d+\.$"), "必填。"),
    (re.compile(r"^Must be one of: .*$"), "请从列表中选择。"),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        r"须在 \1 到 \2 之间。",
    ),
    (re.compile(r"^Must be at least (\S+)\.$"), r"不能小于 \1。"),
    (re.compile(r"^Must be at most (\S+)\.$"), r"不能大于 \1。"),
    (re.compile(r"^(.*): larger than 10 MB\.$"), r"\1：超过 10 MB，未接收。"),
    (
        re.compile(r"^(.*): not a PDF, JPEG or PNG file \(judged by its content\)\.$"),
        r"\1：按文件内容判断不是 PDF、JPEG 或 PNG 文件，未接收。",
    ),
    (re.compile(r"^At most (\d+) files\.$"), r"最多 \1 个文件。"),
    (re.compile(r"^Not a category of the ruleset: (.*)$"), r"不是现行规则的类别（可选：\1）。"),
)


def in_chinese(message: str) -> str:
    if message in _EXACT:
        return _EXACT[message]
    for pattern, replacement in _PATTERNS:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    if re.search(r"\d+ places|decimal|amount", message, re.I):
        return "请填写最多一位小数的数字，例如 16 或 2.5。"
    return message


def field_messages(errors: Mapping[str, list[str]]) -> dict[str, str]:
    """``{"field": ["…", …]}`` → ``{"field": "…；…"}`` in Chinese."""
    return {name: "；".join(in_chinese(m) for m in messages) for name, messages in errors.items()}
