"""Who may open which page: one decorator per kind of visitor, written once for every blueprint.

- ``staff_required(*roles)``: a signed-in, active staff account of one of ``roles`` (by default
  the workstation's and the auditor's); anyone else goes to the sign-in form, and a signed-in
  account of another role gets a 403 page.
- ``writer_required``: the same, for the workstation only. Auditors read every console page and
  change nothing: their forms are not shown, and a form posted anyway is a 403.
- ``learner_required``: a learner signed in to the portal (``creditbank.web.learner_session``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, redirect, render_template, request, url_for

from creditbank.domain.roles import Principal, Role
from creditbank.web import learner_session
from creditbank.web import session as staff_session

READERS = (Role.WORKSTATION, Role.AUDITOR)


def staff_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    allowed = {role.value for role in roles or READERS}

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.staff = staff_session.signed_in_staff()
            if g.staff is None:
                return redirect(url_for("workstation.login", next=request.path))
            if g.staff.role not in allowed:
                return forbidden()
            return view(*args, **kwargs)

        return wrapper

    return decorate


login_required = staff_required()
writer_required = staff_required(Role.WORKSTATION)


def learner_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.learner = learner_session.signed_in_learner()
        if g.learner is None:
            return redirect(url_for("learner.login", next=request.path))
        if g.learner.must_change_password and request.endpoint != "learner.password":
            return redirect(url_for("learner.password"))
        return view(*args, **kwargs)

    return wrapper


def staff_principal() -> Principal:
    """The signed-in staff member as the services know a caller: the subject ``staff:<username>``
    (what the audit-event log records as the actor), the account's role and college."""
    return Principal(
        subject=f"staff:{g.staff.username}",
        role=Role(g.staff.role),
        college_id=g.staff.college_id,
    )


def learner_principal() -> Principal:
    return Principal(subject=g.learner.learner_id, role=Role.LEARNER)


def forbidden() -> tuple[str, int]:
    return render_template("workstation/error.html", message="您的账号无权进行此操作。"), 403
