"""Plain sentences for every reason and status: Chinese for transcripts, English for API docs."""

from __future__ import annotations

from creditbank.conversion.model import Reason, Status

# (中文, English)
REASON_TEXT: dict[Reason, tuple[str, str]] = {
    Reason.CREDITED: (
        "已按转换规则认定学分。",
        "Credited under the conversion rule.",
    ),
    Reason.ACCUMULATING: (
        "培训学时正在累计，未满一个学分档的学时留待与同类别后续学时合并计算。",
        "Training hours are accumulating; hours short of the next credit step carry over to "
        "later training in the same category.",
    ),
    Reason.EXPIRED: (
        "登记时该成果已超过有效期，不予转换。",
        "The outcome had expired when it was recorded, so it earns nothing.",
    ),
    Reason.SUPERSEDED: (
        "同一证书或同一职业已有同级或更高等级的成果，只按最高等级计算学分。",
        "The same certificate or occupation already counts at the same or a higher level; "
        "only the highest level earns credits.",
    ),
    Reason.DUPLICATE: (
        "该成果此前已经登记（同一证书编号、同一赛事或已通过的同一课程），不重复认定。",
        "The same outcome was recorded before (same certificate number, competition event or "
        "passed course), so it earns nothing again.",
    ),
    Reason.FAILED: (
        "课程成绩未达到合格分数线，未获得学分。",
        "The course score is below the pass mark, so it earns nothing.",
    ),
    Reason.CAPPED: (
        "已达到本年度或本类别的学分认定上限，只认定剩余额度。",
        "The yearly or category credit cap was reached; only the remainder was credited.",
    ),
    Reason.PENDING_REVIEW: (
        "转换规则未覆盖该成果，等待学分银行工作站人工认定。",
        "No conversion rule covers this outcome; it awaits a review by the workstation.",
    ),
    Reason.NO_RULESET: (
        "登记时尚无生效的转换规则，等待学分银行工作站人工认定。",
        "No ruleset was in force when the outcome was recorded; it awaits a review by the "
        "workstation.",
    ),
    Reason.CERTIFICATE_NO_REUSED: (
        "该证书编号已在另一名学习者的账户中认定过学分，等待学分银行工作站人工核查认定。",
        "The same certificate number was already credited on another learner's account; it "
        "awaits a review by the workstation.",
    ),
    Reason.REVIEWED: (
        "学分由学分银行工作站人工认定。",
        "The credits were decided by a workstation review.",
    ),
    Reason.VOIDED: (
        "该成果已被撤销，不计学分。",
        "The outcome was voided and earns nothing.",
    ),
}

STATUS_TEXT: dict[Status, tuple[str, str]] = {
    Status.CREDITED: ("已转换为学分。", "Converted into credits."),
    Status.NOT_CREDITED: ("未转换为学分。", "Not converted into credits."),
    Status.PENDING_REVIEW: ("等待人工认定。", "Awaiting a review by the workstation."),
    Status.VOIDED: ("已撤销。", "Voided."),
}

LANGUAGES = ("zh", "en")


def describe(value: Reason | Status, lang: str = "zh") -> str:
    """The sentence for a reason or a status, in ``"zh"`` (default) or ``"en"``."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}")
    # Reason and Status share some string values, so look up by the enum the value belongs to.
    texts = STATUS_TEXT[value] if isinstance(value, Status) else REASON_TEXT[Reason(value)]
    return texts[LANGUAGES.index(lang)]
