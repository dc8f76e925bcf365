"""The public verify page (``/verify/<number>``): what a transcript's or certificate's QR code
opens. No sign-in; it says whether the document is valid, revoked or superseded (and by which
number), its kind, date and issuing office, and the holder as masked on the document, never
more. A number the bank never issued is a 404 page that says so."""

from __future__ import annotations

from flask import render_template

from creditbank.domain.errors import NotFound
from creditbank.services import documents
from creditbank.web.pages import page_blueprint

blp = page_blueprint("verify", "/verify")


@blp.get("/<number>")
def document(number: str) -> tuple[str, int]:
    try:
        found = documents.public_status(number)
    except NotFound:
        return render_template("verify/document.html", number=number[:40], d=None), 404
    return render_template("verify/document.html", number=found["number"], d=found), 200
