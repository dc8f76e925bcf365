"""The conversion engine (学分转换): pure functions from a learner's journal to credits."""

from creditbank.conversion.calendar import SHANGHAI, add_years, shanghai_date, shanghai_year
from creditbank.conversion.engine import (
    Evaluator,
    UnknownRuleset,
    credit_changes,
    evaluate,
)
from creditbank.conversion.model import (
    Caps,
    Decision,
    HistoryEntry,
    Outcome,
    OutcomeKind,
    Reason,
    Review,
    Ruleset,
    Status,
    Void,
)
from creditbank.conversion.reasons import REASON_TEXT, STATUS_TEXT, describe
from creditbank.conversion.rulesets import (
    RulesetInvalid,
    ruleset_from_document,
    ruleset_in_force,
    validate_ruleset_document,
)

__all__ = [
    "REASON_TEXT",
    "SHANGHAI",
    "STATUS_TEXT",
    "Caps",
    "Decision",
    "Evaluator",
    "HistoryEntry",
    "Outcome",
    "OutcomeKind",
    "Reason",
    "Review",
    "Ruleset",
    "RulesetInvalid",
    "Status",
    "UnknownRuleset",
    "Void",
    "add_years",
    "credit_changes",
    "describe",
    "evaluate",
    "ruleset_from_document",
    "ruleset_in_force",
    "shanghai_date",
    "shanghai_year",
    "validate_ruleset_document",
]
