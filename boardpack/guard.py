"""Before openpyxl or python-docx: is this file a safe, undamaged Office file of its kind?

Workbooks and Word templates come by email from anyone. These checks run on the file's bytes and
its zip directory, before openpyxl or python-docx decompresses or parses anything, so that a file
of another kind, a damaged one, a decompression bomb or hostile XML is refused quickly with a
message saying what the manager should do. A `Kind` says which kind of file is expected and how
to speak of it; workbooks are the default.
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Kind:
    """A kind of Office file boardpack reads, and the words its user knows it by."""

    noun: str  # "workbook"
    a_noun: str  # "a workbook": what a folder or a pipe is not
    typical: str  # "paper's workbook": what a file far too large is far beyond
    slimmer: str  # how to make a real file of this kind smaller
    app: str  # the program that writes it
    expected: str  # "an Excel workbook": what a file of another kind is not
    resave: str  # how to save it again properly
    fresh_copy: str  # what to ask its sender for
    old_format: str  # the compound-file format it replaced
    encryption: str  # the menu path that sets or clears its password
    xml_2003: tuple[bytes, str]  # the marker and name of its 2003 flat-XML format
    others: tuple[tuple[str, str], ...]  # parts that name other kinds of zip
    refuse: Callable[[str, str, str | None], BoardpackError]  # (source, message, where)


def _invalid_workbook(source: str, message: str, where: str | None) -> BoardpackError:
    return invalid(source, message, where)


WORKBOOK = Kind(
    noun="workbook",
    a_noun="a workbook",
    typical="paper's workbook",
    slimmer="remove pictures and unused sheets",
    app="Excel",
    expected="an Excel workbook",
    resave=RESAVE,
    fresh_copy=FRESH_COPY,
    old_format="an old Excel 97-2003 workbook (.xls)",
    encryption="Protect Workbook",
    xml_2003=(b"urn:schemas-microsoft-com:office:spreadsheet", "an Excel 2003 XML spreadsheet"),
    others=(
        ("xl/workbook.bin", "an Excel Binary Workbook (.xlsb)"),
        ("word/document.xml", "a Word document"),
        ("ppt/presentation.xml", "a PowerPoint presentation"),
        ("content.xml", "an OpenDocument file (.ods)"),
    ),
    refuse=_invalid_workbook,
)


def checked_bytes(path: Path, source: str, kind: Kind = WORKBOOK) -> bytes:
    """The file's bytes, once it is known to be a zip that is not some other kind of file."""
    if kind is WORKBOOK:
        require_safe_xml()
    data = _file_bytes(path, source, kind)
    _refuse_other_kinds(data, source, kind)
    return data


def open_archive(data: bytes, source: str, kind: Kind = WORKBOOK) -> zipfile.ZipFile:
    """The file's zip, once its directory and every part are known to be sound."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # zipfile raises many kinds for a damaged directory
        raise kind.refuse(source, _not_a_zip(data, source, kind), None) from exc
    try:
        _check_archive(archive, source, kind)
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


def _file_bytes(path: Path, source: str, kind: Kind) -> bytes:
    """The whole file, read once: every later check and the reader itself work on these bytes."""
    try:
        with open_regular(path) as (handle, status):
            size = status.st_size
            if size > MAX_BYTES:
                raise kind.refuse(
                    source,
                    f"is {_megabytes(size)}; a {kind.typical} is far smaller, so it is refused"
                    f" (the limit is {_megabytes(MAX_BYTES)}). Check it is the right file, or"
                    f" {kind.slimmer}",
                    None,
                )
            data = handle.read(size + 1)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise kind.refuse(source, "file not found; check the path", str(path)) from exc
    except IsADirectoryError as exc:
        raise kind.refuse(source, f"is a folder, not {kind.a_noun}", str(path)) from exc
    except NotRegularFile as exc:
        # Refused unopened: reading a pipe would wait for ever, a device would never end.
        raise kind.refuse(
            source, f"is not a file but a device or pipe; give the path of {kind.a_noun}", None
        ) from exc
    except OSError as exc:
        raise kind.refuse(
            source,
            f"cannot be read ({exc.strerror}); close it if another program has it open, check"
            " you may read it, and run again",
            None,
        ) from exc
    if not data:
        raise kind.refuse(
            source, f"is empty (0 bytes); save the {kind.noun} again from {kind.app}", None
        )
    if len(data) > size:
        raise kind.refuse(
            source, "changed while being read; wait until it is saved and run again", None
        )
    return data


def _refuse_other_kinds(data: bytes, source: str, kind: Kind) -> None:
    if data.startswith(_OLE2):
        if _ENCRYPTED in data:
            raise kind.refuse(
                source,
                "is protected with a password, so it cannot be read; remove the password: in"
                f" {kind.app}, File > Info > {kind.encryption} > Encrypt with Password, clear the"
                " password and save",
                None,
            )
        raise kind.refuse(source, f"is {kind.old_format}; {kind.resave}", None)


def _not_a_zip(data: bytes, source: str, kind: Kind) -> str:
    """Why bytes that are no zip archive are not of the kind expected, naming what they look
    like."""
    if source.startswith("~$"):
        return (
            f"is the lock file {kind.app} keeps while '{source[2:]}' is open, not"
            f" {kind.a_noun}; check '{source[2:]}' itself"
        )
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return (
            "is damaged: it is incomplete or corrupt, perhaps a copy or download that did not"
            f" finish; copy it again, or open it in {kind.app}, which may repair it, and save it"
        )
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    kinds = (
        (b"\x89png", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"gif8", "a GIF image"),
        (b"%pdf", "a PDF document"),
        (b"{\\rtf", "an RTF document"),
    )
    found = next((name for magic, name in kinds if head.startswith(magic)), None)
    marker, flat_xml = kind.xml_2003
    if found is None and marker in head:
        found = flat_xml
    elif found is None and (b"<html" in head or b"<!doctype html" in head):
        found = "a web page (HTML)"
    elif found is None and _looks_like_text(data[:4096]):
        found = "a text file (perhaps CSV)"
    if found is None:
        return f"is not {kind.expected}, or is badly damaged; {kind.resave}"
    return f"is {found}, not {kind.expected}; {kind.resave}"


def _looks_like_text(sample: bytes) -> bool:
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = sample.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\t\r\n" for c in text)


def _check_archive(archive: zipfile.ZipFile, source: str, kind: Kind) -> None:
    """Refuse zips that are not of the kind expected, or that would cost far more than any real
    file of that kind."""
    parts = archive.infolist()
    names = {info.filename for info in parts}
    for name, other in kind.others:
        if name in names:
            raise kind.refuse(source, f"is {other}, not {kind.expected}; {kind.resave}", None)
    if "[Content_Types].xml" not in names:
        raise kind.refuse(source, f"is a zip archive, not {kind.expected}; {kind.resave}", None)
    if len(parts) > MAX_PARTS:
        raise kind.refuse(
            source,
            f"has {len(parts):,} parts where {kind.a_noun} has a few dozen, so it is refused"
            f" (the limit is {MAX_PARTS:,}); {kind.fresh_copy}",
            None,
        )
    if len(names) < len(parts):
        twice = Counter(info.filename for info in parts).most_common(1)[0][0]
        raise kind.refuse(
            source,
            f"is damaged: it holds part {twice} twice; {kind.resave}, or {kind.fresh_copy}",
            None,
        )
    total = sum(info.file_size for info in parts)
    if total > MAX_BYTES:
        raise kind.refuse(
            source,
            f"would expand to {_megabytes(total)} when opened, far beyond any {kind.typical},"
            f" so it is refused (the limit is {_megabytes(MAX_BYTES)}); it may be damaged or made"
            f" to exhaust memory: {kind.fresh_copy}",
            None,
        )
    # openpyxl and python-docx parse most parts whole, into many objects each: a 30 MB styles
    # part costs seconds and most of a gigabyte. Only pictures, never parsed, may be larger.
    pictures = _pictures(archive, parts, source, kind)
    for info in parts:
        if info.file_size > MAX_PART_BYTES and info.filename not in pictures:
            raise kind.refuse(
                source,
                f"part {info.filename} would be {_megabytes(info.file_size)} when opened, far"
                f" beyond any part of a {kind.typical}, so it is refused (the limit is"
                f" {_megabytes(MAX_PART_BYTES)} a part); it may be damaged or made to exhaust"
                f" memory: {kind.fresh_copy}",
                None,
            )
    for info in parts:
        if info.file_size > RATIO_GRACE and info.file_size > MAX_RATIO * info.compress_size:
            ratio = info.file_size // max(info.compress_size, 1)
            raise kind.refuse(
                source,
                f"part {info.filename} would expand {ratio:,} times over when opened, as no"
                f" real {kind.noun} does, so it is refused (the limit is {MAX_RATIO} times); it"
                f" may be made to exhaust memory: {kind.fresh_copy}",
                None,
            )
    for info in parts:
        _check_part(archive, info, source, kind)


def _pictures(
    archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], source: str, kind: Kind
) -> set[str]:
    """Names of the parts that are pictures by their declared content type."""
    from defusedxml.ElementTree import fromstring

    types = archive.getinfo("[Content_Types].xml")
    if types.file_size > MAX_PART_BYTES:
        return set()  # refused as oversized by the caller
    _check_part(archive, types, source, kind)
    try:
        root = fromstring(archive.read(types))
    except Exception as exc:  # ParseError, or defusedxml's refusals
        raise kind.refuse(
            source,
            f"is damaged: part {types.filename} cannot be read ({detail(exc)}); {kind.resave}",
            None,
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
        content = overrides.get(info.filename, defaults.get(extension, ""))
        # openpyxl finds some parts by fixed names, all .xml or .rels, whatever their type says.
        if content.startswith("image/") and extension not in ("xml", "rels"):
            pictures.add(info.filename)
    return pictures


def _check_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, kind: Kind) -> None:
    """Decompress a part in full, so damage is found here, by name, not deep in the reader."""
    doctype = False
    try:
        with archive.open(info) as part:
            tail = b""
            while not doctype and (chunk := part.read(1 << 20)):
                doctype = any(mark in tail + chunk for mark in _DOCTYPE)
                tail = chunk[-32:]
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, RuntimeError (encrypted), ...
        raise kind.refuse(
            source,
            f"is damaged: part {info.filename} cannot be unpacked ({detail(exc)}); copy it"
            f" again, or open it in {kind.app}, which may repair it, and save it",
            None,
        ) from exc
    # Office never writes a DTD (the OOXML package format forbids them), and XML entity attacks
    # (billion laughs, external entities) need one. Text in a cell or a paragraph cannot look
    # like one: its "<" is always written as "&lt;".
    if doctype:
        raise kind.refuse(
            source,
            f"is refused: part {info.filename} holds an XML document type declaration, which"
            f" {kind.app} never writes and which can be used to attack the computer reading"
            f" it; {kind.fresh_copy}",
            None,
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
