"""Safe file handling: output names that stay in their folder; writes that are all or nothing."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from boardpack.errors import BoardpackError, OutputError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
TEMP_PREFIX = ".boardpack-tmp-"
PACK_NAME = "board-pack"  # the meeting's combined pack: board-pack.docx and board-pack.pdf
RECORD_FOLDER = ".boardpack"  # in an output folder: what each paper was built from, for archive
STALE_AFTER = 3600  # seconds; a temporary this old belongs to a build that was killed

# Separators, characters Windows forbids, controls, and the invisible format characters (such
# as U+202E, which shows a name backwards) that could disguise one file as another.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]')
_WINDOWS_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}  # fmt: skip


def safe_stem(name: str) -> str:
    """A file name stem that is valid on Windows, macOS and Linux and cannot leave its folder."""
    stem = _UNSAFE.sub("_", name).strip(" .")
    stem = stem.replace("..", "_")
    if not stem:
        return "paper"
    if stem.split(".")[0].rstrip(" ").casefold() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return stem[:120]


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


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    try:
        with temporary_in(path.parent, suffix=path.suffix) as temporary:
            with temporary.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(
            f"{path}: could not write ({exc.strerror}); the previous file, if any, is unchanged."
            " Check the disk has space and the folder is writable"
        ) from exc


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporaries left by killed builds; recent ones may belong to a running build."""
    removed = []
    now = time.time()
    for path in folder.glob(TEMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > STALE_AFTER:
                path.unlink()
                removed.append(path)
    return removed


def find_workbooks(paths: Iterable[Path]) -> list[Path]:
    """Workbooks named, or found directly in named folders; Office lock files and hidden files
    are skipped. Raises BoardpackError for a path that does not exist."""
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
                    and p.is_file()
                )
            )
        elif path.exists() or path.suffix.lower() in (*WORKBOOK_SUFFIXES, ".xls"):
            found.append(path)
        else:
            raise BoardpackError(f"{path}: no such workbook or folder")
    return found
