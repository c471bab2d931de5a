"""Render: each valid paper's .docx written by a pool of worker processes (as each paper is
validated), and the pack's .docx merged from them in agenda order as they arrive."""

from __future__ import annotations

import functools
import gc
import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boardpack.errors import BoardpackError, OutputError
from boardpack.files import PACK_NAME, write_atomic
from boardpack.guard import import_openpyxl
from boardpack.meeting.settings import PackSettings
from boardpack.paper.changes import History
from boardpack.paper.models import Paper
from boardpack.paper.page import ChartParts
from boardpack.pipeline.report import BuildReport, PackResult, PaperResult, Status

if TYPE_CHECKING:
    from boardpack.meeting.pack import PackBuilder

# The renderer and the pack (docxtpl, matplotlib, docxcompose: about 0.4 s to import) are
# imported where they are first used, by then with LibreOffice starting in the background.

PARALLEL_FROM = 3  # fewer papers than this render faster in this process than in a pool
# A paper renders in well under a second. When no worker has finished one for this long, the
# workers are stuck (a fork can inherit a lock another thread held, and wait on it for ever):
# they are ended, and the papers not yet rendered are rendered in this process instead.
STALLED_AFTER = 60.0
_WORKER_DIED = "a render worker ended without finishing its paper"

# One paper to render: the paper, its chart's parts and its template, then each appendix's.
Part = tuple[Paper, ChartParts | None, Path]


def render_paper(
    paper: Paper, template: Path | None, history: History | None, chart: ChartParts | None
) -> bytes:
    """outputs.render.render_paper, imported when first called."""
    from boardpack.outputs.render import render_paper as render

    return render(paper, template, history, chart)


def render_one(
    target: Path, parts: Sequence[Part], history: History | None = None
) -> tuple[float, str]:
    """Render and write one paper (with its appendices, for a cover report), returning the
    seconds it took and the SHA-256 of the bytes written; runs in a worker process."""
    started = time.perf_counter()
    (paper, chart, template), *appendices = parts
    data = render_paper(paper, template, history, chart)
    if appendices:
        from boardpack.outputs.composite import compose_appendices
        from boardpack.outputs.render import made_on
        from boardpack.outputs.word.package import document_timestamp

        data = compose_appendices(
            data,
            [render_paper(a, chosen, None, a_chart) for a, a_chart, chosen in appendices],
            document_timestamp(made_on(paper)),
            [paper.profile.appendices.label_of(i) for i in range(len(appendices))],
        )
    write_atomic(target, data)
    return time.perf_counter() - started, hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Rendered:
    """One paper's .docx written: the seconds it took, the SHA-256 of its bytes, and why it was
    rendered in this process after its worker failed, when it was."""

    seconds: float
    sha256: str
    note: str = ""


def _render_here(job: tuple[Any, ...], why: str) -> Rendered:
    """render_one(*job) in this process; `why` it is rendered here, when it was meant not to be."""
    seconds, sha256 = render_one(*job)
    return Rendered(seconds, sha256, f"{why} was rendered by the build itself" if why else "")


class Renderers:
    """Where papers render: worker processes, one per core, for a meeting of several papers;
    this process for one or two. Used as a context manager: leaving it ends the workers."""

    def __init__(self, count: int) -> None:
        jobs = min(os.cpu_count() or 1, count)
        self._pool: ProcessPoolExecutor | None = None
        self._others = set(multiprocessing.active_children())  # not the pool's: not ours to end
        self._stalled_after = STALLED_AFTER
        self._progress = time.monotonic()  # when a worker last finished a paper
        self._given_up = ""  # why the workers were ended, once they were
        if count >= PARALLEL_FROM and jobs >= 2:
            # fork: the workers start with matplotlib, docxtpl and openpyxl imported here
            import boardpack.outputs.render  # noqa: F401

            import_openpyxl()
            # What is imported lives until the end: left out of the collector's walks in every
            # worker, and not copied into each by the collector touching it (gc.freeze's purpose).
            gc.freeze()
            context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=jobs, mp_context=context, initializer=_exit_with_parent
            )

    def start(self, *job: Any) -> Callable[[], Rendered]:
        """Start rendering one paper (render_one's arguments); the call returns its outcome."""
        if self._pool is None:
            return functools.partial(_render_here, job, "")
        if not self._given_up:
            try:
                future = self._pool.submit(render_one, *job)  # started at once
            except BrokenProcessPool:  # a worker died rendering an earlier paper
                self._give_up(_WORKER_DIED)
            else:
                future.add_done_callback(self._progressed)
                return functools.partial(self._outcome, future, job)
        return functools.partial(_render_here, job, self._here_because())

    def _progressed(self, _future: Future[tuple[float, str]]) -> None:
        self._progress = time.monotonic()

    def _outcome(self, future: Future[tuple[float, str]], job: tuple[Any, ...]) -> Rendered:
        """The paper a worker rendered; rendered here instead once the workers are given up."""
        while not self._given_up or future.done():
            try:
                left = self._progress + self._stalled_after - time.monotonic()
                return Rendered(*future.result(timeout=max(left, 0.0)))
            except TimeoutError:
                if future.done():
                    raise  # the render's own error, not the wait's
                if time.monotonic() - self._progress >= self._stalled_after:
                    self._give_up(f"no worker finished a paper for {self._stalled_after:g} s")
            except BrokenProcessPool:
                self._give_up(_WORKER_DIED)
                break
        return _render_here(job, self._here_because())

    def _here_because(self) -> str:
        return f"{self._given_up}, so the workers were ended and this paper"

    def _give_up(self, why: str) -> None:
        """End the workers: every paper they have not finished is rendered in this process."""
        if not self._given_up:
            self._given_up = why
            self._end_workers()

    def _end_workers(self) -> None:
        for worker in set(multiprocessing.active_children()) - self._others:
            worker.kill()

    def __enter__(self) -> Renderers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None:
            # Interrupted (Ctrl-C, SIGTERM): a paper still rendering must not hold up the stop,
            # and the pool would wait for it, here and again at exit.
            self._end_workers()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


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


def named_in_place(error: BoardpackError, stage: Path) -> BoardpackError:
    """An error about a file in the staging folder, naming the file it was to become."""
    if isinstance(error, OutputError):
        return OutputError(str(error).replace(f"{stage}{os.sep}", f"{stage.parent}{os.sep}"))
    return error


def start_pack(
    report: BuildReport,
    papers: list[PaperResult],
    settings: PackSettings,
    settings_file: Path | None,
    out: Path,
    template: Path | None,
) -> PackBuilder | None:
    """The pack's builder, its front matter made from the valid papers in agenda order."""
    if not papers:
        return None
    from boardpack.meeting.pack import PackBuilder, PackPaper, order_papers
    from boardpack.outputs.bundled import PACK_TEMPLATE

    report.pack = result = PackResult()
    started = time.perf_counter()
    try:
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
        builder = PackBuilder(ordered, settings, template or PACK_TEMPLATE)
    except BoardpackError as exc:
        result.error = exc
        builder = None
    result.seconds = time.perf_counter() - started
    return builder


def finish_pack(
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
