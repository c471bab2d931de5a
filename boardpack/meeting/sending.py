"""`boardpack email`: a built meeting's covering emails, as drafts or sent, over mail.py.

The papers are those built in an output folder, each checked by content against its build
record first: a paper whose workbook changed since the build, whose outputs are not the bytes the
build wrote, or that was built for another meeting is never sent (nor drafted), and nothing at all
goes until it is built again. The distribution, covering note and SMTP server come from the
boardpack.toml beside the workbooks the papers were built from, found as `build` finds it.

What each server accepted is recorded, as it is accepted, in the send log beside the archive
(ARCHIVE_DIR/sent.jsonl, see send_log.py); a message whose very files the log shows went to
that recipient already is not sent again unless asked (`again`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boardpack.errors import BoardpackError, MailError
from boardpack.files import PACK_NAME, OutsideFolder, ensure_folder, inside, open_regular
from boardpack.meeting.distribution import Deliverable, Distribution
from boardpack.meeting.mail import (
    DEFAULT_NOTE,
    Draft,
    Meeting,
    PaperFiles,
    Sent,
    already_sent,
    append_log,
    compose,
    log_entry,
    read_log,
    send,
    write_drafts,
)
from boardpack.meeting.send_log import send_lock, send_log_path
from boardpack.meeting.settings import SETTINGS_FILE, PackSettings, find_settings, load_settings
from boardpack.meeting.status import (
    BUILD_FIRST,
    ArchiveView,
    Built,
    BuiltPack,
    archive_of,
    archived_version,
    built_papers,
    check_built_pack,
)

MAX_NOTE_BYTES = 64 * 1024  # a covering note is a few paragraphs
MAX_CA_BYTES = 4 * 1024 * 1024  # a whole system bundle of CAs is ~0.2 MB
RECOMMENDATION = "recommendation"  # the key of the section the covering note quotes


@dataclass(frozen=True)
class Outbox:
    """A meeting's covering emails, composed from papers shown to be as built."""

    settings_file: Path
    meeting: Meeting
    distribution: Distribution
    drafts: tuple[Draft, ...]
    archive_dir: Path | None
    versions: dict[str, str]  # archived version of each paper (and the pack) that is in the archive


@dataclass(frozen=True)
class SendReport:
    """What a sending run did: messages the server accepted, and those not sent again."""

    sent: tuple[Sent, ...]
    skipped: tuple[tuple[Draft, dict[str, Any]], ...]  # already sent: (draft, its log entry)
    log: Path
    server: str


def prepare(
    out_dir: Path | str,
    *,
    archive_dir: Path | str | None = None,
    now: dt.datetime | None = None,
) -> Outbox:
    """The covering emails for the papers built in `out_dir`; MailError naming each stale paper
    (saying to build first), BoardpackError for settings that cannot be used."""
    out = Path(out_dir)
    papers = built_papers(out)
    sources = [p.record.source for p in papers if p.record is not None]
    settings_file = find_settings(sources)
    if settings_file is None:
        folders = ", ".join(sorted({str(s.parent) for s in sources})) or str(out)
        raise BoardpackError(
            f"no {SETTINGS_FILE} beside the workbooks ({folders}); the distribution is kept"
            " there in an [email] table (see the README)"
        )
    settings, _ = load_settings(settings_file)
    meeting = _meeting(papers, settings, settings_file)
    papers = [_for_meeting(p, meeting.date) for p in papers]
    distribution = settings.email
    if distribution is None:
        raise BoardpackError(
            f"{settings_file}: has no [email] table saying who the papers go to; add the"
            " sender and recipients (see the README)"
        )
    pack = check_built_pack(out, papers)
    pack_wanted = any(
        d in r.gets
        for r in distribution.recipients
        for d in (Deliverable.PACK, Deliverable.PACK_DOCX)
    )
    stale: list[Built | BuiltPack] = [p for p in papers if p.stale]
    if pack_wanted and pack is not None and pack.stale:
        stale.append(pack)
    if stale:
        raise MailError(
            "nothing was sent: "
            + "; ".join(f"{p.name}: {', '.join(p.faults)}" for p in stale)
            + f"; {BUILD_FIRST}"
        )
    archive = archive_of(
        settings, settings_file, None if archive_dir is None else Path(archive_dir)
    )
    view = ArchiveView(archive if archive is not None and archive.is_dir() else None)
    versions = {}
    for paper in papers:
        assert paper.record is not None
        if (version := archived_version(view, paper.record)) is not None:
            versions[paper.name] = version
    if pack is not None and pack.record is not None and not pack.stale:
        latest = view.latest(meeting.board, meeting.date.isoformat(), PACK_NAME)
        if latest is not None and latest.docx_sha256 == pack.record.docx_sha256:
            versions[PACK_NAME] = latest.version
    files = [_paper_files(p) for p in _agenda_order(papers, settings)]
    pack_files = (pack.docx, pack.pdf) if pack is not None and not pack.stale else (None, None)
    note = _note(distribution, settings_file)
    drafts = compose(distribution, meeting, files, pack_files, note, now)
    return Outbox(settings_file, meeting, distribution, tuple(drafts), archive, versions)


def write_email_drafts(
    out_dir: Path | str, drafts_dir: Path | str, *, now: dt.datetime | None = None
) -> tuple[Outbox, list[Path]]:
    """Write one .eml per message into `drafts_dir`, ready to send from Outlook or Thunderbird."""
    outbox = prepare(out_dir, now=now)
    return outbox, write_drafts(outbox.drafts, ensure_folder(Path(drafts_dir)))


def send_papers(
    out_dir: Path | str,
    *,
    archive_dir: Path | str | None = None,
    again: bool = False,
    environ: dict[str, str] | None = None,
    now: dt.datetime | None = None,
) -> SendReport:
    """Send each message through boardpack.toml's SMTP server, recording in the send log each
    one the server accepts, as it does. A message whose files the log shows that recipient had
    already is not sent unless `again`; MailError when there is nothing new to send, or the
    server cannot be reached or refuses (what it accepted before that is recorded)."""
    outbox = prepare(out_dir, archive_dir=archive_dir, now=now)
    smtp = outbox.distribution.smtp
    if smtp is None:
        raise MailError(
            f"{outbox.settings_file}: names no mail server; add [email.smtp] with its host"
            " (see the README), or write drafts with --drafts to send from Outlook"
        )
    archive = outbox.archive_dir
    if archive is None:
        raise MailError(
            'there is no archive folder to keep the send log in: set archive = "..." in'
            f" {outbox.settings_file} or give --archive DIR"
        )
    if archive.exists() and not archive.is_dir():
        raise MailError(f"{archive}: is a file, not an archive folder")
    try:
        archive.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MailError(f"{archive}: cannot create the archive folder ({exc.strerror})") from exc
    log = send_log_path(archive)
    server = f"{smtp.host}:{smtp.port}"
    with send_lock(archive):
        entries = read_log(log)
        to_send: list[Draft] = []
        skipped: list[tuple[Draft, dict[str, Any]]] = []
        for draft in outbox.drafts:
            earlier = None if again else already_sent(draft, entries)
            if earlier is None:
                to_send.append(draft)
            else:
                skipped.append((draft, earlier))
        if not to_send:
            raise MailError(
                "nothing was sent: these very files went already to "
                + _who(skipped)
                + " (see the send log, "
                + str(log)
                + "); to send them again, add --again"
            )
        sent: list[Sent] = []

        def record(done: Sent) -> None:
            append_log(log, log_entry(done, outbox.meeting, server, outbox.versions))
            sent.append(done)

        try:
            ca_data = _ca_data(smtp.ca_file, outbox.settings_file)
            send(to_send, smtp, environ=environ, on_sent=record, ca_data=ca_data)
        except MailError as exc:
            if not sent:
                raise MailError(f"{exc}; nothing was sent") from exc
            raise MailError(
                f"{exc}; {len(sent)} of {len(to_send)} messages were sent before it and are"
                f" recorded in {log}; run again to send the rest"
            ) from exc
    return SendReport(tuple(sent), tuple(skipped), log, server)


def _who(skipped: Sequence[tuple[Draft, dict[str, Any]]]) -> str:
    return ", ".join(
        f"{d.recipient.name} <{d.recipient.address}> (sent {e.get('sent_at', '?')})"
        for d, e in skipped
    )


def _meeting(papers: Sequence[Built], settings: PackSettings, settings_file: Path) -> Meeting:
    """The meeting the papers go to: boardpack.toml's board and meeting date, else the one
    every paper was built for."""
    boards = {p.record.board for p in papers if p.record is not None}
    dates = {p.record.meeting_date for p in papers if p.record is not None}
    board = settings.board or (boards.pop() if len(boards) == 1 else None)
    date = settings.meeting_date or (
        dt.date.fromisoformat(dates.pop()) if len(dates) == 1 else None
    )
    if board is None or date is None:
        what = "boards" if board is None else "meeting dates"
        raise MailError(
            f"the papers are for different {what}; set board and meeting_date in {settings_file}"
            " to say which meeting to send, and build each meeting into a folder of its own"
        )
    return Meeting(board, date, settings.venue)


def _for_meeting(paper: Built, meeting: dt.date) -> Built:
    """The paper, stale too if it was built for another meeting."""
    record = paper.record
    if record is None or record.meeting_date == meeting.isoformat():
        return paper
    fault = f"it was built for the meeting of {record.meeting_date}, not {meeting.isoformat()}"
    return Built(paper.name, record, paper.docx, paper.pdf, (*paper.faults, fault))


def _agenda_order(papers: Sequence[Built], settings: PackSettings) -> list[Built]:
    """The papers in the order of the agenda, then the rest alphabetically, as in the pack."""
    by_name = {p.name.casefold(): p for p in papers}
    ordered = []
    for wanted in settings.agenda:
        paper = by_name.get(wanted.removesuffix(".xlsx").casefold())
        if paper is not None and paper not in ordered:
            ordered.append(paper)
    return ordered + sorted(
        (p for p in papers if p not in ordered), key=lambda p: p.name.casefold()
    )


def _paper_files(paper: Built) -> PaperFiles:
    """The paper as the covering note quotes it, read from the very workbook it was built from."""
    from boardpack.workbook.validate import load_paper

    record = paper.record
    assert record is not None and paper.docx is not None
    checked = load_paper(record.source)
    # The section a profile keys "recommendation" (the JIB paper's section 1); a profile
    # without one gives the covering note no recommendation to quote.
    recommendation = " ".join(
        p.text.strip()
        for p in checked.paper.paragraphs
        if p.section == RECOMMENDATION and p.text.strip()
    )
    return PaperFiles(paper.name, record.project, recommendation, paper.docx, paper.pdf)


def _ca_data(ca_file: Path | None, settings_file: Path) -> str | None:
    """The council's certificate authority (`ca_file` in [email.smtp], relative to
    boardpack.toml) as PEM text, read here so that it is checked as every named file is."""
    if ca_file is None:
        return None
    setting = "[email.smtp] ca_file"
    try:
        path = inside(settings_file.parent, ca_file, setting=setting)
    except OutsideFolder as exc:
        raise MailError(f"{settings_file}: {exc}") from exc
    try:
        with open_regular(path, follow=False) as (handle, _):
            data = handle.read(MAX_CA_BYTES + 1)
    except FileNotFoundError as exc:
        raise MailError(
            f"{path}: the certificate authority named in {settings_file} ({setting}) is not"
            " there; put the council's CA certificate (PEM) there, or remove ca_file"
        ) from exc
    except OSError as exc:
        raise MailError(
            f"{path}: the certificate authority named in {settings_file} ({setting}) cannot be"
            f" read ({exc.strerror}); make it a PEM file"
        ) from exc
    text = data.decode("ascii", "replace")
    if len(data) > MAX_CA_BYTES or "-----BEGIN CERTIFICATE-----" not in text:
        raise MailError(
            f"{path}: the certificate authority named in {settings_file} ({setting}) is not a"
            " PEM certificate file (-----BEGIN CERTIFICATE-----, at most"
            f" {MAX_CA_BYTES // 1024 // 1024} MB); export the council's CA certificate as PEM"
        )
    return text


def _note(distribution: Distribution, settings_file: Path) -> str:
    """The council's covering note (`note` in [email], relative to boardpack.toml), or the
    default one."""
    if distribution.note is None:
        return DEFAULT_NOTE
    try:
        path = inside(settings_file.parent, distribution.note, setting="[email] note")
    except OutsideFolder as exc:
        raise MailError(f"{settings_file}: {exc}") from exc
    try:
        # The path is resolved, so a link found there now was swapped in since: refused.
        with open_regular(path, follow=False) as (handle, _):
            data = handle.read(MAX_NOTE_BYTES + 1)
    except FileNotFoundError as exc:
        raise MailError(
            f"{path}: the covering note named in {settings_file} is not there; write it, or"
            " remove note from [email] to use the default"
        ) from exc
    except OSError as exc:
        raise MailError(
            f"{path}: the covering note named in {settings_file} ([email] note) cannot be read"
            f" ({exc.strerror}); make it a text file"
        ) from exc
    if len(data) > MAX_NOTE_BYTES:
        raise MailError(
            f"{path}: is over {MAX_NOTE_BYTES // 1024} KB; a covering note is a few lines"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MailError(f"{path}: is not UTF-8 text; save the covering note as UTF-8") from exc


__all__ = ["Outbox", "SendReport", "prepare", "send_papers", "write_email_drafts"]
