"""Helpers of the console's upload and ruleset page tests: signed-in browsers of each staff
role, multipart forms with the CSRF token, the ids a page's form carries."""

from __future__ import annotations

import io
import re
import time
from typing import Any

from flask.testing import FlaskClient

from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.services.staff import create_staff
from creditbank.upload_models import Upload
from tests.api.browsers import csrf_token, new_browser, sign_in

STAGED = re.compile(r'name="staged" value="([0-9a-f]{64})"')
CONFIRM = re.compile(r'action="/workstation/uploads/([A-Za-z0-9_]+)/confirm"')
POST_FORM = re.compile(r'<form method="post"(?! action="/workstation/logout")')


def signed_in(app: Any, username: str, role: Role) -> FlaskClient:
    create_staff(username, role, "staff-password-1")
    browser = new_browser(app)
    assert sign_in(browser, username).status_code == 302
    return browser


def post_file(
    browser: FlaskClient, path: str, content: bytes, name: str, form_page: str, **fields: str
) -> Any:
    """Post ``content`` as the form's ``file`` (multipart), with the token of ``form_page``."""
    token = csrf_token(browser, form_page)
    data: dict[str, Any] = {"csrf_token": token, **fields, "file": (io.BytesIO(content), name)}
    return browser.post(path, data=data, content_type="multipart/form-data")


def post_form(browser: FlaskClient, path: str, form_page: str, **fields: str) -> Any:
    return browser.post(path, data={"csrf_token": csrf_token(browser, form_page), **fields})


def staged_and_upload(html: str) -> tuple[str, str]:
    staged, upload = STAGED.search(html), CONFIRM.search(html)
    assert staged and upload, "the preview carries no confirmation form"
    return staged.group(1), upload.group(1)


def wait_finished(upload_id: str, seconds: float = 60) -> Upload:
    """The upload once its background run has ended (done or failed)."""
    deadline = time.monotonic() + seconds
    while True:
        db.session.rollback()  # a fresh snapshot: the run commits on its own connection
        upload = db.session.get(Upload, upload_id)
        assert upload is not None
        if upload.status in ("done", "failed") or time.monotonic() > deadline:
            return upload
        time.sleep(0.05)
