"""The credential's JSON-LD means what it says: each Open Badges AchievementCredential and the
status list credential expand with pyld against the VC 2.0 and Open Badges 3.0.3 contexts
(served from local files only) with no term dropped and none left to the VC 2.0 context's
``issuer-dependent`` vocabulary, which is what JSON-LD safe mode refuses. pyld 2.0.4 does not
implement ``safeMode`` itself (the option is passed and ignored), so :func:`safe_expand` checks
the two rules after expanding. The old credential, which carried VC 1.1's ``issuanceDate``,
fails the check (``test_the_check_fails_on_issuance_date``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from creditbank.services.credential_status import status_list_credential
from tests.api.test_credential import STANDARDS, credential, verify
from tests.api.test_credential import record as record
from tests.api.test_credential import settings as settings

HERE = Path(__file__).resolve().parent / "jsonld"
ISSUER_DEPENDENT = "https://www.w3.org/ns/credentials/issuer-dependent#"
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def contexts() -> dict[str, Any]:
    if not STANDARDS.is_dir():
        pytest.fail(f"the Open Badges context is not at {STANDARDS} (../shared/standards)")
    return {
        "https://www.w3.org/ns/credentials/v2": json.loads(
            (HERE / "credentials-v2.jsonld").read_text("utf-8")
        ),
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": json.loads(
            (STANDARDS / "context-3.0.3.json").read_text("utf-8")
        ),
    }


def local_loader(url: str, options: Any = None) -> dict[str, Any]:
    """Only the local files: any other URL is an error, never a fetch."""
    known = contexts()
    if url not in known:
        raise jsonld.JsonLdError(f"not a local context: {url}", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": known[url]}


class UnsafeTerm(AssertionError):
    pass


def safe_expand(document: dict[str, Any]) -> list[Any]:
    expanded = jsonld.expand(document, {"documentLoader": local_loader, "safeMode": True})
    undefined = sorted(_issuer_dependent(expanded))
    if undefined:
        raise UnsafeTerm(f"undefined terms: {undefined}")
    given, kept = _leaves(document), _expanded_leaves(expanded)
    if given != kept:
        raise UnsafeTerm(f"dropped: {given - kept} values of {given}")
    relative = sorted(_relative_ids(expanded))
    if relative:
        raise UnsafeTerm(f"relative IRIs: {relative}")
    return expanded


def _issuer_dependent(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _issuer_dependent(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.startswith(ISSUER_DEPENDENT):
                found.add(key)
            if key == "@type":
                types = value if isinstance(value, list) else [value]
                found |= {t for t in types if isinstance(t, str) and t.startswith(ISSUER_DEPENDENT)}
            found |= _issuer_dependent(value)
    return found


def _leaves(node: Any) -> int:
    """Scalars the document states (its contexts left out)."""
    if isinstance(node, list):
        return sum(_leaves(item) for item in node)
    if isinstance(node, dict):
        return sum(_leaves(value) for key, value in node.items() if key != "@context")
    return 1


def _expanded_leaves(node: Any) -> int:
    """Values, node ids and types of the expanded form (a typed value counts once)."""
    if isinstance(node, list):
        return sum(_expanded_leaves(item) for item in node)
    if not isinstance(node, dict):
        return 0
    if "@value" in node:
        return 1
    count = 0
    for key, value in node.items():
        if key == "@id":
            count += 1
        elif key == "@type":
            count += len(value) if isinstance(value, list) else 1
        else:
            count += _expanded_leaves(value)
    return count


def _relative_ids(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _relative_ids(item)
    elif isinstance(node, dict):
        if isinstance(node.get("@id"), str) and ":" not in node["@id"]:
            found.add(node["@id"])
        for value in node.values():
            found |= _relative_ids(value)
    return found


@pytest.fixture
def achievement_credentials(record):
    api, learner, _ = record
    token = credential(api, learner, api.learner_headers(learner)).get_json()["credential"]
    _, payload = verify(api, token)
    return payload, payload["credentialSubject"]["verifiableCredential"]


def test_each_achievement_credential_expands_in_safe_mode(achievement_credentials):
    _, nested = achievement_credentials
    for vc in nested:
        expanded = safe_expand(vc)
        text = json.dumps(expanded)
        assert "https://www.w3.org/2018/credentials#validFrom" in text
        assert "https://www.w3.org/2018/credentials#validUntil" in text


def test_the_check_fails_on_issuance_date(achievement_credentials):
    """The credential as it was before (VC 1.1's issuanceDate beside validFrom) fails."""
    _, nested = achievement_credentials
    old = {**nested[0], "issuanceDate": nested[0]["validFrom"]}
    with pytest.raises(UnsafeTerm, match="issuanceDate"):
        safe_expand(old)


def test_the_check_fails_on_a_term_no_context_defines(achievement_credentials):
    _, nested = achievement_credentials
    with pytest.raises(UnsafeTerm, match="favouriteColour"):
        safe_expand({**nested[0], "favouriteColour": "blue"})


def test_the_credential_status_entry_expands_in_safe_mode(achievement_credentials):
    payload, nested = achievement_credentials
    entry = payload["credentialStatus"]
    # The status entry of the (signed) CLR, placed on an AchievementCredential for the check:
    # the CLR 2.0 context itself is not among the local files.
    expanded = safe_expand({**nested[0], "credentialStatus": entry})
    assert "https://www.w3.org/ns/credentials/status#statusListIndex" in json.dumps(expanded)


def test_the_status_list_credential_expands_in_safe_mode(api):
    with api.app.test_request_context("/"):
        document = status_list_credential(1)
    expanded = safe_expand(document)
    assert "https://www.w3.org/ns/credentials/status#encodedList" in json.dumps(expanded)
