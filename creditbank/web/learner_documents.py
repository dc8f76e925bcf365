"""The learner's documents (``/learner/documents``): download a numbered transcript (PDF) and
the verifiable credential (VC-JWT file), and the QR code of the latest transcript's verify
page, to show whoever needs to check it."""

from __future__ import annotations

from flask import Response, g, render_template

from creditbank.context import verify_url
from creditbank.domain.errors import NotFound
from creditbank.services import credential_status, credentials, document_issuing, documents
from creditbank.web.guards import learner_principal, learner_required
from creditbank.web.learner_views import blp

PDF = "application/pdf"


@blp.get("/documents")
@learner_required
def documents_page() -> str:
    learner_id = g.learner.learner_id
    latest = documents.latest(learner_id, "transcript")
    state = credential_status.credential_state(learner_id)
    return render_template(
        "learner/documents.html",
        latest=latest,
        latest_url=verify_url(latest.number) if latest else None,
        status_names=documents.STATUS_NAMES,
        credential=state,
    )


@blp.get("/documents/transcript.pdf")
@learner_required
def transcript_pdf() -> Response:
    """A new numbered transcript: the one before it is superseded."""
    learner_id = g.learner.learner_id
    number, content = document_issuing.issue_transcript(learner_principal(), learner_id, PDF)
    response = Response(content, mimetype=PDF)
    response.headers["Content-Disposition"] = f'attachment; filename="transcript-{number}.pdf"'
    return response


@blp.get("/documents/credential.jwt")
@learner_required
def credential_file() -> Response | tuple[str, int]:
    try:
        token = credentials.issue_credential(learner_principal(), g.learner.learner_id)
    except NotFound:
        message = "您还没有已认定的学分，暂时无法生成可验证学习证明。"
        return render_template("learner/documents_error.html", message=message), 404
    response = Response(token, mimetype="application/vc+jwt")
    response.headers["Content-Disposition"] = 'attachment; filename="credential.jwt"'
    return response
