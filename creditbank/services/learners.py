"""Opening learner accounts and looking after their identities and passwords."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from creditbank.context import keyring
from creditbank.domain.account_numbers import (
    AccountNumberError,
    new_account_number,
    parse_account_number,
)
from creditbank.domain.errors import (
    Conflict,
    Forbidden,
    InvalidCredentials,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from creditbank.domain.ids import new_id
from creditbank.domain.national_id import (
    NationalIdError,
    mask_national_id,
    validate_national_id,
)
from creditbank.domain.phones import PhoneError, mask_phone, validate_phone
from creditbank.domain.roles import Principal, Role
from creditbank.events import EventNote
from creditbank.extensions import db
from creditbank.models import Account, Identity
from creditbank.security.passwords import dummy_verify, hash_secret, verify_secret
from creditbank.services.lookups import (
    claim_account_number,
    claim_national_id,
    learner_by_account_number,
    learner_by_national_id,
)
from creditbank.services.pagination import Page, keyset_page
from creditbank.services.transaction import utcnow, write_transaction

# A draw finds its number taken with a chance of accounts / 8.2e10 (1 in 820,000 at 100,000
# accounts): five in a row means something else is wrong.
ACCOUNT_NUMBER_DRAWS = 5
_DUPLICATE_ID = "An account with this national ID already exists"


@dataclass(frozen=True)
class LearnerView:
    learner_id: str
    account_number: str
    name: str | None
    national_id_masked: str | None
    opened_at: datetime
    phone_masked: str | None = None


def open_learner(
    name: str,
    national_id: str | None,
    password: str | None,
    *,
    phone: str | None = None,
    event: EventNote | None = None,
) -> LearnerView:
    """Open an account and its identity; one account per national ID (409 ``conflict``).

    The account number is drawn at random; should another account hold it already, the
    account is opened again under a new draw. ``event`` is recorded in the same transaction.
    """
    cipher = keyring().pii
    valid_id = _valid_national_id(national_id) if national_id else None
    valid_phone = valid_mobile(phone) if phone else None
    personal = {
        "name": name,
        "national_id_encrypted": cipher.encrypt(valid_id) if valid_id else None,
        "national_id_fingerprint": cipher.fingerprint(valid_id) if valid_id else None,
        "national_id_masked": _mask(valid_id),
        "phone_encrypted": cipher.encrypt(valid_phone) if valid_phone else None,
        "phone_masked": mask_phone(valid_phone) if valid_phone else None,
        "password_hash": hash_secret(password) if password else None,
        # the workstation chose it: the portal asks the learner for one of its own first
        "must_change_password": bool(password),
    }
    for _ in range(ACCOUNT_NUMBER_DRAWS):
        learner_id = _open_account(personal, event)
        if learner_id is not None:
            return get_learner(learner_id)
    raise ServiceUnavailable("No free account number was drawn; try again")


def _open_account(personal: dict[str, Any], event: EventNote | None) -> str | None:
    """One try: an account under a freshly drawn number, and its identity; the learner id,
    or ``None`` when the number turned out to be taken."""
    learner_id, now = new_id("L"), utcnow()
    fingerprint = personal["national_id_fingerprint"]
    try:
        with write_transaction() as session:
            if fingerprint and learner_by_national_id(fingerprint, session) is not None:
                raise Conflict(_DUPLICATE_ID)
            number = new_account_number()
            session.add(Account(learner_id=learner_id, account_number=number, opened_at=now))
            claim_account_number(session, number, learner_id)
            session.flush()
            session.add(Identity(learner_id=learner_id, updated_at=now, **personal))
            if fingerprint:
                claim_national_id(session, fingerprint, learner_id)
            if event is not None:
                event.record(session, learner_id, now)
    except IntegrityError as exc:
        if fingerprint and learner_by_national_id(fingerprint) is not None:
            raise Conflict(_DUPLICATE_ID) from exc  # a concurrent open with this ID won
        return None  # the only other unique value: the account number
    return learner_id


def get_learner(learner_id: str) -> LearnerView:
    """One learner; the identity may have been erased, the account never is."""
    account = db.session.get(Account, learner_id)
    if account is None:
        raise NotFound("No such learner")
    return _view(account, db.session.get(Identity, learner_id))


def find_learners(
    *, account_number: str | None, name: str | None, cursor: str | None, limit: int
) -> Page[LearnerView]:
    """Learners in account order, all or those of one account number (422 when it is not
    one: its check digit catches a typo) or one name (by national ID: search_by_national_id)."""
    query = select(Account, Identity).outerjoin(Identity)
    if account_number:  # through the lookup, then by learner (docs/scaling.md)
        holder = learner_by_account_number(_valid_account_number(account_number))
        if holder is None:
            return Page([], None)
        query = query.where(Account.learner_id == holder)
    if name:
        query = query.where(Identity.name == name)
    page = keyset_page(query, Account.learner_id, cursor, limit, key_of=_learner_id)
    return page.map(lambda rows: [_view(account, identity) for account, identity in rows])


def signing_in_learner_id(username: str) -> str:
    """The learner a sign-in name stands for: an account number (as printed, too) is looked
    up; anything else is taken for a learner id."""
    try:
        number = parse_account_number(username)
    except AccountNumberError:
        return username
    return learner_by_account_number(number) or username


def portal_login(username: str, password: str) -> Identity:
    """The learner portal's sign-in: by account number (as printed, too), national ID or
    learner id, with the password; 401 for any wrong pair (same time whether or not the learner
    exists). A national ID is found through its HMAC."""
    username = username.strip()
    try:
        national_id = validate_national_id(username)
    except NationalIdError:
        return verify_learner_password(username, password)
    holder = learner_by_national_id(keyring().pii.fingerprint(national_id))
    return verify_learner_password(holder or username, password)


def search_by_national_id(national_id: str) -> Page[LearnerView]:
    """The learner holding this national ID, found through its HMAC: a page of one or none
    (one account per ID); an ID that fails its checksum is a 422 ``national_id``."""
    holder = learner_by_national_id(keyring().pii.fingerprint(_valid_national_id(national_id)))
    if holder is None:
        return Page([], None)
    query = select(Account, Identity).join(Identity).where(Account.learner_id == holder)
    row = db.session.execute(query).first()
    return Page([_view(row.Account, row.Identity)] if row else [], None)


def change_password(
    principal: Principal,
    learner_id: str,
    new_password: str,
    old_password: str | None,
    *,
    event: EventNote | None = None,
) -> None:
    """The learner changes its own password (old one required); the workstation resets it.
    ``event`` is recorded in the same transaction."""
    if principal.role is Role.LEARNER and principal.subject != learner_id:
        raise Forbidden("A learner may change only its own password")
    with write_transaction() as session:
        identity = session.get(Identity, learner_id)
        if identity is None:
            raise NotFound("No such learner")
        if principal.role is Role.LEARNER:
            if old_password is None:  # a reset: the workstation's to make (API.md § Accounts)
                raise Forbidden("A learner changes its password by giving the old one")
            if not verify_secret(old_password, identity.password_hash or ""):
                raise InvalidCredentials("The old password is wrong")
        identity.password_hash = hash_secret(new_password)
        identity.must_change_password = principal.role is not Role.LEARNER  # a reset
        identity.token_version += 1  # tokens issued under the old password stop working
        identity.updated_at = utcnow()
        if event is not None:
            event.record(session, learner_id, identity.updated_at)


def verify_learner_password(username: str, password: str) -> Identity:
    """The identity behind a learner's login by learner id or account number, or 401 (same
    time whether or not it exists)."""
    identity = db.session.get(Identity, signing_in_learner_id(username))
    if identity is None or identity.password_hash is None:
        dummy_verify()
        raise InvalidCredentials()
    if not verify_secret(password, identity.password_hash):
        raise InvalidCredentials()
    return identity


def _valid_national_id(national_id: str) -> str:
    try:
        return validate_national_id(national_id)
    except NationalIdError as exc:
        raise ValidationFailed(errors={"national_id": [str(exc)]}) from exc


def valid_mobile(phone: str) -> str:
    """A mobile number's eleven digits, or 422 keyed ``phone``."""
    try:
        return validate_phone(phone)
    except PhoneError as exc:
        raise ValidationFailed(errors={"phone": [str(exc)]}) from exc


def _valid_account_number(account_number: str) -> str:
    try:
        return parse_account_number(account_number)
    except AccountNumberError as exc:
        raise ValidationFailed(errors={"account_number": [str(exc)]}) from exc


def _mask(valid_id: str | None) -> str | None:
    return mask_national_id(valid_id) if valid_id else None


def _view(account: Account, identity: Identity | None) -> LearnerView:
    return LearnerView(
        learner_id=account.learner_id,
        account_number=account.account_number,
        name=identity.name if identity else None,
        national_id_masked=identity.national_id_masked if identity else None,
        opened_at=account.opened_at,
        phone_masked=identity.phone_masked if identity else None,
    )


def _learner_id(row: Any) -> str:
    return row.Account.learner_id
