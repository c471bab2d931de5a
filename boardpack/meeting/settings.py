"""A meeting's settings: boardpack.toml beside the workbooks, read and validated.

The file is as untrusted as a workbook: it is read only when it is a regular file of a sane
size, its text is cleaned as cell text is, and every fault is reported naming the file and the
setting. Each setting is validated on its own, so that a fault stops only what needs that
setting: a mistyped [email] stops `email`, not the build of the papers and the pack.
"""

from __future__ import annotations

import os
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from boardpack.errors import BoardpackError, Problem, ProfileError
from boardpack.files import NotRegularFile, OutsideFolder, inside, open_regular
from boardpack.meeting.distribution import Distribution
from boardpack.meeting.meetings import DeadlineRule, MeetingDate, TimeOfDay
from boardpack.paper.limits import SETTINGS_BOUNDS, over_limits
from boardpack.paper.models import MAX_SHORT_TEXT, ShortText
from boardpack.paper.profile import Profile, bundled_profiles, line_of, load_profile
from boardpack.text import clean_text

SETTINGS_FILE = "boardpack.toml"
MAX_SETTINGS_BYTES = 1024 * 1024  # a meeting's settings are a few lines
_TEXT_SETTINGS = ("board", "venue")  # one line of text each; agenda is a list of names
_ADVICE = "see the README's example"


class PackSettings(BaseModel):
    """A meeting's settings, from boardpack.toml beside the workbooks; all optional."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    board: ShortText | None = None
    meeting_date: MeetingDate | None = None
    meeting_time: TimeOfDay | None = Field(
        default=None, description="When the meeting starts, e.g. 14:00 or 2pm"
    )
    venue: ShortText | None = None
    agenda: tuple[ShortText, ...] = Field(
        default=(), description="Workbook names (without .xlsx) in the order of the agenda"
    )
    meetings: tuple[MeetingDate, ...] = Field(default=(), description="The board's meeting dates")
    deadline: DeadlineRule | None = Field(
        default=None, description="When papers are due: working days before, time of day"
    )
    email: Distribution | None = Field(default=None, description="Who gets the papers")
    archive: ShortText | None = Field(
        default=None, description="The archive folder, relative to boardpack.toml"
    )
    profile: ShortText | None = Field(
        default=None,
        description="The papers' report profile: a bundled name or a .toml path; jib if unset",
    )
    template: ShortText | None = Field(
        default=None, description="A restyled Word template for every paper, relative path"
    )
    templates: dict[ShortText, ShortText] = Field(
        default_factory=dict,
        description="A template for particular papers: workbook name (without .xlsx) = path",
    )
    appendices: dict[ShortText, tuple[ShortText, ...]] = Field(
        default_factory=dict,
        description="A cover report's appendices: its workbook name = [appendix workbook names]",
    )

    def template_for(self, paper: str, folder: Path) -> Path | None:
        """The template boardpack.toml gives the paper named `paper`, if any, as a path inside
        `folder` (OutsideFolder when it leads out of it)."""
        if paper in self.templates:
            return inside(folder, self.templates[paper], setting=f"templates.{paper}")
        if self.template is not None:
            return inside(folder, self.template, setting="template")
        return None

    def named_files(self) -> Iterator[tuple[str, str]]:
        """Each file the settings name, as (setting, path as written): all are read from the
        meeting folder, never from outside it."""
        if self.template is not None:
            yield "template", self.template
        for paper, template in self.templates.items():
            yield f"templates.{paper}", template
        if self.profile is not None and self.profile not in bundled_profiles():
            yield "profile", self.profile
        if self.email is not None and self.email.note is not None:
            yield "[email] note", str(self.email.note)
        if self.email is not None and self.email.smtp is not None and self.email.smtp.ca_file:
            yield "[email.smtp] ca_file", str(self.email.smtp.ca_file)


def settings_profile(settings: PackSettings, settings_file: Path | None) -> Profile | None:
    """The profile boardpack.toml names for its papers (None: the default), found from the
    file's folder; raises ProfileError when it cannot be used."""
    if settings.profile is None:
        return None
    folder = settings_file.parent if settings_file is not None else Path()
    return load_profile(settings.profile, relative_to=folder, confined=True)


def unusable_profile(
    settings: PackSettings, settings_file: Path | None, error: ProfileError
) -> BoardpackError:
    """The error of a profile boardpack.toml names that cannot be used. Every paper is read by
    it, and reading them by another would misread them, so no paper is checked or built."""
    where = f"{settings_file}: profile" if settings_file is not None else "profile"
    return BoardpackError(
        f"{where} names {settings.profile!r}, which cannot be used, so no paper is checked or"
        f" built (each is read by the profile, and by no other instead). {error}"
    )


def find_settings(paths: list[Path]) -> Path | None:
    """The settings file in the first folder given (or the folder of the first workbook)."""
    for path in paths:
        folder = path if path.is_dir() else path.parent
        candidate = folder / SETTINGS_FILE
        # Anything of that name counts, so that a pipe, a folder or a broken link is reported
        # rather than passed over for the defaults.
        if os.path.lexists(candidate):
            return candidate
    return None


@dataclass(frozen=True)
class SettingsRead:
    """boardpack.toml as read: the settings that are sound, its warnings, and each fault by the
    setting it is in ("" for the file as a whole), so that a fault stops only what needs it."""

    path: Path | None
    settings: PackSettings
    warnings: tuple[Problem, ...] = ()
    faults: tuple[tuple[str, Problem], ...] = ()
    error: BoardpackError | None = None  # the file cannot be read at all: nothing is known

    @classmethod
    def of(cls, path: Path | None) -> SettingsRead:
        """read_settings(path), or the file's error kept when it cannot be read at all."""
        try:
            return read_settings(path)
        except BoardpackError as exc:
            return cls(path, PackSettings(), error=exc)

    def faults_in(self, needs: Iterable[str]) -> tuple[Problem, ...]:
        """The faults in the settings `needs` names, and those of the file as a whole."""
        wanted = {"", *needs}
        return tuple(problem for key, problem in self.faults if key in wanted)

    def aside(self, needs: Iterable[str]) -> tuple[Problem, ...]:
        """The faults in settings that `needs` does not name, as warnings: what needs only
        those goes on without them."""
        needed = set(needs)
        return tuple(
            Problem(
                f"{self.path}: {problem.where}" if problem.where else str(self.path),
                f"{problem.message} (not needed here, so left out; correct it before it is used)",
            )
            for key, problem in self.faults
            if key and key not in needed
        )

    def refusal(self, needs: Iterable[str]) -> BoardpackError | None:
        """The error naming each fault in the settings `needs` names (None: they are sound)."""
        if self.error is not None:
            return self.error
        faults = self.faults_in(needs)
        if not faults:
            return None
        return BoardpackError(f"{self.path}: " + "; ".join(str(p) for p in faults))


# What each part of boardpack needs of boardpack.toml; a fault elsewhere does not stop it.
# Every paper is read by the profile and rendered with its template, and a cover report is
# built with its appendices: a fault in these stops what it stops today.
EVERY_PAPER = ("profile", "template", "templates", "appendices")
BUILD_NEEDS = (*EVERY_PAPER, "agenda", "board", "meeting_date", "venue")  # papers and pack
EMAIL_NEEDS = (*BUILD_NEEDS, "meeting_time", "email", "archive")
CALENDAR_NEEDS = ("board", "meeting_time", "venue", "meetings", "deadline")


def read_settings(path: Path | None) -> SettingsRead:
    """boardpack.toml (defaults when there is none), each setting validated on its own: a
    faulty one is left at its default and named in `faults`. Raises BoardpackError only when
    the file cannot be read at all (not a file, not UTF-8, not TOML, over its bounds)."""
    if path is None:
        return SettingsRead(None, PackSettings())
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message gives the line and column.
        raise BoardpackError(f"{path}: not valid TOML ({exc}); {_ADVICE}") from exc
    except RecursionError as exc:
        raise BoardpackError(
            f"{path}: not valid TOML (lists nested too deeply); {_ADVICE}"
        ) from exc
    # Counts and nesting bounded before any work is done with them (paper/limits.py).
    if over := over_limits(data, lambda loc: line_of(text, loc), SETTINGS_BOUNDS):
        raise BoardpackError(f"{path}: " + "; ".join(str(p) for p in over))
    values, warnings, faults = _cleaned(data, path)
    sound: dict[str, Any] = {}
    for key, value in values.items():
        if key not in PackSettings.model_fields:
            known = ", ".join(PackSettings.model_fields)
            message = f"unknown setting '{key}' (known: {known}); correct or remove it"
            # Perhaps a setting misspelt, that a build would then go without: as the file's.
            faults.append(("", Problem("", message)))
            continue
        try:
            PackSettings.model_validate({key: value})
        except ValidationError as exc:
            faults.extend((key, _problem(error)) for error in exc.errors(include_url=False))
        else:
            sound[key] = value
    settings = PackSettings.model_validate(sound)
    for key, problem in [*_outside(settings, path.parent), *_appendix_faults(settings.appendices)]:
        faults.append((key, problem))
        sound.pop(key, None)
    if len(sound) != len(settings.model_fields_set):
        settings = PackSettings.model_validate(sound)
    return SettingsRead(path, settings, tuple(warnings), tuple(faults))


def load_settings(
    path: Path | None, needs: Iterable[str] = BUILD_NEEDS
) -> tuple[PackSettings, tuple[Problem, ...]]:
    """Settings from a boardpack.toml as a build reads them (defaults when there is none), with
    warnings: a fault in a setting the build does not need (`[email]`, `[deadline]`, `archive`
    ...) is a warning naming it, and that setting is left at its default. Raises BoardpackError
    naming the file and each faulty setting that is needed."""
    read, needs = read_settings(path), tuple(needs)
    if (refused := read.refusal(needs)) is not None:
        raise refused
    return read.settings, read.warnings + read.aside(needs)


def _problem(error: Any) -> Problem:
    """A pydantic error as a fault at its setting."""
    if error["type"] == "extra_forbidden":
        return Problem(_place(error["loc"]), "is not a setting here; check its spelling")
    return Problem(_place(error["loc"]), _says(error))


def _outside(settings: PackSettings, folder: Path) -> list[tuple[str, Problem]]:
    """A fault, by its setting, for each file the settings name outside the meeting folder."""
    problems = []
    for setting, name in settings.named_files():
        try:
            inside(folder, name, setting=setting)
        except OutsideFolder as exc:
            key = setting.strip("[").split("]")[0].split(".")[0]
            problems.append((key, Problem("", str(exc))))
    return problems


def _appendix_faults(appendices: dict[str, tuple[str, ...]]) -> list[tuple[str, Problem]]:
    """What keeps `appendices` from being one level of cover reports and their appendices: a
    paper that is its own appendix, an appendix with appendices of its own (a chain, or a cycle
    of papers naming each other), an appendix of two covers or named twice. Each is refused:
    a build would otherwise leave a paper out of the meeting or build it twice."""
    faults: list[Problem] = []
    cover_of: dict[str, str] = {}
    for cover, names in appendices.items():
        place = f"appendices.{cover}"
        for name in names:
            key = name.casefold()
            if key == cover.casefold():
                faults.append(
                    Problem(
                        place,
                        f"names {cover} as its own appendix; a paper cannot be its own"
                        f" appendix: take '{name}' out of the list",
                    )
                )
            elif key in cover_of and cover_of[key] == cover:
                faults.append(Problem(place, f"names '{name}' twice; name it once"))
            elif key in cover_of:
                faults.append(
                    Problem(
                        place,
                        f"names '{name}', which is already the appendix of"
                        f" {cover_of[key]}; a workbook is the appendix of one cover report:"
                        " take it out of one of the lists",
                    )
                )
            else:
                cover_of[key] = cover
    for cover in appendices:
        if (outer := cover_of.get(cover.casefold())) is not None:
            faults.append(
                Problem(
                    f"appendices.{cover}",
                    f"{cover} is itself an appendix of {outer}, and an appendix cannot have"
                    f" appendices of its own (a chain or a cycle of papers); list its appendices"
                    f" under the cover report, or make {cover} a paper of its own",
                )
            )
    return [("appendices", fault) for fault in faults]


def _read(path: Path) -> str:
    """The file's text, once it is known to be a regular file of a few lines."""
    try:
        with open_regular(path) as (handle, _):
            data = handle.read(MAX_SETTINGS_BYTES + 1)
    except FileNotFoundError as exc:  # found a moment ago: a broken link, or just removed
        raise BoardpackError(f"{path}: cannot be read (no such file); {_ADVICE}") from exc
    except (NotRegularFile, IsADirectoryError) as exc:
        raise BoardpackError(
            f"{path}: {exc.strerror}; make it a text file of settings ({_ADVICE}), or remove it"
        ) from exc
    except OSError as exc:
        raise BoardpackError(
            f"{path}: cannot be read ({exc.strerror}); check you may read it, and run again"
        ) from exc
    if len(data) > MAX_SETTINGS_BYTES:
        raise BoardpackError(
            f"{path}: is over {MAX_SETTINGS_BYTES // 1024 // 1024} MB, where a meeting's"
            f" settings are a few lines; check it is the right file ({_ADVICE})"
        )
    try:
        return data.decode("utf-8-sig")  # Windows Notepad may start the file with a BOM
    except UnicodeDecodeError as exc:
        raise BoardpackError(
            f"{path}: is not UTF-8 text (byte {exc.start + 1} is not); save it as UTF-8"
        ) from exc


def _cleaned(
    data: dict[str, Any], path: Path
) -> tuple[dict[str, Any], list[Problem], list[tuple[str, Problem]]]:
    """The settings with their text cleaned as cell text is; warnings, and faults by setting."""
    values: dict[str, Any] = {}
    warnings: list[Problem] = []
    problems: list[tuple[str, Problem]] = []

    def clean(value: Any, place: str) -> Any:
        if not isinstance(value, str):
            return value
        text, warning = clean_text(value)
        if warning is not None:
            warnings.append(Problem(f"{path}: {place}", warning))
        if place in _TEXT_SETTINGS and ("\n" in text or "\t" in text):
            # A name goes into subject lines, file names and calendar titles: one line.
            text = " ".join(text.split())
            warnings.append(
                Problem(f"{path}: {place}", "had line breaks or tabs; they are read as spaces")
            )
        return text

    for key, value in data.items():
        if key in _TEXT_SETTINGS and not isinstance(value, str):
            problems.append((key, Problem(key, 'must be text in quotes, e.g. "Council Chamber"')))
        elif key == "agenda" and isinstance(value, list):
            others = [i for i, name in enumerate(value) if not isinstance(name, str)]
            problems.extend(
                (
                    key,
                    Problem(
                        _place((key, i)), 'must be a workbook name in quotes, e.g. "procurement"'
                    ),
                )
                for i in others
            )
            if not others:  # else pydantic's item numbers would not be the file's
                # Names in one Unicode form, as the papers' names are, so that "café" matches
                # a workbook whose name was typed in the other form.
                values[key] = [
                    unicodedata.normalize("NFC", clean(name, _place((key, i))))
                    for i, name in enumerate(value)
                ]
        else:
            values[key] = clean(value, key)
    return values, warnings, problems


def _place(loc: tuple[int | str, ...]) -> str:
    """A setting as a clerk would name it: `agenda item 2`, not `agenda.1`."""
    place = ""
    for part in loc:
        if isinstance(part, int):
            place += f" item {part + 1}"
        elif not str(part).startswith("function-"):  # pydantic's validator steps
            place += f".{part}" if place else str(part)
    return place


def _says(error: Any) -> str:
    """What is wrong with a setting, in the file's terms rather than a workbook's."""
    kind, got = error["type"], error.get("input")
    if kind == "required":
        return "is empty; give a value, or remove the line"
    if kind == "date":
        shown = repr(got) if isinstance(got, str) else str(got)
        return f"must be a date, written without quotes as 2008-01-24 (got {shown})"
    if kind == "too_long":
        return f"is {len(str(got))} characters long; the limit is {MAX_SHORT_TEXT}; shorten it"
    if kind in ("tuple_type", "list_type"):
        return 'must be a list of workbook names, e.g. agenda = ["procurement", "housing"]'
    return str(error["msg"]).removeprefix("Value error, ")
