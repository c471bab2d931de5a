"""Meeting dates, paper deadlines in working days, and the calendar Outlook imports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from boardpack.cli import main
from boardpack.errors import BoardpackError
from boardpack.meeting.meetings import (
    LONDON,
    DeadlineRule,
    Meeting,
    Region,
    calendar_ics,
    is_working_day,
    meetings,
    next_meeting,
    paper_deadline,
    time_left,
)

FIVE_DAYS = DeadlineRule(working_days=5, time=dt.time(10, 0))


def test_five_working_days_before_a_thursday_is_the_thursday_before() -> None:
    due = paper_deadline(dt.date(2026, 3, 19), FIVE_DAYS)
    assert due == dt.datetime(2026, 3, 12, 10, 0, tzinfo=LONDON)


def test_bank_holidays_are_not_working_days() -> None:
    # Easter 2026: Good Friday 3 April and Easter Monday 6 April.
    due = paper_deadline(dt.date(2026, 4, 9), FIVE_DAYS)
    assert due.date() == dt.date(2026, 3, 31)
    assert not is_working_day(dt.date(2026, 4, 3))
    # Boxing Day 2026 is a Saturday; Monday 28 December is the bank holiday instead.
    assert not is_working_day(dt.date(2026, 12, 28))


def test_scotland_keeps_its_own_bank_holidays() -> None:
    # 2 January is a bank holiday in Scotland only; Easter Monday is one everywhere else.
    assert not is_working_day(dt.date(2026, 1, 2), Region.SCOTLAND)
    assert is_working_day(dt.date(2026, 1, 2), Region.ENGLAND_AND_WALES)
    assert is_working_day(dt.date(2026, 4, 6), Region.SCOTLAND)
    assert not is_working_day(dt.date(2026, 3, 17), Region.NORTHERN_IRELAND)  # St Patrick's Day


def test_the_deadline_keeps_uk_summer_time() -> None:
    due = paper_deadline(dt.date(2026, 7, 16), FIVE_DAYS)
    assert due.utcoffset() == dt.timedelta(hours=1)
    assert due.astimezone(dt.UTC).hour == 9


def test_a_clerk_may_type_the_time_as_they_say_it() -> None:
    assert DeadlineRule(working_days=3, time="10am").time == dt.time(10, 0)  # type: ignore[arg-type]
    assert DeadlineRule(working_days=3, time="14:30").time == dt.time(14, 30)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be a time of day such as 10:00"):
        DeadlineRule(working_days=3, time="soon")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        DeadlineRule(working_days=-1)


def test_the_next_meeting_is_today_or_later_in_uk_time() -> None:
    schedule = meetings([dt.date(2026, 3, 19), dt.date(2026, 1, 22)], FIVE_DAYS)
    assert [m.date for m in schedule] == [dt.date(2026, 1, 22), dt.date(2026, 3, 19)]
    on_the_day = dt.datetime(2026, 1, 22, 23, 30, tzinfo=dt.UTC)  # still 22 January in London
    assert next_meeting(schedule, on_the_day) == schedule[0]
    after = dt.datetime(2026, 3, 20, 0, 30, tzinfo=LONDON)
    assert next_meeting(schedule, after) is None


def test_time_left_reads_as_a_clerk_says_it() -> None:
    due = dt.datetime(2026, 3, 12, 10, 0, tzinfo=LONDON)
    assert time_left(due, due - dt.timedelta(days=2, hours=4, minutes=5)) == "2 days 4 hours"
    assert time_left(due, due - dt.timedelta(hours=1, minutes=1)) == "1 hour 1 minute"
    assert time_left(due, due + dt.timedelta(hours=3)) == "passed 3 hours ago"


def test_the_calendar_holds_each_meeting_and_its_deadline() -> None:
    schedule = meetings([dt.date(2026, 1, 22), dt.date(2026, 7, 16)], FIVE_DAYS)
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    data = calendar_ics("Joint Improvement Board", schedule, stamp)
    parsed = icalendar.Calendar.from_ical(data)
    events = [(str(e["summary"]), e.decoded("dtstart")) for e in parsed.walk("VEVENT")]
    assert events == [
        ("Joint Improvement Board meeting", dt.date(2026, 1, 22)),
        (
            "Papers due for the Joint Improvement Board meeting of 22/01/2026",
            dt.datetime(2026, 1, 15, 10, 0, tzinfo=LONDON),
        ),
        ("Joint Improvement Board meeting", dt.date(2026, 7, 16)),
        (
            "Papers due for the Joint Improvement Board meeting of 16/07/2026",
            dt.datetime(2026, 7, 9, 10, 0, tzinfo=LONDON),
        ),
    ]
    # Outlook needs the time zone spelled out, and a reminder the day before each deadline.
    assert [str(tz["tzid"]) for tz in parsed.walk("VTIMEZONE")] == ["Europe/London"]
    assert len(parsed.walk("VALARM")) == 2
    # The same meetings give the same UIDs, so a re-import updates rather than duplicates.
    again = icalendar.Calendar.from_ical(calendar_ics("Joint Improvement Board", schedule, stamp))
    assert [e["uid"] for e in again.walk("VEVENT")] == [e["uid"] for e in parsed.walk("VEVENT")]
    assert len({e["uid"] for e in parsed.walk("VEVENT")}) == 4


def test_the_calendar_command_writes_the_boards_meetings(tmp_path: Path) -> None:
    (tmp_path / "boardpack.toml").write_text(
        'board = "Cabinet"\nmeetings = [2026-07-16, 2026-01-22]\n'
        '[deadline]\nworking_days = 5\ntime = "10am"\n',
        encoding="utf-8",
    )
    target = tmp_path / "cabinet.ics"
    result = CliRunner().invoke(main, ["calendar", str(tmp_path), "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {target}: 2 meetings of the Cabinet, 2 paper deadlines" in result.output
    parsed = icalendar.Calendar.from_ical(target.read_bytes())
    assert [str(e["summary"]) for e in parsed.walk("VEVENT")][:2] == [
        "Cabinet meeting",
        "Papers due for the Cabinet meeting of 22/01/2026",
    ]


def test_a_calendar_needs_meetings(tmp_path: Path) -> None:
    (tmp_path / "boardpack.toml").write_text('board = "Cabinet"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["calendar", str(tmp_path), "--out", "x.ics"])
    assert result.exit_code == 1
    assert "lists no meetings; add the board's meeting dates, e.g. meetings = [" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["calendar", str(empty), "--out", "x.ics"])
    assert result.exit_code == 1
    assert "has no boardpack.toml; the board's meetings and deadlines are kept" in result.output


def test_the_reminder_says_the_papers_are_due_tomorrow_not_the_meeting() -> None:
    schedule = meetings([dt.date(2026, 1, 22)], FIVE_DAYS)
    parsed = icalendar.Calendar.from_ical(
        calendar_ics("Cabinet", schedule, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    )
    (alarm,) = parsed.walk("VALARM")
    assert str(alarm["description"]) == (
        "Papers for the Cabinet meeting of 22/01/2026 are due tomorrow at 10:00"
    )
    assert alarm.decoded("trigger") == -dt.timedelta(days=1)  # the day before the deadline


def test_a_meeting_with_a_time_and_venue_is_shown_at_that_time_and_place(tmp_path: Path) -> None:
    (tmp_path / "boardpack.toml").write_text(
        'board = "Cabinet"\nmeetings = [2026-07-16]\nmeeting_time = "2pm"\n'
        'venue = "Council Chamber,\\nCounty Hall"\n[deadline]\nworking_days = 5\n',
        encoding="utf-8",
    )
    target = tmp_path / "cabinet.ics"
    result = CliRunner().invoke(main, ["calendar", str(tmp_path), "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "venue: had line breaks or tabs; they are read as spaces" in result.output
    parsed = icalendar.Calendar.from_ical(target.read_bytes())
    meeting, deadline = parsed.walk("VEVENT")
    assert meeting.decoded("dtstart") == dt.datetime(2026, 7, 16, 14, 0, tzinfo=LONDON)
    assert str(meeting["location"]) == "Council Chamber, County Hall"
    assert "location" not in deadline


def test_a_meeting_date_outside_the_years_a_calendar_holds_is_refused() -> None:
    far = [Meeting(dt.date(9999, 12, 31), None)]
    with pytest.raises(BoardpackError, match="must be a meeting date between 1900 and 2999"):
        calendar_ics("Cabinet", far, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
