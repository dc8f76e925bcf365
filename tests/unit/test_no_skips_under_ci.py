"""The CI rule of tests/support/no_skips.py, run on small test suites of its own (pytester):
under ``CI=true`` a skip or an xfail fails the run (none is allowed today; one written into
ALLOWED_XFAILS for a test passes by node id and reason both); a clean run passes; outside CI
skips only skip."""

from __future__ import annotations

import pytest

from tests.support import no_skips

# A gap of the kind ALLOWED_XFAILS once held, for the tests that allow one themselves.
ALLOWED_NODE = "tests/unit/test_scale_metadata.py::test_known_gaps_are_still_gaps[identities-uq]"
ALLOWED_REASON = "known gap, see KNOWN_GAPS"
SKIPPING = """
import pytest

def test_runs():
    assert True

def test_needs_a_tool():
    pytest.skip("poppler is not installed")
"""
CLEAN = """
def test_runs():
    assert True
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A test directory that loads the rule as tests/conftest.py does."""
    pytester.makeconftest('pytest_plugins = ["tests.support.no_skips"]')
    return pytester


@pytest.fixture
def ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")


def run(suite: pytest.Pytester) -> pytest.RunResult:
    # The rule's module is imported already (by this run's conftest): not news worth a warning.
    quiet = "ignore::pytest.PytestAssertRewriteWarning"
    return suite.runpytest("-p", "no:cacheprovider", "-W", quiet)


def test_under_ci_a_skipped_test_fails_the_run_and_is_named_with_its_reason(suite, ci):
    suite.makepyfile(test_tools=SKIPPING)

    result = run(suite)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*skipped under CI=true*", "test_tools.py::test_needs_a_tool: poppler is not installed"]
    )


def test_under_ci_a_clean_run_passes(suite, ci):
    suite.makepyfile(test_tools=CLEAN)

    result = run(suite)

    assert result.ret == pytest.ExitCode.OK
    result.stdout.no_fnmatch_line("*skipped under CI=true*")


def test_outside_ci_a_skip_only_skips(suite, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    suite.makepyfile(test_tools=SKIPPING)

    result = run(suite)

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, skipped=1)


def test_under_ci_a_module_skipped_at_import_fails_the_run(suite, ci):
    suite.makepyfile(test_browser='import pytest\npytest.importorskip("no_such_module_here")\n')

    result = run(suite)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["test_browser.py: could not import 'no_such_module_here'*"])


def test_under_ci_a_skip_in_a_fixture_fails_the_run(suite, ci):
    suite.makepyfile(
        test_tier="""
import pytest

@pytest.fixture
def postgres():
    pytest.skip("set CREDITBANK_TEST_DATABASE_URL")

def test_on_postgres(postgres):
    pass
"""
    )

    result = run(suite)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["test_tier.py::test_on_postgres: set CREDITBANK_TEST_DATABASE_URL"]
    )


def known_gap_suite(suite: pytest.Pytester, reason: str, node: str = ALLOWED_NODE) -> None:
    """A test at ``node``'s path and name (ALLOWED_NODE by default), a strict xfail."""
    path, test = node.split("::")
    name, param = test.rstrip("]").split("[")
    # No __init__.py: the module must not be taken for this repository's own tests.unit.
    (suite.path / path).parent.mkdir(parents=True)
    (suite.path / path).write_text(
        f"""
import pytest

@pytest.mark.parametrize("gap", [{param!r}])
@pytest.mark.xfail(strict=True, raises=AssertionError, reason={reason!r})
def {name}(gap):
    assert False, gap
"""
    )


@pytest.fixture
def allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """ALLOWED_XFAILS with one entry, as a known gap would be written down."""
    monkeypatch.setitem(no_skips.ALLOWED_XFAILS, ALLOWED_NODE, ALLOWED_REASON)


def test_no_xfail_is_allowed_under_ci():
    assert no_skips.ALLOWED_XFAILS == {}


def test_under_ci_an_xfail_fails_the_run_and_is_named_with_its_reason(suite, ci):
    known_gap_suite(suite, ALLOWED_REASON)

    result = run(suite)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(
        ["*skipped under CI=true*", f"{ALLOWED_NODE}: xfail: {ALLOWED_REASON}"]
    )


def test_outside_ci_an_xfail_only_xfails(suite, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    known_gap_suite(suite, ALLOWED_REASON)

    result = run(suite)

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(xfailed=1)


@pytest.mark.usefixtures("allowed")
def test_under_ci_an_allowed_xfail_passes_by_node_id_and_reason(suite, ci):
    known_gap_suite(suite, ALLOWED_REASON)

    result = run(suite)

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(xfailed=1)


@pytest.mark.usefixtures("allowed")
def test_under_ci_the_allowed_node_xfailing_for_another_reason_fails_the_run(suite, ci):
    known_gap_suite(suite, "a gap nobody wrote down")

    result = run(suite)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"{ALLOWED_NODE}: xfail: a gap nobody wrote down"])


@pytest.mark.usefixtures("allowed")
def test_under_ci_another_xfail_with_the_allowed_reason_fails_the_run(suite, ci):
    other = ALLOWED_NODE.replace("test_known_gaps_are_still_gaps", "test_another_gap")
    known_gap_suite(suite, ALLOWED_REASON, node=other)

    result = run(suite)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"{other}: xfail: known gap, see KNOWN_GAPS"])
