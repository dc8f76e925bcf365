"""The credential's status (docs/verification.md § Credential status): a BitstringStatusList
entry whose bit flips when the workstation revokes; the list and the keys are public, readable
from any origin and cacheable; the JWT's kid is a URL that answers with the key."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from creditbank.services.credential_status import bit, decode_bits
from tests.api.documents_helpers import another_id, learner_with_credits
from tests.api.test_credential import credential, verify

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def issued_status(api, learner) -> dict:
    token = credential(api, learner, api.workstation).get_json()["credential"]
    return verify(api, token)[1]["credentialStatus"]


def list_bit(api, entry) -> int:
    response = api.get(urlsplit(entry["statusListCredential"]).path)
    assert response.status_code == 200
    subject = response.get_json()["credentialSubject"]
    assert subject["statusPurpose"] == "revocation" and subject["type"] == "BitstringStatusList"
    assert subject["encodedList"].startswith("u")
    bits = decode_bits(subject["encodedList"])
    assert len(bits) * 8 >= 131_072
    return bit(bits, int(entry["statusListIndex"]))


def test_revoking_flips_the_learners_bit_and_no_one_elses(api):
    learner = learner_with_credits(api)
    other = learner_with_credits(api, another_id())
    entry, others = issued_status(api, learner), issued_status(api, other)

    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    assert entry["statusListCredential"] == "http://localhost/credentials/status/1"
    assert entry["statusListIndex"] != others["statusListIndex"]
    assert issued_status(api, learner)["statusListIndex"] == entry["statusListIndex"]  # stable
    assert list_bit(api, entry) == 0

    path = f"/api/v1/learners/{learner}/credential/revoke"
    assert api.post(path, api.auditor, json={"reason": "x"}).status_code == 403
    response = api.post(path, api.workstation, json={"reason": "证书造假"})
    assert response.status_code == 200, response.get_json()

    assert list_bit(api, entry) == 1
    assert list_bit(api, others) == 0
    again = api.post(path, api.workstation, json={"reason": "再次"})
    assert again.status_code == 409 and again.get_json()["type"].endswith("no_credential")
    # A credential issued after the revocation gets a place of its own, not revoked.
    fresh = issued_status(api, learner)
    assert fresh["statusListIndex"] != entry["statusListIndex"]
    assert list_bit(api, fresh) == 0


def test_the_status_list_as_a_signed_vc_jwt(api):
    learner = learner_with_credits(api)
    entry = issued_status(api, learner)
    path = urlsplit(entry["statusListCredential"]).path
    response = api.get(path, headers={"Accept": "application/vc+jwt"})
    assert response.mimetype == "application/vc+jwt"
    header, payload = verify(api, response.get_data(as_text=True))
    assert header["typ"] == "vc+jwt"
    assert "BitstringStatusListCredential" in payload["type"]


@pytest.mark.parametrize("path", ["/.well-known/jwks.json", "/credentials/status/1"])
def test_keys_and_status_list_are_readable_from_any_origin_and_cacheable(api, path):
    response = api.get(path)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=" in response.headers["Cache-Control"]


def test_the_kid_is_a_url_that_answers_with_the_published_key(api):
    learner = learner_with_credits(api)
    token = credential(api, learner, api.workstation).get_json()["credential"]
    header, _ = verify(api, token)  # verify() fetches the key from the kid's URL

    response = api.get(urlsplit(header["kid"]).path)
    jwks = api.get("/.well-known/jwks.json").get_json()["keys"]
    assert response.get_json() in jwks
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert api.get("/keys/no-such-key").status_code == 404
