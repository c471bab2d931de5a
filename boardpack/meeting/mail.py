"""Sending the papers: covering emails, as drafts to open in Outlook or sent through SMTP.

Who gets what is the distribution in boardpack.toml: the clerk, members and officers, each with
the files they get (a paper's .docx, its PDF, the pack). Every message is composed here, one at a
time as it is needed, so that mail for thousands of recipients never sits in memory at once;
`write_drafts` saves each as an .eml that opens ready to send (`X-Unsent: 1`), `send` hands each
to the council's SMTP server and says what became of every one. A send log beside the archive
records what each server accepted, with each attachment's SHA-256, so "did members get v2?" has
an answer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import signal
import smtplib
import socket
import ssl
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import SMTPUTF8 as SMTPUTF8_POLICY
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from boardpack.errors import MailError
from boardpack.files import safe_stem, write_atomic
from boardpack.meeting.distribution import (
    Deliverable,
    Distribution,
    Recipient,
    Security,
    SmtpSettings,
)
from boardpack.meeting.records import SendLogEntry, SentFile
from boardpack.meeting.send_log import SEND_LOG, already_sent, append_log, read_log
from boardpack.paper.profile import fill

__all__ = [
    "SEND_LOG",
    "MailError",
    "already_sent",
    "append_log",
    "compose",
    "compose_each",
    "log_entry",
    "one_line",
    "plan",
    "read_log",
    "send",
    "write_drafts",
]

# The covering note when the council has not written its own: {placeholders} are filled in, and
# nothing else in a note is read as code.
DEFAULT_NOTE = """Dear {name},

Please find attached the papers for the {board} meeting{at_time} on {meeting_date}{at_venue}.

{items}

Kind regards,
{sender}
"""

DRAFTS_RECORD = ".boardpack-drafts.json"  # which drafts boardpack wrote, and their hashes


@dataclass(frozen=True)
class PaperFiles:
    """A built paper as the email needs it."""

    name: str  # the workbook's name, as the agenda lists it
    project: str
    recommendation: str  # the paper's recommendation, quoted in the covering note
    docx: Path
    pdf: Path | None


@dataclass(frozen=True)
class Meeting:
    """The meeting the papers are for."""

    board: str
    date: dt.date
    venue: str | None = None
    time: dt.time | None = None


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message, the name it is attached under, and the hash of its bytes."""

    path: Path
    sha256: str
    name: str = ""  # the name the recipient sees; the file's own name when empty

    @property
    def shown(self) -> str:
        return self.name or self.path.name


@dataclass(frozen=True)
class Letter:
    """One recipient's message before it is composed: whom, which papers, which files."""

    recipient: Recipient
    papers: tuple[PaperFiles, ...]
    attachments: tuple[Attachment, ...]

    @property
    def paper_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.papers)


@dataclass(frozen=True)
class Draft:
    """One composed message to one recipient."""

    recipient: Recipient
    message: EmailMessage
    attachments: tuple[Attachment, ...]
    papers: tuple[str, ...]


_TYPES = {
    ".pdf": ("application", "pdf"),
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


class _Files:
    """Each output read once and kept for every message that attaches it: memory grows with
    the papers, never with the recipients."""

    def __init__(self) -> None:
        self._read: dict[Path, tuple[bytes, str]] = {}

    def get(self, path: Path) -> tuple[bytes, str]:
        if path not in self._read:
            data = _read_output(path)
            # The hash is of the bytes attached, so the log says exactly what went.
            self._read[path] = (data, hashlib.sha256(data).hexdigest())
        return self._read[path]


def attachment_name(meeting: Meeting, path: Path) -> str:
    """The name a file is attached under: the board and meeting date before the file's own
    name, so that a member's downloads of one meeting are not mistaken for another's."""
    board = safe_stem(" ".join(meeting.board.split()))
    return f"{board} {meeting.date.isoformat()} {path.name}"


def plan(
    distribution: Distribution,
    meeting: Meeting,
    papers: Sequence[PaperFiles],
    pack: tuple[Path | None, Path | None] = (None, None),
) -> list[Letter]:
    """Who gets which papers and files, each file read and hashed once; MailError, before
    anything is sent, for a recipient who would get nothing or a file that is not built."""
    files = _Files()
    letters = []
    for recipient in distribution.recipients:
        # Named as the agenda names them: with or without .xlsx, in any case.
        wanted = {name.removesuffix(".xlsx").casefold() for name in recipient.papers}
        theirs = [p for p in papers if not wanted or p.name.casefold() in wanted]
        paths = _files_for(recipient, theirs, pack)
        if not paths:
            raise MailError(
                f"{recipient.name} <{recipient.address}> would get no attachment: check their"
                " 'gets' and 'papers' in boardpack.toml, or build the missing outputs"
            )
        attachments = tuple(
            Attachment(path, files.get(path)[1], attachment_name(meeting, path)) for path in paths
        )
        letters.append(Letter(recipient, tuple(theirs), attachments))
    return letters


def compose_each(
    distribution: Distribution,
    meeting: Meeting,
    letters: Iterable[Letter],
    note: str = DEFAULT_NOTE,
    now: dt.datetime | None = None,
) -> Iterator[Draft]:
    """Each letter's message, composed only when it is asked for."""
    now = now or dt.datetime.now(dt.UTC)
    sender_name = distribution.sender_name or distribution.sender.split("@")[0]
    files = _Files()
    for letter in letters:
        recipient = letter.recipient
        body = fill(note, _note_values(recipient, meeting, letter.papers, sender_name))
        message = _message(distribution, recipient, meeting, letter.papers, body, now)
        for attachment in letter.attachments:
            data, sha256 = files.get(attachment.path)
            if sha256 != attachment.sha256:
                raise MailError(
                    f"{attachment.path}: changed while the messages were being made; build the"
                    " papers again and run again"
                )
            suffix = attachment.path.suffix.lower()
            kind, subtype = _TYPES.get(suffix, ("application", "octet-stream"))
            message.add_attachment(data, maintype=kind, subtype=subtype, filename=attachment.shown)
        yield Draft(recipient, message, letter.attachments, letter.paper_names)


def compose(
    distribution: Distribution,
    meeting: Meeting,
    papers: Sequence[PaperFiles],
    pack: tuple[Path | None, Path | None] = (None, None),
    note: str = DEFAULT_NOTE,
    now: dt.datetime | None = None,
) -> list[Draft]:
    """A message per recipient, with what they get attached; `pack` is (its .docx, its PDF).
    For a few recipients; `plan` and `compose_each` make them one at a time."""
    letters = plan(distribution, meeting, papers, pack)
    return list(compose_each(distribution, meeting, letters, note, now))


def _read_output(path: Path) -> bytes:
    try:
        if not path.is_file():  # a FIFO or a device would hang the read, or never end
            raise MailError(f"{path}: is not a built output file; build the papers again")
        return path.read_bytes()
    except OSError as exc:
        raise MailError(f"{path}: cannot be read to attach ({exc.strerror})") from exc


def _files_for(
    recipient: Recipient, papers: Sequence[PaperFiles], pack: tuple[Path | None, Path | None]
) -> list[Path]:
    files: list[Path] = []
    for paper in papers:
        if Deliverable.DOCX in recipient.gets:
            files.append(paper.docx)
        if Deliverable.PDF in recipient.gets:
            if paper.pdf is None:
                raise MailError(
                    f"{paper.name}: has no PDF to send {recipient.name}; build it with PDFs"
                    " (without --no-pdf) first"
                )
            files.append(paper.pdf)
    for wanted, path in ((Deliverable.PACK_DOCX, pack[0]), (Deliverable.PACK, pack[1])):
        if wanted in recipient.gets:
            if path is None:
                raise MailError(
                    f"there is no pack to send {recipient.name}; build the meeting's folder"
                    " (boardpack build FOLDER) first"
                )
            files.append(path)
    return files


def _note_values(
    recipient: Recipient, meeting: Meeting, papers: Sequence[PaperFiles], sender: str
) -> dict[str, str]:
    from boardpack.paper.context import long_date

    items = "\n\n".join(
        f"{number}. {paper.project}"
        + (f"\n   Recommendation: {paper.recommendation}" if paper.recommendation else "")
        for number, paper in enumerate(papers, start=1)
    )
    time = f"{meeting.time:%H:%M}" if meeting.time else ""
    return {
        "name": recipient.name,
        "board": meeting.board,
        "meeting_date": long_date(meeting.date),
        "meeting_time": time,
        "at_time": f" at {time}" if time else "",
        "venue": meeting.venue or "",
        "at_venue": f" at {meeting.venue}" if meeting.venue else "",
        "items": items or "The meeting's combined pack is attached.",
        "sender": sender,
    }


def one_line(text: str) -> str:
    """Text for a header or a file name: line breaks and other control characters become
    spaces, and runs of spaces one."""
    return " ".join(
        "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text).split()
    )


def is_international(address: str) -> bool:
    """Whether an address needs SMTPUTF8: letters outside ASCII in it."""
    return not address.isascii()


def _mailbox(name: str, address: str) -> Address | str:
    """A To or From header's value; an international address as UTF-8 text, which the
    standard library's Address will not hold."""
    if not is_international(address):
        return Address(name, addr_spec=address)
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>' if name else address


def _message(
    distribution: Distribution,
    recipient: Recipient,
    meeting: Meeting,
    papers: Sequence[PaperFiles],
    body: str,
    now: dt.datetime,
) -> EmailMessage:
    addresses = (distribution.sender, recipient.address, distribution.reply_to or "")
    international = any(is_international(a) for a in addresses)
    message = EmailMessage(policy=SMTPUTF8_POLICY if international else SMTP_POLICY)
    message["From"] = _mailbox(distribution.sender_name or "", distribution.sender)
    message["To"] = _mailbox(recipient.name, recipient.address)
    if distribution.reply_to:
        message["Reply-To"] = distribution.reply_to
    what = papers[0].project if len(papers) == 1 else "agenda papers"
    message["Subject"] = f"{meeting.board}, {meeting.date:%d/%m/%Y}: {what}"
    message["Date"] = format_datetime(now)
    domain = distribution.sender.rsplit("@", 1)[1]
    message["Message-ID"] = make_msgid("boardpack", domain=domain)
    message.set_content(body)
    return message


# -- drafts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftsWritten:
    """What `write_drafts` did: each draft written (path, recipient, attachment names) and the
    drafts of earlier runs it removed, for people no longer on the list."""

    written: tuple[tuple[Path, Recipient, tuple[str, ...]], ...]
    removed: tuple[tuple[Path, str], ...]  # (path, the address it was for)

    @property
    def paths(self) -> list[Path]:
        """The drafts written, in the distribution's order."""
        return [path for path, _, _ in self.written]


def write_drafts(drafts: Iterable[Draft], folder: Path, *, replace: bool = False) -> DraftsWritten:
    """Save each message as an .eml that Outlook and Thunderbird open ready to send.

    A folder that already holds drafts is refused unless `replace`; then boardpack's own earlier
    drafts are replaced and those for people no longer on the list removed, but a draft changed
    since boardpack wrote it (edited by the clerk) or one boardpack did not write is never
    touched: MailError names it, before anything is written."""
    from boardpack.errors import OutputError
    from boardpack.files import ensure_folder

    try:
        ensure_folder(folder)
    except OutputError as exc:
        cause = exc.__cause__
        why = cause.strerror if isinstance(cause, OSError) and cause.strerror else "not writable"
        raise MailError(
            f"{folder}: cannot write the drafts there ({why}); check the folder is writable,"
            " or give --drafts another folder"
        ) from exc
    record_path = folder / DRAFTS_RECORD
    earlier = _earlier_drafts(folder, record_path, replace)
    written: list[tuple[Path, Recipient, tuple[str, ...]]] = []
    record: dict[str, dict[str, str]] = {}
    for number, draft in enumerate(drafts, start=1):
        # X-Unsent: Outlook opens it as a draft, with Send, not as received mail. Put before
        # the message's own headers, so the message itself (which may yet be sent) is as made.
        data = b"X-Unsent: 1" + _line_end(draft.message) + draft.message.as_bytes()
        target = folder / f"{number:02d} {safe_stem(draft.recipient.name)}.eml"
        _write_draft(target, data)
        record[target.name] = {
            "to": draft.recipient.address,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        written.append((target, draft.recipient, tuple(a.shown for a in draft.attachments)))
    addresses = {r.address for _, r, _ in written}
    removed = []
    for name, entry in earlier.items():
        if name in record:
            continue  # replaced by this run's draft of the same name
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
        if entry["to"] not in addresses:
            removed.append((folder / name, entry["to"]))
    _write_draft(record_path, (json.dumps(record, indent=1, ensure_ascii=False) + "\n").encode())
    return DraftsWritten(tuple(written), tuple(removed))


def _earlier_drafts(folder: Path, record_path: Path, replace: bool) -> dict[str, dict[str, str]]:
    """boardpack's unedited drafts already in `folder` (name: {to, sha256}); MailError when
    there are drafts and no `replace`, or a draft boardpack cannot safely replace."""
    try:
        present = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".eml")
    except OSError as exc:
        raise MailError(f"{folder}: cannot list the drafts folder ({exc.strerror})") from exc
    if not present:
        return {}
    if not replace:
        raise MailError(
            f"{folder}: already holds {len(present)} draft{'s' * (len(present) > 1)}"
            f" ({present[0].name}{', ...' if len(present) > 1 else ''}); add --replace to"
            " replace boardpack's drafts there, or give --drafts an empty folder"
        )
    record = _drafts_record(record_path)
    kept: dict[str, dict[str, str]] = {}
    for path in present:
        entry = record.get(path.name)
        if entry is None:
            raise MailError(
                f"{path}: is not a draft boardpack wrote, so it is not replaced; move it out of"
                f" {folder}, or give --drafts an empty folder"
            )
        try:
            current = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        except OSError as exc:
            raise MailError(f"{path}: cannot be read ({exc.strerror})") from exc
        if current != entry.get("sha256"):
            raise MailError(
                f"{path}: has been changed since boardpack wrote it (edited?), so it is not"
                f" replaced; nothing was written. Send or move it out of {folder}, then run again"
            )
        kept[path.name] = entry
    return kept


def _drafts_record(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_bytes()) if path.is_file() else {}
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        return {}
    return {
        str(name): {"to": str(entry.get("to", "")), "sha256": str(entry.get("sha256", ""))}
        for name, entry in data.items()
        if isinstance(entry, dict)
    }


def _write_draft(target: Path, data: bytes) -> None:
    from boardpack.errors import OutputError

    try:
        write_atomic(target, data)
    except OutputError as exc:
        cause = exc.__cause__
        why = cause.strerror if isinstance(cause, OSError) and cause.strerror else "no access"
        raise MailError(
            f"{target.parent}: cannot write the drafts there ({why}); check the folder is"
            " writable and the disk has space, or give --drafts another folder"
        ) from exc


def _line_end(message: EmailMessage) -> bytes:
    return str(message.policy.linesep).encode("ascii")


# -- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A message the server accepted: to whom, with what. The message itself is not kept, so
    that thousands sent do not stay in memory."""

    recipient: Recipient
    attachments: tuple[Attachment, ...]
    papers: tuple[str, ...]
    message_id: str
    accepted_at: dt.datetime


@dataclass(frozen=True)
class Refused:
    """A message the server did not take, and why: `temporary` when it said to try later."""

    recipient: Recipient
    code: int | None
    said: str
    temporary: bool

    def __str__(self) -> str:
        said = f"{self.code} {self.said}".strip() if self.code else self.said
        if self.temporary:
            return (
                f"{self.recipient.address}: the server could not take it now ({said}); try"
                " again later: run the same command again"
            )
        if self.code is None:  # boardpack's own reason, which says what to do
            return f"{self.recipient.address}: {said}"
        return f"{self.recipient.address}: refused ({said}); check the address"


@dataclass
class Sending:
    """What became of each message handed to `send`, kept as it happens."""

    sent: list[Sent] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def send(
    drafts: Iterable[Draft],
    smtp: SmtpSettings,
    *,
    environ: dict[str, str] | None = None,
    on_sent: Callable[[Sent], None] | None = None,
    on_refused: Callable[[Refused], None] | None = None,
    on_stopping: Callable[[], None] | None = None,
    ca_data: str | None = None,
) -> Sending:
    """Hand each message to the SMTP server, every recipient tried: one the server refuses is
    recorded (`on_refused`) and the next is sent. `on_sent` is told of each one accepted, as it
    is, so a failure or a stop part-way leaves a record of exactly what went.

    Ctrl-C or SIGTERM while a message is with the server waits for the server's answer and for
    `on_sent` (`on_stopping` is told at once), then stops as it was asked to. MailError when
    the server cannot be reached, logged in to, or stops answering. `ca_data` is the council's
    certificate authority (PEM), trusted instead of the system's."""
    environ = dict(os.environ) if environ is None else environ
    password = environ.get(smtp.password_env)
    if smtp.username and not password:
        raise MailError(
            f"the SMTP password is not set: put it in the environment variable"
            f" {smtp.password_env} (never in boardpack.toml) and run again"
        )
    if smtp.security is Security.NONE and smtp.username:
        raise MailError(
            f"{smtp.host}: security = 'none' would send the password unprotected; use"
            " 'starttls' or 'tls'"
        )
    where = f"{smtp.host}:{smtp.port}"
    context = _tls_context(smtp, ca_data)
    outcome = Sending()
    try:
        server = _connect(smtp, context)
    except (smtplib.SMTPException, OSError) as exc:
        raise _connection_error(where, exc) from exc
    finished = False
    try:
        try:
            server.ehlo_or_helo_if_needed()
            if smtp.username and password:
                server.login(smtp.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"{where} did not accept the user name and password ({_said(exc)})"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise _connection_error(where, exc) from exc
        for draft in drafts:
            # From the first command of a message to its entry in the send log, a stop waits:
            # a message the server took is always recorded, so it is never sent twice.
            with _signals_held(on_stopping):
                result = _send_one(server, draft, where)
                if isinstance(result, Refused):
                    outcome.refused.append(result)
                    if on_refused is not None:
                        on_refused(result)
                else:
                    outcome.sent.append(result)
                    if on_sent is not None:
                        on_sent(result)
        finished = True
    finally:
        _close(server, polite=finished)
    return outcome


def _send_one(server: smtplib.SMTP, draft: Draft, where: str) -> Sent | Refused:
    """One message handed over: Sent, or Refused when the server declines this recipient;
    MailError when the connection itself fails."""
    recipient = draft.recipient
    sender = str(draft.message["From"].addresses[0].addr_spec)
    if (is_international(sender) or is_international(recipient.address)) and not (
        server.has_extn("smtputf8")
    ):
        return Refused(
            recipient,
            None,
            f"{where} does not offer SMTPUTF8, which an address with letters outside ASCII"
            " needs; ask for a plain-ASCII address for them, or send from Outlook (--drafts)",
            temporary=False,
        )
    try:
        server.send_message(draft.message, from_addr=sender, to_addrs=[recipient.address])
    except smtplib.SMTPRecipientsRefused as exc:
        code, said = next(iter(exc.recipients.values()), (None, b""))
        return _refused(recipient, code, said)
    except smtplib.SMTPSenderRefused as exc:
        if 400 <= exc.smtp_code < 500:
            return _refused(recipient, exc.smtp_code, exc.smtp_error)
        raise MailError(f"{where} refused the sender {exc.sender} ({_said(exc)})") from exc
    except smtplib.SMTPDataError as exc:
        return _refused(recipient, exc.smtp_code, exc.smtp_error)
    except smtplib.SMTPNotSupportedError as exc:
        return Refused(recipient, None, str(exc), temporary=False)
    except (smtplib.SMTPException, OSError) as exc:
        # Disconnected or timed out: the server may not have kept this message, and cannot
        # take the next one.
        raise _connection_error(where, exc) from exc
    return Sent(
        recipient,
        draft.attachments,
        draft.papers,
        str(draft.message["Message-ID"]),
        dt.datetime.now(dt.UTC),
    )


def _refused(recipient: Recipient, code: int | None, said: bytes | str) -> Refused:
    text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
    text = " ".join(text.split())  # a multi-line answer, on one line, no control characters
    return Refused(recipient, code, text, temporary=code is not None and 400 <= code < 500)


def _close(server: smtplib.SMTP, *, polite: bool) -> None:
    """End the session. QUIT after the last message; whatever the server answers to it, every
    message it had already accepted stays accepted, so no answer to QUIT is a refusal."""
    if polite:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            server.quit()
    server.close()


@contextlib.contextmanager
def _signals_held(on_stopping: Callable[[], None] | None) -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM wait until the block is done, then act as they would have."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only ever handled in the main thread
        return
    pending: list[signal.Signals] = []

    def hold(signum: int, frame: object) -> None:
        if not pending and on_stopping is not None:
            on_stopping()
        pending.append(signal.Signals(signum))

    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, hold) for s in stops}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if pending:
            _deliver(pending[0], previous[pending[0]])


def _deliver(signum: signal.Signals, handler: Any) -> None:
    """Act on a signal that waited, as its own handler would have."""
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        os.kill(os.getpid(), signum)  # the default action: stop the process


def _tls_context(smtp: SmtpSettings, ca_data: str | None) -> ssl.SSLContext | None:
    """The TLS settings, trusting the council's own certificate authority (`ca_data`, the PEM
    text of `ca_file`, read by the caller as a checked file of the meeting folder: ssl would
    open whatever the setting names, a FIFO that never answers included) when there is one."""
    if smtp.security is Security.NONE:
        return None
    try:
        return ssl.create_default_context(cadata=ca_data)
    except (ssl.SSLError, ValueError) as exc:
        raise MailError(
            f"email.smtp.ca_file: is not a certificate file ({exc}); give the council's"
            " certificate authority file (PEM)"
        ) from exc


def _look_up(host: str, port: int, timeout: float) -> None:
    """The server's name looked up within `timeout` seconds (TimeoutError otherwise): the
    system's resolver has no time-out of its own, and a DNS server that never answers would
    hang the send before the connection's time-out starts. The answer is the system's to keep;
    the connection looks the name up again, at once."""
    done = threading.Event()

    def look() -> None:
        with contextlib.suppress(OSError):
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        done.set()

    # A daemon thread: one still waiting on the resolver never holds the process open.
    threading.Thread(target=look, name="smtp-lookup", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(f"looking up {host} took over {timeout:g} s")


def _connect(smtp: SmtpSettings, context: ssl.SSLContext | None) -> smtplib.SMTP:
    # `timeout` bounds the name's look-up and every read and write on the connection, so a
    # silent DNS server or mail server cannot hang the send.
    _look_up(smtp.host, smtp.port, smtp.timeout)
    if smtp.security is Security.TLS:
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    if smtp.security is Security.STARTTLS:
        try:
            server.starttls(context=context)
        except BaseException:
            server.close()
            raise
    return server


def _connection_error(where: str, exc: BaseException) -> MailError:
    if isinstance(exc, ssl.SSLError):
        return MailError(
            f"{where}: the secure connection failed ({exc.reason or exc}); check 'security'"
            " and, for a council's own certificate authority, 'ca_file'"
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailError(f"{where} closed the connection ({exc or 'without a word'})")
    if isinstance(exc, smtplib.SMTPException):
        return MailError(f"{where} stopped the session ({_said(exc)})")
    if isinstance(exc, TimeoutError):
        return MailError(
            f"{where} did not answer in time (timeout in [email.smtp]); check host and port,"
            " or try again later"
        )
    assert isinstance(exc, OSError)
    return MailError(
        f"cannot reach the SMTP server {where} ({exc.strerror or exc}); check host and port"
        " in boardpack.toml and that this machine may send mail"
    )


def _said(exc: smtplib.SMTPException) -> str:
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"")
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(said.split())}".strip() if code else str(exc)


# -- the send log -----------------------------------------------------------------------------


def log_entry(
    sent: Sent, meeting: Meeting, server: str, versions: dict[str, str] | None = None
) -> dict[str, Any]:
    """What the send log records of one accepted message; `versions` names the archived
    version ("v2") of each paper that is in the archive, so "did members get v2?" has an
    answer."""
    entry = SendLogEntry(
        sent_at=sent.accepted_at.isoformat(timespec="seconds"),
        board=meeting.board,
        meeting_date=meeting.date.isoformat(),
        to=sent.recipient.address,
        name=sent.recipient.name,
        role=sent.recipient.role,
        message_id=sent.message_id,
        server=server,
        papers=tuple(sent.papers),
        attachments=tuple(
            SentFile(file=a.path.name, attached_as=a.shown, sha256=a.sha256)
            for a in sent.attachments
        ),
        # a paper's version, and the pack's when it is attached
        versions={
            name: version
            for name, version in (versions or {}).items()
            if name in sent.papers or any(a.path.stem == name for a in sent.attachments)
        },
    )
    return entry.model_dump(mode="json")
