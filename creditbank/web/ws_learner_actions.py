"""What the clerk does to one learner, each from the learner's page and each behind a form of
its own: correct the identity, erase it (typed confirmation), void an outcome (with a reason,
confirmed), reset the password (the new one shown once). Workstation accounts only; auditors
see the learner's page without these forms, and a form posted anyway is a 403."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from creditbank.domain.errors import AlreadyVoided, Conflict, NotFound, ValidationFailed
from creditbank.events import EventNote, EventTag
from creditbank.services import identities, learners, outcomes
from creditbank.services.openings import initial_password
from creditbank.services.outcome_titles import outcome_title
from creditbank.services.voiding import void_outcome as void_in_journal
from creditbank.web.guards import staff_principal, writer_required
from creditbank.web.pages import error_page
from creditbank.web.views import blp

ERASE_WORD = "确认删除"
MAX_NAME = 100
MAX_REASON = 500


@blp.route("/learners/<learner_id>/identity", methods=["GET", "POST"])
@writer_required
def correct_identity(learner_id: str) -> Any:
    learner = learners.get_learner(learner_id)
    if learner.name is None:
        return _back(learner_id, "该学员的身份信息已删除，无法更正。", "error")
    if request.method == "GET":
        return render_template("workstation/learner_identity.html", learner=learner, form={})
    form = {key: request.form.get(key, "").strip() for key in ("name", "national_id")}
    errors = _identity_errors(form)
    if not errors:
        changes: dict[str, Any] = {"name": form["name"]}
        if form["national_id"]:
            changes["national_id"] = form["national_id"]
        try:
            identities.correct_identity(staff_principal(), learner_id, changes)
        except ValidationFailed:
            errors["national_id"] = "身份证号无效（校验位或出生日期不对），请核对。"
        except Conflict:
            errors["national_id"] = "另一学员已使用此身份证号开户。"
    if errors:
        page = render_template(
            "workstation/learner_identity.html", learner=learner, form=form, errors=errors
        )
        return page, 422
    return _back(learner_id, "身份信息已更正。")


@blp.route("/learners/<learner_id>/erase", methods=["GET", "POST"])
@writer_required
def erase_identity(learner_id: str) -> Any:
    learner = learners.get_learner(learner_id)
    if learner.name is None:
        return _back(learner_id, "该学员的身份信息已删除。", "error")
    if request.method == "GET":
        return render_template("workstation/learner_erase.html", learner=learner, word=ERASE_WORD)
    typed = request.form.get("confirm", "").strip()
    if typed not in (learner.name, ERASE_WORD):
        errors = {"confirm": f"请输入该学员的姓名或“{ERASE_WORD}”以确认。"}
        page = render_template(
            "workstation/learner_erase.html", learner=learner, word=ERASE_WORD, errors=errors
        )
        return page, 422
    identities.erase_identity(staff_principal(), learner_id)
    return _back(learner_id, "身份信息已删除；账户、学分和流水保留。")


@blp.route("/learners/<learner_id>/outcomes/<outcome_id>/void", methods=["GET", "POST"])
@writer_required
def void_outcome(learner_id: str, outcome_id: str) -> Any:
    principal = staff_principal()
    try:
        outcome = outcomes.get_outcome(principal, outcome_id)
    except NotFound:
        outcome = {"learner_id": None}
    if outcome["learner_id"] != learner_id:
        return error_page("该学员没有这项成果。", 404)
    title = outcome_title(outcome["kind"], outcome, outcome.get("category"))
    context = {"learner": learners.get_learner(learner_id), "outcome": outcome, "title": title}
    if request.method == "GET":
        return render_template("workstation/outcome_void.html", **context)
    reason = request.form.get("reason", "").strip()
    error = None
    if not reason:
        error = "请填写撤销原因。"
    elif len(reason) > MAX_REASON:
        error = f"撤销原因不能超过 {MAX_REASON} 个字。"
    if error:
        page = render_template(
            "workstation/outcome_void.html", reason=reason, errors={"reason": error}, **context
        )
        return page, 422
    event = EventNote(EventTag.WEB_OUTCOME_VOIDED, principal.subject, {"learner_id": learner_id})
    try:
        void_in_journal(principal, outcome_id, reason, event=event)
    except AlreadyVoided:
        return _back(learner_id, f"“{title}”此前已撤销。", "error")
    return _back(learner_id, f"已撤销“{title}”，学分已重新计算。")


@blp.route("/learners/<learner_id>/password", methods=["GET", "POST"])
@writer_required
def reset_password(learner_id: str) -> Any:
    learner = learners.get_learner(learner_id)
    if learner.name is None:
        return _back(learner_id, "该学员的身份信息已删除，无法重置密码。", "error")
    if request.method == "GET":
        return render_template("workstation/learner_password.html", learner=learner)
    password = initial_password()
    principal = staff_principal()
    event = EventNote(EventTag.WEB_LEARNER_PASSWORD_RESET, principal.subject)
    learners.change_password(principal, learner_id, password, None, event=event)
    flash("密码已重置；新密码只显示这一次，请交给学员。", "success")
    # The answer to the POST itself, never a page one could reload or go back to.
    return render_template("workstation/learner_password.html", learner=learner, password=password)


def _identity_errors(form: dict[str, str]) -> dict[str, str]:
    errors = {}
    if not form["name"]:
        errors["name"] = "请填写姓名。"
    elif len(form["name"]) > MAX_NAME:
        errors["name"] = f"姓名不能超过 {MAX_NAME} 个字。"
    return errors


def _back(learner_id: str, message: str, category: str = "success") -> BaseResponse:
    flash(message, category)
    return redirect(url_for("workstation.learner_page", learner_id=learner_id))
