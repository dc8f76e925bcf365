"""Catalogue C1 of PROGRAMMES.md and the Yunyang ruleset, for the transfer tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from creditbank.conversion import ruleset_from_document
from creditbank.transfer import Catalogue, catalogue_from_document

ROOT = Path(__file__).resolve().parents[2]
YUNYANG = ruleset_from_document(
    "rs_yy",
    1,
    json.loads((ROOT / "config" / "rulesets" / "yunyang-2026.json").read_text(encoding="utf-8")),
)

C1: dict[str, Any] = {
    "name": "软件技术专业（高职专科）学分转换目录 2026",
    "effective_from": "2026-09-01T00:00:00+08:00",
    "total_credits": "120.0",
    "caps": {"share_percent": 50, "online_share_percent": 25, "per_source": "8.0"},
    "courses": [
        {"code": "WEB101", "name": "Web前端开发", "credits": "4.0", "kind": "practice",
         "equivalences": [{"kind": "certificate", "certificate_code": "1X-WEB-FRONTEND",
                           "min_level": "intermediate",
                           "grade": {"senior": "优秀", "intermediate": "良好"}}]},
        {"code": "JS102", "name": "JavaScript程序设计", "credits": "3.0", "kind": "theory",
         "equivalences": [{"kind": "certificate", "certificate_code": "1X-WEB-FRONTEND",
                           "min_level": "senior", "grade": "优秀"},
                          {"kind": "course", "course_code": "CS-JS-01",
                           "institution": "中国大学MOOC", "min_score": 60, "online": True,
                           "grade": "score"}]},
        {"code": "UI103", "name": "网页设计与制作", "credits": "2.0", "kind": "practice",
         "equivalences": [{"kind": "certificate", "certificate_code": "1X-WEB-FRONTEND",
                           "min_level": "senior", "grade": "良好"}]},
        {"code": "ICT100", "name": "信息技术基础", "credits": "2.0", "kind": "theory",
         "equivalences": [{"kind": "certificate", "certificate_code": "NCRE-2", "grade": "合格"}]},
        {"code": "PRAC201", "name": "专业综合实训", "credits": "3.0", "kind": "practice",
         "equivalences": [{"kind": "credits", "category": "practice", "min_credits": "3.0",
                           "grade": "合格"}]},
        {"code": "MATH101", "name": "高等数学", "credits": "4.0", "kind": "theory",
         "equivalences": []},
    ],
}  # fmt: skip


def c1(
    catalogue_id: str = "cat_1", programme_id: str = "pg_1", version: int = 1, **changes: Any
) -> Catalogue:
    """Catalogue C1 of PROGRAMMES.md, with top-level keys replaced (``total_credits=…``)."""
    document = {**copy.deepcopy(C1), **changes}
    return catalogue_from_document(catalogue_id, programme_id, version, document)
