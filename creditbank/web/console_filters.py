"""The Jinja filters of the console's upload and ruleset pages: codes shown as Chinese labels."""

from __future__ import annotations

from creditbank.check_messages import message_text
from creditbank.labels import (
    CERTIFICATE_LEVEL_TEXT,
    RANK_TEXT,
    RULESET_FIELD_NAMES,
    RULESET_STATUS_NAMES,
    SCOPE_TEXT,
    SKILL_LEVEL_TEXT,
    UPLOAD_STATUS_NAMES,
    category_text,
)
from creditbank.services.ruleset_tables import CHANGE_NAMES, path_label
from creditbank.web.views import blp

FILTERS = {
    "check_message": message_text,
    "upload_status": lambda status: UPLOAD_STATUS_NAMES.get(status, status),
    "ruleset_status": lambda status: RULESET_STATUS_NAMES.get(status, status),
    "ruleset_field": lambda name: RULESET_FIELD_NAMES.get(name, name),
    "change_label": lambda change: CHANGE_NAMES.get(change, change),
    "ruleset_path": path_label,
    "category_label": lambda code: category_text(code)["zh"],
    "certificate_level": lambda level: CERTIFICATE_LEVEL_TEXT.get(level, (level,))[0],
    "skill_level_label": lambda level: SKILL_LEVEL_TEXT.get(int(level), (str(level),))[0],
    "scope_label": lambda scope: SCOPE_TEXT.get(scope, (scope,))[0],
    "rank_label": lambda rank: RANK_TEXT.get(int(rank), (str(rank),))[0],
}
for _name, _filter in FILTERS.items():
    blp.add_app_template_filter(_filter, _name)
