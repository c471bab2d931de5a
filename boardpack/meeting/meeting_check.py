"""`check` of a meeting: every workbook's problems and warnings, and what the folder's
boardpack.toml says about the meeting they go to.

A folder is a meeting, as it is for `build`: its boardpack.toml (when there is one) is read as a
build reads it, and the papers are held against it: the agenda's papers are all there, each
paper is for that board and that meeting, and the meeting is not already past. Each workbook
is also checked on its own: its report date is not after its meeting date. Every problem and
every warning is found in one run, an invalid workbook's warnings included.

Errors are what would stop a build making a paper or the pack as the agenda says: an invalid
workbook, a faulty boardpack.toml, a paper on the agenda that is missing, papers that name
different meetings with no boardpack.toml to say which. The rest are warnings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boardpack.errors import BoardpackError, InvalidWorkbook, Problem
from boardpack.files import find_workbooks, not_utf8_name, safe_stem
from boardpack.meeting.distribution import Distribution
from boardpack.paper.models import parse_date
from boardpack.paper.profile import Profile, Role
from boardpack.text import is_utf8, printable
from boardpack.workbook.read import RawWorkbook, read_workbook
from boardpack.workbook.validate import CheckedPaper, validate


def today() -> dt.date:
    """Today's date in the UK, where the boards meet."""
    from boardpack.meeting.meetings import LONDON

    return dt.datetime.now(LONDON).date()


@dataclass(frozen=True)
class _Said:
    """What boardpack.toml says of the meeting: nothing, without one."""

    board: str | None = None
    meeting_date: dt.date | None = None
    agenda: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkbookCheck:
    """One workbook: its paper when valid, and every problem and warning found in it."""

    source: Path
    checked: CheckedPaper | None
    error: InvalidWorkbook | None
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.error is None

    def lines(self) -> list[str]:
        """The workbook's result as `check` prints it: errors first, then warnings."""
        notes = len(self.warnings)
        if self.error is not None:
            head = str(self.error).splitlines()
        else:
            counted = f", {notes} warning{'s' * (notes > 1)}" if notes else ""
            head = [f"{self.source.name}: OK{counted}"]
        return [*head, *(f"  warning: {w}" for w in self.warnings)]


@dataclass(frozen=True)
class MeetingCheck:
    """What `check` found: each workbook's result, then the meeting's (from boardpack.toml)."""

    workbooks: tuple[WorkbookCheck, ...]
    settings_file: Path | None  # None: no folder given, or no boardpack.toml in it
    board: str | None  # the meeting, as far as it is known
    meeting_date: dt.date | None
    problems: tuple[Problem, ...]  # about the meeting: a build would fail or miss a paper
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when no workbook is invalid and the meeting has no problem: warnings allowed."""
        return not self.problems and all(w.ok for w in self.workbooks)

    def lines(self) -> list[str]:
        """Everything found, as `check` prints it: a control character in a file name or a
        cell shown as an escape, never acted on by the terminal."""
        lines = [line for workbook in self.workbooks for line in workbook.lines()]
        if self.problems or self.warnings or self.settings_file is not None:
            lines.append(self._meeting_line())
            lines.extend(f"  error: {p}" for p in self.problems)
            lines.extend(f"  warning: {w}" for w in self.warnings)
        return [printable(line) for line in lines]

    def _meeting_line(self) -> str:
        what = "the meeting"
        if self.board or self.meeting_date:
            on = f" on {self.meeting_date:%d/%m/%Y}" if self.meeting_date else ""
            what = f"the meeting{f' of the {self.board}' if self.board else ''}{on}"
        if self.settings_file is not None:
            what += f" ({self.settings_file})"
        counts = [
            f"{n} {noun}{'s' * (n != 1)}"
            for n, noun in ((len(self.problems), "error"), (len(self.warnings), "warning"))
            if n
        ]
        return f"{what}: {', '.join(counts) if counts else 'OK'}"


def check_meeting(paths: Sequence[Path | str], on: dt.date | None = None) -> MeetingCheck:
    """Check every workbook in `paths` (workbooks, or folders of them) and, when a folder is
    given, the meeting its boardpack.toml describes; `on` is today's date (default: today in
    the UK). Raises BoardpackError when there is no workbook to check."""
    sources = [Path(p) for p in paths]
    from boardpack.meeting.folder import MeetingFolder
    from boardpack.meeting.settings import BUILD_NEEDS, EMAIL_NEEDS

    workbooks = find_workbooks(sources)
    if not workbooks:
        raise BoardpackError(f"no workbooks (.xlsx) found in {', '.join(map(str, sources))}")
    is_meeting = any(p.is_dir() for p in sources)  # as for build's pack
    problems: list[Problem] = []
    warnings: list[Problem] = []
    folder = MeetingFolder.open(sources, workbooks=False)
    settings, settings_file = _Said(), folder.settings_file
    distribution: Distribution | None = None
    appendices: dict[str, tuple[str, ...]] = {}
    unreadable = folder.read.error  # the file cannot be read at all: the papers are, by default
    if unreadable is not None and is_meeting:
        problems.append(Problem("", f"{unreadable}; the pack would not be built"))
    # The settings say which profile the papers are read with, a meeting's or not; only a
    # folder is checked as a meeting, as only then does build make the pack.
    try:
        profile = folder.profile
    except BoardpackError as exc:  # no paper can be read as its board means: none is read
        problems.append(Problem("", str(exc)))
        unread = Problem("", "not checked: boardpack.toml's profile cannot be used (see below)")
        results = tuple(
            WorkbookCheck(w, None, InvalidWorkbook(printable(w.name), [unread]), ())
            for w in workbooks
        )
        return MeetingCheck(results, settings_file, None, None, tuple(problems), ())
    if is_meeting and unreadable is None:
        said = folder.settings
        settings = _Said(said.board, said.meeting_date, said.agenda)
        distribution, appendices = said.email, said.appendices
        warnings.extend(folder.warnings)
        # Each faulty setting named at its key, with what it stops: only what needs it.
        stopped: dict[str, list[str]] = {}
        for key, fault in folder.read.faults:
            stops = (
                "the pack would not be built"
                if key in ("", *BUILD_NEEDS)
                else "email would refuse to send"
                if key in EMAIL_NEEDS
                else "status and the calendar go without it"
            )
            stopped.setdefault(stops, []).append(str(fault))
        problems.extend(
            Problem(str(settings_file), f"{'; '.join(faults)}; {stops}")
            for stops, faults in stopped.items()
        )
    if not is_meeting:
        settings_file = None
    read = [_read(source, profile) for source in workbooks]
    results = tuple(_check_workbook(s, raw, err, settings) for s, raw, err in read)
    board, date = settings.board, settings.meeting_date
    if is_meeting:
        board, date = _agreed(results, settings, problems)
        problems.extend(_missing_from_agenda(results, settings, settings_file, sources))
        appendix_of = {a.casefold(): cover for cover, names in appendices.items() for a in names}
        unknown, international = _unknown_to_email(
            results, distribution, settings_file, appendix_of
        )
        problems.extend(unknown)
        warnings.extend(international)
        where = f"{settings_file}: meeting_date" if settings.meeting_date else ""
        past = past_meeting(date, on or today(), where) if date else None
        warnings.extend([past] if past else [])
    return MeetingCheck(results, settings_file, board, date, tuple(problems), tuple(warnings))


def past_meeting(meeting_date: dt.date, on: dt.date, where: str = "") -> Problem | None:
    """The warning that the meeting of `meeting_date` is already past on `on`, or None."""
    if meeting_date >= on:
        return None
    return Problem(
        where,
        f"the meeting of {meeting_date:%d/%m/%Y} is already past (today is {on:%d/%m/%Y});"
        " if the papers are for a later meeting, correct the meeting date",
    )


def _read(
    source: Path, profile: Profile | None
) -> tuple[Path, RawWorkbook | None, InvalidWorkbook | None]:
    if not is_utf8(source.name):  # no paper can be named after it: skipped, the others checked
        message = str(not_utf8_name(source)).split(": ", 1)[1]
        return source, None, InvalidWorkbook(printable(source.name), [Problem("", message)])
    try:
        return source, read_workbook(source, profile), None
    except InvalidWorkbook as exc:  # not a workbook at all: nothing more can be read
        return source, None, exc


def _check_workbook(
    source: Path,
    raw: RawWorkbook | None,
    error: InvalidWorkbook | None,
    settings: _Said,
) -> WorkbookCheck:
    """Validate one workbook and hold its Paper sheet against the meeting's settings."""
    if raw is None:
        return WorkbookCheck(source, None, error, error.warnings if error else ())
    checked = None
    try:
        checked = validate(raw, source)
        warnings = checked.warnings
    except InvalidWorkbook as exc:
        error, warnings = exc, exc.warnings
    found = raw.in_order([*warnings, *_meeting_warnings(raw, settings)])
    return WorkbookCheck(source, checked, error, tuple(found))


def _meeting_warnings(raw: RawWorkbook, settings: _Said) -> list[Problem]:
    """What the Paper sheet says about the meeting that is not what the meeting is, each at
    its cell. Read from the cells, so that an invalid workbook is told too."""
    # Each by the field that plays its role (a field keyed committee may be the board).
    keys = {r.value: (f.key if (f := raw.profile.field_for(r)) else "") for r in Role}
    values = {role: raw.details.values.get(key) for role, key in keys.items()}
    cells = {role: raw.details.cells.get(key, "Paper") for role, key in keys.items()}
    board = _text(values.get("board"))
    meeting, report = _date(values.get("meeting_date")), _date(values.get("report_date"))
    found = []
    if settings.board and board and _same_words(board) != _same_words(settings.board):
        found.append(
            Problem(
                cells["board"],
                f"this paper is for the board '{board}', but boardpack.toml says the meeting is"
                f" of the '{settings.board}'; correct the board, or take the workbook out of"
                " this meeting's folder",
            )
        )
    if settings.meeting_date and meeting and meeting != settings.meeting_date:
        found.append(
            Problem(
                cells["meeting_date"],
                f"this paper is for the meeting of {meeting:%d/%m/%Y}, but boardpack.toml says"
                f" the meeting is on {settings.meeting_date:%d/%m/%Y}; update the paper for"
                " this meeting, or take the workbook out of this meeting's folder",
            )
        )
    if meeting and report and report > meeting:
        found.append(
            Problem(
                cells["report_date"],
                f"report date {report:%d/%m/%Y} is after the meeting date {meeting:%d/%m/%Y}"
                f" ({cells['meeting_date']}); a report is made up to a date before its"
                " meeting: correct one of them",
            )
        )
    return found


def _agreed(
    results: Sequence[WorkbookCheck], settings: _Said, problems: list[Problem]
) -> tuple[str | None, dt.date | None]:
    """The meeting's board and date (folder.which_meeting). Papers that disagree with no
    setting to decide are a problem: the pack cannot be made."""
    from boardpack.meeting.folder import which_meeting
    from boardpack.meeting.settings import PackSettings

    said = PackSettings(board=settings.board, meeting_date=settings.meeting_date)
    agreed = which_meeting(
        said,
        (
            (r.source.name, r.checked.paper.details.board, r.checked.paper.details.meeting_date)
            for r in results
            if r.checked
        ),
    )
    if agreed.board is None and len(agreed.boards) > 1:
        shown = {f"'{b}'": list(n) for b, n in agreed.boards.items()}
        problems.append(_disagree("boards", "board", shown))
    if agreed.date is None and len(agreed.dates) > 1:
        shown = {f"{d:%d/%m/%Y}": list(n) for d, n in agreed.dates.items()}
        problems.append(_disagree("meeting dates", "meeting_date", shown))
    return agreed.board, agreed.date


def _disagree(what: str, setting: str, seen: dict[str, list[str]]) -> Problem:
    which = "; ".join(f"{', '.join(names)}: {value}" for value, names in seen.items())
    return Problem(
        "",
        f"the papers name different {what} ({which}), so the pack cannot be made; set"
        f" {setting} in boardpack.toml beside the workbooks to say which meeting it is, or"
        " correct the papers",
    )


def _missing_from_agenda(
    results: Sequence[WorkbookCheck],
    settings: _Said,
    settings_file: Path | None,
    sources: Sequence[Path],
) -> list[Problem]:
    """An agenda paper with no workbook, or with one the pack would leave out as invalid."""
    by_name = {safe_stem(r.source.stem).casefold(): r for r in results if is_utf8(r.source.name)}
    folders = " or ".join(str(p) for p in sources if p.is_dir())
    found = []
    for number, wanted in enumerate(settings.agenda, 1):
        name = wanted.removesuffix(".xlsx")
        where = f"{settings_file}: agenda item {number}"
        result = by_name.get(name.casefold())
        if result is None:
            found.append(
                Problem(
                    where,
                    f"'{wanted}' is on the agenda, but {folders} has no {name}.xlsx; add the"
                    f" workbook, or take '{wanted}' off the agenda",
                )
            )
        elif not result.ok:
            found.append(
                Problem(
                    where,
                    f"'{wanted}' is on the agenda, but {result.source.name} is invalid, so the"
                    " pack would go without it; fix its errors (above)",
                )
            )
    return found


def _unknown_to_email(
    results: Sequence[WorkbookCheck],
    distribution: Distribution | None,
    settings_file: Path | None,
    appendices: dict[str, str],
) -> tuple[list[Problem], list[Problem]]:
    """Problems: a recipient's paper that is none of the meeting's papers, which `email` would
    refuse. Warnings: an address that only a server offering SMTPUTF8 can take."""
    if distribution is None:
        return [], []
    names = {safe_stem(r.source.stem).casefold() for r in results}
    found, warned = [], []
    for number, recipient in enumerate(distribution.recipients, start=1):
        place = f"{settings_file}: email.recipients item {number}"
        for index, wanted in enumerate(recipient.papers, start=1):
            name = wanted.removesuffix(".xlsx")
            if name.casefold() in appendices:
                why = (
                    f"'{wanted}' is an appendix of {appendices[name.casefold()]} and goes with"
                    " it; name the cover report instead"
                )
            elif name.casefold() not in names:
                why = (
                    f"there is no {name}.xlsx in this meeting; correct the name, or add the"
                    " workbook"
                )
            else:
                continue
            found.append(
                Problem(
                    f"{place}.papers item {index}",
                    f"{recipient.name} is to get the paper '{wanted}', but {why}",
                )
            )
        if not recipient.address.split("@")[0].isascii():
            warned.append(
                Problem(
                    f"{place}.address",
                    f"{recipient.address} has letters outside ASCII: only a mail server that"
                    " offers SMTPUTF8 can take it (email --send names it as not sent"
                    " otherwise); ask for a plain-ASCII address if the council's does not",
                )
            )
    return found, warned


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _same_words(text: str) -> str:
    return " ".join(text.split()).casefold()


def _date(value: Any) -> dt.date | None:
    try:
        return parse_date(value)
    except ValueError:  # pydantic's error is a ValueError; the cell's own problem says it
        return None
