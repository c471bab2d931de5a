"""The watch: a folder of workbooks built once, then each paper rebuilt as soon as it is saved.

A manager edits a workbook many times before a deadline. The watch builds the folder with the
library's own build (pipeline.run.build), keeps LibreOffice running (outputs/warm.py), and on each
save rebuilds that paper exactly as `build` does (check, render, PDF, proof, placing) in a
fraction of a second; the pack follows once the saves pause, LibreOffice converting only the
pack and each paper that changed (_KeptPdfs).

How it finds saves: it looks at the folder every `poll` seconds (os.scandir and a stat per
workbook: microseconds on a local disk, a few milliseconds on a share). Polling is the one way
that works alike on a local disk and on a network share, where inotify, FSEvents and
ReadDirectoryChangesW see no change made from another machine; it needs no native library, and
a folder that vanishes (the share dropped) is simply unreadable until it returns. Excel and
LibreOffice save to a temporary file and rename it over the workbook; both are seen as a new
size, time or file id. Their temporaries and lock files (`~$NAME.xlsx`, `.~lock.NAME.xlsx#`)
are not workbooks and are passed over. A workbook is read only once it is complete (its zip
directory, written last, opens) and only if its content differs from what was last built, so
each change is built once, however many times it is touched.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import select
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boardpack.errors import BoardpackError
from boardpack.files import (
    PACK_NAME,
    WORKBOOK_SUFFIXES,
    find_workbooks,
    safe_stem,
    sha256_of,
    write_atomic,
)
from boardpack.meeting.folder import MeetingFolder
from boardpack.meeting.settings import SETTINGS_FILE
from boardpack.pipeline import BuildReport, Converter, PaperResult, Status, build

if TYPE_CHECKING:
    from boardpack.outputs.warm import WarmConverter

__all__ = ["Notice", "Rebuild", "WatchEvent", "watch"]

POLL_SECONDS = 0.05
PACK_DELAY = 1.0  # the pack is rebuilt once no workbook has been saved for this long
_UNREACHABLE_POLL = 1.0  # how often a folder that has gone is looked for


@dataclass(frozen=True)
class Rebuild:
    """One build the watch made: the whole folder, one paper (with its appendices) or the pack."""

    kind: str  # "folder", "paper" or "pack"
    report: BuildReport | None
    seconds: float
    error: BoardpackError | None = None  # the build itself could not run
    at: float = field(default_factory=time.time)

    def lines(self) -> list[str]:
        """What the watch prints for it: a line per paper (or the pack), then its errors."""
        stamp = time.strftime("%H:%M:%S", time.localtime(self.at))
        if self.error is not None:
            return [f"{stamp} {self.kind} not rebuilt: {self.error}"]
        assert self.report is not None
        lines: list[str] = []
        if self.kind != "pack":
            for paper in self.report.papers:
                # A paper rebuilt on its own: from the start of its build to its files in place.
                seconds = self.seconds if self.kind == "paper" else paper.seconds
                lines.extend(_paper_lines(stamp, paper, seconds))
        pack = self.report.pack
        if pack is None and self.kind == "pack":
            lines.append(f"{stamp} pack: not rebuilt, no paper in the folder is valid")
        if pack is not None and self.kind != "paper":
            made = ", ".join(p.name for p in (pack.docx, pack.pdf) if p is not None)
            if pack.error is not None:
                lines.append(f"{stamp} pack failed: {pack.error}")
            elif pack.docx is not None:
                count = len(pack.papers)
                lines.append(
                    f"{stamp} pack: built {made} ({count} paper{'s' * (count != 1)})"
                    f" in {self.seconds:.2f} s"
                )
            lines.extend(f"  pack: {problem}" for problem in pack.problems)
            lines.extend(f"  warning: pack: {warning}" for warning in pack.warnings)
            if pack.note:
                lines.append(f"  note: {pack.note}")
        if self.kind != "paper":
            lines.extend(f"  warning: meeting: {warning}" for warning in self.report.warnings)
        return lines


def _paper_lines(stamp: str, paper: PaperResult, seconds: float) -> list[str]:
    """A paper's line: built with its files and time, or its located errors."""
    name = paper.source.name
    if paper.status is Status.BUILT:
        made = ", ".join(p.name for p in (paper.docx, paper.pdf) if p is not None)
        lines = [f"{stamp} {name}: built {made} in {seconds:.2f} s"]
    else:
        verb = "invalid" if paper.status is Status.INVALID else "failed"
        message = str(paper.error)
        lines = [f"{stamp} {name}: {verb}; the earlier paper stays", f"  {message}"]
    lines.extend(f"  warning: {warning}" for warning in paper.warnings)
    if paper.note:
        lines.append(f"  note: {paper.note}")
    return lines


@dataclass(frozen=True)
class Notice:
    """Something the watch tells its user that is not a build: the folder went, or came back."""

    message: str
    at: float = field(default_factory=time.time)

    def lines(self) -> list[str]:
        return [f"{time.strftime('%H:%M:%S', time.localtime(self.at))} {self.message}"]


WatchEvent = Rebuild | Notice


class _Wakeup:
    """An early end to the wait between polls when Linux reports a change in the folder
    (inotify). The poll stays the rule: a network share reports nothing made from another
    machine, and other systems are polled alone."""

    # inotify(7): a file written and closed, renamed in or out, made, removed
    _MASK = 0x008 | 0x040 | 0x080 | 0x100 | 0x200

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._fd = -1
        self.renew()

    def __enter__(self) -> _Wakeup:
        return self

    def __exit__(self, *_: object) -> None:
        self._close()

    def renew(self) -> None:
        """Watch the folder (again); without inotify, or when it fails, the poll goes on alone."""
        self._close()
        if sys.platform != "linux":
            return
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd < 0:
                return
            if libc.inotify_add_watch(fd, os.fsencode(self.folder), self._MASK) < 0:
                os.close(fd)
                return
        except (OSError, AttributeError):
            return
        self._fd = fd

    def wait(self, seconds: float, halt: threading.Event) -> bool:
        """Wait up to `seconds`, less if the folder changes; whether to stop."""
        if self._fd < 0:
            return halt.wait(seconds)
        if halt.is_set():
            return True
        ready, _, _ = select.select([self._fd], [], [], seconds)
        if ready:
            with contextlib.suppress(OSError):
                while os.read(self._fd, 65536):
                    pass  # the events only wake the poll, which looks for itself
        return halt.is_set()

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass(frozen=True)
class _Seen:
    """What a file looked like at a poll: changed when any of these changes."""

    size: int
    mtime_ns: int
    ino: int


def watch(
    folder: Path | str,
    out: Path | str,
    *,
    on_event: Callable[[WatchEvent], None],
    stop: threading.Event | None = None,
    poll: float = POLL_SECONDS,
    pack_delay: float = PACK_DELAY,
    workers: int | None = None,
    pdf_timeout: float = 60.0,
) -> None:
    """Build `folder` into `out`, then rebuild each workbook saved there, and the pack, until
    `stop` is set (or Ctrl-C); each build is handed to `on_event` as it finishes. LibreOffice is
    kept running meanwhile and stopped, all of it, before this returns or raises."""
    folder, out = Path(folder), Path(out)
    halt = stop or threading.Event()
    with _converter(on_event, workers) as warm, _Wakeup(folder) as wakeup:
        kept = None if warm is None else _KeptPdfs(warm.convert, lambda: _refill(warm))
        session = _Session(folder, out, on_event, kept, pdf_timeout)
        session.build_folder("folder")
        # What is alive now (modules, templates, caches) lives as long as the watch: left out
        # of the collector's walks, which each rebuild would otherwise pay for.
        gc.collect()
        gc.freeze()
        while not wakeup.wait(poll if session.reachable else _UNREACHABLE_POLL, halt):
            was_reachable = session.reachable
            changed = session.changes()
            if session.reachable and not was_reachable:
                wakeup.renew()  # the folder is back: a new one, as far as the kernel knows
            if changed is None:
                continue
            if changed == [folder]:
                session.build_folder("folder")  # boardpack.toml changed: everything may have
            elif changed:
                session.build_papers(changed)
            elif session.pack_due is not None and time.monotonic() >= session.pack_due + pack_delay:
                session.build_folder("pack")


@contextlib.contextmanager
def _converter(
    on_event: Callable[[WatchEvent], None], workers: int | None
) -> Iterator[WarmConverter | None]:
    """Warm LibreOffice processes for the watch's conversions, stopped when it ends; None (the
    one-off conversions of `build`) when they cannot be kept running here."""
    from boardpack.outputs.warm import WarmConverter

    try:
        warm = WarmConverter(workers)
    except BoardpackError as exc:
        on_event(Notice(f"LibreOffice is started for each paper ({exc})"))
        yield None
        return
    with warm:
        starting = threading.Thread(target=_start, args=(warm, on_event), daemon=True)
        starting.start()  # while the folder's papers are read and rendered
        try:
            yield warm
        finally:
            warm.close()  # before the join: a start still waiting is cut short
            starting.join()


class _KeptPdfs:
    """The watch's converter, keeping the last PDF it made of each paper: a .docx rendered
    again to the very bytes it was (the pack's whole-folder build renders every paper again,
    and a paper renders to the same bytes from the same workbook) has that PDF written beside
    it, not converted again by the same LibreOffice; the build proves it is its paper's as it
    proves every PDF. Only a paper's PDF that was proven is kept: never the pack's, which is
    proven, and may be made again, after the conversion."""

    def __init__(self, convert: Converter, refill: Callable[[], None] | None = None) -> None:
        self._convert = convert
        self.refill = refill or (lambda: None)  # workers again for any a cut-short build ended
        self._made: dict[str, tuple[str, bytes]] = {}  # paper name -> (.docx SHA-256, PDF)
        self.converted = 0  # how many documents it asked LibreOffice for, for the tests

    def __call__(
        self,
        docx_paths: Sequence[Path],
        *,
        on_done: Callable[[Path], None] | None = None,
        **options: Any,
    ) -> dict[Path, Path]:
        """As pdf.convert_to_pdf: each .docx's PDF beside it, by `on_done` as each is made."""
        digests = {docx: _digest(docx) for docx in docx_paths}
        made: dict[Path, Path] = {}
        todo = []
        for docx, digest in digests.items():
            kept_digest, kept_pdf = self._made.get(docx.stem, (None, b""))
            if digest is None or kept_digest != digest:
                todo.append(docx)
                continue
            made[docx] = docx.with_suffix(".pdf")
            write_atomic(made[docx], kept_pdf)
            self._done(docx, digest, on_done)

        def done(docx: Path) -> None:
            self._done(docx, digests.get(docx), on_done)

        if todo:
            self.converted += len(todo)
            made |= self._convert(todo, on_done=done, **options)
        return made

    def _done(self, docx: Path, digest: str | None, on_done: Callable[[Path], None] | None) -> None:
        if on_done is not None:
            on_done(docx)  # the build's proof: a PDF that fails it is removed
        pdf = docx.with_suffix(".pdf")
        try:
            data = pdf.read_bytes()
        except OSError:
            self._made.pop(docx.stem, None)
            return
        if digest is not None and docx.stem != PACK_NAME:
            self._made[docx.stem] = (digest, data)


def _refill(warm: WarmConverter) -> None:
    """Start, in the background, a worker for each that a build cut short has ended."""

    def start() -> None:
        with contextlib.suppress(BoardpackError):  # conversions start one as they need it
            warm.start()

    threading.Thread(target=start, name="refill-libreoffice", daemon=True).start()


def _start(warm: WarmConverter, on_event: Callable[[WatchEvent], None]) -> None:
    try:
        warm.start()
    except BoardpackError as exc:
        if warm.closed:
            return  # the watch is stopping: nothing to say
        on_event(Notice(f"LibreOffice could not be kept running; each paper starts it ({exc})"))


class _Session:
    """The watch's state: what each workbook looked like and held when it was last built."""

    def __init__(
        self,
        folder: Path,
        out: Path,
        on_event: Callable[[WatchEvent], None],
        convert: _KeptPdfs | None,
        pdf_timeout: float,
    ) -> None:
        self.folder, self.out, self.on_event = folder, out, on_event
        self.convert, self.pdf_timeout = convert, pdf_timeout
        self.seen: dict[Path, _Seen] = {}  # as at the last poll that dealt with it
        self.built: dict[Path, str] = {}  # SHA-256 of the content last built
        self.reachable = True
        self.pack_due: float | None = None  # when the last paper was rebuilt, pack not since

    def build_folder(self, kind: str) -> None:
        """Build every paper and the pack, as `boardpack build FOLDER` does."""
        listing = self._listing() or {}
        digests = {path: _digest(path) for path in listing}
        self.pack_due = None
        report = self._build(kind, [self.folder], pack=True)
        if report is not None:
            self.seen.update(listing)
            self.built.update({path: d for path, d in digests.items() if d is not None})

    def build_papers(self, changed: list[Path]) -> None:
        """Rebuild the papers saved since the last poll, each with its cover or appendices."""
        # A faulty boardpack.toml leaves none: the build reports it.
        appendices = MeetingFolder.open([self.folder], workbooks=False).settings.appendices
        done: set[Path] = set()
        for path in changed:
            if path in done:
                continue
            if _look(path) is None:
                # Renamed away or removed since it was seen: a program saving through a
                # temporary of a workbook's name. What it became is seen at the next look.
                continue
            group = _group(path, appendices)
            done.update(group)
            digests = {member: _digest(member) for member in group}
            if self._build("paper", group, pack=False) is None:
                continue  # not built (the folder went): tried again when it is back
            for member, digest in digests.items():
                if digest is not None:
                    self.built[member] = digest
            self.pack_due = time.monotonic()

    def _build(self, kind: str, sources: list[Path], *, pack: bool) -> BuildReport | None:
        started = time.perf_counter()
        try:
            report = build(
                sources,
                self.out,
                pack=pack,
                pdf_timeout=self.pdf_timeout,
                converter=self.convert,
                on_progress=self._unless_saved() if kind == "pack" else None,
            )
        except _Saved:
            # The saved paper first; the pack follows it, as after any save. The earlier pack
            # and papers stay in place, as after an interrupted build.
            self.on_event(Notice("pack: put off, a workbook was saved while it was built"))
            if self.convert is not None:
                self.convert.refill()
            self.pack_due = time.monotonic()  # again once the saves pause, whatever they changed
            return None
        except BoardpackError as exc:
            self.on_event(Rebuild(kind, None, time.perf_counter() - started, exc))
            return None
        except OSError as exc:  # the folder or the share went in the middle of the build
            error = BoardpackError(f"{exc.filename or self.folder}: {exc.strerror or exc}")
            self.on_event(Rebuild(kind, None, time.perf_counter() - started, error))
            return None
        self.on_event(Rebuild(kind, report, time.perf_counter() - started))
        return report

    def _unless_saved(self) -> Callable[[str, PaperResult], None]:
        """The pack's build's progress callback: it cuts the build short (_Saved) as soon as a
        workbook in the folder is saved, so that a save never waits for the whole pack. Only
        in the watch's own thread, where the build takes it as it takes Ctrl-C."""
        own, before = threading.get_ident(), _scan_or_none(self.folder)

        def unless_saved(stage: str, paper: PaperResult) -> None:
            if threading.get_ident() == own and _scan_or_none(self.folder) != before:
                raise _Saved

        return unless_saved

    def changes(self) -> list[Path] | None:
        """The workbooks saved, complete, with new content since they were last looked at;
        [folder] when boardpack.toml changed; None while the folder cannot be read."""
        listing = self._listing()
        if listing is None:
            return None
        changed: list[Path] = []
        for path, now in listing.items():
            if self.seen.get(path) == now:
                continue
            if path.name == SETTINGS_FILE:
                self.seen[path] = now
                return [self.folder]
            if not _complete(path):
                continue  # still being written: looked at again at the next poll
            digest = _digest(path)
            if digest is None or _look(path) != now:
                continue  # written to while it was read: looked at again at the next poll
            self.seen[path] = now
            if self.built.get(path) != digest:
                changed.append(path)
        gone = set(self.seen) - set(listing)
        for path in gone:  # removed, or renamed away for a moment by a save: forgotten
            del self.seen[path]
        if gone and any(p.name != SETTINGS_FILE for p in gone) and self.pack_due is None:
            self.pack_due = time.monotonic()
        return changed

    def _listing(self) -> dict[Path, _Seen] | None:
        """The folder's workbooks and boardpack.toml as they are now; None if it is unreachable
        (said once, and again when it is back)."""
        try:
            entries = _scan(self.folder)
        except OSError as exc:
            if self.reachable:
                self.reachable = False
                self.on_event(
                    Notice(
                        f"{self.folder} cannot be read ({exc.strerror or exc}); waiting for it"
                        " to come back"
                    )
                )
            return None
        if not self.reachable:
            self.reachable = True
            self.seen.clear()  # anything may have changed meanwhile: each is compared by content
            self.on_event(Notice(f"{self.folder} is back; rebuilding what changed"))
        return entries


def _scan(folder: Path) -> dict[Path, _Seen]:
    """The workbooks (as find_workbooks finds them) and settings file in `folder`, with their
    size, time and file id; raises OSError when the folder cannot be read."""
    found: dict[Path, _Seen] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            is_workbook = name.lower().endswith(WORKBOOK_SUFFIXES) and not name.startswith(
                ("~$", ".")
            )
            if not (is_workbook or name == SETTINGS_FILE):
                continue
            try:
                status = entry.stat()
            except OSError:
                continue  # removed between the listing and the look: a save renaming
            found[Path(entry.path)] = _Seen(status.st_size, status.st_mtime_ns, status.st_ino)
    return found


class _Saved(Exception):
    """A workbook was saved while the pack was being built."""


def _scan_or_none(folder: Path) -> dict[Path, _Seen] | None:
    try:
        return _scan(folder)
    except OSError:
        return None


def _look(path: Path) -> _Seen | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return _Seen(status.st_size, status.st_mtime_ns, status.st_ino)


def _complete(path: Path) -> bool:
    """Whether a workbook has been written to the end: its zip directory, written last, opens."""
    try:
        with zipfile.ZipFile(path) as package:
            return bool(package.namelist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def _digest(path: Path) -> str | None:
    try:
        return sha256_of(path)
    except OSError:
        return None


def _group(path: Path, appendices: dict[str, tuple[str, ...]]) -> list[Path]:
    """The workbooks built together with `path`: a cover report with its appendices, in order
    (boardpack.toml's `appendices`, whose names match papers' names in any case, as the build
    matches them), or the workbook alone."""
    try:
        named = {safe_stem(p.stem).casefold(): p for p in find_workbooks([path.parent])}
    except (BoardpackError, OSError):
        return [path]  # the folder went meanwhile: the build says so
    own = safe_stem(path.stem).casefold()
    for cover, names in appendices.items():
        members = [name.casefold() for name in (cover, *names)]
        if own in members:
            return [named[m] for m in members if m in named]
    return [path]
