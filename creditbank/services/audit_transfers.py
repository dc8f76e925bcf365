"""What the audit's transfer check reads from the database (PROGRAMMES.md § Audits): the
published catalogues, each learner's ``transfer_items`` and the account's cached converted
totals. The check itself is the pure replay (:class:`creditbank.transfer.journal_check.
TransferCheck`), fed the same entry documents as every other check in
:mod:`creditbank.services.audit_scan`.

Like the rulesets, the catalogues are read in each slice's snapshot (a handful of rows; each
parsed once per process, as a published catalogue never changes). The items are streamed in
``learner_id`` order next to the accounts, so memory holds one learner's items at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from itertools import groupby
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from creditbank.college_models import CatalogueVersion, TransferApplication, TransferItem
from creditbank.domain.chain_checks import Finding
from creditbank.models import Account
from creditbank.services.catalogue_reads import catalogue_for
from creditbank.services.transfer_state import as_item
from creditbank.transfer import Catalogue, Item
from creditbank.transfer.audit import BALANCE
from creditbank.transfer.journal_check import TransferCheck

_ITEMS = TransferItem.__table__
_APPLICATIONS = TransferApplication.__table__
_ACCOUNTS = Account.__table__
LEARNER = _ITEMS.c.learner_id


def load_catalogues(connection: Connection) -> dict[str, Catalogue]:
    """Every published catalogue, by id. A stored document the rules refuse (only a forger
    past the table's triggers could store one) is left out: transfers naming it are found."""
    session = Session(bind=connection)
    found = {}
    for catalogue_id in session.scalars(sa.select(CatalogueVersion.id)):
        try:
            found[catalogue_id] = catalogue_for(session, catalogue_id)
        except (ValueError, KeyError, TypeError):
            continue
    return found


def item_rows(connection: Connection, bounds: list[Any], batch: int) -> Any:
    """The items of the learners within ``bounds`` (conditions on ``LEARNER``), each with its
    application's programme, in ``(learner_id, application, position)`` order, streamed.
    Only learners with an account: they are paired with the accounts' stream by equality."""
    has_account = sa.exists().where(_ACCOUNTS.c.learner_id == LEARNER)
    same_application = sa.and_(
        _APPLICATIONS.c.learner_id == LEARNER, _APPLICATIONS.c.id == _ITEMS.c.application_id
    )
    query = (
        sa.select(_ITEMS, _APPLICATIONS.c.programme_id)
        .outerjoin(_APPLICATIONS, same_application)
        .where(has_account, *bounds)
        .order_by(LEARNER, _ITEMS.c.application_id, _ITEMS.c.position)
    )
    return connection.execute(query.execution_options(yield_per=batch))


class ItemsByLearner:
    """A stream of item rows in ``learner_id`` order, handed out one learner at a time, asked
    in the accounts' order (the same order, so equality is enough: no comparison in Python
    that could disagree with the database's collation)."""

    def __init__(self, rows: Iterator[Row[Any]]) -> None:
        self.groups = groupby(rows, key=attrgetter("learner_id"))
        self.current = next(self.groups, None)

    def take(self, learner_id: str) -> list[Item]:
        if self.current is None or self.current[0] != learner_id:
            return []
        rows = list(self.current[1])
        self.current = next(self.groups, None)
        return [as_item(row, row.programme_id or "") for row in rows]  # type: ignore[arg-type]


def finish_transfers(
    transfers: TransferCheck, account: Row[Any] | None, items: list[Item], last_seq: int
) -> None:
    """The end of a learner's chain: the account's cached ``converted`` and
    ``converted_by_category`` (canonical JSON of tenths) and the learner's items."""
    if account is None:  # no account: the chain checks say so
        transfers.finish()
        return
    try:
        by_category = json.loads(account.converted_by_category or "{}")
        if not isinstance(by_category, Mapping) or not all(
            isinstance(value, int) for value in by_category.values()
        ):
            raise ValueError("not an object of whole tenths")
    except ValueError as error:
        expected = "cached converted_by_category: canonical JSON of tenths by category"
        transfers.replay.findings.append(
            Finding(account.learner_id, last_seq, BALANCE, expected, repr(error))
        )
        transfers.finish(None, items, last_seq)
        return
    transfers.finish((account.converted, by_category), items, last_seq)
