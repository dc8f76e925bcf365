"""The console's 规则 pages through Flask's test client: the versions with their status, one
shown as tables of Chinese labels, two compared value by value, and publishing from a JSON file
(a bad one shows each error's path and publishes nothing; a good one is previewed against the
version in force and published, with its audit event, only when confirmed)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.models import AuditEvent, Ruleset
from tests.api.ws_console import POST_FORM, post_file, post_form, signed_in

PUBLISH = "/workstation/rulesets/publish"
LIST = "/workstation/rulesets"


@pytest.fixture
def clerk(app):
    return signed_in(app, "zhou.min", Role.WORKSTATION)


@pytest.fixture
def auditor(app):
    return signed_in(app, "qian.li", Role.AUDITOR)


@pytest.fixture
def versions(api):
    """Two versions: the second trains theory at 20 hours a credit, not 16, and adds a cap."""
    first = api.publish_ruleset()
    second = api.publish_ruleset(
        name="测试规则（修订）",
        hours_per_credit={"theory": "20", "practice": "24"},
        caps={"per_year": "30"},
    )
    return first, second


def rulesets() -> int:
    return db.session.scalar(select(func.count()).select_from(Ruleset)) or 0


def document(**overrides) -> bytes:
    body = {
        "name": "云阳县学分转换规则（2027）",
        "effective_from": "2027-01-01T00:00:00+08:00",
        "hours_per_credit": {"theory": "16", "practice": "24"},
        "competitions": {"national": ["5.0", "3.0", "2.0"]},
        **overrides,
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def test_the_list_shows_every_version_with_its_status(clerk, versions):
    html = clerk.get(LIST).get_data(as_text=True)

    assert "第 1 版" in html and "第 2 版" in html
    assert html.count("现行") == 1 and "已被取代" in html
    assert 'id="compare-old"' in html and "发布新版本规则" in html


def test_a_ruleset_shows_as_tables_with_chinese_labels(clerk, versions):
    html = clerk.get(f"{LIST}/{versions[0]['id']}").get_data(as_text=True)

    assert '<td>理论</td><td><code>theory</code></td><td class="num">16.0</td>' in html
    assert '<th scope="row">国家级</th><td class="num">4.0</td>' in html
    assert '<th scope="col" class="num">高级</th>' in html and "一等奖" in html
    assert '<th scope="row">一级/高级技师</th><td class="num">6.0</td>' in html


def test_compare_shows_each_changed_value_old_to_new(clerk, versions):
    first, second = versions

    response = clerk.get(f"{LIST}/compare?old={first['id']}&new={second['id']}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    theory = re.search(
        r'<tr class="change-changed"><td>([^<]*)</td><td><code>hours_per_credit\.theory</code>'
        r"</td><td>修改</td><td>16\.0</td><td>20\.0</td></tr>",
        html,
    )
    assert theory and theory.group(1) == "培训学时折算（每学分学时） · 理论（theory）"
    assert "<code>caps.per_year</code></td><td>修改</td><td>不限</td><td>30.0</td>" in html


def test_compare_with_an_unknown_version_is_a_404_page(clerk, versions):
    assert clerk.get(f"{LIST}/compare?old=rs_nope&new={versions[0]['id']}").status_code == 404


def test_a_bad_ruleset_shows_each_error_with_its_path_and_publishes_nothing(clerk, versions):
    bad = document(
        effective_from="next year",
        certificates={"1X-WEB": {"expert": "2.0"}},
        competitions={"national": ["4.0", "3.0", "2.0", "1.0"]},
    )

    response = post_file(clerk, PUBLISH, bad, "rules.json", PUBLISH)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true" aria-describedby="file-error"' in html
    assert '<code class="error-path">certificates.1X-WEB.expert</code>' in html
    assert "等级应为 junior（初级）" in html
    assert '<code class="error-path">effective_from</code>' in html
    assert '<code class="error-path">competitions.national</code>（竞赛学分表 · 国家级）' in html
    assert rulesets() == 2
    assert 'name="staged"' not in html


def test_a_file_that_is_not_json_is_a_422(clerk, versions):
    response = post_file(clerk, PUBLISH, b"{not json", "rules.json", PUBLISH)

    assert response.status_code == 422
    assert "文件不是有效的 UTF-8 JSON" in response.get_data(as_text=True)
    assert rulesets() == 2


def test_publishing_previews_the_tables_and_the_diff_then_publishes_when_confirmed(clerk, versions):
    preview = post_file(clerk, PUBLISH, document(), "rules.json", PUBLISH)

    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "现行：第 2 版" in html
    assert (
        "<code>hours_per_credit.theory</code></td><td>修改</td><td>20.0</td><td>16.0</td>" in html
    )
    assert "<code>competitions.national.1</code></td><td>修改</td><td>4.0</td><td>5.0</td>" in html
    assert rulesets() == 2  # a preview publishes nothing
    staged = re.search(r'name="staged" value="([0-9a-f]{64})"', html).group(1)

    confirmed = post_form(clerk, f"{PUBLISH}/confirm", PUBLISH, staged=staged)

    assert confirmed.status_code == 302
    row = db.session.scalars(select(Ruleset).where(Ruleset.version == 3)).one()
    assert confirmed.headers["Location"] == f"{LIST}/{row.id}"
    assert row.name == "云阳县学分转换规则（2027）" and row.published_by == "staff:zhou.min"
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.tag, event.actor, event.subject_id) == (
        "web:ruleset:published",
        "staff:zhou.min",
        row.id,
    )
    page = clerk.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "已发布第 3 版规则" in page and "待生效" in page


@pytest.mark.parametrize("staged", ["0" * 64, "x"], ids=["expired", "forged"])
def test_an_expired_or_forged_staged_ruleset_is_a_422_and_publishes_nothing(
    clerk, versions, staged
):
    response = post_form(clerk, f"{PUBLISH}/confirm", PUBLISH, staged=staged)

    assert response.status_code == 422
    assert rulesets() == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_an_auditor_reads_every_ruleset_page_sees_no_form_and_gets_403_on_every_post(
    auditor, clerk, versions
):
    first, second = versions
    for path in (
        LIST,
        f"{LIST}/{first['id']}",
        f"{LIST}/compare?old={first['id']}&new={second['id']}",
        PUBLISH,
    ):
        page = auditor.get(path)
        assert page.status_code == 200, path
        assert not POST_FORM.search(page.get_data(as_text=True)), path
    assert "发布新版本规则</a>" not in auditor.get(LIST).get_data(as_text=True)
    refused = [
        post_file(auditor, PUBLISH, document(), "rules.json", LIST),
        post_form(auditor, f"{PUBLISH}/confirm", LIST, staged="0" * 64),
    ]
    assert [response.status_code for response in refused] == [403, 403]
    assert rulesets() == 2
