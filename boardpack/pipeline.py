"""The build: workbooks in, a .docx (and PDF) per valid paper out, every outcome reported.

One bad workbook never stops the others. Each paper is rendered in memory and written atomically,
so a failure leaves the previous good output in place.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from boardpack import __version__
from boardpack.errors import BoardpackError, ConversionError, Problem
from boardpack.files import (
    ensure_folder,
    find_workbooks,
    remove_stale_temporaries,
    safe_stem,
    sha256_of,
    write_atomic,
)
from boardpack.render import DEFAULT_TEMPLATE, render_paper
from boardpack.validate import CheckedPaper, load_paper

RECORD_FOLDER = ".boardpack"  # build records, read by `boardpack archive`


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

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.checked.warnings if self.checked else ()

    def fail(self, error: BoardpackError, status: Status = Status.FAILED) -> None:
        self.status, self.error = status, error


@dataclass
class BuildReport:
    """Every paper's outcome, in the order the papers were given."""

    out_dir: Path
    papers: list[PaperResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.status is Status.BUILT for p in self.papers)


OnProgress = Callable[[str, PaperResult], None]  # (stage just finished, paper)


def build(
    paths: Sequence[Path | str],
    out_dir: Path | str = "output",
    *,
    pdf: bool = True,
    template: Path | str = DEFAULT_TEMPLATE,
    pdf_timeout: float = 120.0,
    on_progress: OnProgress | None = None,
) -> BuildReport:
    """Build a paper from each workbook into `out_dir`; see BuildReport for what happened."""
    out = ensure_folder(Path(out_dir))
    remove_stale_temporaries(out)
    report = BuildReport(out)
    notify = on_progress or (lambda stage, paper: None)
    claimed: dict[str, Path] = {}
    for source in find_workbooks(Path(p) for p in paths):
        paper = PaperResult(source, safe_stem(source.stem))
        report.papers.append(paper)
        started = time.perf_counter()
        _make_docx(paper, out, Path(template), claimed)
        paper.seconds = time.perf_counter() - started
        notify("docx", paper)

    built = [p for p in report.papers if p.status is Status.BUILT]
    if pdf and built:
        _make_pdfs(built, pdf_timeout, notify)
    for paper in built:
        if paper.status is Status.BUILT:
            _write_record(paper, out)
    return report


def _make_docx(paper: PaperResult, out: Path, template: Path, claimed: dict[str, Path]) -> None:
    key = paper.name.casefold()
    if key in claimed:
        paper.fail(
            BoardpackError(
                f"{paper.source}: would write {paper.name}.docx, as {claimed[key]} does;"
                " rename one of the workbooks"
            )
        )
        return
    claimed[key] = paper.source
    try:
        paper.checked = load_paper(paper.source)
    except BoardpackError as exc:
        paper.fail(exc, Status.INVALID)
        return
    try:
        data = render_paper(paper.checked.paper, template)
        target = out / f"{paper.name}.docx"
        write_atomic(target, data)
        paper.docx = target
    except BoardpackError as exc:
        paper.fail(exc)


def _make_pdfs(papers: list[PaperResult], timeout: float, notify: OnProgress) -> None:
    from boardpack.pdf import convert_to_pdf

    by_docx = {p.docx: p for p in papers if p.docx is not None}
    started = time.perf_counter()

    def done(docx: Path) -> None:
        paper = by_docx[docx]
        paper.pdf = docx.with_suffix(".pdf")
        notify("pdf", paper)

    try:
        convert_to_pdf(list(by_docx), timeout=timeout, on_done=done)
    except ConversionError as exc:
        converted = getattr(exc, "converted", {})
        for docx, paper in by_docx.items():
            if docx not in converted:
                paper.fail(exc)
    share = (time.perf_counter() - started) / max(len(by_docx), 1)
    for paper in by_docx.values():
        paper.seconds += share


def _write_record(paper: PaperResult, out: Path) -> None:
    """What `boardpack archive` needs to file the paper without reading the workbook again."""
    assert paper.checked is not None and paper.docx is not None
    details = paper.checked.paper.details
    record = {
        "name": paper.name,
        "project": details.project,
        "board": details.board,
        "meeting_date": details.meeting_date.isoformat(),
        "source": str(paper.source.resolve()),
        "source_sha256": sha256_of(paper.source),
        "docx": paper.docx.name,
        "docx_sha256": sha256_of(paper.docx),
        "pdf": paper.pdf.name if paper.pdf else None,
        "pdf_sha256": sha256_of(paper.pdf) if paper.pdf else None,
        "boardpack_version": __version__,
    }
    folder = ensure_folder(out / RECORD_FOLDER)
    write_atomic(folder / f"{paper.name}.json", json.dumps(record, indent=2).encode())
