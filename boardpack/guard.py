"""Before openpyxl: is this file a safe, undamaged Excel workbook?

A workbook comes by email from anyone. These checks run on the file's bytes and its zip
directory, before openpyxl decompresses or parses anything, so that a file of another kind, a
damaged one, a decompression bomb or hostile XML is refused quickly with a message saying what
the manager should do.
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from boardpack.errors import BoardpackError, InvalidWorkbook, Problem
from boardpack.files import NotRegularFile, open_regular

# A paper's workbook is tens of kilobytes. These bound the memory and time any file can cost,
# checked from the zip's directory before a byte is decompressed.
MAX_BYTES = 50 * 1024 * 1024  # the file on disk, and all its parts once decompressed
MAX_PART_BYTES = 5 * 1024 * 1024  # one part once decompressed, except pictures
MAX_PARTS = 10_000
MAX_RATIO = 100  # decompressed / compressed size of one part; Apache POI uses the same limit
RATIO_GRACE = 1024 * 1024  # a part smaller than this may compress by any amount
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: an .xls, or an encrypted .xlsx
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")  # a stream name only encrypted OOXML has
_DOCTYPE = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
RESAVE = "open it in Excel and save it as an Excel Workbook (.xlsx)"
FRESH_COPY = "ask whoever sent it for a fresh copy saved from Excel"


def checked_bytes(path: Path, source: str) -> bytes:
    """The file's bytes, once it is known to be a zip that is not some other kind of file."""
    require_safe_xml()
    data = _file_bytes(path, source)
    _refuse_other_kinds(data, source)
    return data


def open_archive(data: bytes, source: str) -> zipfile.ZipFile:
    """The workbook's zip, once its directory and every part are known to be sound."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # zipfile raises many kinds for a damaged directory
        raise invalid(source, _not_a_zip(data, source)) from exc
    try:
        _check_archive(archive, source)
    except BaseException:
        archive.close()
        raise
    return archive


def import_openpyxl() -> Any:
    """openpyxl, imported without numpy when numpy is not already loaded.

    openpyxl imports numpy only to recognise numpy numbers when writing cells; reading never
    needs it, and importing it is a quarter of `boardpack check`'s time. Once openpyxl is
    loaded numpy imports normally again, for the renderer's charts."""
    if "openpyxl" in sys.modules or "numpy" in sys.modules:
        import openpyxl

        return openpyxl
    sys.modules["numpy"] = None  # type: ignore[assignment]  # makes `import numpy` fail fast
    try:
        import openpyxl
    finally:
        del sys.modules["numpy"]
    return openpyxl


def local_name(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def require_safe_xml() -> None:
    openpyxl = import_openpyxl()
    from openpyxl.xml import functions

    # Without defusedxml openpyxl parses sheets with the standard library, which expands XML
    # entities: a few kilobytes of workbook could take all memory, or read local files.
    if not openpyxl.DEFUSEDXML or not functions.iterparse.__module__.startswith("defusedxml"):
        raise BoardpackError(
            "boardpack will not read workbooks without the defusedxml package, which protects"
            " against hostile XML in them: install it (pip install defusedxml) and make sure"
            " OPENPYXL_DEFUSEDXML is not set to False"
        )


def invalid(source: str, message: str, where: str | None = None) -> InvalidWorkbook:
    return InvalidWorkbook(source, [Problem(source if where is None else where, message)])


def _file_bytes(path: Path, source: str) -> bytes:
    """The whole file, read once: every later check and openpyxl itself work on these bytes."""
    try:
        with open_regular(path) as (handle, status):
            size = status.st_size
            if size > MAX_BYTES:
                raise invalid(
                    source,
                    f"is {_megabytes(size)}; a paper's workbook is far smaller, so it is refused"
                    f" (the limit is {_megabytes(MAX_BYTES)}). Check it is the right file, or"
                    " remove pictures and unused sheets",
                )
            data = handle.read(size + 1)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise invalid(source, "file not found; check the path", str(path)) from exc
    except IsADirectoryError as exc:
        raise invalid(source, "is a folder, not a workbook", str(path)) from exc
    except NotRegularFile as exc:
        # Refused unopened: reading a pipe would wait for ever, a device would never end.
        raise invalid(
            source, "is not a file but a device or pipe; give the path of a workbook"
        ) from exc
    except OSError as exc:
        raise invalid(
            source,
            f"cannot be read ({exc.strerror}); close it if another program has it open, check"
            " you may read it, and run again",
        ) from exc
    if not data:
        raise invalid(source, "is empty (0 bytes); save the workbook again from Excel")
    if len(data) > size:
        raise invalid(source, "changed while being read; wait until it is saved and run again")
    return data


def _refuse_other_kinds(data: bytes, source: str) -> None:
    if data.startswith(_OLE2):
        if _ENCRYPTED in data:
            raise invalid(
                source,
                "is protected with a password, so it cannot be read; remove the password: in"
                " Excel, File > Info > Protect Workbook > Encrypt with Password, clear the"
                " password and save",
            )
        raise invalid(
            source,
            "is an old Excel 97-2003 workbook (.xls); open it in Excel and save it as an Excel"
            " Workbook (.xlsx)",
        )


def _not_a_zip(data: bytes, source: str) -> str:
    """Why bytes that are no zip archive are not a workbook, naming what they look like."""
    if source.startswith("~$"):
        return (
            f"is the lock file Excel keeps while '{source[2:]}' is open, not a workbook; check"
            f" '{source[2:]}' itself"
        )
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return (
            "is damaged: it is incomplete or corrupt, perhaps a copy or download that did not"
            " finish; copy it again, or open it in Excel, which may repair it, and save it"
        )
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    kinds = (
        (b"\x89png", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"gif8", "a GIF image"),
        (b"%pdf", "a PDF document"),
        (b"{\\rtf", "an RTF document"),
    )
    kind = next((name for magic, name in kinds if head.startswith(magic)), None)
    if kind is None and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        kind = "an Excel 2003 XML spreadsheet"
    elif kind is None and (b"<html" in head or b"<!doctype html" in head):
        kind = "a web page (HTML)"
    elif kind is None and _looks_like_text(data[:4096]):
        kind = "a text file (perhaps CSV)"
    if kind is None:
        return f"is not an Excel workbook, or is badly damaged; {RESAVE}"
    return f"is {kind}, not an Excel workbook; {RESAVE}"


def _looks_like_text(sample: bytes) -> bool:
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = sample.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\t\r\n" for c in text)


def _check_archive(archive: zipfile.ZipFile, source: str) -> None:
    """Refuse zips that are not workbooks, or that would cost far more than any real paper."""
    parts = archive.infolist()
    names = {info.filename for info in parts}
    others = (
        ("xl/workbook.bin", "an Excel Binary Workbook (.xlsb)"),
        ("word/document.xml", "a Word document"),
        ("ppt/presentation.xml", "a PowerPoint presentation"),
        ("content.xml", "an OpenDocument file (.ods)"),
    )
    for name, kind in others:
        if name in names:
            raise invalid(source, f"is {kind}, not an Excel workbook; {RESAVE}")
    if "[Content_Types].xml" not in names:
        raise invalid(source, f"is a zip archive, not an Excel workbook; {RESAVE}")
    if len(parts) > MAX_PARTS:
        raise invalid(
            source,
            f"has {len(parts):,} parts where a workbook has a few dozen, so it is refused (the"
            f" limit is {MAX_PARTS:,}); {FRESH_COPY}",
        )
    if len(names) < len(parts):
        twice = Counter(info.filename for info in parts).most_common(1)[0][0]
        raise invalid(source, f"is damaged: it holds part {twice} twice; {RESAVE}, or {FRESH_COPY}")
    total = sum(info.file_size for info in parts)
    if total > MAX_BYTES:
        raise invalid(
            source,
            f"would expand to {_megabytes(total)} when opened, far beyond any paper's workbook,"
            f" so it is refused (the limit is {_megabytes(MAX_BYTES)}); it may be damaged or made"
            f" to exhaust memory: {FRESH_COPY}",
        )
    # openpyxl parses most parts whole, into many objects each: a 30 MB styles part costs it
    # seconds and most of a gigabyte. Only pictures, which it never reads, may be larger.
    pictures = _pictures(archive, parts, source)
    for info in parts:
        if info.file_size > MAX_PART_BYTES and info.filename not in pictures:
            raise invalid(
                source,
                f"part {info.filename} would be {_megabytes(info.file_size)} when opened, far"
                " beyond any part of a paper's workbook, so it is refused (the limit is"
                f" {_megabytes(MAX_PART_BYTES)} a part); it may be damaged or made to exhaust"
                f" memory: {FRESH_COPY}",
            )
    for info in parts:
        if info.file_size > RATIO_GRACE and info.file_size > MAX_RATIO * info.compress_size:
            ratio = info.file_size // max(info.compress_size, 1)
            raise invalid(
                source,
                f"part {info.filename} would expand {ratio:,} times over when opened, as no"
                f" real workbook does, so it is refused (the limit is {MAX_RATIO} times); it may"
                f" be made to exhaust memory: {FRESH_COPY}",
            )
    for info in parts:
        _check_part(archive, info, source)


def _pictures(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], source: str) -> set[str]:
    """Names of the parts that are pictures by their declared content type."""
    from defusedxml.ElementTree import fromstring

    types = archive.getinfo("[Content_Types].xml")
    if types.file_size > MAX_PART_BYTES:
        return set()  # refused as oversized by the caller
    _check_part(archive, types, source)
    try:
        root = fromstring(archive.read(types))
    except Exception as exc:  # ParseError, or defusedxml's refusals
        raise invalid(
            source,
            f"is damaged: part {types.filename} cannot be read ({detail(exc)}); {RESAVE}",
        ) from exc
    defaults, overrides = {}, {}
    for element in root:
        if local_name(element.tag) == "Default":
            defaults[element.get("Extension", "").casefold()] = element.get("ContentType", "")
        elif local_name(element.tag) == "Override":
            overrides[element.get("PartName", "").lstrip("/")] = element.get("ContentType", "")
    pictures = set()
    for info in parts:
        extension = info.filename.rpartition(".")[2].casefold()
        kind = overrides.get(info.filename, defaults.get(extension, ""))
        # openpyxl finds some parts by fixed names, all .xml or .rels, whatever their type says.
        if kind.startswith("image/") and extension not in ("xml", "rels"):
            pictures.add(info.filename)
    return pictures


def _check_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> None:
    """Decompress a part in full, so damage is found here, by name, not deep in openpyxl."""
    doctype = False
    try:
        with archive.open(info) as part:
            tail = b""
            while not doctype and (chunk := part.read(1 << 20)):
                doctype = any(mark in tail + chunk for mark in _DOCTYPE)
                tail = chunk[-32:]
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, RuntimeError (encrypted), ...
        raise invalid(
            source,
            f"is damaged: part {info.filename} cannot be unpacked ({detail(exc)}); copy it"
            " again, or open it in Excel, which may repair it, and save it",
        ) from exc
    # Excel never writes a DTD (the OOXML package format forbids them), and XML entity attacks
    # (billion laughs, external entities) need one. Text in a cell cannot look like one: its
    # "<" is always written as "&lt;".
    if doctype:
        raise invalid(
            source,
            f"is refused: part {info.filename} holds an XML document type declaration, which"
            " Excel never writes and which can be used to attack the computer reading it;"
            f" {FRESH_COPY}",
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def detail(exc: BaseException) -> str:
    """The exception, briefly, for a bug report: the message alone would not help a manager."""
    kind = type(exc).__name__
    if kind == "error":  # zlib.error
        kind = f"{type(exc).__module__}.error"
    text = " ".join(str(exc).split())
    text = text if len(text) <= 160 else text[:159] + "…"
    return f"{kind}: {text}" if text else kind
