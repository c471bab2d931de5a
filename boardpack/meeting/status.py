"""Where a meeting's papers stand: the next meeting and its deadline, and for each paper whether
it is valid, built, stale, archived and sent.

Everything is worked out from what is on disk, by content, never by file times alone: a paper is
stale when its workbook's SHA-256 is not the one its build record says it was built from, when an
output is not the bytes the build wrote, or when it was built for another meeting; it is archived
when the latest archived version is this very build (the archive's own test: the same .docx and
workbook); it is sent when the send log holds its files' SHA-256 for each recipient who gets it.

Kept light, so `boardpack status` answers in well under a second for a 50-paper meeting with years
of archive: no renderer is imported, and a workbook whose exact bytes a build already validated
(its build record says so) is not read again; any other workbook is validated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boardpack import __version__
from boardpack.errors import ArchiveError, BoardpackError, InvalidWorkbook, MailError
from boardpack.files import PACK_NAME, RECORD_FOLDER, not_utf8_name, safe_stem
from boardpack.meeting.archive_fs import hash_regular, read_regular
from boardpack.meeting.distribution import Deliverable, Distribution, Recipient
from boardpack.meeting.folder import MeetingFolder
from boardpack.meeting.meetings import LONDON, meetings, next_meeting, paper_deadline, time_left
from boardpack.meeting.records import (
    MANIFEST,
    PackRecord,
    Record,
    SendLogEntry,
    check_built,
    check_built_pack,
    filed_as,
    parse_manifest,
    read_pack_record,
    read_record,
)
from boardpack.meeting.send_log import attachment_hashes, load_log, send_log_path
from boardpack.meeting.settings import EVERY_PAPER, SETTINGS_FILE, PackSettings
from boardpack.paper.profile import Profile
from boardpack.text import is_utf8

STATUS_FORMAT = 1  # the version of --json's layout; raised only if a key changes meaning
BUILD_FIRST = "run boardpack build first"


# --- what a build left in an output folder, checked ----------------------------------------------


@dataclass(frozen=True)
class Built:
    """A paper's outputs as a build left them, checked against its build record.

    `faults` says why they are stale (empty: they are exactly what the build wrote, from the
    workbook as it is now, for the meeting in hand)."""

    name: str
    record: Record | None
    docx: Path | None  # present in the output folder
    pdf: Path | None
    faults: tuple[str, ...] = ()

    @property
    def built(self) -> bool:
        """Whether there is a build record and the .docx it names."""
        return self.record is not None and self.docx is not None

    @property
    def stale(self) -> bool:
        return bool(self.faults)


def built_paper(
    out_dir: Path,
    name: str,
    *,
    workbook_sha256: str | None = None,
    meeting: dt.date | None = None,
) -> Built:
    """Paper `name`'s outputs in `out_dir`, checked by content against its build record by the
    one staleness rule (records.check_built).

    `workbook_sha256` is the workbook's SHA-256 now (None: hash the workbook the record names,
    where it was); `meeting` is the meeting the papers are for (None: not checked)."""
    docx, pdf = out_dir / f"{name}.docx", out_dir / f"{name}.pdf"
    present_docx = docx if _exists(docx) else None
    present_pdf = pdf if _exists(pdf) else None
    record_path = out_dir / RECORD_FOLDER / f"{name}.json"
    if not _exists(record_path):
        orphan = "no build record: boardpack did not make its outputs in this folder"
        unrecorded = (orphan,) if present_docx or present_pdf else ()
        return Built(name, None, present_docx, present_pdf, unrecorded)
    try:
        record = read_record(record_path, data=False)
    except ArchiveError:
        reason = f"its build record {record_path.name} cannot be read"
        return Built(name, None, present_docx, present_pdf, (reason,))
    faults = check_built(record, out_dir, workbook_sha256, meeting=meeting)
    if record.pdf is None:
        present_pdf = None  # a PDF left from another build is not this build's
    return Built(name, record, present_docx, present_pdf, tuple(faults))


@dataclass(frozen=True)
class BuiltPack:
    """The meeting's combined pack as a build left it, checked against its record."""

    record: PackRecord | None
    docx: Path | None
    pdf: Path | None
    faults: tuple[str, ...] = ()

    name = PACK_NAME

    @property
    def built(self) -> bool:
        return self.record is not None and self.docx is not None

    @property
    def stale(self) -> bool:
        return bool(self.faults)


def built_pack(out_dir: Path, papers: Sequence[Built]) -> BuiltPack | None:
    """The pack in `out_dir` checked against its record and its papers' (None: no pack);
    it is stale when it does not hold exactly the papers as they are built now."""
    docx, pdf = out_dir / f"{PACK_NAME}.docx", out_dir / f"{PACK_NAME}.pdf"
    present_docx = docx if _exists(docx) else None
    present_pdf = pdf if _exists(pdf) else None
    record_path = out_dir / RECORD_FOLDER / f"{PACK_NAME}.json"
    if not _exists(record_path):
        if present_docx or present_pdf:
            unrecorded = "no build record: it was not made by the last build of this folder"
            return BuiltPack(None, present_docx, present_pdf, (unrecorded,))
        return None
    try:
        record = read_pack_record(record_path)
    except ArchiveError:
        return BuiltPack(None, present_docx, present_pdf, ("its build record cannot be read",))
    faults = check_built_pack(record, out_dir)
    by_name = {p.name: p for p in papers}
    held = {name for name, _ in record.papers}
    for name, docx_sha256 in record.papers:
        paper = by_name.get(name)
        if paper is None or paper.record is None:
            faults.append(f"it holds {name}, which is no longer built here")
        elif paper.record.docx_sha256 != docx_sha256:
            faults.append(f"it holds an earlier build of {name}")
        elif paper.stale:
            faults.append(f"its paper {name} is stale")
    faults.extend(
        f"it does not hold {p.name}, built since"
        for p in papers
        if p.built and p.name not in held and not p.stale
    )
    if record.pdf is None:
        present_pdf = None
    return BuiltPack(record, present_docx, present_pdf, tuple(faults))


def built_papers(out_dir: Path) -> list[Built]:
    """Every paper with a build record in `out_dir`, checked (the workbook where the record
    says it was read), in name order; BoardpackError when there are none."""
    folder = out_dir / RECORD_FOLDER
    if not out_dir.is_dir():
        raise BoardpackError(f"{out_dir}: no such folder of built papers; {BUILD_FIRST}")
    names = sorted(
        p.stem
        for p in (folder.glob("*.json") if folder.is_dir() else ())
        if not p.name.startswith(".") and p.stem != PACK_NAME
    )
    if not names:
        raise BoardpackError(f"{out_dir}: no built papers (no build records); {BUILD_FIRST}")
    return [built_paper(out_dir, name) for name in names]


def _exists(path: Path) -> bool:
    try:
        path.lstat()
    except OSError:
        return False
    return True


# --- the archive and the send log -----------------------------------------------------------------


@dataclass(frozen=True)
class Archived:
    """The latest archived version of a paper (or the pack) for its meeting."""

    version: str
    docx_sha256: str
    pdf_sha256: str
    source_sha256: str | None


class ArchiveView:
    """The latest version of each paper in an archive, read from its index on demand."""

    def __init__(self, archive_dir: Path | None) -> None:
        self.archive_dir = archive_dir
        self.problem = ""
        self._latest: dict[tuple[str, str, str], Any] = {}
        if archive_dir is None:
            return
        from boardpack.meeting.archive_index import read_index

        try:
            entries, problems = read_index(archive_dir)
        except FileNotFoundError:
            return  # nothing archived yet
        except ArchiveError as exc:
            self.problem = str(exc)
            return
        if problems:
            self.problem = (
                f"{archive_dir}: the archive's index is damaged ({problems[0]}); run boardpack"
                " verify"
            )
            return
        for entry in entries:  # oldest first, so the last one kept is the latest
            self._latest[(entry.board, entry.meeting_date, entry.paper)] = entry

    def latest(self, board: str, meeting_date: str, paper: str) -> Archived | None:
        """The latest version of `paper` for the meeting, its manifest shown to be the one the
        index lists; None when there is none or it cannot be read."""
        entry = self._latest.get((board, meeting_date, paper))
        if entry is None or self.archive_dir is None:
            return None
        try:
            data = read_regular(self.archive_dir / entry.folder / MANIFEST)
            if hashlib.sha256(data).hexdigest() != entry.manifest_sha256:
                raise ValueError("changed")
            manifest = parse_manifest(data)
        except (OSError, ValueError):
            return None
        return Archived(
            manifest.version,
            manifest.digest("docx"),
            manifest.digest("pdf"),
            manifest.source_sha256,
        )


def archived_version(view: ArchiveView, record: Record) -> str | None:
    """The archived version that is this very build of the paper, if the latest one is."""
    latest = view.latest(record.board, record.meeting_date, record.name)
    # The archive's own test of "the same paper": the .docx and the workbook (a PDF made
    # again from the same .docx differs only in its timestamps, and the archive keeps its own).
    if (
        latest is not None
        and latest.docx_sha256 == record.docx_sha256
        and latest.source_sha256 == record.source_sha256
    ):
        return latest.version
    return None


def recipients_of(
    distribution: Distribution | None, paper: str | None
) -> list[tuple[Recipient, tuple[Deliverable, ...]]]:
    """Who gets `paper` (None: the pack) and which of its files."""
    if distribution is None:
        return []
    wanted = (
        (Deliverable.DOCX, Deliverable.PDF)
        if paper is not None
        else (Deliverable.PACK_DOCX, Deliverable.PACK)
    )
    found = []
    for recipient in distribution.recipients:
        if paper is not None and recipient.papers and paper not in recipient.papers:
            continue
        gets = tuple(d for d in wanted if d in recipient.gets)
        if gets:
            found.append((recipient, gets))
    return found


def sent_to(
    entries: Sequence[SendLogEntry],
    files: dict[Deliverable, str | None],
    recipients: Sequence[tuple[Recipient, tuple[Deliverable, ...]]],
) -> tuple[str, ...]:
    """The addresses the send log shows were sent these very files (by SHA-256), of those who
    should get them; with no distribution, everyone the log shows got any of them."""
    if not recipients:
        hashes = {h for h in files.values() if h}
        return tuple(sorted({e.to for e in entries if attachment_hashes(e) & hashes}))
    done = []
    for recipient, gets in recipients:
        needed = {files.get(d) for d in gets}
        if None in needed:
            continue  # a file they get was not built, so they cannot have had this build
        if any(e.to == recipient.address and needed <= attachment_hashes(e) for e in entries):
            done.append(recipient.address)
    return tuple(done)


# --- the meeting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingStatus:
    """The meeting the papers are for, its paper deadline and the time left; `note` says in
    words what is missing or past."""

    date: dt.date | None
    deadline: dt.datetime | None
    time_left: str | None
    note: str = ""

    @property
    def deadline_passed(self) -> bool | None:
        return None if self.time_left is None else self.time_left.startswith("passed")


def meeting_status(
    settings: PackSettings, settings_file: Path | None, now: dt.datetime
) -> MeetingStatus:
    """The meeting the papers are for: boardpack.toml's meeting_date if it sets one, else the
    next of its meetings; with its deadline when a [deadline] rule is set."""
    where = str(settings_file) if settings_file else SETTINGS_FILE
    rule = settings.deadline
    day: dt.date | None = settings.meeting_date
    note = ""
    if day is None:
        schedule = meetings(settings.meetings, rule)
        upcoming = next_meeting(schedule, now)
        if upcoming is not None:
            day = upcoming.date
        elif schedule:
            return MeetingStatus(
                None,
                None,
                None,
                f"every meeting {where} lists is past (the last was"
                f" {schedule[-1].date.isoformat()}); add the board's next meeting dates",
            )
        else:
            return MeetingStatus(
                None,
                None,
                None,
                f"{where} lists no meetings; add the board's meeting dates, e.g."
                " meetings = [2026-01-22, 2026-03-19], and a [deadline] (see the README)",
            )
    today = now.astimezone(LONDON).date()
    if day < today:
        note = f"the meeting of {day.isoformat()} is past; set meeting_date to the next one"
    if rule is None:
        missing = f"{where} sets no [deadline]; add one to see when papers are due"
        return MeetingStatus(day, None, None, f"{note}; {missing}" if note else missing)
    deadline = paper_deadline(day, rule)
    return MeetingStatus(day, deadline, time_left(deadline, now), note)


# --- a folder of papers -----------------------------------------------------------------------


@dataclass(frozen=True)
class PaperStatus:
    """Where one paper (one workbook) stands."""

    name: str
    workbook: Path
    valid: bool
    problems: int  # the validator's count; 0 when valid
    validated_by: str  # "build record" (the build validated these very bytes) or "validator"
    built: bool
    pdf: bool
    stale: tuple[str, ...]  # why, when stale
    archived: str | None  # the archived version ("v2") that is this very build
    sent_to: tuple[str, ...]  # addresses the send log shows got this build's files
    recipients: int  # how many the distribution sends it to (0: no distribution)
    error: str = ""  # the workbook's first problem, or why it could not be read
    # The cover report it is an appendix of (boardpack.toml's [appendices]): built, archived
    # and sent inside that paper, so it has no outputs of its own.
    appendix_of: str = ""

    @property
    def is_stale(self) -> bool:
        return bool(self.stale)

    @property
    def sent(self) -> bool:
        """Whether this build went to everyone who gets it (to anyone, with no distribution)."""
        if self.recipients:
            return len(self.sent_to) >= self.recipients
        return bool(self.sent_to)


@dataclass(frozen=True)
class PackStatus:
    """Where the meeting's combined pack stands."""

    built: bool
    pdf: bool
    stale: tuple[str, ...]
    archived: str | None
    sent_to: tuple[str, ...]
    recipients: int

    name = PACK_NAME

    @property
    def sent(self) -> bool:
        if self.recipients:
            return len(self.sent_to) >= self.recipients
        return bool(self.sent_to)


@dataclass(frozen=True)
class FolderStatus:
    """A meeting's folder of workbooks, its output folder, archive and send log."""

    folder: Path
    out_dir: Path
    settings_file: Path | None
    archive_dir: Path | None
    send_log: Path | None
    board: str | None
    meeting: MeetingStatus
    papers: tuple[PaperStatus, ...]
    pack: PackStatus | None
    notes: tuple[str, ...] = field(default=())  # settings warnings, an unreadable archive ...

    def as_json(self) -> dict[str, Any]:
        """The status as `boardpack status --json` prints it; the keys are documented in the
        README and kept stable (STATUS_FORMAT)."""
        meeting = self.meeting
        return {
            "format": STATUS_FORMAT,
            "folder": str(self.folder),
            "out": str(self.out_dir),
            "settings": _or_none(self.settings_file),
            "archive": _or_none(self.archive_dir),
            "send_log": _or_none(self.send_log),
            "board": self.board,
            "meeting": {
                "date": meeting.date.isoformat() if meeting.date else None,
                "deadline": meeting.deadline.isoformat() if meeting.deadline else None,
                "time_left": meeting.time_left,
                "deadline_passed": meeting.deadline_passed,
                "note": meeting.note,
            },
            "papers": [
                {
                    "name": p.name,
                    "workbook": str(p.workbook),
                    "valid": p.valid,
                    "problems": p.problems,
                    "validated_by": p.validated_by,
                    "error": p.error,
                    "built": p.built,
                    "pdf": p.pdf,
                    "stale": p.is_stale,
                    "stale_reasons": list(p.stale),
                    "archived": p.archived,
                    "sent": p.sent,
                    "sent_to": list(p.sent_to),
                    "recipients": p.recipients,
                    "appendix_of": p.appendix_of or None,
                }
                for p in self.papers
            ],
            "pack": None
            if self.pack is None
            else {
                "built": self.pack.built,
                "pdf": self.pack.pdf,
                "stale": bool(self.pack.stale),
                "stale_reasons": list(self.pack.stale),
                "archived": self.pack.archived,
                "sent": self.pack.sent,
                "sent_to": list(self.pack.sent_to),
                "recipients": self.pack.recipients,
            },
            "notes": list(self.notes),
        }


def folder_status(
    folder: Path | str = "inputs",
    out_dir: Path | str = "output",
    *,
    archive_dir: Path | str | None = None,
    now: dt.datetime | None = None,
) -> FolderStatus:
    """Where each paper in `folder` stands, and the meeting it is for; BoardpackError when the
    folder does not exist, or its boardpack.toml cannot be read or has a fault in what every
    paper is read by (profile, templates, appendices). Other faults are notes."""
    folder, out = Path(folder), Path(out_dir)
    if not folder.is_dir():
        raise BoardpackError(
            f"{folder}: is not a folder; give the folder of the meeting's workbooks"
        )
    now = now or dt.datetime.now(dt.UTC)
    meeting_folder = MeetingFolder.open([folder])
    # Every paper is read and shown by these (appendices in their cover); a fault in any other
    # setting is a note, and only what needs it goes without it.
    meeting_folder.require(EVERY_PAPER)
    settings, settings_file = meeting_folder.settings, meeting_folder.settings_file
    # A faulty setting is named at its key, and only what needs it goes without it.
    notes = [str(w) for w in meeting_folder.warnings] + [str(f) for f in meeting_folder.faults]
    if settings_file is None:
        notes.append(
            f"{folder} has no {SETTINGS_FILE}: no meetings, deadline, archive or distribution"
            " are known (see the README)"
        )
    meeting = meeting_status(settings, settings_file, now)
    if unknown := meeting_folder.read.faults_in(("meeting_date", "meetings", "deadline")):
        # Gone without, the meeting would be said to be missing rather than mistyped.
        said = "; ".join(str(p) for p in unknown)
        meeting = MeetingStatus(None, None, None, f"{settings_file}: {said}; correct it")
    archive = meeting_folder.archive(archive_dir)
    view = ArchiveView(archive if archive is not None and archive.is_dir() else None)
    if view.problem:
        notes.append(view.problem)
    if archive is not None and not archive.is_dir():
        notes.append(
            f"{archive}: the archive folder does not exist yet; nothing is archived or sent"
        )
    log = send_log_path(archive) if archive is not None else None
    entries: list[SendLogEntry] = []
    if log is not None:
        try:
            read = load_log(log)
            entries = read.entries
            notes.extend(read.damaged)  # a damaged line is skipped; what else was sent stands
        except MailError as exc:
            notes.append(str(exc))

    papers: list[PaperStatus] = []
    built: list[Built] = []
    covers = meeting_folder.appendix_of()
    profile = meeting_folder.profile
    # In the agenda's order, as the pack and the covering emails list them.
    ordered, _ = meeting_folder.agenda_order(
        meeting_folder.workbooks, lambda w: safe_stem(w.stem) if is_utf8(w.name) else w.name
    )
    for workbook in ordered:
        if not is_utf8(workbook.name):  # no paper can be named after it: said, and skipped
            notes.append(str(not_utf8_name(workbook)))
            continue
        name = safe_stem(workbook.stem)
        if name.casefold() in covers:
            valid, problems, error = _validate(workbook, profile)
            papers.append(
                PaperStatus(
                    name=name,
                    workbook=workbook,
                    valid=valid,
                    problems=problems,
                    validated_by="validator",
                    built=False,
                    pdf=False,
                    stale=(),
                    archived=None,
                    sent_to=(),
                    recipients=0,
                    error=error,
                    appendix_of=covers[name.casefold()],
                )
            )
            continue
        paper, outputs = _paper_status(
            workbook, out, meeting.date, view, entries, settings, profile
        )
        papers.append(paper)
        built.append(outputs)
    pack = _pack_status(out, built, view, entries, meeting_folder)
    return FolderStatus(
        folder,
        out,
        settings_file,
        archive,
        log,
        settings.board,
        meeting,
        tuple(papers),
        pack,
        tuple(dict.fromkeys(notes)),  # each note once, however many papers met it
    )


def _paper_status(
    workbook: Path,
    out: Path,
    meeting: dt.date | None,
    view: ArchiveView,
    entries: Sequence[SendLogEntry],
    settings: PackSettings,
    profile: Profile | None,
) -> tuple[PaperStatus, Built]:
    name = safe_stem(workbook.stem)
    try:
        workbook_sha256: str | None = hash_regular(workbook, follow=True)[0]
    except OSError:
        workbook_sha256 = None
    outputs = built_paper(out, name, workbook_sha256=workbook_sha256, meeting=meeting)
    record = outputs.record
    if (
        record is not None
        and record.source_sha256 == workbook_sha256
        and record.boardpack_version == __version__
    ):
        valid, problems, by, error = True, 0, "build record", ""
    else:
        valid, problems, error = _validate(workbook, profile)
        by = "validator"
    archived = None
    sent: tuple[str, ...] = ()
    recipients = recipients_of(settings.email, name)
    if record is not None and outputs.built:
        filed = filed_as(record, settings)
        archived = archived_version(view, filed)
        files = {Deliverable.DOCX: record.docx_sha256, Deliverable.PDF: record.pdf_sha256}
        sent = sent_to(_for_meeting(entries, filed.board, filed.meeting_date), files, recipients)
    status = PaperStatus(
        name=name,
        workbook=workbook,
        valid=valid,
        problems=problems,
        validated_by=by,
        built=outputs.built,
        pdf=outputs.pdf is not None,
        stale=outputs.faults,
        archived=archived,
        sent_to=sent,
        recipients=len(recipients),
        error=error,
    )
    return status, outputs


def _validate(workbook: Path, profile: Profile | None = None) -> tuple[bool, int, str]:
    """Whether the validator accepts the workbook (of `profile`, unless its own Profile row
    names another); its count of problems and the first."""
    from boardpack.workbook.validate import load_paper  # only when a workbook needs reading

    try:
        load_paper(workbook, profile=profile)
    except InvalidWorkbook as exc:
        return False, len(exc.problems), str(exc.problems[0]) if exc.problems else ""
    except BoardpackError as exc:
        return False, 1, str(exc)
    return True, 0, ""


def _pack_status(
    out: Path,
    papers: Sequence[Built],
    view: ArchiveView,
    entries: Sequence[SendLogEntry],
    folder: MeetingFolder,
) -> PackStatus | None:
    pack = built_pack(out, papers)
    if pack is None:
        return None
    archived = None
    sent: tuple[str, ...] = ()
    recipients = recipients_of(folder.settings.email, None)
    record = pack.record
    meeting = _meeting_of(papers, record, folder)
    if record is not None and meeting is not None:
        latest = view.latest(*meeting, PACK_NAME)
        if latest is not None and latest.docx_sha256 == record.docx_sha256:
            archived = latest.version
        files = {Deliverable.PACK_DOCX: record.docx_sha256, Deliverable.PACK: record.pdf_sha256}
        sent = sent_to(_for_meeting(entries, *meeting), files, recipients)
    return PackStatus(
        pack.built, pack.pdf is not None, pack.faults, archived, sent, len(recipients)
    )


def _meeting_of(
    papers: Iterable[Built], record: PackRecord | None, folder: MeetingFolder
) -> tuple[str, str] | None:
    """The board and meeting date of the pack, as `email` sends it (folder.which_meeting)."""
    if record is None:
        return None
    by_name = {p.name: p.record for p in papers}
    held = [r for name, _ in record.papers if (r := by_name.get(name)) is not None]
    agreed = folder.meeting((r.name, r.board, _date(r.meeting_date)) for r in held)
    if agreed.board is None or agreed.date is None:
        return None
    return agreed.board, agreed.date.isoformat()


def _date(text: str) -> dt.date | None:
    """A build record's meeting date ("" when the paper names none)."""
    return dt.date.fromisoformat(text) if text else None


def _for_meeting(
    entries: Sequence[SendLogEntry], board: str, meeting_date: str
) -> list[SendLogEntry]:
    return [e for e in entries if e.board == board and e.meeting_date == meeting_date]


def _or_none(path: Path | None) -> str | None:
    return None if path is None else str(path)
