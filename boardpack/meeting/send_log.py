"""The send log: what each SMTP server accepted, to whom, when, with each attachment's SHA-256.

It lives in the archive folder, beside the archive's index, as ARCHIVE_DIR/sent.jsonl: one JSON
object a line, appended and flushed as each message is accepted, never rewritten. It is not part
of what the index proves (`verify` passes over it), because it grows after the papers are filed.
Reading it needs none of the mail modules, so `status` can say "sent" quickly.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boardpack.errors import MailError

if TYPE_CHECKING:
    from boardpack.meeting.mail import Draft

SEND_LOG = "sent.jsonl"
SEND_LOCK = "send.lock"  # in the archive's .staging folder: one sending run at a time
MAX_LOG_BYTES = 256 * 1024 * 1024  # decades of meetings; anything larger is not a send log


def send_log_path(archive_dir: Path) -> Path:
    """Where the send log of an archive is kept."""
    return archive_dir / SEND_LOG


def append_log(log: Path, entry: dict[str, Any]) -> None:
    """Add one line to the send log, flushed to disk before the next message goes."""
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
    try:
        with log.open("a", encoding="utf-8") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:
        raise MailError(
            f"{log}: could not record a message the server accepted ({exc.strerror}); it was"
            f" sent to {entry.get('to')}. Check the archive folder is writable before sending more"
        ) from exc


def read_log(log: Path) -> list[dict[str, Any]]:
    """Every entry of the send log (none when there is no log); a damaged line is an error
    naming it."""
    try:
        mode = log.lstat().st_mode
    except FileNotFoundError:
        return []
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
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MailError(
                f"{log}:{number}: not a send-log entry ({exc.msg}); restore the log from a backup"
            ) from exc
        if not isinstance(entry, dict) or not isinstance(entry.get("attachments"), list):
            raise MailError(f"{log}:{number}: not a send-log entry; restore the log from a backup")
        entries.append(entry)
    return entries


def attachment_hashes(entry: dict[str, Any]) -> set[str]:
    """The SHA-256 of every file a log entry records as attached."""
    return {str(a.get("sha256")) for a in entry["attachments"] if isinstance(a, dict)}


def already_sent(draft: Draft, entries: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The log entry of an earlier send of these very files to this recipient, if any."""
    files = sorted(a.sha256 for a in draft.attachments)
    for entry in entries:
        if entry.get("to") == draft.recipient.address and sorted(attachment_hashes(entry)) == files:
            return entry
    return None


@contextlib.contextmanager
def send_lock(archive_dir: Path, wait: float = 60.0) -> Iterator[None]:
    """One sending run at a time per archive, so two runs cannot both send the same papers."""
    from filelock import FileLock, Timeout

    from boardpack.meeting.archive_index import STAGING

    try:
        (archive_dir / STAGING).mkdir(parents=True, exist_ok=True)
        lock = FileLock(archive_dir / STAGING / SEND_LOCK, timeout=wait)
        lock.acquire()
    except OSError as exc:
        raise MailError(
            f"{archive_dir}: cannot lock the send log ({exc.strerror or exc}); check the archive"
            " folder is writable"
        ) from exc
    except Timeout as exc:
        raise MailError(
            f"{archive_dir}: another boardpack email --send is sending these papers and did not"
            f" finish within {wait:.0f} s; run again when it has finished"
        ) from exc
    try:
        yield
    finally:
        lock.release()
