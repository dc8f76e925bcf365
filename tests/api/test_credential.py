"""A learner's record as a signed verifiable credential, checked the way a receiving college
would: the signature with an independent JOSE library (joserfc) and the key published in the
JWKS, the payload against 1EdTech's own JSON schemas, offline (API.md § A learner's account)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet, OKPKey
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4

from tests.api.helpers import assert_problem, national_id

STANDARDS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "openbadges"
CLR_SCHEMA = "clr_v2p0_clrcredential_schema.json"
OB_SCHEMA = "ob_v3p0_achievementcredential_schema.json"
NAME = "欧阳小满"
NATIONAL_ID = national_id(serial="529")
ISSUER_NAME = "云阳县学分银行工作站（测试）"
ISSUER_URL = "https://xuefen.yunyang.example/"
VC_JWT = "application/vc+jwt"
# API.md names the algorithm EdDSA (RFC 8037); RFC 9864 deprecates that polymorphic name in
# favour of "Ed25519", and joserfc says so on every use. Same key, same signature bytes.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


@pytest.fixture
def settings(settings):
    """The workstation's issuer profile, configured (CREDITBANK_CREDENTIAL_ISSUER_*)."""
    return dataclasses.replace(
        settings, credential_issuer_name=ISSUER_NAME, credential_issuer_url=ISSUER_URL
    )


def post(api, provider, learner, **fields):
    body = {"learner_id": learner, "external_ref": f"ref-{uuid.uuid4().hex}", **fields}
    response = api.post("/api/v1/outcomes", provider, json=body)
    assert response.status_code == 201, response.get_json()
    return response


@pytest.fixture
def record(api):
    """3.5 credits: theory hours 0.5 + 1.0, a certificate 2.0; and one outcome pending."""
    api.publish_ruleset()
    learner = api.new_learner(name=NAME, national_id=NATIONAL_ID)
    _, provider = api.new_provider()
    hours = {"kind": "training_hours", "category": "theory"}
    post(api, provider, learner, **hours, hours="10", achieved_on="2026-01-10")
    post(api, provider, learner, **hours, hours="14", achieved_on="2026-01-20")
    post(
        api,
        provider,
        learner,
        kind="certificate",
        certificate_code="1X-WEB",
        level="junior",
        certificate_no="WEB-J-77",
        achieved_on="2026-02-01",
        title="Web 前端开发职业技能等级证书（初级）",
    )
    post(api, provider, learner, kind="informal", description="社区讲解", achieved_on="2026-02-02")
    return api, learner, provider


def credential(api, learner, headers, accept: str | None = None):
    extra = {"Accept": accept} if accept else {}
    return api.get(f"/api/v1/learners/{learner}/credential", {**headers, **extra})


# -- what a receiving college does -----------------------------------------------------------


def verify(api, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the JWS with joserfc against the key its ``kid`` URL resolves to (a key that the
    JWKS publishes too); (header, payload)."""
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    response = api.get(urlsplit(header["kid"]).path)
    assert response.status_code == 200, header["kid"]
    published = KeySet.import_key_set(api.get("/.well-known/jwks.json").get_json())
    assert response.get_json() in [key.as_dict() for key in published.keys], "in the JWKS"
    key = OKPKey.import_key(response.get_json())
    signature = jws.deserialize_compact(token, key, algorithms=["EdDSA"])
    return dict(signature.headers()), json.loads(signature.payload)


def validator(name: str) -> Draft4Validator:
    """A draft-04 validator whose references resolve among the local files only."""
    if not STANDARDS.is_dir():
        pytest.skip(f"the 1EdTech schemas are not at {STANDARDS} (../shared/standards)")
    schemas = [
        json.loads((STANDARDS / file).read_text("utf-8")) for file in (CLR_SCHEMA, OB_SCHEMA)
    ]

    def refuse(uri: str) -> Resource:  # never fetch a remote reference
        raise Unresolvable(uri)

    registry = Registry(retrieve=refuse).with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT4))
        for schema in schemas
    )
    schema = json.loads((STANDARDS / name).read_text("utf-8"))
    return Draft4Validator(schema, registry=registry)


def schema_errors(name: str, document: dict[str, Any]) -> list[str]:
    """The vendored 1EdTech schemas are the VC 1.1 drafts (standards README): they require
    ``issuanceDate``, which VC 2.0 (and Open Badges 3.0.3) replaced by ``validFrom``, and which
    the credential leaves out because it is undefined under the VC 2.0 context
    (test_credential_jsonld.py). The schemas check the credential with the 1.1 names put back."""
    view = as_vc_1_1(document)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(view)]


def as_vc_1_1(document: Any) -> Any:
    """``validFrom``/``validUntil`` renamed ``issuanceDate``/``expirationDate``, at every level."""
    if isinstance(document, list):
        return [as_vc_1_1(item) for item in document]
    if not isinstance(document, dict):
        return document
    names = {"validFrom": "issuanceDate", "validUntil": "expirationDate"}
    view = {names.get(key, key): as_vc_1_1(value) for key, value in document.items()}
    # The draft's CredentialStatus is closed (id and type only); a BitstringStatusListEntry
    # adds statusPurpose, statusListIndex and statusListCredential, checked on their own in
    # test_credential_status.py.
    if isinstance(view.get("credentialStatus"), dict):
        view["credentialStatus"] = {k: view["credentialStatus"][k] for k in ("id", "type")}
    if "VerifiableCredential" in document.get("type", []):
        assert "issuanceDate" not in document, "VC 2.0 names only"
    return view


@pytest.fixture
def issued(record):
    """(api, learner, header, payload) of a credential fetched by the learner."""
    api, learner, _ = record
    response = credential(api, learner, api.learner_headers(learner))
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    header, payload = verify(api, response.get_json()["credential"])
    return api, learner, header, payload


def test_the_signature_verifies_with_the_published_key_and_names_it(issued):
    api, _, header, _ = issued

    kids = {key["kid"] for key in api.get("/.well-known/jwks.json").get_json()["keys"]}
    assert header["alg"] == "EdDSA"
    assert header["kid"].startswith("http://localhost/keys/")
    assert header["kid"].rsplit("/", 1)[1] in kids
    assert header["typ"] == "vc+jwt"


def test_a_tampered_credential_fails_verification(record):
    api, learner, _ = record
    token = credential(api, learner, api.workstation).get_json()["credential"]
    head, body, signature = token.split(".")
    forged = body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")

    with pytest.raises(BadSignatureError):
        verify(api, f"{head}.{forged}.{signature}")


def test_the_payload_is_a_valid_clr_and_each_credential_a_valid_achievement_credential(issued):
    _, _, _, payload = issued

    assert schema_errors(CLR_SCHEMA, payload) == []
    nested = payload["credentialSubject"]["verifiableCredential"]
    assert len(nested) == 3
    for achievement_credential in nested:
        assert schema_errors(OB_SCHEMA, achievement_credential) == []
        assert "AchievementCredential" in achievement_credential["type"]
    assert {"VerifiableCredential", "ClrCredential"} <= set(payload["type"])


def test_the_schemas_do_reject_a_credit_written_as_a_string(issued):
    """The validation above can fail: the schema insists on a JSON number."""
    _, _, _, payload = issued
    broken = json.loads(json.dumps(payload["credentialSubject"]["verifiableCredential"][0]))
    broken["credentialSubject"]["creditsEarned"] = "0.5"

    assert schema_errors(OB_SCHEMA, broken)


def test_credits_are_json_numbers_that_add_up_to_the_balance(issued):
    api, learner, _, payload = issued
    balance = api.get(f"/api/v1/learners/{learner}/balance", api.workstation).get_json()

    earned = [
        vc["credentialSubject"]["creditsEarned"]
        for vc in payload["credentialSubject"]["verifiableCredential"]
    ]

    assert earned == [0.5, 1.0, 2.0]
    assert all(isinstance(amount, float | int) for amount in earned)
    assert sum(Decimal(str(amount)) for amount in earned) == Decimal(balance["total"])


def test_vc_2_0_dates_five_years_apart_and_the_jwt_claims_mirror_the_credential(issued):
    _, _, _, payload = issued

    assert "issuanceDate" not in payload
    instant = datetime.fromisoformat(payload["validFrom"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(payload["validUntil"].replace("Z", "+00:00"))
    assert instant.tzinfo is not None
    assert until == instant.replace(year=instant.year + 5)
    assert payload["nbf"] == payload["iat"] == int(instant.timestamp())
    assert payload["exp"] == int(until.timestamp())
    assert payload["iss"] == payload["issuer"]["id"]
    assert "jti" not in payload  # undefined under the VC 2.0 context
    assert payload["sub"] == payload["credentialSubject"]["id"]
    for vc in payload["credentialSubject"]["verifiableCredential"]:
        assert "issuanceDate" not in vc
        assert vc["validFrom"] == payload["validFrom"]
        assert vc["validUntil"] == payload["validUntil"]


def test_the_issuer_is_the_configured_workstation_profile(issued):
    _, _, _, payload = issued

    assert payload["issuer"]["id"] == ISSUER_URL
    assert payload["issuer"]["name"] == ISSUER_NAME
    assert "Profile" in payload["issuer"]["type"]


def account_number_of(api, learner: str) -> str:
    return api.get(f"/api/v1/learners/{learner}", api.workstation).get_json()["account_number"]


def assert_no_more_than_the_last_four(text: str) -> None:
    """Neither the ID, nor its hidden part (region, birth date, sequence), nor a hash of it."""
    assert NATIONAL_ID not in text
    assert NATIONAL_ID[:6] not in text and NATIONAL_ID[6:14] not in text
    assert "nationalIdentityNumber" not in text and "sha256$" not in text
    assert "salt" not in text


def test_by_default_the_learner_is_identified_by_the_account_number_alone(issued):
    api, learner, _, payload = issued
    subject = payload["credentialSubject"]
    account = {
        "type": "IdentityObject",
        "identityHash": account_number_of(api, learner),
        "identityType": "accountId",
        "hashed": False,
    }

    assert subject["identifier"] == [account]
    for nested in subject["verifiableCredential"]:
        assert nested["credentialSubject"]["identifier"] == [account]
    assert subject["name"] == NAME
    assert_no_more_than_the_last_four(json.dumps(payload, ensure_ascii=False))


def test_the_whole_jws_carries_no_national_id_nor_a_hash_of_it(record):
    api, learner, _ = record

    for headers in (api.learner_headers(learner), api.workstation, api.auditor):
        token = credential(api, learner, headers, VC_JWT).get_data(as_text=True)
        _, payload = verify(api, token)
        assert_no_more_than_the_last_four(token)
        assert_no_more_than_the_last_four(json.dumps(payload, ensure_ascii=False))


def with_national_id(api, learner, headers, accept: str | None = None):
    extra = {"Accept": accept} if accept else {}
    path = f"/api/v1/learners/{learner}/credential?include=national-id"
    return api.get(path, {**headers, **extra})


def test_the_learner_may_ask_for_a_salted_hash_of_its_national_id_that_recomputes(record):
    api, learner, _ = record

    response = with_national_id(api, learner, api.learner_headers(learner))

    assert response.status_code == 200, response.get_json()
    _, payload = verify(api, response.get_json()["credential"])
    account, identity = payload["credentialSubject"]["identifier"]
    assert account["identityType"] == "accountId"
    assert identity["identityType"] == "nationalIdentityNumber"
    assert identity["hashed"] is True
    assert len(identity["salt"]) >= 32
    digest = hashlib.sha256((NATIONAL_ID + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${digest}"
    assert NATIONAL_ID not in json.dumps(payload)
    assert schema_errors(CLR_SCHEMA, payload) == []
    for nested in payload["credentialSubject"]["verifiableCredential"]:
        assert schema_errors(OB_SCHEMA, nested) == []


def test_staff_may_not_ask_for_the_national_id_hash(record):
    api, learner, _ = record

    for headers in (api.workstation, api.auditor):
        body = assert_problem(with_national_id(api, learner, headers), 403, "forbidden")
        assert "Only the learner" in body["detail"]


def test_include_takes_only_national_id(record):
    api, learner, _ = record
    path = f"/api/v1/learners/{learner}/credential?include=everything"

    assert_problem(api.get(path, api.learner_headers(learner)), 422, "validation_error", "include")


def test_a_learner_without_a_national_id_on_file_cannot_include_one(api):
    api.publish_ruleset()
    learner = api.new_learner(name=NAME)
    _, provider = api.new_provider()
    post(
        api,
        provider,
        learner,
        kind="training_hours",
        category="theory",
        hours="16",
        achieved_on="2026-01-10",
    )

    response = with_national_id(api, learner, api.learner_headers(learner))

    assert_problem(response, 422, "validation_error", "include")
    assert credential(api, learner, api.learner_headers(learner)).status_code == 200


def test_each_achievement_says_what_it_was_and_which_rule_credited_it(issued):
    _, _, _, payload = issued
    nested = payload["credentialSubject"]["verifiableCredential"]

    certificate = nested[2]["credentialSubject"]["achievement"]

    assert certificate["name"] == "Web 前端开发职业技能等级证书（初级）"
    assert certificate["humanCode"] == "1X-WEB"
    assert "certificates.1X-WEB.junior" in certificate["criteria"]["narrative"]
    assert "已按转换规则认定学分" in certificate["criteria"]["narrative"]
    assert certificate["creator"]["name"].endswith("培训中心")


def test_each_issuance_uses_a_fresh_salt(record):
    api, learner, _ = record
    headers = api.learner_headers(learner)

    salts = {
        verify(api, with_national_id(api, learner, headers).get_json()["credential"])[1][
            "credentialSubject"
        ]["identifier"][1]["salt"]
        for _ in range(2)
    }

    assert len(salts) == 2


def test_accept_vc_jwt_gives_the_bare_jws(record):
    api, learner, _ = record

    response = credential(api, learner, api.auditor, VC_JWT)

    assert response.status_code == 200
    assert response.mimetype == VC_JWT
    _, payload = verify(api, response.get_data(as_text=True))
    assert schema_errors(CLR_SCHEMA, payload) == []


def test_an_erased_identity_still_gives_a_valid_credential_without_name_or_id(record):
    from creditbank.extensions import db
    from creditbank.models import Identity

    api, learner, _ = record
    number = account_number_of(api, learner)
    db.session.delete(db.session.get(Identity, learner))
    db.session.commit()

    token = credential(api, learner, api.workstation).get_json()["credential"]

    _, payload = verify(api, token)
    assert "name" not in payload["credentialSubject"]
    assert [i["identityHash"] for i in payload["credentialSubject"]["identifier"]] == [number]
    assert schema_errors(CLR_SCHEMA, payload) == []


# -- refusals --------------------------------------------------------------------------------


def test_a_learner_with_nothing_credited_gets_404(api):
    api.publish_ruleset()
    learner = api.new_learner(name=NAME)
    _, provider = api.new_provider()
    post(api, provider, learner, kind="informal", description="待认定", achieved_on="2026-02-02")

    assert_problem(credential(api, learner, api.learner_headers(learner)), 404, "not_found")


def test_only_that_learner_and_staff_may_have_it(record):
    api, learner, provider = record
    other = api.new_learner(password="another secret phrase")

    assert credential(api, learner, api.workstation).status_code == 200
    assert credential(api, learner, api.auditor).status_code == 200
    assert_problem(credential(api, learner, provider), 403, "forbidden")
    assert_problem(
        credential(api, learner, api.learner_headers(other, "another secret phrase")),
        403,
        "forbidden",
    )
    assert_problem(credential(api, learner, {}), 401, "unauthorized")


def test_an_unsupported_accept_is_406(record):
    api, learner, _ = record

    assert_problem(credential(api, learner, api.workstation, "text/html"), 406, "not_acceptable")


def test_openapi_documents_the_bare_jws_media_type_and_the_include_parameter(api):
    document = api.get("/api/v1/openapi.json").get_json()

    operation = document["paths"]["/api/v1/learners/{learner_id}/credential"]["get"]

    assert {"application/json", VC_JWT} <= operation["responses"]["200"]["content"].keys()
    assert "406" in operation["responses"]
    (include,) = [p for p in operation["parameters"] if p["name"] == "include"]
    assert include["in"] == "query"
    assert "national-id" in include["schema"]["enum"]
    assert "recover" in include["description"]
