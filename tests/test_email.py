"""`boardpack email`: drafts and sending for a meeting built for real, to a real SMTP server on
127.0.0.1 (aiosmtpd, STARTTLS and a password), read back with the standard library's parser; the
send log, `--again`, stale papers and an unreachable server; and `status` saying sent."""

from __future__ import annotations

import email
import hashlib
import shutil
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from click.testing import CliRunner

import boardpack
from boardpack.cli import main
from boardpack.errors import MailError
from boardpack.meeting.archive import archive_papers, verify_archive
from boardpack.meeting.send_log import read_log
from boardpack.meeting.sending import send_papers, write_email_drafts
from boardpack.meeting.status import folder_status
from tests.conftest import EXAMPLE, SMTP_PASSWORD, Mailbox, edit_workbook, free_port, smtp_server

CLERK, MEMBER = "clerk@bucks.example.gov.uk", "ann.other@example.org"
PASSWORD_ENV = {"BOARDPACK_SMTP_PASSWORD": SMTP_PASSWORD}
RECOMMENDATION = "To Note progress on the project to date and the revised financial requirement"
PREFIX = "Joint Improvement Board 2008-01-24 "  # every attachment's name starts so
NOTE = "Dear {name},\n\nThe papers for the {board} on {meeting_date}:\n\n{items}\n\n{sender}\n"


def settings(port: int, cert: Path | None, clerk_gets: str, member_gets: str | None) -> str:
    """boardpack.toml for the example's meeting, sending through 127.0.0.1:port."""
    member = (
        f"""
[[email.recipients]]
name = "Cllr Ann Other"
address = "{MEMBER}"
gets = [{member_gets}]
"""
        if member_gets
        else ""
    )
    login = f"username = \"jim\"\nca_file = '{cert}'\n" if cert else 'security = "none"\n'
    return f"""board = "Joint Improvement Board"
meeting_date = 2008-01-24
venue = "Council Chamber, County Hall, Aylesbury"
agenda = ["procurement"]
archive = "../archive"

[email]
from = "jim.burness@bucks.example.gov.uk"
sender_name = "Jim Burness"
note = "note.txt"

[[email.recipients]]
name = "Committee Clerk"
address = "{CLERK}"
role = "clerk"
gets = [{clerk_gets}]
{member}
[email.smtp]
host = "127.0.0.1"
port = {port}
timeout = 10
{login}"""


def make_meeting(root: Path, text: str, *, pdf: bool) -> Path:
    """The example in root/inputs with these settings and a covering note, built into
    root/output (with the pack); returns root."""
    inputs = root / "inputs"
    inputs.mkdir(parents=True)
    shutil.copy(EXAMPLE, inputs / "procurement.xlsx")
    (inputs / "boardpack.toml").write_text(text, encoding="utf-8")
    (inputs / "note.txt").write_text(NOTE, encoding="utf-8")
    assert boardpack.build([inputs], root / "output", pdf=pdf).ok
    return root


@pytest.fixture(scope="module")
def mail_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    with smtp_server(certificate) as running:
        yield running


@pytest.fixture(scope="module")
def meeting(
    tmp_path_factory: pytest.TempPathFactory,
    mail_server: tuple[Mailbox, int],
    certificate: tuple[Path, Path],
) -> Path:
    """The example meeting built with PDFs: the clerk gets the .docx and the pack, a member
    the PDF."""
    text = settings(mail_server[1], certificate[0], '"docx", "pack"', '"pdf"')
    return make_meeting(tmp_path_factory.mktemp("cycle"), text, pdf=True)


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, _class=EmailMessage, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def attachments(message: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = payload
    return found


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def test_drafts_open_ready_to_send_with_the_councils_note(meeting: Path, tmp_path: Path) -> None:
    drafts = tmp_path / "drafts"
    result = CliRunner().invoke(main, ["email", str(meeting / "output"), "--drafts", str(drafts)])
    assert result.exit_code == 0, result.output
    paths = sorted(drafts.glob("*.eml"))
    assert [p.name for p in paths] == ["01 Committee Clerk.eml", "02 Cllr Ann Other.eml"]
    clerk, member = (parse(p.read_bytes()) for p in paths)
    out = meeting / "output"
    assert clerk["X-Unsent"] == "1" and member["X-Unsent"] == "1"
    assert clerk["To"] == f"Committee Clerk <{CLERK}>"
    assert attachments(clerk) == {
        PREFIX + "procurement.docx": (out / "procurement.docx").read_bytes(),
        PREFIX + "board-pack.pdf": (out / "board-pack.pdf").read_bytes(),
    }
    assert attachments(member) == {
        PREFIX + "procurement.pdf": (out / "procurement.pdf").read_bytes()
    }
    assert text_of(member) == (
        "Dear Cllr Ann Other,\n\nThe papers for the Joint Improvement Board on 24 January 2008:"
        f"\n\n1. Procurement\n   Recommendation: {RECOMMENDATION}\n\nJim Burness\n"
    )


def test_a_whole_cycle_build_archive_send_and_status_says_sent(
    meeting: Path, mail_server: tuple[Mailbox, int]
) -> None:
    mailbox, _ = mail_server
    inputs, out, archive = meeting / "inputs", meeting / "output", meeting / "archive"
    (paper,) = folder_status(inputs, out).papers
    assert (paper.built, paper.stale, paper.archived, paper.sent) == (True, (), None, False)
    assert paper.recipients == 2

    assert archive_papers(out, archive).ok
    status = folder_status(inputs, out)  # the archive named in boardpack.toml
    assert status.archive_dir == archive
    assert status.papers[0].archived == "v1"
    assert status.pack is not None and status.pack.archived == "v1"

    mailbox.received.clear()
    report = send_papers(out, environ=PASSWORD_ENV)
    assert [s.recipient.address for s in report.sent] == [CLERK, MEMBER]
    assert [to for to, _ in mailbox.received] == [[CLERK], [MEMBER]]
    to_clerk, to_member = (parse(data) for _, data in mailbox.received)
    assert to_clerk["X-Unsent"] is None  # only drafts carry it
    assert to_clerk["Subject"] == "Joint Improvement Board, 24/01/2008: Procurement"
    received = {
        name.removeprefix(PREFIX): data
        for name, data in {**attachments(to_clerk), **attachments(to_member)}.items()
    }
    assert sorted(received) == ["board-pack.pdf", "procurement.docx", "procurement.pdf"]
    for name, data in received.items():
        assert data == (out / name).read_bytes()

    log = archive / "sent.jsonl"
    entries = read_log(log)
    assert [e["to"] for e in entries] == [CLERK, MEMBER]
    logged = {a["file"]: a["sha256"] for e in entries for a in e["attachments"]}
    assert logged == {name: hashlib.sha256(data).hexdigest() for name, data in received.items()}
    assert entries[0]["versions"] == {"procurement": "v1", "board-pack": "v1"}  # the clerk's
    assert entries[1]["versions"] == {"procurement": "v1"}
    assert (entries[0]["board"], entries[0]["meeting_date"]) == (
        "Joint Improvement Board",
        "2008-01-24",
    )

    status = folder_status(inputs, out)
    assert status.papers[0].sent and status.papers[0].sent_to == (CLERK, MEMBER)
    assert status.pack is not None and status.pack.sent
    assert verify_archive(archive).ok  # the send log is beside the index, not part of it

    # The same files again: not sent without --again, nothing logged, and no fault.
    before = log.read_bytes()
    result = CliRunner(env=PASSWORD_ENV).invoke(main, ["email", str(out), "--send"])
    assert result.exit_code == 0, result.output
    assert f"not sent again to {CLERK}: these files went on" in result.output
    assert "add --again" in result.output and "Traceback" not in result.output
    assert "nothing new to send: every message went already" in result.output
    assert len(mailbox.received) == 2 and log.read_bytes() == before

    again = send_papers(out, again=True, environ=PASSWORD_ENV)
    assert len(again.sent) == 2 and len(mailbox.received) == 4
    assert len(read_log(log)) == 4


def test_a_stale_paper_is_never_sent(
    tmp_path: Path, mail_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = mail_server
    root = make_meeting(tmp_path, settings(port, certificate[0], '"docx"', None), pdf=False)
    workbook = root / "inputs" / "procurement.xlsx"
    edit_workbook(workbook, workbook, {"Paper!B8": "Amber"})
    received = len(mailbox.received)
    message = "procurement: its workbook has changed since the build; run boardpack build first"
    with pytest.raises(MailError, match=message):
        send_papers(root / "output", environ=PASSWORD_ENV)
    with pytest.raises(MailError, match=message):
        write_email_drafts(root / "output", tmp_path / "drafts")
    assert len(mailbox.received) == received
    assert not (root / "archive" / "sent.jsonl").exists()
    assert not (tmp_path / "drafts").exists()


def test_an_unreachable_server_is_a_clear_error_and_nothing_is_logged(tmp_path: Path) -> None:
    closed = free_port()
    root = make_meeting(tmp_path, settings(closed, None, '"docx"', None), pdf=False)
    log = root / "archive" / "sent.jsonl"
    log.parent.mkdir()
    earlier = '{"attachments": [], "to": "someone@example.org"}\n'
    log.write_text(earlier, encoding="utf-8")
    result = CliRunner().invoke(main, ["email", str(root / "output"), "--send"])
    assert result.exit_code == 1
    assert f"cannot reach the SMTP server 127.0.0.1:{closed}" in result.output
    assert "nothing was sent" in result.output and "Traceback" not in result.output
    assert log.read_text(encoding="utf-8") == earlier


def test_the_command_wants_drafts_or_send() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["email", "output"]).exit_code == 2
    assert runner.invoke(main, ["email", "output", "--drafts", "d", "--send"]).exit_code == 2
    assert runner.invoke(main, ["email", "output", "--drafts", "d", "--again"]).exit_code == 2
