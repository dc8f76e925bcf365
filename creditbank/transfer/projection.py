"""The items as the journal says they must stand (PROGRAMMES.md § Audits, check 5): an item is
``approved`` exactly when a transfer names it and no reversal does, ``revoked`` when both do,
with the same seqs, course, credits and grade; every transfer names an item of the learner."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from creditbank.domain.amounts import format_tenths
from creditbank.transfer.entries import Transfer
from creditbank.transfer.ledger import Ledger
from creditbank.transfer.model import Item, ItemStatus

Difference = tuple[int | None, str, str]  # seq, expected, found


def expected_status(ledger: Ledger, transfer: Transfer | None) -> ItemStatus | None:
    """What the journal makes of an item: approved, revoked, or (no transfer) undecided."""
    if transfer is None:
        return None
    return ItemStatus.REVOKED if transfer.seq in ledger.reversed else ItemStatus.APPROVED


def check_projection(ledger: Ledger, items: Sequence[Item]) -> Iterator[Difference]:
    """Every difference between ``items`` and the transfers and reversals ``ledger`` folded."""
    transfers = {t.item_id: t for t in sorted(ledger.transfers.values(), key=lambda t: t.seq)}
    known = {item.item_id for item in items}
    for item_id, transfer in transfers.items():
        if item_id not in known:
            yield transfer.seq, f"an item {item_id} of this learner", "no such item"
    for item in items:
        yield from _item_differences(ledger, item, transfers.get(item.item_id))


def _item_differences(
    ledger: Ledger, item: Item, transfer: Transfer | None
) -> Iterator[Difference]:
    status = expected_status(ledger, transfer)
    if transfer is None:
        if (
            item.status in (ItemStatus.APPROVED, ItemStatus.REVOKED)
            or item.transfer_seq is not None
        ):
            yield (
                item.transfer_seq,
                f"item {item.item_id} undecided or rejected (no transfer)",
                _item(item),
            )
        return
    reversal_seq = ledger.reversed.get(transfer.seq)
    expected = (
        status,
        transfer.seq,
        reversal_seq,
        transfer.course_code,
        transfer.course_credits,
        transfer.grade,
    )
    found = (
        item.status,
        item.transfer_seq,
        item.reversal_seq,
        item.course_code,
        item.course_credits,
        item.grade,
    )
    if expected != found:
        yield transfer.seq, _spell(item.item_id, *expected), _item(item)


def _item(item: Item) -> str:
    return _spell(
        item.item_id,
        item.status,
        item.transfer_seq,
        item.reversal_seq,
        item.course_code,
        item.course_credits,
        item.grade,
    )


def _spell(
    item_id: str,
    status: ItemStatus | None,
    transfer_seq: int | None,
    reversal_seq: int | None,
    course_code: str,
    credits: int,
    grade: str | None,
) -> str:
    state = status.value if status is not None else "undecided"
    return (
        f"item {item_id} {state}, transfer_seq {transfer_seq}, reversal_seq {reversal_seq}, "
        f"{course_code} {format_tenths(credits)} credits, grade {grade}"
    )
