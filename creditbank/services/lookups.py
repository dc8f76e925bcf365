"""The bank-wide lookups (creditbank/lookup_models.py): a national ID's fingerprint or an
account number → its learner. Every write that gives, changes or removes either value writes
the lookup row in the same session (so in the same transaction), whose primary key refuses a
second holder; every read by either value comes here first, then reads the learner's own rows
by ``learner_id`` (one worker on Citus, docs/scaling.md)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from creditbank.db import in_slices
from creditbank.extensions import db
from creditbank.lookup_models import AccountNumberIndex, NationalIdIndex


def learner_by_account_number(number: str) -> str | None:
    return db.session.scalar(
        select(AccountNumberIndex.learner_id).where(AccountNumberIndex.account_number == number)
    )


def learner_by_national_id(fingerprint: str, session: Session | None = None) -> str | None:
    return (session or db.session).scalar(
        select(NationalIdIndex.learner_id).where(
            NationalIdIndex.national_id_fingerprint == fingerprint
        )
    )


def registered_national_ids(fingerprints: Iterable[str]) -> set[str]:
    """Those of ``fingerprints`` that an account holds already."""
    taken: set[str] = set()
    for chunk in in_slices(list(fingerprints)):
        taken.update(
            db.session.scalars(
                select(NationalIdIndex.national_id_fingerprint).where(
                    NationalIdIndex.national_id_fingerprint.in_(chunk)
                )
            )
        )
    return taken


def claim_account_number(session: Session, number: str, learner_id: str) -> None:
    """The number is the learner's: an IntegrityError at flush when another holds it."""
    session.add(AccountNumberIndex(account_number=number, learner_id=learner_id))


def claim_national_id(session: Session, fingerprint: str, learner_id: str) -> None:
    """The national ID is the learner's: an IntegrityError at flush when another holds it."""
    session.add(NationalIdIndex(national_id_fingerprint=fingerprint, learner_id=learner_id))


def release_national_id(session: Session, fingerprint: str) -> None:
    """The national ID is nobody's any more (corrected away or erased)."""
    session.execute(
        delete(NationalIdIndex).where(NationalIdIndex.national_id_fingerprint == fingerprint)
    )
