"""One lock helper (files.hold_lock) for the output folder, the archive and the send log: held by
another process, each says another run is busy and to run again when it has finished, never
that its folder cannot be written (filelock's time-out is an OSError too)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from boardpack.errors import ArchiveError, MailError, OutputError
from boardpack.files import hold_lock, output_lock
from boardpack.meeting.archive_index import LOCK, STAGING, archive_lock
from boardpack.meeting.send_log import SEND_LOCK, send_lock

HOLD = """
import sys
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.read()  # until the test is done with it
"""


@contextmanager
def held_by_another_process(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
        assert holder.stdout is not None
        holder.stdout.close()


def test_a_held_archive_says_another_archive_is_filing_and_to_run_again(tmp_path: Path) -> None:
    with (
        held_by_another_process(tmp_path / STAGING / LOCK),
        pytest.raises(ArchiveError) as refused,
        archive_lock(tmp_path, wait=0.2),
    ):
        pass
    assert str(refused.value) == (
        f"{tmp_path}: another boardpack archive is filing papers here and did not finish within"
        " 0 s; run again when it has finished"
    )
    with archive_lock(tmp_path, wait=0.2):  # and taken once it is let go
        pass


def test_a_held_send_log_says_another_send_is_running_and_to_run_again(tmp_path: Path) -> None:
    with (
        held_by_another_process(tmp_path / STAGING / SEND_LOCK),
        pytest.raises(MailError, match=r"run again when it has finished$"),
        send_lock(tmp_path, wait=0.2),
    ):
        pass
    with send_lock(tmp_path, wait=0.2):
        pass


def test_a_held_output_folder_names_the_other_build(tmp_path: Path) -> None:
    with (
        held_by_another_process(tmp_path / ".boardpack.lock"),
        pytest.raises(OutputError, match="another build is writing to this folder"),
        output_lock(tmp_path, wait=0.2),
    ):
        pass


def test_a_lock_that_cannot_be_taken_at_all_is_not_called_busy(tmp_path: Path) -> None:
    def busy() -> ArchiveError:
        return ArchiveError("busy")

    def unusable(exc: OSError) -> ArchiveError:
        return ArchiveError(f"cannot lock ({exc.strerror})")

    (tmp_path / "a file").write_text("not a folder")
    nowhere = tmp_path / "a file" / "archive.lock"  # a lock file where none can be made
    with (
        pytest.raises(ArchiveError, match=r"^cannot lock \(.+\)$"),
        hold_lock(nowhere, 0.2, busy=busy, unusable=unusable),
    ):
        pass
