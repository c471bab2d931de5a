"""What a build made: each paper's outcome, the pack's, and what in the folder is stale.

Each stage of the build fills in its own fields of these values (read: the paper's name and its
checked paper; render: the .docx; convert: the PDF; place: where the files ended up), and the
command line, `watch` and the web show them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from boardpack.errors import BoardpackError, InvalidWorkbook, Problem
from boardpack.paper.changes import History
from boardpack.workbook.validate import CheckedPaper


class Status(StrEnum):
    """How far a paper got."""

    BUILT = "built"
    INVALID = "invalid"  # the workbook has problems the manager must fix
    FAILED = "failed"  # the workbook was fine but an output could not be made


@dataclass
class PaperResult:
    """The outcome for one workbook."""

    source: Path
    name: str
    status: Status = Status.BUILT
    checked: CheckedPaper | None = None
    docx: Path | None = None
    pdf: Path | None = None
    error: BoardpackError | None = None
    seconds: float = 0.0
    notes: list[Problem] = field(default_factory=list)  # warnings about its name, its history
    history: History | None = None  # what changed since its last paper in the archive
    appendices: list[PaperResult] = field(default_factory=list)  # of a cover report, A, B ...
    note: str = ""  # what happened to the paper's earlier files, when that needs saying
    docx_sha256: str = field(default="", repr=False)  # of the bytes this build wrote
    pdf_sha256: str = field(default="", repr=False)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        held = self.error.warnings if isinstance(self.error, InvalidWorkbook) else ()
        return (*self.notes, *(self.checked.warnings if self.checked else held))

    def fail(self, error: BoardpackError, status: Status = Status.FAILED) -> None:
        self.status, self.error = status, error


@dataclass
class PackResult:
    """The outcome for the meeting's combined pack."""

    papers: list[str] = field(default_factory=list)  # paper names in agenda order
    docx: Path | None = None
    pdf: Path | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: tuple[Problem, ...] = ()  # about boardpack.toml; the pack is built all the same
    error: BoardpackError | None = None
    meeting_date: dt.date | None = None  # boardpack.toml's, when it says
    seconds: float = 0.0
    note: str = ""  # what happened to the pack's earlier files, when that needs saying

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems


@dataclass(frozen=True)
class StaleOutput:
    """A file in the output folder that no longer shows what its workbook holds."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path.name}: {self.reason}"


@dataclass
class BuildReport:
    """Every paper's outcome, in the order the papers were found, and the pack's."""

    out_dir: Path
    papers: list[PaperResult] = field(default_factory=list)
    pack: PackResult | None = None
    stale: list[StaleOutput] = field(default_factory=list)  # outputs this build did not renew
    warnings: list[Problem] = field(default_factory=list)  # about the meeting: it is past

    @property
    def ok(self) -> bool:
        papers_ok = all(p.status is Status.BUILT for p in self.papers)
        return papers_ok and (self.pack is None or self.pack.ok)


OnProgress = Callable[[str, PaperResult], None]  # (stage just finished, paper)
# What makes the PDFs: outputs.pdf.convert_to_pdf's signature and contract (a watch passes warm
# LibreOffice processes, outputs.warm.WarmConverter.convert).
Converter = Callable[..., dict[Path, Path]]
