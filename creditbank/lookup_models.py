"""The bank-wide lookups: a national ID's fingerprint or an account number → its learner.

Both are unique across the whole bank, which a table distributed by learner cannot enforce
(each worker sees only its own learners). Each lives in a table keyed by the value looked up,
a reference table on Citus (docs/scaling.md): its primary key is the one place the uniqueness
is kept, every write that gives or changes the value writes the row in the same transaction,
and every read by the value goes through it to the learner, then by learner to the rest.

No foreign key to ``accounts``: Citus refuses one from a reference table to a distributed
table; the services keep the rows in step (creditbank/services/lookups.py)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from creditbank.db import HASH, ID
from creditbank.extensions import Model


class NationalIdIndex(Model):
    """One account per national ID: the HMAC fingerprint of the ID → the learner holding it."""

    __tablename__ = "national_id_index"

    national_id_fingerprint: Mapped[str] = mapped_column(HASH, primary_key=True)
    learner_id: Mapped[str] = mapped_column(ID)


class AccountNumberIndex(Model):
    """学习账号 → the learner: what a sign-in or a search by number reads first."""

    __tablename__ = "account_number_index"

    account_number: Mapped[str] = mapped_column(String(12), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ID)
