"""What follows a change to an application's items: claims no longer named by a pending or
approved item are released, and an application with nothing pending closes (or is withdrawn),
taking its certificate number when something was approved (PROGRAMMES.md § Applications and
items). Deciding, revoking and every kind of withdrawal end here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from creditbank.college_models import (
    CertificateCounter,
    College,
    TransferApplication,
    TransferClaim,
    TransferItem,
)
from creditbank.conversion import shanghai_year
from creditbank.services.transfer_state import as_item
from creditbank.transfer import ItemStatus, application_status, certificate_number, held_keys


def settle(
    session: Session,
    application: TransferApplication,
    items: Sequence[TransferItem],
    now: datetime,
) -> None:
    """Release the claims nothing live names any more; close the application when nothing is
    pending (its certificate number given once, when something was approved)."""
    held = held_keys(as_item(row, application.programme_id) for row in items)
    session.execute(
        delete(TransferClaim).where(
            TransferClaim.learner_id == application.learner_id,
            TransferClaim.application_id == application.id,
            TransferClaim.claim_key.not_in(held) if held else true(),
        )
    )
    status = application_status(ItemStatus(row.status) for row in items)
    if status == "pending" or application.status != "pending":
        return
    application.status = status
    application.closed_at = now
    approved = any(row.status == ItemStatus.APPROVED for row in items)
    if approved and application.certificate_no is None:
        application.certificate_no = next_certificate_no(session, application.college_id, now)


def next_certificate_no(session: Session, college_id: str, now: datetime) -> str:
    """``<school_code>-<year>-<serial>`` from the college's counter for the Shanghai year,
    locked ``FOR UPDATE`` (created on first use; a racing creator finds it there)."""
    year = shanghai_year(now)
    values = {"college_id": college_id, "year": year, "last_serial": 0}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(CertificateCounter).values(values).on_conflict_do_nothing())
    counter = session.scalars(
        select(CertificateCounter)
        .where(CertificateCounter.college_id == college_id, CertificateCounter.year == year)
        .with_for_update()
    ).one()
    counter.last_serial += 1
    school_code = session.get_one(College, college_id).school_code
    return certificate_number(school_code, now, counter.last_serial)
