"""The exceptions boardpack raises: one family, each saying where the problem is and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class BoardpackError(Exception):
    """Base class of every error boardpack reports to a user."""


@dataclass(frozen=True)
class Problem:
    """One fault found in a workbook, at a place a user can find (`Risks!C5`)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class _Problems(BoardpackError):
    """An input that cannot be used, carrying every problem found in it, not just the first."""

    _IN = ""  # what the problems are in, for the message: " in the profile"

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{source}: {len(problems)} {noun}{self._IN}; fix and run again:\n{lines}")

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # builds render in worker processes, which send errors back pickled
        return (type(self), (self.source, self.problems))


class InvalidWorkbook(_Problems):
    """A workbook that cannot become a paper; carries every problem found, not just the first,
    and the warnings found before validation stopped, so that both are shown in one run."""

    def __init__(
        self, source: str, problems: list[Problem], warnings: tuple[Problem, ...] = ()
    ) -> None:
        super().__init__(source, problems)
        self.warnings = tuple(warnings)

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return (type(self), (self.source, self.problems, self.warnings))


class TemplateProblem(BoardpackError):
    """The Word template is broken: a bad tag, or a value boardpack does not supply."""


class ConversionError(BoardpackError):
    """LibreOffice could not turn a paper into a valid PDF."""


class BatchConversionError(ConversionError):
    """Some papers could not be converted; carries the PDFs that were made and what went wrong."""

    def __init__(self, message: str, converted: dict[Path, Path], failed: dict[Path, str]) -> None:
        super().__init__(message)
        self.converted = converted
        self.failed = failed


class OutputError(BoardpackError):
    """A result could not be written where it was asked for."""


class ArchiveError(BoardpackError):
    """The archive could not be read or written as asked."""


class MailError(BoardpackError):
    """A message could not be composed, saved or sent, or the send log cannot be used."""


class ProfileError(_Problems):
    """A report profile that cannot be used; carries every fault found, each by key and line."""

    _IN = " in the profile"
