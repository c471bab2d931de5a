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
from concurrent.futures import ProcessPoolExecutor
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


class Renderers:
    """Where papers render: worker processes, one per core, for a meeting of several papers;
    this process for one or two. Used as a context manager: leaving it ends the workers."""

    def __init__(self, count: int) -> None:
        jobs = min(os.cpu_count() or 1, count)
        self._pool: ProcessPoolExecutor | None = None
        self._others = set(multiprocessing.active_children())  # not the pool's: not ours to end
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

    def start(self, *job: Any) -> Callable[[], tuple[float, str]]:
        """Start rendering one paper (render_one's arguments); the call returns its outcome."""
        if self._pool is not None:
            return self._pool.submit(render_one, *job).result  # started at once
        return functools.partial(render_one, *job)

    def __enter__(self) -> Renderers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None:
            # Interrupted (Ctrl-C, SIGTERM): a paper still rendering must not hold up the stop,
            # and the pool would wait for it, here and again at exit.
            for worker in set(multiprocessing.active_children()) - self._others:
                worker.kill()
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
