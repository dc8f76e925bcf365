"""``/api/v1/checkpoints``: the signed tree head of API.md, its inclusion proofs, the roles,
and key rotation (old checkpoints still verify with the keys the JWKS keeps publishing)."""

from __future__ import annotations

import base64
import dataclasses
import shutil

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from creditbank.app import create_app
from creditbank.domain.merkle import leaf_hash, learner_leaf, root_hash, verify_inclusion
from creditbank.extensions import db as flask_db
from creditbank.security.keys import generate_signing_key
from tests.api.helpers import assert_problem, ledger_of
from tests.conftest import ApiClient
from tests.integration.banks import build_bank

FIELDS = {
    "origin",
    "tree_size",
    "root",
    "body",
    "note",
    "signature",
    "key_id",
    "public_key",
    "created_at",
}


@pytest.fixture
def bank(api) -> list[str]:
    learners = build_bank(api, learners=3)
    api.new_learner()  # no entries: no leaf
    return learners


def heads(api, learners: list[str]) -> dict[str, tuple[int, str]]:
    """Each learner's head, read from the ledger the way any client would."""
    result = {}
    for learner in learners:
        last = ledger_of(api, learner, api.workstation)[-1]
        result[learner] = (last["seq"], last["hash"])
    return result


def jwk_bytes(api, kid: str) -> bytes:
    [key] = [k for k in api.get("/.well-known/jwks.json").get_json()["keys"] if k["kid"] == kid]
    return base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))


def signature_holds(checkpoint: dict, raw_key: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(
            base64.b64decode(checkpoint["signature"]), checkpoint["body"].encode()
        )
    except Exception:
        return False
    return True


def test_a_checkpoint_signs_the_root_over_every_learner_head(api, bank):
    response = api.post("/api/v1/checkpoints", api.workstation)

    assert response.status_code == 201, response.get_json()
    checkpoint = response.get_json()
    assert checkpoint.keys() >= FIELDS
    ordered = sorted(heads(api, bank).items(), key=lambda item: item[0].encode())
    root = root_hash(learner_leaf(learner, *head) for learner, head in ordered)
    assert checkpoint["tree_size"] == 3
    assert checkpoint["root"] == base64.b64encode(root).decode()
    assert checkpoint["origin"] == "creditbank.yunyang.example/ledger"
    assert checkpoint["body"] == f"{checkpoint['origin']}\n3\n{checkpoint['root']}\n"
    assert checkpoint["note"].startswith(f"{checkpoint['body']}\n\u2014 {checkpoint['origin']} ")
    assert base64.b64decode(checkpoint["public_key"]) == jwk_bytes(api, checkpoint["key_id"])
    assert signature_holds(checkpoint, jwk_bytes(api, checkpoint["key_id"]))
    latest = api.get("/api/v1/checkpoints/latest", api.auditor)
    assert latest.status_code == 200 and latest.get_json() == checkpoint


def test_every_learner_head_has_an_inclusion_proof_that_verifies(api, bank):
    checkpoint = api.post("/api/v1/checkpoints", api.workstation).get_json()
    root = base64.b64decode(checkpoint["root"])

    for learner, (seq, head) in heads(api, bank).items():
        response = api.get(f"/api/v1/checkpoints/latest/proof?learner_id={learner}", api.auditor)
        assert response.status_code == 200, response.get_json()
        proof = response.get_json()
        assert proof["leaf"] == f"{learner}:{seq}:{head}"
        assert proof["tree_size"] == checkpoint["tree_size"]
        path = [base64.b64decode(node) for node in proof["audit_path"]]
        leaf = leaf_hash(proof["leaf"].encode())
        assert verify_inclusion(proof["leaf_index"], proof["tree_size"], leaf, path, root)
        assert not verify_inclusion(proof["leaf_index"], proof["tree_size"], leaf, path, b"x" * 32)


def test_the_proof_refers_to_the_head_when_signed_not_the_current_one(api, bank):
    api.post("/api/v1/checkpoints", api.workstation)
    seq, _ = heads(api, bank)[bank[0]]
    _, provider = api.new_provider()
    assert api.post_outcome(provider, bank[0], hours="16").status_code == 201

    proof = api.get(f"/api/v1/checkpoints/latest/proof?learner_id={bank[0]}", api.workstation)

    assert proof.get_json()["leaf"].split(":")[1] == str(seq)


def test_no_checkpoint_yet_and_a_learner_outside_it_are_404(api, bank):
    assert_problem(api.get("/api/v1/checkpoints/latest", api.workstation), 404, "not_found")
    proof_path = f"/api/v1/checkpoints/latest/proof?learner_id={bank[0]}"
    assert_problem(api.get(proof_path, api.workstation), 404, "not_found")
    api.post("/api/v1/checkpoints", api.workstation)
    newcomer = api.new_learner()
    outside = f"/api/v1/checkpoints/latest/proof?learner_id={newcomer}"
    assert_problem(api.get(outside, api.workstation), 404, "not_found")
    missing = api.get("/api/v1/checkpoints/latest/proof", api.workstation)
    assert_problem(missing, 422, "validation_error", "learner_id")


def test_only_the_workstation_makes_checkpoints_and_only_staff_read_them(api, bank):
    api.post("/api/v1/checkpoints", api.workstation)
    _, provider = api.new_provider()
    learner = api.learner_headers(bank[0])

    assert_problem(api.post("/api/v1/checkpoints", api.auditor), 403, "forbidden")
    for headers in (provider, learner):
        assert_problem(api.post("/api/v1/checkpoints", headers), 403, "forbidden")
        assert_problem(api.get("/api/v1/checkpoints/latest", headers), 403, "forbidden")
        proof = api.get(f"/api/v1/checkpoints/latest/proof?learner_id={bank[0]}", headers)
        assert_problem(proof, 403, "forbidden")


def test_a_new_key_signs_new_checkpoints_while_old_ones_still_verify(settings, tmp_path):
    keys = tmp_path / "rotating-keys"
    shutil.copytree(settings.keys_dir, keys)
    rotated = dataclasses.replace(settings, keys_dir=keys)

    old, old_kid, _ = checkpoint_with(rotated, learners=1)
    new_kid = generate_signing_key(keys)
    new, active_kid, published = checkpoint_with(rotated, learners=0)

    assert (old["key_id"], new["key_id"], active_kid) == (old_kid, new_kid, new_kid)
    assert {old_kid, new_kid} <= published
    app = create_app(rotated)
    with app.app_context():
        api = ApiClient(app)
        assert signature_holds(old, jwk_bytes(api, old_kid))
        assert signature_holds(new, jwk_bytes(api, new_kid))
        assert not signature_holds(old, jwk_bytes(api, new_kid))
        audit = api.post("/api/v1/audits", api.workstation, json={}).get_json()
        assert (audit["checkpoint"]["id"], audit["checkpoint"]["verified"]) == (new["id"], True)
        flask_db.session.remove()
        flask_db.engine.dispose()


def checkpoint_with(settings, learners: int) -> tuple[dict, str, set[str]]:
    """A fresh app on ``settings`` (so that it loads the keys as they are now) makes a
    checkpoint: returns it, the active kid and the kids the JWKS publishes."""
    app = create_app(settings)
    with app.app_context():
        api = ApiClient(app)
        if learners:
            build_bank(api, learners=learners)
        checkpoint = api.post("/api/v1/checkpoints", api.workstation).get_json()
        published = {key["kid"] for key in api.get("/.well-known/jwks.json").get_json()["keys"]}
        active = app.extensions["creditbank.keyring"].active_kid
        flask_db.session.remove()
        flask_db.engine.dispose()
    return checkpoint, active, published
