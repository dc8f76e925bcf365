"""Every word the service shows people, in one place: outcome kinds, categories, levels,
statuses, roles, audit checks and one-line outcome summaries, in Chinese (the county's
language) and, where a document goes further, English (for colleges elsewhere).

The sentences for conversion reasons live beside the engine that decides them
(:mod:`creditbank.conversion.reasons`); everything else a page, a sheet or a document calls
by name is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from creditbank.conversion import SHANGHAI
from creditbank.domain.canonical import parse_instant

Bilingual = dict[str, str]  # {"zh": ..., "en": ...}

KIND_TEXT: dict[str, tuple[str, str]] = {
    "training_hours": ("培训学时", "Training hours"),
    "certificate": ("职业技能等级证书", "Vocational skills certificate"),
    "skill_level": ("职业技能等级认定", "National occupational skill level"),
    "competition": ("技能竞赛获奖", "Skills competition award"),
    "course": ("课程学分", "Accredited course"),
    "informal": ("非正式学习成果", "Informal learning"),
}

CATEGORY_TEXT: dict[str, tuple[str, str]] = {
    "theory": ("理论", "theory"),
    "practice": ("实践", "practice"),
    "general": ("通识", "general"),
    **{kind: texts for kind, texts in KIND_TEXT.items()},
}

CERTIFICATE_LEVEL_TEXT = {
    "junior": ("初级", "junior"),
    "intermediate": ("中级", "intermediate"),
    "senior": ("高级", "senior"),
}
# The national five-level scale (国家职业资格五级): a smaller number is a higher level.
SKILL_LEVEL_TEXT = {
    1: ("一级/高级技师", "level 1, senior technician"),
    2: ("二级/技师", "level 2, technician"),
    3: ("三级/高级工", "level 3, senior worker"),
    4: ("四级/中级工", "level 4, intermediate worker"),
    5: ("五级/初级工", "level 5, junior worker"),
}
SCOPE_TEXT = {
    "national": ("国家级", "national"),
    "provincial": ("省级", "provincial"),
    "municipal": ("市级", "municipal"),
    "county": ("县级", "county"),
}
RANK_TEXT = {
    1: ("一等奖", "first prize"),
    2: ("二等奖", "second prize"),
    3: ("三等奖", "third prize"),
}


# The short names a provider types in a sheet's 成果类型 column (the template writes them).
SHEET_KIND_NAMES = {
    "training_hours": "培训学时",
    "certificate": "证书",
    "skill_level": "技能等级",
    "competition": "竞赛",
    "course": "课程",
    "informal": "非正式学习",
}
# An outcome's status in one or two words, for lists (the full sentences: conversion.reasons).
# Who recorded an outcome a learner deposited itself (no provider: services/deposits.py).
SELF_DECLARED = "本人申报"
OUTCOME_STATUS_NAMES = {
    "credited": "已认定",
    "not_credited": "未认定",
    "pending_review": "待审核",
    "voided": "已撤销",
}
ROLE_NAMES = {
    "workstation": "工作站",
    "auditor": "审计员",
    "college": "院校教务",
    "provider": "培训机构",
}
# A college programme's codes in the national conversion record (PROGRAMMES.md § Domain
# model, *Programmes*): 教育层次代码 and 教育类别代码.
PROGRAMME_LEVEL_NAMES = {"20": "本科", "21": "专科", "22": "专升本", "23": "高起本"}
PROGRAMME_CATEGORY_NAMES = {"30": "成人", "31": "普高", "32": "网络", "33": "中职", "34": "自考"}
AUDIT_STATUS_NAMES = {"running": "进行中", "passed": "通过", "failed": "未通过", "error": "出错"}
# What an audit event (creditbank.events.EventTag) records, for the workstation's event log.
EVENT_TAG_NAMES = {
    "api:learner:identity_corrected": "更正学员身份信息",
    "api:learner:identity_erased": "删除学员身份信息",
    "api:college:registered": "登记院校",
    "api:college:renamed": "院校更名",
    "api:college:disabled": "停用院校",
    "api:college:enabled": "启用院校",
    "api:programme:created": "新建专业",
    "api:programme:renamed": "专业更名",
    "api:programme:disabled": "停用专业",
    "api:catalogue:published": "发布课程目录",
    "api:enrolment:created": "登记入学",
    "api:enrolment:reopened": "恢复学籍",
    "api:enrolment:ended": "结束学籍",
    "api:application:filed": "提交转换申请",
    "api:application:withdrawn": "撤回转换申请",
    "api:transfer_item:rejected": "驳回转换项目",
    "api:transfer_item:confirmed": "确认转换项目",
    "web:provider:created": "新建培训机构",
    "web:client:created": "新建接入账号",
    "web:client:disabled": "停用接入账号",
    "web:client:secret_rotated": "更换接入密钥",
    "web:staff:created": "新建工作人员账号",
    "web:staff:disabled": "停用工作人员账号",
    "web:audit:started": "发起审计",
    "web:upload:previewed": "预览代传成果表",
    "web:upload:confirmed": "确认代传成果表",
    "web:upload:finished": "代传成果表登记完成",
    "web:upload:failed": "代传成果表登记失败",
    "web:ruleset:published": "发布转换规则",
    "web:learner:opened": "开户",
    "web:learners:collective_opened": "集体开户",
    "web:learner:password_reset": "重置学员密码",
    "web:outcome:voided": "撤销学习成果",
    "api:document:issued": "出具文件",
    "api:document:revoked": "作废文件",
    "api:credential:revoked": "撤销可验证凭证",
    "api:outcome:deposited": "学员存入学习成果",
    "api:review:decided": "审核学习成果",
}
AUDIT_CHECK_TEXT = {
    "seq_gap": ("序号缺口", "seq does not run 1..n: an entry is missing"),
    "chain_link": ("链接断裂", "prev_hash is not the previous entry's hash, or the head moved"),
    "entry_hash": ("哈希不符", "the hash does not match the entry's content"),
    "balance": ("余额不符", "running or converted totals and the cached balances disagree"),
    "replay": ("重算不符", "re-running the conversion rules gives other credits"),
    "transfer": ("转换不符", "a transfer or reversal is not what the transfer rules make of it"),
    "checkpoint": ("检查点不符", "the signed checkpoint does not match the journal"),
}


def bilingual(texts: tuple[str, str]) -> Bilingual:
    return {"zh": texts[0], "en": texts[1]}


def kind_text(kind: str) -> Bilingual:
    return bilingual(KIND_TEXT.get(kind, (kind, kind)))


def category_text(category: str) -> Bilingual:
    return bilingual(CATEGORY_TEXT.get(category, (category, category)))


def outcome_summary(kind: str, details: Mapping[str, Any], category: str) -> Bilingual:
    """What the outcome was, in one line per language (e.g. 证书 1X-WEB（高级），编号 …)."""
    zh, en = _SUMMARIES.get(kind, _informal)(details, category)
    return {"zh": zh, "en": en}


def _hours(details: Mapping[str, Any], category: str) -> tuple[str, str]:
    zh_category, en_category = CATEGORY_TEXT.get(category, (category, category))
    hours = details.get("hours")
    return f"{zh_category}培训 {hours} 学时", f"{hours} hours of {en_category} training"


def _certificate(details: Mapping[str, Any], _: str) -> tuple[str, str]:
    zh_level, en_level = CERTIFICATE_LEVEL_TEXT.get(details.get("level") or "", ("", ""))
    code, number = details.get("certificate_code"), details.get("certificate_no")
    zh = f"证书 {code}" + (f"（{zh_level}）" if zh_level else "") + f"，证书编号 {number}"
    en = f"Certificate {code}" + (f" ({en_level})" if en_level else "") + f", no. {number}"
    return zh, en


def _skill_level(details: Mapping[str, Any], _: str) -> tuple[str, str]:
    level = details.get("level")
    zh_level, en_level = SKILL_LEVEL_TEXT.get(int(level) if level else 0, (str(level), str(level)))
    occupation, number = details.get("occupation_code"), details.get("certificate_no")
    return (
        f"职业 {occupation} {zh_level}，证书编号 {number}",
        f"Occupation {occupation}, {en_level}, certificate no. {number}",
    )


def _competition(details: Mapping[str, Any], _: str) -> tuple[str, str]:
    zh_scope, en_scope = SCOPE_TEXT.get(details.get("scope") or "", ("", ""))
    rank = details.get("rank")
    zh_rank, en_rank = RANK_TEXT.get(int(rank) if rank else 0, (f"第{rank}名", f"rank {rank}"))
    event = details.get("event")
    return f"{zh_scope}竞赛“{event}”{zh_rank}", f"{en_rank.capitalize()}, {en_scope} {event}"


def _course(details: Mapping[str, Any], _: str) -> tuple[str, str]:
    code, institution = details.get("course_code"), details.get("institution")
    credits, score = details.get("credits"), details.get("score")
    return (
        f"{institution} 课程 {code}，{credits} 学分，成绩 {score}",
        f"Course {code} at {institution}, {credits} credits, score {score}",
    )


def _informal(details: Mapping[str, Any], _: str) -> tuple[str, str]:
    description = details.get("description") or ""
    return description, description


_SUMMARIES = {
    "training_hours": _hours,
    "certificate": _certificate,
    "skill_level": _skill_level,
    "competition": _competition,
    "course": _course,
    "informal": _informal,
}


def shanghai_time(instant: str, *, with_time: bool = True) -> str:
    """An RFC 3339 instant as the wall-clock time in Yunyang (Asia/Shanghai)."""
    local = parse_instant(instant).astimezone(SHANGHAI)
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def rule_text(rule: str | None) -> Bilingual:
    """The rule reference of a credit (``certificates.1X-WEB.senior``) as a sentence."""
    if not rule:
        return {"zh": "—", "en": "—"}
    table, _, key = rule.partition(".")
    if rule == "review":
        return bilingual(("学分银行工作站人工认定", "decided by a workstation review"))
    if table == "course_min_score":
        return bilingual(("课程成绩达到合格线，按课程学分认定", "course passed: its own credits"))
    code, _, level = key.partition(".")
    level_zh = CERTIFICATE_LEVEL_TEXT.get(level, (level, level))[0]
    texts = {
        "hours_per_credit": (
            f"培训学时折算（{CATEGORY_TEXT.get(key, (key, key))[0]}）",
            f"training hours per credit ({key})",
        ),
        "certificates": (
            f"证书学分表 {code}（{level_zh}）" if level else f"证书学分表 {key}",
            f"certificate table {key}",
        ),
        "skill_levels": (f"职业技能等级学分表 {key} 级", f"skill level table, level {key}"),
        "competitions": (f"竞赛学分表 {key}", f"competition table {key}"),
    }
    return bilingual(texts.get(table, (rule, rule)))


# A ruleset's fields (API.md § Rulesets), as the console's tables and comparisons name them.
RULESET_FIELD_NAMES = {
    "name": "名称",
    "effective_from": "生效时间",
    "credit_step": "学分步长",
    "validity_years": "成果有效期（年）",
    "hours_per_credit": "培训学时折算（每学分学时）",
    "certificates": "证书学分表",
    "skill_levels": "职业技能等级学分表",
    "competitions": "竞赛学分表",
    "course_min_score": "课程合格分数",
    "caps": "学分上限",
    "per_year": "每年上限",
    "per_category": "各类别上限",
}
RULESET_STATUS_NAMES = {"in_force": "现行", "scheduled": "待生效", "superseded": "已被取代"}
UPLOAD_STATUS_NAMES = {
    "previewed": "已预览（未确认）",
    "running": "登记中",
    "done": "已完成",
    "failed": "失败",
}
# Why a row of a collective-opening sheet (集体开户) opens no account (services/openings.py).
OPENING_PROBLEM_TEXT = {
    "name_missing": "姓名为空",
    "name_too_long": "姓名超过 100 个字",
    "national_id_missing": "身份证号为空",
    "national_id_shape": "身份证号格式不对：应为 17 位数字加 1 位数字或 X",
    "national_id_check": "身份证号校验位不符（可能输错了某一位）",
    "national_id_birth": "身份证号中的出生日期无效",
    "phone_invalid": "手机号不对：应为 1 开头的 11 位数字",
    "duplicate_in_file": "与第 {row} 行的身份证号重复",
    "registered": "该身份证号已开户，不再重复开户",
}
# A journal entry's kind, for the learner page's ledger.
ENTRY_KIND_NAMES = {
    "outcome": "登记成果",
    "credit": "认定学分",
    "void": "撤销成果",
    "review": "审核",
    "transfer": "转换学分",
    "reversal": "撤回转换",
}
