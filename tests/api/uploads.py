"""Spreadsheet uploads as a client makes them: files built in memory, posted to
POST /outcomes/upload, and what a provider has posted since."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from tests.api.helpers import walk_pages

UPLOAD = "/api/v1/outcomes/upload"
HOURS_HEADER = ["学员编号", "外部编号", "成果类型", "获得日期", "类别", "学时"]


def csv_bytes(header: list[str], rows: list[list[Any]], *, bom: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(api: Any, headers: dict[str, str], content: bytes, name: str, **query: Any):
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return api.post(
        UPLOAD + suffix,
        headers,
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def posted(api: Any, provider_id: str) -> list[dict[str, Any]]:
    return walk_pages(api, f"/api/v1/outcomes?provider_id={provider_id}", api.workstation, 500)


def provider_bank(api: Any) -> dict[str, Any]:
    """A ruleset in force, a provider's headers and one learner."""
    api.publish_ruleset()
    provider_id, provider = api.new_provider()
    return {"provider_id": provider_id, "provider": provider, "learners": [api.new_learner()]}
