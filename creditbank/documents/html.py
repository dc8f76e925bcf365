"""Printable HTML documents (the transcript page, the conversion certificate, the audit
report), rendered from the package's Jinja templates with an environment of their own: a
document needs no request, so the API, the pages and the command line all print the same one."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from creditbank.documents.qr import qr_svg
from creditbank.domain.account_numbers import format_account_number
from creditbank.labels import AUDIT_CHECK_TEXT, AUDIT_STATUS_NAMES, category_text, shanghai_time


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("creditbank", "templates"),
        autoescape=select_autoescape(("html",)),
        auto_reload=False,
    )
    environment.filters["account_number"] = format_account_number
    environment.filters["qr_svg"] = qr_svg
    return environment


def transcript_page(document: Mapping[str, Any]) -> str:
    """The learner's transcript as a printable page."""
    template = _environment().get_template("learners/transcript.html")
    return template.render(t=document, local=shanghai_time)


def certificate_page(document: Mapping[str, Any]) -> str:
    """A conversion certificate (学分转换证明) as a printable page."""
    template = _environment().get_template("applications/certificate.html")
    return template.render(c=document, local=shanghai_time, kind_text=_course_kind)


def _course_kind(kind: str) -> str:
    return category_text(kind)["zh"]  # theory 理论, practice 实践


def audit_report(document: Mapping[str, Any], inline_limit: int) -> str:
    """An audit's report (Chinese, English terms beside) as a printable page; it lists at
    most ``inline_limit`` findings and says where the rest are."""
    return (
        _environment()
        .get_template("audits/report.html")
        .render(
            audit=document,
            check_text=AUDIT_CHECK_TEXT,
            status_text=AUDIT_STATUS_NAMES,
            inline_limit=inline_limit,
        )
    )
