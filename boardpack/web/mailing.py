"""A board's mail server as the web front uses it for reminders and notices: the board's
[email.smtp] settings in full (host, port, security, user name, password variable, timeout and
the council's own certificate authority), handed to the engine's mail code (meeting/mail.py),
as `boardpack email --send` hands them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boardpack.errors import BoardpackError
from boardpack.web import store
from boardpack.web.models import Board, email_settings

MAX_CA_BYTES = 4 * 1024 * 1024  # as `boardpack email` allows: a whole system bundle is ~0.2 MB


@dataclass(frozen=True)
class BoardMail:
    """What sending through a board's mail server needs: its settings, the sender's address
    and the council's certificate authority (PEM), if the board names one."""

    smtp: Any  # boardpack.meeting.distribution.SmtpSettings
    sender: str
    ca_data: str | None


def board_mail(board: Board) -> BoardMail:
    """The board's mail server; BoardpackError saying why it cannot be used."""
    try:
        settings = email_settings(board.email)
    except ValueError as exc:
        raise BoardpackError(f"{board}: its [email] settings cannot be used ({exc})") from exc
    if settings is None or settings.smtp is None:
        raise BoardpackError(f"{board}: names no mail server ([email.smtp]) to send through")
    return BoardMail(settings.smtp, settings.sender, ca_data(board, settings.smtp.ca_file))


def ca_data(board: Board, ca_file: Any) -> str | None:
    """The certificate authority `ca_file` names, read from the server's data folder (where a
    meeting folder's boardpack.toml has it beside itself), checked as `boardpack email` checks
    it: a regular file inside the folder, not too big, a PEM certificate."""
    from boardpack.files import OutsideFolder, inside, open_regular

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
    text = data.decode("ascii", "replace")
    if len(data) > MAX_CA_BYTES or "-----BEGIN CERTIFICATE-----" not in text:
        raise BoardpackError(f"{setting}: {ca_file} is not a PEM certificate file; {fix}")
    return text
