"""The meeting as one value: the folder of its workbooks, opened once, as every command sees it.

Which boardpack.toml, which profile, which archive, which template for a paper, the agenda's
order and which meeting the papers are for are each answered here, once, so that `build`,
`check`, `status`, `email`, `archive` and `watch` cannot come to different answers.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from boardpack.errors import BoardpackError, Problem, ProfileError
from boardpack.files import find_workbooks
from boardpack.meeting.settings import (
    PackSettings,
    SettingsRead,
    find_settings,
    settings_profile,
    unusable_profile,
)
from boardpack.paper.profile import Profile

T = TypeVar("T")


@dataclass(frozen=True)
class Agreement:
    """Which meeting the papers are for: the settings' board and date, else the papers' own
    when they all name one; each board and date the papers name, with the papers naming it."""

    board: str | None
    date: dt.date | None
    boards: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dates: dict[dt.date, tuple[str, ...]] = field(default_factory=dict)

    def unsettled(self) -> str:
        """What keeps the meeting from being known, in words ("" when it is known)."""
        if self.board is not None and self.date is not None:
            return ""
        what, named = (
            ("boards", self.boards) if self.board is None else ("meeting dates", self.dates)
        )
        return f"the papers name {'different' if named else 'no'} {what}"


def which_meeting(
    settings: PackSettings, papers: Iterable[tuple[str, str | None, dt.date | None]]
) -> Agreement:
    """The meeting of `papers`, each (its name, board, meeting date): boardpack.toml's board and
    meeting_date, else the one every paper that names one agrees on."""
    boards: dict[str, list[str]] = {}
    dates: dict[dt.date, list[str]] = {}
    for name, board, date in papers:
        # A paper without a board or a meeting date (a register annex) leaves it to the others.
        if board:
            boards.setdefault(board, []).append(name)
        if date is not None:
            dates.setdefault(date, []).append(name)
    board = settings.board or (next(iter(boards)) if len(boards) == 1 else None)
    date = settings.meeting_date or (next(iter(dates)) if len(dates) == 1 else None)
    return Agreement(
        board,
        date,
        {b: tuple(n) for b, n in boards.items()},
        {d: tuple(n) for d, n in sorted(dates.items())},
    )


def agenda_order(
    agenda: Sequence[str], items: Sequence[T], name: Callable[[T], str]
) -> tuple[list[T], list[tuple[int, str]]]:
    """`items` in the agenda's order, then the rest by name, alphabetically; with each agenda
    entry (its number, as written) that names none of them. A name matches a paper's whatever
    its case, with or without .xlsx."""
    by_name = {name(item).casefold(): item for item in items}
    ordered: list[T] = []
    placed: set[int] = set()  # by identity: the items need not be hashable
    unmatched = []
    for number, wanted in enumerate(agenda, 1):
        item = by_name.get(wanted.removesuffix(".xlsx").casefold())
        if item is None:
            unmatched.append((number, wanted))
        elif id(item) not in placed:
            ordered.append(item)
            placed.add(id(item))
    rest = sorted((i for i in items if id(i) not in placed), key=lambda i: name(i).casefold())
    return ordered + rest, unmatched


@dataclass(frozen=True)
class MeetingFolder:
    """A meeting's folder (or workbooks) as given to a command: its workbooks and boardpack.toml,
    each setting validated on its own (see settings.SettingsRead)."""

    sources: tuple[Path, ...]
    workbooks: tuple[Path, ...]
    read: SettingsRead

    @classmethod
    def open(cls, paths: Iterable[Path | str], *, workbooks: bool = True) -> MeetingFolder:
        """The meeting of `paths` (a folder, or workbooks): its settings are the boardpack.toml in
        the first folder given, or beside the first workbook; a file that cannot be read at all
        is kept as `read.error`, refusing whatever needs it. BoardpackError when (with
        `workbooks`) a path does not exist."""
        sources = tuple(Path(p) for p in paths)
        found = tuple(find_workbooks(sources)) if workbooks else ()
        return cls(sources, found, SettingsRead.of(find_settings(list(sources))))

    @property
    def settings_file(self) -> Path | None:
        return self.read.path

    @property
    def settings(self) -> PackSettings:
        """The settings that are sound; a faulty one is at its default (see `faults`)."""
        return self.read.settings

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.read.warnings

    @property
    def faults(self) -> tuple[Problem, ...]:
        """Every faulty setting, each named at its key in the file."""
        return tuple(
            Problem(
                f"{self.settings_file}: {p.where}" if p.where else str(self.settings_file),
                p.message,
            )
            for _, p in self.read.faults
        )

    @property
    def is_meeting(self) -> bool:
        """Whether a folder was given: only then is there a pack (as `build` makes it)."""
        return any(p.is_dir() for p in self.sources)

    @property
    def base(self) -> Path:
        """The folder the settings' paths start from."""
        return self.settings_file.parent if self.settings_file is not None else Path()

    def refusal(self, needs: Iterable[str]) -> BoardpackError | None:
        """The error naming each faulty setting of those `needs` names (None: all sound)."""
        return self.read.refusal(needs)

    def require(self, needs: Iterable[str]) -> None:
        """Raise the BoardpackError naming each faulty setting of those `needs` names."""
        if (refused := self.refusal(needs)) is not None:
            raise refused

    @cached_property
    def profile(self) -> Profile | None:
        """The profile boardpack.toml gives the papers (None: the default, or each workbook's
        own); BoardpackError when it cannot be used, since reading the papers by another would
        misread them."""
        faults = [p for key, p in self.read.faults if key == "profile"]
        if faults:
            raise BoardpackError(
                f"{self.settings_file}: {faults[0]}; so no paper is checked or built (each is"
                " read by the profile, and by no other instead)"
            )
        try:
            return settings_profile(self.settings, self.settings_file)
        except ProfileError as exc:
            raise unusable_profile(self.settings, self.settings_file, exc) from exc

    def archive(self, given: Path | str | None = None) -> Path | None:
        """The archive folder: the one given, else boardpack.toml's `archive` (relative to it)."""
        if given is not None:
            return Path(given)
        if self.settings.archive is None:
            return None
        # "inputs/../archive" as "archive"
        return Path(os.path.normpath(self.base / self.settings.archive))

    def template_for(self, paper: str) -> Path | None:
        """The template boardpack.toml gives the paper named `paper`, if any (`templates`, then
        `template`), inside the meeting's folder."""
        return self.settings.template_for(paper, self.base)

    def agenda_order(
        self, items: Sequence[T], name: Callable[[T], str]
    ) -> tuple[list[T], list[tuple[int, str]]]:
        """`items` in this meeting's agenda order (see agenda_order)."""
        return agenda_order(self.settings.agenda, items, name)

    def meeting(self, papers: Iterable[tuple[str, str | None, dt.date | None]]) -> Agreement:
        """Which meeting `papers` are for (see which_meeting)."""
        return which_meeting(self.settings, papers)

    def appendix_of(self) -> dict[str, str]:
        """Each appendix's cover report, by the appendix's name in lower case."""
        return {
            name.casefold(): cover
            for cover, names in self.settings.appendices.items()
            for name in names
        }
