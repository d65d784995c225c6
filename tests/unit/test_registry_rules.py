"""The registry's pure rules: which statuses hold, the frozen deadline, and the strict office CSV."""

from datetime import UTC, date, datetime, timedelta

import pytest

from market.domain.registry import (
    HOLDING,
    OFFICE_EVENTS,
    RegistryStatus,
    holds,
    parse_office_csv,
    remaining_seconds,
    resumed_deadline,
)

NOON = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
TODAY = date(2026, 11, 22)


@pytest.mark.parametrize("status", list(RegistryStatus))
def test_only_a_lapse_an_invalidation_or_a_pledge_release_holds_a_sale(status):
    assert holds(status) == (status in {RegistryStatus.LAPSED, RegistryStatus.INVALIDATED,
                                        RegistryStatus.PLEDGE_RELEASED})


def test_the_office_events_named_in_the_issue_map_to_the_statuses_that_hold_or_not():
    assert OFFICE_EVENTS["未缴年费专利权终止"] == RegistryStatus.LAPSED
    assert OFFICE_EVENTS["专利权的无效宣告"] == RegistryStatus.INVALIDATED
    assert OFFICE_EVENTS["专利权质押合同登记的注销"] == RegistryStatus.PLEDGE_RELEASED
    assert OFFICE_EVENTS["变更"] not in HOLDING


def test_a_frozen_deadline_keeps_the_time_it_had_left_and_gets_it_back_on_resumption():
    left = remaining_seconds(NOON + timedelta(hours=5, seconds=30), NOON)
    assert left == 5 * 3600 + 30
    later = NOON + timedelta(days=9)
    assert resumed_deadline(left, later) == later + timedelta(hours=5, seconds=30)


def test_a_deadline_that_had_passed_keeps_nothing_but_a_round_may_get_a_floor():
    assert remaining_seconds(NOON - timedelta(minutes=1), NOON) == 0
    assert resumed_deadline(0, NOON, at_least=timedelta(minutes=5)) == NOON + timedelta(minutes=5)
    assert resumed_deadline(3600, NOON, at_least=timedelta(minutes=5)) == NOON + timedelta(hours=1)


def test_the_office_csv_is_read_with_either_date_form_and_an_optional_source():
    events, problems = parse_office_csv("\ufeffregistry_number,event_code,date,source\n"
                                        "ZL1.X,未缴年费专利权终止,2026-11-20,公报47\n"
                                        "ZL2.X,变更,20261101,\n\n", today=TODAY)
    assert problems == []
    assert [(e.line, e.registry_number, e.status, e.effective_on, e.source) for e in events] == [
        (2, "ZL1.X", RegistryStatus.LAPSED, date(2026, 11, 20), "公报47"),
        (3, "ZL2.X", RegistryStatus.CHANGED, date(2026, 11, 1), "")]


@pytest.mark.parametrize("row, code", [
    (",变更,2026-11-01", "registry_csv_number_missing"),
    ("ZL1,终止,2026-11-01", "registry_csv_unknown_event"),
    ("ZL1,变更,2026/11/01", "registry_csv_bad_date"),
    ("ZL1,变更,2026-1101", "registry_csv_bad_date"),
    ("ZL1,变更,2026-02-30", "registry_csv_bad_date"),
    ("ZL1,变更,2026-11-23", "registry_csv_future_date"),
])
def test_each_bad_row_is_named_by_its_line_and_what_is_wrong(row, code):
    events, problems = parse_office_csv(f"registry_number,event_code,date\nZL9,变更,2026-11-01\n{row}\n",
                                        today=TODAY)
    assert [(p.code, p.params["line"]) for p in problems] == [(code, 3)]


def test_a_repeated_row_and_an_empty_file_are_refused():
    _events, problems = parse_office_csv("registry_number,event_code,date\nZL1,变更,2026-11-01\n"
                                         "ZL1,变更,20261101\n", today=TODAY)
    assert [(p.code, p.params) for p in problems] == [("registry_csv_duplicate", {"line": 3, "first_line": 2})]
    _events, problems = parse_office_csv("registry_number,event_code,date\n", today=TODAY)
    assert [p.code for p in problems] == ["registry_csv_no_rows"]
