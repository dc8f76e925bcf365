"""The checks' messages in Chinese, for the console: the intake (a sheet's rows) and the ruleset
check speak English (the API's problem+json), and the console's pages say the same in Chinese.
A sibling of :mod:`creditbank.labels` (every other word shown to people is there)."""

from __future__ import annotations

import re

# The intake and the ruleset checks speak English (the API's problem+json); the console says
# the same in Chinese. Each pattern is matched against the whole message; a message not listed
# is shown as it is (nothing is hidden for want of a translation).
MESSAGE_TEXT: tuple[tuple[str, str], ...] = (
    (r"Missing data for required field\.", "必填，不能为空。"),
    (r"required", "必填。"),
    (r"Not a valid date\.", "不是有效日期，请写成 YYYY-MM-DD。"),
    (r"Must not be in the future\.", "不能晚于今天。"),
    (r"Not a valid integer\.", "应为整数。"),
    (r"Not a valid string\.", "应为文字。"),
    (r"Unknown field\.", "未知字段。"),
    (r"unknown field", "未知字段。"),
    (r"Must be at least (.+)\.", r"不能小于 \1。"),
    (r"Must be at most (.+)\.", r"不能大于 \1。"),
    (
        r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.",
        r"应在 \1 至 \2 之间。",
    ),
    (r"Longer than (\S+) characters\.", r"超过 \1 个字符。"),
    (r"Length must be between (\d+) and (\d+)\.", r"长度应为 \1 至 \2 个字符。"),
    (r"Must be one of: (.+)\.", r"应为以下之一：\1。"),
    (r"String does not match expected pattern\.", "格式不正确。"),
    (r"must be a decimal such as 2\.5", "应为数字，如 2.5。"),
    (r"at most one digit after the decimal point", "至多一位小数。"),
    (r"must be a finite decimal", "应为有限的数字。"),
    (r"is far too large", "数值过大。"),
    (
        r"must be a decimal number or string, not a float or boolean",
        '应写成字符串形式的数字，如 "2.0"。',
    ),
    (r"must be greater than 0", "应大于 0。"),
    (r"must not be negative", "不能为负数。"),
    (r"must be an object", "应为 JSON 对象。"),
    (r"must be a whole number from (\d+) to (\d+)", r"应为 \1 至 \2 之间的整数。"),
    (r"must be text of 1–(\d+) characters", r"应为 1 至 \1 个字符的文字。"),
    (
        r"must be an RFC 3339 instant with offset.*",
        "应为带时区的时间，如 2026-01-01T00:00:00+08:00。",
    ),
    (
        r"must be a name of 1–(\d+) characters.*",
        r"应为 1 至 \1 个字符的名称，不含点号、首尾无空格。",
    ),
    (
        r"must give one amount, or amounts for junior/intermediate/senior",
        "应给出一个学分值，或初级/中级/高级各自的学分值。",
    ),
    (
        r"must be junior, intermediate or senior",
        "等级应为 junior（初级）、intermediate（中级）或 senior（高级）。",
    ),
    (r"must be a level from 1 \(highest\) to 5 \(lowest\)", "等级应为 1（最高）至 5（最低）。"),
    (r"given twice", "重复给出。"),
    (
        r"must be national, provincial, municipal or county",
        "范围应为 national（国家级）、provincial（省级）、municipal（市级）或 county（县级）。",
    ),
    (r"must be a list of amounts by rank.*", "应为按名次排列的学分列表（一等奖在前）。"),
    (r"must list at most (\d+) ranks", r"至多列出 \1 个名次。"),
    (r"No learner with this id\.", "没有此学员编号的学员。"),
    (r"Already used with a different body\.", "此外部编号已用于内容不同的另一条成果。"),
    (r"Repeats row (\d+) of this file\.", r"与本文件第 \1 行的外部编号重复。"),
    (r"Not a category of ruleset (.+): (.*)", r"不是规则“\1”中的学时类别（可用：\2）。"),
    (r"Unknown column; the columns are (.+)\.", r"未知的列；可用的列为 \1。"),
    (r"Repeats the column (.+)\.", r"与列“\1”重复。"),
    (r"A value under no header\.", "此单元格所在列没有表头。"),
    (r"No rows below the header\.", "表头下没有数据行。"),
    (r"Text may not contain U\+0000 \(NUL\)\.", "文字中不能含有空字符（U+0000）。"),
    (r"Text may not contain a lone UTF-16 surrogate.*", "文字中含有无法保存的字符。"),
    (
        r"This is an Excel 97-2003 \.xls file.*",
        "这是 Excel 97-2003（.xls）文件，请另存为 .xlsx 或 UTF-8 CSV。",
    ),
    (r"The file is empty.*", "文件为空：第一行应为表头。"),
    (r"The sheet runs past row (\d+).*", r"表格在第 \1 行之后仍有内容，请删除多余的空行。"),
    (r"More than (\d+) rows.*", r"超过 \1 行，请拆分文件。"),
    (r"The CSV is neither UTF-8 nor GB18030 text\.", "CSV 文件既不是 UTF-8 也不是 GB18030 编码。"),
    (r"Row (\d+) has more than (\d+) columns.*", r"第 \1 行超过 \2 列，请删除多余的列。"),
    (r"The body is not valid UTF-8 JSON", "文件不是有效的 UTF-8 JSON。"),
    (r"Not a staged file's name", "预览文件的标识无效，请重新上传文件。"),
    (r"The preview has expired; upload the file again", "预览已过期，请重新上传文件。"),
    (r"The staged file is damaged; upload it again", "预览文件已损坏，请重新上传文件。"),
    # a deposit's evidence files (intake/deposits.py)
    (r"Attach at least one evidence file\.", "请至少附上一份证明材料。"),
    (r"(.+): larger than 10 MB\.", r"\1：超过 10 MB，未接收。"),
    (
        r"(.+): not a PDF, JPEG or PNG file \(judged by its content\)\.",
        r"\1：按文件内容判断不是 PDF、JPEG 或 PNG 文件，未接收。",
    ),
    (r"At most (\d+) files\.", r"最多 \1 个文件。"),
)
_MESSAGE_PATTERNS = tuple((re.compile(pattern), text) for pattern, text in MESSAGE_TEXT)


def message_text(message: str) -> str:
    """A check's English message in Chinese (the message itself when it is not listed)."""
    for pattern, text in _MESSAGE_PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            return found.expand(text)
    return message
