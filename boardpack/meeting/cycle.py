"""The meeting cycle around the build, as library calls the command line is a thin layer over:
the board's calendar of meetings and paper deadlines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from boardpack.errors import BoardpackError, Problem
from boardpack.files import write_atomic
from boardpack.meeting.folder import MeetingFolder
from boardpack.meeting.meetings import Meeting, calendar_ics, meetings
from boardpack.meeting.settings import CALENDAR_NEEDS, SETTINGS_FILE, PackSettings


@dataclass(frozen=True)
class BoardCalendar:
    """A board's meetings and paper deadlines, from its boardpack.toml."""

    board: str
    meetings: list[Meeting]
    settings_file: Path
    warnings: tuple[Problem, ...]
    time: dt.time | None = None  # when each meeting starts, if boardpack.toml says
    venue: str | None = None


def board_calendar(folder: Path) -> BoardCalendar:
    """The meetings and deadlines in `folder`'s boardpack.toml; BoardpackError when it has
    none, saying what to add."""
    settings_file, settings, warnings = _settings(folder)
    if not settings.meetings:
        raise BoardpackError(
            f"{settings_file}: lists no meetings; add the board's meeting dates, e.g."
            " meetings = [2026-01-22, 2026-03-19], and a [deadline] (see the README)"
        )
    if settings.board is None:
        raise BoardpackError(f'{settings_file}: names no board; add e.g. board = "Cabinet"')
    return BoardCalendar(
        settings.board,
        meetings(settings.meetings, settings.deadline),
        settings_file,
        warnings,
        settings.meeting_time,
        settings.venue,
    )


def write_calendar(folder: Path, target: Path, now: dt.datetime | None = None) -> BoardCalendar:
    """Write `folder`'s meetings and deadlines to `target` as an iCalendar (.ics) file."""
    calendar = board_calendar(folder)
    stamp = now or dt.datetime.now(dt.UTC)
    ics = calendar_ics(
        calendar.board, calendar.meetings, stamp, time=calendar.time, venue=calendar.venue
    )
    write_atomic(target, ics)
    return calendar


def _settings(folder: Path) -> tuple[Path, PackSettings, tuple[Problem, ...]]:
    if not folder.is_dir():
        raise BoardpackError(f"{folder}: is not a folder; give the folder of the meeting's papers")
    meeting = MeetingFolder.open([folder], workbooks=False)
    if meeting.settings_file is None:
        raise BoardpackError(
            f"{folder}: has no {SETTINGS_FILE}; the board's meetings and deadlines are kept"
            " there (see the README's example)"
        )
    # A fault in [email] or the agenda does not stop the calendar; one in what it shows does.
    meeting.require(CALENDAR_NEEDS)
    return meeting.settings_file, meeting.settings, meeting.warnings
