"""Warm converters: LibreOffice processes kept running between conversions, one per core.

A one-off conversion (pdf.convert_to_pdf) starts LibreOffice, converts and quits: about 0.3 s
of start-up before the first paper, every time. A watch converts one paper at each save, so it
keeps LibreOffice running instead and hands it each paper over UNO, in ~0.1 s.

Each worker is uno_worker.py run by LibreOffice's own Python, starting one LibreOffice with a
private profile (seeded from the same template as the one-off conversions) and talking to the
build over its stdin and stdout only: nothing listens on a port that another user could reach
(unlike an XML-RPC server such as unoserver). It ends itself and its LibreOffice when its stdin
closes, however the build ended, as the reaper does for one-off conversions; the build ends a
worker with `os.killpg`. A worker that crashes, or takes longer than the timeout over a paper
(hung), is killed and started again, and the paper tried once more. Every PDF goes through the
same checks, finishing and atomic placing as a one-off conversion's.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from boardpack.errors import ConversionError
from boardpack.outputs import lo_profile, pdf, scratch, soffice
from boardpack.outputs.bundled import REPORT_TEMPLATE

__all__ = ["OFFICE_PYTHON_ENV", "EarlyConverter", "WarmConverter", "find_office_python"]

OFFICE_PYTHON_ENV = "BOARDPACK_OFFICE_PYTHON"
# Run by path, never imported here: it puts its own folder first on sys.path, for reaper.py.
_WORKER_SCRIPT = Path(__file__).with_name("uno_worker.py")
WORK_PREFIX = ".boardpack-warm-"  # a worker's work folder, in the temporary folder
_START_SECONDS = 180.0  # a first start on a fresh profile on a busy machine is slow
_WAIT_STEP = 0.05  # how often a wait looks at a cancel request


def find_office_python(soffice: Path) -> Path | None:
    """The Python that can drive this LibreOffice over UNO: $BOARDPACK_OFFICE_PYTHON, else the
    one bundled with LibreOffice (Windows, macOS), else a python3 that can import uno (Linux
    packages put it in the system's); None when there is none."""
    configured = os.environ.get(OFFICE_PYTHON_ENV, "").strip()
    if configured:
        found = shutil.which(configured)
        return Path(found) if found else None
    program = Path(soffice).resolve().parent
    for bundled in (
        program / "python.exe",
        program / "python",
        program.parent / "Resources" / "python",  # macOS: Contents/MacOS/soffice
    ):
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return bundled
    # The system's Python first: Linux packages put uno there, and the first python3 on PATH is
    # often a virtual environment's or a version manager's shim (pyenv's takes 0.2 s to fail).
    for name in ("/usr/bin/python3", "python3", "/usr/local/bin/python3"):
        found = shutil.which(name)
        if found is not None and _has_uno(found):
            return Path(found)
    return None


def _has_uno(python: str) -> bool:
    """Whether a Python can import LibreOffice's uno module (the first python3 on PATH may be a
    virtual environment's, which cannot)."""
    try:
        probe = subprocess.run(
            [python, "-I", "-c", "import uno"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


@dataclass(eq=False)
class _Worker:
    """One uno_worker.py process with its LibreOffice, and the lines it has printed."""

    proc: subprocess.Popen[str]
    work: Path
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)  # None: output closed


class WarmConverter:
    """LibreOffice processes kept running to convert papers to PDF/A, with convert_to_pdf's
    contract (`convert`); use as a context manager, or call `close`."""

    def __init__(self, workers: int | None = None) -> None:
        self.size = workers or min(os.cpu_count() or 1, pdf.MAX_DEFAULT_JOBS)
        self.restarts = 0  # workers started again after a crash or a hang
        self._soffice = pdf.find_soffice()
        python = find_office_python(self._soffice)
        if python is None:
            raise ConversionError(
                "no Python that can drive LibreOffice was found; set "
                f"{OFFICE_PYTHON_ENV} to LibreOffice's Python (the one that can import uno)"
            )
        self._python = python
        self._template = lo_profile.template_for(self._soffice)
        self._folders = contextlib.ExitStack()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._starting = 0  # workers being started
        scratch.sweep(Path(_temporary_folder()), WORK_PREFIX)

    def __enter__(self) -> WarmConverter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start every worker and wait until each is ready; raise ConversionError if none is."""
        problems: list[str] = []
        with self._lock:
            count = self.size - len(self._all) - self._starting
            # Counted before the threads run, so a conversion asked for meanwhile waits for
            # these workers instead of starting one more of its own.
            self._starting += max(count, 0)
        threads = [
            threading.Thread(target=self._start_one, args=(problems,), daemon=True)
            for _ in range(count)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if not self._all:
            raise ConversionError(
                "LibreOffice could not be kept running: " + "; ".join(sorted(set(problems)))
            )

    def _start_one(self, problems: list[str]) -> None:
        try:
            self._idle.put(self._launch(counted=True))
        except ConversionError as exc:
            problems.append(str(exc))

    def _launch(self, *, counted: bool = False) -> _Worker:
        """A new worker with its own profile, once its LibreOffice is ready to convert
        (`counted`: already counted as starting)."""
        with self._lock:
            if not counted:
                self._starting += 1
            if self._closed:
                self._starting -= 1
                raise ConversionError("the converters were closed")
        try:
            return self._launch_counted()
        finally:
            with self._lock:
                self._starting -= 1

    def _launch_counted(self) -> _Worker:
        with self._lock:
            work = self._folders.enter_context(
                scratch.work_folder(WORK_PREFIX, Path(_temporary_folder()))
            )
        (work / "tmp").mkdir()
        (work / "out").mkdir()
        options = json.dumps(soffice.EXPORT_OPTIONS)
        # The worker copies the profile template itself: copied here, in a thread, the copy
        # waited on the build's imports for Python's lock, and LibreOffice started 0.1-0.2 s later.
        seed = str(self._template) if lo_profile.ready(self._template) else ""
        command = [
            str(self._python),
            "-I",  # nothing from the environment or the current folder is imported
            str(_WORKER_SCRIPT),
            f"boardpack-{os.getpid()}-{uuid.uuid4().hex[:12]}",
            options,
            seed,
            str(work / "profile"),
            str(self._soffice),
            f"-env:UserInstallation={(work / 'profile').resolve().as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--norestore",
        ]
        with (work / "stderr.txt").open("wb") as err:
            try:
                proc = subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,  # its closing tells the worker we went
                    stdout=subprocess.PIPE,
                    stderr=err,
                    cwd=work,
                    env=soffice.child_env(work / "tmp"),
                    text=True,
                    encoding="utf-8",
                    **soffice.own_group(),
                )
            except OSError as exc:
                raise ConversionError(
                    f"could not start {self._python}: {exc.strerror or exc}"
                ) from exc
        worker = _Worker(proc, work)
        threading.Thread(target=_read_lines, args=(worker,), daemon=True).start()
        with self._lock:
            self._all.add(worker)
            closed = self._closed
        if closed:  # closed while this one started: it must not outlive the rest
            self._end(worker)
            raise ConversionError("the converters were closed")
        try:
            reply = self._answer(worker, _START_SECONDS, None)
        except ConversionError as exc:
            self._end(worker)
            raise ConversionError(f"LibreOffice did not start: {exc}") from exc
        if not reply.get("ready"):
            self._end(worker)
            raise ConversionError(str(reply.get("error") or "LibreOffice did not start"))
        self._warm_up(worker)
        return worker

    # Nothing that starts a worker may parse XML (python-docx, lxml): a build forks its render
    # workers while its LibreOffice starts in a thread, and a fork taken while that thread held
    # python-docx's shared parser left the forked worker waiting for that parser for ever.
    def _warm_up(self, worker: _Worker) -> None:
        """Have a new worker convert the bundled report template once (opened read-only), so
        that its first paper converts as fast as the rest: a fresh LibreOffice loads its Word
        import, table layout and PDF export on first use, and took 0.19 s over its first paper,
        0.08 s over each later one. A worker that cannot convert it is ended, as one that
        fails to start."""
        made = worker.work / "out" / "sample.pdf"
        try:
            reply = self._ask(worker, {"docx": str(REPORT_TEMPLATE), "pdf": str(made)})
        except (OSError, ConversionError) as exc:
            self._end(worker)
            raise ConversionError(f"LibreOffice did not start: {exc}") from exc
        if not reply.get("ok"):
            self._end(worker)
            raise ConversionError(
                f"LibreOffice could not convert a sample document: {reply.get('error')}"
                f" (the bundled template {REPORT_TEMPLATE}; check that soffice --headless"
                " --convert-to pdf converts it)"
            )
        made.unlink(missing_ok=True)

    def _ask(
        self,
        worker: _Worker,
        request: dict[str, str],
        seconds: float = _START_SECONDS,
        cancel: threading.Event | None = None,
    ) -> dict[str, object]:
        """Send a worker one request and return its reply (see _answer); ConversionError if the
        worker has been ended meanwhile (closed by a build that is stopping)."""
        assert worker.proc.stdin is not None
        try:
            worker.proc.stdin.write(json.dumps(request) + "\n")
            worker.proc.stdin.flush()
        except ValueError as exc:  # its stdin closed by _end, in another thread
            raise ConversionError("LibreOffice was stopped") from exc
        return self._answer(worker, seconds, cancel)

    def _answer(
        self, worker: _Worker, seconds: float, cancel: threading.Event | None
    ) -> dict[str, object]:
        """The worker's next reply, within `seconds`; ConversionError if it ends or hangs."""
        deadline = time.monotonic() + seconds
        while True:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            try:
                line = worker.lines.get(timeout=_WAIT_STEP)
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise ConversionError(f"no answer within {seconds:g} s") from None
                continue
            if line is None:
                tail = soffice.stderr_tail(worker.work / "stderr.txt")
                raise ConversionError("LibreOffice stopped" + (f": {tail}" if tail else ""))
            try:
                reply = json.loads(line)
            except ValueError:
                continue  # something LibreOffice printed, not a reply
            if isinstance(reply, dict):
                return reply

    def _end(self, worker: _Worker) -> None:
        """Stop a worker and its LibreOffice, and remove its files."""
        with self._lock:
            self._all.discard(worker)
        soffice.stop(worker.proc)
        if worker.proc.stdout is not None:
            worker.proc.stdout.close()
        shutil.rmtree(worker.work / "profile", ignore_errors=True)

    @property
    def closed(self) -> bool:
        """Whether `close` has been called."""
        return self._closed

    def groups(self) -> list[int]:
        """The process ids of the running workers, each its LibreOffice's process group on POSIX."""
        with self._lock:
            return sorted(worker.proc.pid for worker in self._all)

    def close(self) -> None:
        """Stop every worker and its LibreOffice; nothing of theirs is left running."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
        for worker in workers:
            self._end(worker)
        self._folders.close()

    @contextlib.contextmanager
    def _worker(self, cancel: threading.Event | None) -> Iterator[list[_Worker]]:
        """An idle worker, held for one conversion (started anew if none is left); the holder
        replaces it in the list when it had to be restarted."""
        while True:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            try:
                held = [self._idle.get(timeout=_WAIT_STEP)]
                break
            except queue.Empty:
                with self._lock:
                    empty = not self._all and not self._starting
                if empty:  # every worker failed to start again: try once more here
                    held = [self._launch()]
                    break
        try:
            yield held
        finally:
            if held and held[0] in self._all:
                self._idle.put(held[0])

    def convert(
        self,
        docx_paths: Sequence[Path],
        *,
        timeout: float = 120.0,
        jobs: int | None = None,
        on_done: Callable[[Path], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> dict[Path, Path]:
        """Convert each .docx into a verified PDF/A-2b beside it, as pdf.convert_to_pdf does.

        `jobs` caps how many workers this call uses at once (default: all). A paper that
        fails, or takes longer than `timeout`, is tried once more on a restarted worker."""
        batch = pdf.Batch(timeout=timeout, on_done=on_done, cancel=cancel)
        papers = batch.accept(docx_paths)
        if not papers:
            if batch.failed:
                raise batch.error()
            return {}
        todo: queue.Queue[pdf.Conversion] = queue.Queue()
        for paper in papers:
            todo.put(paper)
        made: queue.Queue[tuple[pdf.Conversion, bytes | None]] = queue.Queue()
        stop = threading.Event()  # this call is over: its threads stop taking papers
        threads = [
            threading.Thread(
                target=self._convert_some, args=(todo, made, timeout, cancel, stop), daemon=True
            )
            for _ in range(min(len(papers), jobs or self.size, self.size))
        ]
        for thread in threads:
            thread.start()
        pdf.load_readers()  # while LibreOffice converts the first paper, not after it
        try:
            for _ in papers:
                while True:
                    if cancel is not None and cancel.is_set():
                        raise ConversionError(
                            "PDF conversion was stopped: the build was interrupted"
                        )
                    try:
                        paper, result = made.get(timeout=_WAIT_STEP)
                        break
                    except queue.Empty:
                        continue
                if result is None:
                    batch.failed[paper.docx] = paper.problem
                else:
                    batch.place(paper, result)  # put in place; on_done here
        finally:
            stop.set()
        if batch.failed:
            raise batch.error()
        return batch.converted

    def _convert_some(
        self,
        todo: queue.Queue[pdf.Conversion],
        made: queue.Queue[tuple[pdf.Conversion, bytes | None]],
        timeout: float,
        cancel: threading.Event | None,
        stop: threading.Event,
    ) -> None:
        """Convert papers from `todo` one after another, each on an idle worker."""
        while not stop.is_set():
            try:
                paper = todo.get_nowait()
            except queue.Empty:
                return
            try:
                made.put((paper, self._convert_one(paper, timeout, cancel)))
            except _Cancelled:
                return
            except ConversionError as exc:
                paper.problem = str(exc)
                made.put((paper, None))

    def _convert_one(
        self, paper: pdf.Conversion, timeout: float, cancel: threading.Event | None
    ) -> bytes | None:
        """The checked and finished PDF of one paper, made by a worker in its folder; None if
        it failed twice (the reason in paper.problem)."""
        while paper.tries < 2:
            paper.tries += 1
            with self._worker(cancel) as held:
                worker = held[0]
                target = worker.work / "out" / f"{uuid.uuid4().hex}.pdf"
                request = {"docx": str(paper.docx.resolve()), "pdf": str(target)}
                try:
                    reply = self._ask(worker, request, timeout, cancel)
                except (OSError, ConversionError) as exc:
                    hung = isinstance(exc, ConversionError) and "no answer" in str(exc)
                    paper.problem = (
                        f"LibreOffice did not finish converting it within {timeout:g} s"
                        if hung
                        else f"LibreOffice stopped while converting it ({exc})"
                    )
                    self._replace(held)
                    continue
                except _Cancelled:
                    self._replace(held, restart=False)  # a conversion half done: not reused
                    raise
                if reply.get("ok"):
                    from boardpack.outputs import pdf_finish  # pikepdf, once a PDF is made

                    finished = pdf_finish.finish(target)  # checked and mended in one open
                    target.unlink(missing_ok=True)
                    if finished.problem is None:
                        return finished.data
                    paper.problem = (
                        f"LibreOffice wrote a PDF that fails the check: {finished.problem}"
                    )
                else:
                    paper.problem = f"LibreOffice could not convert it: {reply.get('error')}"
                    if not reply.get("alive", True):
                        self._replace(held)
        paper.problem += " (tried twice)"
        return None

    def _replace(self, held: list[_Worker], *, restart: bool = True) -> None:
        """End a crashed or hung worker and, with `restart`, start another in its place."""
        self._end(held[0])
        held.clear()
        if restart:
            self.restarts += 1
            with contextlib.suppress(ConversionError):
                held.append(self._launch())


class _Cancelled(Exception):
    """The build was interrupted while a conversion waited."""


def _read_lines(worker: _Worker) -> None:
    """Pass each line the worker prints to whoever waits for its answer; None at the end."""
    assert worker.proc.stdout is not None
    with contextlib.suppress(OSError, ValueError):
        for line in worker.proc.stdout:
            worker.lines.put(line)
    worker.lines.put(None)


def _temporary_folder() -> str:
    import tempfile

    return tempfile.gettempdir()


class EarlyConverter:
    """A warm LibreOffice started in the background as soon as a build knows it will make PDFs,
    so that its start-up overlaps reading and rendering the papers; `convert` has
    pdf.convert_to_pdf's contract. Use as a context manager, or call `close`.

    Where it cannot serve (no Python that can drive LibreOffice, a LibreOffice that does not
    start, or one that is not ready within a conversion's timeout), `convert` makes the PDFs by
    one-off LibreOffice processes instead, as a build does without it, with the same checks. So
    it does where $BOARDPACK_SOFFICE names the converter: that program is run as named, to
    convert the files it is given (a wrapper need not know how to be kept running). And so it
    does until a one-off conversion has kept the profile template (lo_profile): a LibreOffice
    started on a fresh profile runs its graphics self-test, 0.7 s of CPU, more than it saves."""

    def __init__(self, workers: int = 1) -> None:
        self._workers = max(1, workers)
        self._warm: WarmConverter | None = None
        self._problem: ConversionError | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._ready = threading.Event()  # set once the start has ended, well or not
        if os.environ.get(pdf.SOFFICE_ENV, "").strip():
            self._problem = ConversionError(f"{pdf.SOFFICE_ENV} names the converter")
            self._ready.set()
            return
        threading.Thread(target=self._start, name="early-libreoffice", daemon=True).start()

    @classmethod
    def for_papers(cls, papers: int) -> EarlyConverter:
        """One for a build of `papers` papers: a LibreOffice for one paper, else one per core up
        to two, as the build converts two papers or more in two calls at once."""
        return cls(workers=1 if papers < 2 else min(os.cpu_count() or 1, 2))

    def __enter__(self) -> EarlyConverter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        # What a killed build's one-off conversions left, as pdf.convert_to_pdf sweeps it: a
        # build converting warmly must leave the temporary folder as clean as one that does not.
        scratch.sweep(Path(_temporary_folder()), pdf.WORK_PREFIX)
        try:
            if not lo_profile.ready(lo_profile.template_for(pdf.find_soffice())):
                raise ConversionError("no LibreOffice profile template yet")
            warm = WarmConverter(self._workers)
        except ConversionError as exc:  # no LibreOffice, no template, or no Python to drive it
            self._problem = exc
            self._ready.set()
            return
        with self._lock:
            if self._closed:
                warm.close()
                self._ready.set()
                return
            self._warm = warm
        try:
            warm.start()
        except ConversionError as exc:
            self._problem = exc
            warm.close()
        self._ready.set()

    @property
    def warm(self) -> bool:
        """Whether the warm LibreOffice is ready (False while it starts, or once it failed)."""
        return self._ready.is_set() and self._problem is None and self._warm is not None

    def groups(self) -> list[int]:
        """The process ids of the warm LibreOffice's workers (WarmConverter.groups)."""
        with self._lock:
            warm = self._warm
        return warm.groups() if warm is not None else []

    def _wait(self, seconds: float, cancel: threading.Event | None) -> WarmConverter | None:
        """The warm converter once it is ready, within `seconds`; None if it will not serve."""
        deadline = time.monotonic() + seconds
        while not self._ready.wait(_WAIT_STEP):
            if cancel is not None and cancel.is_set():
                raise ConversionError("PDF conversion was stopped: the build was interrupted")
            if time.monotonic() >= deadline:
                self._give_up()  # a start that hangs must not hold up the build any longer
                return None
        with self._lock:
            warm = self._warm if self._problem is None and not self._closed else None
        return warm if warm is not None and not warm.closed else None

    def _give_up(self) -> None:
        with self._lock:
            warm, self._warm = self._warm, None
            self._problem = self._problem or ConversionError("LibreOffice was slow to start")
        if warm is not None:
            warm.close()

    def convert(
        self,
        docx_paths: Sequence[Path],
        *,
        timeout: float = 120.0,
        jobs: int | None = None,
        on_done: Callable[[Path], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> dict[Path, Path]:
        """Convert each .docx into a verified PDF/A-2b beside it, as pdf.convert_to_pdf does:
        by the warm LibreOffice once it is ready (waiting for it at most `timeout` seconds),
        else by one-off LibreOffice processes."""
        warm = self._wait(timeout, cancel)
        if warm is None:
            return pdf.convert_to_pdf(
                docx_paths, timeout=timeout, jobs=jobs, on_done=on_done, cancel=cancel
            )
        return warm.convert(docx_paths, timeout=timeout, jobs=jobs, on_done=on_done, cancel=cancel)

    def close(self) -> None:
        """Stop the warm LibreOffice, started or starting; nothing of it is left running."""
        with self._lock:
            self._closed = True
            warm, self._warm = self._warm, None
        if warm is not None:
            warm.close()
