"""Colleges, programmes and catalogues for the catalogue tests.

Colleges and programmes are written straight through the models (their endpoints are another
part's); a college's client is made as the CLI makes one.
"""

from __future__ import annotations

import copy
import io
import os
from typing import Any

from creditbank.college_models import College, Programme
from creditbank.domain.ids import new_id
from creditbank.domain.roles import Role
from creditbank.services.clients import create_client
from creditbank.services.transaction import utcnow, write_transaction
from tests.unit.transfer_factories import C1

PROGRAMMES = "/api/v1/programmes"
CATALOGUES = "/api/v1/catalogues"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# C1 as the upload's form fields carry it (the sheet carries its courses).
C1_FORM = {
    "name": C1["name"],
    "effective_from": C1["effective_from"],
    "total_credits": C1["total_credits"],
    "share_percent": "50",
    "online_share_percent": "25",
    "per_source": "8.0",
}


def new_college(school_code: str | None = None, name: str = "渝东北职业技术学院") -> str:
    code = school_code or f"CQ{os.urandom(3).hex().upper()}"
    with write_transaction() as session:
        college = College(id=new_id("col"), school_code=code, name=name, created_at=utcnow())
        session.add(college)
    return college.id


def new_programme(college_id: str, code: str = "510203", name: str = "软件技术") -> str:
    with write_transaction() as session:
        programme = Programme(
            id=new_id("pg"),
            college_id=college_id,
            code=code,
            name=name,
            level_code="21",
            category_code="30",
            created_at=utcnow(),
        )
        session.add(programme)
    return programme.id


def college_headers(api: Any, college_id: str, name: str = "教务处 李老师") -> dict[str, str]:
    credentials = create_client(Role.COLLEGE, name, college_id=college_id)
    return api.token_for(credentials.client_id, credentials.client_secret)


def c1(**changes: Any) -> dict[str, Any]:
    """Catalogue C1 of PROGRAMMES.md with top-level keys replaced."""
    return {**copy.deepcopy(C1), **changes}


def publish(api: Any, programme_id: str, headers: dict[str, str], **changes: Any):
    return api.post(f"{PROGRAMMES}/{programme_id}/catalogues", headers, json=c1(**changes))


def upload(
    api: Any,
    programme_id: str,
    headers: dict[str, str],
    content: bytes,
    *,
    dry_run: bool = False,
    filename: str = "catalogue.csv",
    **form: str,
):
    fields: dict[str, Any] = {**C1_FORM, **form}
    fields = {key: value for key, value in fields.items() if value is not None}
    fields["file"] = (io.BytesIO(content), filename)
    path = f"{PROGRAMMES}/{programme_id}/catalogues/upload" + ("?dry_run=true" if dry_run else "")
    return api.post(path, headers, data=fields, content_type="multipart/form-data")


def csv_bytes(*rows: list[str] | tuple[str, ...]) -> bytes:
    """A CSV (UTF-8) of these rows, the first being the header."""
    import csv

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")
