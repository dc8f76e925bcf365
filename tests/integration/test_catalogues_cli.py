"""``creditbank catalogues publish --programme CQ1024/510203 FILE.json``, on SQLite and
PostgreSQL: the programme named by its college's school code and its own code; a bad document
prints every bad path and exits non-zero, writing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from config.settings import Settings
from creditbank.cli import main
from creditbank.college_models import CatalogueVersion
from creditbank.extensions import db
from creditbank.transfer import validate_catalogue_document
from tests.api.catalogue_helpers import c1, new_college, new_programme
from tests.integration.test_staff_cli import environment

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")


def run(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=environment(settings))


@pytest.fixture
def programme_id(app) -> str:
    return new_programme(new_college("CQ1024"), "510203")


def document_file(tmp_path: Path, **changes) -> str:
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(c1(**changes), ensure_ascii=False), encoding="utf-8")
    return str(path)


def stored() -> list[CatalogueVersion]:
    db.session.expire_all()
    return list(db.session.scalars(select(CatalogueVersion).order_by(CatalogueVersion.version)))


def test_publish_prints_the_version_and_stores_the_normalised_document(
    settings, tmp_path, programme_id
):
    path = document_file(tmp_path)

    first = run(settings, "catalogues", "publish", "--programme", "CQ1024/510203", path)
    second = run(settings, "catalogues", "publish", "--programme", "CQ1024/510203", path)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    printed = [json.loads(result.stdout) for result in (first, second)]
    assert [line["version"] for line in printed] == [1, 2]
    assert printed[0]["programme_id"] == programme_id
    rows = stored()
    assert [row.id for row in rows] == [line["id"] for line in printed]
    assert rows[0].published_by == "shell"
    assert json.loads(rows[0].document) == validate_catalogue_document(c1())


def test_a_bad_document_prints_every_bad_path_exits_1_and_writes_nothing(
    settings, tmp_path, programme_id
):
    courses = c1()["courses"]
    courses[0]["code"] = "WEB.101"
    path = document_file(tmp_path, total_credits="0", courses=courses)

    result = run(settings, "catalogues", "publish", "--programme", "CQ1024/510203", path)

    assert result.exit_code == 1
    assert "validation_error" in result.stderr
    assert "total_credits" in result.stderr and "courses.0.code" in result.stderr
    assert stored() == []


def test_an_unknown_programme_or_a_malformed_reference_is_refused(settings, tmp_path, app):
    path = document_file(tmp_path)
    new_programme(new_college("CQ1024"), "510203")

    unknown = run(settings, "catalogues", "publish", "--programme", "CQ1024/999999", path)
    malformed = run(settings, "catalogues", "publish", "--programme", "CQ1024", path)

    assert unknown.exit_code == 1 and "not_found" in unknown.stderr
    assert malformed.exit_code == 2 and "CQ1024/510203" in malformed.output
    assert db.session.scalar(select(func.count()).select_from(CatalogueVersion)) == 0
