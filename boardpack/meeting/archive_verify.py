"""`verify`: the archive checked against its index, and its index against the archive.

Every version the index lists must be in its folder with the manifest whose hash the index holds,
and every file that manifest lists must hash as it says; every folder and file in the archive
must belong to a version the index lists. So a deleted, added, forged, edited or swapped version,
paper or meeting is named, as is a break in the index's chain of hashes. Manifests and archived
files must be plain files (no links, FIFOs or devices) and read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from boardpack.errors import ArchiveError, Problem
from boardpack.files import TEMP_PREFIX, safe_stem
from boardpack.meeting.archive_fs import NotARegularFile, hash_regular, kind_of, read_regular
from boardpack.meeting.archive_index import (
    INDEX,
    PENDING,
    STAGING,
    IndexEntry,
    append_entry,
    archive_lock,
    find_archive,
    head_of,
    lock_if_possible,
    new_entry,
    read_index,
)
from boardpack.meeting.records import MANIFEST, VERSION_NAME, Manifest, parse_manifest
from boardpack.meeting.send_log import SEND_LOG

__all__ = ["Verification", "adopt_archive", "check_files", "verify_archive"]

_VERSION_DEPTH = 4  # <board>/<meeting date>/<paper>/vN below the archive folder
_HEAD = re.compile(r"[0-9a-f]{64}")
_RESTORE = "restore it from a backup"
_READABLE = "check that the account running verify may read the archive, then run it again"
_LEVELS = {1: "board", 2: "meeting", 3: "paper"}


@dataclass
class Verification:
    """What `verify` found: every problem, located, and the index's head hash."""

    archive_dir: Path  # the archive's own folder (the one holding the index)
    scope: str  # the part verified, below archive_dir ("" for all of it)
    head: str | None  # the hash of the index's last entry
    versions: int = 0  # versions checked
    problems: list[Problem] = field(default_factory=list)
    filed_since: list[IndexEntry] = field(default_factory=list)  # after the expected head

    @property
    def ok(self) -> bool:
        """Whether nothing is wrong."""
        return not self.problems


def verify_archive(folder: Path, *, expect: str | None = None) -> Verification:
    """Check an archive, or the part of one at `folder`, against its index.

    `expect` is a head hash recorded earlier (in the minutes): it is a problem when the index no
    longer holds it; versions filed after it are listed in `filed_since`. Raises ArchiveError
    when `folder` is not an existing folder in an archive.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ArchiveError(f"{folder}: no such archive folder")
    if expect is not None and not _HEAD.fullmatch(expect):
        raise ArchiveError(f"--expect {expect}: a head hash is 64 hex digits, as verify prints it")
    found = find_archive(folder)
    if found is None:
        if holds_versions(folder):
            raise ArchiveError(no_index_message(folder))
        raise ArchiveError(
            f"{folder} holds no boardpack archive (no {INDEX} in it or the folders above it),"
            " so nothing in it is proven; give the folder that boardpack archive --to filed into"
        )
    root, scope = found
    with lock_if_possible(root):
        entries, chain = read_index(root)
        return _Verifier(root, scope).run(entries, chain, expect)


def adopt_archive(folder: Path) -> Verification:
    """Give an archive made before the index its index, once every version in it is shown
    whole (as verify would show it, with the index its manifests make); the verification.

    Raises ArchiveError, listing every problem, when anything in it is wrong: then nothing is
    written, and the versions must be put right from a backup first.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ArchiveError(f"{folder}: no such archive folder")
    with archive_lock(folder):
        if os.path.lexists(folder / INDEX):
            raise ArchiveError(f"{folder} has an index already; boardpack verify checks it")
        entries, unreadable = _entries_from_manifests(folder)
        if not entries and not unreadable:
            raise ArchiveError(f"{folder} holds no archived versions to adopt")
        result = _Verifier(folder, ()).run(entries, unreadable, None, adopting=True)
        if not result.ok:
            lines = "\n".join(f"  {p}" for p in result.problems)
            count = len(result.problems)
            raise ArchiveError(
                f"{folder} cannot be adopted: {count} problem{'s' * (count > 1)}; restore what"
                f" is named from a backup and run again. Nothing was written:\n{lines}"
            )
        append_entry(folder, *entries)
        return result


def _entries_from_manifests(folder: Path) -> tuple[list[IndexEntry], list[Problem]]:
    """The index an old archive's manifests make: each paper's versions in order, the papers
    in the order they were filed; and each manifest that cannot be read."""
    found: list[tuple[str, int, str, Manifest, str]] = []
    problems = []
    for path in sorted(folder.glob(f"*/*/*/v*/{MANIFEST}")):
        where = path.relative_to(folder).parent.as_posix()
        number = VERSION_NAME.fullmatch(path.parent.name)
        if number is None or not path.parent.is_dir() or path.parent.is_symlink():
            continue  # named as not in the index by the verifier
        try:
            data = read_regular(path)
            manifest = parse_manifest(data)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            problems.append(Problem(f"{where}/{MANIFEST}", f"cannot be read: {reason}"))
            continue
        found.append((where.rsplit("/", 1)[0], int(number[1]), where, manifest, _sha256(data)))
    # A paper's versions in number order, each taken to be filed no earlier than the one it
    # supersedes, so a clock set back between two versions cannot reorder them.
    filed: dict[str, str] = {}
    ordered = []
    for paper, _, where, manifest, digest in sorted(found, key=lambda f: (f[0], f[1])):
        filed[paper] = max(filed.get(paper, ""), manifest.archived_at)
        ordered.append((filed[paper], where, manifest, digest))
    entries: list[IndexEntry] = []
    for _, where, manifest, digest in sorted(ordered, key=lambda f: (f[0], f[1])):
        entries.append(
            new_entry(
                entries[-1] if entries else None,
                kind=manifest.kind,
                board=manifest.board,
                meeting_date=manifest.meeting_date,
                paper=manifest.paper,
                version=manifest.version,
                folder=where,
                manifest_sha256=digest,
                archived_at=manifest.archived_at,
            )
        )
    return entries, problems


def holds_versions(folder: Path) -> bool:
    """Whether a folder is, or is part of, an archive of versions (folders with a manifest)."""
    # No deeper than an archive's own depth: verify may be pointed at any large folder.
    patterns = ("*/" * depth + f"v*/{MANIFEST}" for depth in range(_VERSION_DEPTH))
    return any(any(folder.glob(pattern)) for pattern in patterns)


def no_index_message(folder: Path) -> str:
    """What to tell a clerk whose archive holds versions but no index."""
    return (
        f"{folder} holds archived versions but no {INDEX}, so nothing proves it whole: either"
        f" its {INDEX} was deleted (restore it from a backup) or it was made by a boardpack"
        " from before the index (check it against your backup, then run boardpack verify --adopt"
        f" {folder} once to index what it holds)"
    )


def check_files(folder: Path, manifest: Manifest, where: Path) -> list[Problem]:
    """Each file a manifest lists that is missing, not a plain file or differs from it."""
    problems = []
    for entry in manifest.files:
        at = (where / entry.name).as_posix()
        try:
            digest, size = hash_regular(folder / entry.name)
        except FileNotFoundError:
            problems.append(Problem(at, f"missing: the manifest lists it; {_RESTORE}"))
            continue
        except NotARegularFile as exc:
            problems.append(Problem(at, f"{exc.strerror}: not the archived file; {_RESTORE}"))
            continue
        except OSError as exc:
            problems.append(Problem(at, f"cannot be read ({exc.strerror}); {_READABLE}"))
            continue
        if size != entry.size:
            problems.append(
                Problem(at, f"changed: {size} bytes, the manifest says {entry.size}; {_RESTORE}")
            )
        elif digest != entry.sha256:
            problems.append(
                Problem(at, f"changed: its SHA-256 differs from the manifest's; {_RESTORE}")
            )
    return problems


class _Verifier:
    """One run of verify over an archive, or over the part of it named by `scope`."""

    def __init__(self, root: Path, scope: tuple[str, ...]) -> None:
        self.root, self.scope = root, scope
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        """Note one problem."""
        self.problems.append(Problem(where, message))

    def run(
        self,
        entries: list[IndexEntry],
        chain: list[Problem],
        expect: str | None,
        *,
        adopting: bool = False,
    ) -> Verification:
        """Check everything in scope against these entries of the index; the verification."""
        self.problems.extend(chain)
        if not entries and not chain:
            self.add(INDEX, "lists no versions: nothing has been archived here yet")
        if not adopting:
            self._check_index_file()
        result = Verification(self.root, "/".join(self.scope), head_of(entries))
        if expect is not None:
            hashes = [e.hash for e in entries]
            if expect in hashes:
                result.filed_since = entries[hashes.index(expect) + 1 :]
            else:
                self.add(
                    INDEX,
                    f"no longer holds {expect}, the head recorded earlier: the index was cut"
                    " short or rewritten since; restore the archive from the backup that ends"
                    " at it",
                )
        in_scope = [(e, p) for e, p in self._sequence(entries) if self._covers(e.folder)]
        result.versions = len(in_scope)
        if self.scope and entries and not in_scope:
            self.add(
                "/".join(self.scope),
                "holds no version the index lists: nothing here was filed by boardpack archive",
            )
        present = self._check_present(in_scope)
        for entry, previous in present:
            self._check_version(entry, previous)
        self._check_unlisted({e.folder for e in entries})
        result.problems = sorted(self.problems, key=lambda p: p.where)
        return result

    def _covers(self, folder: str) -> bool:
        """Whether a path below the archive is in the part being verified."""
        return tuple(folder.split("/"))[: len(self.scope)] == self.scope

    def _check_index_file(self) -> None:
        """The index must be read-only, like the versions it lists."""
        self._check_mode(self.root / INDEX, INDEX)

    def _sequence(self, entries: list[IndexEntry]) -> list[tuple[IndexEntry, IndexEntry | None]]:
        """Each entry with the entry of the version it supersedes; each paper's versions must
        be listed as v1, v2 ... in order, each once."""
        seen: dict[str, list[IndexEntry]] = defaultdict(list)
        ordered = []
        for entry in entries:
            paper = entry.folder.rsplit("/", 1)[0]
            earlier = seen[paper]
            expected = f"v{len(earlier) + 1}"
            if entry.version != expected or entry.folder != f"{paper}/{entry.version}":
                self.add(
                    f"{INDEX}:{entry.number}",
                    f"lists {entry.folder} as {entry.version}, where {paper}/{expected} should"
                    " come next: the index was edited; restore index.jsonl from a backup",
                )
                continue
            ordered.append((entry, earlier[-1] if earlier else None))
            earlier.append(entry)
        return ordered

    def _check_present(
        self, entries: list[tuple[IndexEntry, IndexEntry | None]]
    ) -> list[tuple[IndexEntry, IndexEntry | None]]:
        """The entries whose folders are there; each missing one is named, a whole missing
        paper, meeting or board once."""
        missing: dict[str, list[IndexEntry]] = defaultdict(list)
        present = []
        for entry, previous in entries:
            parts = entry.folder.split("/")
            for depth in range(1, _VERSION_DEPTH + 1):
                path = self.root.joinpath(*parts[:depth])
                try:
                    mode = os.lstat(path).st_mode
                except FileNotFoundError:
                    missing["/".join(parts[:depth])].append(entry)
                    break
                if not stat.S_ISDIR(mode):
                    break  # a link or file in the folder's place: named by _check_unlisted
            else:
                present.append((entry, previous))
        for where, lost in missing.items():
            self.add(where, _missing_message(where, lost))
        return present

    def _check_version(self, entry: IndexEntry, previous: IndexEntry | None) -> None:
        """One version folder against its index entry and its manifest."""
        folder = self.root / entry.folder
        where = f"{entry.folder}/{MANIFEST}"
        line = f"{INDEX}:{entry.number}"
        try:
            data = read_regular(folder / MANIFEST)
        except FileNotFoundError:
            self.add(where, f"missing: the index lists this version ({line}); {_RESTORE}")
            self._check_extra(folder, entry.folder, None)
            return
        except NotARegularFile as exc:
            self.add(where, f"{exc.strerror}: not the version's manifest; {_RESTORE}")
            return
        except OSError as exc:
            self.add(where, f"cannot be read ({exc.strerror}); {_READABLE}")
            return
        self._check_mode(folder / MANIFEST, where)
        if _sha256(data) != entry.manifest_sha256:
            self.add(
                where,
                f"changed since it was filed: its SHA-256 differs from the one in {line}, so"
                f" nothing beside it is proven; restore this version from a backup",
            )
            return
        try:
            manifest = parse_manifest(data)
        except ValueError as exc:
            self.add(where, f"cannot be read: {exc}; {_RESTORE}")
            return
        self._check_manifest(manifest, entry, previous, where)
        problems = check_files(folder, manifest, Path(entry.folder))
        self.problems.extend(problems)
        broken = {p.where for p in problems}
        for item in manifest.files:
            at = f"{entry.folder}/{item.name}"
            if at not in broken:
                self._check_mode(folder / item.name, at)
        self._check_extra(folder, entry.folder, manifest)
        if os.name == "posix":  # Windows has no read-only folders
            self._check_mode(folder, entry.folder)

    def _check_manifest(
        self, manifest: Manifest, entry: IndexEntry, previous: IndexEntry | None, where: str
    ) -> None:
        """A manifest must say what the index says of its version, and where it is."""
        said = (manifest.kind, manifest.board, manifest.meeting_date, manifest.paper)
        indexed = (entry.kind, entry.board, entry.meeting_date, entry.paper)
        place = f"{safe_stem(manifest.board)}/{manifest.meeting_date}/{manifest.paper}"
        if said != indexed or manifest.version != entry.version:
            self.add(
                where, f"does not describe the version {INDEX}:{entry.number} lists; {_RESTORE}"
            )
        elif f"{place}/{manifest.version}" != entry.folder:
            self.add(
                where, f"is for {place}/{manifest.version}: it is in the wrong folder; {_RESTORE}"
            )
        supersedes = previous.version if previous else None
        previous_sha = previous.manifest_sha256 if previous else None
        if (manifest.supersedes, manifest.supersedes_manifest_sha256) != (supersedes, previous_sha):
            self.add(
                where, f"does not supersede {supersedes or 'nothing'} as the index says; {_RESTORE}"
            )

    def _check_extra(self, folder: Path, where: str, manifest: Manifest | None) -> None:
        """Files in a version folder that its manifest does not list."""
        listed = {MANIFEST, *(e.name for e in manifest.files)} if manifest else {MANIFEST}
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            self.add(where, f"cannot be read ({exc.strerror}); {_READABLE}")
            return
        for name in names:
            if name not in listed:
                self.add(
                    f"{where}/{name}",
                    "not listed in its manifest: it was added afterwards; remove it",
                )

    def _check_unlisted(self, indexed: set[str]) -> None:
        """Every folder and file in scope that belongs to no version the index lists."""
        pending = self._pending_folder()
        folders = indexed | ({pending} if pending else set())
        on_the_way = {"/".join(f.split("/")[:depth]) for f in folders for depth in range(1, 4)}
        start = self.root.joinpath(*self.scope)
        if len(self.scope) >= _VERSION_DEPTH:
            return  # a version folder's own files are checked against its manifest
        stack = [(start, self.scope)]
        while stack:
            path, parts = stack.pop()
            try:
                children = sorted(os.scandir(path), key=lambda e: e.name)
            except OSError as exc:
                self.add("/".join(parts) or ".", f"cannot be read ({exc.strerror}); {_READABLE}")
                continue
            for child in children:
                here = (*parts, child.name)
                where = "/".join(here)
                if len(here) == 1 and (
                    child.name in (INDEX, STAGING)
                    or child.name.startswith(TEMP_PREFIX)
                    # the send log grows after filing, so the index does not prove it
                    or (child.name == SEND_LOG and child.is_file(follow_symlinks=False))
                ):
                    continue
                mode = child.stat(follow_symlinks=False).st_mode
                if not stat.S_ISDIR(mode):
                    what = "a folder" if len(here) < _VERSION_DEPTH else "a version folder"
                    self.add(
                        where,
                        f"is {kind_of(mode)}, where the archive holds only {what}: it was added"
                        " afterwards; remove it or restore the archive from a backup",
                    )
                elif len(here) == _VERSION_DEPTH and where not in indexed:
                    self.add(where, _unindexed_message(where == pending))
                elif len(here) < _VERSION_DEPTH and where not in on_the_way:
                    self.add(
                        where,
                        f"is not in the index: no {_LEVELS[len(here)]} of this name was ever"
                        " filed, so it was added (or renamed) afterwards; nothing in it is"
                        " proven. Remove it or restore the archive from a backup",
                    )
                elif len(here) < _VERSION_DEPTH:
                    stack.append((Path(child.path), here))

    def _pending_folder(self) -> str | None:
        """The version a stopped archiving run was filing, from its note in staging."""
        try:
            data = json.loads(read_regular(self.root / STAGING / PENDING).decode("utf-8"))
            return str(data["folder"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _check_mode(self, path: Path, where: str) -> None:
        """Archived files and folders are read-only; a writable one is named."""
        try:
            mode = stat.S_IMODE(os.lstat(path).st_mode)
        except OSError:
            return
        if mode & 0o222:
            self.add(
                where,
                f"is writable (mode {mode:o}): archived files are read-only so that nothing"
                " changes them unnoticed; find out who changed it, then make it read-only again"
                " (chmod a-w)",
            )


def _missing_message(where: str, lost: list[IndexEntry]) -> str:
    """The problem of a missing version, paper, meeting or board, as the index lists it."""
    depth = len(where.split("/"))
    if depth == _VERSION_DEPTH:
        entry = lost[0]
        return (
            f"missing: the index lists this version ({INDEX}:{entry.number}, filed"
            f" {entry.archived_at}); {_RESTORE}"
        )
    papers = sorted({e.paper for e in lost})
    meetings = sorted({e.meeting_date for e in lost})
    listed = f"{len(lost)} version{'s' * (len(lost) > 1)}"
    if depth == 3:
        what = f"{listed} of {papers[0]}"
    elif depth == 2:
        what = f"{listed} of {len(papers)} paper{'s' * (len(papers) > 1)} ({', '.join(papers)})"
    else:
        what = f"{listed} for {len(meetings)} meeting{'s' * (len(meetings) > 1)}"
    return f"missing: the index lists {what} here; {_RESTORE}"


def _unindexed_message(pending: bool) -> str:
    """The problem of a version folder the index does not list."""
    if pending:
        return (
            "was being filed by an archive run that stopped before entering it in the index;"
            " run boardpack archive again to finish filing it"
        )
    return (
        "is not in the index: it was added afterwards (a forged or copied version), so"
        " nothing in it is proven; remove it or restore the archive from a backup"
    )


def _sha256(data: bytes) -> str:
    """Hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()
