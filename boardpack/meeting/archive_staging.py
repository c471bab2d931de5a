"""The archive's staging: where a version is written before one rename moves it into place.

ARCHIVE_DIR/.staging belongs to the run holding the archive's lock, so whatever another run
left there was left by a run that was killed, and is removed. A version is staged complete
(files and manifest flushed to disk), then renamed into the archive, so a run killed at any
moment leaves either no trace in the archive or the whole version.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import stat
import sys
from pathlib import Path
from typing import Any

from boardpack.errors import ArchiveError
from boardpack.meeting.archive_fs import READ_ONLY_FILE, READ_ONLY_FOLDER, fsync_folder, write_new
from boardpack.meeting.archive_index import LOCK, PENDING, STAGING

__all__ = ["Staging", "place", "remove_tree", "seal"]


def place(staged: Path, archive_dir: Path, parts: tuple[str, ...]) -> bool:
    """Move the staged version to archive_dir/parts in one rename; False if the place is taken.

    Folders above the version that do not exist yet are built around it in staging and the
    topmost one is renamed into the archive, so a run killed at any moment leaves no empty
    folders behind either.
    """
    exists = [os.path.lexists(archive_dir.joinpath(*parts[: i + 1])) for i in range(len(parts))]
    missing = next((i for i, there in enumerate(exists) if not there), None)
    if missing is None:
        return False
    moving, holder = staged, None
    if missing < len(parts) - 1:
        holder = staged.with_name(f"{staged.name}-up")
        bottom = holder.joinpath(*parts[missing:-1])
        bottom.mkdir(parents=True)
        os.rename(staged, bottom / parts[-1])
        for folder in (bottom, *bottom.parents):
            fsync_folder(folder)
            if folder == holder:
                break
        moving = holder / parts[missing]
    target = archive_dir.joinpath(*parts[: missing + 1])
    try:
        # The commit point. rename() never replaces a folder that has anything in it.
        os.rename(moving, target)
    except OSError:
        if holder is not None:
            os.rename(holder.joinpath(*parts[missing:]), staged)
            remove_tree(holder)
        if os.path.lexists(target):
            return False
        raise
    fsync_folder(target.parent)
    return True


def seal(folder: Path) -> None:
    """Make a version folder and its files read-only (where they are not already)."""
    with contextlib.suppress(OSError):
        files = [p for p in folder.iterdir() if stat.S_ISREG(p.lstat().st_mode)]
        for path, mode in [*((f, READ_ONLY_FILE) for f in files), (folder, READ_ONLY_FOLDER)]:
            if path.stat().st_mode & 0o777 != mode:
                path.chmod(mode)


def remove_tree(folder: Path) -> None:
    """Delete a staging folder, read-only files and all (Windows will not delete those)."""

    def writable_then_retry(function: Any, path: str, _: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(path, 0o700 if os.path.isdir(path) else 0o600)
            function(path)

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=writable_then_retry)
    else:  # onerror is deprecated from 3.12
        shutil.rmtree(folder, onerror=writable_then_retry)


class Staging:
    """This run's folder in ARCHIVE_DIR/.staging; anything else there was left by a killed run.

    Only the run holding the archive's lock uses staging, so whatever it finds there on entry
    (after the index has completed an interrupted filing from its note) is abandoned.
    """

    def __init__(self, archive_dir: Path) -> None:
        self.root = archive_dir / STAGING
        self.folder = self.root / secrets.token_hex(8)
        self._count = 0

    def __enter__(self) -> Staging:
        try:
            self.root.mkdir(exist_ok=True)
            for entry in self.root.iterdir():
                if entry.name == LOCK:
                    continue  # this run's lock
                if entry.is_dir() and not entry.is_symlink():
                    remove_tree(entry)
                else:
                    entry.unlink()
            self.folder.mkdir()
        except OSError as exc:
            raise ArchiveError(
                f"{self.root}: cannot prepare the archive ({exc.strerror or exc}); check the"
                " archive folder is writable"
            ) from exc
        return self

    def new_folder(self) -> Path:
        """A new empty folder to stage one version in."""
        self._count += 1
        folder = self.folder / str(self._count)
        folder.mkdir()
        return folder

    def note_pending(self, fields: dict[str, str]) -> None:
        """Note the index entry of the version about to be moved into place."""
        self.clear_pending()
        write_new(self.root / PENDING, json.dumps(fields).encode("utf-8"))
        fsync_folder(self.root)

    def clear_pending(self) -> None:
        """Forget the note once the version is in the index."""
        (self.root / PENDING).unlink(missing_ok=True)

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):
            remove_tree(self.folder)
