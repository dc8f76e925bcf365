"""``creditbank keys generate`` in production: it must make a new server's first signing key,
so it may not load the keys it is about to create (docs/operations.md, step 3)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from creditbank.cli import main


def production(tmp_path: Path) -> dict[str, str]:
    return {
        "CREDITBANK_ENV": "production",
        "CREDITBANK_DATABASE_URL": f"sqlite:///{tmp_path / 'bank.sqlite3'}",
        "CREDITBANK_INSTANCE_PATH": str(tmp_path),
        "CREDITBANK_KEYS_DIR": str(tmp_path / "keys"),
    }


def test_keys_generate_makes_a_production_servers_first_key(tmp_path):
    result = CliRunner().invoke(main, ["keys", "generate"], env=production(tmp_path))

    assert result.exit_code == 0, result.output
    kid = json.loads(result.stdout)["kid"]
    assert len(kid) == 43  # an RFC 7638 thumbprint, base64url of SHA-256
    assert len(list((tmp_path / "keys" / "signing").glob("*.pem"))) == 1
    assert not (tmp_path / "keys" / "pii-hmac.key").exists()  # production mints no secret


def test_each_run_adds_a_newer_key(tmp_path):
    runs = [
        CliRunner().invoke(main, ["keys", "generate"], env=production(tmp_path)) for _ in range(2)
    ]

    kids = [json.loads(run.stdout)["kid"] for run in runs]
    assert len(set(kids)) == 2
    assert len(list((tmp_path / "keys" / "signing").glob("*.pem"))) == 2
