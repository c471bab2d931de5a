"""The archive: the council's record of every paper the board received, and the proof of it.

Each built paper is filed as ARCHIVE_DIR/<board>/<meeting date>/<paper>/vN/, holding its PDF,
its .docx, a copy of the workbook it was built from and a manifest.json with every file's SHA-256
and size; the meeting's pack is filed beside its papers as <meeting date>/board-pack/vN/. Nothing
is ever overwritten: a changed paper for the same meeting becomes v2, v3 ..., each naming the
version it supersedes, and an identical paper is not stored twice. Archived files are read-only.
Every version filed is recorded in the archive's index (archive_index), which `verify`
(archive_verify) checks the folders against.

One run files at a time, holding the archive's lock. A version is written in ARCHIVE_DIR/.staging
and moved into place by one rename, then entered in the index; a run killed in between leaves a
note in staging from which the next run completes the entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from boardpack.errors import ArchiveError, ConversionError, Problem
from boardpack.files import PACK_NAME, RECORD_FOLDER, safe_stem
from boardpack.meeting.archive_fs import (
    check_real_folders,
    copy_regular,
    fsync_folder,
    read_regular,
    write_new,
)
from boardpack.meeting.archive_index import (
    INDEX,
    PENDING,
    STAGING,
    IndexEntry,
    TornLine,
    append_entry,
    archive_lock,
    new_entry,
    read_index,
)
from boardpack.meeting.archive_staging import Staging, place, seal
from boardpack.meeting.archive_verify import (
    Verification,
    adopt_archive,
    check_files,
    no_index_message,
    verify_archive,
)
from boardpack.meeting.folder import MeetingFolder, which_meeting
from boardpack.meeting.records import (
    APPENDIX_DATA,
    APPENDIX_WORKBOOK,
    CHANGED,
    DATA,
    DATA_NAME,
    MANIFEST,
    MANIFEST_FORMAT,
    PACK,
    PAPER,
    Entry,
    Manifest,
    PackRecord,
    Record,
    check_built,
    check_built_pack,
    filed_as,
    parse_manifest,
    read_pack_record,
    read_record,
)
from boardpack.meeting.settings import PackSettings
from boardpack.outputs.proof import prove_pdf

__all__ = [
    "MANIFEST",
    "STAGING",
    "ArchiveOutcome",
    "ArchiveReport",
    "PaperArchive",
    "Verification",
    "adopt_archive",
    "archive_papers",
    "verify_archive",
]


class ArchiveOutcome(StrEnum):
    """What happened to one paper."""

    ARCHIVED = "archived"
    ALREADY_ARCHIVED = "already archived"
    REFUSED = "refused"


@dataclass
class PaperArchive:
    """The outcome for one built paper (or the meeting's pack)."""

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
    """Every built paper's outcome, in name order, then the pack's; `ok` if none was refused."""

    archive_dir: Path
    papers: list[PaperArchive] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # about the archive: a torn index line

    @property
    def ok(self) -> bool:
        """Whether no paper was refused."""
        return all(p.outcome is not ArchiveOutcome.REFUSED for p in self.papers)


def archive_papers(
    out_dir: Path, archive_dir: Path | None = None, *, now: datetime | None = None
) -> ArchiveReport:
    """File every paper built in `out_dir`, and the meeting's pack if it was built, into
    `archive_dir` (default: the `archive` the meeting's boardpack.toml names, beside the
    workbooks the papers were built from); see ArchiveReport for the outcome.

    A refused paper does not stop the others: the report says why, and `report.ok` is False.
    ArchiveError is raised only when nothing can be archived at all (no build records in
    `out_dir`, an archive folder that cannot be written or whose index is damaged, or another
    run filing into it for too long). `now` is the time recorded as `archived_at` (default: the
    current time; a naive datetime is taken to be UTC).
    """
    out_dir = Path(out_dir)
    records, pack_record = _record_paths(out_dir)
    folder = _meeting_folder(records)
    archive_dir = Path(archive_dir) if archive_dir is not None else _meetings_archive(folder)
    _open_archive(archive_dir)
    archived_at = _utc_iso(now or datetime.now(UTC))
    report = ArchiveReport(archive_dir)
    with archive_lock(archive_dir):
        index = _Index.open(archive_dir)
        report.notes.extend(index.notes)
        with Staging(archive_dir) as staging:
            filer = _Filer(archive_dir, staging, index, archived_at, out_dir, folder.settings)
            papers: dict[str, Record] = {}
            for path in records:
                outcome, record = filer.paper(path)
                report.papers.append(outcome)
                if record is not None and outcome.outcome is not ArchiveOutcome.REFUSED:
                    papers[record.name] = record
            if pack_record is not None:
                report.papers.append(filer.pack(pack_record, papers))
    return report


# --- the index, as the filing run sees it ------------------------------------------------------


class _Index:
    """The archive's index, read and found whole, extended as versions are filed."""

    def __init__(self, archive_dir: Path, entries: list[IndexEntry]) -> None:
        self.archive_dir = archive_dir
        self.entries = entries
        self.notes: list[Problem] = []  # a last line cut short, skipped

    @classmethod
    def open(cls, archive_dir: Path) -> _Index:
        """The index, once shown whole; a filing interrupted after its rename is completed."""
        try:
            entries, problems = read_index(archive_dir)
        except FileNotFoundError:
            entries, problems = [], []
            if any(archive_dir.glob(f"*/*/*/v*/{MANIFEST}")):
                raise ArchiveError(no_index_message(archive_dir)) from None
        torn = [p for p in problems if isinstance(p, TornLine)]
        if damaged := [p for p in problems if not isinstance(p, TornLine)]:
            raise ArchiveError(
                f"{archive_dir}: the archive's index is damaged ({damaged[0]}); run boardpack"
                " verify and restore the archive from a backup before archiving"
            )
        index = cls(archive_dir, entries)
        index.notes = [Problem(f"{archive_dir}/{p.where}", p.message) for p in torn]
        index._complete_pending()
        return index

    @property
    def last(self) -> IndexEntry | None:
        """The newest entry, or None."""
        return self.entries[-1] if self.entries else None

    def versions_of(self, place: tuple[str, ...]) -> list[IndexEntry]:
        """The entries of one paper's versions, oldest first."""
        prefix = "/".join(place) + "/"
        return [e for e in self.entries if e.folder.startswith(prefix)]

    def add(self, entry: IndexEntry) -> None:
        """Write a new entry into the index."""
        append_entry(self.archive_dir, entry)
        self.entries.append(entry)

    def _complete_pending(self) -> None:
        """Enter in the index a version that a killed run moved into place but did not index."""
        note = self.archive_dir / STAGING / PENDING
        try:
            data = json.loads(read_regular(note).decode("utf-8"))
            entry = new_entry(self.last, **data)
            manifest = self.archive_dir / entry.folder / MANIFEST
            filed = hashlib.sha256(read_regular(manifest)).hexdigest() == entry.manifest_sha256
        except (OSError, ValueError, TypeError):
            return  # no note, or a run killed before it placed its version: nothing to finish
        if filed and entry.folder not in {e.folder for e in self.entries}:
            self.add(entry)


# --- filing one paper or pack --------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """One file to archive: where it is now (or its bytes), its name in the archive, and its
    built hash."""

    role: str
    path: Path | None
    name: str
    sha256: str
    data: bytes | None = None  # a paper's data, which the build record holds


@dataclass(frozen=True)
class _Item:
    """What is to be filed: a built paper or the meeting's pack, its files checked."""

    kind: str
    name: str
    board: str
    meeting_date: str
    parts: list[_Part]
    docx_sha256: str
    source_sha256: str | None  # the workbook's, for a paper
    fields: dict[str, Any]  # what its manifest says besides the common fields


@dataclass(frozen=True)
class _Version:
    """A version already in the archive, its manifest shown to be the one the index lists."""

    number: int
    folder: Path
    manifest: Manifest
    entry: IndexEntry

    @property
    def name(self) -> str:
        """The version's folder name, e.g. v2."""
        return f"v{self.number}"


class _Filer:
    """Files papers and the pack into an archive whose lock this run holds."""

    def __init__(
        self,
        archive_dir: Path,
        staging: Staging,
        index: _Index,
        archived_at: str,
        out: Path,
        settings: PackSettings,
    ) -> None:
        self.archive_dir, self.staging, self.index = archive_dir, staging, index
        self.archived_at, self.out = archived_at, out
        self.settings = settings  # the meeting's, for a paper with no board or date of its own

    def paper(self, record_path: Path) -> tuple[PaperArchive, Record | None]:
        """File one built paper, or say why not; with its record when it could be read."""
        record = None
        try:
            record = read_record(record_path)
            record = filed_as(record, self.settings)
            if not record.board or not record.meeting_date:
                missing = "board" if not record.board else "meeting date"
                setting = "board" if not record.board else "meeting_date"
                raise ArchiveError(
                    f"it has no {missing}: the archive files papers by board and meeting;"
                    f" give its profile a field with that role, or the meeting's"
                    f" boardpack.toml its {setting}, to archive it"
                )
            parts = _check_built_files(record, self.out)
            fields: dict[str, Any] = {
                "project": record.project,
                "boardpack_version": record.boardpack_version,
                "source": str(record.source),
                "source_sha256": record.source_sha256,
            }
            appendices = _appendix_parts(record)
            if appendices:
                parts.extend(part for _, workbook, data in appendices for part in (workbook, data))
                fields["appendices"] = [
                    {"name": name, "workbook": workbook.name, "data": data.name}
                    for name, workbook, data in appendices
                ]
            names = [part.name for part in parts]
            if len(set(names)) != len(names):
                raise ArchiveError(
                    "its appendices' files would have the names of its own files in the"
                    " archive; rename the workbook, build again and archive"
                )
            item = _Item(
                PAPER,
                record.name,
                record.board,
                record.meeting_date,
                parts,
                record.docx_sha256,
                record.source_sha256,
                fields,
            )
            return self._file(item, record.project), record
        except (ArchiveError, OSError) as exc:
            return _refused(record.name if record else record_path.stem, exc), record

    def pack(self, record_path: Path, papers: dict[str, Record]) -> PaperArchive:
        """File the meeting's pack beside its papers, or say why not."""
        try:
            record = read_pack_record(record_path)
            board, meeting_date = _meeting_of_pack(record, papers)
            item = _Item(
                PACK,
                PACK_NAME,
                board,
                meeting_date,
                _check_built_pack(record, self.out),
                record.docx_sha256,
                None,
                {
                    "boardpack_version": record.boardpack_version,
                    "papers": [{"name": n, "docx_sha256": d} for n, d in record.papers],
                },
            )
            return self._file(item, "")
        except (ArchiveError, OSError) as exc:
            return _refused(PACK_NAME, exc)

    def _file(self, item: _Item, project: str) -> PaperArchive:
        """File one item as a new version, unless the archive holds it already."""
        paper_at = (safe_stem(item.board), item.meeting_date, item.name)
        check_real_folders(self.archive_dir, paper_at)
        versions = self._versions(paper_at)
        same, latest = _compare(versions, item, project)
        note = ""
        if same is not None:
            already = _already(item.name, same, latest)
            unproven = _unproven_pdf(same.folder, same.manifest) if same is latest else None
            if unproven is None:
                return already
            # Filed before PDFs were proven, by a converter that wrote another paper's PDF: the
            # same paper built now, with its PDF proven, must be able to replace it.
            note = f"the PDF of {same.name} {unproven}, so this build's PDF replaces it"
        pdf = {p.role: p.path for p in item.parts if p.path is not None}
        try:
            prove_pdf(pdf["pdf"], pdf["docx"])
        except ConversionError as exc:
            raise ArchiveError(
                f"its PDF is not the PDF of its .docx ({exc}); build it again before archiving"
            ) from exc
        staged = self.staging.new_folder()
        entries = [_stage(part, staged) for part in item.parts]
        version = f"v{latest.number + 1 if latest else 1}"
        manifest = _manifest_bytes(item, version, latest, entries, self.archived_at)
        write_new(staged / MANIFEST, manifest)
        fsync_folder(staged)
        fields = {
            "kind": item.kind,
            "board": item.board,
            "meeting_date": item.meeting_date,
            "paper": item.name,
            "version": version,
            "folder": "/".join((*paper_at, version)),
            "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
            "archived_at": self.archived_at,
        }
        if not os.path.lexists(self.archive_dir / INDEX):
            # The first filing: from now on this folder is an archive, and a run killed
            # before it is indexed leaves an archive that verify reports as unfinished.
            write_new(self.archive_dir / INDEX, b"")
        self.staging.note_pending(fields)
        folder = self.archive_dir.joinpath(*paper_at, version)
        if not place(staged, self.archive_dir, (*paper_at, version)):
            raise ArchiveError(
                f"{folder} is in the archive but not in its index: it was added by hand; run"
                " boardpack verify and remove it or restore the archive from a backup"
            )
        self.index.add(new_entry(self.index.last, **fields))
        self.staging.clear_pending()
        seal(folder)
        return PaperArchive(
            item.name,
            ArchiveOutcome.ARCHIVED,
            version,
            latest.name if latest else None,
            folder,
            reason=note,
        )

    def _versions(self, place: tuple[str, ...]) -> list[_Version]:
        """The versions the index lists for one paper, each shown to be as it was filed."""
        versions = []
        for number, entry in enumerate(self.index.versions_of(place), 1):
            folder = self.archive_dir / entry.folder
            damaged = f"the archive's {entry.folder}"
            try:
                data = read_regular(folder / MANIFEST)
                if hashlib.sha256(data).hexdigest() != entry.manifest_sha256:
                    raise ValueError(f"its {MANIFEST} was changed after it was filed")
                manifest = parse_manifest(data)
            except FileNotFoundError as exc:
                raise ArchiveError(
                    f"{damaged} is missing, though the index lists it; run boardpack verify and"
                    " restore it from a backup before archiving"
                ) from exc
            except (OSError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else str(exc)
                raise ArchiveError(
                    f"{damaged} is damaged ({reason}); run boardpack verify and restore it from"
                    " a backup before archiving"
                ) from exc
            # A run killed between filing a version and making it read-only left it writable.
            seal(folder)
            versions.append(_Version(number, folder, manifest, entry))
        return versions


def _unproven_pdf(folder: Path, manifest: Manifest) -> str | None:
    """Why an archived version's PDF is not the PDF of its .docx, or None if it is."""
    names = {e.role: e.name for e in manifest.files}
    try:
        prove_pdf(folder / names["pdf"], folder / names["docx"])
    except ConversionError as exc:
        return f"fails the PDF proof ({exc})"
    return None


def _refused(name: str, exc: ArchiveError | OSError) -> PaperArchive:
    """The outcome for a paper that could not be filed."""
    if isinstance(exc, ArchiveError):
        return PaperArchive(name, ArchiveOutcome.REFUSED, reason=str(exc))
    return PaperArchive(
        name,
        ArchiveOutcome.REFUSED,
        reason=f"could not file it in the archive ({exc.strerror or exc}"
        + (f": {exc.filename}" if exc.filename else "")
        + "); the archive is unchanged. Check the disk has space and the archive folder"
        " is writable, then run again",
    )


def _already(name: str, same: _Version, latest: _Version | None) -> PaperArchive:
    """The outcome for a paper the archive already holds, once its copy is checked intact."""
    damage = check_files(same.folder, same.manifest, same.folder)
    if damage:
        raise ArchiveError(
            f"it is archived as {same.name}, but that copy is damaged ({damage[0]}); run"
            " boardpack verify and restore the archive from a backup before archiving"
        )
    note = ""
    if latest is not None and latest.number > same.number:
        note = f"{latest.name}, archived after it, differs"
    return PaperArchive(
        name, ArchiveOutcome.ALREADY_ARCHIVED, same.name, folder=same.folder, reason=note
    )


def _check_built_files(record: Record, out_dir: Path) -> list[_Part]:
    """The files to archive, once they are shown to be exactly what the build made from the
    workbook as it is (records.check_built, the rule status and email go by too)."""
    faults = check_built(record, out_dir)
    docx = out_dir / record.docx
    pdf = out_dir / record.pdf if record.pdf else None
    if pdf is None:
        faults.append("it was built without a PDF (--no-pdf)")
    if faults:
        advice = "run boardpack build again" + (" without --no-pdf" if pdf is None else "")
        advice += " before archiving"
        edited = {f"{name} {CHANGED}" for name in (record.docx, record.pdf) if name}
        if edited.intersection(faults):
            advice += " (the archive takes papers only as built: make changes in the workbook)"
        raise ArchiveError("; ".join(faults) + "; " + advice)
    assert pdf is not None and record.pdf_sha256 is not None
    parts = [
        _Part("pdf", pdf, f"{record.name}.pdf", record.pdf_sha256),
        _Part("docx", docx, f"{record.name}.docx", record.docx_sha256),
        _Part(
            "workbook",
            record.source,
            record.name + record.source.suffix.lower(),
            record.source_sha256,
        ),
    ]
    if record.data is not None:
        parts.append(_Part(DATA, None, DATA_NAME, _sha256(record.data), record.data))
    return parts


def _appendix_parts(record: Record) -> list[tuple[str, _Part, _Part]]:
    """A cover report's appendices, each its name, workbook and data, as they are filed beside
    it (appendix-A-<name>.xlsx, appendix-A-<name>.json); none for a build recorded before
    appendices were kept."""
    from boardpack.outputs.composite import appendix_letter

    parts = []
    for index, ((source, sha256), data) in enumerate(
        zip(record.appendices, record.appendix_data, strict=True)
    ):
        if data is None:
            return []
        name = safe_stem(source.stem)
        stem = f"appendix-{appendix_letter(index)}-{name}"
        parts.append(
            (
                name,
                _Part(APPENDIX_WORKBOOK, source, stem + source.suffix.lower(), sha256),
                _Part(APPENDIX_DATA, None, f"{stem}.json", _sha256(data), data),
            )
        )
    return parts


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_built_pack(record: PackRecord, out_dir: Path) -> list[_Part]:
    """The pack's files, once they are shown to be exactly what the build made."""
    if record.pdf is None or record.pdf_sha256 is None:
        raise ArchiveError(
            "it was built without a PDF (--no-pdf); build the meeting's folder again without"
            " --no-pdf before archiving"
        )
    if faults := check_built_pack(record, out_dir):
        raise ArchiveError(
            "; ".join(faults) + "; build the meeting's folder again before archiving"
        )
    return [
        _Part("pdf", out_dir / record.pdf, f"{PACK_NAME}.pdf", record.pdf_sha256),
        _Part("docx", out_dir / record.docx, f"{PACK_NAME}.docx", record.docx_sha256),
    ]


def _meeting_of_pack(record: PackRecord, papers: dict[str, Record]) -> tuple[str, str]:
    """The board and meeting date of a pack, from its papers, each shown to be archived as the
    very paper that went into the pack."""
    held: list[tuple[str, str | None, date | None]] = []
    for name, docx_sha256 in record.papers:
        paper = papers.get(name)
        if paper is None:
            raise ArchiveError(
                f"its paper {name} was not archived (see above); archive the pack once its"
                " papers are archived"
            )
        if paper.docx_sha256 != docx_sha256:
            raise ArchiveError(
                f"it holds an older build of {name}; build the meeting's folder again so the"
                " pack holds the papers as archived"
            )
        held.append((name, paper.board, date.fromisoformat(paper.meeting_date)))
    # Filed beside its papers: by the meeting they were filed for, which they must agree on.
    agreed = which_meeting(PackSettings(), held)
    if agreed.board is None or agreed.date is None:
        raise ArchiveError(
            "its papers are for different boards or meetings; a pack is filed beside its"
            " meeting's papers, so build each meeting's papers into a folder of their own"
        )
    return agreed.board, agreed.date.isoformat()


def _compare(
    versions: list[_Version], item: _Item, project: str
) -> tuple[_Version | None, _Version | None]:
    """The version identical to the built paper, if any, and the latest version, if any."""
    # Identity is the .docx hash plus the workbook hash, never the PDF's: LibreOffice writes a
    # fresh creation time and document ID into every PDF, so rebuilding an unchanged paper gives
    # a different PDF, while the .docx is byte-for-byte the same for the same workbook. The PDF
    # is made from that .docx, so the two hashes pin down what the board received.
    same = next(
        (
            v
            for v in reversed(versions)  # the newest: it may replace an older one (_file)
            if v.manifest.digest("docx") == item.docx_sha256
            and v.manifest.source_sha256 == item.source_sha256
        ),
        None,
    )
    latest = versions[-1] if versions else None
    if same is None and latest is not None and item.kind == PAPER:
        held = latest.manifest
        if (held.project, held.board) != (project, item.board):
            raise ArchiveError(
                f"the archive already holds a different paper named {item.name} for this"
                f" meeting ({latest.folder}, project {held.project!r}, board {held.board!r});"
                f" this one is project {project!r}, board {item.board!r}. Rename one"
                " workbook so each paper has its own name, build again and archive"
            )
    return same, latest


def _manifest_bytes(
    item: _Item,
    version: str,
    previous: _Version | None,
    entries: list[Entry],
    archived_at: str,
) -> bytes:
    """The manifest of a new version, as the bytes to write."""
    manifest: dict[str, Any] = {
        "manifest_format": MANIFEST_FORMAT,
        **({"kind": PACK} if item.kind == PACK else {}),
        "paper": item.name,
        **({"project": item.fields["project"]} if item.kind == PAPER else {}),
        "board": item.board,
        "meeting_date": item.meeting_date,
        "version": version,
        "supersedes": previous.name if previous else None,
        # Chains the versions: a later change to the superseded manifest is then detectable.
        "supersedes_manifest_sha256": previous.entry.manifest_sha256 if previous else None,
        "archived_at": archived_at,
        **{k: v for k, v in item.fields.items() if k != "project"},
        "files": [
            {"name": e.name, "role": e.role, "sha256": e.sha256, "size": e.size} for e in entries
        ],
    }
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- writing the archive safely -------------------------------------------------------------


def _stage(part: _Part, staged: Path) -> Entry:
    """Copy one file into the staging folder and check the copy is the file that was built."""
    if part.data is not None:
        write_new(staged / part.name, part.data)
        return Entry(part.name, part.role, part.sha256, len(part.data))
    assert part.path is not None
    digest, size = _copy_file(part.path, staged / part.name)
    # Hash what was copied, not what was checked before: the file may change in between.
    if digest != part.sha256:
        raise ArchiveError(
            f"{part.path} changed while it was being archived; run boardpack build and"
            " boardpack archive again"
        )
    return Entry(part.name, part.role, digest, size)


def _copy_file(source: Path, target: Path) -> tuple[str, int]:
    """Copy a plain file into staging; its SHA-256 and size (a seam the tests fail in)."""
    return copy_regular(source, target)


# --- reading records --------------------------------------------------------------------------


def _meeting_folder(records: list[Path]) -> MeetingFolder:
    """The meeting's folder of the workbooks the papers were built from."""
    sources = []
    for path in records:
        try:
            sources.append(read_record(path, data=False).source)
        except ArchiveError:
            continue  # refused, and said why, when the paper is filed
    return MeetingFolder.open(sources, workbooks=False)


def _meetings_archive(folder: MeetingFolder) -> Path:
    """The archive folder boardpack.toml names for the meeting; ArchiveError saying how to name
    one when it names none."""
    if (refused := folder.refusal(("archive",))) is not None:
        raise ArchiveError(str(refused))
    archive = folder.archive()
    if archive is None:
        where = folder.settings_file or "a boardpack.toml beside the workbooks"
        raise ArchiveError(
            f"no archive folder named: give one with --to ARCHIVE_DIR, or set"
            f' archive = "../archive" in {where}'
        )
    return archive


def _record_paths(out_dir: Path) -> tuple[list[Path], Path | None]:
    """The papers' build records in an output folder, and the pack's if it was built;
    ArchiveError when there are none."""
    if not out_dir.is_dir():
        raise ArchiveError(f"{out_dir}: no such folder of built papers")
    folder = out_dir / RECORD_FOLDER
    # Names starting with "." are temporaries of a build still writing its records.
    records = sorted(
        p
        for p in folder.glob("*.json")
        if not p.name.startswith(".") and stat.S_ISREG(p.lstat().st_mode)
    )
    pack = next((p for p in records if p.stem == PACK_NAME), None)
    records = [p for p in records if p != pack]
    if not records:
        raise ArchiveError(
            f"{out_dir}: no built papers to archive (no build records in {folder});"
            " run boardpack build first"
        )
    return records, pack


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
