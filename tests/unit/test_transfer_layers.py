"""The transfer package sits in the pure layers (docs/architecture.md § Layers): the contracts
refuse it an import of a higher layer or of a database, by name."""

from __future__ import annotations

import shutil

from tests.unit.test_architecture import ROOT, _lint_imports


def test_the_transfer_rules_may_not_reach_up_or_into_a_database(tmp_path):
    shutil.copytree(ROOT / "creditbank", tmp_path / "creditbank")
    model = tmp_path / "creditbank" / "transfer" / "model.py"
    planted = "\nimport creditbank.intake.outcomes  # wrong way\nimport sqlalchemy  # no database\n"
    model.write_text(model.read_text() + planted)

    result = _lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout
    assert "creditbank.transfer.model -> creditbank.intake.outcomes" in result.stdout
    assert "creditbank.transfer.model -> sqlalchemy" in result.stdout
