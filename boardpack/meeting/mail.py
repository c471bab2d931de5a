"""Sending the papers: covering emails, as drafts to open in Outlook or sent through SMTP.

Who gets what is the distribution in boardpack.toml: the clerk, members and officers, each with
the files they get (a paper's .docx, its PDF, the pack). Every message is composed here once;
`write_drafts` saves it as an .eml that opens ready to send (`X-Unsent: 1`), `send` hands it to
the council's SMTP server. A send log beside the archive records what each server accepted, with
each attachment's SHA-256, so "did members get v2?" has an answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from boardpack.errors import MailError
from boardpack.files import write_atomic
from boardpack.meeting.distribution import (
    Deliverable,
    Distribution,
    Recipient,
    Security,
    SmtpSettings,
)
from boardpack.meeting.send_log import SEND_LOG, already_sent, append_log, read_log
from boardpack.paper.profile import fill

__all__ = [
    "SEND_LOG",
    "MailError",
    "already_sent",
    "append_log",
    "compose",
    "log_entry",
    "read_log",
    "send",
    "write_drafts",
]

# The covering note when the council has not written its own: {placeholders} are filled in, and
# nothing else in a note is read as code.
DEFAULT_NOTE = """Dear {name},

Please find attached the papers for the {board} meeting on {meeting_date}{at_venue}.

{items}

Kind regards,
{sender}
"""


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


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message, and the hash of the bytes attached."""

    path: Path
    sha256: str


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


def compose(
    distribution: Distribution,
    meeting: Meeting,
    papers: Sequence[PaperFiles],
    pack: tuple[Path | None, Path | None] = (None, None),
    note: str = DEFAULT_NOTE,
    now: dt.datetime | None = None,
) -> list[Draft]:
    """A message per recipient, with what they get attached; `pack` is (its .docx, its PDF)."""
    now = now or dt.datetime.now(dt.UTC)
    sender_name = distribution.sender_name or distribution.sender.split("@")[0]
    drafts = []
    for recipient in distribution.recipients:
        theirs = [p for p in papers if not recipient.papers or p.name in recipient.papers]
        files = _files_for(recipient, theirs, pack)
        if not files:
            raise MailError(
                f"{recipient.name} <{recipient.address}> would get no attachment: check their"
                " 'gets' and 'papers' in boardpack.toml, or build the missing outputs"
            )
        body = fill(note, _note_values(recipient, meeting, theirs, sender_name))
        message = _message(distribution, recipient, meeting, theirs, body, now)
        attachments = []
        for path in files:
            data = _read_output(path)
            # The hash is of the bytes attached, so the log says exactly what went.
            attachments.append(Attachment(path, hashlib.sha256(data).hexdigest()))
            kind, subtype = _TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
            message.add_attachment(data, maintype=kind, subtype=subtype, filename=path.name)
        drafts.append(Draft(recipient, message, tuple(attachments), tuple(p.name for p in theirs)))
    return drafts


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
    return {
        "name": recipient.name,
        "board": meeting.board,
        "meeting_date": long_date(meeting.date),
        "venue": meeting.venue or "",
        "at_venue": f" at {meeting.venue}" if meeting.venue else "",
        "items": items or "The meeting's combined pack is attached.",
        "sender": sender,
    }


def _message(
    distribution: Distribution,
    recipient: Recipient,
    meeting: Meeting,
    papers: Sequence[PaperFiles],
    body: str,
    now: dt.datetime,
) -> EmailMessage:
    message = EmailMessage(policy=SMTP_POLICY)
    sender_name = distribution.sender_name or ""
    message["From"] = Address(sender_name, addr_spec=distribution.sender)
    message["To"] = Address(recipient.name, addr_spec=recipient.address)
    if distribution.reply_to:
        message["Reply-To"] = distribution.reply_to
    what = papers[0].project if len(papers) == 1 else "agenda papers"
    message["Subject"] = f"{meeting.board}, {meeting.date:%d/%m/%Y}: {what}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("boardpack", domain=distribution.sender.split("@")[1])
    message.set_content(body)
    return message


def write_drafts(drafts: Sequence[Draft], folder: Path) -> list[Path]:
    """Save each message as an .eml that Outlook and Thunderbird open ready to send."""
    from boardpack.files import ensure_folder, safe_stem

    ensure_folder(folder)
    written = []
    for number, draft in enumerate(drafts, start=1):
        message = _copy(draft.message)
        message["X-Unsent"] = "1"  # Outlook opens it as a draft, with Send, not as received mail
        target = folder / f"{number:02d} {safe_stem(draft.recipient.name)}.eml"
        write_atomic(target, message.as_bytes())
        written.append(target)
    return written


def _copy(message: EmailMessage) -> EmailMessage:
    from email import message_from_bytes

    copy = message_from_bytes(message.as_bytes(), _class=EmailMessage, policy=SMTP_POLICY)
    assert isinstance(copy, EmailMessage)
    return copy


@dataclass(frozen=True)
class Sent:
    """A message the server accepted."""

    draft: Draft
    accepted_at: dt.datetime


def send(
    drafts: Sequence[Draft],
    smtp: SmtpSettings,
    *,
    environ: dict[str, str] | None = None,
    on_sent: Callable[[Sent], None] | None = None,
    ca_data: str | None = None,
) -> list[Sent]:
    """Hand each message to the SMTP server. `on_sent` is told of each one accepted, as it is,
    so a failure part-way leaves a record of exactly what went; MailError says what failed.
    `ca_data` is the council's certificate authority (PEM), trusted instead of the system's."""
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
    sent: list[Sent] = []
    where = f"{smtp.host}:{smtp.port}"
    try:
        with _connect(smtp, ca_data) as server:
            if smtp.username and password:
                server.login(smtp.username, password)
            for draft in drafts:
                refused = server.send_message(draft.message)
                if refused:
                    raise MailError(
                        f"{where} refused {', '.join(refused)}; nothing else was sent to them"
                    )
                done = Sent(draft, dt.datetime.now(dt.UTC))
                sent.append(done)
                if on_sent is not None:
                    on_sent(done)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"{where} did not accept the user name and password ({_said(exc)})"
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        names = ", ".join(exc.recipients)
        raise MailError(f"{where} refused the recipient {names}; check the address") from exc
    except smtplib.SMTPException as exc:
        raise MailError(f"{where} refused the message ({_said(exc)})") from exc
    except ssl.SSLError as exc:
        raise MailError(
            f"{where}: the secure connection failed ({exc.reason or exc}); check 'security'"
            " and, for a council's own certificate authority, 'ca_file'"
        ) from exc
    except OSError as exc:  # refused, unreachable, timed out
        raise MailError(
            f"cannot reach the SMTP server {where} ({exc.strerror or exc}); check host and port"
            " in boardpack.toml and that this machine may send mail"
        ) from exc
    return sent


def _connect(smtp: SmtpSettings, ca_data: str | None) -> smtplib.SMTP:
    # The CA file is read by the caller, as a checked file of the meeting folder: ssl would
    # open whatever the setting names, a FIFO that never answers included.
    context = ssl.create_default_context(cadata=ca_data)
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


def _said(exc: smtplib.SMTPException) -> str:
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"")
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {said}".strip() if code else str(exc)


# -- the send log -----------------------------------------------------------------------------


def log_entry(
    sent: Sent, meeting: Meeting, server: str, versions: dict[str, str] | None = None
) -> dict[str, Any]:
    """What the send log records of one accepted message; `versions` names the archived
    version ("v2") of each paper that is in the archive, so "did members get v2?" has an
    answer."""
    draft = sent.draft
    return {
        "sent_at": sent.accepted_at.isoformat(timespec="seconds"),
        "board": meeting.board,
        "meeting_date": meeting.date.isoformat(),
        "to": draft.recipient.address,
        "name": draft.recipient.name,
        "role": draft.recipient.role,
        "message_id": str(draft.message["Message-ID"]),
        "server": server,
        "papers": list(draft.papers),
        "attachments": [{"file": a.path.name, "sha256": a.sha256} for a in draft.attachments],
        # a paper's version, and the pack's when it is attached
        "versions": {
            name: version
            for name, version in (versions or {}).items()
            if name in draft.papers or any(a.path.stem == name for a in draft.attachments)
        },
    }
