"""An evidence file as a response, for the API and the pages alike: always an attachment (never
rendered by the bank's origin), with the type its bytes showed when it was deposited, and
``nosniff`` so that no browser guesses another."""

from __future__ import annotations

import io

from flask import Response, send_file

from creditbank.intake.deposits import EVIDENCE_TYPES


def evidence_response(media_type: str, name: str, data: bytes) -> Response:
    extension = EVIDENCE_TYPES.get(media_type, "bin")
    download_name = name if name.lower().endswith(f".{extension}") else f"{name}.{extension}"
    response = send_file(
        io.BytesIO(data),
        mimetype=media_type,
        as_attachment=True,
        download_name=download_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
