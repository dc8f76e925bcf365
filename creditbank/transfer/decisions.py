"""A college's decisions on an item: the checks in the documented order, then the credits the
decision moves (PROGRAMMES.md § Caps and checks at decision time; § Ledger semantics).

Check 1 (the item is the caller's college's) and the same-body repeat of a decision are the
services' (they need the caller and the stored decision); the rest is here. The first check
that fails is the answer, and nothing may be written after a :class:`Refusal`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from creditbank.transfer.entries import Movement
from creditbank.transfer.equivalence_documents import GRADE_WORDS
from creditbank.transfer.ledger import Exemption, Ledger
from creditbank.transfer.model import Banked, Catalogue, Item, ItemStatus
from creditbank.transfer.refusals import CapBreach, CapName, Problem, Refusal, cap_refusal, refused
from creditbank.transfer.sources import unavailable

_SCORE = re.compile(r"[1-9][0-9]{1,2}", re.ASCII)


def check_pending(item: Item) -> Refusal | None:
    """Check 2: a withdrawn item is ``not_pending``; a decided one ``already_decided``."""
    if item.status is ItemStatus.PENDING:
        return None
    if item.status is ItemStatus.WITHDRAWN:
        return refused(Problem.NOT_PENDING, f"Item {item.item_id} was withdrawn.")
    return refused(Problem.ALREADY_DECIDED, f"Item {item.item_id} is {item.status.value} already.")


def decision_grade(grade: str | None, suggested: str) -> str | None:
    """The grade an approval records: the college's — a word, or a whole score ``"60"`` to
    ``"100"`` — else the item's suggested one; None when the college's is neither."""
    if grade is None:
        return suggested
    if grade in GRADE_WORDS or (_SCORE.fullmatch(grade) and 60 <= int(grade) <= 100):
        return grade
    return None


def check_rejection(item: Item) -> Refusal | None:
    """A rejection needs only the item to be pending."""
    return check_pending(item)


def check_sources(exemption: Exemption, banked: Mapping[str, Banked]) -> Refusal | None:
    """Check 4: every outcome the item names is still not voided, credited, > 0."""
    problems = [p for oid in exemption.outcome_ids if (p := unavailable(oid, banked)) is not None]
    if problems:
        return refused(Problem.SOURCE_UNAVAILABLE, " ".join(problems))
    return None


def check_caps(exemption: Exemption, catalogue: Catalogue, ledger: Ledger) -> Refusal | None:
    """Checks 5–7: per source (each claim key), online (an online equivalence), share; first
    come, first served, under the caps of the catalogue the application was filed under."""
    breach = cap_breach(exemption, catalogue, ledger)
    return None if breach is None else cap_refusal(breach)


def cap_breach(exemption: Exemption, catalogue: Catalogue, ledger: Ledger) -> CapBreach | None:
    """The first cap, in the documented order, that approving ``exemption`` would pass."""
    return (
        _per_source_breach(exemption, catalogue, ledger)
        or _online_breach(exemption, catalogue, ledger)
        or _share_breach(exemption, catalogue, ledger)
    )


def _per_source_breach(
    exemption: Exemption, catalogue: Catalogue, ledger: Ledger
) -> CapBreach | None:
    """Through each claim key (each outcome of a ``credits`` equivalence is its own key, and
    charged the course's full credits); ``per_source: null`` checks nothing."""
    limit, wanted = catalogue.caps.per_source, exemption.course_credits
    if limit is None:
        return None
    for key in exemption.claim_keys:
        through = ledger.recognised(exemption.programme_id, key=key)
        if through + wanted > limit:
            return CapBreach(CapName.PER_SOURCE, key, limit, through, wanted)
    return None


def _online_breach(exemption: Exemption, catalogue: Catalogue, ledger: Ledger) -> CapBreach | None:
    if not exemption.online:
        return None
    online = ledger.recognised(exemption.programme_id, online=True)
    if online + exemption.course_credits > catalogue.online_cap:
        return CapBreach(
            CapName.ONLINE, None, catalogue.online_cap, online, exemption.course_credits
        )
    return None


def _share_breach(exemption: Exemption, catalogue: Catalogue, ledger: Ledger) -> CapBreach | None:
    recognised = ledger.recognised(exemption.programme_id)
    if recognised + exemption.course_credits > catalogue.share_cap:
        return CapBreach(
            CapName.SHARE, None, catalogue.share_cap, recognised, exemption.course_credits
        )
    return None


def approve(
    item: Item,
    catalogue: Catalogue,
    ledger: Ledger,
    banked: Mapping[str, Banked],
    *,
    enrolled: bool,
) -> Movement | Refusal:
    """Checks 2–7 in order, then the debit (rule 1) and the converted totals after it.

    ``catalogue`` is the one the application was filed under; ``ledger`` folds the learner's
    transfers and reversals so far; ``banked`` is what each of the learner's outcomes earns now.
    """
    exemption = Exemption.of_item(item)
    refusal = check_pending(item)
    if refusal is None and not enrolled:
        refusal = refused(Problem.NOT_ENROLLED, "The learner's enrolment in the programme ended.")
    refusal = (
        refusal or check_sources(exemption, banked) or check_caps(exemption, catalogue, ledger)
    )
    if refusal is not None:
        return refusal
    return ledger.movement(ledger.debit(exemption, banked), +1)


def revoke(item: Item, ledger: Ledger) -> Movement | Refusal:
    """``not_approved`` / ``already_revoked``, else the return (rule 2) and the totals after."""
    if item.status is ItemStatus.REVOKED:
        return refused(Problem.ALREADY_REVOKED, f"Item {item.item_id} is revoked already.")
    transfer = ledger.live.get(item.item_id)
    if item.status is not ItemStatus.APPROVED or transfer is None:
        return refused(
            Problem.NOT_APPROVED, f"Item {item.item_id} is {item.status.value}, not approved."
        )
    return ledger.movement(ledger.give_back(transfer), -1)


def check_confirmation(item: Item) -> Refusal | None:
    """Only a flagged item can be confirmed."""
    if item.flagged:
        return None
    return refused(Problem.NOT_FLAGGED, f"Item {item.item_id} is not flagged.")


def room(catalogue: Catalogue, ledger: Ledger) -> tuple[int, int]:
    """What is left under the share cap and the online cap (never below 0)."""
    programme = catalogue.programme_id
    share = catalogue.share_cap - ledger.recognised(programme)
    online = catalogue.online_cap - ledger.recognised(programme, online=True)
    return max(share, 0), max(online, 0)
