"""Files a page previews before it acts on them: a sheet of learners to open, a provider's sheet
of outcomes, a ruleset, a catalogue. The preview stages the uploaded bytes under the instance
folder, named by their SHA-256; the confirming form carries only that name, so the file is not
sent twice and what is confirmed is byte for byte what was previewed. Any gunicorn worker finds
it (the folder is on the one machine), and files older than a day are swept on the next stage.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from creditbank.context import settings
from creditbank.domain.errors import ValidationFailed

FOLDER = "staged"
KEEP_SECONDS = 24 * 3600
_NAME = re.compile(r"[0-9a-f]{64}")


def stage(data: bytes) -> str:
    """Keep ``data`` until confirmed; returns its name (the hex SHA-256)."""
    folder = _folder()
    _sweep(folder)
    name = hashlib.sha256(data).hexdigest()
    target = folder / name
    if not target.exists():
        partial = folder / f".{name}.{time.monotonic_ns()}"
        partial.write_bytes(data)
        partial.replace(target)  # atomic: a reader sees the whole file or none
    return name


def load(name: str, field: str = "staged") -> bytes:
    """The staged bytes, checked against their name; a 422 on ``field`` when the name is not one
    or the file has expired (the preview must be done again)."""
    if not _NAME.fullmatch(name or ""):
        raise ValidationFailed(errors={field: ["Not a staged file's name"]})
    path = _folder() / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValidationFailed(
            errors={field: ["The preview has expired; upload the file again"]}
        ) from None
    if hashlib.sha256(data).hexdigest() != name:
        raise ValidationFailed(errors={field: ["The staged file is damaged; upload it again"]})
    return data


def _folder() -> Path:
    folder = settings().instance_path / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    horizon = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < horizon:
                path.unlink()
        except FileNotFoundError:
            pass  # another worker swept it first
