"""Conversion into college programmes (学分转换 → 免修免考): pure rules from a learner's banked
outcomes, a programme's catalogue and the journal's transfers to filings, decisions and audits.

Filing (:func:`file_items`, :func:`check_claims`), deciding (:func:`approve`, :func:`revoke`)
and auditing (:class:`TransferReplay`) call the same functions on the same :class:`Ledger`, so
an audit is a replay and not a second implementation (PROGRAMMES.md § Where it lives).
"""

from creditbank.transfer.audit import TransferReplay
from creditbank.transfer.catalogues import (
    CatalogueInvalid,
    catalogue_from_document,
    catalogue_in_force,
    validate_catalogue_document,
)
from creditbank.transfer.decisions import (
    approve,
    check_caps,
    check_confirmation,
    check_pending,
    check_rejection,
    check_sources,
    decision_grade,
    revoke,
    room,
)
from creditbank.transfer.eligibility import (
    CourseEligibility,
    CourseStatus,
    Eligibility,
    Option,
    eligibility,
)
from creditbank.transfer.entries import (
    Credit,
    LedgerEntry,
    Movement,
    Reversal,
    SourceLine,
    Transfer,
    reversal_from_document,
    transfer_from_document,
)
from creditbank.transfer.equivalence_documents import GRADE_WORDS
from creditbank.transfer.filing import (
    FiledItem,
    ItemRequest,
    application_status,
    certificate_number,
    check_claims,
    file_items,
    held_keys,
)
from creditbank.transfer.flags import SOURCE_CHANGED, items_to_flag, short_items
from creditbank.transfer.ledger import Exemption, Ledger
from creditbank.transfer.matching import Match, match_course
from creditbank.transfer.model import (
    Banked,
    Catalogue,
    CatalogueCaps,
    Course,
    CourseKind,
    Equivalence,
    EquivalenceKind,
    Item,
    ItemStatus,
    cap_of,
)
from creditbank.transfer.refusals import CapBreach, CapName, Problem, Refusal
from creditbank.transfer.sources import (
    OutcomeBook,
    banked_outcomes,
    claim_key,
    claim_keys,
)

__all__ = [
    "GRADE_WORDS",
    "SOURCE_CHANGED",
    "Banked",
    "CapBreach",
    "CapName",
    "Catalogue",
    "CatalogueCaps",
    "CatalogueInvalid",
    "Course",
    "CourseEligibility",
    "CourseKind",
    "CourseStatus",
    "Credit",
    "Eligibility",
    "Equivalence",
    "EquivalenceKind",
    "Exemption",
    "FiledItem",
    "Item",
    "ItemRequest",
    "ItemStatus",
    "Ledger",
    "LedgerEntry",
    "Match",
    "Movement",
    "Option",
    "OutcomeBook",
    "Problem",
    "Refusal",
    "Reversal",
    "SourceLine",
    "Transfer",
    "TransferReplay",
    "application_status",
    "approve",
    "banked_outcomes",
    "cap_of",
    "catalogue_from_document",
    "catalogue_in_force",
    "certificate_number",
    "check_caps",
    "check_claims",
    "check_confirmation",
    "check_pending",
    "check_rejection",
    "check_sources",
    "claim_key",
    "claim_keys",
    "decision_grade",
    "eligibility",
    "file_items",
    "held_keys",
    "items_to_flag",
    "match_course",
    "reversal_from_document",
    "revoke",
    "room",
    "short_items",
    "transfer_from_document",
    "validate_catalogue_document",
]
