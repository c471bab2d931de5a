"""The archive's file handling: only regular files are read, never through a link; writes flushed.

Everything the archive reads (built outputs, archived files, manifests) comes from folders anyone
can edit, so a name may have been replaced by a FIFO (opening it waits for ever), a device or a
link to somewhere else. Each file is looked at without following links, opened without blocking
and checked again once open, so what was checked is what is read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from boardpack import files
from boardpack.errors import ArchiveError

READ_ONLY_FILE = 0o444
READ_ONLY_FOLDER = 0o555

# O_NOFOLLOW does not exist on Windows, where a link is caught by checking first instead.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class NotARegularFile(OSError):
    """A path that is a link, folder, FIFO or device where a plain file was expected."""


def kind_of(mode: int) -> str:
    """What a file of this lstat mode is, in words: "a link", "a FIFO" ..."""
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a plain file" if stat.S_ISREG(mode) else "not a plain file"


@contextlib.contextmanager
def open_regular(path: Path, *, follow: bool = False) -> Iterator[BinaryIO]:
    """Open a plain file for reading; NotARegularFile if it is anything else (or, unless
    `follow`, a link). Never waits on a FIFO. files.open_regular does the opening; this names
    what was refused in the archive's words."""
    with contextlib.ExitStack() as stack:
        try:
            handle, _ = stack.enter_context(files.open_regular(path, follow=follow))
        except (files.NotRegularFile, IsADirectoryError) as exc:
            try:
                what = kind_of((os.stat if follow else os.lstat)(path).st_mode)
            except OSError:
                what = "not a plain file"
            raise NotARegularFile(0, f"is {what}, not a plain file", str(path)) from exc
        yield handle


def read_regular(path: Path) -> bytes:
    """The bytes of a plain file that is not a link; NotARegularFile otherwise."""
    with open_regular(path) as handle:
        return handle.read()


def file_fault(path: Path, sha256: str, changed: str) -> str | None:
    """What is wrong with a file a build wrote or read: None when it is still those bytes
    (SHA-256), else why not; `changed` is what to say when it holds other bytes."""
    try:
        if hash_regular(path)[0] == sha256:
            return None
    except FileNotFoundError:
        return "is missing"
    except NotARegularFile as exc:
        return str(exc.strerror)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return changed


def hash_regular(path: Path, *, follow: bool = False) -> tuple[str, int]:
    """The hex SHA-256 and size of a plain file (see open_regular)."""
    digest = hashlib.sha256()
    size = 0
    with open_regular(path, follow=follow) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def copy_regular(source: Path, target: Path) -> tuple[str, int]:
    """Copy a plain file to a new file, flushed to disk and made read-only; its SHA-256 and size."""
    digest = hashlib.sha256()
    size = 0
    with open_regular(source) as data:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY | _NOFOLLOW
        with os.fdopen(os.open(target, flags, 0o644), "wb") as out:
            for block in iter(lambda: data.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
                size += len(block)
            out.flush()
            os.fsync(out.fileno())
    os.chmod(target, READ_ONLY_FILE)
    return digest.hexdigest(), size


def write_new(path: Path, data: bytes) -> None:
    """Write a new read-only file (never an existing one), flushed to disk."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY | _NOFOLLOW
    with os.fdopen(os.open(path, flags, 0o644), "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(path, READ_ONLY_FILE)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk, so a rename in it survives a power cut."""
    if os.name != "posix":
        return  # Windows cannot open a folder to flush it; NTFS journals renames itself
    # Best effort: some network and FUSE file systems refuse to flush a folder, and a failure
    # here, after the commit, must not be reported as a paper that was not archived.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_real_folders(archive_dir: Path, parts: tuple[str, ...]) -> None:
    """Refuse when a folder on the way to archive_dir/parts is a link or not a folder.

    A board, meeting or paper folder replaced by a link would make the archive write its next
    version wherever the link points. Folders that do not exist yet are fine: the archive makes
    them. The archive folder itself may be a link (to a network share, say).
    """
    here = archive_dir
    for part in parts:
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(mode):
            raise ArchiveError(
                f"{here} is {kind_of(mode)}, not a folder of the archive; nothing was filed"
                " through it. Run boardpack verify and restore that folder from a backup"
            )
