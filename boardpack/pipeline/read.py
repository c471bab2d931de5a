"""Read and validate: each workbook named, read (its profile settled), given its template and
validated against that template's page, every problem kept for the paper's outcome.

A cover report's appendices (boardpack.toml's `appendices`) are taken out of the build's list and
checked with their cover, each against its own template.
"""

from __future__ import annotations

import time
from pathlib import Path

from boardpack.errors import BoardpackError, InvalidWorkbook, Problem
from boardpack.files import PACK_NAME, not_utf8_name, safe_stem, shortened_stem
from boardpack.meeting.settings import PackSettings
from boardpack.paper.profile import Appendices, Profile
from boardpack.pipeline.report import BuildReport, PaperResult, Status
from boardpack.pipeline.template import Templates
from boardpack.text import is_utf8, printable
from boardpack.workbook.read import read_workbook
from boardpack.workbook.validate import CheckedPaper, validate


def name_papers(workbooks: list[Path]) -> list[PaperResult]:
    """A result per workbook, named after it; two workbooks wanting one name is an error."""
    papers: list[PaperResult] = []
    claimed: dict[str, Path] = {}
    for source in workbooks:
        if not is_utf8(source.name):
            paper = PaperResult(source, printable(source.stem))
            paper.fail(not_utf8_name(source))
            papers.append(paper)
            continue
        paper = PaperResult(source, safe_stem(source.stem))
        if (shortened := shortened_stem(source.stem)) is not None:
            paper.notes.append(Problem("", shortened))
        key = paper.name.casefold()
        if key == PACK_NAME:
            paper.fail(
                BoardpackError(
                    f"{source}: {PACK_NAME} is the name of the meeting's combined pack;"
                    " rename the workbook"
                )
            )
        elif key in claimed:
            paper.fail(
                BoardpackError(
                    f"{source}: would write {paper.name}.docx, as {claimed[key]} does;"
                    " rename one of the workbooks"
                )
            )
        else:
            claimed[key] = source
        papers.append(paper)
    return papers


def gather_appendices(
    report: BuildReport, papers: list[PaperResult], settings: PackSettings
) -> list[PaperResult]:
    """The papers to build on their own: each cover report's appendices are taken out of the
    build's list and given to their cover, in order."""
    by_name = {p.name.casefold(): p for p in papers}
    taken: set[str] = set()
    for cover_name, names in settings.appendices.items():
        cover = by_name.get(cover_name.casefold())
        if cover is None:
            continue  # no such cover: check says so; its appendices are built on their own
        for name in names:
            appendix = by_name.get(name.casefold())
            if appendix is None or appendix is cover or name.casefold() in taken:
                cover.fail(
                    BoardpackError(
                        f"{cover.source}: boardpack.toml gives it the appendix '{name}', but"
                        f" there is no {name}.xlsx beside it to be its appendix (or it is"
                        " another paper's already); add the workbook or correct appendices"
                    )
                )
                continue
            taken.add(name.casefold())
            cover.appendices.append(appendix)
    if not taken:
        return papers
    report.papers = [p for p in report.papers if p.name.casefold() not in taken]
    return [p for p in papers if p.name.casefold() not in taken and p.status is Status.BUILT]


def check_paper(
    paper: PaperResult, profile: Profile | None, templates: Templates
) -> tuple[Path, ...] | None:
    """Read and validate the paper and its appendices, each against the template it is rendered
    with: those templates (the paper's first), or None with the paper failed and why."""
    started = time.perf_counter()
    try:
        paper.checked, template = _checked(paper.source, profile, templates)
    except InvalidWorkbook as exc:
        paper.fail(exc, Status.INVALID)
        return None
    paper.seconds = time.perf_counter() - started
    if (refused := templates.refusal(template)) is not None:
        paper.fail(refused)
        return None
    chosen = [template]
    for index, appendix in enumerate(paper.appendices):
        label = _appendix_label(paper, index)
        try:
            appendix.checked, template = _checked(
                appendix.source, profile, templates, appendix=True
            )
        except InvalidWorkbook as exc:
            source = f"{exc.source} ({label} of {paper.source.name})"
            paper.fail(InvalidWorkbook(source, exc.problems), Status.INVALID)
            return None
        if (refused := templates.refusal(template)) is not None:
            paper.fail(refused)
            return None
        paper.notes.extend(
            Problem(p.where, f"{label}: {p.message}") for p in appendix.checked.warnings
        )
        chosen.append(template)
    return tuple(chosen)


def _checked(
    source: Path, profile: Profile | None, templates: Templates, *, appendix: bool = False
) -> tuple[CheckedPaper, Path]:
    """One workbook read, its template chosen by the profile it settled, and validated against
    that template's page; raises InvalidWorkbook with every problem found."""
    raw = read_workbook(source, profile)
    template = templates.choose(safe_stem(source.stem), raw.profile, appendix=appendix)
    return validate(raw, source, templates.area(template, raw.profile)), template


def _appendix_label(cover: PaperResult, index: int) -> str:
    """How the cover's profile labels its appendix `index` ("Appendix B"), in lower case as a
    message says it ("appendix B")."""
    scheme = cover.checked.paper.profile.appendices if cover.checked else Appendices()
    label = scheme.label_of(index)
    return label[:1].lower() + label[1:]
