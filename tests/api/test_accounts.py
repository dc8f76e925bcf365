"""A learner's balance and hash-chained ledger (API.md § A learner's account)."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from tests.api.helpers import SHANGHAI, assert_problem, ledger_of, walk_pages

HEX64 = re.compile(r"^[0-9a-f]{64}$")
GENESIS = "0" * 64


def balance(api, learner, headers, as_of: str | None = None):
    query = f"?as_of={quote(as_of, safe='')}" if as_of else ""
    return api.get(f"/api/v1/learners/{learner}/balance{query}", headers)


def recompute_hash(entry: dict) -> str:
    """DESIGN.md invariant 2, from the published entry alone: SHA-256 of canonical JSON."""
    document = {key: value for key, value in entry.items() if key != "hash"}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@pytest.fixture
def account(api):
    """A learner with credits in two categories: (api, learner_id, provider headers)."""
    api.publish_ruleset()
    learner = api.new_learner()
    _, provider = api.new_provider()
    certificate = {
        "learner_id": learner,
        "external_ref": "cert-1",
        "kind": "certificate",
        "certificate_code": "1X-WEB",
        "level": "junior",
        "certificate_no": "C-9",
        "achieved_on": "2026-03-01",
        "title": "Web 前端开发职业技能等级证书（初级）",  # hashed as UTF-8, not \u escapes
    }
    responses = [
        api.post_outcome(provider, learner, hours="10"),  # theory 0.5
        api.post_outcome(provider, learner, hours="14"),  # theory +1.0 (24 h)
        api.post("/api/v1/outcomes", provider, json=certificate),  # certificate 2.0
    ]
    assert [r.status_code for r in responses] == [201, 201, 201]
    return api, learner, provider


# -- balance ---------------------------------------------------------------------------------


def test_balance_has_total_by_category_and_seq_of_the_last_entry(account):
    api, learner, _ = account

    response = balance(api, learner, api.workstation)

    assert response.status_code == 200
    body = response.get_json()
    assert body["learner_id"] == learner
    assert body["total"] == "3.5"
    assert body["by_category"] == {"certificate": "2.0", "theory": "1.5"}
    assert body["seq"] == len(ledger_of(api, learner, api.workstation))
    assert body["as_of"]


def test_balance_keeps_a_category_at_zero_after_its_credits_are_voided(account):
    api, learner, provider = account
    outcomes = walk_pages(api, f"/api/v1/outcomes?learner_id={learner}", provider)
    certificate = next(o for o in outcomes if o["kind"] == "certificate")

    voided = api.post(
        f"/api/v1/outcomes/{certificate['id']}/void", provider, json={"reason": "证书撤销"}
    )

    assert voided.status_code == 201
    body = balance(api, learner, api.workstation).get_json()
    assert body["total"] == "1.5"
    assert body["by_category"] == {"certificate": "0.0", "theory": "1.5"}


def test_balance_as_of_before_the_first_credit_is_zero(account):
    api, learner, _ = account

    body = balance(api, learner, api.workstation, "2000-01-01T00:00:00+08:00").get_json()

    assert body["total"] == "0.0"
    assert body["by_category"] == {}
    assert body["seq"] == 0


def test_balance_as_of_between_posts_is_the_running_total_then(account):
    api, learner, _ = account
    credits = [e for e in ledger_of(api, learner, api.workstation) if e["kind"] == "credit"]
    first = credits[0]
    instant = datetime.fromisoformat(first["recorded_at"].replace("Z", "+00:00"))
    in_shanghai = instant.astimezone(SHANGHAI).isoformat()

    at_utc = balance(api, learner, api.workstation, first["recorded_at"]).get_json()
    at_offset = balance(api, learner, api.workstation, in_shanghai).get_json()
    just_before = balance(
        api, learner, api.workstation, (instant - timedelta(microseconds=1)).isoformat()
    ).get_json()

    assert first["running_total"] == "0.5"
    assert (at_utc["total"], at_utc["seq"]) == ("0.5", first["seq"])
    assert at_utc["by_category"] == {"theory": "0.5"}
    assert (at_offset["total"], at_offset["seq"]) == ("0.5", first["seq"])
    assert just_before["total"] == "0.0"


@pytest.mark.parametrize(
    "as_of",
    [
        "2026-01-01T00:00:00",  # no offset
        "yesterday",
        "0001-01-01T00:00:00+14:00",  # before year 1 once in UTC
        "9999-12-31T23:59:59-23:59",  # after year 9999 once in UTC
    ],
    ids=["no-offset", "not-an-instant", "below-range-in-utc", "above-range-in-utc"],
)
def test_balance_as_of_that_is_not_a_usable_instant_is_422(account, as_of):
    api, learner, _ = account

    response = balance(api, learner, api.workstation, as_of)

    assert_problem(response, 422, "validation_error", "as_of")


# -- ledger ----------------------------------------------------------------------------------


def test_ledger_entries_carry_seq_kind_recorded_at_and_lowercase_hashes(account):
    api, learner, _ = account

    entries = ledger_of(api, learner, api.learner_headers(learner))

    assert [entry["seq"] for entry in entries] == list(range(1, len(entries) + 1))
    assert [entry["kind"] for entry in entries] == [
        "outcome",
        "credit",
        "outcome",
        "credit",
        "outcome",
        "credit",
    ]
    for entry in entries:
        assert entry["recorded_at"].endswith("Z")
        assert HEX64.match(entry["hash"]), entry["hash"]
        assert HEX64.match(entry["prev_hash"]), entry["prev_hash"]
    recorded = [entry["recorded_at"] for entry in entries]
    assert recorded == sorted(recorded)


def test_credit_entries_say_which_outcome_and_ruleset_earned_them(account):
    api, learner, _ = account

    entries = ledger_of(api, learner, api.workstation)

    outcome_ids = {e["outcome_id"] for e in entries if e["kind"] == "outcome"}
    credits = [e for e in entries if e["kind"] == "credit"]
    for credit in credits:
        assert {"delta", "running_total", "running_by_category", "reason", "ruleset_id"} <= (
            credit.keys()
        )
        assert credit["outcome_id"] in outcome_ids
    assert [c["delta"] for c in credits] == ["0.5", "1.0", "2.0"]
    assert [c["running_total"] for c in credits] == ["0.5", "1.5", "3.5"]
    assert credits[-1]["running_by_category"] == {"theory": "1.5", "certificate": "2.0"}


def test_ledger_is_a_hash_chain_starting_from_64_zeros(account):
    api, learner, _ = account

    entries = ledger_of(api, learner, api.workstation)

    assert entries[0]["prev_hash"] == GENESIS
    for previous, entry in itertools.pairwise(entries):
        assert entry["prev_hash"] == previous["hash"], entry["seq"]


def test_every_entry_hash_recomputes_from_the_published_entry(account):
    api, learner, _ = account

    entries = ledger_of(api, learner, api.auditor)

    assert entries
    for entry in entries:
        assert recompute_hash(entry) == entry["hash"], entry


def test_ledger_keyset_pagination_returns_every_entry_once_in_order(account):
    api, learner, _ = account
    everything = ledger_of(api, learner, api.workstation)

    first_page = api.get(f"/api/v1/learners/{learner}/ledger?limit=4", api.workstation)
    paged = walk_pages(api, f"/api/v1/learners/{learner}/ledger", api.workstation, limit=4)

    assert len(first_page.get_json()["items"]) == 4
    assert first_page.get_json()["next_cursor"]
    assert paged == everything
    assert len(everything) == 6


def test_ledger_with_a_forged_cursor_is_422(account):
    api, learner, _ = account

    response = api.get(f"/api/v1/learners/{learner}/ledger?cursor=%7B%7D", api.workstation)

    assert_problem(response, 422, "validation_error", "cursor")


# -- who reads -------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["balance", "ledger"])
def test_learner_reads_only_its_own_account(account, what):
    api, learner, _ = account
    other = api.new_learner()
    headers = api.learner_headers(other)

    assert api.get(f"/api/v1/learners/{other}/{what}", headers).status_code == 200
    assert_problem(api.get(f"/api/v1/learners/{learner}/{what}", headers), 403, "forbidden")


@pytest.mark.parametrize("what", ["balance", "ledger"])
def test_auditor_reads_and_provider_is_refused(account, what):
    api, learner, provider = account

    assert api.get(f"/api/v1/learners/{learner}/{what}", api.auditor).status_code == 200
    assert_problem(api.get(f"/api/v1/learners/{learner}/{what}", provider), 403, "forbidden")


@pytest.mark.parametrize("what", ["balance", "ledger"])
def test_unknown_learner_account_is_404(api, what):
    assert_problem(api.get(f"/api/v1/learners/L_nobody/{what}", api.workstation), 404, "not_found")


def test_new_learner_has_an_empty_ledger_and_zero_balance(api):
    learner = api.new_learner()

    body = balance(api, learner, api.workstation).get_json()

    assert (body["total"], body["by_category"], body["seq"]) == ("0.0", {}, 0)
    assert ledger_of(api, learner, api.workstation) == []
