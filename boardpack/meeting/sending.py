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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from boardpack.errors import BoardpackError, MailError
from boardpack.files import PACK_NAME, OutsideFolder, inside, open_regular
from boardpack.meeting.distribution import Deliverable, Distribution, Recipient
from boardpack.meeting.folder import MeetingFolder
from boardpack.meeting.mail import (
    DEFAULT_NOTE,
    Draft,
    DraftsWritten,
    Letter,
    Meeting,
    PaperFiles,
    Refused,
    Sent,
    already_sent,
    append_log,
    compose_each,
    log_entry,
    one_line,
    plan,
    send,
    write_drafts,
)
from boardpack.meeting.records import SendLogEntry, filed_as, meeting_fault
from boardpack.meeting.send_log import load_log, send_lock, send_log_path
from boardpack.meeting.settings import EMAIL_NEEDS, SETTINGS_FILE, PackSettings
from boardpack.meeting.status import (
    BUILD_FIRST,
    ArchiveView,
    Built,
    BuiltPack,
    archived_version,
    built_pack,
    built_papers,
)
from boardpack.paper.profile import Profile

MAX_NOTE_BYTES = 64 * 1024  # a covering note is a few paragraphs
MAX_CA_BYTES = 4 * 1024 * 1024  # a whole system bundle of CAs is ~0.2 MB
PEM_MARK = "-----BEGIN CERTIFICATE-----"  # what every PEM certificate file holds
RECOMMENDATION = "recommendation"  # the key of the section the covering note quotes


def pem_text(data: bytes) -> str | None:
    """A certificate authority file's text, when it is a PEM certificate file of at most
    MAX_CA_BYTES (None: it is not); `boardpack email` and `serve` hold ca_file to this."""
    text = data.decode("ascii", "replace")
    return text if len(data) <= MAX_CA_BYTES and PEM_MARK in text else None


@dataclass(frozen=True)
class Outbox:
    """A meeting's covering emails, planned from papers shown to be as built; each message is
    composed only as it is written or sent (`drafts`)."""

    settings_file: Path
    meeting: Meeting
    distribution: Distribution
    letters: tuple[Letter, ...]
    archive_dir: Path | None
    versions: dict[str, str]  # archived version of each paper (and the pack) that is in the archive
    note: str = DEFAULT_NOTE
    now: dt.datetime | None = None
    warnings: tuple[str, ...] = ()  # each said once, however many papers it was met in

    def drafts(self, letters: Iterable[Letter] | None = None) -> Iterator[Draft]:
        """The messages, one at a time (of `letters`, default all)."""
        chosen = self.letters if letters is None else letters
        return compose_each(self.distribution, self.meeting, chosen, self.note, self.now)


@dataclass(frozen=True)
class SendReport:
    """What a sending run did: messages the server accepted, those it refused, and those not
    sent again."""

    sent: tuple[Sent, ...]
    refused: tuple[Refused, ...]
    skipped: tuple[tuple[Recipient, SendLogEntry], ...]  # already sent: (whom, its log entry)
    log: Path
    server: str
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every message that was due went."""
        return not self.refused


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
    # The meeting of the workbooks the papers were built from: where the record says they are.
    folder = MeetingFolder.open(sources, workbooks=False)
    settings_file, settings = folder.settings_file, folder.settings
    if settings_file is None:
        folders = ", ".join(sorted({str(s.parent) for s in sources})) or str(out)
        raise BoardpackError(
            f"no {SETTINGS_FILE} beside the workbooks ({folders}); the distribution is kept"
            " there in an [email] table (see the README)"
        )
    folder.require(EMAIL_NEEDS)  # a fault in [deadline] or the calendar does not stop email
    warnings = _Warnings(str(w) for w in folder.warnings)
    meeting = _meeting(papers, folder, warnings)
    papers = [_for_meeting(p, meeting.date) for p in papers]
    distribution = settings.email
    if distribution is None:
        raise BoardpackError(
            f"{settings_file}: has no [email] table saying who the papers go to; add the"
            " sender and recipients (see the README)"
        )
    _known_papers(distribution, papers, settings, settings_file, out)
    pack = built_pack(out, papers)
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
    archive = folder.archive(archive_dir)
    view = ArchiveView(archive if archive is not None and archive.is_dir() else None)
    if view.problem:
        warnings.add(view.problem)
    versions = {}
    for paper in papers:
        assert paper.record is not None
        if (version := archived_version(view, filed_as(paper.record, settings))) is not None:
            versions[paper.name] = version
    if pack is not None and pack.record is not None and not pack.stale:
        latest = view.latest(meeting.board, meeting.date.isoformat(), PACK_NAME)
        if latest is not None and latest.docx_sha256 == pack.record.docx_sha256:
            versions[PACK_NAME] = latest.version
    ordered, _ = folder.agenda_order(papers, lambda p: p.name)
    files = [_paper_files(p, folder.profile, warnings) for p in ordered]
    pack_files = (pack.docx, pack.pdf) if pack is not None and not pack.stale else (None, None)
    note = _note(distribution, settings_file)
    letters = plan(distribution, meeting, files, pack_files)
    return Outbox(
        settings_file,
        meeting,
        distribution,
        tuple(letters),
        archive,
        versions,
        note,
        now,
        warnings.said(),
    )


class _Warnings:
    """Warnings in the order met, each kept once."""

    def __init__(self, first: Iterable[str] = ()) -> None:
        self._said: dict[str, None] = dict.fromkeys(first)

    def add(self, warning: str) -> None:
        self._said.setdefault(warning, None)

    def said(self) -> tuple[str, ...]:
        return tuple(self._said)


def write_email_drafts(
    out_dir: Path | str,
    drafts_dir: Path | str,
    *,
    replace: bool = False,
    now: dt.datetime | None = None,
) -> tuple[Outbox, DraftsWritten]:
    """Write one .eml per message into `drafts_dir`, ready to send from Outlook or
    Thunderbird; a folder holding drafts already is refused unless `replace` (see
    mail.write_drafts)."""
    outbox = prepare(out_dir, now=now)
    return outbox, write_drafts(outbox.drafts(), Path(drafts_dir), replace=replace)


def send_papers(
    out_dir: Path | str,
    *,
    archive_dir: Path | str | None = None,
    again: bool = False,
    environ: dict[str, str] | None = None,
    now: dt.datetime | None = None,
    on_sent: Callable[[Sent], None] | None = None,
    on_refused: Callable[[Refused], None] | None = None,
    on_stopping: Callable[[], None] | None = None,
) -> SendReport:
    """Send each message through boardpack.toml's SMTP server, every recipient tried, and
    record in the send log each one the server accepts, as it does. A message whose files the
    log shows that recipient had already is not sent unless `again` (so a run again after
    everything went sends nothing, and is not a fault). One the server refuses is in the
    report's `refused` and the rest still go. MailError when the server cannot be reached or
    stops answering (what it accepted before that is
    recorded). Ctrl-C or SIGTERM stops after the message with the server is recorded."""
    outbox = prepare(out_dir, archive_dir=archive_dir, now=now)
    smtp = outbox.distribution.smtp
    if smtp is None:
        raise MailError(
            f"{outbox.settings_file}: names no mail server; add [email.smtp] with its host"
            " (see docs/email.md), or write drafts with --drafts to send from Outlook"
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
    warnings = _Warnings(outbox.warnings)
    with send_lock(archive):
        read = load_log(log)
        for damage in read.damaged:
            warnings.add(damage)
        to_send: list[Letter] = []
        skipped: list[tuple[Recipient, SendLogEntry]] = []
        for letter in outbox.letters:
            earlier = None if again else already_sent(letter, read.entries)
            if earlier is None:
                to_send.append(letter)
            else:
                skipped.append((letter.recipient, earlier))
        if not to_send:  # a run again after everything went: nothing to do, and no fault
            return SendReport((), (), tuple(skipped), log, server, warnings.said())
        sent: list[Sent] = []

        def record(done: Sent) -> None:
            append_log(log, log_entry(done, outbox.meeting, server, outbox.versions))
            sent.append(done)
            if on_sent is not None:
                on_sent(done)

        try:
            outcome = send(
                outbox.drafts(to_send),
                smtp,
                environ=environ,
                on_sent=record,
                on_refused=on_refused,
                on_stopping=on_stopping,
                ca_data=_ca_data(smtp.ca_file, outbox.settings_file),
            )
        except MailError as exc:
            if not sent:
                raise MailError(f"{exc}; nothing was sent") from exc
            raise MailError(
                f"{exc}; {len(sent)} of {len(to_send)} messages were sent before it and are"
                f" recorded in {log}; run again to send the rest"
            ) from exc
    return SendReport(
        tuple(sent), tuple(outcome.refused), tuple(skipped), log, server, warnings.said()
    )


def _meeting(papers: Sequence[Built], folder: MeetingFolder, warnings: _Warnings) -> Meeting:
    """The meeting the papers go to (folder.which_meeting); a board name on several lines is put
    on one, with a warning."""
    records = [p.record for p in papers if p.record is not None]
    agreed = folder.meeting(
        (r.name, r.board, dt.date.fromisoformat(r.meeting_date) if r.meeting_date else None)
        for r in records
    )
    if agreed.board is None or agreed.date is None:
        raise MailError(
            f"{agreed.unsettled()}; set board and meeting_date in {folder.settings_file}"
            " to say which meeting to send, and build each meeting into a folder of its own"
        )
    board = _one_line(agreed.board, "the board's name", warnings)
    settings = folder.settings
    venue = None if settings.venue is None else _one_line(settings.venue, "venue", warnings)
    return Meeting(board, agreed.date, venue, settings.meeting_time)


def _one_line(text: str, what: str, warnings: _Warnings) -> str:
    """`text` on one line, for a subject line or a file name; a warning when it was not."""
    cleaned = one_line(text)
    if cleaned != text:
        warnings.add(
            f"{what} {cleaned!r} had line breaks or control characters; they are left out of"
            " the messages. Correct it where it is typed"
        )
    return cleaned


def _known_papers(
    distribution: Distribution,
    papers: Sequence[Built],
    settings: PackSettings,
    settings_file: Path,
    out: Path,
) -> None:
    """MailError naming a recipient's paper that is not one of the meeting's papers."""
    names = {p.name.casefold() for p in papers}
    covers = {a.casefold(): c for c, appendices in settings.appendices.items() for a in appendices}
    for number, recipient in enumerate(distribution.recipients, start=1):
        for wanted in recipient.papers:
            name = wanted.removesuffix(".xlsx").casefold()
            if name in names:
                continue
            if name in covers:
                why = f"it is an appendix of {covers[name]} and goes with it; name that instead"
            else:
                why = f"no paper of that name is built in {out}; correct the name, or build it"
            raise MailError(
                f"{settings_file}: email.recipients item {number} ({recipient.name})"
                f" names the paper '{wanted}', but {why}"
            )


def _for_meeting(paper: Built, meeting: dt.date) -> Built:
    """The paper, stale too if it was built for another meeting."""
    record = paper.record
    if record is None or (fault := meeting_fault(record, meeting)) is None:
        return paper
    return Built(paper.name, record, paper.docx, paper.pdf, (*paper.faults, fault))


def _paper_files(paper: Built, profile: Profile | None, warnings: _Warnings) -> PaperFiles:
    """The paper as the covering note quotes it, read from the very workbook it was built from."""
    from boardpack.workbook.validate import load_paper

    record = paper.record
    assert record is not None and paper.docx is not None
    checked = load_paper(record.source, profile=profile)  # read as the build read it
    # The section a profile keys "recommendation" (the JIB paper's section 1); a profile
    # without one gives the covering note no recommendation to quote.
    recommendation = " ".join(
        p.text.strip()
        for p in checked.paper.paragraphs
        if p.section == RECOMMENDATION and p.text.strip()
    )
    project = _one_line(record.project, f"{paper.name}: the project's name", warnings)
    return PaperFiles(paper.name, project, recommendation, paper.docx, paper.pdf)


def _named_file(
    settings_file: Path, name: Path, setting: str, what: str, fix: str, limit: int
) -> tuple[Path, bytes]:
    """The bytes of the file `setting` names, read from inside the meeting folder (files.inside:
    never through a link out of it, never a pipe or device) and at most `limit` of them; MailError
    naming the setting, the file and `fix` otherwise."""
    try:
        path = inside(settings_file.parent, name, setting=setting)
    except OutsideFolder as exc:
        raise MailError(f"{settings_file}: {exc}") from exc
    named = f"{path}: {what} named in {settings_file} ({setting})"
    try:
        # The path is resolved, so a link found there now was swapped in since: refused.
        with open_regular(path, follow=False) as (handle, _):
            data = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise MailError(f"{named} is not there; {fix}") from exc
    except OSError as exc:
        raise MailError(f"{named} cannot be read ({exc.strerror}); {fix}") from exc
    if len(data) > limit:
        raise MailError(f"{named} is over {limit // 1024} KB, far more than it should be; {fix}")
    return path, data


def _ca_data(ca_file: Path | None, settings_file: Path) -> str | None:
    """The council's certificate authority (`ca_file` in [email.smtp], relative to
    boardpack.toml) as PEM text, read here so that it is checked as every named file is."""
    if ca_file is None:
        return None
    fix = "export the council's CA certificate as PEM there, or remove ca_file"
    path, data = _named_file(
        settings_file,
        ca_file,
        "[email.smtp] ca_file",
        "the certificate authority",
        fix,
        MAX_CA_BYTES,
    )
    text = pem_text(data)
    if text is None:
        raise MailError(
            f"{path}: the certificate authority named in {settings_file} ([email.smtp] ca_file)"
            f" is not a PEM certificate file ({PEM_MARK}); {fix}"
        )
    return text


def _note(distribution: Distribution, settings_file: Path) -> str:
    """The council's covering note (`note` in [email], relative to boardpack.toml), or the
    default one."""
    if distribution.note is None:
        return DEFAULT_NOTE
    fix = "write it as a text file, or remove note from [email] to use the default"
    path, data = _named_file(
        settings_file,
        distribution.note,
        "[email] note",
        "the covering note",
        fix,
        MAX_NOTE_BYTES,
    )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MailError(f"{path}: is not UTF-8 text; save the covering note as UTF-8") from exc


__all__ = [
    "DraftsWritten",
    "Outbox",
    "SendReport",
    "prepare",
    "send_papers",
    "write_email_drafts",
]
