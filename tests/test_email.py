"""`boardpack email`: drafts and sending for a meeting built for real, to a real SMTP server on
127.0.0.1 (aiosmtpd, STARTTLS and a password), read back with the standard library's parser; the
send log, `--again`, stale papers and an unreachable server; and `status` saying sent."""

from __future__ import annotations

import asyncio
import contextlib
import email
import errno
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import boardpack
from boardpack.cli import main
from boardpack.errors import MailError
from boardpack.meeting.archive import archive_papers, verify_archive
from boardpack.meeting.mail import Sent
from boardpack.meeting.send_log import read_log
from boardpack.meeting.sending import send_papers, write_email_drafts
from boardpack.meeting.status import folder_status
from tests.conftest import (
    EXAMPLE,
    ROOT,
    SMTP_PASSWORD,
    Mailbox,
    edit_workbook,
    free_port,
    smtp_server,
)

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
    login = "username = \"jim\"\nca_file = 'ca.pem'\n" if cert else 'security = "none"\n'
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


def make_meeting(root: Path, text: str, *, pdf: bool, cert: Path | None = None) -> Path:
    """The example in root/inputs with these settings, a covering note and the test server's
    certificate authority, built into root/output (with the pack); returns root."""
    inputs = root / "inputs"
    inputs.mkdir(parents=True)
    if cert is not None:
        shutil.copy(cert, inputs / "ca.pem")
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
    return make_meeting(tmp_path_factory.mktemp("cycle"), text, pdf=True, cert=certificate[0])


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


@pytest.mark.libreoffice
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


@pytest.mark.libreoffice
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
    text = settings(port, certificate[0], '"docx"', None)
    root = make_meeting(tmp_path, text, pdf=False, cert=certificate[0])
    workbook = root / "inputs" / "procurement.xlsx"
    edit_workbook(workbook, workbook, {"Paper!B8": "Amber"})
    received = len(mailbox.received)
    message = (
        "procurement: its workbook procurement.xlsx has changed since the build; run boardpack"
        " build first"
    )
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


# -- faults, signals and hostile servers: a meeting built once, its settings rewritten per test --

HOLD = 60  # seconds a test server waits for the test before it gives up (never reached)


def plain_settings(
    port: int,
    *,
    member: str = MEMBER,
    board: str = "Joint Improvement Board",
    smtp: str = 'security = "none"\n',
    member_papers: str = "",
) -> str:
    """boardpack.toml for the plain meeting: the clerk and a member get the .docx, through a
    server on 127.0.0.1:port without TLS."""
    return f"""board = {json.dumps(board)}
meeting_date = 2008-01-24
meeting_time = "2pm"
venue = "Council Chamber"
agenda = ["procurement"]

[email]
from = "jim.burness@bucks.example.gov.uk"
sender_name = "Jim Burness"

[[email.recipients]]
name = "Committee Clerk"
address = "{CLERK}"
gets = ["docx"]

[[email.recipients]]
name = "Cllr Ann Other"
address = "{member}"
gets = ["docx"]
{member_papers}
[email.smtp]
host = "127.0.0.1"
port = {port}
timeout = 30
{smtp}"""


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example meeting built without PDFs (no server in its settings yet)."""
    return make_meeting(tmp_path_factory.mktemp("plain"), plain_settings(1), pdf=False)


def configure(root: Path, text: str) -> Path:
    """The plain meeting's boardpack.toml rewritten; returns its output folder."""
    (root / "inputs" / "boardpack.toml").write_text(text, encoding="utf-8")
    return root / "output"


@contextlib.contextmanager
def serve(handler: Any, **options: Any) -> Iterator[int]:
    """A plain SMTP server on 127.0.0.1 with `handler`; yields its port."""
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


class Later(Mailbox):
    """Says 451 "try again later" to the member, and takes the clerk's message."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == MEMBER:
            return "451 4.7.1 Greylisted, try again later"
        return await super().handle_RCPT(server, session, envelope, address, options)


class RudeGoodbye(Mailbox):
    """Takes every message, then answers QUIT with 500."""

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        return "500 5.5.1 Goodbye yourself"


class Holding(Mailbox):
    """Holds its answer to the first message's data until the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.entered.is_set():
            self.entered.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, HOLD)
        return await super().handle_DATA(server, session, envelope)


def test_a_451_is_reported_as_try_again_later_and_the_others_are_sent(
    plain: Path, tmp_path: Path
) -> None:
    mailbox = Later()
    with serve(mailbox) as port:
        out = configure(plain, plain_settings(port))
        archive = tmp_path / "archive"
        result = CliRunner().invoke(main, ["email", str(out), "--send", "--archive", str(archive)])
        assert result.exit_code == 1
        assert f"sent to {CLERK}" in result.output
        said = "451 4.7.1 Greylisted, try again later"
        assert f"not sent to {MEMBER}: the server could not take it now ({said})" in result.output
        assert "try again later: run the same command again" in result.output
        assert "check the address" not in result.output and "Traceback" not in result.output
        assert [to for to, _ in mailbox.received] == [[CLERK]]
        assert [e["to"] for e in read_log(archive / "sent.jsonl")] == [CLERK]

        # Later, the server takes it; only the member's message goes.
        mailbox.handle_RCPT = Mailbox().handle_RCPT  # type: ignore[method-assign]
        again = send_papers(out, archive_dir=archive, environ={})
        assert [s.recipient.address for s in again.sent] == [MEMBER]
        assert [r.address for r, _ in again.skipped] == [CLERK]


def test_a_500_to_quit_after_every_message_was_accepted_is_not_a_refusal(
    plain: Path, tmp_path: Path
) -> None:
    mailbox = RudeGoodbye()
    with serve(mailbox) as port:
        out = configure(plain, plain_settings(port))
        command = ["email", str(out), "--send", "--archive", str(tmp_path / "archive")]
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0, result.output
        assert f"2 sent through 127.0.0.1:{port}" in result.output
        assert "refused" not in result.output
        log = tmp_path / "archive" / "sent.jsonl"
        assert [e["to"] for e in read_log(log)] == [CLERK, MEMBER]

        again = CliRunner().invoke(main, command)
        assert again.exit_code == 0, again.output
        assert "nothing new to send: every message went already" in again.output
        assert len(mailbox.received) == 2 and len(read_log(log)) == 2


@pytest.mark.parametrize(
    ("stop", "code", "said"),
    [(signal.SIGTERM, 143, "Stopped (SIGTERM)"), (signal.SIGINT, 130, "Interrupted")],
)
def test_a_stop_while_a_message_is_with_the_server_logs_it_and_sends_nothing_twice(
    plain: Path, tmp_path: Path, stop: signal.Signals, code: int, said: str
) -> None:
    mailbox = Holding()
    archive = tmp_path / "archive"
    with serve(mailbox) as port:
        out = configure(plain, plain_settings(port))
        command = [sys.executable, "-m", "boardpack", "email", str(out), "--send"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [*command, "--archive", str(archive)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert mailbox.entered.wait(HOLD), "the clerk's message never reached the server"
            process.send_signal(stop)
            assert process.stderr is not None
            errors = []
            while not any("Stopping:" in line for line in errors):
                line = process.stderr.readline()
                assert line, f"it stopped without waiting for the server: {errors}"
                errors.append(line)
            mailbox.release.set()  # the server now accepts the clerk's message
            output, rest = process.communicate(timeout=HOLD)
        finally:
            mailbox.release.set()
            if process.poll() is None:
                process.kill()
        assert process.returncode == code, rest
        assert said in rest and "Traceback" not in rest
        assert f"sent to {CLERK}" in output
        # The message the server accepted is in the log; the member's never started.
        assert [to for to, _ in mailbox.received] == [[CLERK]]
        assert [e["to"] for e in read_log(archive / "sent.jsonl")] == [CLERK]

        again = send_papers(out, archive_dir=archive, environ={})
        assert [s.recipient.address for s in again.sent] == [MEMBER]
        assert [to for to, _ in mailbox.received] == [[CLERK], [MEMBER]]


def test_a_send_log_cut_short_is_named_and_skipped_and_sending_goes_on(
    plain: Path, tmp_path: Path
) -> None:
    mailbox = Mailbox()
    archive = tmp_path / "archive"
    with serve(mailbox) as port:
        out = configure(plain, plain_settings(port))
        first = send_papers(out, archive_dir=archive, environ={})
        assert len(first.sent) == 2
        log = archive / "sent.jsonl"
        whole = log.read_bytes()
        # The member's line cut short, as a full disk leaves it.
        clerk_line, member_line = whole.splitlines(keepends=True)
        log.write_bytes(clerk_line + member_line[:40])

        status = folder_status(plain / "inputs", out, archive_dir=archive)
        assert status.papers[0].sent_to == (CLERK,)  # what the whole line says is kept
        (note,) = [n for n in status.notes if "sent.jsonl" in n]
        assert note == (
            f"{log}: line 2 is not a whole send-log entry (cut short); it is skipped, so a"
            " message it recorded may be sent again. The other entries are kept"
        )

        # Sending goes on: the member's message again (its record was lost), logged whole.
        second = send_papers(out, archive_dir=archive, environ={})
        assert [s.recipient.address for s in second.sent] == [MEMBER]
        assert any("line 2 is not a whole send-log entry" in w for w in second.warnings)
        assert [e["to"] for e in read_log(log)] == [CLERK, MEMBER]
        assert log.read_bytes().startswith(clerk_line + member_line[:40] + b"\n")
        status = folder_status(plain / "inputs", out, archive_dir=archive)
        assert status.papers[0].sent


def test_each_message_is_on_disk_in_the_log_before_it_is_counted(
    plain: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    seen: list[list[str]] = []

    def counted(done: Sent) -> None:
        seen.append([e["to"] for e in read_log(archive / "sent.jsonl")])

    with serve(Mailbox()) as port:
        out = configure(plain, plain_settings(port))
        send_papers(out, archive_dir=archive, environ={}, on_sent=counted)
    assert seen == [[CLERK], [CLERK, MEMBER]]


def test_an_international_address_goes_by_smtputf8_or_is_refused_by_name(
    plain: Path, tmp_path: Path
) -> None:
    josé = "josé@bücher.example"
    mailbox = Mailbox()
    with serve(mailbox, enable_SMTPUTF8=True) as port:
        out = configure(plain, plain_settings(port, member=josé))
        report = send_papers(out, archive_dir=tmp_path / "one", environ={})
        assert report.ok and len(report.sent) == 2
        (to, data) = mailbox.received[1]
        assert to == ["josé@xn--bcher-kva.example"]
        received = email.message_from_string(data.decode("utf-8"), policy=default_policy)
        assert received["To"].addresses[0].username == "josé"  # sent as UTF-8, not mangled

    mailbox = Mailbox()
    with serve(mailbox, enable_SMTPUTF8=False) as port:
        out = configure(plain, plain_settings(port, member=josé))
        result = CliRunner().invoke(
            main, ["email", str(out), "--send", "--archive", str(tmp_path / "two")]
        )
        assert result.exit_code == 1
        assert f"sent to {CLERK}" in result.output
        assert (
            "not sent to josé@xn--bcher-kva.example: 127.0.0.1:"
            f"{port} does not offer SMTPUTF8, which an address with letters outside ASCII needs"
            in result.output
        )
        assert "check the address" not in result.output and "Traceback" not in result.output
        assert [to for to, _ in mailbox.received] == [[CLERK]]

    checked = CliRunner().invoke(main, ["check", str(plain / "inputs")])
    assert "email.recipients item 2.address: josé@xn--bcher-kva.example has letters outside" in (
        checked.output
    )
    assert "only a mail server that offers SMTPUTF8 can take it" in checked.output


def test_a_full_disk_while_a_message_is_logged_stops_the_run_and_leaves_the_log_whole(
    plain: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "archive"
    synced: list[int] = []

    def full_on_the_second(handle: int) -> None:  # the second entry written: no space
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return  # the folder, synced once the log is made
        synced.append(handle)
        if len(synced) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    mailbox = Mailbox()
    with serve(mailbox) as port:
        out = configure(plain, plain_settings(port))
        monkeypatch.setattr("boardpack.meeting.send_log.os.fsync", full_on_the_second)
        result = CliRunner().invoke(main, ["email", str(out), "--send", "--archive", str(archive)])
        monkeypatch.undo()
        assert result.exit_code == 1
        assert (
            "could not record a message the server accepted (No space left on device); it was"
            f" sent to {MEMBER}" in result.output
        )
        log = archive / "sent.jsonl"
        assert log.read_bytes().endswith(b"\n")  # the line it could not finish taken back off
        assert [e["to"] for e in read_log(log)] == [CLERK]
        # Space again: the log goes on (the member's message, unrecorded, goes once more).
        again = send_papers(out, archive_dir=archive, environ={})
        assert [s.recipient.address for s in again.sent] == [MEMBER] and not again.warnings
        assert [e["to"] for e in read_log(log)] == [CLERK, MEMBER]


def test_check_refuses_an_address_no_server_can_deliver_to(plain: Path) -> None:
    configure(plain, plain_settings(1, member="ann..other@example.org"))
    result = CliRunner().invoke(main, ["check", str(plain / "inputs")])
    assert result.exit_code == 1
    assert "email.recipients item 2.address: must be an email address" in result.output
    assert "begin, end or double a dot (got 'ann..other@example.org')" in result.output


def test_check_names_a_recipient_of_a_paper_the_meeting_has_not(plain: Path) -> None:
    out = configure(plain, plain_settings(1, member_papers='papers = ["housing"]\n'))
    result = CliRunner().invoke(main, ["check", str(plain / "inputs")])
    assert result.exit_code == 1
    assert (
        "boardpack.toml: email.recipients item 2.papers item 1: Cllr Ann Other is to get the"
        " paper 'housing', but there is no housing.xlsx in this meeting" in result.output
    )
    with pytest.raises(MailError, match=r"email\.recipients item 2 \(Cllr Ann Other\) names"):
        write_email_drafts(out, plain / "unused-drafts")
    assert not (plain / "unused-drafts").exists()


def test_line_breaks_in_the_board_and_project_are_cleaned_with_one_warning(
    plain: Path, tmp_path: Path
) -> None:
    root = tmp_path / "m"
    (root / "inputs").mkdir(parents=True)
    edit_workbook(EXAMPLE, root / "inputs" / "procurement.xlsx", {"Paper!B2": "Procure\nment"})
    (root / "inputs" / "boardpack.toml").write_text(
        plain_settings(1, board="Joint\nImprovement\r\nBoard"), encoding="utf-8"
    )
    assert boardpack.build([root / "inputs"], root / "output", pdf=False).ok
    drafts = tmp_path / "drafts"
    result = CliRunner().invoke(main, ["email", str(root / "output"), "--drafts", str(drafts)])
    assert result.exit_code == 0, result.output
    (first, _) = sorted(drafts.glob("*.eml"))
    message = parse(first.read_bytes())
    assert message["Subject"] == "Joint Improvement Board, 24/01/2008: Procure ment"
    assert "meeting at 14:00 on 24 January 2008 at Council Chamber" in text_of(message)
    warnings = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 2, warnings  # the board's (boardpack.toml) and the project's, once
    assert "line breaks" in warnings[0] and "procurement: the project's name" in warnings[1]

    calendar = tmp_path / "board.ics"
    (root / "inputs" / "boardpack.toml").write_text(
        "meetings = [2008-01-24]\n" + plain_settings(1, board="Joint\nImprovement Board"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["calendar", str(root / "inputs"), "--out", str(calendar)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "Joint Improvement Board" in result.output


def test_drafts_never_replace_drafts_unless_told_and_never_an_edited_one(
    plain: Path, tmp_path: Path
) -> None:
    out = configure(plain, plain_settings(1))
    drafts = tmp_path / "drafts"
    command = ["email", str(out), "--drafts", str(drafts)]
    assert CliRunner().invoke(main, command).exit_code == 0
    before = {p.name: p.read_bytes() for p in drafts.glob("*.eml")}
    assert sorted(before) == ["01 Committee Clerk.eml", "02 Cllr Ann Other.eml"]

    refused = CliRunner().invoke(main, command)
    assert refused.exit_code == 1
    assert f"{drafts}: already holds 2 drafts (01 Committee Clerk.eml, ...); add --replace" in (
        refused.output
    )

    # The member leaves the board: --replace removes her draft and says so.
    text = plain_settings(1).split('[[email.recipients]]\nname = "Cllr Ann Other"')[0]
    configure(plain, text + plain_settings(1)[plain_settings(1).index("[email.smtp]") :])
    replaced = CliRunner().invoke(main, [*command, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert f"removed {drafts / '02 Cllr Ann Other.eml'}: {MEMBER} is no longer on the list" in (
        replaced.output
    )
    assert sorted(p.name for p in drafts.glob("*.eml")) == ["01 Committee Clerk.eml"]

    # The clerk edits the draft: even --replace leaves it, and writes nothing.
    edited = drafts / "01 Committee Clerk.eml"
    edited.write_bytes(edited.read_bytes().replace(b"Dear Committee Clerk", b"Dear Sue"))
    kept = edited.read_bytes()
    configure(plain, plain_settings(1))
    again = CliRunner().invoke(main, [*command, "--replace"])
    assert again.exit_code == 1
    assert f"{edited}: has been changed since boardpack wrote it (edited?)" in again.output
    assert edited.read_bytes() == kept
    assert sorted(p.name for p in drafts.glob("*.eml")) == ["01 Committee Clerk.eml"]

    assert CliRunner().invoke(main, ["email", str(out), "--send", "--replace"]).exit_code == 2


def test_drafts_into_a_folder_that_cannot_be_written_say_so(plain: Path, tmp_path: Path) -> None:
    out = configure(plain, plain_settings(1))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = CliRunner().invoke(main, ["email", str(out), "--drafts", str(blocker / "drafts")])
    assert result.exit_code == 1
    assert f"{blocker / 'drafts'}: cannot write the drafts there" in result.output
    assert "--out" not in result.output
    if os.geteuid() != 0:  # the superuser may write in a read-only folder
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        result = CliRunner().invoke(main, ["email", str(out), "--drafts", str(locked)])
        assert result.exit_code == 1
        assert f"{locked}: cannot write the drafts there" in result.output
        assert "--out" not in result.output


def test_a_missing_ca_file_is_named_as_a_missing_file(plain: Path, tmp_path: Path) -> None:
    with serve(Mailbox()) as port:
        out = configure(plain, plain_settings(port, smtp="ca_file = 'council-ca.pem'\n"))
        result = CliRunner().invoke(
            main, ["email", str(out), "--send", "--archive", str(tmp_path / "archive")]
        )
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "council-ca.pem: the certificate authority named in" in said
    assert "([email.smtp] ca_file) is not there" in said
    assert "cannot reach" not in result.output


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_meeting_date_no_calendar_holds_is_a_fault_not_a_crash(tmp_path: Path, day: str) -> None:
    (tmp_path / "boardpack.toml").write_text(
        f'board = "Cabinet"\nmeeting_date = {day}\nmeetings = [{day}]\n'
        "[deadline]\nworking_days = 5\n",
        encoding="utf-8",
    )
    calendar = CliRunner().invoke(
        main, ["calendar", str(tmp_path), "--out", str(tmp_path / "c.ics")]
    )
    assert calendar.exit_code == 1, calendar.output
    assert "meetings item 1: must be a meeting date between 1900 and 2999" in calendar.output
    # status shows what it can, and names each faulty setting where the meeting would be.
    status = CliRunner().invoke(
        main, ["status", str(tmp_path), "--out", str(tmp_path / "out")], env={"COLUMNS": "1000"}
    )
    assert status.exit_code == 0, status.output
    assert "meeting_date: must be a meeting date between 1900 and 2999" in status.output
    assert "meetings item 1: must be a meeting date between 1900 and 2999" in status.output
    for result in (calendar, status):
        assert "Traceback" not in result.output and "Internal error" not in result.output


def test_a_warning_met_for_every_paper_is_said_once(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(EXAMPLE, inputs / "procurement.xlsx")
    shutil.copy(EXAMPLE, inputs / "housing.xlsx")
    text = plain_settings(1).replace('agenda = ["procurement"]', 'archive = "../archive"')
    (inputs / "boardpack.toml").write_text(text, encoding="utf-8")
    assert boardpack.build([inputs], tmp_path / "output", pdf=False, pack=False).ok
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "index.jsonl").write_text("not an index\n", encoding="utf-8")

    status = CliRunner().invoke(main, ["status", str(inputs), "--out", str(tmp_path / "output")])
    assert status.exit_code == 0, status.output
    assert " ".join(status.output.split()).count("the archive's index is damaged") == 1
    drafts = CliRunner().invoke(
        main, ["email", str(tmp_path / "output"), "--drafts", str(tmp_path / "drafts")]
    )
    assert drafts.exit_code == 0, drafts.output
    assert drafts.output.count("the archive's index is damaged") == 1
    assert drafts.output.count("wrote ") == 2  # the clerk's draft and the member's
