"""Covering emails: drafts read back with the email parser, and sending to a real SMTP server
(aiosmtpd on 127.0.0.1, with STARTTLS and a password) started by the tests."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import re
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

import boardpack
from boardpack.meeting.distribution import Distribution, SmtpSettings
from boardpack.meeting.mail import (
    MailError,
    Meeting,
    PaperFiles,
    already_sent,
    append_log,
    compose,
    log_entry,
    read_log,
    send,
    write_drafts,
)
from boardpack.meeting.send_log import load_log
from tests.conftest import EXAMPLE, SMTP_PASSWORD, Mailbox, free_port

pytestmark = pytest.mark.libreoffice  # these tests convert with LibreOffice

RECOMMENDATION = "To Note progress on the project to date and the revised financial requirement"
MEETING = Meeting("Joint Improvement Board", dt.date(2008, 1, 24), "Council Chamber, County Hall")
PASSWORD = SMTP_PASSWORD
DOCX, PDF = (
    "Joint Improvement Board 2008-01-24 procurement.docx",
    "Joint Improvement Board 2008-01-24 procurement.pdf",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> PaperFiles:
    out = tmp_path_factory.mktemp("out")
    report = boardpack.build([EXAMPLE], out)
    (paper,) = report.papers
    assert paper.docx is not None and paper.pdf is not None
    return PaperFiles("procurement", "Procurement", RECOMMENDATION, paper.docx, paper.pdf)


def _distribution(**smtp: Any) -> Distribution:
    return Distribution.model_validate(
        {
            "from": "jim.burness@bucks.example.gov.uk",
            "sender_name": "Jim Burness",
            "recipients": [
                {
                    "name": "Committee Clerk",
                    "address": "clerk@bucks.example.gov.uk",
                    "role": "clerk",
                    "gets": ["docx"],
                },
                {"name": "Cllr Ann Other", "address": "ann.other@example.org", "gets": ["pdf"]},
            ],
            "smtp": smtp or None,
        }
    )


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, _class=EmailMessage, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def _attachments(message: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = payload
    return found


def test_drafts_open_ready_to_send_with_the_papers_attached(
    built: PaperFiles, tmp_path: Path
) -> None:
    drafts = compose(_distribution(), MEETING, [built])
    paths = write_drafts(drafts, tmp_path / "drafts").paths
    assert [p.name for p in paths] == ["01 Committee Clerk.eml", "02 Cllr Ann Other.eml"]

    clerk, member = (_parse(p.read_bytes()) for p in paths)
    assert clerk["X-Unsent"] == "1"  # Outlook opens it as a draft with a Send button
    assert clerk["To"] == "Committee Clerk <clerk@bucks.example.gov.uk>"
    assert clerk["From"] == "Jim Burness <jim.burness@bucks.example.gov.uk>"
    assert clerk["Subject"] == "Joint Improvement Board, 24/01/2008: Procurement"
    body = clerk.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")  # mail's line ends are CRLF
    assert text.startswith("Dear Committee Clerk,\n")
    assert "Joint Improvement Board meeting on 24 January 2008 at Council Chamber" in text
    assert f"1. Procurement\n   Recommendation: {RECOMMENDATION}" in text
    assert text.rstrip().endswith("Jim Burness")

    # Named for the board and the meeting, not only "procurement.pdf" every meeting.
    assert _attachments(clerk) == {DOCX: built.docx.read_bytes()}
    assert _attachments(member) == {PDF: built.pdf.read_bytes()}  # type: ignore[union-attr]
    assert drafts[1].attachments[0].sha256 == hashlib.sha256(built.pdf.read_bytes()).hexdigest()  # type: ignore[union-attr]


def test_a_councils_covering_note_is_text_never_code(built: PaperFiles) -> None:
    note = "Hello {name}. {items.__class__} {{ 7*7 }} {unknown}\n"
    (draft, _) = compose(_distribution(), MEETING, [built], note=note)
    body = draft.message.get_body(preferencelist=("plain",))
    assert body is not None
    assert (
        body.get_content().replace("\r\n", "\n")
        == "Hello Committee Clerk. {items.__class__} {{ 7*7 }} {unknown}\n"
    )


def test_a_recipient_with_nothing_to_get_is_an_error(built: PaperFiles) -> None:
    distribution = _distribution().model_copy(
        update={
            "recipients": (
                _distribution().recipients[0].model_copy(update={"papers": ("housing",)}),
            )
        }
    )
    with pytest.raises(
        MailError, match=re.escape("Committee Clerk <clerk@bucks.example.gov.uk> would get")
    ):
        compose(distribution, MEETING, [built])


def test_an_address_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="must be an email address"):
        Distribution.model_validate(
            {
                "from": "jim@example.gov.uk",
                "recipients": [
                    {"name": "X", "address": "x@example.org\nBcc: all@example.org", "gets": ["pdf"]}
                ],
            }
        )


# -- a real SMTP server on this machine (tests/conftest.py starts it) ---------------------


def _smtp(port: int, cert: Path, **more: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": port, "username": "jim", "ca_file": str(cert), **more}


def test_papers_are_sent_over_starttls_and_logged(
    built: PaperFiles,
    server: tuple[Mailbox, int],
    certificate: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    mailbox, port = server
    distribution = _distribution(**_smtp(port, certificate[0]))
    assert distribution.smtp is not None
    drafts = compose(distribution, MEETING, [built])
    log = tmp_path / "sent.jsonl"
    sent = send(
        drafts,
        distribution.smtp,
        environ={"BOARDPACK_SMTP_PASSWORD": PASSWORD},
        ca_data=certificate[0].read_text(),
        on_sent=lambda done: append_log(log, log_entry(done, MEETING, f"127.0.0.1:{port}")),
    )
    assert len(sent.sent) == 2 and sent.refused == []

    (to_clerk, clerk_data), (to_member, member_data) = mailbox.received
    assert (to_clerk, to_member) == (["clerk@bucks.example.gov.uk"], ["ann.other@example.org"])
    received = _parse(member_data)
    assert received["Subject"] == "Joint Improvement Board, 24/01/2008: Procurement"
    assert received["X-Unsent"] is None  # only drafts carry it
    assert _attachments(received) == {PDF: built.pdf.read_bytes()}  # type: ignore[union-attr]
    assert _attachments(_parse(clerk_data)) == {DOCX: built.docx.read_bytes()}

    entries = read_log(log)
    assert [(e["to"], e["papers"], e["attachments"][0]["file"]) for e in entries] == [
        ("clerk@bucks.example.gov.uk", ["procurement"], "procurement.docx"),
        ("ann.other@example.org", ["procurement"], "procurement.pdf"),
    ]
    pdf_hash = hashlib.sha256(built.pdf.read_bytes()).hexdigest()  # type: ignore[union-attr]
    assert entries[1]["attachments"][0]["sha256"] == pdf_hash
    # The same files to the same person again is recognised as already sent.
    again = compose(distribution, MEETING, [built])
    logged = load_log(log).entries
    assert already_sent(again[1], logged) == logged[1]


def test_a_wrong_password_is_a_clear_error_and_nothing_is_sent(
    built: PaperFiles, server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = server
    distribution = _distribution(**_smtp(port, certificate[0]))
    assert distribution.smtp is not None
    accepted: list[Any] = []
    with pytest.raises(
        MailError, match=re.escape(f"127.0.0.1:{port} did not accept the user name")
    ):
        send(
            compose(distribution, MEETING, [built]),
            distribution.smtp,
            environ={"BOARDPACK_SMTP_PASSWORD": "wrong"},
            ca_data=certificate[0].read_text(),
            on_sent=accepted.append,
        )
    assert accepted == [] and mailbox.received == []


def test_a_refused_recipient_is_named_and_everyone_after_them_is_still_sent(
    built: PaperFiles, server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = server
    distribution = _distribution(**_smtp(port, certificate[0]))
    clerk = distribution.recipients[0].model_copy(update={"address": "clerk@nowhere.example"})
    distribution = distribution.model_copy(
        update={"recipients": (clerk, distribution.recipients[1])}
    )
    assert distribution.smtp is not None
    accepted: list[Any] = []
    refused: list[Any] = []
    outcome = send(
        compose(distribution, MEETING, [built]),
        distribution.smtp,
        environ={"BOARDPACK_SMTP_PASSWORD": PASSWORD},
        ca_data=certificate[0].read_text(),
        on_sent=accepted.append,
        on_refused=refused.append,
    )
    assert [s.recipient.address for s in accepted] == ["ann.other@example.org"]
    assert [to for to, _ in mailbox.received] == [["ann.other@example.org"]]
    assert outcome.refused == refused
    (why,) = refused
    assert str(why) == (
        "clerk@nowhere.example: refused (550 5.1.1 No such user here); check the address"
    )


def test_an_unreachable_server_is_a_clear_error(built: PaperFiles) -> None:
    smtp = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=5)
    with pytest.raises(MailError, match=re.escape("cannot reach the SMTP server 127.0.0.1:")):
        send(compose(_distribution(), MEETING, [built]), smtp, environ={})


def test_the_password_comes_only_from_the_environment(built: PaperFiles) -> None:
    smtp = SmtpSettings(host="127.0.0.1", port=587, username="jim")
    with pytest.raises(MailError, match="put it in the environment variable BOARDPACK_SMTP"):
        send(compose(_distribution(), MEETING, [built]), smtp, environ={})
    with pytest.raises(ValueError, match="password"):
        Distribution.model_validate(
            {
                "from": "jim@example.gov.uk",
                "recipients": [{"name": "X", "address": "x@example.org", "gets": ["pdf"]}],
                "smtp": {"host": "smtp.example.gov.uk", "password": "hunter2"},
            }
        )


def test_a_server_without_the_councils_certificate_is_refused(
    built: PaperFiles, server: tuple[Mailbox, int]
) -> None:
    mailbox, port = server
    smtp = SmtpSettings(host="127.0.0.1", port=port, username="jim")
    with pytest.raises(MailError, match="the secure connection failed"):
        send(
            compose(_distribution(), MEETING, [built]),
            smtp,
            environ={"BOARDPACK_SMTP_PASSWORD": PASSWORD},
        )
    assert mailbox.received == []


def test_a_name_the_resolver_never_answers_for_is_a_clear_error_not_a_hang(
    built: PaperFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import threading

    never = threading.Event()  # a DNS server that never answers

    def silent(*args: Any, **kwargs: Any) -> Any:
        never.wait()

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    smtp = SmtpSettings(host="smtp.council.example", port=587, timeout=0.5, security="none")
    try:
        with pytest.raises(MailError, match=r"smtp\.council\.example:587 did not answer in time"):
            send(compose(_distribution(), MEETING, [built]), smtp, environ={})
    finally:
        never.set()
