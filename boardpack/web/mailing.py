"""A board's mail server as the web front uses it for reminders and notices: the board's
[email.smtp] settings in full (host, port, security, user name, password variable, timeout and
the council's own certificate authority), handed to the engine's mail code (meeting/mail.py),
as `boardpack email --send` hands them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, make_msgid
from typing import Any

from boardpack.errors import BoardpackError
from boardpack.web import store
from boardpack.web.models import Board, email_settings


@dataclass(frozen=True)
class BoardMail:
    """What sending through a board's mail server needs: its settings, the sender's address
    and the council's certificate authority (PEM), if the board names one."""

    smtp: Any  # boardpack.meeting.distribution.SmtpSettings
    sender: str
    ca_data: str | None
    sender_name: str = ""
    reply_to: str = ""


def board_mail(board: Board) -> BoardMail:
    """The board's mail server; BoardpackError saying why it cannot be used."""
    try:
        settings = email_settings(board.email)
    except ValueError as exc:
        raise BoardpackError(f"{board}: its [email] settings cannot be used ({exc})") from exc
    if settings is None or settings.smtp is None:
        raise BoardpackError(f"{board}: names no mail server ([email.smtp]) to send through")
    return BoardMail(
        settings.smtp,
        settings.sender,
        ca_data(board, settings.smtp.ca_file),
        settings.sender_name or "",
        settings.reply_to or "",
    )


def send_through(
    board: Board,
    mail: BoardMail,
    drafts: Sequence[Any],
    on_sent: Callable[[Any], None],
    not_sent: list[str],
) -> None:
    """Send `drafts` (meeting/mail.py's Draft) through the board's mail server, `on_sent` called
    as each is accepted; each refused one, or the server's fault, is added to `not_sent`."""
    from boardpack.meeting.mail import send

    if not drafts:
        return
    try:
        outcome = send(drafts, mail.smtp, on_sent=on_sent, ca_data=mail.ca_data)
    except BoardpackError as exc:
        not_sent.append(f"{board}: {exc}")
        return
    not_sent.extend(str(refused) for refused in outcome.refused)


def new_message(
    mail: BoardMail, name: str, address: str, subject: str, now: dt.datetime
) -> EmailMessage:
    """A message from the board (its sender's name and address, its Reply-To) to one person,
    each address a header of its own (a name with a comma stays one mailbox), an international
    address sent as SMTPUTF8 asks, as meeting/mail.py writes the papers' emails."""
    from boardpack.meeting.mail import is_international, one_line

    addresses = (mail.sender, address, mail.reply_to)
    international = any(is_international(a) for a in addresses if a)
    message = EmailMessage(policy=SMTPUTF8 if international else SMTP)
    message["From"] = _mailbox(mail.sender_name, mail.sender)
    message["To"] = _mailbox(one_line(name), address)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("boardpack", domain=mail.sender.rpartition("@")[2])
    return message


def _mailbox(name: str, address: str) -> Address | str:
    from boardpack.meeting.mail import is_international

    if not is_international(address):
        return Address(name, addr_spec=address)
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>' if name else address


def ca_data(board: Board, ca_file: Any) -> str | None:
    """The certificate authority `ca_file` names, read from the server's data folder (where a
    meeting folder's boardpack.toml has it beside itself), checked as `boardpack email` checks
    it: a regular file inside the folder, not too big, a PEM certificate."""
    from boardpack.files import OutsideFolder, inside, open_regular
    from boardpack.meeting.sending import MAX_CA_BYTES, pem_text  # as `boardpack email` has

    if ca_file is None:
        return None
    setting = f"{board}: [email.smtp] ca_file"
    fix = "put the council's CA certificate (PEM) in the server's data folder, or remove ca_file"
    try:
        path = inside(store.data(), ca_file, setting=setting)
        with open_regular(path, follow=False) as (handle, _):
            data = handle.read(MAX_CA_BYTES + 1)
    except OutsideFolder as exc:
        raise BoardpackError(f"{exc}; {fix}") from exc
    except FileNotFoundError as exc:
        raise BoardpackError(f"{setting}: {ca_file} is not in the data folder; {fix}") from exc
    except OSError as exc:
        raise BoardpackError(f"{setting}: {ca_file} cannot be read ({exc}); {fix}") from exc
    text = pem_text(data)
    if text is None:
        raise BoardpackError(f"{setting}: {ca_file} is not a PEM certificate file; {fix}")
    return text
