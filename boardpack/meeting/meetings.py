"""The board's meeting cycle: its meeting dates, each paper deadline, and a calendar of both.

A deadline is a number of working days before the meeting at a time of day ("final by 10am, five
working days before"), counting neither weekends nor the bank holidays of the council's part of
the UK (the `holidays` package keeps those, observed days included).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from boardpack.errors import BoardpackError
from boardpack.paper.models import parse_date

LONDON = ZoneInfo("Europe/London")  # every UK council's clock, summer time included


class Region(StrEnum):
    """Whose bank holidays a deadline skips."""

    ENGLAND_AND_WALES = "england-and-wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"


# England and Wales share their bank holidays; the package files them under England.
_SUBDIVISION = {
    Region.ENGLAND_AND_WALES: "ENG",
    Region.SCOTLAND: "SCT",
    Region.NORTHERN_IRELAND: "NIR",
}


def _time_of_day(value: Any) -> Any:
    # TOML has a time type (10:00:00), but "10:00" and "10am" are what a clerk types.
    if isinstance(value, str):
        text = value.strip().lower().replace(".", ":")
        for pattern in ("%H:%M", "%H:%M:%S", "%I%p", "%I:%M%p", "%I %p", "%I:%M %p"):
            try:
                return dt.datetime.strptime(text, pattern).time()
            except ValueError:
                continue
        raise ValueError(f"must be a time of day such as 10:00 or 10am (got {value!r})")
    return value


class MeetingDateError(ValueError, BoardpackError):
    """A meeting date outside the years a meeting can be held."""


TimeOfDay = Annotated[dt.time, BeforeValidator(_time_of_day)]

# Meetings a council holds: far enough either side of today for any archive or forward plan,
# and bounded so that a deadline before the meeting and a calendar event after it always exist.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _meeting_day(value: dt.date) -> dt.date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise MeetingDateError(
            f"must be a meeting date between {FIRST_YEAR} and {LAST_YEAR} (got"
            f" {value.isoformat()}); correct the year"
        )
    return value


# A meeting date in boardpack.toml: a date, in a year a meeting can be.
MeetingDate = Annotated[dt.date, BeforeValidator(parse_date), AfterValidator(_meeting_day)]


class DeadlineRule(BaseModel):
    """When papers are due: working days before the meeting, at a time of day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    working_days: int = Field(ge=0, le=60, description="Working days before the meeting")
    time: TimeOfDay = Field(
        default=dt.time(10, 0), description="Time of day papers are due, e.g. 10:00"
    )
    holidays: Region = Field(
        default=Region.ENGLAND_AND_WALES, description="Whose bank holidays are not working days"
    )


@cache
def _bank_holidays(region: Region, year: int) -> frozenset[dt.date]:
    cached = _cache_file(region, year)
    if cached is not None:
        try:
            return frozenset(dt.date.fromisoformat(d) for d in json.loads(cached.read_bytes()))
        except (OSError, ValueError, TypeError):
            pass  # not there yet, or damaged: work them out again
    import holidays  # ~0.2 s with its countries; `status` cannot afford it every time

    days = frozenset(holidays.country_holidays("GB", subdiv=_SUBDIVISION[region], years=year))
    if cached is not None:
        from boardpack.files import write_atomic

        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(cached, json.dumps(sorted(d.isoformat() for d in days)).encode())
        except (OSError, BoardpackError):
            pass  # a cache that cannot be written only costs time
    return days


def _cache_file(region: Region, year: int) -> Path | None:
    """Where a year's bank holidays are kept once worked out, in boardpack's cache folder, for
    this version of the `holidays` package; None if its version cannot be told."""
    from importlib.metadata import PackageNotFoundError, version

    from boardpack.outputs.lo_profile import cache_root

    try:
        release = version("holidays")
    except PackageNotFoundError:
        return None
    return cache_root() / "bank-holidays" / f"holidays-{release}-{region.value}-{year}.json"


def is_working_day(day: dt.date, region: Region = Region.ENGLAND_AND_WALES) -> bool:
    """Monday to Friday, and not a bank holiday of `region`."""
    return day.weekday() < 5 and day not in _bank_holidays(region, day.year)


def paper_deadline(meeting: dt.date, rule: DeadlineRule) -> dt.datetime:
    """When papers for the meeting on `meeting` are due, in UK time."""
    day, counted = meeting, 0
    while counted < rule.working_days:
        day -= dt.timedelta(days=1)
        if is_working_day(day, rule.holidays):
            counted += 1
    return dt.datetime.combine(day, rule.time, tzinfo=LONDON)


@dataclass(frozen=True)
class Meeting:
    """A meeting of the board and when its papers are due (None without a deadline rule)."""

    date: dt.date
    deadline: dt.datetime | None


def meetings(dates: Sequence[dt.date], rule: DeadlineRule | None) -> list[Meeting]:
    """The board's meetings in date order, each with its paper deadline."""
    return [Meeting(day, paper_deadline(day, rule) if rule else None) for day in sorted(set(dates))]


def next_meeting(schedule: Sequence[Meeting], now: dt.datetime) -> Meeting | None:
    """The first meeting on or after today (UK time), or None when all are past."""
    today = now.astimezone(LONDON).date()
    return next((m for m in schedule if m.date >= today), None)


def time_left(deadline: dt.datetime, now: dt.datetime) -> str:
    """How long until `deadline`, as a clerk says it: '2 days 4 hours', or 'passed 3 hours ago'."""
    seconds = int((deadline - now).total_seconds())
    words = _duration(abs(seconds))
    return words if seconds >= 0 else f"passed {words} ago"


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    shown = [f"{n} {unit}{'s' * (n != 1)}" for n, unit in parts if n]
    return " ".join(shown) or "less than a minute"


def calendar_ics(
    board: str,
    schedule: Sequence[Meeting],
    stamp: dt.datetime,
    *,
    time: dt.time | None = None,
    venue: str | None = None,
) -> bytes:
    """An iCalendar file of the meetings and their paper deadlines, for Outlook and the rest.

    A meeting with a `time` is an event starting then (UK time), else one for the whole day;
    its `venue` is the event's location. Each deadline reminds the day before that papers are
    due the next day. Each event's UID is derived from the board and the date, so importing a
    newer calendar updates the events instead of adding them twice."""
    import icalendar

    board = " ".join(board.split())  # a title is one line, whatever was typed
    venue = " ".join(venue.split()) if venue else None
    for meeting in schedule:
        _meeting_day(meeting.date)  # a date no calendar can hold is a fault, not a crash
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//boardpack//meeting calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{board} meetings and paper deadlines")
    for meeting in schedule:
        event = icalendar.Event()
        event.add("uid", _uid(board, "meeting", meeting.date))
        event.add("dtstamp", stamp.astimezone(dt.UTC))
        event.add("summary", f"{board} meeting")
        if time is None:
            event.add("dtstart", meeting.date)
            event.add("dtend", meeting.date + dt.timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        else:
            # No end: boardpack.toml says when a meeting starts, not how long it lasts.
            event.add("dtstart", dt.datetime.combine(meeting.date, time, tzinfo=LONDON))
        if venue:
            event.add("location", venue)
        calendar.add_component(event)
        if meeting.deadline is None:
            continue
        due = icalendar.Event()
        due.add("uid", _uid(board, "deadline", meeting.date))
        due.add("dtstamp", stamp.astimezone(dt.UTC))
        due.add("summary", f"Papers due for the {board} meeting of {meeting.date:%d/%m/%Y}")
        due.add("dtstart", meeting.deadline)
        due.add("dtend", meeting.deadline + dt.timedelta(minutes=30))
        reminder = icalendar.Alarm()
        reminder.add("action", "DISPLAY")
        # It goes off a day before the deadline, which is not the meeting: say which is tomorrow.
        reminder.add(
            "description",
            f"Papers for the {board} meeting of {meeting.date:%d/%m/%Y} are due tomorrow at"
            f" {meeting.deadline:%H:%M}",
        )
        reminder.add("trigger", dt.timedelta(days=-1))
        due.add_component(reminder)
        calendar.add_component(due)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _uid(board: str, kind: str, day: dt.date) -> str:
    digest = hashlib.sha256(f"{board}\n{kind}\n{day.isoformat()}".encode()).hexdigest()[:16]
    return f"{day:%Y%m%d}-{kind}-{digest}@boardpack"
