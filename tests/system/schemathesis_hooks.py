"""Schemathesis hooks for ``test_openapi_fuzzing`` (loaded with ``SCHEMATHESIS_HOOKS``).

One check replaces the built-in ``content_type_conformance``: the same check, except for the
few answers that gunicorn itself gives before the app sees a request (414 for a request line
over ``limit_request_line``, 400 for a malformed request line or header). Those are the HTTP
server's protection, in its own ``text/html``; they are outside the application's contract
and cannot be answered by it. Every answer of the app carries its security headers
(``creditbank.security.headers``), gunicorn's own pages do not: that tells them apart.
"""

from __future__ import annotations

import schemathesis
from schemathesis.specs.openapi.checks import content_type_conformance

APP_HEADER = "X-Content-Type-Options"  # set by the app on every response, error or not


@schemathesis.check
def app_content_type_conformance(ctx, response, case):
    """content_type_conformance, for every response the application itself produced."""
    if APP_HEADER not in response.headers and response.status_code in (400, 414):
        return None  # gunicorn's own error page, before the app (see the module docstring)
    return content_type_conformance(ctx, response, case)
