"""The words of the role matrix (tests/api/test_role_matrix.py): who a row lets in
(``Access``), how a row calls its route (``Call``), the row itself (``Row``), ids that name
nothing, and the shapes of page rows the matrix and its page rows (role_matrix_pages.py) share.
A row's call takes the matrix's ``World``, the role and the target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.api.test_role_matrix import World

ROLES = ("workstation", "auditor", "provider", "learner", "college")


class Access(Enum):
    ANY = "any"
    OWN = "own"
    SELF = "self"
    SCOPED = "scoped"
    HIDDEN = "hidden"
    NO = "no"


ANY, OWN, SELF, SCOPED, NO = Access.ANY, Access.OWN, Access.SELF, Access.SCOPED, Access.NO
HIDDEN = Access.HIDDEN
OWNED = ("own", "other", "missing")  # a resource with an owner among the sides
SIDES = ("own", "other")  # ... where no resource is named (what is made is the side's)
SINGLE = ("one", "missing")  # a resource that belongs to no side
COLLECTION = ("-",)  # no resource in the path


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    data: Any = None
    query: dict[str, str] | None = None
    headers: dict[str, str] | None = None  # instead of the role's own (a fresh learner's)
    content_type: str | None = None


@dataclass(frozen=True)
class Row:
    """Who may call a route, and how to call it for a role on a target."""

    call: Callable[[World, str, str], Call]
    access: dict[str, Access] = field(default_factory=dict)  # roles left out: NO
    targets: tuple[str, ...] = COLLECTION
    ok: tuple[int, ...] = (200,)
    public: bool = False
    browser: bool = False  # decided by a session in a browser (staff or learner), not a token


def staff(level: Access = ANY) -> dict[str, Access]:
    return {"workstation": level, "auditor": level}


def everyone(level: Access = ANY) -> dict[str, Access]:
    return dict.fromkeys(ROLES, level)


MISSING = {
    "learner": "L01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "outcome": "o_01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "provider": "p_01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "client": "c_01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "ruleset": "rs_01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "audit": "a_01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "programme": "pg_01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "catalogue": "cat_01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "college": "col_01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "application": "ta_01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "item": "ti_01JZZZZZZZZZZZZZZZZZZZZZZZ",
}


def fixed(path: str, **kwargs: Any) -> Callable[[World, str, str], Call]:
    return lambda _world, _role, _target: Call(path, **kwargs)


def page(path: str) -> Row:
    """A page of the workstation: every signed-in staff role sees it."""
    return Row(fixed(path), staff(), browser=True)


def writer_page(call: Callable[[World, str, str], Call], *ok: int) -> Row:
    """A page, or a form, that only the workstation may open or post (auditors: 403)."""
    return Row(call, {"workstation": ANY}, browser=True, ok=ok or (200,))


def for_anyone_in_a_browser(call: Callable[[World, str, str], Call], *ok: int) -> Row:
    return Row(call, public=True, browser=True, ok=ok or (200,))
