"""The console's 代传成果 and 上传记录 pages through Flask's test client: the dry-run preview
lists every bad row, the confirmation posts exactly the previewed good rows as the provider (in
the background), a staged name that is forged or expired is a 422 beside its field, and an
auditor reads every page but posts nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from creditbank.domain.ids import new_id
from creditbank.domain.roles import Role
from creditbank.extensions import db
from creditbank.models import AuditEvent, OutcomeState
from creditbank.services.transaction import utcnow
from creditbank.upload_models import Upload
from tests.api.uploads import HOURS_HEADER, csv_bytes
from tests.api.ws_console import (
    POST_FORM,
    post_file,
    post_form,
    signed_in,
    staged_and_upload,
    wait_finished,
)

NEW = "/workstation/uploads/new"
UNKNOWN_LEARNER = "L" + "0" * 26


@pytest.fixture
def bank(api):
    api.publish_ruleset()
    provider_id, _ = api.new_provider()
    return {"provider_id": provider_id, "learners": [api.new_learner() for _ in range(2)]}


@pytest.fixture
def clerk(app):
    return signed_in(app, "zhou.min", Role.WORKSTATION)


@pytest.fixture
def auditor(app):
    return signed_in(app, "qian.li", Role.AUDITOR)


def sheet(learners: list[str]) -> bytes:
    """Three good rows (2, 3, 4) and two bad ones: 5 names no learner, 6 has no hours."""
    first, second = learners
    rows = [
        [first, "w-1", "培训学时", "2026-01-05", "theory", "16"],
        [second, "w-2", "培训学时", "2026-01-06", "theory", "32"],
        [first, "w-3", "培训学时", "2026-01-07", "practice", "24"],
        [UNKNOWN_LEARNER, "w-4", "培训学时", "2026-01-08", "theory", "16"],
        [second, "w-5", "培训学时", "2026-01-09", "theory", "abc"],
    ]
    return csv_bytes(HOURS_HEADER, rows)


def preview(clerk, bank, content: bytes | None = None, name: str = "成果.csv"):
    content = sheet(bank["learners"]) if content is None else content
    return post_file(clerk, NEW, content, name, NEW, provider_id=bank["provider_id"])


def outcomes() -> int:
    return db.session.scalar(select(func.count()).select_from(OutcomeState)) or 0


def tags() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.tag).order_by(AuditEvent.id)))


def test_the_preview_lists_every_bad_row_in_chinese_and_posts_nothing(clerk, bank):
    response = preview(clerk, bank)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<dd id="rows-total">5</dd>' in html
    assert '<dd id="rows-good">3</dd>' in html and '<dd id="rows-bad">2</dd>' in html
    assert '<td class="num">5</td><td>学员编号</td><td>没有此学员编号的学员。</td>' in html
    assert '<td class="num">6</td><td>学时</td><td>应为数字，如 2.5。</td>' in html
    assert "张三" in html and "1.0" in html  # the sample: 16 theory hours earn 1 credit
    assert "确认登记 3 行" in html
    assert outcomes() == 0
    upload = db.session.scalars(select(Upload)).one()
    assert (upload.status, upload.rows_total, upload.rejected) == ("previewed", 5, 2)
    assert tags() == ["web:upload:previewed"]


def test_confirming_posts_exactly_the_previewed_good_rows_as_the_provider(clerk, bank):
    staged, upload_id = staged_and_upload(preview(clerk, bank).get_data(as_text=True))

    response = post_form(clerk, f"/workstation/uploads/{upload_id}/confirm", NEW, staged=staged)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/workstation/uploads/{upload_id}"
    upload = wait_finished(upload_id)
    assert (upload.status, upload.posted, upload.rejected, upload.rows_done) == ("done", 3, 2, 3)
    refs = db.session.scalars(select(OutcomeState.external_ref).order_by(OutcomeState.external_ref))
    assert list(refs) == ["w-1", "w-2", "w-3"]
    assert set(db.session.scalars(select(OutcomeState.provider_id))) == {bank["provider_id"]}
    page = clerk.get(f"/workstation/uploads/{upload_id}").get_data(as_text=True)
    assert 'data-status="done"' in page and "新登记 <strong>3</strong> 行" in page
    assert "已开始登记" in page  # the confirmation's flash, shown on the page it led to
    history = clerk.get("/workstation/uploads").get_data(as_text=True)
    assert "成果.csv" in history and "zhou.min" in history and "已完成" in history
    assert tags() == ["web:upload:previewed", "web:upload:confirmed", "web:upload:finished"]


def test_a_second_confirmation_is_refused_and_posts_nothing_more(clerk, bank):
    staged, upload_id = staged_and_upload(preview(clerk, bank).get_data(as_text=True))
    post_form(clerk, f"/workstation/uploads/{upload_id}/confirm", NEW, staged=staged)
    wait_finished(upload_id)

    again = post_form(clerk, f"/workstation/uploads/{upload_id}/confirm", NEW, staged=staged)

    assert again.status_code == 409
    assert outcomes() == 3


@pytest.mark.parametrize(
    ("staged", "message"),
    [
        ("0" * 64, "预览已过期"),
        ("../../etc/passwd", "预览文件的标识无效"),
        ("", "预览文件的标识无效"),
    ],
    ids=["expired", "forged", "missing"],
)
def test_an_expired_or_forged_staged_name_is_a_422_beside_the_field(clerk, bank, staged, message):
    _, upload_id = staged_and_upload(preview(clerk, bank).get_data(as_text=True))

    response = post_form(clerk, f"/workstation/uploads/{upload_id}/confirm", NEW, staged=staged)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true" aria-describedby="staged-error"' in html
    assert 'id="staged-error"' in html and message in html
    assert outcomes() == 0
    assert db.session.get(Upload, upload_id).status == "previewed"


def test_the_staged_name_of_another_file_is_refused(clerk, bank):
    _, upload_id = staged_and_upload(preview(clerk, bank).get_data(as_text=True))
    other = csv_bytes(
        HOURS_HEADER, [[bank["learners"][0], "x-1", "培训学时", "2026-01-05", "theory", "8"]]
    )
    other_staged, _ = staged_and_upload(preview(clerk, bank, other).get_data(as_text=True))

    response = post_form(
        clerk, f"/workstation/uploads/{upload_id}/confirm", NEW, staged=other_staged
    )

    assert response.status_code == 422
    assert "此文件不是预览过的文件" in response.get_data(as_text=True)
    assert outcomes() == 0


def test_no_provider_or_no_sheet_is_a_422_beside_the_field_and_writes_nothing(clerk, bank):
    no_provider = post_file(clerk, NEW, sheet(bank["learners"]), "a.csv", NEW, provider_id="")
    not_a_sheet = preview(clerk, bank, b"PK\x03\x04 not really a workbook", "a.xls")

    assert no_provider.status_code == 422
    assert 'aria-describedby="provider_id-error"' in no_provider.get_data(as_text=True)
    assert not_a_sheet.status_code == 422
    assert 'id="file-error"' in not_a_sheet.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0


def test_a_wrong_header_cannot_be_confirmed(clerk, bank):
    content = csv_bytes(
        [*HOURS_HEADER, "备注栏"],
        [[bank["learners"][0], "h-1", "培训学时", "2026-01-05", "theory", "8", "x"]],
    )

    html = preview(clerk, bank, content).get_data(as_text=True)

    assert "未知的列" in html and "表头有错误" in html
    assert 'name="staged"' not in html


def test_a_running_upload_refreshes_itself_with_a_labelled_progress_bar(clerk, bank):
    upload_id = _upload(bank, status="running", rows_total=10, rejected=2, rows_done=4)

    response = clerk.get(f"/workstation/uploads/{upload_id}")

    html = response.get_data(as_text=True)
    assert response.headers["Refresh"] == "2"
    assert '<label for="upload-progress">' in html
    assert 'id="upload-progress" max="8" value="4"' in html and "已处理 4 / 8 行" in html
    assert f'href="/workstation/uploads/{upload_id}?auto=0">停止自动刷新' in html


def test_the_reader_can_stop_the_refreshing(clerk, bank):
    upload_id = _upload(bank, status="running", rows_total=10, rows_done=4)

    response = clerk.get(f"/workstation/uploads/{upload_id}?auto=0")

    assert "Refresh" not in response.headers
    assert "恢复自动刷新" in response.get_data(as_text=True)


def test_a_finished_upload_does_not_refresh(clerk, bank):
    upload_id = _upload(bank, status="done", rows_total=3, rows_done=3, posted=3)

    response = clerk.get(f"/workstation/uploads/{upload_id}")

    assert "Refresh" not in response.headers
    assert "新登记 <strong>3</strong> 行" in response.get_data(as_text=True)


def test_a_running_upload_whose_worker_stopped_is_shown_failed_with_its_reason(clerk, bank):
    stale = utcnow() - timedelta(hours=2)
    upload_id = _upload(bank, status="running", heartbeat_at=stale, started_at=stale)

    html = clerk.get(f"/workstation/uploads/{upload_id}").get_data(as_text=True)

    assert 'data-status="failed"' in html and "处理进程已中断" in html
    assert "自动刷新" not in html
    assert "web:upload:failed" in tags()


def test_the_history_is_keyset_paged_newest_first(clerk, bank, monkeypatch):
    from creditbank.web import views

    monkeypatch.setattr(views, "PAGE_ROWS", 2)
    monkeypatch.setattr("creditbank.web.ws_uploads.PAGE_ROWS", 2)
    ids = [_upload(bank, file_name=f"f{n}.csv") for n in range(3)]

    first = clerk.get("/workstation/uploads").get_data(as_text=True)
    assert ids[2] in first and ids[1] in first and ids[0] not in first
    cursor = first.split('rel="next" href="/workstation/uploads?cursor=')[1].split('"')[0]
    second = clerk.get(f"/workstation/uploads?cursor={cursor}").get_data(as_text=True)
    assert ids[0] in second and ids[2] not in second


def test_the_template_downloads_as_xlsx(clerk):
    response = clerk.get("/workstation/uploads/template.xlsx?kind=training_hours")

    assert response.status_code == 200
    assert response.data.startswith(b"PK")
    assert "outcomes-training_hours.xlsx" in response.headers["Content-Disposition"]


def test_an_auditor_reads_every_page_sees_no_form_and_gets_403_on_every_post(auditor, clerk, bank):
    staged, upload_id = staged_and_upload(preview(clerk, bank).get_data(as_text=True))

    for path in (NEW, "/workstation/uploads", f"/workstation/uploads/{upload_id}"):
        page = auditor.get(path)
        assert page.status_code == 200, path
        assert not POST_FORM.search(page.get_data(as_text=True)), path
    assert "只能查看" in auditor.get(NEW).get_data(as_text=True)
    page = "/workstation/uploads"
    refused = [
        post_file(
            auditor, NEW, sheet(bank["learners"]), "a.csv", page, provider_id=bank["provider_id"]
        ),
        post_form(auditor, f"/workstation/uploads/{upload_id}/confirm", page, staged=staged),
    ]
    assert [response.status_code for response in refused] == [403, 403]
    assert outcomes() == 0
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 1


def _upload(bank, **values) -> str:
    now = utcnow()
    row = {
        "id": new_id("up"),
        "provider_id": bank["provider_id"],
        "staff": "zhou.min",
        "file_name": "成果.csv",
        "sha256": "a" * 64,
        "rows_total": 1,
        "rows_done": 0,
        "posted": 0,
        "rejected": 0,
        "status": "done",
        "started_at": now,
        "heartbeat_at": now,
        **values,
    }
    db.session.add(Upload(**row))
    db.session.commit()
    return row["id"]
