"""Issuing the printable documents: the transcript and the conversion certificate, as HTML or
PDF, each numbered and registered (:mod:`creditbank.services.documents`) with the QR code and
URL of its verify page printed on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from creditbank.context import settings, verify_url
from creditbank.documents.html import certificate_page, transcript_page
from creditbank.domain.roles import Principal
from creditbank.services import documents, transcripts, transfer_certificates

HTML = "text/html"
PDF = "application/pdf"


def issue_transcript(principal: Principal, learner_id: str, media_type: str) -> tuple[str, bytes]:
    """A numbered transcript (HTML or PDF) of a learner the caller may read; supersedes the
    learner's previous transcript."""
    document = transcripts.transcript(principal, learner_id)
    holder = _holder(document["learner"])

    def render(number: str) -> bytes:
        numbered = {**document, "verification": _verification(number)}
        if media_type == PDF:
            from creditbank.documents.pdf import render_transcript_pdf

            return render_transcript_pdf(numbered)
        return transcript_page(numbered).encode("utf-8")

    return documents.issue("transcript", learner_id, holder, media_type, render, principal.subject)


def issue_certificate(
    principal: Principal, application_id: str, media_type: str
) -> tuple[dict[str, Any], str, bytes]:
    """A numbered conversion certificate (HTML or PDF) of an application the caller may see;
    supersedes the application's previous one. Also returns the certificate's JSON."""
    document = transfer_certificates.certificate(principal, application_id)
    holder = _holder(document["learner"])

    def render(number: str) -> bytes:
        numbered = {**document, "verification": _verification(number)}
        if media_type == PDF:
            from creditbank.documents.certificate_pdf import render_certificate_pdf

            return render_certificate_pdf(numbered)
        return certificate_page(numbered).encode("utf-8")

    number, content = documents.issue(
        "certificate", application_id, holder, media_type, render, principal.subject
    )
    return document, number, content


def _holder(learner: Mapping[str, Any]) -> documents.Holder:
    return documents.Holder(learner["learner_id"], learner["name"], learner["national_id_masked"])


def _verification(number: str) -> dict[str, str]:
    return {"number": number, "url": verify_url(number), "office": settings().issuing_office_name}
