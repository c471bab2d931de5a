"""The send log: what each SMTP server accepted, to whom, when, with each attachment's SHA-256.

It lives in the archive folder, beside the archive's index, as ARCHIVE_DIR/sent.jsonl: one JSON
object a line, appended and flushed to disk as each message is accepted, never rewritten; a line
cut short by a full disk or a crash is named and skipped when it is read, and the rest kept. It is
not part of what the index proves (`verify` passes over it): it grows after the papers are filed.
Reading it needs none of the mail modules, so `status` can say "sent" quickly.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boardpack.errors import MailError
from boardpack.files import hold_lock
from boardpack.meeting.records import SendLogEntry

if TYPE_CHECKING:
    from boardpack.meeting.mail import Draft, Letter

SEND_LOG = "sent.jsonl"
SEND_LOCK = "send.lock"  # in the archive's .staging folder: one sending run at a time
MAX_LOG_BYTES = 256 * 1024 * 1024  # decades of meetings; anything larger is not a send log


def send_log_path(archive_dir: Path) -> Path:
    """Where the send log of an archive is kept."""
    return archive_dir / SEND_LOG


def append_log(log: Path, entry: dict[str, Any]) -> None:
    """Add one line to the send log, flushed to disk before the next message goes. A last
    line cut short (a full disk, a crash) is ended first, so this entry is a line of its own;
    a line this write could not finish is taken back off."""
    line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    try:
        created = not os.path.lexists(log)
        with log.open("ab") as file:
            size = file.tell()
            if size and _last_byte(log) != b"\n":
                line = b"\n" + line
            try:
                file.write(line)
                file.flush()
                os.fsync(file.fileno())
            except OSError:
                with contextlib.suppress(OSError):  # leave no part-line behind, if it can
                    file.truncate(size)
                raise
        if created:
            _sync_folder(log.parent)  # the new file's name is on disk too
    except OSError as exc:
        raise MailError(
            f"{log}: could not record a message the server accepted ({exc.strerror}); it was"
            f" sent to {entry.get('to')}. Check the archive folder is writable and the disk has"
            " space before sending more"
        ) from exc


def _last_byte(log: Path) -> bytes:
    with log.open("rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every system can open a folder to sync it
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


@dataclass(frozen=True)
class SendLog:
    """The send log as read: its entries, and each damaged line that was skipped."""

    entries: list[SendLogEntry]
    damaged: tuple[str, ...]  # what is wrong with each line skipped, naming the line


def read_log(log: Path) -> list[dict[str, Any]]:
    """Every whole entry of the send log as JSON data (none when there is no log); see
    `load_log`."""
    return [entry.model_dump(mode="json") for entry in load_log(log).entries]


def load_log(log: Path) -> SendLog:
    """The send log's entries; a damaged line (one cut short by a full disk or a crash) is
    named and skipped, and the rest kept. MailError when the log cannot be read at all."""
    try:
        mode = log.lstat().st_mode
    except FileNotFoundError:
        return SendLog([], ())
    except OSError as exc:
        raise MailError(f"{log}: the send log cannot be read ({exc.strerror})") from exc
    if not stat.S_ISREG(mode):
        raise MailError(f"{log}: the send log is not a plain file; remove it or restore it")
    try:
        data = log.read_bytes()
    except OSError as exc:
        raise MailError(f"{log}: the send log cannot be read ({exc.strerror})") from exc
    if len(data) > MAX_LOG_BYTES:
        raise MailError(f"{log}: is over {MAX_LOG_BYTES >> 20} MB; it is not a send log")
    entries = []
    damaged = []
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        cut = number == len(lines)  # no line end after it: the write was cut short
        try:
            # Read as records.SendLogEntry says a line is: anything else is not trusted.
            entry: SendLogEntry | None = SendLogEntry.model_validate_json(raw)
        except ValueError:  # pydantic's ValidationError, for bad JSON and bad fields alike
            entry = None
        if entry is None:
            how = "cut short" if cut else "damaged"
            damaged.append(
                f"{log}: line {number} is not a whole send-log entry ({how}); it is skipped, so"
                " a message it recorded may be sent again. The other entries are kept"
            )
            continue
        entries.append(entry)
    return SendLog(entries, tuple(damaged))


def attachment_hashes(entry: SendLogEntry) -> set[str]:
    """The SHA-256 of every file a log entry records as attached."""
    return {a["sha256"] for a in entry.attachments}


def already_sent(draft: Draft | Letter, entries: Sequence[SendLogEntry]) -> SendLogEntry | None:
    """The log entry of an earlier send of these very files to this recipient, if any."""
    files = sorted(a.sha256 for a in draft.attachments)
    for entry in entries:
        if entry.to == draft.recipient.address and sorted(attachment_hashes(entry)) == files:
            return entry
    return None


@contextlib.contextmanager
def send_lock(archive_dir: Path, wait: float = 60.0) -> Iterator[None]:
    """One sending run at a time per archive, so two runs cannot both send the same papers."""
    from boardpack.meeting.archive_index import STAGING

    def unusable(exc: OSError) -> MailError:
        return MailError(
            f"{archive_dir}: cannot lock the send log ({exc.strerror or exc}); check the archive"
            " folder is writable"
        )

    try:
        (archive_dir / STAGING).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unusable(exc) from exc
    held = hold_lock(
        archive_dir / STAGING / SEND_LOCK,
        wait,
        busy=lambda: MailError(
            f"{archive_dir}: another boardpack email --send is sending these papers and did not"
            f" finish within {wait:.0f} s; run again when it has finished"
        ),
        unusable=unusable,
    )
    with held:
        yield
