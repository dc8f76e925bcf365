"""The college half's worked example (PROGRAMMES.md): catalogue C1, the S1 outcomes, and a
bank with college CQ1024, programme 510203 and 张三 enrolled, built through the API (or, in
process, through the models: :func:`seed_programme`)."""

from __future__ import annotations

import copy
import itertools
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

# A college's programme codes are unique, and six random digits met by chance in CI (a birthday
# collision among the role matrix's programmes): consecutive codes from a random start never do.
_PROGRAMME_CODES = itertools.count(int.from_bytes(os.urandom(3), "big") % 10**6)


def programme_code() -> str:
    """A six-digit programme code that no other call in this process has given."""
    return f"{next(_PROGRAMME_CODES) % 10**6:06d}"


# Catalogue C1 of PROGRAMMES.md, as the docs' walkthrough publishes it.
C1: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "config/catalogues/example-510203.json").read_text(
        encoding="utf-8"
    )
)

ZHANG_SAN_ID = "11010519491231002X"


def catalogue(**overrides: Any) -> dict[str, Any]:
    document = copy.deepcopy(C1)
    document.update(overrides)
    return document


def s1_outcomes(learner_id: str, tag: str = "") -> dict[str, dict[str, Any]]:
    """The S1 outcomes' bodies by short name (another learner's copies: another ``tag``)."""
    suffix = tag or os.urandom(3).hex()

    def body(**fields: Any) -> dict[str, Any]:
        return {"learner_id": learner_id, "external_ref": f"s1-{os.urandom(6).hex()}", **fields}

    return {
        "CERT": body(
            kind="certificate",
            certificate_code="1X-WEB-FRONTEND",
            level="senior",
            certificate_no=f"WEB-S-0001{suffix}",
            achieved_on="2026-06-01",
            title="Web前端开发职业技能等级证书（高级）",
        ),
        "NCRE": body(
            kind="certificate",
            certificate_code="NCRE-2",
            certificate_no=f"NCRE-0001{suffix}",
            achieved_on="2026-03-20",
            title="全国计算机等级考试二级",
        ),
        "H1": body(
            kind="training_hours",
            category="practice",
            hours="48",
            achieved_on="2026-05-15",
            title="网页制作实训",
        ),
        "H2": body(
            kind="training_hours",
            category="practice",
            hours="36",
            achieved_on="2026-07-10",
            title="前端项目实训",
        ),
        "MOOC": body(
            kind="course",
            course_code="CS-JS-01",
            credits="3",
            score=85,
            institution="中国大学MOOC",
            achieved_on="2026-04-30",
            title="JavaScript程序设计（慕课）",
        ),
    }


@dataclass
class Learner:
    learner_id: str
    outcomes: dict[str, str] = field(default_factory=dict)  # short name -> outcome id


def worked_example_items(o: dict[str, str]) -> list[dict[str, Any]]:
    """The five items of PROGRAMMES.md § Applications."""
    return [
        {"course_code": "WEB101", "outcome_ids": [o["CERT"]]},
        {"course_code": "JS102", "outcome_ids": [o["CERT"]]},
        {"course_code": "UI103", "outcome_ids": [o["CERT"]]},
        {"course_code": "ICT100", "outcome_ids": [o["NCRE"]]},
        {"course_code": "PRAC201", "outcome_ids": [o["H1"], o["H2"]]},
    ]


@dataclass(frozen=True)
class SeededProgramme:
    college_id: str
    programme_id: str
    college: dict[str, str]  # the headers of a client of the college


def seed_programme(
    api: Any,
    learner_id: str,
    school_code: str = "CQ1024",
    college_name: str = "渝东北职业技术学院",
    student_no: str = "2026510203001",
) -> SeededProgramme:
    """In process (the test's app context, whose session the requests share): a college,
    its programme 510203 软件技术 (level 21, category 30) with C1, the learner enrolled, and a
    client of the college, inserted through the models rather than the colleges API."""
    from creditbank.college_models import CatalogueVersion, College, Enrolment, Programme
    from creditbank.domain.canonical import canonical_bytes
    from creditbank.domain.ids import new_id
    from creditbank.domain.roles import Role
    from creditbank.extensions import db
    from creditbank.services.clients import create_client
    from creditbank.transfer import validate_catalogue_document

    now = datetime.now(UTC)
    college_id, programme_id = new_id("col"), new_id("pg")
    document = validate_catalogue_document(C1)
    db.session.add(
        College(id=college_id, school_code=school_code, name=college_name, created_at=now)
    )
    db.session.flush()
    db.session.add(
        Programme(
            id=programme_id,
            college_id=college_id,
            code="510203",
            name="软件技术",
            level_code="21",
            category_code="30",
            created_at=now,
        )
    )
    db.session.flush()
    db.session.add_all(
        [
            CatalogueVersion(
                id=new_id("cat"),
                programme_id=programme_id,
                version=1,
                name=document["name"],
                effective_from=datetime.fromisoformat(document["effective_from"]),
                document=canonical_bytes(document).decode(),
                published_at=now,
            ),
            Enrolment(
                learner_id=learner_id,
                programme_id=programme_id,
                student_no=student_no,
                enrolled_on=date(2026, 9, 1),
                created_at=now,
            ),
        ]
    )
    db.session.commit()
    credentials = create_client(Role.COLLEGE, "教务处 李老师", college_id=college_id)
    college = api.token_for(credentials.client_id, credentials.client_secret)
    return SeededProgramme(college_id, programme_id, college)
