"""A previewed upload kept by its SHA-256 until it is confirmed: the same bytes back, and a
clear 422 on the form's field for a forged, expired or damaged name."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from creditbank.context import settings
from creditbank.domain.errors import ValidationFailed
from creditbank.services import staged_files


def test_staged_bytes_come_back_by_their_hash(app):
    data = "姓名,身份证号\n陈晓雨,500235199001014173\n".encode()

    name = staged_files.stage(data)

    assert name == hashlib.sha256(data).hexdigest()
    assert staged_files.load(name) == data
    assert staged_files.stage(data) == name  # staging again is harmless


@pytest.mark.parametrize("name", ["", "../keys/signing.pem", "A" * 64, "0" * 63])
def test_a_name_that_is_not_a_hash_is_refused_on_the_field(app, name):
    with pytest.raises(ValidationFailed) as refused:
        staged_files.load(name, field="sheet")

    assert list(refused.value.errors) == ["sheet"]


def test_an_expired_or_damaged_file_asks_for_the_upload_again(app):
    missing = hashlib.sha256(b"never staged").hexdigest()
    with pytest.raises(ValidationFailed) as expired:
        staged_files.load(missing)
    assert "expired" in expired.value.errors["staged"][0]

    name = staged_files.stage(b"original")
    (settings().instance_path / staged_files.FOLDER / name).write_bytes(b"changed")
    with pytest.raises(ValidationFailed) as damaged:
        staged_files.load(name)
    assert "damaged" in damaged.value.errors["staged"][0]


def test_staging_sweeps_files_older_than_a_day(app):
    old = staged_files.stage(b"yesterday's sheet")
    path = settings().instance_path / staged_files.FOLDER / old
    a_day_ago = time.time() - staged_files.KEEP_SECONDS - 60
    os.utime(path, (a_day_ago, a_day_ago))

    staged_files.stage(b"today's sheet")

    assert not path.exists()
