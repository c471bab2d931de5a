"""The build: workbooks in, a .docx and PDF per valid paper and the meeting's pack out.

One bad workbook never stops the others. One build writes to an output folder at a time (an
operating-system lock). Each paper's .docx and PDF are made in a staging folder and put in place
together once the PDF is proven to be that paper's, so a failure leaves the previous good pair in
place. Papers render in parallel processes and convert in parallel LibreOffice processes, so a
meeting's papers take seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import hashlib
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from boardpack import __version__
from boardpack.errors import (
    BoardpackError,
    ConversionError,
    InvalidWorkbook,
    OutputError,
    Problem,
    ProfileError,
    TemplateProblem,
)
from boardpack.files import (
    PACK_NAME,
    RECORD_FOLDER,
    ensure_folder,
    find_workbooks,
    not_utf8_name,
    output_lock,
    remove_stale_temporaries,
    safe_stem,
    sha256_of,
    shortened_stem,
    staging_folder,
    write_atomic,
    write_synced,
)
from boardpack.guard import import_openpyxl
from boardpack.meeting.history import ArchiveHistory
from boardpack.meeting.pack import PackBuilder, PackPaper, order_papers
from boardpack.meeting.records import recorded_path, recorded_source
from boardpack.meeting.settings import PackSettings, settings_profile, unusable_profile
from boardpack.outputs.proof import docx_identity, pdf_identifier, prove_pdf
from boardpack.outputs.render import (
    PACK_TEMPLATE,
    document_timestamp,
    made_on,
    render_paper,
    template_for,
    template_page_area,
    vet_template,
)
from boardpack.paper.changes import History, paper_data
from boardpack.paper.models import Paper
from boardpack.paper.page import PageArea
from boardpack.paper.profile import Profile, load_profile
from boardpack.text import is_utf8, printable
from boardpack.workbook.validate import CheckedPaper, load_paper

PARALLEL_FROM = 3  # fewer papers than this render faster in this process than in a pool


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


def build(
    paths: Sequence[Path | str],
    out_dir: Path | str = "output",
    *,
    pdf: bool = True,
    pack: bool | None = None,
    template: Path | str | None = None,
    pack_template: Path | str = PACK_TEMPLATE,
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
    `converter` makes the PDFs instead of one-off LibreOffice processes (outputs/warm.py)."""
    sources = [Path(p) for p in paths]
    out = ensure_folder(Path(out_dir))
    with output_lock(out, lock_wait):
        # Holding the lock, any temporary left in the folder is a killed build's.
        remove_stale_temporaries(out, older_than=0)
        with staging_folder(out) as stage:
            report = _build_staged(
                sources,
                out,
                stage,
                pdf=pdf,
                pack=pack,
                template=Path(template) if template is not None else None,
                pack_template=Path(pack_template),
                pdf_timeout=pdf_timeout,
                notify=on_progress or (lambda stage, paper: None),
                archive=Path(archive) if archive is not None else None,
                converter=converter,
            )
        report.stale = _stale_outputs(report)
    report.warnings = _past_meetings(report, today)
    return report


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


def _build_staged(
    sources: list[Path],
    out: Path,
    stage: Path,
    *,
    pdf: bool,
    pack: bool | None,
    template: Path | None,
    pack_template: Path,
    pdf_timeout: float,
    notify: OnProgress,
    archive: Path | None = None,
    converter: Converter | None = None,
) -> BuildReport:
    """The build, each output made in `stage` and moved into `out` once it is complete."""
    report = BuildReport(out)
    report.papers = _name_papers(find_workbooks(sources))
    if pack is None:
        pack = any(p.is_dir() for p in sources)
    try:
        # Once, before any paper: the render workers forked later inherit the check.
        if template is not None:
            vet_template(template)
    except TemplateProblem as exc:
        for paper in report.papers:
            if paper.status is Status.BUILT:
                paper.fail(exc)
        return report

    # One LibreOffice starts on the first papers as soon as they are rendered, while the rest
    # render; a second converts the rest and the pack at the end. Both cores stay busy.
    early: list[tuple[list[PaperResult], _Background]] = []
    stop = threading.Event()  # set when the build is interrupted, so LibreOffice is stopped too

    def convert_early(papers: list[PaperResult]) -> None:
        ready = [p for p in papers if p.docx is not None and p.status is Status.BUILT]
        if ready:
            work = _Background(
                lambda: _make_pdfs(
                    ready, pdf_timeout, 1, notify, out, stop=stop, converter=converter
                )
            )
            early.append((ready, work))

    try:
        _make_docx_files(
            report,
            sources,
            stage,
            template,
            pack_template,
            pack,
            notify,
            convert_early if pdf else None,
            archive,
        )
        built = [p for p in report.papers if p.status is Status.BUILT]
        if pdf and built:
            handed = {id(p) for papers, _ in early for p in papers}
            rest = [p for p in built if id(p) not in handed]
            # Without an early start, one call converts everything on every core.
            _make_pdfs(
                rest,
                pdf_timeout,
                1 if early else None,
                notify,
                out,
                report.pack,
                stop=stop,
                converter=converter,
            )
    except BaseException:
        stop.set()
        for _, work in early:
            work.join()  # its LibreOffice stopped and its temporary files removed
        # Papers finished before the interruption are kept; the rest leave the earlier files.
        finished = [p for p in report.papers if p.status is Status.BUILT and p.pdf_sha256]
        _put_papers_in_place(finished if pdf else [], out, pdf=pdf)
        raise
    for _, work in early:
        work.wait()
    _put_papers_in_place(report.papers, out, pdf=pdf)
    if report.pack is not None:
        _put_pack_in_place(report, out, pdf=pdf)
    return report


def _name_papers(workbooks: list[Path]) -> list[PaperResult]:
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


def _render_one(
    paper: Paper,
    target: Path,
    template: Path | None,
    history: History | None = None,
    appendices: Sequence[tuple[Paper, Path | None]] = (),
) -> tuple[float, str]:
    """Render and write one paper (with its appendices, for a cover report), returning the
    seconds it took and the SHA-256 of the bytes written; runs in a worker process."""
    started = time.perf_counter()
    data = render_paper(paper, template, history)
    if appendices:
        from boardpack.outputs.composite import compose_appendices

        data = compose_appendices(
            data,
            [render_paper(appendix, chosen) for appendix, chosen in appendices],
            document_timestamp(made_on(paper)),
            [paper.profile.appendices.label_of(i) for i in range(len(appendices))],
        )
    write_atomic(target, data)
    return time.perf_counter() - started, hashlib.sha256(data).hexdigest()


def _exit_with_parent() -> None:
    """Make this render worker end as soon as the build that started it has gone."""
    # A worker waits on the pool's call queue, and forked workers hold its write end too, so a
    # build killed with -9 left them blocked for ever. multiprocessing gives each worker a
    # sentinel for its parent: on Windows a handle to the parent process, elsewhere the read
    # end of a pipe whose write end the parent holds (a worker forked later holds an earlier
    # one's too, but it ends first, so each in turn sees the pipe close). It works with fork and
    # spawn, unlike Linux's PR_SET_PDEATHSIG or polling os.getppid() (which Windows never changes).
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _make_docx_files(
    report: BuildReport,
    sources: list[Path],
    out: Path,
    template: Path | None,
    pack_template: Path,
    pack: bool,
    notify: OnProgress,
    convert_early: Callable[[list[PaperResult]], None] | None = None,
    archive: Path | None = None,
) -> None:
    """Validate every workbook, render the valid ones and, with `pack`, merge them into the pack
    as each is rendered, while the rest are still rendering. `convert_early` is handed the
    first papers (in agenda order) once they are all rendered."""
    papers = [p for p in report.papers if p.status is Status.BUILT]
    folder = _folder_settings(sources)
    settings, settings_folder = folder.settings, folder.folder
    try:
        profile = settings_profile(settings, folder.file)  # None: the default, or a workbook's
    except ProfileError as exc:  # every paper is read by it: none is built, by it or another
        raise unusable_profile(settings, folder.file, exc) from exc
    jobs = min(os.cpu_count() or 1, len(papers))
    pool = None
    others = set(multiprocessing.active_children())  # not the pool's: not ours to end
    if len(papers) >= PARALLEL_FROM and jobs >= 2:
        # fork: the workers start with matplotlib, docxtpl and openpyxl already imported here
        import_openpyxl()
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_exit_with_parent
        )
    if archive is None and settings.archive is not None:
        archive = settings_folder / settings.archive
    history_of = ArchiveHistory(archive) if archive is not None else None
    papers = _gather_appendices(report, papers, settings)
    areas: dict[Path, PageArea] = {}
    vetted: dict[Path, TemplateProblem | None] = {}
    try:
        rendering: dict[str, Callable[[], tuple[float, str]]] = {}
        for paper in papers:
            started = time.perf_counter()
            chosen = template or settings.template_for(paper.name, settings_folder)
            # The page the chart is split for: the chosen template's, else the profile's.
            page = chosen or template_for(profile or load_profile())
            if page not in areas:
                areas[page] = template_page_area(page)
            try:
                paper.checked = load_paper(paper.source, areas[page], profile)
            except InvalidWorkbook as exc:
                paper.fail(exc, Status.INVALID)
                continue
            paper.seconds = time.perf_counter() - started
            chosen = chosen or template_for(paper.checked.paper.profile)
            if chosen not in vetted:
                try:
                    vet_template(chosen)
                    vetted[chosen] = None
                except TemplateProblem as exc:
                    vetted[chosen] = exc
            if (refused := vetted[chosen]) is not None:
                paper.fail(refused)
                continue
            appendices = _appendix_jobs(paper, areas[page], profile, settings, settings_folder)
            if appendices is None:
                continue
            if history_of is not None:
                found = history_of.of(
                    paper.checked.paper,
                    paper.name,
                    paper.checked.places,
                    [(a.name, a.checked.paper) for a in paper.appendices if a.checked],
                )
                paper.history = found.history
                paper.notes.extend(found.notes)
            job = (
                paper.checked.paper,
                out / f"{paper.name}.docx",
                chosen,
                paper.history,
                appendices,
            )
            # workers start on each paper as soon as it is valid
            if pool is not None:
                rendering[paper.name] = pool.submit(_render_one, *job).result
            else:
                rendering[paper.name] = functools.partial(_render_one, *job)
        valid = [p for p in papers if p.status is Status.BUILT]
        builder = _start_pack(report, valid, folder, out, pack_template) if pack else None
        if builder is not None and report.pack is not None:
            by_name = {p.name: p for p in valid}
            valid = [by_name[name] for name in report.pack.papers]  # agenda order
        merging = builder is not None
        early_count = _early_share(len(valid), with_pack=builder is not None)
        for index, paper in enumerate(valid, 1):
            try:
                seconds, paper.docx_sha256 = rendering[paper.name]()
                paper.seconds += seconds
                paper.docx = out / f"{paper.name}.docx"
            except BoardpackError as exc:
                paper.fail(_named_in_place(exc, out))
                merging = False  # the pack is made again without it at the end
            notify("docx", paper)
            if merging and builder is not None and paper.docx is not None:
                builder.add(paper.docx)  # merged while the workers render the next papers
            if index == early_count and convert_early is not None:
                convert_early(valid[:early_count])
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM): a paper still rendering must not hold up the stop, and
        # the pool would wait for it, here and again at exit.
        for worker in set(multiprocessing.active_children()) - others:
            worker.kill()
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if builder is not None:
        _finish_pack(report, builder, valid, out)


def _gather_appendices(
    report: BuildReport, papers: list[PaperResult], settings: PackSettings
) -> list[PaperResult]:
    """The papers to build on their own: each cover report's appendices (boardpack.toml's
    `appendices`) are taken out of the build's list and given to their cover, in order."""
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


def _appendix_label(cover: PaperResult, index: int) -> str:
    """How the cover's profile labels its appendix `index` ("Appendix B"), in lower case as a
    message says it ("appendix B")."""
    from boardpack.paper.profile import Appendices

    scheme = cover.checked.paper.profile.appendices if cover.checked else Appendices()
    label = scheme.label_of(index)
    return label[:1].lower() + label[1:]


def _appendix_jobs(
    cover: PaperResult,
    area: PageArea,
    profile: Profile | None,
    settings: PackSettings,
    folder: Path,
) -> list[tuple[Paper, Path | None]] | None:
    """Each appendix of a cover report validated, with the template it is rendered with;
    None, with the cover failed, when one is invalid."""
    jobs: list[tuple[Paper, Path | None]] = []
    for index, appendix in enumerate(cover.appendices):
        try:
            checked = load_paper(appendix.source, area, profile)
        except InvalidWorkbook as exc:
            label = _appendix_label(cover, index)
            cover.fail(
                InvalidWorkbook(f"{exc.source} ({label} of {cover.source.name})", exc.problems),
                Status.INVALID,
            )
            return None
        appendix.checked = checked
        cover.notes.extend(
            Problem(p.where, f"{_appendix_label(cover, index)}: {p.message}")
            for p in checked.warnings
        )
        chosen = settings.template_for(appendix.name, folder)
        jobs.append((checked.paper, chosen or template_for(checked.paper.profile)))
    return jobs


@dataclass(frozen=True)
class _FolderSettings:
    """The folder's boardpack.toml, read once for the papers and the pack."""

    settings: PackSettings
    file: Path | None
    warnings: tuple[Problem, ...] = ()
    error: BoardpackError | None = None  # it cannot be read: the pack says so

    @property
    def folder(self) -> Path:
        """The folder the settings' paths start from."""
        return self.file.parent if self.file is not None else Path()


def _folder_settings(sources: list[Path]) -> _FolderSettings:
    """The folder's boardpack.toml. One that cannot be read is reported by the pack, and the
    papers are built without it."""
    from boardpack.meeting.settings import find_settings, load_settings

    settings_file = find_settings(sources)
    try:
        settings, warnings = load_settings(settings_file)
    except BoardpackError as exc:
        return _FolderSettings(PackSettings(), settings_file, error=exc)
    return _FolderSettings(settings, settings_file, warnings)


def _named_in_place(error: BoardpackError, stage: Path) -> BoardpackError:
    """An error about a file in the staging folder, naming the file it was to become."""
    if isinstance(error, OutputError):
        return OutputError(str(error).replace(f"{stage}{os.sep}", f"{stage.parent}{os.sep}"))
    return error


def _start_pack(
    report: BuildReport,
    papers: list[PaperResult],
    folder: _FolderSettings,
    out: Path,
    template: Path,
) -> PackBuilder | None:
    """The pack's builder, its front matter made from the valid papers in agenda order."""
    if not papers:
        return None
    report.pack = result = PackResult()
    started = time.perf_counter()
    try:
        if folder.error is not None:
            raise folder.error
        settings, settings_file, result.warnings = folder.settings, folder.file, folder.warnings
        result.meeting_date = settings.meeting_date
        members = [
            PackPaper(
                p.name,
                p.checked.paper,  # type: ignore[union-attr]
                out / f"{p.name}.docx",
                p.history,
                tuple(a.checked.paper for a in p.appendices if a.checked is not None),
            )
            for p in papers
        ]
        ordered, result.problems = order_papers(members, settings, settings_file)
        result.papers = [p.name for p in ordered]
        builder = PackBuilder(ordered, settings, template)
    except BoardpackError as exc:
        result.error = exc
        builder = None
    result.seconds = time.perf_counter() - started
    return builder


def _finish_pack(
    report: BuildReport, builder: PackBuilder, papers: list[PaperResult], out: Path
) -> None:
    """Write the pack's .docx; a paper that failed to render is left out of it."""
    pack = report.pack
    assert pack is not None
    started = time.perf_counter()
    failed = {p.name for p in papers if p.status is not Status.BUILT}
    try:
        data = builder.without(failed) if failed else builder.finish()
        pack.papers = [name for name in pack.papers if name not in failed]
        target = out / f"{PACK_NAME}.docx"
        write_atomic(target, data)
        pack.docx = target
    except BoardpackError as exc:
        pack.error = exc
    pack.seconds += time.perf_counter() - started


class _Background:
    """A function run in a thread; `wait` re-raises what it raised."""

    def __init__(self, work: Callable[[], None]) -> None:
        self._error: BaseException | None = None

        def run() -> None:
            try:
                work()
            except BaseException as exc:  # handed to the waiting thread, which re-raises it
                self._error = exc

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def join(self) -> None:
        """Wait for the function to end, whatever it raised."""
        self._thread.join()

    def wait(self) -> None:
        """Wait for the function to end, and raise what it raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error


# Measured on a 2-core machine: LibreOffice converts a paper in ~0.1 s and the pack in ~0.035 s
# a paper. The LibreOffice that converts the pack takes this share of the papers too, so that
# both finish together.
_PACK_SHARE = 0.25


def _early_share(count: int, *, with_pack: bool) -> int:
    """How many of `count` papers the first LibreOffice converts, starting while the rest render:
    half without a pack, all but the pack's share with one; none of a lone paper."""
    if count < 2:
        return 0
    return count - int(count * _PACK_SHARE) if with_pack else count // 2


def _make_pdfs(
    papers: list[PaperResult],
    timeout: float,
    jobs: int | None,
    notify: OnProgress,
    out: Path,
    pack: PackResult | None = None,
    *,
    stop: threading.Event | None = None,
    converter: Converter | None = None,
) -> None:
    """Convert papers (and the pack, if given and made) to PDF in one call, and prove each PDF
    is its paper's; errors name the files as they will be in `out`."""
    # Here, not at the top: they load pypdf and pikepdf, which a build without PDFs never needs.
    from boardpack.outputs.pdf import BatchConversionError, convert_to_pdf

    by_docx = {p.docx: p for p in papers if p.docx is not None}
    documents = list(by_docx)
    if pack is not None and pack.docx is not None:
        documents.append(pack.docx)
    if not documents:
        return
    started = time.perf_counter()

    def done(docx: Path) -> None:
        if docx in by_docx:
            paper = by_docx[docx]
            made = docx.with_suffix(".pdf")
            try:
                # convert_to_pdf has just checked it is a PDF/A; what is left is whose it is.
                prove_pdf(made, docx, shown_in=out, checked=True)
                paper.pdf_sha256 = sha256_of(made)  # this build's bytes, in its own folder
            except ConversionError as exc:
                paper.fail(exc)
                made.unlink(missing_ok=True)  # never put in place as the paper's PDF
            else:
                paper.pdf = made
            notify("pdf", paper)

    converted: dict[Path, Path] = {}
    try:
        convert = converter or convert_to_pdf
        converted = convert(documents, timeout=timeout, jobs=jobs, on_done=done, cancel=stop)
    except ConversionError as exc:
        # Some papers may have converted before others failed; none did if LibreOffice is missing.
        converted = exc.converted if isinstance(exc, BatchConversionError) else {}
        for docx, paper in by_docx.items():
            if docx not in converted:
                paper.fail(exc)
        if pack is not None and pack.docx not in converted:
            pack.error = exc
    share = (time.perf_counter() - started) / len(documents)
    for paper in by_docx.values():
        paper.seconds += share
    if pack is not None and pack.docx in converted:
        made = pack.docx.with_suffix(".pdf")
        started = time.perf_counter()
        try:
            prove_pdf(made, pack.docx, shown_in=out, checked=True)
            _finish_pack_pdf(pack, made, timeout, out)
        except ConversionError as exc:
            pack.error = exc
            made.unlink(missing_ok=True)
        else:
            pack.pdf = made
        pack.seconds += share + time.perf_counter() - started


def _finish_pack_pdf(pack: PackResult, made: Path, timeout: float, out: Path) -> None:
    """Give the pack's .docx contents the pages its proven PDF shows each paper starting on;
    when that changes the .docx, its PDF is made and proven again, so that nothing is
    rewritten after its PDF is proven."""
    from boardpack.meeting.pack import contents_pages, destination_pages, with_contents_pages
    from boardpack.outputs.pdf import convert_to_pdf

    assert pack.docx is not None
    # LibreOffice worked out where each paper starts; Word shows the contents' last results.
    shown = contents_pages(pack.docx)
    pages = destination_pages(made, list(shown), len(pack.papers))
    if all(shown[bookmark] == str(pages[bookmark]) for bookmark in shown if bookmark in pages):
        return
    made.unlink()
    write_atomic(pack.docx, with_contents_pages(pack.docx, pages))
    convert_to_pdf([pack.docx], timeout=timeout, jobs=1)
    prove_pdf(made, pack.docx, shown_in=out, checked=True)
    if destination_pages(made, list(shown), len(pack.papers)) != pages:
        raise ConversionError(
            f"{out / made.name}: the papers moved to other pages when the pack's contents were"
            " given their page numbers; build again"
        )


# --- putting outputs in place ---------------------------------------------------------------
#
# Each paper's files and its build record move from the staging folder into the output folder
# together, once both files are made and the PDF is proven. Everything that takes room on the
# disk (the files, the record) is written in the staging folder first; putting in place is then
# only renames within one folder. The earlier files and record are moved aside into the staging
# folder first, and moved back should any rename fail (Word holds the file open), so the output
# folder holds the whole new paper with its record or the whole earlier one with its record.
# A build killed in between leaves a .docx without its PDF, never one beside an older PDF.
# When the PDF cannot be made, the earlier .docx and PDF (if there was a PDF) stay as they were;
# without an earlier PDF, the new .docx is put in place on its own, to be checked in Word.
# The pack is put in place only when every paper in it was: never beside papers it does not hold.


_NO_PDF_HINT = "--no-pdf makes the .docx alone"


class _NotPlaced(Exception):
    """A file could not be put in place; everything moved so far has been moved back."""

    def __init__(self, target: Path, error: OSError, restored: bool) -> None:
        super().__init__(str(target))
        self.target, self.error, self.restored = target, error, restored


def _put_papers_in_place(papers: list[PaperResult], out: Path, *, pdf: bool) -> None:
    """Move each rendered paper's files and its record from the staging folder into `out`."""
    for paper in papers:
        staged = paper.docx
        if staged is None or staged.parent == out or paper.status is Status.INVALID:
            continue  # never rendered, or already in place
        stage = staged.parent
        docx, old_pdf = out / staged.name, out / f"{paper.name}.pdf"
        try:
            moves: list[tuple[Path | None, Path]]
            if paper.status is Status.BUILT and paper.pdf is not None:
                moves = [(staged, docx), (paper.pdf, old_pdf)]
                placed: tuple[Path, Path | None, str] = (docx, old_pdf, "")
            elif paper.status is Status.BUILT and not pdf:
                moves, placed = _without_pdf(staged, docx, old_pdf)
                paper.pdf_sha256 = sha256_of(old_pdf) if placed[1] is not None else ""
            elif _is_file(old_pdf):
                paper.docx, paper.pdf = None, None
                paper.note = (
                    f"{docx.name} and {old_pdf.name} are left as an earlier build made them"
                    + ("" if _is_file(docx) else f" ({docx.name} is missing)")
                    + f"; the new paper is not put in place without its PDF ({_NO_PDF_HINT})"
                )
                continue
            else:
                moves, placed = [(staged, docx), (None, old_pdf)], (docx, None, "")
            staged_pdf, paper.docx, paper.pdf = paper.pdf, placed[0], placed[1]
            record = _write_record(paper, out)  # naming the files as they will be in `out`
            paper.docx, paper.pdf = staged, staged_pdf
            moves.append((_staged_copy(stage, record), out / RECORD_FOLDER / record[0]))
            _move_in(moves, stage)
            paper.docx, paper.pdf, paper.note = placed
        except _NotPlaced as exc:
            paper.docx, paper.pdf = None, None
            paper.fail(_not_placed(exc, f"{paper.name}.docx and its PDF"))
        except OSError as exc:  # before anything was moved: the record could not be written
            paper.docx, paper.pdf = None, None
            paper.fail(_not_placed(_NotPlaced(docx, exc, True), f"{paper.name}.docx and its PDF"))


def _without_pdf(
    staged_docx: Path, docx: Path, pdf: Path
) -> tuple[list[tuple[Path | None, Path]], tuple[Path, Path | None, str]]:
    """The moves that put a .docx built with --no-pdf in place, and what is there after them:
    an earlier PDF stays only if it was made from exactly this .docx (the same identifier)."""
    if not _is_file(pdf):
        return [(staged_docx, docx)], (docx, None, "")
    regular = pdf.is_file() and not pdf.is_symlink()  # never read through a link or a FIFO
    if regular and pdf_identifier(pdf) == docx_identity(staged_docx)[1]:
        return [(staged_docx, docx)], (docx, pdf, "")
    removed = f"removed {pdf.name}: it was made from an earlier version of the paper"
    return [(staged_docx, docx), (None, pdf)], (docx, None, removed)


def _put_pack_in_place(report: BuildReport, out: Path, *, pdf: bool) -> None:
    """Move the pack's files and its record from the staging folder into `out`, by the papers'
    rules, once every paper in it is in place; else the earlier pack stays with its record."""
    pack = report.pack
    assert pack is not None
    staged = pack.docx
    if staged is None or staged.parent == out:
        _write_pack_record(report, out)
        return
    stage = staged.parent
    docx, old_pdf = out / staged.name, out / staged.with_suffix(".pdf").name
    placed_papers = {p.name for p in report.papers if p.docx is not None and p.docx.parent == out}
    missing = [name for name in pack.papers if name not in placed_papers]
    left = f"{docx.name} and {old_pdf.name} are left as an earlier build made them"
    if missing:
        pack.docx, pack.pdf = None, None
        pack.error = OutputError(
            f"{docx}: not put in place, as {', '.join(f'{n}.docx' for n in missing)} in it"
            f" could not be; {left}, with their build record. Free some space or close the"
            " program holding the files, and build again"
        )
        pack.note = left
        return
    try:
        moves: list[tuple[Path | None, Path]]
        if pack.pdf is not None:
            moves = [(staged, docx), (pack.pdf, old_pdf)]
            placed: tuple[Path, Path | None, str] = (docx, old_pdf, "")
        elif not pdf:
            moves, placed = _without_pdf(staged, docx, old_pdf)
        elif _is_file(old_pdf):
            pack.docx = None
            pack.note = f"{left}; the new pack is not put in place without its PDF ({_NO_PDF_HINT})"
            _write_pack_record(report, out)
            return
        else:
            moves, placed = [(staged, docx), (None, old_pdf)], (docx, None, "")
        # The PDF in place after the moves: the new one, or an earlier one made from this .docx.
        kept_pdf = pack.pdf if pack.pdf is not None else placed[1]
        record = _pack_record(report, staged, kept_pdf)
        moves.append((_staged_copy(stage, record), out / RECORD_FOLDER / record[0]))
        _move_in(moves, stage)
        pack.docx, pack.pdf, pack.note = placed
    except (_NotPlaced, OSError) as exc:
        failure = exc if isinstance(exc, _NotPlaced) else _NotPlaced(docx, exc, True)
        pack.docx, pack.pdf = None, None
        pack.error = _not_placed(failure, f"{PACK_NAME}.docx and its PDF")


def _move_in(moves: list[tuple[Path | None, Path]], stage: Path) -> None:
    """Put each staged file in place of its target (None: the target is removed), all or none.

    Each earlier target is moved aside into `stage` first; should any rename fail, the new files
    are taken out again and the earlier ones moved back. _NotPlaced says which target failed."""
    aside: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for folder in {target.parent for _, target in moves}:
            ensure_folder(folder)  # the record folder, made before anything is moved
        for index, (_, target) in enumerate(moves):
            if _is_file(target):
                moved = stage / f"{index}.{target.name}.earlier"
                os.replace(target, moved)
                aside.append((moved, target))
        for new, target in moves:
            if new is not None:
                os.replace(new, target)
                placed.append(target)
    except (OSError, OutputError) as exc:
        error = exc if isinstance(exc, OSError) else OSError(str(exc))
        restored = True
        for target in placed:
            try:
                target.unlink()
            except OSError:
                restored = False
        for moved, target in aside:
            try:
                os.replace(moved, target)
            except OSError:
                restored = False
        failed = next((t for n, t in moves if t not in placed), moves[0][1])
        raise _NotPlaced(failed, error, restored) from exc


def _staged_copy(stage: Path, record: tuple[str, bytes]) -> Path:
    """The record written (and flushed to the disk) in the staging folder, to be moved in."""
    name, data = record
    path = stage / name
    write_synced(path, data)
    return path


def _is_file(path: Path) -> bool:
    return path.is_file() or path.is_symlink()


def _not_placed(failure: _NotPlaced, what: str) -> OutputError:
    """The error of a paper or pack not put in place, saying truthfully what the folder holds."""
    exc = failure.error
    reason = exc.strerror or str(exc)
    outcome = (
        f"the earlier {what}, if any, are left as they were, with their build record"
        if failure.restored
        else f"the earlier {what} could not all be put back"
    )
    hint = (
        "free some space on the disk"
        if exc.errno == errno.ENOSPC
        else "check that no program (Word, a PDF viewer) holds it open"
    )
    return OutputError(
        f"{failure.target}: could not be put in place ({reason}); {outcome}; {hint},"
        " and build again"
    )


def _write_record(paper: PaperResult, out: Path) -> tuple[str, bytes]:
    """The build record's name and bytes: what `boardpack archive` needs to file the paper
    without reading the workbook again, its files named as they are in `out`."""
    assert paper.checked is not None and paper.docx is not None
    details = paper.checked.paper.details
    record: dict[str, object] = {
        "name": paper.name,
        "project": details.project,
        # None when the paper has none: archive then says it cannot file it, and why.
        "board": details.board,
        "meeting_date": details.meeting_date.isoformat() if details.meeting_date else None,
        # From the record's folder, so that the meeting's folder can be moved or copied.
        "source": recorded_path(paper.source, out / RECORD_FOLDER),
        # The bytes the paper was built from: the manager may have saved the workbook since.
        "source_sha256": paper.checked.source_sha256,
        # The bytes this build wrote, kept from the render and the conversion.
        "docx": paper.docx.name,
        "docx_sha256": paper.docx_sha256,
        "pdf": paper.pdf.name if paper.pdf else None,
        "pdf_sha256": paper.pdf_sha256 if paper.pdf else None,
        "boardpack_version": __version__,
        # The paper as data, which the archive keeps beside its workbook for history.
        "paper_data": paper_data(paper.checked.paper),
    }
    if paper.appendices:  # a cover report: the workbooks of its appendices, in order
        record["appendices"] = [
            {
                "source": recorded_path(a.source, out / RECORD_FOLDER),
                "source_sha256": a.checked.source_sha256,
                "paper_data": paper_data(a.checked.paper),
            }
            for a in paper.appendices
            if a.checked is not None
        ]
    return f"{paper.name}.json", json.dumps(record, indent=2).encode()


def _pack_record(report: BuildReport, docx: Path, pdf: Path | None) -> tuple[str, bytes]:
    """The pack's build record's name and bytes: what `boardpack archive` needs to file the
    pack, its files (read from the staging folder) and the papers in it."""
    pack = report.pack
    assert pack is not None
    by_name = {p.name: p for p in report.papers}
    record = {
        "kind": "pack",
        "docx": docx.name,
        "docx_sha256": sha256_of(docx),
        "pdf": pdf.name if pdf else None,
        "pdf_sha256": sha256_of(pdf) if pdf else None,
        "papers": [{"name": n, "docx_sha256": by_name[n].docx_sha256} for n in pack.papers],
        "boardpack_version": __version__,
    }
    return f"{PACK_NAME}.json", json.dumps(record, indent=2).encode()


def _write_pack_record(report: BuildReport, out: Path) -> None:
    """Remove the record of an earlier pack when this build made none, or left the new pack out
    for want of its PDF, so the archive never files a pack other than the one this build made."""
    path = out / RECORD_FOLDER / f"{PACK_NAME}.json"
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        pack = report.pack
        if pack is not None and pack.error is None:
            pack.error = OutputError(
                f"{path}: the earlier pack's build record could not be removed ({exc.strerror});"
                " remove it, so that `archive` does not file the earlier pack as this one"
            )


# --- what is stale --------------------------------------------------------------------------


def _stale_outputs(report: BuildReport) -> list[StaleOutput]:
    """The papers and PDFs in the output folder that this build did not make and that no
    longer match their build record or their workbook."""
    out = report.out_dir
    renewed = {
        path.name
        for paper in report.papers
        for path in (paper.docx, paper.pdf)
        if path is not None and paper.note == ""
    }
    pack = report.pack
    if pack is not None and pack.note == "":
        renewed.update(p.name for p in (pack.docx, pack.pdf) if p is not None)
    changed_papers = any(p.docx is not None and p.note == "" for p in report.papers)
    stale: list[StaleOutput] = []
    sources: dict[Path, str | None] = {}
    for path in sorted(out.iterdir()):
        if (
            path.name in renewed
            or path.name.startswith((".", "~$"))
            or path.suffix.lower() not in (".docx", ".pdf")
        ):
            continue
        if path.is_symlink() or not path.is_file():
            stale.append(StaleOutput(path, "not a regular file; boardpack did not make it"))
            continue
        if path.stem.casefold() == PACK_NAME:
            if changed_papers and (pack is None or pack.note or pack.docx is None):
                stale.append(
                    StaleOutput(
                        path,
                        "made before this build changed its papers; build the"
                        " whole folder of workbooks to make the pack again",
                    )
                )
            continue
        reason = _record_fault(path, out / RECORD_FOLDER / f"{path.stem}.json", sources)
        if reason:
            stale.append(StaleOutput(path, reason))
    return stale


def _record_fault(path: Path, record_path: Path, sources: dict[Path, str | None]) -> str:
    """Why an output no longer shows its workbook, or "" if it still does."""
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        name_key = "docx" if path.suffix.lower() == ".docx" else "pdf"
        recorded_name, recorded_hash = record[name_key], record[f"{name_key}_sha256"]
        source = recorded_source(record["source"], record_path.parent)
        source_hash = record["source_sha256"]
    except FileNotFoundError:
        return "no build record: boardpack did not make it in this folder, or its record is gone"
    except (OSError, ValueError, KeyError, TypeError):
        return f"its build record {record_path.name} cannot be read; build the paper again"
    if recorded_name != path.name or not isinstance(recorded_hash, str):
        return "not the file its build record names; build the paper again"
    try:
        if sha256_of(path) != recorded_hash:
            return "changed since it was built; build the paper again"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if source not in sources:
        try:
            sources[source] = sha256_of(source) if source.is_file() else None
        except OSError:
            sources[source] = None
    if sources[source] is None:
        return f"its workbook {source} is no longer there"
    if sources[source] != source_hash:
        return f"its workbook {source.name} has changed since it was built; build it again"
    return ""
