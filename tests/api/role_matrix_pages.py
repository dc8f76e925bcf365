"""The role matrix's rows for the browser console's pages (tests/api/test_role_matrix.py
adds them to ``DECISIONS``): the college's and the workstation's conversion pages, the
workstation's learner, opening, rule-set and upload pages, and the learner portal.

A workstation page lets in the staff roles its guard names (``login_required``: workstation
and auditor; ``writer_required``: the workstation only, so an auditor's session gets 403);
any other session, or none, is sent to the sign-in form. A learner page lets in the learner
signed in to the portal (the own side's, its first-sign-in password change made) and sends
every other caller, staff sessions too, to the portal's sign-in form. A form that needs a
file or a staged name to succeed is posted without one: past the guard, refused beside its
field (422)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.api.helpers import national_id
from tests.api.matrix_colleges import APPLICATIONS, PASSWORD
from tests.api.role_matrix_rows import (
    ANY,
    MISSING,
    OWNED,
    SCOPED,
    Call,
    Row,
    fixed,
    for_anyone_in_a_browser,
    page,
    staff,
    writer_page,
)
from tests.api.uploads import HOURS_HEADER, csv_bytes

if TYPE_CHECKING:
    from tests.api.test_role_matrix import World

LEARNER_SIGN_IN = "/learner/login"
LEARNER_HOME = "/learner/"


def pending_item(world: World, side: str) -> str:
    return world.colleges.item_path(side)


def approved_item(world: World, side: str) -> str:
    return world.colleges.decided(side)


def flagged_item(world: World, side: str) -> str:
    return world.colleges.flagged(side)


# -- the conversion pages (college's, workstation's) ---------------------------------------------
COLLEGE_PAGE = {"college": ANY}  # a college's staff session; every other role: 403
WRITER_PAGE = {"workstation": ANY}  # a workstation form: auditors read, never post


def own_application(prefix: str, suffix: str = "", decided: bool = False, **kw: Any):
    """A page of the own side's application (``decided``: its item approved, closed)."""

    def call(world: World, _role: str, _target: str) -> Call:
        if decided:
            world.colleges.decided("own")
        return Call(f"{prefix}/{world.colleges.application('own')['id']}{suffix}", **kw)

    return call


def college_item(verb: str, item: Callable[[World, str], str], **kw: Any):
    """A college page's form on the own side's item as ``item`` leaves it."""

    def call(world: World, _role: str, _target: str) -> Call:
        path = item(world, "own").removeprefix(APPLICATIONS)
        return Call(f"/college/applications{path}/{verb}", **kw)

    return call


def own_programme_sheet(world: World, _role: str, _target: str) -> Call:
    return Call(f"/college/programmes/{world.colleges.programme('own')}/catalogue.xlsx")


def eligibility_page(world: World, _role: str, _target: str) -> Call:
    from creditbank.domain.account_numbers import format_account_number
    from creditbank.extensions import db
    from creditbank.models import Account

    number = db.session.get(Account, world.learner_id["own"]).account_number
    programme = world.colleges.programme("own")
    query = {"account": format_account_number(number), "programme_id": programme}
    return Call("/workstation/conversion/apply", query=query)


CONVERSION_PAGES: dict[str, Row] = {
    "GET /college/": Row(fixed("/college/"), COLLEGE_PAGE, browser=True),
    "GET /college/applications/{}": Row(
        own_application("/college/applications"), COLLEGE_PAGE, browser=True
    ),
    "GET /college/applications/{}/certificate.pdf": Row(
        own_application("/college/applications", "/certificate.pdf", decided=True),
        COLLEGE_PAGE,
        browser=True,
    ),
    "GET /college/applications/{}/items/{}/revoke": Row(
        college_item("revoke", approved_item), COLLEGE_PAGE, browser=True
    ),
    "POST /college/applications/{}/items/{}/approve": Row(
        college_item("approve", pending_item, data={"grade": "优秀"}),
        COLLEGE_PAGE,
        ok=(302,),
        browser=True,
    ),
    "POST /college/applications/{}/items/{}/reject": Row(
        college_item("reject", pending_item, data={"reason": "材料不全"}),
        COLLEGE_PAGE,
        ok=(302,),
        browser=True,
    ),
    "POST /college/applications/{}/items/{}/revoke": Row(
        college_item("revoke", approved_item, data={"reason": "证书撤销", "confirm": "yes"}),
        COLLEGE_PAGE,
        ok=(302,),
        browser=True,
    ),
    "POST /college/applications/{}/items/{}/confirm": Row(
        college_item("confirm", flagged_item, data={}), COLLEGE_PAGE, ok=(302,), browser=True
    ),
    "GET /college/catalogues": Row(fixed("/college/catalogues"), COLLEGE_PAGE, browser=True),
    # Posted with no file (and a staged name that is none): refused beside the field.
    "POST /college/catalogues/preview": Row(
        fixed("/college/catalogues/preview", data={}), COLLEGE_PAGE, ok=(422,), browser=True
    ),
    "POST /college/catalogues/publish": Row(
        fixed("/college/catalogues/publish", data={"staged": "none"}),
        COLLEGE_PAGE,
        ok=(422,),
        browser=True,
    ),
    "GET /college/programmes/{}/catalogue.xlsx": Row(
        own_programme_sheet, COLLEGE_PAGE, browser=True
    ),
    "GET /college/records": Row(fixed("/college/records"), COLLEGE_PAGE, browser=True),
    "GET /workstation/conversion": page("/workstation/conversion"),
    "GET /workstation/conversion/apply": Row(eligibility_page, staff(), browser=True),
    "GET /workstation/conversion/applications/{}": Row(
        own_application("/workstation/conversion/applications"), staff(), browser=True
    ),
    "GET /workstation/conversion/applications/{}/certificate.pdf": Row(
        own_application("/workstation/conversion/applications", "/certificate.pdf", decided=True),
        staff(),
        browser=True,
    ),
    "GET /workstation/conversion/record.xlsx": page("/workstation/conversion/record.xlsx"),
    # The workstation's forms, posted empty: past the guard, refused beside their fields.
    **{
        f"POST /workstation/conversion/{path}": Row(
            fixed(f"/workstation/conversion/{path}", data=data),
            WRITER_PAGE,
            ok=(422,),
            browser=True,
        )
        for path, data in (
            ("apply", {}),
            ("enrol", {}),
            ("enrol-sheet", {}),
            ("enrol-sheet/confirm", {"staged": "none"}),
        )
    },
}


# -- the workstation's learner pages, openings, rule sets and uploads ---------------------------


def own_learner(suffix: str = "", **kw: Any) -> Callable[[World, str, str], Call]:
    """A page of the own side's learner."""
    return lambda world, _role, _target: Call(
        f"/workstation/learners/{world.learner_id['own']}{suffix}", **kw
    )


def fresh_learner(suffix: str, data: dict[str, str]) -> Callable[[World, str, str], Call]:
    """A form on a new learner (张三) each time: correcting, erasing or resetting spends it."""

    def call(world: World, _role: str, _target: str) -> Call:
        learner = world.api.new_learner(password=PASSWORD)
        return Call(f"/workstation/learners/{learner}{suffix}", data=data)

    return call


def void_page(data: dict[str, str] | None = None) -> Callable[[World, str, str], Call]:
    """Voiding a new outcome of the own side's learner (voiding spends it)."""

    def call(world: World, _role: str, _target: str) -> Call:
        outcome = world.new_pending("own")  # no category: whatever ruleset is in force
        path = f"/workstation/learners/{world.learner_id['own']}/outcomes/{outcome}/void"
        return Call(path, data=data)

    return call


def opening(_world: World, _role: str, _target: str) -> Call:
    """A new learner's details, under a national ID nobody has opened an account with yet (a
    random birth date in 1950-1999 and serial)."""
    draw = uuid.uuid4().int
    born = f"19{50 + draw % 50}{1 + draw // 50 % 12:02d}{1 + draw // 600 % 28:02d}"
    serial = f"{draw // 16800 % 1000:03d}"
    form = {"name": "赵六", "national_id": national_id(born=born, serial=serial), "phone": ""}
    return Call("/workstation/learners/open", data=form)


def ruleset_page(suffix: str = "", **kw: Any) -> Callable[[World, str, str], Call]:
    return lambda world, _role, _target: Call(
        f"/workstation/rulesets/{world.ruleset_id}{suffix}", **kw
    )


def compare_rulesets(world: World, _role: str, _target: str) -> Call:
    query = {"old": world.ruleset_id, "new": world.ruleset_id}
    return Call("/workstation/rulesets/compare", query=query)


def sheet(world: World) -> bytes:
    """One row of 16 training hours for the own side's learner."""
    row = [
        world.learner_id["own"],
        f"m-{uuid.uuid4().hex}",
        "培训学时",
        "2026-01-05",
        "theory",
        "16",
    ]
    return csv_bytes(HOURS_HEADER, [row])


def upload_form(world: World, _role: str, _target: str) -> Call:
    form = {
        "provider_id": world.provider_id["own"],
        "file": (io.BytesIO(sheet(world)), "outcomes.csv"),
    }
    return Call("/workstation/uploads/new", data=form, content_type="multipart/form-data")


def previewed_upload(suffix: str = "", **kw: Any) -> Callable[[World, str, str], Call]:
    """A page of a sheet the workstation previewed for the own side's provider."""

    def call(world: World, _role: str, _target: str) -> Call:
        from creditbank.services.sheet_uploads import preview_upload

        preview = preview_upload(
            "staff:matrix", world.provider_id["own"], "outcomes.csv", sheet(world)
        )
        return Call(f"/workstation/uploads/{preview.upload.id}{suffix}", **kw)

    return call


OPENED_LIST = {"row": "2", "name": "赵六", "account_number": "1234 5678 9012", "password": "x1"}

WORKSTATION_PAGES: dict[str, Row] = {
    "GET /workstation/learners/{}": Row(own_learner(), staff(), browser=True),
    **{
        f"GET /workstation/learners/{{}}/{name}": Row(
            own_learner(f"/{name}"), staff(), browser=True
        )
        for name in ("transcript.html", "transcript.pdf", "credential.jwt")
    },
    "GET /workstation/learners/{}/identity": writer_page(own_learner("/identity")),
    "POST /workstation/learners/{}/identity": writer_page(
        fresh_learner("/identity", {"name": "王五", "national_id": ""}), 302
    ),
    "GET /workstation/learners/{}/erase": writer_page(own_learner("/erase")),
    "POST /workstation/learners/{}/erase": writer_page(
        fresh_learner("/erase", {"confirm": "张三"}), 302
    ),
    "GET /workstation/learners/{}/password": writer_page(own_learner("/password")),
    # The new password is the answer to the POST itself (a page, never a redirect).
    "POST /workstation/learners/{}/password": writer_page(fresh_learner("/password", {})),
    "GET /workstation/learners/{}/outcomes/{}/void": writer_page(void_page()),
    "POST /workstation/learners/{}/outcomes/{}/void": writer_page(
        void_page({"reason": "录入错误"}), 302
    ),
    # Searching reads: auditors search too.
    "GET /workstation/learners/search": page("/workstation/learners/search"),
    "POST /workstation/learners/search": Row(
        fixed("/workstation/learners/search", data={"q": "张三"}), staff(), browser=True
    ),
    # Opening accounts, alone or from a sheet: the workstation's only, its forms too.
    "GET /workstation/learners/open": writer_page(fixed("/workstation/learners/open")),
    "POST /workstation/learners/open": writer_page(opening),
    "GET /workstation/learners/collective": writer_page(fixed("/workstation/learners/collective")),
    "POST /workstation/learners/collective/preview": writer_page(
        fixed("/workstation/learners/collective/preview", data={}), 422
    ),
    "POST /workstation/learners/collective/confirm": writer_page(
        fixed("/workstation/learners/collective/confirm", data={"staged": "none"}), 422
    ),
    "POST /workstation/learners/collective/list": writer_page(
        fixed("/workstation/learners/collective/list", data=OPENED_LIST)
    ),
    # Rule sets: everyone signed in reads, and sees the publish form; posting it is the
    # workstation's.
    "GET /workstation/rulesets": page("/workstation/rulesets"),
    "GET /workstation/rulesets/{}": Row(ruleset_page(), staff(), browser=True),
    "GET /workstation/rulesets/compare": Row(compare_rulesets, staff(), browser=True),
    "GET /workstation/rulesets/publish": page("/workstation/rulesets/publish"),
    "POST /workstation/rulesets/publish": writer_page(
        fixed("/workstation/rulesets/publish", data={}), 422
    ),
    "POST /workstation/rulesets/publish/confirm": writer_page(
        fixed("/workstation/rulesets/publish/confirm", data={"staged": "none"}), 422
    ),
    # Uploads for a provider: everyone signed in reads, the workstation previews and confirms.
    "GET /workstation/uploads": page("/workstation/uploads"),
    "GET /workstation/uploads/new": page("/workstation/uploads/new"),
    "GET /workstation/uploads/template.xlsx": Row(
        fixed("/workstation/uploads/template.xlsx", query={"kind": "training_hours"}),
        staff(),
        browser=True,
    ),
    "GET /workstation/uploads/{}": Row(previewed_upload(), staff(), browser=True),
    "POST /workstation/uploads/new": writer_page(upload_form),
    "POST /workstation/uploads/{}/confirm": writer_page(
        previewed_upload("/confirm", data={"staged": "none"}), 422
    ),
}


# -- the learner portal ----------------------------------------------------------------------
LEARNER = {"learner": ANY}  # the learner signed in to the portal: its own pages
OWN_ONLY = {"learner": SCOPED}  # ... and another learner's application as if there were none
SAME_PASSWORD = {"old_password": PASSWORD, "new_password": PASSWORD, "confirm_password": PASSWORD}


def account_number(world: World, side: str = "own") -> str:
    from creditbank.domain.account_numbers import format_account_number
    from creditbank.extensions import db
    from creditbank.models import Account

    return format_account_number(db.session.get(Account, world.learner_id[side]).account_number)


def learner_sign_in(world: World, _role: str, _target: str) -> Call:
    """The portal's sign-in form, filled in with the own side's learner's account number."""
    form = {"username": account_number(world), "password": PASSWORD}
    return Call(LEARNER_SIGN_IN, data=form)


def learner_application(suffix: str = "", decided: bool = False):
    """The side's learner's application (``decided``: closed, with a certificate)."""

    def call(world: World, _role: str, target: str) -> Call:
        if target == "missing":
            return Call(f"/learner/applications/{MISSING['application']}{suffix}")
        if decided:
            world.colleges.decided(target)
        return Call(f"/learner/applications/{world.colleges.application(target)['id']}{suffix}")

    return call


def apply_page(**kw: Any) -> Callable[[World, str, str], Call]:
    """The side's programme, the side's learner enrolled in it: the own learner's to apply to;
    the other's, or none, is 404 to it. Posted with no course ticked: 422 beside the list."""

    def call(world: World, _role: str, target: str) -> Call:
        missing = target == "missing"
        programme = MISSING["programme"] if missing else world.colleges.programme(target)
        return Call(f"/learner/apply/{programme}", **kw)

    return call


LEARNER_PAGES: dict[str, Row] = {
    "GET /learner/": Row(fixed(LEARNER_HOME), LEARNER, browser=True),
    "GET /learner/password": Row(fixed("/learner/password"), LEARNER, browser=True),
    "POST /learner/password": Row(
        fixed("/learner/password", data=SAME_PASSWORD), LEARNER, ok=(302,), browser=True
    ),
    "GET /learner/applications": Row(fixed("/learner/applications"), LEARNER, browser=True),
    "GET /learner/applications/{}": Row(learner_application(), OWN_ONLY, OWNED, browser=True),
    "GET /learner/applications/{}/certificate.pdf": Row(
        learner_application("/certificate.pdf", decided=True), OWN_ONLY, OWNED, browser=True
    ),
    "GET /learner/apply/{}": Row(apply_page(), OWN_ONLY, OWNED, browser=True),
    "POST /learner/apply/{}": Row(
        apply_page(data={"ref": "matrix"}), OWN_ONLY, OWNED, ok=(422,), browser=True
    ),
    "GET /learner/documents": Row(fixed("/learner/documents"), LEARNER, browser=True),
    "GET /learner/documents/transcript.pdf": Row(
        fixed("/learner/documents/transcript.pdf"), LEARNER, browser=True
    ),
    "GET /learner/documents/credential.jwt": Row(
        fixed("/learner/documents/credential.jwt"), LEARNER, browser=True
    ),
    # ...and the portal's door, open to anyone: its form, signing in and out
    "GET /learner/login": for_anyone_in_a_browser(fixed(LEARNER_SIGN_IN)),
    "POST /learner/login": for_anyone_in_a_browser(learner_sign_in, 302),
    "POST /learner/logout": for_anyone_in_a_browser(fixed("/learner/logout", data={}), 302),
}
