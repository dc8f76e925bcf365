"""The offline verifier with the transfer checks (docs/verification.md, step 3b): what
``creditbank verify`` runs on an export, with no database.

:mod:`creditbank.domain.verify` checks chains, balances and the checkpoint; it sits below
:mod:`creditbank.transfer` and cannot import it, so the replay joins here, as one of its
``learner_checks``. An export carries no catalogues and no items, so offline the replay does
checks 1–3, of check 4 only "no course recognised twice", and the converted totals of
``balance`` entry by entry; the caps (the rest of 4), the items (5, 6) and the account's cached
totals are the audit's, which reads the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from creditbank.domain.chain_checks import Finding
from creditbank.domain.verify import Report
from creditbank.domain.verify import verify_export as verify_chains
from creditbank.transfer.journal_check import TransferCheck


def transfer_check(learner_id: str, findings: list[Finding]) -> TransferCheck:
    """A learner's transfer check without catalogues (an export has none)."""
    return TransferCheck(learner_id, findings, catalogues=None)


def verify_export(
    lines: Iterable[str], checkpoint: Mapping[str, Any] | None, public_key: bytes | None = None
) -> Report:
    """:func:`creditbank.domain.verify.verify_export`, every learner's transfers replayed too."""
    return verify_chains(lines, checkpoint, public_key, learner_checks=(transfer_check,))
