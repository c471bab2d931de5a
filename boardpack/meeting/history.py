"""History: each paper's last and first papers, read from the archive, compared with it.

A paper's previous version is the archive's latest version of the same paper (the same
workbook name) for the same board at the latest meeting before this one; its baseline is the
first paper the archive holds of it. The archive's files are as untrusted as any others, so
history reads only what `verify` would accept of what it reads: the index whole (its chain of
hashes; a last line cut short is named and skipped), no paper of an earlier meeting on disk that
the index does not list, each folder on the way a real folder (never a link), the manifest the
one whose hash the index holds and every file it lists as it says. A version that fails any of
these is a warning, and the paper then says nothing of what changed.

What is compared is data: the paper.json the archive keeps beside each version's workbook (and
its appendices'), so a paper is compared whatever today's profile would make of last year's
workbook. A version filed before the archive kept data is read from its workbook, with the
profile the paper is built with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from boardpack.errors import BoardpackError, InvalidWorkbook, Problem
from boardpack.files import safe_stem
from boardpack.meeting.archive_fs import kind_of, read_regular
from boardpack.meeting.archive_index import IndexEntry, TornLine, read_index
from boardpack.meeting.archive_verify import check_files, holds_versions
from boardpack.meeting.records import (
    MANIFEST,
    MAX_DATA_BYTES,
    VERSION_NAME,
    Manifest,
    parse_manifest,
)
from boardpack.paper.changes import (
    Found,
    Part,
    Snapshot,
    compare,
    paper_data,
    snapshot_from_data,
    snapshot_of,
)
from boardpack.paper.models import Paper
from boardpack.paper.profile import Profile

_VERIFY = "run boardpack verify on the archive and restore it from a backup"


_NO_FACTS = Snapshot(dt.date.min, None, False, False, (), ())  # of a version not read for them


class _Unproven(Exception):
    """An archived version history may not use: why, in words."""


@dataclass
class _Version:
    """An archived version, proven: its facts, its appendices' facts and its data."""

    facts: Snapshot
    data: object | None  # its paper.json, parsed; None when filed before data was kept
    appendices: dict[str, tuple[Snapshot, object]] = field(default_factory=dict)  # casefold name
    has_appendix_data: bool = False


class ArchiveHistory:
    """The history of a build's papers from one archive, whose index is read once."""

    def __init__(self, archive_dir: Path) -> None:
        self.archive_dir = archive_dir
        self._entries: list[IndexEntry] | None = None
        self._unreadable: Problem | None = None
        self._torn: Problem | None = None  # told with the first paper's history only

    def _index(self) -> list[IndexEntry] | None:
        if self._entries is None and self._unreadable is None:
            where = str(self.archive_dir)
            try:
                entries, problems = read_index(self.archive_dir)
            except FileNotFoundError:
                self._unreadable = Problem(
                    where,
                    "is not an archive yet, so no paper shows what changed; file this"
                    " meeting's papers with boardpack archive OUT_DIR --to ARCHIVE_DIR",
                )
                return None
            except BoardpackError as exc:
                self._unreadable = Problem(
                    where, f"cannot be read for history ({exc}); run boardpack verify on it"
                )
                return None
            damaged = [p for p in problems if not isinstance(p, TornLine)]
            if damaged:
                self._unreadable = Problem(
                    f"{where}/{damaged[0].where}",
                    f"the archive's index is damaged ({damaged[0].message}), so no paper shows"
                    f" what changed: nothing it lists is proven; {_VERIFY}",
                )
                return None
            if not entries and holds_versions(self.archive_dir):
                self._unreadable = Problem(
                    where,
                    "the archive's index lists nothing, though the archive holds versions: it"
                    f" was emptied or cut short, so no paper shows what changed; {_VERIFY}",
                )
                return None
            torn = [p for p in problems if isinstance(p, TornLine)]
            if torn:
                self._torn = Problem(f"{where}/{torn[0].where}", torn[0].message)
            self._entries = entries
        return self._entries

    def of(
        self,
        paper: Paper,
        name: str,
        places: dict[str, tuple[str, ...]] | None = None,
        appendices: Sequence[tuple[str, Paper]] = (),
    ) -> Found:
        """The history of the paper named `name` (its workbook's name), with its appendices
        (name, paper) for a cover report; a note says why there is none, or names the rows
        that could not be matched."""
        entries = self._index()
        if entries is None:
            assert self._unreadable is not None
            return Found(None, [self._unreadable])
        notes: list[Problem] = []
        if self._torn is not None:
            notes.append(self._torn)
            self._torn = None
        details = paper.details
        if details.board is None or details.meeting_date is None:
            missing = "board" if details.board is None else "meeting date"
            return Found(
                None,
                [
                    Problem(
                        "",
                        f"{name} has no {missing}: the archive keeps papers by board and"
                        " meeting, so it shows no changes",
                    )
                ],
            )
        earlier = _earlier_versions(entries, details.board, name, details.meeting_date)
        revision = self._revision(paper, name, appendices, entries, notes)
        if not earlier:
            notes.append(
                Problem(
                    "",
                    f"the archive holds no earlier paper of {name} for the {details.board}:"
                    " this is its first paper, so it shows no changes",
                )
            )
            return Found(None, notes)
        try:
            self._check_listed(entries, details.board, name, details.meeting_date)
            previous = self._read(earlier[-1], paper.profile)
            baseline = previous
            if earlier[0] is not earlier[-1]:
                baseline = self._read(earlier[0], paper.profile)
        except _Unproven as exc:
            notes.append(
                Problem(
                    str(self.archive_dir),
                    f"{exc}, so this paper shows no changes from it (nothing unproven is"
                    f" compared); {_VERIFY}",
                )
            )
            return Found(None, notes)
        folder = earlier[-1].folder
        history = compare(paper, previous.facts, baseline.facts, folder, places or {}, notes)
        parts = _parts(appendices, previous, baseline, folder, notes)
        return Found(replace(history, parts=parts, revision=revision), notes)

    # --- reading only what verify would accept ----------------------------------------------

    def _read(self, entry: IndexEntry, profile: Profile, *, facts: bool = True) -> _Version:
        """An archived version, once it is proven as verify would prove it; without `facts`,
        a version filed before data was kept is not read from its workbook."""
        where = entry.folder
        parts = tuple(entry.folder.split("/"))
        for depth in range(1, len(parts) + 1):
            here = self.archive_dir.joinpath(*parts[:depth])
            try:
                mode = os.lstat(here).st_mode
            except FileNotFoundError as exc:
                raise _Unproven(
                    f"the archive's {where} is missing, though its index lists it"
                ) from exc
            except OSError as exc:
                raise _Unproven(f"the archive's {where} cannot be read ({exc})") from exc
            if not stat.S_ISDIR(mode):
                raise _Unproven(
                    f"the archive's {'/'.join(parts[:depth])} is {kind_of(mode)}, not a folder"
                    " of the archive"
                )
        folder = self.archive_dir.joinpath(*parts)
        try:
            raw = read_regular(folder / MANIFEST)
        except OSError as exc:
            raise _Unproven(f"the archive's {where}/{MANIFEST} cannot be read ({exc})") from exc
        if hashlib.sha256(raw).hexdigest() != entry.manifest_sha256:
            raise _Unproven(
                f"the archive's {where}/{MANIFEST} is not the one its index lists (it was"
                " changed or replaced after filing)"
            )
        try:
            manifest = parse_manifest(raw)
        except ValueError as exc:
            raise _Unproven(f"the archive's {where}/{MANIFEST} cannot be read ({exc})") from exc
        said = (manifest.kind, manifest.board, manifest.meeting_date, manifest.paper)
        if said != (entry.kind, entry.board, entry.meeting_date, entry.paper):
            raise _Unproven(f"the archive's {where}/{MANIFEST} does not describe its version")
        damage = check_files(folder, manifest, Path(where))
        if damage:
            raise _Unproven(f"the archive's {damage[0]}")
        data: object | None = None
        if manifest.data is not None:
            data = _data(folder, manifest.data.name, manifest.data.sha256, where)
            found = _snapshot(data, f"{where}/{manifest.data.name}")
        elif facts:
            found = _from_workbook(folder, manifest, profile, where)
        else:
            found = _NO_FACTS
        version = _Version(found, data, has_appendix_data=bool(manifest.appendices))
        for appendix in manifest.appendices:
            entry_of = manifest.file(appendix.data)
            assert entry_of is not None  # parse_manifest checked it is listed
            at = f"{where}/{appendix.data}"
            data = _data(folder, appendix.data, entry_of.sha256, where)
            version.appendices[appendix.name.casefold()] = (_snapshot(data, at), data)
        return version

    def _check_listed(
        self, entries: list[IndexEntry], board: str, name: str, meeting: dt.date
    ) -> None:
        """Every version of this paper on disk for an earlier meeting must be one the index
        lists: one it does not (an index cut short, a version added by hand) would make
        history tell from an older paper than the last one."""
        listed = {e.folder.casefold() for e in entries}
        board_dir = safe_stem(board)
        for day in self._folders(board_dir):
            try:
                if dt.date.fromisoformat(day) >= meeting:
                    continue
            except ValueError:
                continue
            for paper in self._folders(f"{board_dir}/{day}"):
                if paper.casefold() != name.casefold():
                    continue
                for version in self._folders(f"{board_dir}/{day}/{paper}"):
                    at = f"{board_dir}/{day}/{paper}/{version}"
                    if VERSION_NAME.fullmatch(version) and at.casefold() not in listed:
                        raise _Unproven(
                            f"the archive holds {at}, which its index does not list (the index"
                            " was cut short, or the version added afterwards)"
                        )

    def _folders(self, where: str) -> list[str]:
        """The names in a folder of the archive; _Unproven when it is not a real folder."""
        path = self.archive_dir / where
        try:
            mode = os.lstat(path).st_mode
            if not stat.S_ISDIR(mode):
                raise _Unproven(
                    f"the archive's {where} is {kind_of(mode)}, not a folder of the archive"
                )
            return sorted(os.listdir(path))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise _Unproven(f"the archive's {where} cannot be read ({exc})") from exc

    def _revision(
        self,
        paper: Paper,
        name: str,
        appendices: Sequence[tuple[str, Paper]],
        entries: list[IndexEntry],
        notes: list[Problem],
    ) -> int:
        """Which version of this paper for its meeting this build is: the number of the
        archived version saying the same (as data), else one more than the last."""
        details = paper.details
        if details.board is None or details.meeting_date is None:
            return 1  # filed by board and meeting, so never archived: its first version
        same_meeting = [
            e
            for e in entries
            if e.kind == "paper"
            and e.paper.casefold() == name.casefold()
            and _same_board(e.board, details.board)
            and e.meeting_date == details.meeting_date.isoformat()
        ]
        if not same_meeting:
            return 1
        wanted = _canonical(paper_data(paper))
        wanted_appendices = {n.casefold(): _canonical(paper_data(a)) for n, a in appendices}
        for number, entry in reversed(list(enumerate(same_meeting, 1))):
            try:
                version = self._read(entry, paper.profile, facts=False)
            except _Unproven as exc:
                notes.append(
                    Problem(str(self.archive_dir), f"{exc}, so it is not compared; {_VERIFY}")
                )
                continue
            held = {k: _canonical(d) for k, (_, d) in version.appendices.items()}
            if (
                version.data is not None
                and _canonical(version.data) == wanted
                and held == wanted_appendices
            ):
                return number
        return len(same_meeting) + 1


def _parts(
    appendices: Sequence[tuple[str, Paper]],
    previous: _Version,
    baseline: _Version,
    folder: str,
    notes: list[Problem],
) -> tuple[Part, ...]:
    """Each appendix of a cover report compared with the same appendix (by name) of its last
    paper; one that cannot be is a part with no history, saying why."""
    if not appendices and not previous.appendices:
        return ()
    from boardpack.outputs.composite import appendix_letter

    parts = []
    names = set()
    for index, (name, appendix) in enumerate(appendices):
        shown = f"Appendix {appendix_letter(index)} ({name})"
        names.add(name.casefold())
        held = previous.appendices.get(name.casefold())
        if held is None:
            why = (
                "not an appendix of the last paper"
                if previous.has_appendix_data or previous.data is not None
                else "the archive keeps no data of the last paper's appendices"
            )
            parts.append(Part(shown, None, why))
            continue
        first = baseline.appendices.get(name.casefold(), held)
        found: list[Problem] = []
        history = compare(appendix, held[0], first[0], folder, {}, found)
        notes.extend(Problem(p.where, f"{shown}: {p.message}") for p in found)
        parts.append(Part(shown, history))
    for name in sorted(set(previous.appendices) - names):
        parts.append(Part(f"Appendix ({name})", None, "no longer an appendix of this paper"))
    return tuple(parts)


def _same_board(one: str, other: str) -> bool:
    return " ".join(one.split()).casefold() == " ".join(other.split()).casefold()


def _earlier_versions(
    entries: list[IndexEntry], board: str, name: str, meeting: dt.date
) -> list[IndexEntry]:
    """The latest version of the paper at each earlier meeting of the board, oldest first."""
    latest: dict[str, IndexEntry] = {}
    for entry in entries:
        if entry.kind != "paper" or entry.paper.casefold() != name.casefold():
            continue
        if not _same_board(entry.board, board):
            continue
        try:
            day = dt.date.fromisoformat(entry.meeting_date)
        except ValueError:
            continue
        if day < meeting:
            latest[entry.meeting_date] = entry  # the index is in filing order: last wins
    return [latest[day] for day in sorted(latest)]


def _data(folder: Path, name: str, sha256: str, where: str) -> object:
    """A data file of a version, read once and shown to be the bytes its manifest lists."""
    try:
        raw = read_regular(folder / name)
    except OSError as exc:
        raise _Unproven(f"the archive's {where}/{name} cannot be read ({exc})") from exc
    if len(raw) > MAX_DATA_BYTES or hashlib.sha256(raw).hexdigest() != sha256:
        raise _Unproven(f"the archive's {where}/{name} is not the file its manifest lists")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Unproven(f"the archive's {where}/{name} is not JSON ({exc})") from exc


def _snapshot(data: object, where: str) -> Snapshot:
    try:
        return snapshot_from_data(data)
    except ValueError as exc:
        raise _Unproven(f"the archive's {where} is not a paper's data ({exc})") from exc


def _from_workbook(folder: Path, manifest: Manifest, profile: Profile, where: str) -> Snapshot:
    """The facts of a version filed before the archive kept data, from its workbook (which
    check_files has shown is the one its manifest lists), read with today's profile."""
    from boardpack.workbook.validate import load_paper

    workbook = next(e for e in manifest.files if e.role == "workbook")
    path = folder / workbook.name
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise _Unproven(f"the archive's {where}/{workbook.name} is not a plain file")
        return snapshot_of(load_paper(path, profile=profile).paper)
    except InvalidWorkbook as exc:
        raise _Unproven(
            f"the archive's {where}/{workbook.name} (filed before the archive kept papers as"
            f" data) is not a valid paper of this profile ({len(exc.problems)} problems)"
        ) from exc
    except OSError as exc:
        raise _Unproven(f"the archive's {where}/{workbook.name} cannot be read ({exc})") from exc


def _canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)
