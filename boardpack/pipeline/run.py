"""The build's run: workbooks in, a .docx and PDF per valid paper and the meeting's pack out.

Each paper goes one way through the stages: read (its profile settled), choose the template,
validate (read.py, template.py), render (render.py), convert (convert.py), place (place.py).
Papers render in parallel processes as each is validated, the first ones convert while the rest
render, and the pack is merged as its papers arrive, so a meeting's papers take seconds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from boardpack.errors import BoardpackError, Problem, TemplateProblem
from boardpack.files import (
    ensure_folder,
    output_lock,
    remove_stale_temporaries,
    staging_folder,
)
from boardpack.meeting.folder import MeetingFolder
from boardpack.meeting.settings import BUILD_NEEDS, EVERY_PAPER, PackSettings
from boardpack.paper.profile import Profile
from boardpack.pipeline import place
from boardpack.pipeline.convert import Background, early_share, make_pdfs
from boardpack.pipeline.read import check_paper, gather_appendices, name_papers
from boardpack.pipeline.render import (
    Rendered,
    Renderers,
    finish_pack,
    named_in_place,
    start_pack,
)
from boardpack.pipeline.report import (
    BuildReport,
    Converter,
    OnProgress,
    PackResult,
    PaperResult,
    Status,
)
from boardpack.pipeline.template import Templates


def build(
    paths: Sequence[Path | str],
    out_dir: Path | str = "output",
    *,
    pdf: bool = True,
    pack: bool | None = None,
    template: Path | str | None = None,
    pack_template: Path | str | None = None,
    pdf_timeout: float = 120.0,
    on_progress: OnProgress | None = None,
    lock_wait: float | None = None,
    archive: Path | str | None = None,
    today: dt.date | None = None,
    converter: Converter | None = None,
) -> BuildReport:
    """Build a paper from each workbook into `out_dir`, and the pack when `pack` is true
    (by default: when a folder was given). See BuildReport for what happened.

    One build writes to a folder at a time: another waits up to `lock_wait` seconds (default
    files.lock_wait()), then raises OutputError naming this one. A paper's .docx and PDF are
    made in a staging folder and put in place together once the PDF is proven to be the
    paper's; until then the folder keeps the earlier files. A meeting already past on `today`
    (default: today in the UK) is warned of in report.warnings.

    Each paper is rendered with `template` when given, else the one boardpack.toml gives it
    (`templates`, then `template`), else its profile's. With `archive` (else boardpack.toml's
    `archive`), each paper says what changed since its last paper there (history.py).
    The pack's cover is `pack_template`, else the bundled one. `converter` makes the PDFs;
    without one, a warm LibreOffice is started as soon as the folder is held, so that its start
    overlaps reading and rendering (outputs/warm.py's EarlyConverter)."""
    sources = [Path(p) for p in paths]
    out = ensure_folder(Path(out_dir))
    run = _Run(
        pdf=pdf,
        pack=any(p.is_dir() for p in sources) if pack is None else pack,
        template=Path(template) if template is not None else None,
        pack_template=Path(pack_template) if pack_template is not None else None,
        pdf_timeout=pdf_timeout,
        notify=on_progress or (lambda stage, paper: None),
        archive=Path(archive) if archive is not None else None,
        converter=converter,
    )
    with output_lock(out, lock_wait):
        # Holding the lock, any temporary left in the folder is a killed build's.
        remove_stale_temporaries(out, older_than=0)
        folder = MeetingFolder.open(sources)
        with (
            staging_folder(out) as stage,
            _converter_for(len(folder.workbooks), pdf, converter) as convert,
        ):
            report = _build_staged(folder, out, stage, replace(run, converter=convert))
        report.stale = place.stale_outputs(report)
    report.warnings = _past_meetings(report, today)
    return report


@dataclass(frozen=True)
class _Run:
    """How this build was asked to run."""

    pdf: bool
    pack: bool
    template: Path | None
    pack_template: Path | None  # None: the bundled one
    pdf_timeout: float
    notify: OnProgress
    archive: Path | None
    converter: Converter | None


def _past_meetings(report: BuildReport, today: dt.date | None) -> list[Problem]:
    """A warning, once for each, of the meetings already past that the papers were built for:
    boardpack.toml's meeting for the pack, else the meeting dates of the papers built."""
    from boardpack.meeting.meeting_check import past_meeting
    from boardpack.meeting.meeting_check import today as uk_today

    dates = {report.pack.meeting_date} if report.pack and report.pack.meeting_date else None
    if dates is None:
        dates = {
            day
            for p in report.papers
            if p.checked and (day := p.checked.paper.details.meeting_date) is not None
        }
    on = today or uk_today()
    return [w for w in (past_meeting(d, on) for d in sorted(dates)) if w is not None]


@contextlib.contextmanager
def _converter_for(
    workbooks: int, pdf: bool, given: Converter | None
) -> Iterator[Converter | None]:
    """What makes the build's PDFs: the converter given, else a warm LibreOffice started now, in
    the background, so that its start-up overlaps reading and rendering the papers (it falls
    back to one-off LibreOffice processes where it cannot serve: outputs/warm.py)."""
    if not pdf or given is not None or workbooks == 0:
        yield given
        return
    from boardpack.outputs.warm import EarlyConverter

    with EarlyConverter.for_papers(workbooks) as early:
        yield early.convert


def _build_staged(folder: MeetingFolder, out: Path, stage: Path, run: _Run) -> BuildReport:
    """The build, each output made in `stage` and moved into `out` once it is complete."""
    report = BuildReport(out)
    report.papers = name_papers(list(folder.workbooks))
    try:
        # Once, before any paper: the render workers forked later inherit the check.
        if run.template is not None:
            from boardpack.outputs.render import vet_template

            vet_template(run.template)
    except TemplateProblem as exc:
        for paper in report.papers:
            if paper.status is Status.BUILT:
                paper.fail(exc)
        return report

    pdfs = _Conversions(run, out)
    try:
        meeting = _Meeting.of(folder, run.archive)
        _make_docx_files(report, meeting, stage, run, pdfs.start_early if run.pdf else None)
        built = [p for p in report.papers if p.status is Status.BUILT]
        if run.pdf and built:
            pdfs.convert_rest(built, report.pack)
    except BaseException:
        pdfs.stop()
        # Papers finished before the interruption are kept; the rest leave the earlier files.
        finished = [p for p in report.papers if p.status is Status.BUILT and p.pdf_sha256]
        place.put_papers_in_place(finished if run.pdf else [], out, pdf=run.pdf)
        raise
    pdfs.wait()
    place.put_papers_in_place(report.papers, out, pdf=run.pdf)
    if report.pack is not None:
        place.put_pack_in_place(report, out, pdf=run.pdf)
    return report


class _Conversions:
    """The build's PDFs: one LibreOffice starts on the first papers as soon as they are rendered,
    while the rest render; a second converts the rest and the pack at the end. Both cores stay
    busy."""

    def __init__(self, run: _Run, out: Path) -> None:
        self._run, self._out = run, out
        self._early: list[tuple[list[PaperResult], Background]] = []
        self._stop = threading.Event()  # set when the build is interrupted: LibreOffice stops

    def start_early(self, papers: list[PaperResult]) -> None:
        """Start converting these rendered papers in the background."""
        ready = [p for p in papers if p.docx is not None and p.status is Status.BUILT]
        if ready:
            self._early.append((ready, Background(lambda: self._convert(ready, 1))))

    def convert_rest(self, built: list[PaperResult], pack: PackResult | None) -> None:
        """Convert the built papers not started early, and the pack; without an early start,
        one call converts everything on every core."""
        handed = {id(p) for papers, _ in self._early for p in papers}
        rest = [p for p in built if id(p) not in handed]
        self._convert(rest, 1 if self._early else None, pack)

    def _convert(
        self, papers: list[PaperResult], jobs: int | None, pack: PackResult | None = None
    ) -> None:
        run = self._run
        make_pdfs(
            papers,
            run.pdf_timeout,
            jobs,
            run.notify,
            self._out,
            pack,
            stop=self._stop,
            converter=run.converter,
        )

    def stop(self) -> None:
        """Stop every conversion, its LibreOffice ended and its temporary files removed."""
        self._stop.set()
        for _, work in self._early:
            work.join()

    def wait(self) -> None:
        """Wait for the early conversions, raising what they raised."""
        for _, work in self._early:
            work.wait()


@dataclass(frozen=True)
class _Meeting:
    """What the build takes from the meeting's folder (meeting/folder.py reads it)."""

    settings: PackSettings  # the defaults when a setting every paper needs is faulty
    base: Path  # the folder the settings' paths start from
    file: Path | None
    profile: Profile | None  # None: the default, or each workbook's own
    archive: Path | None
    pack_error: BoardpackError | None  # a fault in a setting the pack needs: it says so
    pack_warnings: tuple[Problem, ...]  # including faults in settings the build does not need

    @classmethod
    def of(cls, folder: MeetingFolder, archive: Path | None) -> _Meeting:
        """The build's view of `folder`; BoardpackError when its profile cannot be used, since
        every paper is read by it."""
        profile = folder.profile
        usable = folder.refusal(EVERY_PAPER) is None  # else the papers are built without it
        return cls(
            folder.settings if usable else PackSettings(),
            folder.base,
            folder.settings_file,
            profile,
            folder.archive(archive) if usable else archive,
            folder.refusal(BUILD_NEEDS),
            folder.warnings + folder.read.aside(BUILD_NEEDS),
        )


def _make_docx_files(
    report: BuildReport,
    meeting: _Meeting,
    out: Path,
    run: _Run,
    convert_early: Callable[[list[PaperResult]], None] | None = None,
) -> None:
    """Check every workbook, render the valid ones and, with a pack, merge them into the pack
    as each is rendered, while the rest are still rendering. `convert_early` is handed the
    first papers (in agenda order) once they are all rendered."""
    papers = [p for p in report.papers if p.status is Status.BUILT]
    history_of = None
    if meeting.archive is not None:
        # Here: the archive's reader and checker cost a build without an archive 0.02 s.
        from boardpack.meeting.history import ArchiveHistory

        history_of = ArchiveHistory(meeting.archive)
    papers = gather_appendices(report, papers, meeting.settings)
    templates = Templates(run.template, meeting.settings, meeting.base)
    with Renderers(len(papers)) as renderers:
        rendering: dict[str, Callable[[], Rendered]] = {}
        for paper in papers:
            chosen = check_paper(paper, meeting.profile, templates)
            if chosen is None or paper.checked is None:
                continue
            if history_of is not None:
                found = history_of.of(
                    paper.checked.paper,
                    paper.name,
                    paper.checked.places,
                    [(a.name, a.checked.paper) for a in paper.appendices if a.checked],
                )
                paper.history, paper.notes = found.history, [*paper.notes, *found.notes]
            parts = [
                (p.checked.paper, p.checked.chart, template)
                for p, template in zip([paper, *paper.appendices], chosen, strict=True)
                if p.checked is not None
            ]
            # workers start on each paper as soon as it is valid
            rendering[paper.name] = renderers.start(
                out / f"{paper.name}.docx", parts, paper.history
            )
        _render_and_merge(report, papers, rendering, meeting, out, run, convert_early)


def _render_and_merge(
    report: BuildReport,
    papers: list[PaperResult],
    rendering: dict[str, Callable[[], Rendered]],
    meeting: _Meeting,
    out: Path,
    run: _Run,
    convert_early: Callable[[list[PaperResult]], None] | None,
) -> None:
    """Take each valid paper's .docx as it is rendered, in agenda order, merging it into the
    pack at once; the first papers are handed on to convert while the rest render."""
    valid = [p for p in papers if p.status is Status.BUILT]
    builder = None
    if run.pack and valid:
        if meeting.pack_error is not None:
            report.pack = PackResult(error=meeting.pack_error)
        else:
            builder = start_pack(
                report, valid, meeting.settings, meeting.file, out, run.pack_template
            )
            assert report.pack is not None
            report.pack.warnings = meeting.pack_warnings
    if builder is not None and report.pack is not None:
        by_name = {p.name: p for p in valid}
        valid = [by_name[name] for name in report.pack.papers]  # agenda order
    merging = builder is not None
    early_count = early_share(len(valid), with_pack=builder is not None)
    for index, paper in enumerate(valid, 1):
        try:
            rendered = rendering[paper.name]()
            paper.seconds += rendered.seconds
            paper.docx_sha256 = rendered.sha256
            paper.docx = out / f"{paper.name}.docx"
            if rendered.note:
                paper.notes.append(Problem("", rendered.note))
        except BoardpackError as exc:
            paper.fail(named_in_place(exc, out))
            merging = False  # the pack is made again without it at the end
        run.notify("docx", paper)
        if merging and builder is not None and paper.docx is not None:
            builder.add(paper.docx)  # merged while the workers render the next papers
        if index == early_count and convert_early is not None:
            convert_early(valid[:early_count])
    if builder is not None:
        finish_pack(report, builder, valid, out)
