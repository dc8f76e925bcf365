"""``source_changed`` (PROGRAMMES.md § Ledger semantics, rule 6): an exemption never changes
silently. When a debited outcome comes to be voided, or to earn less than was debited for it,
every approved item naming that key is flagged; the college confirms or revokes.

A debited outcome that comes to earn *more* changes nothing: its key stays held.
"""

from __future__ import annotations

from collections.abc import Mapping

from creditbank.transfer.entries import SourceLine
from creditbank.transfer.ledger import Ledger
from creditbank.transfer.model import Banked

SOURCE_CHANGED = "source_changed"


def short(line: SourceLine, banked: Mapping[str, Banked]) -> bool:
    """The debited outcome is voided (or gone) or earns less than its line debited."""
    source = banked.get(line.outcome_id)
    return source is None or source.voided or source.credits < line.amount


def short_items(ledger: Ledger, banked: Mapping[str, Banked]) -> dict[str, list[str]]:
    """Each approved item a debited source of which is now short, with those sources (the
    audit's check 6: every one of them must be flagged or confirmed)."""
    found: dict[str, list[str]] = {}
    for (application_id, key), lines in ledger.debits.items():
        outcomes = [line.outcome_id for line in lines if short(line, banked)]
        if outcomes:
            for item_id in _naming(ledger, application_id, key):
                found.setdefault(item_id, []).extend(outcomes)
    return found


def items_to_flag(
    ledger: Ledger, before: Mapping[str, Banked], after: Mapping[str, Banked]
) -> list[str]:
    """The approved items to flag after a post, void or review moved ``before`` to ``after``:
    those naming a key a debited outcome of which this change left short (voided now, or
    earning less than before and than was debited). Confirmed items are flagged again."""
    flagged: list[str] = []
    for (application_id, key), lines in ledger.debits.items():
        if any(_dropped(line, before, after) for line in lines):
            flagged.extend(_naming(ledger, application_id, key))
    return sorted(set(flagged), key=flagged.index)


def _dropped(line: SourceLine, before: Mapping[str, Banked], after: Mapping[str, Banked]) -> bool:
    was, now = before.get(line.outcome_id), after.get(line.outcome_id)
    if now is None or not short(line, after):
        return False
    newly_voided = now.voided and (was is None or not was.voided)
    return newly_voided or (was is not None and now.credits < was.credits)


def _naming(ledger: Ledger, application_id: str, key: str) -> list[str]:
    transfers = sorted(ledger.live.values(), key=lambda t: t.seq)
    return [
        t.item_id for t in transfers if t.application_id == application_id and key in t.claim_keys
    ]
