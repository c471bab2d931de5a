"""The archive's index: one line per filed version, each chained to the one before by its hash.

ARCHIVE_DIR/index.jsonl holds, for every version ever filed and in the order they were filed,
the SHA-256 of its manifest's exact bytes, where it is, and the hash of the line before it. The
hash of the last line, the head, therefore stands for the whole archive: a clerk records it in
the minutes, and any version later deleted, added, edited or swapped, or any line of the index
changed, removed or re-hashed, no longer leads to that head.

The index is only ever extended, under a lock that one archiving run holds at a time, by writing
the old lines plus the new one to a temporary file, flushed to disk, and renaming it over the
index, so a reader sees the old index or the new one, never a part. A last line cut short all
the same (a disk that lost what it was told it had written, a copy stopped half way) is
reported and skipped: the lines before it are read, and the next filing goes on from them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from boardpack.errors import ArchiveError, Problem
from boardpack.files import TEMP_PREFIX, hold_lock
from boardpack.meeting.archive_fs import (
    READ_ONLY_FILE,
    check_real_folders,
    fsync_folder,
    read_regular,
)

__all__ = [
    "INDEX",
    "LOCK",
    "PENDING",
    "STAGING",
    "IndexEntry",
    "TornLine",
    "append_entry",
    "archive_lock",
    "find_archive",
    "read_index",
]

INDEX = "index.jsonl"
STAGING = ".staging"  # work in progress; never part of the archive
LOCK = "archive.lock"  # in staging: held by the one archiving run at a time
PENDING = "pending.json"  # in staging: the index entry of a version being moved into place
LOCK_WAIT = 60.0  # seconds to wait for another archiving run to finish
_SHA256 = re.compile(r"[0-9a-f]{64}")
_VERSION_DEPTH = 4  # <board>/<meeting date>/<paper>/vN below the archive folder
_FIELDS = {
    "number",
    "previous",
    "kind",
    "board",
    "meeting_date",
    "paper",
    "version",
    "folder",
    "manifest_sha256",
    "archived_at",
}


@dataclass(frozen=True)
class TornLine(Problem):
    """The index's last line, cut short (no line end): reported, skipped, the rest kept."""


@dataclass(frozen=True)
class IndexEntry:
    """One filed version as the index records it; `hash` is the SHA-256 of its line."""

    number: int  # 1 for the first version ever filed, then 2, 3 ...
    previous: str | None  # the hash of the line before, None for the first
    kind: str  # "paper" or "pack"
    board: str
    meeting_date: str
    paper: str
    version: str
    folder: str  # the version folder below the archive, with "/" between names
    manifest_sha256: str
    archived_at: str
    hash: str = ""

    def line(self) -> bytes:
        """The entry's line in the index, in canonical JSON, without the newline."""
        # Every field is text, a number or None, so no deep copy (asdict) is needed: reading a
        # long index is a few milliseconds, not most of a second, for `status`.
        data = {name: getattr(self, name) for name in _LINE_FIELDS}
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def new_entry(
    previous: IndexEntry | None,
    *,
    kind: str,
    board: str,
    meeting_date: str,
    paper: str,
    version: str,
    folder: str,
    manifest_sha256: str,
    archived_at: str,
) -> IndexEntry:
    """The entry that follows `previous` (None: the first), with its hash; ValueError if its
    folder could lead out of the archive."""
    _check_folder(folder)
    entry = IndexEntry(
        number=previous.number + 1 if previous else 1,
        previous=previous.hash if previous else None,
        kind=kind,
        board=board,
        meeting_date=meeting_date,
        paper=paper,
        version=version,
        folder=folder,
        manifest_sha256=manifest_sha256,
        archived_at=archived_at,
    )
    return _with_hash(entry)


def read_index(archive_dir: Path) -> tuple[list[IndexEntry], list[Problem]]:
    """Every entry of the index that can be read, oldest first, and what is wrong with it.

    Each problem is located at `index.jsonl:LINE`. An entry whose line is fine but does not
    follow the one before is kept (its version is still checked) and the break is a problem.
    A last line cut short is skipped, its problem a TornLine.
    Raises FileNotFoundError when there is no index, ArchiveError when it cannot be read.
    """
    path = archive_dir / INDEX
    try:
        data = read_regular(path)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ArchiveError(f"{path}: the archive's index cannot be read ({exc.strerror})") from exc
    entries: list[IndexEntry] = []
    problems: list[Problem] = []
    previous_hash: str | None = None
    restore = "restore index.jsonl from a backup"
    raw_lines = data.split(b"\n")
    if raw_lines[-1]:
        problems.append(
            TornLine(
                f"{INDEX}:{len(raw_lines)}",
                "the last line was cut short (it has no line end), so it is skipped and the"
                f" {len(raw_lines) - 1} lines before it are read; a version it recorded is not"
                f" in the index: {restore}",
            )
        )
    for number, raw in enumerate(raw_lines[:-1], 1):
        where = f"{INDEX}:{number}"
        try:
            entry = _parse_line(raw)
        except ValueError as exc:
            problems.append(Problem(where, f"is not an index entry ({exc}); {restore}"))
            previous_hash = hashlib.sha256(raw).hexdigest()
            continue
        if entry.previous != previous_hash:
            problems.append(
                Problem(
                    where,
                    "does not follow the line before it (the chain of hashes is broken): a"
                    f" line was changed, removed or inserted here; {restore}",
                )
            )
        if entry.number != number:
            problems.append(
                Problem(where, f"is numbered {entry.number}: lines were moved or cut; {restore}")
            )
        entries.append(entry)
        previous_hash = entry.hash
    return entries, problems


def head_of(entries: list[IndexEntry]) -> str | None:
    """The hash of the last entry: what a clerk records to prove the archive later."""
    return entries[-1].hash if entries else None


def append_entry(archive_dir: Path, *entries: IndexEntry) -> None:
    """Extend the index by some entries at once; the caller holds archive_lock and made them
    follow the index's last whole line (a last line cut short is dropped: read_index skips it
    and reported it). Returns once the new index is on disk."""
    path = archive_dir / INDEX
    try:
        old = read_regular(path)
    except FileNotFoundError:
        old = b""
    old = old[: old.rfind(b"\n") + 1]  # without a torn last line
    temporary = archive_dir / f"{TEMP_PREFIX}{INDEX}"
    temporary.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(temporary, flags, 0o644), "wb") as out:
        out.write(old + b"".join(entry.line() + b"\n" for entry in entries))
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, READ_ONLY_FILE)
    if os.name == "nt" and old:
        os.chmod(path, 0o644)  # Windows will not rename over a read-only file
    os.replace(temporary, path)
    fsync_folder(archive_dir)


@contextlib.contextmanager
def archive_lock(archive_dir: Path, *, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the archive's lock: one archiving run at a time files versions and extends the index.

    An operating-system lock (filelock), so it dies with the process however it ends.
    """
    check_real_folders(archive_dir, (STAGING,))  # a lock through a link would lock nothing here

    def unusable(exc: OSError) -> ArchiveError:
        return ArchiveError(
            f"{archive_dir}: cannot lock the archive ({exc.strerror or exc}); check the archive"
            " folder is writable"
        )

    try:
        (archive_dir / STAGING).mkdir(exist_ok=True)
    except OSError as exc:
        raise unusable(exc) from exc
    held = hold_lock(
        archive_dir / STAGING / LOCK,
        wait,
        busy=lambda: ArchiveError(
            f"{archive_dir}: another boardpack archive is filing papers here and did not finish"
            f" within {wait:.0f} s; run again when it has finished"
        ),
        unusable=unusable,
    )
    with held:
        yield


@contextlib.contextmanager
def lock_if_possible(archive_dir: Path, *, wait: float = LOCK_WAIT) -> Iterator[None]:
    """The archive's lock where it can be taken, so `verify` does not look at a half-made
    filing; an archive on read-only media, where nobody can be filing, is read without it."""
    try:
        if not (archive_dir / STAGING).is_dir():
            raise FileNotFoundError(archive_dir / STAGING)  # no archiving run was ever here
        lock = FileLock(archive_dir / STAGING / LOCK, timeout=wait)
        lock.acquire()
    except (OSError, Timeout):
        yield
        return
    try:
        yield
    finally:
        lock.release()


def find_archive(folder: Path) -> tuple[Path, tuple[str, ...]] | None:
    """The archive `folder` is in (the nearest folder at or above it with an index) and the
    names from there down to `folder`; None if it is in no archive."""
    folder = Path(os.path.abspath(folder))
    scope: tuple[str, ...] = ()
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / INDEX):
            return candidate, scope
        if len(scope) == _VERSION_DEPTH:
            return None
        scope = (candidate.name, *scope)
    return None


def _parse_line(raw: bytes) -> IndexEntry:
    """One line of the index, checked strictly."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or set(data) != _FIELDS:
        raise ValueError("not an object with the fields of an index entry")
    number, previous = data["number"], data["previous"]
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise ValueError("number is not a whole number from 1")
    if previous is not None and not (isinstance(previous, str) and _SHA256.fullmatch(previous)):
        raise ValueError("previous is not a SHA-256 in hex")
    text: dict[str, Any] = {}
    for key in _FIELDS - {"number", "previous"}:
        if not isinstance(data[key], str) or not data[key]:
            raise ValueError(f"{key} is missing or not text")
        text[key] = data[key]
    if not _SHA256.fullmatch(text["manifest_sha256"]):
        raise ValueError("manifest_sha256 is not a SHA-256 in hex")
    _check_folder(text["folder"])
    entry = IndexEntry(number=number, previous=previous, **text)
    if entry.line() != raw:
        raise ValueError("not written as boardpack writes it (canonical JSON)")
    return _with_hash(entry)


def _check_folder(folder: str) -> None:
    """A version folder below the archive, named so that it cannot lead out of it."""
    parts = folder.split("/")
    if len(parts) != _VERSION_DEPTH or any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise ValueError(f"folder {folder!r} is not a version folder below the archive")


def _with_hash(entry: IndexEntry) -> IndexEntry:
    """The entry with its hash filled in."""
    return replace(entry, hash=hashlib.sha256(entry.line()).hexdigest())


_LINE_FIELDS = tuple(f.name for f in fields(IndexEntry) if f.name != "hash")
