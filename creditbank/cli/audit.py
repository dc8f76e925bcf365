"""``creditbank audit | checkpoint | export | verify`` (registered by :mod:`creditbank.cli`).

``audit``, ``checkpoint`` and ``export`` call the same services as the API. ``verify`` needs
no database, no server and no key material: it is what a third party runs on an export.
The progress bar is click's own (``click.progressbar``), shown only on a terminal.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn

import click
from flask.cli import with_appcontext

from creditbank.domain.errors import DomainError

OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _fail(message: str, status: int = 2) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


@contextmanager
def _output(out: Path | None) -> Iterator[IO[str]]:
    if out is None:
        yield sys.stdout
        return
    with out.open("w", encoding="utf-8", newline="") as stream:
        yield stream


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar over journal entries on a terminal; silence anywhere else (cron, pipes)."""
    if not sys.stderr.isatty():
        yield lambda _: None
        return
    with click.progressbar(length=max(total, 1), label="auditing", file=sys.stderr) as bar:
        yield bar.update


@click.command("audit")
@click.option("--learner", "learner_id", default=None, help="Audit one learner only.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "html"]), default="json")
@click.option("--out", type=OUT, default=None, help="Write the report here (default: stdout).")
@click.option("--workers", type=int, default=None, help="Processes (default: all cores if large).")
@click.option(
    "--recover",
    is_flag=True,
    help="Only mark 'error' the audits left running by a process that died, and say which.",
)
@with_appcontext
def audit(
    learner_id: str | None, fmt: str, out: Path | None, workers: int | None, recover: bool
) -> None:
    """Audit the journal; exit status 0 when it passes, 1 when it finds anything, 2 on error."""
    from creditbank.services import audit_reports, audits

    if recover:
        _recover()
        return
    try:
        with _progress(audits.entries_in_scope(learner_id)) as advance:
            result = audits.run_audit(
                learner_id, requested_by="shell", workers=workers, progress=advance
            )
    except DomainError as error:
        _fail(f"({error.slug}) {error.detail}")
    with _output(out) as stream:
        if fmt == "csv":
            stream.writelines(audit_reports.csv_lines(result.id))
        elif fmt == "html":
            stream.write(audit_reports.html_report(result.id))
        else:
            document = audit_reports.audit_document(result.id)
            stream.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    click.echo(
        f"audit {result.id}: {result.status}, {result.entries_checked} entries of "
        f"{result.learners_checked} learners, {result.findings_total} findings",
        err=True,
    )
    sys.exit(0 if result.status == "passed" else 1)


def _recover() -> None:
    """``creditbank audit --recover``: the stale runs, marked, one line each."""
    from creditbank.services.audits import end_stale_audits

    ended = end_stale_audits()
    for run in ended:
        scope = f"learner {run.learner_id}" if run.learner_id else "the whole bank"
        click.echo(f"audit {run.id} of {scope} marked error: {run.error}")
    click.echo(f"{len(ended)} stale audit{'' if len(ended) == 1 else 's'} marked error", err=True)


@click.command("checkpoint")
@with_appcontext
def checkpoint() -> None:
    """Sign the learners' chain heads into a new checkpoint; prints it as JSON (for cron)."""
    from creditbank.services.checkpoints import create_checkpoint

    try:
        made = create_checkpoint()
    except DomainError as error:
        _fail(f"({error.slug}) {error.detail}", 1)
    click.echo(json.dumps(made, ensure_ascii=False, indent=2))


@click.command("export")
@click.option("--out", type=OUT, default=None, help="The JSON-lines file (default: stdout).")
@click.option("--learner", "learner_id", default=None, help="One learner, with its proof.")
@with_appcontext
def export(out: Path | None, learner_id: str | None) -> None:
    """Stream the journal as JSON lines that `creditbank verify` (or anyone) can check."""
    from creditbank.services.journal_export import export_lines

    try:
        with _output(out) as stream:
            stream.writelines(export_lines(learner_id))
    except DomainError as error:
        _fail(f"({error.slug}) {error.detail}", 1)


@click.command("verify")
@click.argument("export_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint",
    "checkpoint_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The checkpoint JSON (GET /checkpoints/latest).",
)
@click.option(
    "--jwks",
    "jwks_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The bank's JWKS: the checkpoint's key must be in it.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def verify(
    export_file: Path, checkpoint_file: Path | None, jwks_file: Path | None, fmt: str
) -> None:
    """Verify an export offline; exit status 0 when it verifies, 1 when it does not."""
    from creditbank.transfer.offline import verify_export

    document = _read_json(checkpoint_file) if checkpoint_file else None
    key = _jwks_key(_read_json(jwks_file), document) if jwks_file and document else None
    if document is None:
        click.echo("warning: no --checkpoint, so only the chains are checked", err=True)
    with export_file.open(encoding="utf-8") as lines:
        report = verify_export(lines, document, key)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for finding in report.findings:
            click.echo(
                f"{finding.check}: learner {finding.learner_id} seq {finding.seq}: "
                f"expected {finding.expected}; found {finding.found}"
            )
        verdict = "verified" if report.ok else f"NOT verified, {report.findings_total} findings"
        click.echo(
            f"{export_file}: {verdict} ({report.entries} entries of {report.learners} learners; "
            f"checkpoint {'not given' if document is None else report.checkpoint_verified})"
        )
    sys.exit(0 if report.ok else 1)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeError) as error:
        _fail(f"{path} is not JSON: {error}")


def _jwks_key(jwks: Any, checkpoint: Any) -> bytes:
    """The raw Ed25519 key the JWKS publishes under the checkpoint's ``key_id``."""
    for key in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if key.get("kid") == checkpoint.get("key_id") and key.get("crv") == "Ed25519":
            try:
                return base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
            except (binascii.Error, KeyError, TypeError):
                break
    _fail(f"the JWKS has no Ed25519 key {checkpoint.get('key_id')!r}")


COMMANDS = (audit, checkpoint, export, verify)
