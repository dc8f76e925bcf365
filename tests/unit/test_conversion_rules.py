"""Worked examples for every conversion rule and every decision-rule row of DESIGN.md."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from creditbank.conversion import (
    REASON_TEXT,
    STATUS_TEXT,
    Decision,
    Evaluator,
    Reason,
    Status,
    UnknownRuleset,
    Void,
    add_years,
    credit_changes,
    describe,
    shanghai_date,
    shanghai_year,
)
from creditbank.domain.amounts import format_tenths
from tests.unit.conversion_factories import Journal, caps, make_ruleset


def said(decision: Decision) -> tuple[str, str, str]:
    """(status, reason, credits) — what a client sees of a decision."""
    return decision.status.value, decision.reason.value, format_tenths(decision.credits)


# --- training hours -----------------------------------------------------------------------


def test_hours_accumulate_and_floor_to_the_step() -> None:
    j = Journal()
    first, second = j.hours("10"), j.hours("14")
    d = j.evaluate()
    # 10 h at 16 h/credit is 0.625 → 0.5 so far; 24 h is exactly 1.5, so the 14 h earn 1.0.
    assert said(d[first]) == ("credited", "accumulating", "0.5")
    assert said(d[second]) == ("credited", "credited", "1.0")
    assert d[first].rule == "hours_per_credit.theory"


def test_hours_short_of_the_first_step_earn_nothing_yet() -> None:
    j = Journal()
    few = j.hours("5")
    assert said(j.evaluate()[few]) == ("not_credited", "accumulating", "0.0")


def test_hours_landing_exactly_on_a_step_are_credited() -> None:
    j = Journal()
    eight = j.hours("8")
    assert said(j.evaluate()[eight]) == ("credited", "credited", "0.5")


def test_hours_accumulate_per_category() -> None:
    j = Journal()
    theory, practice = j.hours("10", "theory"), j.hours("14", "practice")
    d = j.evaluate()
    assert said(d[theory]) == ("credited", "accumulating", "0.5")
    # 14 practice hours at 24 h/credit: 0.58 → 0.5; the theory hours do not help.
    assert said(d[practice]) == ("credited", "accumulating", "0.5")
    assert d[practice].category == "practice"


def test_hours_step_uses_the_outcomes_own_ruleset() -> None:
    old = make_ruleset("rs_old")
    new = make_ruleset("rs_new", hours_per_credit={"theory": 80}, credit_step=10)
    j = Journal(old, new)
    first = j.hours("10")
    second = j.hours("10", ruleset_id="rs_new")
    d = j.evaluate()
    assert d[first].credits == 5
    # Under rs_new (8 h/credit, step 1.0): step(20 h) - step(10 h) = 2.0 - 1.0.
    assert said(d[second]) == ("credited", "accumulating", "1.0")
    assert d[second].ruleset_id == "rs_new"


def test_capped_hours_still_count_toward_later_steps() -> None:
    j = Journal(make_ruleset(caps=caps(None, theory="0.5")))
    first = j.hours("10")
    capped = j.hours("14")
    next_year = j.hours("8", at=datetime(2027, 3, 1, tzinfo=UTC))
    d = j.evaluate()
    assert said(d[first]) == ("credited", "accumulating", "0.5")
    assert said(d[capped]) == ("not_credited", "capped", "0.0")
    # H = 24 h although the 14 h earned nothing: 32 h → 2.0, minus 24 h → 1.5.
    assert said(d[next_year]) == ("credited", "credited", "0.5")


def test_expired_and_voided_hours_do_not_count_toward_later_steps() -> None:
    j = Journal()
    old = j.hours("10", achieved_on=date(2020, 1, 1))
    voided = j.hours("10")
    j.void(voided)
    counted = j.hours("14")
    d = j.evaluate()
    assert said(d[old]) == ("not_credited", "expired", "0.0")
    assert said(d[voided]) == ("voided", "voided", "0.0")
    assert said(d[counted]) == ("credited", "accumulating", "0.5")


def test_voiding_hours_regroups_what_follows() -> None:
    j = Journal()
    first, second = j.hours("10"), j.hours("14")
    before = j.evaluate()
    j.void(first)
    after = j.evaluate()
    assert said(after[second]) == ("credited", "accumulating", "0.5")
    changes = credit_changes(before, after)
    assert [(c.outcome_id, c.credits - before[c.outcome_id].credits) for c in changes] == [
        (first, -5),
        (second, -5),
    ]


# --- certificates -------------------------------------------------------------------------


def test_certificate_earns_its_table_value() -> None:
    j = Journal()
    junior = j.certificate("1X-WEB", "junior", "WEB-001")
    d = j.evaluate()[junior]
    assert said(d) == ("credited", "credited", "2.0")
    assert (d.rule, d.category) == ("certificates.1X-WEB.junior", "certificate")


def test_certificate_upgrade_earns_the_difference() -> None:
    j = Journal()
    j.certificate("1X-WEB", "junior", "WEB-001")
    senior = j.certificate("1X-WEB", "senior", "WEB-002")
    d = j.evaluate()[senior]
    assert said(d) == ("credited", "credited", "4.0")
    assert d.rule == "certificates.1X-WEB.senior"


@pytest.mark.parametrize("level", ["junior", "intermediate", "senior"])
def test_certificate_same_or_lower_level_is_superseded(level: str) -> None:
    j = Journal()
    j.certificate("1X-WEB", "senior", "WEB-001")
    later = j.certificate("1X-WEB", level, "WEB-002")
    assert said(j.evaluate()[later]) == ("not_credited", "superseded", "0.0")


def test_certificates_supersede_only_within_one_code() -> None:
    j = Journal()
    j.certificate("1X-WEB", "senior", "WEB-001")
    other = j.certificate("NCRE-2", None, "NCRE-001")
    assert said(j.evaluate()[other]) == ("credited", "credited", "2.0")


def test_same_certificate_no_again_is_a_duplicate() -> None:
    j = Journal()
    j.certificate("1X-WEB", "junior", "WEB-001")
    again = j.certificate("1X-WEB", "senior", "WEB-001")
    assert said(j.evaluate()[again]) == ("not_credited", "duplicate", "0.0")


def test_certificate_no_is_unique_per_kind_not_across_kinds() -> None:
    j = Journal()
    j.certificate("1X-WEB", "junior", "NO-1")
    skill = j.skill("6-20-01-01", 4, "NO-1")
    assert said(j.evaluate()[skill]) == ("credited", "credited", "3.0")


def test_certificate_code_without_levels() -> None:
    j = Journal()
    first = j.certificate("NCRE-2", None, "NCRE-001")
    second = j.certificate("NCRE-2", None, "NCRE-002")
    d = j.evaluate()
    assert said(d[first]) == ("credited", "credited", "2.0")
    assert d[first].rule == "certificates.NCRE-2"
    assert said(d[second]) == ("not_credited", "superseded", "0.0")


@pytest.mark.parametrize(
    ("code", "level"), [("1X-UNKNOWN", "junior"), ("NCRE-2", "senior"), ("1X-WEB", None)]
)
def test_certificate_the_tables_lack_waits_for_review(code: str, level: str | None) -> None:
    j = Journal()
    unknown = j.certificate(code, level, "X-001")
    d = j.evaluate()[unknown]
    assert said(d) == ("pending_review", "pending_review", "0.0")
    assert d.rule is None


def test_voiding_the_junior_lets_the_senior_earn_its_full_value() -> None:
    j = Journal()
    junior = j.certificate("1X-WEB", "junior", "WEB-001")
    senior = j.certificate("1X-WEB", "senior", "WEB-002")
    before = j.evaluate()
    j.void(junior)
    after = j.evaluate()
    assert said(after[senior]) == ("credited", "credited", "6.0")
    assert [c.outcome_id for c in credit_changes(before, after)] == [junior, senior]
    assert sum(d.credits for d in after.values()) == sum(d.credits for d in before.values())


def test_voiding_the_senior_lets_a_superseded_level_count_again() -> None:
    j = Journal()
    junior = j.certificate("1X-WEB", "junior", "WEB-001")
    senior = j.certificate("1X-WEB", "senior", "WEB-002")
    intermediate = j.certificate("1X-WEB", "intermediate", "WEB-003")
    assert said(j.evaluate()[intermediate]) == ("not_credited", "superseded", "0.0")
    j.void(senior)
    d = j.evaluate()
    assert said(d[junior]) == ("credited", "credited", "2.0")
    assert said(d[intermediate]) == ("credited", "credited", "2.0")


def test_certificate_upgrade_after_a_cap_earns_value_minus_what_was_actually_earned() -> None:
    j = Journal(make_ruleset(caps=caps("3.0")))
    junior = j.certificate("1X-WEB", "junior", "WEB-001")
    intermediate = j.certificate("1X-WEB", "intermediate", "WEB-002")
    senior = j.certificate("1X-WEB", "senior", "WEB-003", at=datetime(2027, 3, 1, tzinfo=UTC))
    d = j.evaluate()
    assert said(d[junior]) == ("credited", "credited", "2.0")
    assert said(d[intermediate]) == ("credited", "capped", "1.0")  # 4.0 - 2.0, cap leaves 1.0
    # The code actually earned 3.0 (not the 4.0 an intermediate is worth): 6.0 - 3.0, capped again.
    assert said(d[senior]) == ("credited", "credited", "3.0")


def test_upgrade_worth_no_more_than_what_the_code_earned_is_superseded() -> None:
    generous = make_ruleset("rs_generous", certificates={"1X-WEB": {"junior": 50}})
    j = Journal(generous, make_ruleset("rs_2"))
    j.certificate("1X-WEB", "junior", "WEB-001")
    upgrade = j.certificate("1X-WEB", "intermediate", "WEB-002", ruleset_id="rs_2")
    assert said(j.evaluate()[upgrade]) == ("not_credited", "superseded", "0.0")


def test_same_level_under_a_more_generous_ruleset_is_still_superseded() -> None:
    generous = make_ruleset("rs_generous", certificates={"1X-WEB": {"junior": 30}})
    j = Journal(make_ruleset(), generous)
    j.certificate("1X-WEB", "junior", "WEB-001")
    same_level = j.certificate("1X-WEB", "junior", "WEB-002", ruleset_id="rs_generous")
    assert said(j.evaluate()[same_level]) == ("not_credited", "superseded", "0.0")


def test_certificate_lapsed_before_recording_is_expired() -> None:
    j = Journal()
    lapsed = j.certificate("1X-WEB", "junior", "WEB-001", valid_until=date(2026, 3, 1))
    last_day = j.certificate("NCRE-2", None, "NCRE-001", valid_until=date(2026, 3, 2))
    d = j.evaluate()
    assert said(d[lapsed]) == ("not_credited", "expired", "0.0")
    assert d[lapsed].rule == "valid_until"
    assert said(d[last_day]) == ("credited", "credited", "2.0")


# --- skill levels -------------------------------------------------------------------------


def test_skill_level_upgrade_earns_the_difference_and_lower_is_superseded() -> None:
    j = Journal()
    middle = j.skill("6-20-01-01", 4, "SK-1")
    technician = j.skill("6-20-01-01", 2, "SK-2")
    senior_worker = j.skill("6-20-01-01", 3, "SK-3")
    other_job = j.skill("4-10-01-01", 5, "SK-4")
    d = j.evaluate()
    assert said(d[middle]) == ("credited", "credited", "3.0")
    assert said(d[technician]) == ("credited", "credited", "2.0")
    assert d[technician].rule == "skill_levels.2"
    assert said(d[senior_worker]) == ("not_credited", "superseded", "0.0")
    assert said(d[other_job]) == ("credited", "credited", "2.0")


def test_skill_level_same_certificate_no_is_a_duplicate() -> None:
    j = Journal()
    j.skill("6-20-01-01", 4, "SK-1")
    again = j.skill("4-10-01-01", 4, "SK-1")
    assert said(j.evaluate()[again]) == ("not_credited", "duplicate", "0.0")


def test_skill_level_the_table_lacks_waits_for_review() -> None:
    j = Journal(make_ruleset(skill_levels={5: 20, 4: 30}))
    master = j.skill("6-20-01-01", 1, "SK-1")
    assert said(j.evaluate()[master]) == ("pending_review", "pending_review", "0.0")


# --- competitions -------------------------------------------------------------------------


def test_competition_earns_the_value_for_scope_and_rank() -> None:
    j = Journal()
    prize = j.competition("national", 1, "全国职业院校技能大赛")
    d = j.evaluate()[prize]
    assert said(d) == ("credited", "credited", "4.0")
    assert d.rule == "competitions.national.1"


def test_competition_same_event_and_day_is_a_duplicate_whatever_the_rank() -> None:
    j = Journal()
    day = date(2026, 2, 20)
    j.competition("provincial", 1, "Chongqing Skills Contest", achieved_on=day)
    again = j.competition("provincial", 3, "  chongqing skills CONTEST ", achieved_on=day)
    next_year = j.competition("provincial", 3, "Chongqing Skills Contest")
    d = j.evaluate()
    assert said(d[again]) == ("not_credited", "duplicate", "0.0")
    assert said(d[next_year]) == ("credited", "credited", "1.0")


@pytest.mark.parametrize(("scope", "rank"), [("county", 1), ("municipal", 3)])
def test_competition_scope_or_rank_the_table_lacks_waits_for_review(scope: str, rank: int) -> None:
    j = Journal()
    prize = j.competition(scope, rank, "云阳县职业技能大赛")
    assert said(j.evaluate()[prize]) == ("pending_review", "pending_review", "0.0")


# --- courses ------------------------------------------------------------------------------


def test_course_passed_earns_its_credits_and_failed_earns_nothing() -> None:
    j = Journal()
    passed = j.course("ENG101", "3.0", 60)
    failed = j.course("MATH101", "4.0", 59)
    d = j.evaluate()
    assert said(d[passed]) == ("credited", "credited", "3.0")
    assert said(d[failed]) == ("not_credited", "failed", "0.0")
    assert d[passed].rule == d[failed].rule == "course_min_score"


def test_course_pass_mark_comes_from_the_ruleset() -> None:
    j = Journal(make_ruleset(course_min_score=70))
    sixty_five = j.course("ENG101", "3.0", 65)
    assert said(j.evaluate()[sixty_five]) == ("not_credited", "failed", "0.0")


def test_course_failed_attempt_blocks_nothing_and_a_passed_one_makes_retakes_duplicates() -> None:
    j = Journal()
    j.course("ENG101", "3.0", 40)
    retake = j.course("ENG101", "3.0", 75)
    again = j.course("ENG101", "3.0", 90)
    elsewhere = j.course("ENG101", "3.0", 90, institution="重庆开放大学")
    d = j.evaluate()
    assert said(d[retake]) == ("credited", "credited", "3.0")
    assert said(d[again]) == ("not_credited", "duplicate", "0.0")
    assert said(d[elsewhere]) == ("credited", "credited", "3.0")


# --- pending and reviews ------------------------------------------------------------------


def test_informal_learning_waits_for_review() -> None:
    j = Journal()
    informal = j.informal()
    d = j.evaluate()[informal]
    assert said(d) == ("pending_review", "pending_review", "0.0")
    assert (d.rule, d.category) == (None, "informal")


def test_review_sets_credits_and_category() -> None:
    j = Journal()
    informal = j.informal()
    j.review(informal, "1.5", "general")
    d = j.evaluate()[informal]
    assert said(d) == ("credited", "reviewed", "1.5")
    assert (d.category, d.rule) == ("general", "review")


def test_review_granting_nothing_is_not_credited() -> None:
    j = Journal()
    informal = j.informal()
    j.review(informal, "0")
    assert said(j.evaluate()[informal]) == ("not_credited", "reviewed", "0.0")


def test_review_counts_at_its_outcomes_position_and_is_capped() -> None:
    j = Journal(make_ruleset(caps=caps("5.0", general="2.0")))
    informal = j.informal()
    prize = j.competition("national", 1, "全国职业院校技能大赛")
    before = j.evaluate()
    j.review(informal, "3.0", "general")
    after = j.evaluate()
    assert said(after[informal]) == ("credited", "capped", "2.0")  # the general cap
    # Reviewed first in journal order, so the later prize meets the yearly cap: 5.0 - 2.0.
    assert said(after[prize]) == ("credited", "capped", "3.0")
    assert [c.outcome_id for c in credit_changes(before, after)] == [informal, prize]


def test_review_of_a_voided_outcome_earns_nothing() -> None:
    j = Journal()
    informal = j.informal()
    j.review(informal, "2.0", "general")
    j.void(informal)
    d = j.evaluate()[informal]
    assert said(d) == ("voided", "voided", "0.0")
    assert d.category == "general"  # so the negative delta leaves the category it entered


def test_without_a_ruleset_an_outcome_waits_for_review_and_its_review_is_not_capped() -> None:
    j = Journal(make_ruleset(caps=caps("1.0")))
    j.ruleset_id = None
    early = j.certificate("1X-WEB", "senior", "WEB-001")
    d = j.evaluate()[early]
    assert said(d) == ("pending_review", "no_ruleset", "0.0")
    assert (d.ruleset_id, d.rule) == (None, None)
    j.review(early, "6.0", "certificate")
    assert said(j.evaluate()[early]) == ("credited", "reviewed", "6.0")


def test_outcomes_waiting_without_a_ruleset_still_block_duplicates_and_count_hours() -> None:
    j = Journal()
    j.ruleset_id = None
    j.certificate("1X-WEB", "junior", "WEB-001")
    j.hours("10")
    j.ruleset_id = "rs_1"
    again = j.certificate("1X-WEB", "junior", "WEB-001")
    hours = j.hours("14")
    d = j.evaluate()
    assert said(d[again]) == ("not_credited", "duplicate", "0.0")
    assert said(d[hours]) == ("credited", "credited", "1.0")


# --- a certificate number already credited on another learner's account ------------------


@pytest.mark.parametrize("kind", ["certificate", "skill"])
def test_a_number_credited_on_another_account_waits_for_review_and_earns_nothing(
    kind: str,
) -> None:
    j = Journal()
    if kind == "certificate":
        reused = j.certificate("1X-WEB", "senior", "WEB-001", certificate_no_reused=True)
    else:
        reused = j.skill("6-20-01-01", 3, "S-001", certificate_no_reused=True)
    d = j.evaluate()[reused]
    assert said(d) == ("pending_review", "certificate_no_reused", "0.0")
    j.review(reused, "4.0", "certificate")
    assert said(j.evaluate()[reused]) == ("credited", "reviewed", "4.0")


def test_a_reused_number_waiting_blocks_its_own_repost_and_supersedes_nothing() -> None:
    j = Journal()
    j.certificate("1X-WEB", "senior", "WEB-001", certificate_no_reused=True)
    again = j.certificate("1X-WEB", "senior", "WEB-001")
    lower = j.certificate("1X-WEB", "junior", "WEB-002")
    d = j.evaluate()
    assert said(d[again]) == ("not_credited", "duplicate", "0.0")
    assert said(d[lower]) == ("credited", "credited", "2.0")


def test_expired_and_duplicate_beat_reused_and_reused_beats_a_missing_rule() -> None:
    j = Journal()
    j.certificate("1X-WEB", "junior", "WEB-001")
    expired = j.certificate(
        "1X-WEB", "senior", "WEB-002", valid_until=date(2026, 1, 1), certificate_no_reused=True
    )
    duplicate = j.certificate("1X-WEB", "senior", "WEB-001", certificate_no_reused=True)
    unknown = j.certificate("1X-NEW", "senior", "NEW-001", certificate_no_reused=True)
    d = j.evaluate()
    assert [d[o].reason for o in (expired, duplicate, unknown)] == [
        Reason.EXPIRED,
        Reason.DUPLICATE,
        Reason.CERTIFICATE_NO_REUSED,
    ]


def test_reviewed_hours_count_toward_their_own_category_whatever_the_review_says() -> None:
    j = Journal()
    j.ruleset_id = None
    early = j.hours("10")
    j.review(early, "0.5", "general")
    j.ruleset_id = "rs_1"
    later = j.hours("14")
    d = j.evaluate()
    assert (d[early].category, d[early].credits) == ("general", 5)
    assert said(d[later]) == ("credited", "credited", "1.0")  # H = 10 theory hours


def test_a_course_credited_by_review_counts_as_passed() -> None:
    j = Journal()
    j.ruleset_id = None
    reviewed = j.course("ENG101", "3.0", 80)
    j.review(reviewed, "3.0", "course")
    j.ruleset_id = "rs_1"
    retake = j.course("ENG101", "3.0", 80)
    assert said(j.evaluate()[retake]) == ("not_credited", "duplicate", "0.0")


# --- validity ------------------------------------------------------------------------------


def test_validity_counts_whole_years_on_the_shanghai_calendar() -> None:
    achieved = date(2026, 4, 15)
    j = Journal(start=datetime(2031, 1, 1, tzinfo=UTC))
    # 2031-04-15 in Shanghai (00:30): the last day of the five years.
    last_day = j.course(
        "A", "1.0", 80, achieved_on=achieved, at=datetime(2031, 4, 14, 16, 30, tzinfo=UTC)
    )
    # 2031-04-16 in Shanghai (00:00), still 04-15 in UTC: one day too late.
    too_late = j.course(
        "B", "1.0", 80, achieved_on=achieved, at=datetime(2031, 4, 15, 16, tzinfo=UTC)
    )
    d = j.evaluate()
    assert said(d[last_day]) == ("credited", "credited", "1.0")
    assert said(d[too_late]) == ("not_credited", "expired", "0.0")
    assert d[too_late].rule == "validity_years"


@pytest.mark.parametrize(
    ("achieved", "recorded_on", "expired"),
    [
        (date(2024, 2, 29), date(2029, 2, 28), False),  # a leap-day anniversary falls on 28 Feb
        (date(2024, 2, 29), date(2029, 3, 1), True),
        (date(2023, 2, 28), date(2028, 2, 28), False),
        (date(2023, 2, 28), date(2028, 2, 29), True),  # 28 Feb has a corresponding day
        (date(2024, 2, 29), date(2028, 2, 29), False),
    ],
)
def test_validity_around_leap_days(achieved: date, recorded_on: date, expired: bool) -> None:
    noon_in_shanghai = datetime(recorded_on.year, recorded_on.month, recorded_on.day, 4, tzinfo=UTC)
    j = Journal(start=noon_in_shanghai)
    course = j.course("A", "1.0", 80, achieved_on=achieved, at=noon_in_shanghai)
    assert (j.evaluate()[course].reason is Reason.EXPIRED) is expired


def test_validity_years_come_from_the_ruleset() -> None:
    j = Journal(make_ruleset(validity_years=10))
    old = j.course("A", "1.0", 80, achieved_on=date(2018, 1, 1))
    assert said(j.evaluate()[old]) == ("credited", "credited", "1.0")


# --- caps ---------------------------------------------------------------------------------


def test_yearly_cap_credits_the_remainder_then_nothing() -> None:
    j = Journal(make_ruleset(caps=caps("5.0")))
    first = j.competition("national", 1, "A")
    crossing = j.competition("national", 1, "B")
    over = j.competition("national", 1, "C")
    d = j.evaluate()
    assert said(d[first]) == ("credited", "credited", "4.0")
    assert said(d[crossing]) == ("credited", "capped", "1.0")
    assert said(d[over]) == ("not_credited", "capped", "0.0")
    assert d[crossing].rule == "competitions.national.1"


def test_category_cap_limits_one_category_per_year() -> None:
    j = Journal(make_ruleset(caps=caps(None, competition="5.0")))
    j.competition("national", 1, "A")
    capped = j.competition("national", 1, "B")
    other = j.certificate("1X-WEB", "senior", "WEB-001")
    next_year = j.competition("national", 1, "C", at=datetime(2027, 1, 1, tzinfo=UTC))
    d = j.evaluate()
    assert said(d[capped]) == ("credited", "capped", "1.0")
    assert said(d[other]) == ("credited", "credited", "6.0")
    assert said(d[next_year]) == ("credited", "credited", "4.0")


def test_a_credit_counts_in_the_shanghai_year_of_its_outcome() -> None:
    j = Journal(make_ruleset(caps=caps("4.0")), start=datetime(2026, 12, 1, tzinfo=UTC))
    j.competition("national", 1, "A")
    last_minute = j.competition("national", 1, "B", at=datetime(2026, 12, 31, 15, 59, tzinfo=UTC))
    # 2026-12-31T17:00Z is 01:00 on 1 January 2027 in Shanghai: a fresh year.
    new_year = j.competition("national", 1, "C", at=datetime(2026, 12, 31, 17, tzinfo=UTC))
    d = j.evaluate()
    assert said(d[last_minute]) == ("not_credited", "capped", "0.0")
    assert said(d[new_year]) == ("credited", "credited", "4.0")


def test_a_void_in_a_later_year_re_evaluates_the_earlier_year_inside_that_year() -> None:
    j = Journal(make_ruleset(caps=caps("5.0")), start=datetime(2026, 12, 1, tzinfo=UTC))
    a = j.competition("national", 1, "A")
    b = j.competition("national", 1, "B")
    c = j.competition("national", 1, "C", at=datetime(2027, 2, 1, tzinfo=UTC))
    before = j.evaluate()
    j.void(a)  # written in 2027
    after = j.evaluate()
    assert [said(after[x]) for x in (b, c)] == [
        ("credited", "credited", "4.0"),  # 2026 now has room
        ("credited", "credited", "4.0"),  # 2027 is untouched
    ]
    deltas = [
        (x.outcome_id, x.credits - before[x.outcome_id].credits)
        for x in credit_changes(before, after)
    ]
    assert deltas == [(a, -40), (b, 30)]


def test_the_cap_is_that_of_the_outcomes_own_ruleset_against_all_earned_that_year() -> None:
    loose = make_ruleset("rs_loose", caps=caps("10.0"))
    tight = make_ruleset("rs_tight", caps=caps("5.0"))
    j = Journal(loose, tight)
    j.certificate("1X-WEB", "senior", "WEB-001")  # 6.0 under the loose cap
    under_tight = j.competition("national", 1, "A", ruleset_id="rs_tight")
    under_loose = j.competition("national", 1, "B")
    d = j.evaluate()
    assert said(d[under_tight]) == ("not_credited", "capped", "0.0")
    assert said(d[under_loose]) == ("credited", "credited", "4.0")


def test_capped_hours_say_capped_not_accumulating() -> None:
    j = Journal(make_ruleset(caps=caps(None, theory="0.5")))
    j.hours("8")
    capped = j.hours("10")
    assert said(j.evaluate()[capped]) == ("not_credited", "capped", "0.0")


# --- precedence of reasons ----------------------------------------------------------------


def test_voided_beats_expired() -> None:
    j = Journal()
    old = j.course("A", "1.0", 80, achieved_on=date(2010, 1, 1))
    j.void(old)
    assert said(j.evaluate()[old]) == ("voided", "voided", "0.0")


def test_expired_beats_duplicate() -> None:
    j = Journal()
    j.certificate("1X-WEB", "junior", "WEB-001")
    again = j.certificate("1X-WEB", "junior", "WEB-001", valid_until=date(2026, 1, 1))
    assert j.evaluate()[again].reason is Reason.EXPIRED


def test_duplicate_beats_superseded() -> None:
    j = Journal()
    j.certificate("1X-WEB", "senior", "WEB-001")
    again = j.certificate("1X-WEB", "junior", "WEB-001")
    assert j.evaluate()[again].reason is Reason.DUPLICATE


def test_superseded_beats_capped() -> None:
    j = Journal(make_ruleset(caps=caps("6.0")))
    j.certificate("1X-WEB", "senior", "WEB-001")
    lower = j.certificate("1X-WEB", "junior", "WEB-002")
    assert j.evaluate()[lower].reason is Reason.SUPERSEDED


def test_expired_outcomes_neither_block_nor_supersede() -> None:
    j = Journal()
    j.certificate("1X-WEB", "senior", "WEB-001", valid_until=date(2025, 12, 31))
    junior = j.certificate("1X-WEB", "junior", "WEB-001")
    assert said(j.evaluate()[junior]) == ("credited", "credited", "2.0")


# --- the fold and its helpers --------------------------------------------------------------


def test_decisions_come_in_journal_order_one_per_outcome() -> None:
    j = Journal()
    ids = [j.informal(), j.hours("16"), j.course("A", "1.0", 80)]
    j.void(ids[0])
    assert list(j.evaluate()) == ids


def test_an_outcome_under_an_unknown_ruleset_is_a_caller_error() -> None:
    j = Journal()
    j.hours("10", ruleset_id="rs_missing")
    with pytest.raises(UnknownRuleset):
        j.evaluate()


def test_apply_refuses_what_is_not_a_history_entry() -> None:
    with pytest.raises(TypeError):
        Evaluator({}).apply("o1")  # type: ignore[arg-type]


def test_a_copied_evaluator_is_an_independent_snapshot() -> None:
    j = Journal()
    first = j.hours("10")
    evaluator = j.evaluator()
    snapshot = evaluator.copy()
    evaluator.apply(Void(first, 2))
    assert evaluator.decisions()[first].status is Status.VOIDED
    assert snapshot.decisions()[first].credits == 5


def test_credit_changes_lists_only_changed_outcomes_and_new_ones_that_earned() -> None:
    j = Journal()
    j.hours("10")
    before = j.evaluate()
    j.informal()
    second = j.hours("14")
    changed = credit_changes(before, j.evaluate())
    assert [d.outcome_id for d in changed] == [second]


def test_credit_changes_refuses_a_history_that_lost_an_outcome() -> None:
    j = Journal()
    j.hours("10")
    with pytest.raises(ValueError, match="cannot leave"):
        credit_changes(j.evaluate(), {})


# --- calendar and texts --------------------------------------------------------------------


def test_shanghai_calendar_helpers() -> None:
    assert shanghai_date(datetime(2026, 12, 31, 16, tzinfo=UTC)) == date(2027, 1, 1)
    assert shanghai_year(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == 2026
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    with pytest.raises(ValueError, match="time zone"):
        shanghai_date(datetime(2026, 1, 1))  # a naive instant has no Shanghai date


def test_every_reason_and_status_has_a_chinese_and_an_english_sentence() -> None:
    assert set(REASON_TEXT) == set(Reason)
    assert set(STATUS_TEXT) == set(Status)
    for value in [*Reason, *Status]:
        chinese, english = describe(value), describe(value, "en")
        assert chinese.endswith("。") and english.endswith(".")
    assert describe(Status.CREDITED) != describe(Reason.CREDITED)
    with pytest.raises(ValueError, match="lang"):
        describe(Reason.CAPPED, "fr")
