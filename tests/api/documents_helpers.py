"""A learner with credits, its documents issued through the API, the verify page read back."""

from __future__ import annotations

import itertools
import re
from typing import Any

from tests.api.helpers import national_id

NAME = "欧阳小满"
NATIONAL_ID = national_id(serial="618")
_SERIALS = itertools.count(619)
PDF = "application/pdf"
HTML = "text/html"
OFFICE = "重庆市职业教育学分银行云阳县工作站"
STATUS = re.compile(r'id="verify-status"[^>]*data-status="([a-z]+)"')


def learner_with_credits(api: Any, national_id: str | None = None) -> str:
    """16 h of theory (1.0) and 24 h of practice (1.0): two categories on the transcript."""
    if not getattr(api, "_documents_ruleset", False):
        api.publish_ruleset()
        api._documents_ruleset = True
    learner = api.new_learner(name=NAME, national_id=national_id or NATIONAL_ID)
    _, provider = api.new_provider()
    for category, hours in (("theory", "16"), ("practice", "24")):
        response = api.post_outcome(provider, learner, category=category, hours=hours)
        assert response.status_code == 201, response.get_json()
    return learner


def another_id() -> str:
    return national_id(serial=str(next(_SERIALS)))


def issue_transcript(api: Any, learner: str, media: str = PDF) -> tuple[str, bytes]:
    response = api.get(
        f"/api/v1/learners/{learner}/transcript", {**api.workstation, "Accept": media}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.headers["X-Document-Number"], response.get_data()


def verify_status(client: Any, number: str) -> tuple[int, str, str]:
    """(HTTP status, the page's data-status, the page)."""
    page = client.get(f"/verify/{number}")
    html = page.get_data(as_text=True)
    found = STATUS.search(html)
    return page.status_code, found.group(1) if found else "", html
