"""The college half's words on the console's pages (PROGRAMMES.md § Applications and items):
statuses, eligibility, caps and the refusals of its services, in Chinese."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

APPLICATION_STATUS_NAMES = {"pending": "待处理", "closed": "已办结", "withdrawn": "已撤回"}
ITEM_STATUS_NAMES = {
    "pending": "待审核",
    "approved": "已认定",
    "rejected": "未认定",
    "withdrawn": "已撤回",
    "revoked": "已撤销认定",
}
ELIGIBILITY_NAMES = {
    "eligible": "可申请",
    "recognised": "已认定",
    "in_application": "申请中",
    "not_eligible": "暂无可用成果",
    "no_equivalence": "不可转换",
}
COURSE_KIND_NAMES = {"theory": "理论", "practice": "实践"}
# A cap refusal beside its course: what the cap is, then 已认定 / 申请 / 上限 (cap_sentence).
CAP_NAMES = {"per_source": "单一来源", "online": "在线课程", "share": "专业学分转换比例"}
# The per-source cap by the kind of its claim key (certificate:…, skill_level:…, outcome:…).
SOURCE_CAP_NAMES = {"certificate": "单一证书", "skill_level": "单一技能等级", "outcome": "单一成果"}
# Refusals of the college half's services, as a page says them beside what was refused.
PROBLEM_TEXT = {
    "already_decided": "该课程已作出决定。",
    "not_pending": "该申请已不在待处理状态。",
    "not_enrolled": "学员没有该专业的在读注册。",
    "source_unavailable": "所用成果已不可用（已撤销或学分不足）。",
    "not_approved": "只有已认定的课程可以撤销。",
    "already_revoked": "该课程的认定已撤销。",
    "not_flagged": "该课程没有待确认的来源变化。",
    "outcome_claimed": "所选成果已被另一份申请占用。",
    "course_already_recognised": "该课程已被认定。",
    "course_in_application": "该课程已在另一份待处理申请中。",
    "programme_disabled": "该专业已停止受理新申请。",
    "college_disabled": "该院校已停用。",
    "no_catalogue": "该专业尚无生效的学分转换目录。",
    "invalid_source": "所选成果不能用于该课程。",
    "certificate_not_issued": "该申请尚未办结或没有认定的课程，暂无学分转换证明。",
    "conflict": "该学员已在此专业注册。",
    "unknown_learner": "找不到该学员。",
    "validation_error": "所填内容不符合要求，请检查后重新提交。",
    "idempotency_conflict": "该表单已提交过，请重新打开页面后再提交。",
}


def cap_sentence(cap: Mapping[str, Any]) -> str:
    """A cap refusal's ``cap`` member in words, e.g. 超过单一证书认定上限：已认定 7.0，申请 2.0，
    上限 8.0."""
    name = str(cap.get("name"))
    what = CAP_NAMES.get(name, name)
    key = cap.get("key")
    if name == "per_source" and isinstance(key, str):
        what = SOURCE_CAP_NAMES.get(key.split(":", 1)[0], what)
    return (
        f"超过{what}认定上限：已认定 {cap['recognised']}，申请 {cap['requested']}，"
        f"上限 {cap['limit']}"
    )
