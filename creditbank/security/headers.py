"""Standard security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# The API answers JSON only; pages (the docs) may load their own scripts and styles, nothing
# from elsewhere.
_CSP_API = "default-src 'none'; frame-ancestors 'none'"
_DOCS = "/api/v1/docs"  # Swagger UI and its assets: the same for everyone, cacheable
_CSP_PAGES = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def _secure(response: Response) -> Response:
        # One pass over what the response already has (a view may set its own), not one per
        # header: this runs for every response.
        present = {name.lower() for name, _ in response.headers}
        response.headers.extend(
            (name, value) for name, value in _HEADERS.items() if name.lower() not in present
        )
        if "content-security-policy" not in present:
            pages = response.mimetype == "text/html"
            response.headers["Content-Security-Policy"] = _CSP_PAGES if pages else _CSP_API
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Everything under /api/ but the docs is someone's data (the HTML audit report and the
        # spreadsheets too, whose send_file would say only no-cache): no cache may keep it.
        if request.path.startswith("/api/") and not request.path.startswith(_DOCS):
            response.headers["Cache-Control"] = "no-store"
        return response
