"""Credential signing: what issuing a learner's verifiable credential costs, beside the bare
Ed25519 signature of the same bytes.

A learner gets 60 outcomes of every kind (:mod:`bench._record`); then, in one process:

- ``GET …/credential`` (``Accept: application/vc+jwt``) through the Flask test client with
  the workstation's token, N times: the learner's record read, the CLR with one Open Badges
  credential per credited outcome built, the status-list entry, the VC-JWT signed
  (``services/credentials.py``). Targets p50 ≤ 50 ms and p99 ≤ 100 ms: a college asking for
  a learner's credential waits on it as on any read of the API (the bench's other reads hold
  p99 to 100 ms too), and nothing in it needs to be slow: the signature is a tenth of a
  millisecond, the rest is reading the record and building the JSON. And its CPU time in this
  process ≤ 25 ms a credential (the database server's is not in it): on a busy machine the
  wall-clock figures measure the neighbours too, the CPU time hardly.
- ``sign_jws`` of that credential's payload alone: JSON encoding, base64url, the signature
  (``security/tokens.py``, PyJWT). Target ≤ 5× the bare signature: encoding a payload of
  tens of kilobytes twice (JSON, then base64url) costs about what signing it does.
- Baseline: ``Ed25519PrivateKey.sign`` of the very bytes the JWS signs (its header and
  payload, base64url), with ``cryptography`` alone. The ratios are our overhead over the
  cryptography: the whole issue, and the encoding around the signature.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from bench import Figure, Options, Result
from bench._harness import Api, as_served, migrated_app, on_each_backend
from bench._record import learner_with_record, timed

OUTCOMES = 60
ISSUES = 200
SIGNATURES = 2000
MAX_P50_MS = 50.0
MAX_P99_MS = 100.0
MAX_CPU_MS = 25.0
MAX_SIGN_RATIO = 5.0
VC_JWT = "application/vc+jwt"


def run(options: Options, issues: int = ISSUES, outcomes: int = OUTCOMES) -> Result:
    result = Result(details={"outcomes": outcomes, "issues": issues, "signatures": SIGNATURES})
    return on_each_backend(
        options,
        result,
        lambda backend, url, folder: measure(url, folder, issues, outcomes),
        figures,
    )


def measure(url: str, folder: Path, issues: int, outcomes: int) -> dict[str, Any]:
    from creditbank.context import keyring, public_base_url
    from creditbank.security.tokens import sign_jws
    from creditbank.services.credentials import CREDENTIAL_TYP

    with migrated_app(url, folder) as app:
        api = Api(app)
        learner = learner_with_record(api, outcomes)
        path = f"/api/v1/learners/{learner}/credential"
        headers = {**api.workstation, "Accept": VC_JWT}

        def issue() -> str:
            response = api.client.get(path, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"credential: {response.status_code} {response.text[:300]}")
            return response.get_data(as_text=True)

        token = issue()
        signed, _ = token.rsplit(".", 1)
        payload = json.loads(base64.urlsafe_b64decode(signed.split(".")[1] + "=="))
        keys, prefix = keyring(), f"{public_base_url()}keys/"
        key, signing_input = keys.signing_key(), signed.encode()
        return {
            "achievements": len(payload["credentialSubject"]["verifiableCredential"]),
            "jws_bytes": len(token),
            "issue": as_served(lambda: timed(issue, issues)),
            "sign_jws": timed(
                lambda: sign_jws(keys, payload, typ=CREDENTIAL_TYP, kid_prefix=prefix), issues
            ),
            "raw_signature": timed(lambda: key.sign(signing_input), SIGNATURES),
        }


def figures(backend: str, measured: dict[str, Any]) -> list[Figure]:
    issue, sign, raw = measured["issue"], measured["sign_jws"], measured["raw_signature"]
    label = f"{backend}: credential ({measured['achievements']} achievements)"
    vs_raw = "vs raw Ed25519 of the same bytes"
    return [
        Figure(
            f"{label}, issued p50 {vs_raw}",
            issue["p50"],
            baseline=raw["p50"],
            max_value=MAX_P50_MS,
        ),
        Figure(
            f"{label}, issued CPU ms {vs_raw}",
            issue["cpu_ms"],
            baseline=raw["cpu_ms"],
            max_value=MAX_CPU_MS,
        ),
        # The baseline's p99 is the machine's scheduling noise: a 0.1 ms call preempted.
        Figure(
            f"{label}, issued p99 {vs_raw}",
            issue["p99"],
            baseline=raw["p99"],
            max_value=MAX_P99_MS,
        ),
        Figure(
            f"{label}, sign_jws p50 {vs_raw}",
            sign["p50"],
            baseline=raw["p50"],
            max_ratio=MAX_SIGN_RATIO,
        ),
    ]
