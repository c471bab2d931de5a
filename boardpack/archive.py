"""The archive: the council's record of every paper the board received, and the proof of it.

Each built paper is filed as ARCHIVE_DIR/<board>/<meeting date>/<paper>/vN/, holding its PDF,
its .docx, a copy of the workbook it was built from and a manifest.json with every file's SHA-256
and size. Nothing is ever overwritten: a changed paper for the same meeting becomes v2, v3 ...,
each naming the version it supersedes, and an identical paper is not stored twice. Archived
files are read-only.

A version is written in ARCHIVE_DIR/.staging and moved into place by one rename, so a run that
is killed at any moment leaves the archive as it was, and `verify_archive` still passes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from boardpack.errors import ArchiveError, Problem
from boardpack.files import RECORD_FOLDER, STALE_AFTER, safe_stem, sha256_of
from boardpack.records import (
    MANIFEST,
    MANIFEST_FORMAT,
    VERSION_NAME,
    Entry,
    Manifest,
    Record,
    read_manifest,
    read_record,
)

try:
    import fcntl
except ImportError:  # Windows: staging left by a killed run is recognised by its age instead
    fcntl = None  # type: ignore[assignment]

__all__ = ["ArchiveOutcome", "ArchiveReport", "PaperArchive", "archive_papers", "verify_archive"]

STAGING = ".staging"  # work in progress; never part of the archive, removed when abandoned


_READ_ONLY_FILE = 0o444
_READ_ONLY_FOLDER = 0o555

_LOCK_SUFFIX = ".lock"
_VERSION_DEPTH = 4  # <board>/<meeting date>/<paper>/vN below the archive folder
_MAX_ATTEMPTS = 100  # versions another archiver may take while this one is filing
_CHANGED = "was changed after the build"


class ArchiveOutcome(StrEnum):
    """What happened to one paper."""

    ARCHIVED = "archived"
    ALREADY_ARCHIVED = "already archived"
    REFUSED = "refused"


@dataclass
class PaperArchive:
    """The outcome for one built paper."""

    name: str
    outcome: ArchiveOutcome
    version: str | None = None  # the version that holds the paper ("v2"), unless refused
    supersedes: str | None = None  # for a new version: the version it follows, if any
    folder: Path | None = None  # the version folder, unless refused
    reason: str = ""  # when refused: what is wrong and what to do; otherwise a note, if any

    @property
    def error(self) -> ArchiveError | None:
        """The refusal as an error naming the paper, or None."""
        refused = self.outcome is ArchiveOutcome.REFUSED
        return ArchiveError(f"{self.name}: {self.reason}") if refused else None

    def __str__(self) -> str:
        if self.outcome is ArchiveOutcome.REFUSED:
            return f"{self.name}: refused: {self.reason}"
        text = f"{self.name}: {self.outcome} as {self.version}"
        if self.supersedes:
            text += f", superseding {self.supersedes}"
        return f"{text}; {self.reason}" if self.reason else text


@dataclass
class ArchiveReport:
    """Every built paper's outcome, in name order; `ok` is False if any was refused."""

    archive_dir: Path
    papers: list[PaperArchive] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no paper was refused."""
        return all(p.outcome is not ArchiveOutcome.REFUSED for p in self.papers)


def archive_papers(
    out_dir: Path, archive_dir: Path, *, now: datetime | None = None
) -> ArchiveReport:
    """File every paper built in `out_dir` into `archive_dir`; see ArchiveReport for the outcome.

    A refused paper does not stop the others: the report says why, and `report.ok` is False.
    ArchiveError is raised only when nothing can be archived at all (no build records in
    `out_dir`, or an archive folder that cannot be written). `now` is the time recorded as
    `archived_at` (default: the current time; a naive datetime is taken to be UTC).
    """
    out_dir, archive_dir = Path(out_dir), Path(archive_dir)
    records = _record_paths(out_dir)
    _open_archive(archive_dir)
    archived_at = _utc_iso(now or datetime.now(UTC))
    report = ArchiveReport(archive_dir)
    with _Staging(archive_dir) as staging:
        for record in records:
            report.papers.append(_archive_paper(record, out_dir, archive_dir, staging, archived_at))
    return report


def verify_archive(archive_dir: Path) -> list[Problem]:
    """Re-hash every archived file; each missing, changed or unlisted file, or [] if all is well.

    A manifest that cannot be read is a problem too, as is a version folder without one. Raises
    ArchiveError if `archive_dir` is not an existing folder.
    """
    archive_dir = Path(archive_dir)
    if not archive_dir.is_dir():
        raise ArchiveError(f"{archive_dir}: no such archive folder")
    problems: list[Problem] = []
    files: set[Path] = set()
    version_folders: list[Path] = []

    def unreadable(exc: OSError) -> None:
        where = os.path.relpath(exc.filename or archive_dir, archive_dir)
        problems.append(Problem(Path(where).as_posix(), f"cannot be read ({exc.strerror})"))

    for top, folders, names in os.walk(archive_dir, onerror=unreadable):
        here = Path(top).relative_to(archive_dir)
        if not here.parts:
            folders[:] = [f for f in folders if f != STAGING]
        for name in list(folders):
            if (Path(top) / name).is_symlink():  # a link is never archived; os.walk skips it
                folders.remove(name)
                files.add(here / name)
        files.update(here / name for name in names)
        if len(here.parts) == _VERSION_DEPTH:
            version_folders.append(here)

    listed: set[Path] = set()
    unknown: set[Path] = set()  # folders whose manifest cannot be read: their files are unknown
    for folder in sorted(version_folders):
        problems.extend(_verify_version(archive_dir, folder, listed, unknown))
    for path in sorted(files - listed):
        if not any(folder in path.parents for folder in unknown):
            problems.append(
                Problem(path.as_posix(), "not listed in any manifest: it was added afterwards")
            )
    return sorted(problems, key=lambda p: p.where)


# --- filing one paper ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """One file to archive: where it is now, its name in the archive, and its built hash."""

    role: str
    path: Path
    name: str
    sha256: str


@dataclass(frozen=True)
class _Version:
    """A version already in the archive."""

    number: int
    folder: Path
    manifest: Manifest

    @property
    def name(self) -> str:
        """The version's folder name, e.g. v2."""
        return f"v{self.number}"


def _archive_paper(
    record_path: Path, out_dir: Path, archive_dir: Path, staging: _Staging, archived_at: str
) -> PaperArchive:
    """File one built paper, or say why not."""
    name = record_path.stem
    try:
        record = read_record(record_path)
        name = record.name
        parts = _check_built_files(record, out_dir)
        place = (safe_stem(record.board), record.meeting_date, record.name)
        paper_dir = archive_dir.joinpath(*place)
        same, latest = _compare(_versions(paper_dir, archive_dir), record)
        if same is not None:
            return _already(record, same, latest)
        staged = staging.new_folder()
        entries = [_stage(part, staged) for part in parts]
        for _ in range(_MAX_ATTEMPTS):
            # Read afresh each time: another archiver may have filed a version meanwhile.
            same, latest = _compare(_versions(paper_dir, archive_dir), record)
            if same is not None:
                return _already(record, same, latest)
            version = f"v{latest.number + 1 if latest else 1}"
            manifest = _manifest_for(record, version, latest, entries, archived_at)
            _write_manifest(staged, manifest)
            if _place(staged, archive_dir, (*place, version)):
                folder = paper_dir / version
                _seal(folder)
                return PaperArchive(
                    name, ArchiveOutcome.ARCHIVED, version, latest.name if latest else None, folder
                )
        raise ArchiveError(
            f"other archivers kept taking the next version number in {paper_dir}; run again"
        )
    except ArchiveError as exc:
        return PaperArchive(name, ArchiveOutcome.REFUSED, reason=str(exc))
    except OSError as exc:
        return PaperArchive(
            name,
            ArchiveOutcome.REFUSED,
            reason=f"could not file it in the archive ({exc.strerror or exc}"
            + (f": {exc.filename}" if exc.filename else "")
            + "); the archive is unchanged. Check the disk has space and the archive folder"
            " is writable, then run again",
        )


def _already(record: Record, same: _Version, latest: _Version | None) -> PaperArchive:
    """The outcome for a paper the archive already holds, once its copy is checked intact."""
    damage = _check_files(same.folder, same.manifest, same.folder)
    if damage:
        raise ArchiveError(
            f"it is archived as {same.name}, but that copy is damaged ({damage[0]}); run"
            " boardpack verify and restore the archive from a backup before archiving"
        )
    note = ""
    if latest is not None and latest.number > same.number:
        note = f"{latest.name}, archived after it, differs"
    return PaperArchive(
        record.name, ArchiveOutcome.ALREADY_ARCHIVED, same.name, folder=same.folder, reason=note
    )


def _check_built_files(record: Record, out_dir: Path) -> list[_Part]:
    """The files to archive, once they are shown to be exactly what the build made."""
    faults: list[str] = []
    workbook = _fault(record.source, record.source_sha256)
    if workbook == _CHANGED:
        faults.append("the workbook changed after the build")
    elif workbook:
        faults.append(f"the workbook {record.source} it was built from {workbook}")
    docx = out_dir / record.docx
    pdf = out_dir / record.pdf if record.pdf else None
    outputs = [(docx, _fault(docx, record.docx_sha256))]
    if pdf is None:
        faults.append("it was built without a PDF (--no-pdf)")
    else:
        outputs.append((pdf, _fault(pdf, record.pdf_sha256 or "")))
    faults.extend(f"{path} {fault}" for path, fault in outputs if fault)
    if faults:
        advice = "run boardpack build again" + (" without --no-pdf" if pdf is None else "")
        advice += " before archiving"
        if any(fault == _CHANGED for _, fault in outputs):
            advice += " (the archive takes papers only as built: make changes in the workbook)"
        raise ArchiveError("; ".join(faults) + "; " + advice)
    assert pdf is not None and record.pdf_sha256 is not None
    return [
        _Part("pdf", pdf, f"{record.name}.pdf", record.pdf_sha256),
        _Part("docx", docx, f"{record.name}.docx", record.docx_sha256),
        _Part(
            "workbook",
            record.source,
            record.name + record.source.suffix.lower(),
            record.source_sha256,
        ),
    ]


def _fault(path: Path, sha256: str) -> str | None:
    """What is wrong with a file the build made or read, or None if it is as it was then."""
    try:
        if sha256_of(path) == sha256:
            return None
    except FileNotFoundError:
        return "is missing"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return _CHANGED


def _compare(versions: list[_Version], record: Record) -> tuple[_Version | None, _Version | None]:
    """The version identical to the built paper, if any, and the latest version, if any."""
    # Identity is the .docx hash plus the workbook hash, never the PDF's: LibreOffice writes a
    # fresh creation time and document ID into every PDF, so rebuilding an unchanged paper gives
    # a different PDF, while the .docx is byte-for-byte the same for the same workbook. The PDF
    # is made from that .docx, so the two hashes pin down what the board received.
    same = next(
        (
            v
            for v in versions
            if v.manifest.digest("docx") == record.docx_sha256
            and v.manifest.source_sha256 == record.source_sha256
        ),
        None,
    )
    latest = versions[-1] if versions else None
    if same is None and latest is not None:
        held = latest.manifest
        if (held.project, held.board) != (record.project, record.board):
            raise ArchiveError(
                f"the archive already holds a different paper named {record.name} for this"
                f" meeting ({latest.folder}, project {held.project!r}, board {held.board!r});"
                f" this one is project {record.project!r}, board {record.board!r}. Rename one"
                " workbook so each paper has its own name, build again and archive"
            )
    return same, latest


def _versions(paper_dir: Path, archive_dir: Path) -> list[_Version]:
    """The versions of a paper already archived, oldest first; ArchiveError if one is damaged."""
    if not paper_dir.is_dir():
        return []
    versions = []
    for folder in paper_dir.iterdir():
        match = VERSION_NAME.fullmatch(folder.name)
        if match is None:
            continue
        try:
            manifest = read_manifest(folder / MANIFEST)
        except ValueError as exc:
            raise ArchiveError(
                f"the archive's {folder.relative_to(archive_dir)} is damaged ({exc}); run"
                " boardpack verify and restore it from a backup before archiving"
            ) from exc
        # A run killed between filing a version and making it read-only left it writable.
        _seal(folder)
        versions.append(_Version(int(match[1]), folder, manifest))
    return sorted(versions, key=lambda v: v.number)


def _manifest_for(
    record: Record,
    version: str,
    previous: _Version | None,
    entries: list[Entry],
    archived_at: str,
) -> dict[str, Any]:
    """The manifest of a new version, as JSON data."""
    return {
        "manifest_format": MANIFEST_FORMAT,
        "paper": record.name,
        "project": record.project,
        "board": record.board,
        "meeting_date": record.meeting_date,
        "version": version,
        "supersedes": previous.name if previous else None,
        # Chains the versions: a later change to the superseded manifest is then detectable.
        "supersedes_manifest_sha256": (sha256_of(previous.folder / MANIFEST) if previous else None),
        "archived_at": archived_at,
        "boardpack_version": record.boardpack_version,
        "source": str(record.source),
        "source_sha256": record.source_sha256,
        "files": [
            {"name": e.name, "role": e.role, "sha256": e.sha256, "size": e.size} for e in entries
        ],
    }


# --- writing the archive safely -------------------------------------------------------------


def _stage(part: _Part, staged: Path) -> Entry:
    """Copy one file into the staging folder and check the copy is the file that was built."""
    digest, size = _copy_file(part.path, staged / part.name)
    # Hash what was copied, not what was checked before: the file may change in between.
    if digest != part.sha256:
        raise ArchiveError(
            f"{part.path} changed while it was being archived; run boardpack build and"
            " boardpack archive again"
        )
    return Entry(part.name, part.role, digest, size)


def _copy_file(source: Path, target: Path) -> tuple[str, int]:
    """Copy a file, flushed to disk and made read-only; the SHA-256 and size of what was copied."""
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as data:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(target, flags, 0o644), "wb") as out:
            for block in iter(lambda: data.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
                size += len(block)
            out.flush()
            os.fsync(out.fileno())
    os.chmod(target, _READ_ONLY_FILE)
    return digest.hexdigest(), size


def _write_manifest(staged: Path, manifest: dict[str, Any]) -> None:
    """Write (or, after losing a version number to another archiver, rewrite) the manifest."""
    path = staged / MANIFEST
    path.unlink(missing_ok=True)
    data = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags, 0o644), "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(path, _READ_ONLY_FILE)
    _fsync_folder(staged)


def _place(staged: Path, archive_dir: Path, parts: tuple[str, ...]) -> bool:
    """Move the staged version to archive_dir/parts in one rename; False if the place is taken.

    Folders above the version that do not exist yet are built around it in staging and the
    topmost one is renamed into the archive, so a run killed at any moment leaves no empty
    folders behind either.
    """
    missing = next(
        (i for i in range(len(parts)) if not archive_dir.joinpath(*parts[: i + 1]).exists()),
        None,
    )
    if missing is None:
        return False
    moving, holder = staged, None
    if missing < len(parts) - 1:
        holder = staged.with_name(f"{staged.name}-up")
        bottom = holder.joinpath(*parts[missing:-1])
        bottom.mkdir(parents=True)
        os.rename(staged, bottom / parts[-1])
        for folder in (bottom, *bottom.parents):
            _fsync_folder(folder)
            if folder == holder:
                break
        moving = holder / parts[missing]
    target = archive_dir.joinpath(*parts[: missing + 1])
    try:
        # The commit point. rename() never replaces a folder that has anything in it, so when
        # two archivers pick the same version number, one of them fails here and tries the next.
        os.rename(moving, target)
    except OSError:
        if holder is not None:
            os.rename(holder.joinpath(*parts[missing:]), staged)
            shutil.rmtree(holder, ignore_errors=True)
        if target.exists():
            return False
        raise
    _fsync_folder(target.parent)
    return True


def _seal(folder: Path) -> None:
    """Make a version folder and its files read-only (where they are not already)."""
    with contextlib.suppress(OSError):
        files = [p for p in folder.iterdir() if p.is_file() and not p.is_symlink()]
        for path, mode in [*((f, _READ_ONLY_FILE) for f in files), (folder, _READ_ONLY_FOLDER)]:
            if path.stat().st_mode & 0o777 != mode:
                path.chmod(mode)


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk, so a rename in it survives a power cut."""
    if os.name != "posix":
        return  # Windows cannot open a folder to flush it; NTFS journals renames itself
    # Best effort: some network and FUSE file systems refuse to flush a folder, and a failure
    # here, after the commit, must not be reported as a paper that was not archived.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _Staging:
    """This run's own folder in ARCHIVE_DIR/.staging, locked so that other runs leave it alone.

    Each run holds an exclusive lock on `<token>.lock` while it uses `<token>/`. The lock dies
    with the process however it ends, so a folder whose lock can be taken was left by a run that
    was killed, and is removed; a concurrent run's folder is not touched.
    """

    def __init__(self, archive_dir: Path) -> None:
        self.root = archive_dir / STAGING
        self.folder = self.root
        self._lock_path = self.root
        self._lock: int | None = None
        self._count = 0

    def __enter__(self) -> _Staging:
        try:
            self.root.mkdir(exist_ok=True)
            _remove_abandoned(self.root)
            for _ in range(10):
                token = secrets.token_hex(8)
                lock_path = self.root / f"{token}{_LOCK_SUFFIX}"
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
                # Another run's cleanup may have taken and deleted the new lock file before it
                # was locked; the folder must then not be made under a lock nobody can see.
                if _try_lock(fd) and _still_at(fd, lock_path):
                    self._lock, self._lock_path = fd, lock_path
                    self.folder = self.root / token
                    self.folder.mkdir()
                    return self
                os.close(fd)
        except OSError as exc:
            raise ArchiveError(
                f"{self.root}: cannot prepare the archive ({exc.strerror or exc}); check the"
                " archive folder is writable"
            ) from exc
        raise ArchiveError(f"{self.root}: could not lock a staging folder; run again")

    def new_folder(self) -> Path:
        """A new empty folder to stage one version in."""
        self._count += 1
        folder = self.folder / str(self._count)
        folder.mkdir()
        return folder

    def __exit__(self, *exc_info: object) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            self._lock_path.unlink()
        if self._lock is not None:
            os.close(self._lock)


def _remove_abandoned(root: Path) -> None:
    """Delete staging folders left by killed runs; those of running archivers stay."""
    for lock_path in root.glob(f"*{_LOCK_SUFFIX}"):
        try:
            fd = os.open(lock_path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _abandoned(fd, lock_path):
                shutil.rmtree(root / lock_path.name.removesuffix(_LOCK_SUFFIX), ignore_errors=True)
                lock_path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    for entry in root.iterdir():
        # A run makes its lock before its folder and deletes it after, so a folder without a
        # lock belongs to nobody.
        unlocked = not (root / f"{entry.name}{_LOCK_SUFFIX}").exists()
        if entry.is_dir() and not entry.is_symlink() and unlocked:
            shutil.rmtree(entry, ignore_errors=True)


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on an open file without waiting; False if another process has it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _abandoned(fd: int, lock_path: Path) -> bool:
    """Whether the run that made this lock file has ended."""
    if fcntl is None:
        return time.time() - os.fstat(fd).st_mtime > STALE_AFTER
    return _try_lock(fd) and _still_at(fd, lock_path)


def _still_at(fd: int, path: Path) -> bool:
    """Whether the open file is still the one at `path` (and was not deleted meanwhile)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


# --- reading records and manifests ----------------------------------------------------------


def _record_paths(out_dir: Path) -> list[Path]:
    """The build records in an output folder; ArchiveError when there are none."""
    if not out_dir.is_dir():
        raise ArchiveError(f"{out_dir}: no such folder of built papers")
    folder = out_dir / RECORD_FOLDER
    # Names starting with "." are temporaries of a build still writing its records.
    records = sorted(p for p in folder.glob("*.json") if not p.name.startswith(".") and p.is_file())
    if not records:
        raise ArchiveError(
            f"{out_dir}: no built papers to archive (no build records in {folder});"
            " run boardpack build first"
        )
    return records


def _open_archive(archive_dir: Path) -> None:
    """Create the archive folder if need be, or say plainly why it cannot be used."""
    if archive_dir.exists() and not archive_dir.is_dir():
        raise ArchiveError(f"{archive_dir}: this is a file, not an archive folder")
    try:
        archive_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveError(
            f"{archive_dir}: cannot create the archive folder ({exc.strerror})"
        ) from exc
    if not os.access(archive_dir, os.W_OK | os.X_OK):
        raise ArchiveError(f"{archive_dir}: the archive folder is not writable")


def _utc_iso(moment: datetime) -> str:
    """A time as UTC ISO 8601 to the second, e.g. 2008-01-20T09:30:00Z."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- verifying --------------------------------------------------------------------------------


def _verify_version(
    archive_dir: Path, folder: Path, listed: set[Path], unknown: set[Path]
) -> list[Problem]:
    """Check one version folder against its manifest, noting the files the manifest lists."""
    where = folder / MANIFEST
    try:
        manifest = read_manifest(archive_dir / where)
    except ValueError as exc:
        if (archive_dir / where).exists():
            listed.add(where)
            unknown.add(folder)
            return [
                Problem(where.as_posix(), f"cannot be read: {exc}; nothing beside it is proven")
            ]
        return [Problem(folder.as_posix(), f"has no {MANIFEST}; nothing in it is proven")]
    listed.add(where)
    listed.update(folder / entry.name for entry in manifest.files)
    problems = _check_files(archive_dir / folder, manifest, folder)
    board, meeting_date, paper, version = folder.parts
    if manifest.version != version:
        problems.append(
            Problem(where.as_posix(), f"is the manifest of {manifest.version}, not of {version}")
        )
    if (safe_stem(manifest.board), manifest.meeting_date, manifest.paper) != (
        board,
        meeting_date,
        paper,
    ):
        problems.append(
            Problem(
                where.as_posix(),
                f"is for {manifest.paper} at {manifest.board} on {manifest.meeting_date}:"
                " it is in the wrong folder",
            )
        )
    if manifest.supersedes is not None:
        previous = archive_dir / folder.parent / manifest.supersedes / MANIFEST
        if not previous.is_file():
            problems.append(
                Problem(
                    where.as_posix(),
                    f"supersedes {manifest.supersedes}, which is missing from the archive",
                )
            )
        elif sha256_of(previous) != manifest.supersedes_manifest_sha256:
            problems.append(
                Problem(
                    where.as_posix(),
                    f"supersedes {manifest.supersedes}, whose manifest has changed since",
                )
            )
    return problems


def _check_files(folder: Path, manifest: Manifest, where: Path) -> list[Problem]:
    """Each file a manifest lists that is missing or differs from it."""
    problems = []
    for entry in manifest.files:
        path = folder / entry.name
        at = (where / entry.name).as_posix()
        restore = "restore it from a backup"
        if path.is_symlink() or (path.exists() and not path.is_file()):
            problems.append(
                Problem(at, f"is not the archived file but a link or folder; {restore}")
            )
            continue
        try:
            size = path.stat().st_size
            digest = sha256_of(path) if size == entry.size else ""
        except FileNotFoundError:
            problems.append(Problem(at, f"missing: the manifest lists it; {restore}"))
            continue
        except OSError as exc:
            problems.append(Problem(at, f"cannot be read ({exc.strerror})"))
            continue
        if size != entry.size:
            problems.append(
                Problem(at, f"changed: {size} bytes, the manifest says {entry.size}; {restore}")
            )
        elif digest != entry.sha256:
            problems.append(
                Problem(at, f"changed: its SHA-256 differs from the manifest's; {restore}")
            )
    return problems
