"""The export stage: Word papers to archival PDF/A-2b files, made by LibreOffice headless."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from boardpack.errors import BatchConversionError, ConversionError, OutputError
from boardpack.files import write_atomic
from boardpack.outputs import lo_profile, reaper, scratch
from boardpack.outputs.soffice import EXPORT_OPTIONS, child_env, own_group, stderr_tail, stop

if TYPE_CHECKING:
    from pypdf.xmp import XmpInformation

    from boardpack.outputs.pdf_finish import Finished

__all__ = ["convert_to_pdf", "find_soffice", "verify_pdf"]

SOFFICE_ENV = "BOARDPACK_SOFFICE"

_PDF_FILTER = "pdf:writer_pdf_Export:" + json.dumps(
    {name: {"type": kind, "value": value} for name, (kind, value) in EXPORT_OPTIONS.items()},
    separators=(",", ":"),
)

_PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
_POLL_SECONDS = 0.05
# Each LibreOffice takes ~210 MB; beyond a few processes the gain is small and memory is not.
MAX_DEFAULT_JOBS = 4
_MAX_TRIES = 2
_EXIT_GRACE = 10.0  # how long LibreOffice may take to quit once every PDF of its call is finished
WORK_PREFIX = ".boardpack-pdf-"  # a conversion's work folder, in the temporary folder
_STATUS = "exit-status"  # written by the reaper when LibreOffice exits by itself
# While LibreOffice writes NAME.pdf it keeps a lock file beside it; the PDF itself is written
# to a temporary file (luNNN.tmp) and renamed into place when complete.
_LOCK_PREFIX, _LOCK_SUFFIX = ".~lock.", "#"

_INSTALL_HINT = (
    "LibreOffice is needed to make the PDFs but was not found (looked for soffice and "
    "libreoffice on PATH and in the usual install folders). Install it "
    "(Debian/Ubuntu: sudo apt-get install libreoffice-writer-nogui fonts-crosextra-carlito "
    "fonts-liberation2; Fedora: sudo dnf install libreoffice-writer; macOS: brew install --cask "
    "libreoffice; Windows: https://www.libreoffice.org/download/), or set "
    f"{SOFFICE_ENV} to the soffice program, or run with --no-pdf to make only the Word papers."
)

T = TypeVar("T")


def find_soffice() -> Path:
    """The LibreOffice program to run: $BOARDPACK_SOFFICE, then PATH, then usual install folders."""
    configured = os.environ.get(SOFFICE_ENV, "").strip()
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise ConversionError(
                f"{SOFFICE_ENV} is set to {configured!r}, which is not an executable program. "
                f"Point it at LibreOffice's soffice, unset it, or run with --no-pdf."
            )
        return Path(found)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found is not None:
            return Path(found)
    for candidate in _candidate_locations():
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ConversionError(_INSTALL_HINT)


def _candidate_locations() -> list[Path]:
    """Places LibreOffice's soffice is installed by default on this platform, most likely first."""
    if sys.platform == "win32":
        bases = (
            os.environ.get(var) for var in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")
        )
        return [Path(b) / "LibreOffice" / "program" / "soffice.exe" for b in bases if b]
    if sys.platform == "darwin":
        app = Path("LibreOffice.app/Contents/MacOS/soffice")
        return [Path("/Applications") / app, Path.home() / "Applications" / app]
    # The official tarball installs to /opt/libreofficeX.Y; prefer the newest.
    opt = sorted(Path("/opt").glob("libreoffice*/program/soffice"), reverse=True)
    return [
        Path("/usr/bin/soffice"),
        Path("/usr/lib/libreoffice/program/soffice"),
        Path("/usr/lib64/libreoffice/program/soffice"),
        Path("/usr/local/bin/soffice"),
        *opt,
        Path("/snap/bin/libreoffice"),
        Path("/var/lib/flatpak/exports/bin/org.libreoffice.LibreOffice"),
        Path.home() / ".local/share/flatpak/exports/bin/org.libreoffice.LibreOffice",
    ]


def verify_pdf(path: Path, *, title: str | None = None) -> int:
    """Check that a file is a readable PDF/A-2b with at least one page; return its page count."""
    path = Path(path)
    pages, problem = _inspect(path, title)
    if problem is not None:
        raise ConversionError(f"{path}: {problem}")
    return pages


def _inspect(path: Path, title: str | None) -> tuple[int, str | None]:
    """The page count of a PDF and what is wrong with it as an archival paper, if anything."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0, "no PDF was written"
    except OSError as exc:
        return 0, f"cannot read the PDF ({exc.strerror})"
    if size == 0:
        return 0, "the PDF is empty (0 bytes)"
    from pypdf import PdfReader  # here: a build's own PDFs are checked by pdf_finish.finish

    try:
        reader = PdfReader(path)
        pages = len(reader.pages)
        xmp = reader.xmp_metadata
        part = _xmp_value(xmp, "part") if xmp is not None else None
        conformance = _xmp_value(xmp, "conformance") if xmp is not None else None
        info_title = reader.metadata.title if reader.metadata is not None else None
    except Exception as exc:  # pypdf raises many unrelated types on damaged files
        return 0, f"not a readable PDF ({type(exc).__name__}: {exc})"
    if pages < 1:
        return 0, "the PDF has no pages"
    if part is None:
        return pages, "not PDF/A: its XMP metadata has no PDF/A identification (pdfaid:part)"
    if part.strip() != "2" or (conformance or "").strip().upper() != "B":
        return pages, f"PDF/A-{part.strip()}{(conformance or '?').strip().lower()}, not PDF/A-2b"
    if title is not None and (info_title or "").strip() != title.strip():
        return pages, f"its title is {info_title!r}, expected {title!r}"
    return pages, None


def _xmp_value(xmp: XmpInformation, name: str) -> str | None:
    """A pdfaid property from XMP, written either as an attribute or as an element."""
    for node in xmp.get_element("", _PDFAID_NS, name):
        if node.nodeType == node.ATTRIBUTE_NODE:
            return str(node.value)
        return "".join(c.data for c in node.childNodes if c.nodeType == c.TEXT_NODE)
    return None


def convert_to_pdf(
    docx_paths: Sequence[Path],
    *,
    timeout: float = 120.0,
    jobs: int | None = None,
    on_done: Callable[[Path], None] | None = None,
    cancel: threading.Event | None = None,
) -> dict[Path, Path]:
    """Convert each .docx into a verified PDF/A-2b beside it; return {docx: pdf}.

    The papers are split into at most `jobs` chunks (default: one per CPU, at most 4); each is
    converted by a single LibreOffice process, the chunks in parallel. `timeout` is how long
    LibreOffice may spend on one paper; a paper that fails is retried once. `on_done(docx)` is
    called, in the caller's thread, as each PDF is put in place. Setting `cancel` (from another
    thread) stops LibreOffice and raises ConversionError, leaving no process or file behind.

    Raises ConversionError if LibreOffice is missing, and BatchConversionError (carrying
    `.converted` and `.failed`) after converting what it could when any paper failed.
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, not {timeout}")
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    batch = Batch(timeout=timeout, on_done=on_done, cancel=cancel)
    papers = batch.accept(docx_paths)
    if papers:
        batch.run(find_soffice(), papers, jobs or min(os.cpu_count() or 1, MAX_DEFAULT_JOBS))
    if batch.failed:
        raise batch.error()
    return batch.converted


def _split(items: Sequence[T], parts: int) -> list[list[T]]:
    """Split items, in order, into at most `parts` runs whose sizes differ by at most one."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    runs: list[list[T]] = []
    start = 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        runs.append(list(items[start:end]))
        start = end
    return [run for run in runs if run]


@dataclass(eq=False)
class Conversion:
    """One .docx to convert, and what happened to it so far."""

    docx: Path
    pdf: Path
    staged: Path = field(default_factory=Path)
    tries: int = 0
    problem: str = ""


@dataclass(eq=False)
class _Chunk:
    """Papers that one LibreOffice process converts at a time, with that process's state."""

    work: Path
    queue: list[Conversion]
    calls: int = 0
    idle: int = 0  # consecutive calls that converted nothing
    proc: subprocess.Popen[bytes] | None = None
    call_dir: Path = field(default_factory=Path)
    seeded: bool = False  # the call's profile was copied from the template
    seen: int = 0
    deadline: float = 0.0
    sizes: dict[str, int] = field(default_factory=dict)  # PDF name -> size at the last poll


@dataclass
class Batch:
    """One convert_to_pdf call: its chunks, their LibreOffice processes and the results."""

    timeout: float
    on_done: Callable[[Path], None] | None
    cancel: threading.Event | None = None
    converted: dict[Path, Path] = field(default_factory=dict)
    failed: dict[Path, str] = field(default_factory=dict)
    soffice: Path = field(default_factory=Path)
    template: Path = field(default_factory=Path)  # the profile each call starts from
    order: dict[Path, int] = field(default_factory=dict)  # docx -> place in the caller's list

    def accept(self, docx_paths: Sequence[Path]) -> list[Conversion]:
        """The papers worth converting; records those that cannot be (missing, duplicated)."""
        papers: list[Conversion] = []
        seen: set[Path] = set()
        targets: dict[Path, Path] = {}
        for given in docx_paths:
            docx = Path(given)
            real = docx.resolve()
            if real in seen:
                continue
            seen.add(real)
            self.order[docx] = len(self.order)
            pdf = docx.with_suffix(".pdf")
            if docx.suffix.lower() == ".pdf":
                self.failed[docx] = "is already a PDF"
            elif not docx.is_file():
                self.failed[docx] = "file not found"
            elif docx.suffix.lower() == ".docx" and not zipfile.is_zipfile(docx):
                # LibreOffice would import it as plain text and make a PDF of the raw bytes.
                self.failed[docx] = "not a Word document (a .docx is a zip package; this is not)"
            elif pdf.resolve() in targets:
                self.failed[docx] = (
                    f"its PDF would overwrite the one made from {targets[pdf.resolve()]}"
                )
            else:
                targets[pdf.resolve()] = docx
                papers.append(Conversion(docx=docx, pdf=pdf))
        return papers

    def run(self, soffice: Path, papers: list[Conversion], jobs: int) -> None:
        """Convert the papers in parallel chunks until each is converted or has failed."""
        self.soffice = soffice
        self.template = lo_profile.template_for(soffice)
        # Work folders of builds that were killed hold copies of their papers: remove them.
        for folder in {self._work_parent(paper.docx.parent) for paper in papers}:
            scratch.sweep(folder, WORK_PREFIX)
        chunks: list[_Chunk] = []
        with contextlib.ExitStack() as folders:
            try:
                for run in _split(papers, jobs):
                    parent = self._work_parent(run[0].docx.parent)
                    work = folders.enter_context(scratch.work_folder(WORK_PREFIX, parent))
                    chunk = _Chunk(work=work, queue=[])
                    chunks.append(chunk)
                    self._stage(chunk, run)
                    self._start(chunk)
                load_readers()  # while LibreOffice starts, not after it
                self._wait(chunks)
            finally:
                for chunk in chunks:
                    if chunk.proc is not None:
                        stop(chunk.proc)
                        chunk.proc = None

    def _wait(self, chunks: list[_Chunk]) -> None:
        """Poll the chunks' LibreOffice processes until every chunk has finished its papers."""
        while any(chunk.proc is not None for chunk in chunks):
            time.sleep(_POLL_SECONDS)
            if self.cancel is not None and self.cancel.is_set():
                raise ConversionError("PDF conversion was stopped: the build was interrupted")
            for chunk in chunks:
                if chunk.proc is not None:
                    self._poll(chunk)

    def _work_parent(self, near: Path) -> Path:
        """Where the chunks' private work folders go: the temporary folder, as a rule."""
        # Snap and Flatpak builds run in a sandbox with its own /tmp, so they could not see a
        # work folder there; the papers' own folder is one they can reach.
        sandboxed = any(part in ("snap", "flatpak") for part in self.soffice.parts)
        return near if sandboxed else Path(tempfile.gettempdir())

    def _stage(self, chunk: _Chunk, papers: list[Conversion]) -> None:
        """Copy the chunk's papers into its work folder under names unique within the chunk."""
        # Converting copies keeps LibreOffice's lock files (left behind if it is killed) out of
        # the user's folder, gives absolute paths that cannot be mistaken for options, and lets
        # two papers with the same name from different folders share one outdir.
        inbox = chunk.work / "in"
        inbox.mkdir()
        for paper in papers:
            staged = inbox / paper.docx.name
            number = 1
            while staged.exists():
                number += 1
                staged = inbox / f"{paper.docx.stem}-{number}{paper.docx.suffix}"
            try:
                shutil.copyfile(paper.docx, staged)
            except OSError as exc:
                self.failed[paper.docx] = f"cannot read it ({exc.strerror or exc})"
                continue
            paper.staged = staged
            chunk.queue.append(paper)

    def _start(self, chunk: _Chunk) -> None:
        """Start one LibreOffice process converting every paper in the chunk's queue."""
        if not chunk.queue:
            return
        chunk.calls += 1
        call_dir = chunk.work / f"call{chunk.calls}"
        (call_dir / "out").mkdir(parents=True)
        (call_dir / "tmp").mkdir()
        chunk.seeded = lo_profile.seed(call_dir / "profile", self.template)
        args = [
            str(self.soffice),
            # A profile per process: two processes sharing one fail at random.
            f"-env:UserInstallation={(call_dir / 'profile').resolve().as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--norestore",
            "--convert-to",
            _PDF_FILTER,
            "--outdir",
            str(call_dir / "out"),
            *(str(paper.staged) for paper in chunk.queue),
        ]
        # LibreOffice runs under the reaper, which ends it when this process goes, however.
        watched = [sys.executable, "-I", "-S", reaper.__file__, str(call_dir / _STATUS), *args]
        try:
            with (
                (call_dir / "stdout.txt").open("wb") as out,
                (call_dir / "stderr.txt").open("wb") as err,
            ):
                chunk.proc = subprocess.Popen(
                    watched,
                    stdin=subprocess.PIPE,  # never written; its closing tells the reaper we went
                    stdout=out,
                    stderr=err,
                    cwd=call_dir,
                    env=child_env(call_dir / "tmp"),
                    **own_group(),
                )
        except OSError as exc:
            for paper in chunk.queue:
                self.failed[paper.docx] = (
                    f"could not start LibreOffice ({self.soffice}): {exc.strerror or exc}"
                )
            chunk.queue = []
            return
        chunk.call_dir = call_dir
        chunk.seen = 0
        chunk.sizes = {}
        chunk.deadline = time.monotonic() + self.timeout

    def _poll(self, chunk: _Chunk) -> None:
        """Check a running chunk: note progress, kill it when stuck, collect it when finished."""
        assert chunk.proc is not None
        now = time.monotonic()
        produced = _finished_pdfs(chunk.call_dir / "out", chunk.sizes)
        if produced != chunk.seen:
            # LibreOffice converts its files one after another, so a new PDF means progress.
            chunk.seen = produced
            # Once every PDF is there, a process that does not quit is stuck shutting down.
            done = produced >= len(chunk.queue)
            chunk.deadline = now + (min(self.timeout, _EXIT_GRACE) if done else self.timeout)
        status = _exit_status(chunk)
        if status is not None:
            timed_out = False
        elif now >= chunk.deadline:
            timed_out = True
        else:
            return
        stop(chunk.proc)  # LibreOffice has quit or is stuck; this also ends what it left
        chunk.proc = None
        self._collect(chunk, timed_out=timed_out, status=status or 0)
        self._start(chunk)

    def _collect(self, chunk: _Chunk, *, timed_out: bool, status: int) -> None:
        """Verify and place the PDFs of a finished call; decide what to retry and what failed."""
        outdir = chunk.call_dir / "out"
        stderr = stderr_tail(chunk.call_dir / "stderr.txt") or stderr_tail(
            chunk.call_dir / "stdout.txt"
        )
        remaining: list[Conversion] = []
        progress = False
        for paper in chunk.queue:
            made = outdir / (paper.staged.stem + ".pdf")
            finished = _finish(made)
            if finished.problem is None:
                progress = True
                self.place(paper, finished.data)
                continue
            problem = finished.problem
            if timed_out and remaining:
                paper.problem = "LibreOffice was stopped before it reached this paper"
            elif timed_out:
                paper.problem = (
                    f"LibreOffice did not finish converting it within {self.timeout:g} s"
                )
            elif made.exists():
                paper.problem = f"LibreOffice wrote a PDF that fails the check: {problem}"
            elif status != 0:
                paper.problem = (
                    f"LibreOffice stopped with exit status {status} before writing its PDF"
                )
            else:
                paper.problem = "LibreOffice wrote no PDF for it"
            if stderr and not timed_out:
                paper.problem += f"; its last messages: {stderr}"
            remaining.append(paper)
        # After a clean exit LibreOffice had a go at every paper; after a kill or crash, only at
        # the first one left (it works in order), so only that one uses up a try.
        charged = remaining if (status == 0 and not timed_out) else remaining[:1]
        for paper in charged:
            paper.tries += 1
            if paper.tries >= _MAX_TRIES:
                self.failed[paper.docx] = f"{paper.problem} (tried twice)"
        # A paper that stopped LibreOffice goes last next time, so it cannot hold up the rest.
        queue = [p for p in remaining if p not in charged] + [
            p for p in charged if p.tries < _MAX_TRIES
        ]
        if status == 0 and not timed_out and not remaining:
            lo_profile.keep(chunk.call_dir / "profile", self.template, self.soffice)
        elif chunk.seeded and not progress:
            lo_profile.discard(self.template)  # it may be what went wrong; the retry starts fresh
        chunk.idle = 0 if progress else chunk.idle + 1
        if chunk.idle >= _MAX_TRIES:
            for paper in queue:
                self.failed[paper.docx] = (
                    "not converted: LibreOffice failed twice in a row without converting "
                    f"anything ({paper.problem or 'it never reached this paper'})"
                )
            queue = []
        chunk.queue = queue

    def place(self, paper: Conversion, finished: bytes) -> None:
        """Put a checked and finished PDF (_finish) in place beside its .docx and report it done."""
        try:
            # Atomic, so the PDF beside the paper is the old one or the whole new one; and named
            # as boardpack's temporaries are, so a build killed meanwhile leaves nothing behind.
            write_atomic(paper.pdf, finished)
        except OutputError as exc:
            self.failed[paper.docx] = f"{exc}, and that no PDF viewer holds the PDF open"
            return
        self.converted[paper.docx] = paper.pdf
        if self.on_done is not None:
            self.on_done(paper.docx)

    def error(self) -> BatchConversionError:
        """One error naming every paper that failed and why."""
        failed = dict(sorted(self.failed.items(), key=lambda item: self.order[item[0]]))
        names = [docx.name for docx in failed]
        unique = len(set(names)) == len(names)
        lines = [f"{docx.name if unique else docx}: {why}" for docx, why in failed.items()]
        if len(lines) == 1:
            message = lines[0] + ". "
        else:
            total = len(self.failed) + len(self.converted)
            message = (
                f"{len(self.failed)} of {total} papers could not be made into PDFs:\n"
                + "".join(f"  {line}\n" for line in lines)
            )
        if all(docx.is_file() for docx in failed):
            it = "it" if len(lines) == 1 else "them"
            message += (
                f"The .docx {'is' if len(lines) == 1 else 'files are'} intact; open {it} in Word "
                f"or LibreOffice to check {it}, or run again with --no-pdf."
            )
        else:
            message += "Check the paths, or run again with --no-pdf."
        return BatchConversionError(message, dict(self.converted), failed)


def load_readers() -> None:
    """Import what reads the PDFs LibreOffice makes (pikepdf to check and finish them, pypdf for
    the proof's page text: 0.07 s), for a caller to do while LibreOffice is busy."""
    import pypdf  # noqa: F401

    from boardpack.outputs import pdf_finish  # noqa: F401


def _finish(made: Path) -> Finished:
    """LibreOffice's PDF checked as an archival PDF/A-2b and its tagging mended, from one open
    of the file: a pdf_finish.Finished, whose `problem` says what is wrong with it, if anything."""
    from boardpack.outputs import pdf_finish  # pikepdf: ~0.1 s to load, once a PDF is made

    return pdf_finish.finish(made)


def _finished_pdfs(outdir: Path, sizes: dict[str, int]) -> int:
    """How many PDFs in LibreOffice's output folder are finished, updating `sizes`.

    A PDF counts once LibreOffice's lock on it is gone and its size is what it was at the last
    poll. Lock files and LibreOffice's temporaries are not PDFs, and counting them made a long
    conversion look finished and be killed after the short exit grace."""
    try:
        names = os.listdir(outdir)
    except OSError:
        return 0
    locked = {
        name[len(_LOCK_PREFIX) : -len(_LOCK_SUFFIX)]
        for name in names
        if name.startswith(_LOCK_PREFIX) and name.endswith(_LOCK_SUFFIX)
    }
    finished = 0
    for name in names:
        if not name.lower().endswith(".pdf") or name.startswith(".") or name in locked:
            continue
        try:
            size = (outdir / name).stat().st_size
        except OSError:
            continue
        if size > 0 and sizes.get(name) == size:
            finished += 1
        sizes[name] = size
    return finished


def _exit_status(chunk: _Chunk) -> int | None:
    """LibreOffice's exit status if it has ended (as its reaper reports), else None."""
    assert chunk.proc is not None
    try:
        return int((chunk.call_dir / _STATUS).read_text(encoding="ascii"))
    except (OSError, ValueError):
        pass
    # The reaper only ends when it is ended; if something else ended it, LibreOffice went too.
    return _ended(chunk.proc)


def _ended(proc: subprocess.Popen[bytes]) -> int | None:
    """The process's exit status (minus the signal that ended it) once it has ended, else None;
    it is not reaped, so its group id stays ours to kill."""
    if os.name == "posix" and hasattr(os, "waitid"):
        try:
            flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
            ended = os.waitid(os.P_PID, proc.pid, flags)
        except ChildProcessError:
            return proc.returncode if proc.returncode is not None else -1
        if ended is None:
            return None
        exited = ended.si_code == os.CLD_EXITED
        return ended.si_status if exited else -ended.si_status
    return proc.poll()
