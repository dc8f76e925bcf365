"""The house rules that keep the code easy to change (docs/architecture.md § Layers): the layer
contracts hold, and they bite; modules stay small; only pages and documents render templates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_MODULE_LINES = 300


def _lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the repository's contracts, on the package found under
    ``package_parent`` (no cache: a copy must be read as it is)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / ".importlinter"), "--no-cache"],
        cwd=package_parent,
        env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_layer_contracts_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _lint_with_planted_import(tmp_path: Path, module: str, line: str) -> str:
    """``lint-imports``' report on a copy of the package where ``module`` (a path under
    creditbank/) also has ``line``; the report must be a failure."""
    shutil.copytree(ROOT / "creditbank", tmp_path / "creditbank")
    planted = tmp_path / "creditbank" / module
    planted.write_text(planted.read_text() + f"\n{line}  # wrong way\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    return result.stdout


def test_a_wrong_way_import_breaks_the_build(tmp_path):
    """A pure module that reaches up into the HTTP layer must fail the contracts by name."""
    report = _lint_with_planted_import(
        tmp_path, "domain/amounts.py", "import creditbank.api.parsing"
    )
    assert "creditbank.domain.amounts -> creditbank.api.parsing" in report


def test_the_command_line_never_imports_the_http_layer(tmp_path):
    report = _lint_with_planted_import(
        tmp_path, "cli/ledger.py", "from creditbank.api import schemas"
    )
    assert "creditbank.cli.ledger -> creditbank.api" in report


def test_every_module_stays_under_300_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "creditbank").rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"split these by what they do: {long}"


def test_templates_are_rendered_only_by_the_pages_and_the_documents():
    renderers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "creditbank").rglob("*.py")
        if "render_template" in path.read_text(encoding="utf-8")
    }
    assert all(path.startswith("creditbank/web/") for path in renderers), renderers
