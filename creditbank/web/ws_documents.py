"""A learner's issued documents on the workstation (``/workstation/learners/<id>/documents``):
every transcript and certificate with its number and status, the credential's status, and
revoking either after a confirmation page that asks for the reason."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from creditbank.domain.errors import Conflict, NotFound, ValidationFailed
from creditbank.services import credential_status, documents, learners
from creditbank.web.guards import login_required, staff_principal, writer_required
from creditbank.web.views import blp

DOCUMENTS = "/learners/<learner_id>/documents"
PAGE_ROWS = 20


@blp.get(DOCUMENTS)
@login_required
def learner_documents(learner_id: str) -> str:
    learner = learners.get_learner(learner_id)
    page = documents.learner_documents(
        staff_principal(), learner_id, request.args.get("cursor"), PAGE_ROWS
    )
    return render_template(
        "workstation/documents.html",
        learner=learner,
        page=page,
        credential=credential_status.credential_state(learner_id),
        kind_names=documents.KIND_NAMES,
        status_names=documents.STATUS_NAMES,
    )


@blp.route(f"{DOCUMENTS}/<number>/revoke", methods=["GET", "POST"])
@writer_required
def revoke_document(learner_id: str, number: str) -> Any:
    learner = learners.get_learner(learner_id)
    document = documents.find(number)
    if document is None or document.learner_id != learner_id:
        raise NotFound("没有这份文件。")
    page = {"learner": learner, "document": document, "kind_names": documents.KIND_NAMES}
    if request.method == "GET":
        return render_template("workstation/document_revoke.html", **page)
    reason = request.form.get("reason", "")
    try:
        documents.revoke(staff_principal(), number, reason)
    except ValidationFailed as error:
        errors = {"reason": (error.errors or {}).get("reason", ["请填写撤销原因。"])[0]}
        return render_template(
            "workstation/document_revoke.html", **page, errors=errors, reason=reason
        ), 422
    except Conflict:
        flash(f"文件 {number} 已经撤销过了。", "error")
        return redirect(url_for("workstation.learner_documents", learner_id=learner_id))
    flash(f"已撤销文件 {number}：核验页面将显示“已撤销”。", "success")
    return redirect(url_for("workstation.learner_documents", learner_id=learner_id))


@blp.route("/learners/<learner_id>/credential/revoke", methods=["GET", "POST"])
@writer_required
def revoke_credential(learner_id: str) -> Any:
    learner = learners.get_learner(learner_id)
    if request.method == "GET":
        return render_template("workstation/credential_revoke.html", learner=learner)
    reason = request.form.get("reason", "")
    try:
        credential_status.revoke_credential(staff_principal(), learner_id, reason)
    except ValidationFailed as error:
        errors = {"reason": (error.errors or {}).get("reason", ["请填写撤销原因。"])[0]}
        page = render_template(
            "workstation/credential_revoke.html", learner=learner, errors=errors, reason=reason
        )
        return page, 422
    except Conflict:
        flash("该学员没有未撤销的可验证学习证明，无需撤销。", "error")
        return redirect(url_for("workstation.learner_documents", learner_id=learner_id))
    flash("已撤销该学员的可验证学习证明：状态列表中的对应位已置为“已撤销”。", "success")
    return redirect(url_for("workstation.learner_documents", learner_id=learner_id))
