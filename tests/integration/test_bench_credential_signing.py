"""The credential signing benchmark (bench/credential_signing.py) at a tiny size, on both
databases: credentials are issued through the API and timed beside the bare signature, and
every figure it reports is there and sane, so that the benchmark cannot rot between runs of
``make bench``."""

from __future__ import annotations

from bench.credential_signing import figures, measure

ISSUES = 5


def test_credentials_are_issued_and_timed_beside_the_bare_signature(database_url, tmp_path):
    measured = measure(database_url, tmp_path, ISSUES, outcomes=6)

    assert measured["achievements"] > 0 and measured["jws_bytes"] > 0
    assert measured["issue"]["n"] == measured["sign_jws"]["n"] == ISSUES
    # signing the payload is the bare signature and more: encoding it
    assert 0 < measured["raw_signature"]["p50"] < measured["sign_jws"]["p50"]
    found = figures("db", measured)
    assert len(found) == 4 and all(f.baseline and f.ratio and f.ratio > 1 for f in found)
