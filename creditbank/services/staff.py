"""Staff accounts: the people who sign in to the web pages (role workstation or auditor; or
college, bound to one college). API clients are a different thing
(:mod:`creditbank.services.clients`)."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

from creditbank.college_models import College
from creditbank.domain.errors import Conflict, NotFound, ValidationFailed
from creditbank.domain.roles import STAFF, Role
from creditbank.extensions import db
from creditbank.models import StaffAccount
from creditbank.security.passwords import dummy_verify, hash_secret, needs_rehash, verify_secret
from creditbank.services.clients import AfterWrite
from creditbank.services.transaction import utcnow, write_transaction

# Workstation and auditor staff sign in to /workstation/; a college's staff through the same
# form to the college's pages (/college/). Which pages each may open is the guards' business
# (creditbank.web.guards): a college's account gets 403 on every workstation page.
STAFF_ACCOUNT_ROLES = (*STAFF, Role.COLLEGE)
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# A new account's name is shorter: it stands in the records as ``staff:<username>`` (who decided,
# published, requested), in id-sized columns of 40 characters.
NEW_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
MIN_PASSWORD = 8
MAX_PASSWORD = 256


def create_staff(
    username: str,
    role: Role,
    password: str,
    college_id: str | None = None,
    *,
    after: AfterWrite | None = None,
) -> StaffAccount:
    """A new staff account; 409 ``conflict`` when the username is taken. A college's staff
    account (role ``college``) is bound to one college, which must exist."""
    errors: dict[str, list[str]] = {}
    if not NEW_USERNAME.fullmatch(username):
        errors["username"] = [
            "1–32 letters, digits, '.', '_' or '-', starting with one of the first two."
        ]
    if role not in STAFF_ACCOUNT_ROLES:
        errors["role"] = [f"Must be one of {', '.join(STAFF_ACCOUNT_ROLES)}."]
    elif (role is Role.COLLEGE) != (college_id is not None):
        errors["college_id"] = ["A college's staff account needs its college; no other may."]
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        errors["password"] = [f"{MIN_PASSWORD}–{MAX_PASSWORD} characters."]
    if errors:
        raise ValidationFailed(errors=errors)
    account = StaffAccount(
        username=username,
        password_hash=hash_secret(password),
        role=role.value,
        college_id=college_id,
        created_at=utcnow(),
    )
    try:
        with write_transaction() as session:
            if college_id is not None and session.get(College, college_id) is None:
                raise NotFound("No such college")
            if session.get(StaffAccount, username) is not None:  # perhaps the caller's own
                raise Conflict(f"A staff account named {username} already exists")
            session.add(account)
            if after is not None:
                after(session, account)
    except IntegrityError as exc:
        raise Conflict(f"A staff account named {username} already exists") from exc
    return account


def disable_staff(username: str, *, after: AfterWrite | None = None) -> StaffAccount:
    """Stop a staff account from signing in; its open sessions end on their next request
    (and stay ended should the account ever be enabled again)."""
    with write_transaction() as session:
        account = session.get(StaffAccount, username)
        if account is None:
            raise NotFound("No such staff account")
        if account.disabled_at is None:
            account.disabled_at = utcnow()
            if after is not None:
                after(session, account)
        account.session_generation += 1
    return account


def end_staff_sessions(username: str) -> None:
    """Signing out: every session cookie of this account issued so far stops working, copies
    of it included, whatever browser holds them."""
    with write_transaction() as session:
        account = session.get(StaffAccount, username)
        if account is not None:
            account.session_generation += 1


def verify_staff_password(username: str, password: str) -> StaffAccount | None:
    """The active account these credentials open, or None. Unknown, disabled and wrong
    password take the same time and look the same to the caller."""
    account = _console_staff(username)
    if account is None:
        dummy_verify(password)
        return None
    if not verify_secret(password, account.password_hash) or account.disabled_at is not None:
        return None
    if needs_rehash(account.password_hash):
        with write_transaction() as session:
            fresh = session.get(StaffAccount, username)
            if fresh is not None:
                fresh.password_hash = hash_secret(password)
    return account


def active_staff(username: str) -> StaffAccount | None:
    """The account behind a signed-in session, while it exists and is not disabled."""
    account = _console_staff(username)
    if account is None or account.disabled_at is not None:
        return None
    return account


def _console_staff(username: str) -> StaffAccount | None:
    """The account of a workstation, auditor or college staff member: the roles that sign in
    to the console (each to its own pages)."""
    account = db.session.get(StaffAccount, username) if USERNAME.fullmatch(username) else None
    if account is None or account.role not in STAFF_ACCOUNT_ROLES:
        return None
    return account
