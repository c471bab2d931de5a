"""Every file a setting, profile or workbook names is read from inside its folder (or a shared
folder the user names in BOARDPACK_SHARED): a covering note of /proc/self/environ would mail
the SMTP password, so these tests send with hostile settings to a real SMTP server and read
every message and every line printed back for the password."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from boardpack.cli import main
from boardpack.errors import BoardpackError
from boardpack.meeting.settings import load_settings
from boardpack.paper.profile import BUNDLED
from tests.conftest import EXAMPLE, SMTP_PASSWORD, Mailbox, edit_workbook, smtp_server
from tests.test_email import make_meeting, settings

SECRET_ENV = {"BOARDPACK_SMTP_PASSWORD": SMTP_PASSWORD}


@pytest.fixture(scope="module")
def mail_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    with smtp_server(certificate) as running:
        yield running


@pytest.fixture
def password_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The password in this very process's environment, where /proc/self/environ shows it."""
    monkeypatch.setenv("BOARDPACK_SMTP_PASSWORD", SMTP_PASSWORD)


def _with_note(root: Path, note: str) -> None:
    toml = root / "inputs" / "boardpack.toml"
    text = toml.read_text(encoding="utf-8").replace('note = "note.txt"', f"note = {note!r}")
    toml.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        ("/proc/self/environ", "/proc/self/environ"),
        ("../../../../../../../../etc/passwd", "/etc/passwd"),
        ("linked-note.txt", "secret.txt"),  # a link in the folder to a file outside it
    ],
)
def test_a_covering_note_outside_the_meeting_folder_is_never_read_nor_mailed(
    tmp_path: Path,
    mail_server: tuple[Mailbox, int],
    certificate: tuple[Path, Path],
    password_in_environment: None,
    note: str,
    shown: str,
) -> None:
    mailbox, port = mail_server
    text = settings(port, certificate[0], '"docx"', '"pdf"')
    root = make_meeting(tmp_path, text, pdf=False, cert=certificate[0])
    (tmp_path / "secret.txt").write_text(f"password {SMTP_PASSWORD}\n", encoding="utf-8")
    (root / "inputs" / "linked-note.txt").symlink_to(tmp_path / "secret.txt")
    _with_note(root, note)
    received = len(mailbox.received)

    runner = CliRunner(env=SECRET_ENV)
    sent = runner.invoke(main, ["email", str(root / "output"), "--send"])
    drafted = runner.invoke(main, ["email", str(root / "output"), "--drafts", str(tmp_path / "d")])

    for result in (sent, drafted):
        assert result.exit_code == 1, result.output
        assert f"[email] note = {note!r} leads outside {root / 'inputs'}" in result.output
        assert shown in result.output and "BOARDPACK_SHARED" in result.output
        assert SMTP_PASSWORD not in result.output and "Traceback" not in result.output
    assert len(mailbox.received) == received  # nothing went
    assert all(SMTP_PASSWORD.encode() not in data for _, data in mailbox.received)
    assert not (tmp_path / "d").exists()
    assert not (root / "archive" / "sent.jsonl").exists()


def test_a_covering_note_that_is_a_pipe_is_refused_without_waiting(
    tmp_path: Path, mail_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes are a POSIX feature")
    _, port = mail_server
    text = settings(port, certificate[0], '"docx"', None)
    root = make_meeting(tmp_path, text, pdf=False, cert=certificate[0])
    (root / "inputs" / "note.txt").unlink()
    os.mkfifo(root / "inputs" / "note.txt")  # nobody ever writes to it: reading would hang
    result = CliRunner(env=SECRET_ENV).invoke(main, ["email", str(root / "output"), "--send"])
    assert result.exit_code == 1, result.output
    assert "note.txt: the covering note named in" in result.output
    assert "([email] note) cannot be read (is a named pipe (FIFO), not a file)" in result.output


def test_a_ca_file_that_is_a_pipe_or_missing_or_outside_is_named_and_nothing_hangs(
    tmp_path: Path, mail_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = mail_server
    text = settings(port, certificate[0], '"docx"', None)
    root = make_meeting(tmp_path, text, pdf=False, cert=certificate[0])
    ca = root / "inputs" / "ca.pem"
    runner = CliRunner(env=SECRET_ENV)
    received = len(mailbox.received)

    ca.unlink()
    result = runner.invoke(main, ["email", str(root / "output"), "--send"])
    assert result.exit_code == 1
    assert "ca.pem: the certificate authority named in" in result.output
    assert "([email.smtp] ca_file) is not there" in result.output
    assert "cannot reach" not in result.output

    if hasattr(os, "mkfifo"):
        os.mkfifo(ca)
        result = runner.invoke(main, ["email", str(root / "output"), "--send"])
        assert result.exit_code == 1
        assert "cannot be read (is a named pipe (FIFO), not a file)" in result.output
        ca.unlink()

    ca.symlink_to(certificate[0])  # the certificate itself, but outside the meeting folder
    result = runner.invoke(main, ["email", str(root / "output"), "--send"])
    assert result.exit_code == 1
    assert "[email.smtp] ca_file = 'ca.pem' leads outside" in result.output
    assert len(mailbox.received) == received


def _meeting_folder(tmp_path: Path, toml: str) -> Path:
    folder = tmp_path / "meeting"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "procurement.xlsx")
    (folder / "boardpack.toml").write_text(toml, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("setting", "toml"),
    [
        ("profile", 'profile = "/etc/passwd"\n'),
        ("profile", 'profile = "../shared/board.toml"\n'),
        ("template", 'template = "../../templates/report.docx"\n'),
        ("templates.procurement", '[templates]\nprocurement = "/etc/hostname"\n'),
    ],
)
def test_settings_naming_a_file_outside_the_folder_are_refused_at_the_setting(
    tmp_path: Path, setting: str, toml: str
) -> None:
    folder = _meeting_folder(tmp_path, toml)
    with pytest.raises(BoardpackError, match=f"{setting} = .* leads outside {folder}"):
        load_settings(folder / "boardpack.toml")
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 1
    assert f"{setting} = " in result.output and "leads outside" in result.output
    assert "root:" not in result.output  # nothing of /etc/passwd was read


def test_a_workbooks_profile_row_cannot_lead_outside_its_folder(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(BUNDLED / "jib.toml", tmp_path / "elsewhere" / "board.toml")
    folder = tmp_path / "meeting"
    folder.mkdir()
    workbook = edit_workbook(
        EXAMPLE, folder / "procurement.xlsx", {"Paper!A20": "Profile", "Paper!B20": "../x"}
    )
    for named in ("../elsewhere/board.toml", "/etc/passwd"):
        edit_workbook(workbook, workbook, {"Paper!B20": named})
        result = CliRunner().invoke(main, ["check", str(workbook)])
        assert result.exit_code == 1, result.output
        assert "Paper!B20: names the profile" in result.output
        assert f"profile = {named!r} leads outside {folder}" in result.output


def test_a_shared_folder_the_user_names_may_hold_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "council-profiles"
    shared.mkdir()
    shutil.copy(BUNDLED / "jib.toml", shared / "board.toml")
    folder = _meeting_folder(tmp_path, f'profile = "{shared / "board.toml"}"\n')
    with pytest.raises(BoardpackError, match="leads outside"):
        load_settings(folder / "boardpack.toml")
    monkeypatch.setenv("BOARDPACK_SHARED", str(shared))
    chosen, _ = load_settings(folder / "boardpack.toml")
    assert chosen.profile == str(shared / "board.toml")
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output
