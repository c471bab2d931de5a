"""Safe file handling: output names that stay in their folder; writes that are all or nothing."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from boardpack.errors import BoardpackError, OutputError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
TEMP_PREFIX = ".boardpack-tmp-"
PACK_NAME = "board-pack"  # the meeting's combined pack: board-pack.docx and board-pack.pdf
RECORD_FOLDER = ".boardpack"  # in an output folder: what each paper was built from, for archive
STALE_AFTER = 3600  # seconds; a temporary this old belongs to a build that was killed
LOCK_WAIT = 5.0  # seconds a build waits for another build into the same folder to finish
LOCK_WAIT_ENV = "BOARDPACK_LOCK_WAIT"  # overrides LOCK_WAIT
# In the output folder, while a build runs: the file the operating-system lock is held on, and
# beside it which build holds it. Both are removed when the build ends.
_LOCK_FILE = ".boardpack.lock"
_OWNER_FILE = ".boardpack.owner"

# Separators, characters Windows forbids, controls, and the invisible format characters (such
# as U+202E, which shows a name backwards) that could disguise one file as another.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]')
# A file name may be 255 bytes on Linux and macOS, and 255 UTF-16 units on Windows. The longest
# name made from a paper's stem is the lock file LibreOffice writes beside its PDF:
# ".~lock.<stem>-<n>.pdf#", where -<n> tells apart papers of one name converted together.
# ".docx" is allowed for in place of ".pdf", in case it ever locks the paper it reads too.
MAX_NAME_UNITS = 255
MAX_STEM_UNITS = MAX_NAME_UNITS - len(".~lock.") - len("-999") - len(".docx") - len("#")
MAX_STEM_CHARACTERS = 120  # a readable name, well short of any limit when it is plain ASCII
_UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_WINDOWS_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}  # fmt: skip


def safe_stem(name: str) -> str:
    """A file name stem that is valid on Windows, macOS and Linux and cannot leave its folder."""
    return _safe_stem(name)[0]


def shortened_stem(name: str) -> str | None:
    """Why safe_stem cut `name` short, naming the files it gives; None when it did not."""
    stem, shortened = _safe_stem(name)
    if not shortened:
        return None
    return (
        f"the name is too long for the files made from it (at most {MAX_STEM_CHARACTERS}"
        f" characters and {MAX_STEM_UNITS} bytes), so they are named '{stem}.docx' and"
        f" '{stem}.pdf'; give the workbook a shorter name"
    )


def _safe_stem(name: str) -> tuple[str, bool]:
    # One Unicode form, so "café" typed composed or decomposed names one paper, not two.
    stem = unicodedata.normalize("NFC", name)
    stem = _UNSAFE.sub("_", stem).strip(" .")
    stem = stem.replace("..", "_")
    if not stem:
        return "paper", False
    if stem.split(".")[0].rstrip(" ").casefold() in _WINDOWS_RESERVED:
        stem = "_" + stem
    cut = min(len(stem), MAX_STEM_CHARACTERS)
    while cut and _name_units(stem[:cut]) > MAX_STEM_UNITS:
        cut -= 1
    if cut == len(stem):
        return stem, False
    # Never between a letter and a mark that belongs to it (an accent, a variation selector).
    while cut and unicodedata.category(stem[cut]).startswith("M"):
        cut -= 1
    return stem[:cut].rstrip(" .") or "paper", True


def _name_units(name: str) -> int:
    """A name's length as the strictest file system counts it: UTF-8 bytes (Linux, APFS), or
    UTF-16 units of its decomposed form (HFS+ stores names decomposed; NTFS as given)."""
    decomposed = unicodedata.normalize("NFD", name)
    return max(len(name.encode("utf-8")), len(decomposed.encode("utf-16-le")) // 2)


@contextlib.contextmanager
def open_regular(path: Path, *, follow: bool = True) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    """A regular file open for reading, with its status; anything else is refused unread.

    Raises FileNotFoundError, IsADirectoryError, NotRegularFile (a pipe, device or socket, or
    a link when not `follow`) or another OSError. A named pipe is never opened blocking, so it
    can never hang the reader, even when it replaces the file between the check and the
    opening; without `follow`, nor can a link swapped in meanwhile be followed."""
    if follow:
        _require_regular(os.stat(path), path)  # follows links: a link to a pipe is a pipe
    else:
        status = os.lstat(path)
        if stat.S_ISLNK(status.st_mode):
            raise NotRegularFile(errno.ELOOP, "is a link, not a file", str(path))
        _require_regular(status, path)
    flags = (
        os.O_RDONLY
        | getattr(os, "O_BINARY", 0)
        | getattr(os, "O_NONBLOCK", 0)  # no effect on a regular file; Windows has no pipes here
        | getattr(os, "O_NOCTTY", 0)
        | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    )
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        if not follow and os.path.islink(path):  # swapped for a link since the check
            raise NotRegularFile(errno.ELOOP, "is a link, not a file", str(path)) from exc
        raise
    try:
        status = os.fstat(descriptor)
        _require_regular(status, path)
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        yield handle, status


class NotRegularFile(OSError):
    """A path that names a pipe, a device or a socket where a file was expected."""


def _require_regular(status: os.stat_result, path: Path) -> None:
    mode = status.st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    if stat.S_ISFIFO(mode):
        kind = "a named pipe (FIFO)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    else:
        kind = "not a regular file"
    raise NotRegularFile(errno.EINVAL, f"is {kind}, not a file", str(path))


SHARED_ENV = "BOARDPACK_SHARED"  # folders of shared profiles and templates, named by the user


class OutsideFolder(BoardpackError):
    """A file a setting, profile or workbook names that lies outside the folders it may use."""


def shared_folders() -> tuple[Path, ...]:
    """The folders the user named in BOARDPACK_SHARED (separated as PATH is) for profiles and
    templates that several meeting folders share."""
    named = os.environ.get(SHARED_ENV, "")
    return tuple(Path(part) for part in named.split(os.pathsep) if part.strip())


def inside(folder: Path, name: str | os.PathLike[str], *, setting: str) -> Path:
    """The file that `setting` names as `name`, resolved from `folder`, with every link
    followed; OutsideFolder when it leads out of `folder` and of every shared folder.

    Settings, profiles and workbooks are written by others: a covering note of
    "/proc/self/environ" would mail the SMTP password, "../../etc/passwd" the password file,
    and a link placed in the folder could lead anywhere. Reading only below the folders the user
    chose keeps every such path where it belongs."""
    given = Path(name)
    resolved = Path(os.path.realpath(folder / given))
    roots = [Path(os.path.realpath(root)) for root in (folder, *shared_folders())]
    if any(resolved == root or root in resolved.parents for root in roots):
        return resolved
    return_to = f"{folder}" + (f" or {', '.join(map(str, roots[1:]))}" if roots[1:] else "")
    raise OutsideFolder(
        f"{setting} = {str(name)!r} leads outside {return_to} (to {resolved}); put the file in"
        f" that folder and name it from there, or name a folder of shared files in {SHARED_ENV}"
    )


def read_capped(path: Path, limit: int) -> bytes:
    """A regular file's bytes, read without following a link swapped in for it; ValueError
    when it holds more than `limit` bytes. Raises as open_regular does."""
    with open_regular(path, follow=False) as (handle, _):
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"is over {limit:,} bytes")
    return data


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_folder(folder: Path) -> Path:
    """Create an output folder, or say plainly why it cannot be used."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the output folder ({exc.strerror})") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: the output folder is not writable; choose another with --out")
    return folder


@contextlib.contextmanager
def temporary_in(folder: Path, suffix: str = "") -> Iterator[Path]:
    """A temporary file path in `folder`, removed on exit unless it was moved away."""
    import tempfile  # here, not at the top: `boardpack check` writes nothing and starts faster

    handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=folder)
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def write_synced(path: Path, data: bytes) -> None:
    """Write `data` to a new file at `path`, readable by all, and on the disk before it returns:
    what a later rename puts in place has been written whole, even if the power goes."""
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, 0o644)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    try:
        with temporary_in(path.parent, suffix=path.suffix) as temporary:
            write_synced(temporary, data)
            os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(
            f"{path}: could not write ({exc.strerror}); the previous file, if any, is unchanged."
            " Check the disk has space and the folder is writable"
        ) from exc


def remove_stale_temporaries(folder: Path, older_than: float = STALE_AFTER) -> list[Path]:
    """Delete temporary files and folders left by killed builds; by default only those older
    than an hour, as recent ones may belong to a running build."""
    removed = []
    now = time.time()
    for path in folder.glob(TEMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if now - path.lstat().st_mtime >= older_than:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed.append(path)
    return removed


@contextlib.contextmanager
def staging_folder(folder: Path) -> Iterator[Path]:
    """A private folder inside `folder` for outputs not yet put in place; removed on exit."""
    import tempfile

    try:
        staging = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=folder))
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write in the output folder ({exc.strerror})") from exc
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def lock_wait() -> float:
    """How long a build waits for the output folder: $BOARDPACK_LOCK_WAIT seconds, or LOCK_WAIT."""
    try:
        return max(0.0, float(os.environ.get(LOCK_WAIT_ENV, "").strip() or LOCK_WAIT))
    except ValueError:
        raise BoardpackError(
            f"{LOCK_WAIT_ENV} must be a number of seconds, not {os.environ[LOCK_WAIT_ENV]!r}"
        ) from None


@contextlib.contextmanager
def hold_lock(
    path: Path,
    wait: float,
    *,
    busy: Callable[[], BoardpackError],
    unusable: Callable[[OSError], BoardpackError],
) -> Iterator[None]:
    """Hold an operating-system lock on the file `path` (released however the process ends),
    waiting up to `wait` seconds for whoever holds it. Raises `busy()` when another still holds
    it then, and `unusable(error)` when it cannot be taken at all (a folder that cannot be
    written). The one lock of the output folder, the archive and the send log."""
    from filelock import FileLock, Timeout

    lock = FileLock(path, timeout=wait)
    try:
        lock.acquire()
    # First: filelock's Timeout is an OSError too, and would read as a folder not writable.
    except Timeout:
        raise busy() from None
    except OSError as exc:
        raise unusable(exc) from exc
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def output_lock(folder: Path, wait: float | None = None) -> Iterator[None]:
    """Hold `folder` for one build, by an operating-system lock (released even if the process
    is killed). Waits up to `wait` seconds (default: lock_wait()) for another build to finish,
    then raises OutputError naming that build."""
    ensure_folder(folder)
    held = hold_lock(
        folder / _LOCK_FILE,
        lock_wait() if wait is None else wait,
        busy=lambda: OutputError(
            f"{folder}: another build is writing to this folder ({_owner(folder)});"
            " wait for it to finish and run again, or build into another folder with --out"
        ),
        unusable=lambda exc: OutputError(
            f"{folder}: cannot lock the output folder ({exc.strerror or exc}); check that it is"
            " writable, or choose another with --out"
        ),
    )
    with held:
        owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "command": " ".join(sys.argv),
        }
        # Only to name this build to another one; a full disk must not stop the build here.
        with contextlib.suppress(OutputError):
            write_atomic(folder / _OWNER_FILE, json.dumps(owner).encode())
        try:
            yield
        finally:
            # Removed while still held: filelock notices that a lock it then gets is on a
            # removed file, and takes the new one. (Windows keeps an open file; it stays.)
            for name in (_OWNER_FILE, _LOCK_FILE):
                with contextlib.suppress(OSError):
                    (folder / name).unlink()


def _owner(folder: Path) -> str:
    """The build that holds an output folder's lock, as its owner file describes it."""
    try:
        owner = json.loads((folder / _OWNER_FILE).read_text(encoding="utf-8"))
        text = (
            f"process {int(owner['pid'])} on {owner['host']}, started {owner['started']}:"
            f" {owner['command']}"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "which one is not recorded"
    return _UNSAFE_TEXT.sub("?", text)[:500]


# `check --annotate` writes "procurement (problems).xlsx" beside procurement.xlsx: a map of its
# problems, not a paper, so a folder's build and check pass over it.
ANNOTATED_SUFFIX = " (problems)"
_ANNOTATED_COPY = re.compile(r"^.+ \(problems(?: [0-9]+)?\)\.xlsx$", re.IGNORECASE)


def is_annotated_copy(path: Path) -> bool:
    """Whether `path` is named as boardpack names a workbook's annotated copy."""
    return bool(_ANNOTATED_COPY.match(path.name))


def not_utf8_name(path: Path) -> BoardpackError:
    """The error of a workbook whose file name is not UTF-8 text: no paper can be named after
    it, and printing it would garble the terminal; it is skipped, the others go on."""
    from boardpack.text import printable

    return BoardpackError(
        f"{printable(str(path))}: the file name is not UTF-8 text (the \\x bytes shown), so"
        " no paper can be named after it; the workbook is skipped: rename it, and run again"
    )


def find_workbooks(paths: Iterable[Path]) -> list[Path]:
    """Workbooks named, or found directly in named folders; Office lock files, hidden files and
    annotated copies are skipped. Raises BoardpackError for a path that does not exist."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.iterdir()
                    # .xls too, so that an old workbook is named and not silently skipped
                    if p.suffix.lower() in (*WORKBOOK_SUFFIXES, ".xls")
                    and not p.name.startswith(("~$", "."))
                    and not is_annotated_copy(p)
                    # a pipe or device of that name is found, to be refused by name, not skipped
                    and not p.is_dir()
                )
            )
        elif path.exists() or path.suffix.lower() in (*WORKBOOK_SUFFIXES, ".xls"):
            found.append(path)
        else:
            raise BoardpackError(f"{path}: no such workbook or folder")
    return found
