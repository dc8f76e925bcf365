"""How ``test_openapi_fuzzing`` runs schemathesis: a live bank of its own for each run, seeded
with a token per role and resources to find, a schemathesis.toml, and the CLI as a
subprocess with the hooks of ``schemathesis_hooks.py``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import REPO, TIMEOUT, executable
from tests.system.servers import Bank, Templates, bank_server, hours_body

HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
MAX_EXAMPLES = 3  # per operation and phase: bounds each run (a few thousand requests)
STATEFUL_SCENARIOS = 20  # chains of linked calls; each is a few requests
PHASES = "examples,coverage,fuzzing,stateful"
PASSWORD = "correct horse battery"
# Path and query parameters that get real identifiers half of the time: dictionary by name.
BINDINGS = {
    "path.learner_id": "learners",
    "query.learner_id": "learners",
    "path.outcome_id": "outcomes",
    "path.provider_id": "providers",
    "query.provider_id": "providers",
    "path.ruleset_id": "rulesets",
}


def backend() -> str:
    """PostgreSQL when the tier has it (stricter than SQLite: text there cannot hold NUL, which
    is how the fuzzer found the 500s of ``security/nul.py``), else SQLite. One backend only:
    the fuzzer's cost is in requests, not in the backend."""
    return "postgresql" if os.environ.get("CREDITBANK_TEST_DATABASE_URL") else "sqlite"


@contextmanager
def live_bank(folder: Path, templates: Templates) -> Iterator[Bank]:
    with bank_server(
        backend(), folder, workers=2, threads=4, template=templates(backend())
    ) as bank:
        yield bank


@dataclass
class Seeded:
    """Tokens of one client per role, and resources for the generated requests to find."""

    tokens: dict[str, dict[str, str]]
    learner_id: str  # the learner role's own account
    others: list[str]  # accounts the staff runs may change (reset, erase) without harm
    outcomes: list[str]
    ruleset_id: str

    def learners(self, role: str) -> list[str]:
        """The accounts a run may name: the learner's own, or the others."""
        return [self.learner_id] if role == "learner" else self.others


def seed(bank: Bank) -> Seeded:
    created = bank.server.cli("clients", "create", "--role", "auditor", "--name", "fuzz")
    auditor = json.loads(created.splitlines()[-1])
    learner = bank.new_learner(password=PASSWORD)
    others = [bank.new_learner(password=PASSWORD) for _ in range(2)]
    replies = bank.post_all(
        [hours_body(account, f"fuzz-{account}") for account in (learner, *others)], clients=1
    )
    assert [status for status, _ in replies] == [201] * 3, replies
    active = bank.call("GET", "/rulesets/active", bank.workstation).json()
    registered = bank.server.cli(
        "colleges", "create", "--school-code", "FUZZ", "--name", "模糊测试学院", "--with-client"
    )
    college = json.loads(registered.splitlines()[-1])
    return Seeded(
        tokens={
            "workstation": bank.workstation,
            "auditor": bank.token(auditor["client_id"], auditor["client_secret"]),
            "provider": bank.provider,
            "learner": bank.learner_token(learner, PASSWORD),
            "college": bank.token(college["client_id"], college["client_secret"]),
            "anonymous": {},
        },
        learner_id=learner,
        others=others,
        outcomes=[reply["outcome"]["id"] for _, reply in replies],
        ruleset_id=active["id"],
    )


def config_file(folder: Path, seeded: Seeded, role: str, provider_id: str) -> Path:
    """A schemathesis.toml: how many cases, and real identifiers in half of the generated path
    and query parameters, so that requests reach stored resources, not only 404s. The learner
    role gets its own account; the others get accounts their resets and erasures may change."""
    dictionaries = {
        "learners": seeded.learners(role),
        "outcomes": seeded.outcomes,
        "providers": [provider_id],
        "rulesets": [seeded.ruleset_id],
    }
    lines = ["[generation]", f"max-examples = {MAX_EXAMPLES}", ""]
    lines += ["[phases.stateful.generation]", f"max-examples = {STATEFUL_SCENARIOS}", ""]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    lines += [
        f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}'
        for key, name in BINDINGS.items()
    ]
    # Values schemathesis would take from earlier responses go by a field's name, not by what
    # it names (a client's id offered as a learner's): the identifiers come from the
    # dictionaries above and the formats of schemathesis_hooks.py instead.
    for phase in ("examples", "coverage", "fuzzing"):
        lines += ["", f"[phases.{phase}.extra-data-sources]", "responses = false"]
    # Filing an application is valid or not by the learner's account and the catalogue in
    # force (its outcomes, their lines and claims, the courses), which no schema can say: a
    # schema-valid filing may well be a 422 (unknown_learner, a course not in the catalogue,
    # invalid_source), documented as such. So is enrolling by national ID: a well-formed ID
    # that no learner of the bank holds is a 422 unknown_learner. Every other operation keeps
    # the default.
    for operation in (
        "POST /api/v1/applications",
        "POST /api/v1/programmes/{programme_id}/enrolments",
    ):
        lines += [
            "",
            "[[operations]]",
            f'include-name = "{operation}"',
            "checks.positive_data_acceptance.expected-statuses = "
            '["2xx", 401, 403, 404, 409, 422, 429]',
        ]
    path = folder / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Run:
    report: str
    seconds: float

    def failures(self) -> str:
        """The summary's failures and errors, if any."""
        summary = self.report.rpartition("SUMMARY")[2]
        return summary if re.search(r"^(Failures|Errors):", summary, re.MULTILINE) else ""


def run_schemathesis(bank: Bank, seeded: Seeded, role: str, names: list[str], folder: Path) -> Run:
    """Every check and phase on ``names`` as ``role``; fails the test unless no operation
    fails."""
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HOOKS),
        "PYTHONPATH": str(REPO),  # the hooks use the tests' helpers
        "CREDITBANK_FUZZ_LEARNERS": ",".join(seeded.learners(role)),
    }
    started = time.monotonic()
    result = subprocess.run(
        _command(bank, seeded, role, names, folder),
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    run = Run(result.stdout + result.stderr, time.monotonic() - started)
    assert result.returncode == 0 and not run.failures(), run.report[-20000:]
    return run


def _command(bank: Bank, seeded: Seeded, role: str, names: list[str], folder: Path) -> list[str]:
    schemathesis = executable("schemathesis")
    assert schemathesis is not None, "schemathesis is not installed (pip install -e '.[test]')"
    return [
        str(schemathesis),
        f"--config-file={config_file(folder, seeded, role, bank.provider_id)}",
        "run",
        f"{bank.base_url}/api/v1/openapi.json",
        *(f"--header=Authorization: {value}" for value in seeded.tokens[role].values()),
        "--checks=all",
        f"--phases={PHASES}",
        "--generation-deterministic",  # hypothesis' derandomize: a fixed seed, no database
        # one worker: hypothesis' lambda-source cache is not safe across threads (with two, a
        # run now and then ended on a KeyError inside it, a "Runtime Error" of no check)
        "--workers=1",
        f"--request-timeout={TIMEOUT}",
        "--no-color",
        "--output-truncate=false",
        *(f"--include-name={name}" for name in names),
    ]
