"""The pure parts of the console's upload and ruleset pages: chunks of an upload by learner,
what changed between two ruleset documents and its Chinese names, the checks' messages in
Chinese."""

from __future__ import annotations

from creditbank.check_messages import message_text
from creditbank.services.ruleset_tables import compare, path_label
from creditbank.services.upload_runs import chunks


def rows(learners: str) -> list[tuple[int, dict[str, str]]]:
    return [(n + 2, {"learner_id": learner}) for n, learner in enumerate(learners)]


def test_chunks_keep_a_learner_whole_where_it_fits_and_lose_no_row():
    cut = list(chunks(rows("aabbbcdd"), size=3))

    assert [[row[1]["learner_id"] for row in chunk] for chunk in cut] == [
        ["a", "a", "b", "b", "b"],
        ["c", "d", "d"],
    ]
    assert sorted(row[0] for chunk in cut for row in chunk) == list(range(2, 10))


def test_a_learner_with_more_rows_than_two_chunks_is_cut_anyway():
    assert [len(chunk) for chunk in chunks(rows("a" * 7), size=3)] == [6, 1]


def test_compare_names_added_removed_and_changed_values():
    old = {"hours_per_credit": {"theory": "16.0"}, "competitions": {"national": ["4.0", "3.0"]}}
    new = {"hours_per_credit": {"theory": "20.0", "practice": "24.0"}, "competitions": {}}

    changes = {(c.path, c.change, c.old, c.new) for c in compare(old, new)}

    assert changes == {
        ("hours_per_credit.theory", "changed", "16.0", "20.0"),
        ("hours_per_credit.practice", "added", None, "24.0"),
        ("competitions.national.1", "removed", "4.0", None),
        ("competitions.national.2", "removed", "3.0", None),
    }


def test_paths_read_in_chinese():
    assert path_label("competitions.national.1") == "竞赛学分表 · 国家级 · 一等奖"
    assert path_label("certificates.1X-WEB.senior") == "证书学分表 · 1X-WEB · 高级"
    assert path_label("skill_levels.1") == "职业技能等级学分表 · 一级/高级技师"
    assert path_label("caps.per_category.theory") == "学分上限 · 各类别上限 · 理论（theory）"
    assert path_label("nonsense.x") == "nonsense · x"


def test_messages_read_in_chinese_and_unknown_ones_stay_as_they_are():
    assert message_text("Repeats row 4 of this file.") == "与本文件第 4 行的外部编号重复。"
    assert message_text("must be a whole number from 1 to 100") == "应为 1 至 100 之间的整数。"
    assert message_text("Something new.") == "Something new."
