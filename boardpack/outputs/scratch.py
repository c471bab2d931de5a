"""Private work folders that say whether their owner still runs, so the next build can sweep
the ones a killed build left behind (they hold copies of the papers).

Each folder holds a lock file that its owner keeps locked while it works, and a note written
once it holds the lock. The operating system drops the lock when the owner ends, however it ends
(`kill -9` included), so a folder whose lock can be taken though the note says it was held is one
nobody is using: age alone would also delete a long build's folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

OWNER_LOCK = ".owner.lock"
OWNER_NOTE = ".owner"  # written once the lock is held; holds the owner's pid, for people
# A folder without the note is one being made right now (between mkdtemp and the lock) or one
# left by a boardpack from before the locks; after this long it is the latter.
_UNLOCKED_GRACE = 600.0
_ACQUIRE_TIMEOUT = 60.0  # a sweeper holds a lock it can take only for a moment


@contextlib.contextmanager
def work_folder(prefix: str, parent: Path | None = None) -> Iterator[Path]:
    """A new private folder, locked as ours while in use and removed with its contents after."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    lock = FileLock(folder / OWNER_LOCK, thread_local=False, timeout=_ACQUIRE_TIMEOUT)
    try:
        # A sweeper may take the lock first, between its creation and ours; it lets go at once
        # because there is no note yet.
        lock.acquire()
        (folder / OWNER_NOTE).write_text(str(os.getpid()), encoding="ascii")
        yield folder
    finally:
        # Released before the removal, because Windows cannot delete a file that is open; a
        # sweeper that takes the lock in between only removes what we are removing.
        lock.release()
        shutil.rmtree(folder, ignore_errors=True)


def sweep(parent: Path, prefix: str) -> list[Path]:
    """Remove the work folders in `parent` named with `prefix` whose owner has gone."""
    removed: list[Path] = []
    try:
        candidates = [p for p in parent.glob(prefix + "*") if p.is_dir() and not p.is_symlink()]
    except OSError:
        return removed
    for folder in candidates:
        try:
            abandoned = _ours(folder) and _abandoned(folder)
        except OSError:
            abandoned = False  # unreadable: not ours to judge
        if abandoned:
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder)
    return removed


def _ours(folder: Path) -> bool:
    """Whether this user made the folder (a shared temporary folder holds other users' too)."""
    getuid = getattr(os, "getuid", None)  # POSIX; on Windows each user has a temporary folder
    return getuid is None or folder.stat().st_uid == getuid()


def _abandoned(folder: Path) -> bool:
    """Whether no running process owns the work folder."""
    lock_path = folder / OWNER_LOCK
    if lock_path.is_file():
        lock = FileLock(lock_path, thread_local=False, blocking=False)
        try:
            lock.acquire()
        except Timeout:
            return False  # its owner is still at work
        except OSError:
            return False  # not ours to judge (another user's, or an unreadable lock)
        try:
            if (folder / OWNER_NOTE).is_file():
                return True  # it was held, and its holder has gone
        finally:
            lock.release()
    with contextlib.suppress(OSError):
        return time.time() - folder.stat().st_mtime > _UNLOCKED_GRACE
    return False
