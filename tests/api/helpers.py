"""Small helpers shared by the HTTP tests; written from API.md, not from creditbank's code."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PROBLEM_JSON = "application/problem+json"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NO_TRACEBACK = ("Traceback", 'File "')

# GB 11643-1999 check character (ISO 7064 MOD 11-2), written out here on purpose so that the
# tests do not trust creditbank's own implementation.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def national_id(region: str = "500235", born: str = "19900101", serial: str = "123") -> str:
    """A valid 18-character resident identity number."""
    first17 = f"{region}{born}{serial}"
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def with_wrong_check(valid: str) -> str:
    """The same number with a check character that does not match."""
    wrong = "0" if valid[-1] != "0" else "1"
    return valid[:-1] + wrong


def shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


def shanghai_tomorrow() -> str:
    return (shanghai_today() + timedelta(days=1)).isoformat()


def assert_problem(response: Any, status: int, slug: str, *fields: str) -> dict[str, Any]:
    """An RFC 9457 problem of this status and slug, naming at least ``fields`` in ``errors``."""
    body = response.get_json(force=True, silent=True)
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == PROBLEM_JSON, response.mimetype
    assert isinstance(body, dict), response.get_data(as_text=True)
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["type"] == slug, body
    assert body["status"] == status, body
    text = response.get_data(as_text=True)
    assert not any(marker in text for marker in NO_TRACEBACK), text
    if fields:
        assert "errors" in body, body
        missing = [name for name in fields if name not in body["errors"]]
        assert not missing, (missing, body["errors"])
    return body


def walk_pages(api: Any, path: str, headers: dict[str, str], limit: int = 50) -> list[Any]:
    """Every item of a list endpoint, following ``next_cursor`` to the end."""
    items: list[Any] = []
    cursor = None
    separator = "&" if "?" in path else "?"
    for _ in range(10_000):
        query = f"{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = api.get(path + query, headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["items"]) <= limit
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


def ledger_of(api: Any, learner_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    return walk_pages(api, f"/api/v1/learners/{learner_id}/ledger", headers, limit=500)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
