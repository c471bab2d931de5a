"""Write a corpus of broken and hostile workbooks, each made from the bundled example.

Usage: python tests/corpus/make_corpus.py [FOLDER]   (default: a new temporary folder)

Every case starts from inputs/procurement.xlsx, changed with openpyxl or at the byte level, so
the corpus stays in step with the workbook format. tests/test_corpus.py says what boardpack must
report for each; the valid-but-unusual workbooks (macros, a title row) are made by the functions
at the end and used by tests/test_hostile.py.
"""

from __future__ import annotations

import io
import re
import struct
import sys
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable
from math import ceil
from pathlib import Path
from typing import Any

import openpyxl

from boardpack.guard import MAX_BYTES, MAX_PART_BYTES, RATIO_GRACE
from boardpack.workbook.read import MAX_ROWS

EXAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "procurement.xlsx"
RISKS_PART = "xl/worksheets/sheet6.xml"  # the example's sheets are parts sheet1 (Help) to 7
PAPER_PART = "xl/worksheets/sheet2.xml"

Change = bytes | None | Callable[[bytes], bytes]  # new contents, None to drop the part, or edit


def example() -> bytes:
    return EXAMPLE.read_bytes()


def edited(edit: Callable[[Any], None]) -> bytes:
    """The example after `edit(workbook)`, saved by openpyxl (which drops formula values)."""
    book = openpyxl.load_workbook(io.BytesIO(example()))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezipped(
    data: bytes, changes: dict[str, Change], added: dict[str, bytes] | None = None
) -> bytes:
    """The workbook `data` with parts replaced, edited, dropped or added, zipped again."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            contents = source.read(info)
            change = changes.get(info.filename, contents)
            if change is None:
                continue
            target.writestr(info.filename, change(contents) if callable(change) else change)
        for name, contents in (added or {}).items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a duplicate name is the point of one case
                target.writestr(name, contents)
    return out.getvalue()


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file holding `streams` at its root, as an .xls or an encrypted
    .xlsx does. Streams are padded to 4096 bytes so none needs the mini stream."""
    sector, free, end, fat_mark, none = 512, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    # Siblings must be ordered by name length, then by name in capitals.
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    bodies = [streams[n].ljust(4096, b"\0") for n in names]
    dir_sectors = ceil((1 + len(names)) / 4)
    data_sectors = [ceil(len(b) / sector) for b in bodies]
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + sum(data_sectors):
        fat_sectors += 1
    fat = [fat_mark] * fat_sectors
    chains = []
    for length in [dir_sectors, *data_sectors]:
        first = len(fat)
        fat.extend(range(first + 1, first + length))
        fat.append(end)
        chains.append(first)
    fat.extend([free] * (fat_sectors * 128 - len(fat)))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded),
            kind,
            1,  # black
            none,
            right,
            child,
            b"",
            0,
            0,
            0,
            start,
            size,
        )

    directory = entry("Root Entry", 5, 1 if names else none, none, end, 0)
    for index, (name, body) in enumerate(zip(names, bodies, strict=True), start=1):
        right = index + 1 if index < len(names) else none
        directory += entry(name, 2, none, right, chains[index], len(body))
    directory = directory.ljust(dir_sectors * sector, b"\0")  # unused entries are all zero

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"",
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"",
        0,
        fat_sectors,
        chains[0],
        0,
        4096,
        end,
        0,
        end,
        0,
    )
    difat = list(range(fat_sectors)) + [free] * (109 - fat_sectors)
    header += struct.pack("<109I", *difat)
    body = b"".join(b.ljust(ceil(len(b) / sector) * sector, b"\0") for b in bodies)
    return header + struct.pack(f"<{len(fat)}I", *fat) + directory + body


def png() -> bytes:
    """A real 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def risks_as_csv() -> bytes:
    """The example's Risks sheet as a CSV export, the usual text file renamed .xlsx."""
    book = openpyxl.load_workbook(io.BytesIO(example()), read_only=True)
    rows = [",".join("" if v is None else str(v) for v in row) for row in book["Risks"].values]
    book.close()
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")


def huge_sheet(data: bytes, size: int, name: str = RISKS_PART) -> bytes:
    """The example with a sheet padded to `size` bytes of spaces: a decompression bomb, written
    in streamed chunks so making it costs little memory."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        original = source.read(name)
    head, tail = original.split(b"<sheetData>", 1)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info))
                continue
            with target.open(info.filename, "w") as part:
                part.write(head + b"<sheetData>")
                padding = size - len(original)
                block = b" " * (1 << 20)
                while padding > 0:
                    part.write(block[:padding])
                    padding -= len(block)
                part.write(tail)
    return out.getvalue()


def bloated_styles(data: bytes, size: int) -> bytes:
    """The example with `size` bytes of distinct cell formats, as copying between workbooks
    can pile up: a part openpyxl would spend seconds and hundreds of megabytes on."""

    def bloat(xml: bytes) -> bytes:
        formats, count = [], 0
        while count < size:
            entry = f'<xf numFmtId="{len(formats) % 164}" fontId="0" fillId="0" borderId="0"/>'
            formats.append(entry)
            count += len(entry)
        return xml.replace(b"</cellXfs>", "".join(formats).encode() + b"</cellXfs>", 1)

    return rezipped(data, {"xl/styles.xml": bloat})


def patched(part: str, pattern: str, replacement: str) -> Callable[[bytes], bytes]:
    """An edit of a part's XML, which fails loudly if the example no longer matches."""

    def change(xml: bytes) -> bytes:
        text, count = re.subn(pattern, replacement, xml.decode("utf-8"), count=1)
        if count != 1:
            raise AssertionError(f"{part}: {pattern!r} not found; update make_corpus.py")
        return text.encode("utf-8")

    return change


def with_risks_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with the size its Risks sheet states changed, not the sheet itself."""
    change = patched(RISKS_PART, r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>')
    return rezipped(data, {RISKS_PART: change})


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE worksheet [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
)


def _lock_file() -> bytes:
    # Excel's owner file, ~$NAME.xlsx: the user's name twice, padded to 165 bytes.
    name = "Jim Burness"
    return (bytes([len(name)]) + name.encode()).ljust(55, b" ") + name.encode("utf-16-le").ljust(
        110, b"\0"
    )


def _unsaved_formula(book: Any) -> None:
    risks = book["Risks"]
    risks["B3"] = "=1+1"
    for row in range(2, 6):
        risks[f"D{row}"] = f"=B{row}*C{row}"  # LxI formulas are fine: worked out when blank


def _merged(book: Any) -> None:
    # C6 has its own paragraph in the example; merging C5:C6 hides it behind C5's text.
    book["Sections"].merge_cells("C5:C6")


def _not_a_date(book: Any) -> None:
    book["Paper"]["B6"] = 10_000_000_000
    book["Paper"]["B6"].number_format = "dd/mm/yyyy"


def _many_rows(book: Any) -> None:
    for row in range(6, MAX_ROWS + 2):
        book["Risks"][f"A{row}"] = "x"


def _many_faults(book: Any) -> None:
    _unsaved_formula(book)
    _merged(book)
    book["Paper"]["B8"] = "Purple"
    book["Plan"]["C3"] = "Elsewhere"
    book["Sections"]["C4"] = "x" * 4001


def _renamed_sheet(book: Any) -> None:
    book["Risks"].title = "Risk register"


def _wide(book: Any) -> None:
    book["Risks"]["BZ3"] = "note"


def word_document() -> bytes:
    return rezipped(
        example(),
        {name: None for name in zipfile.ZipFile(io.BytesIO(example())).namelist()},
        {
            "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/content-types"/>',
            "word/document.xml": b"<w:document/>",
        },
    )


def _formula_error(data: bytes) -> bytes:
    # A formula whose saved value is an error; only Excel writes these, so patch the XML.
    return rezipped(
        data,
        {
            RISKS_PART: patched(
                RISKS_PART,
                r'<c r="A3"[^>]*>.*?</c>',
                '<c r="A3" s="3" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
            )
        },
    )


def _corrupt(data: bytes) -> bytes:
    # Damage the middle of the Risks sheet's compressed bytes, leaving the zip's directory intact.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(RISKS_PART)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    damaged = bytearray(data)
    damaged[middle : middle + 16] = b"\xff" * 16
    return bytes(damaged)


def _encrypted_workbook() -> bytes:
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<encryption xmlns='
        b'"http://schemas.microsoft.com/office/2006/encryption"/>'
    )
    package = struct.pack("<Q", len(example())) + bytes(b ^ 0x5A for b in example())
    return compound_file({"EncryptionInfo": info, "EncryptedPackage": package})


def _old_excel() -> bytes:
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    return compound_file({"Workbook": bof + b"\x0a\x00\x00\x00", "\x05SummaryInformation": b""})


def _web_export() -> bytes:
    return (
        b"<html><head><meta charset='utf-8'></head><body><table>"
        b"<tr><td>Event</td><td>Likelihood</td></tr></table></body></html>"
    )


# File name -> how to make it. Each is a fault boardpack must report; see tests/test_corpus.py.
CASES: dict[str, Callable[[], bytes]] = {
    "empty.xlsx": lambda: b"",
    "text-renamed.xlsx": risks_as_csv,
    "image-renamed.xlsx": png,
    "web-export.xls": _web_export,
    "word-renamed.xlsx": word_document,
    "truncated.xlsx": lambda: example()[: len(example()) // 2],
    "corrupt.xlsx": lambda: _corrupt(example()),
    "old-excel.xls": _old_excel,
    "old-excel-renamed.xlsx": _old_excel,
    "password.xlsx": _encrypted_workbook,
    "bomb-size.xlsx": lambda: huge_sheet(example(), MAX_BYTES + 10 * 1024 * 1024),
    "bomb-part.xlsx": lambda: bloated_styles(example(), MAX_PART_BYTES + 1024 * 1024),
    "bomb-ratio.xlsx": lambda: huge_sheet(example(), 2 * RATIO_GRACE),
    "billion-laughs.xlsx": lambda: rezipped(
        example(),
        {
            RISKS_PART: lambda xml: (
                BILLION_LAUGHS.encode() + xml.replace(b"<t>Event</t>", b"<t>&lol9;</t>")
            )
        },
    ),
    "external-entity.xlsx": lambda: rezipped(
        example(),
        {
            PAPER_PART: lambda xml: (
                EXTERNAL_ENTITY.encode() + xml.replace(b"<t>Procurement</t>", b"<t>&secret;</t>", 1)
            )
        },
    ),
    "duplicate-part.xlsx": lambda: rezipped(
        example(), {}, {RISKS_PART: b"<worksheet><sheetData/></worksheet>"}
    ),
    "malformed-xml.xlsx": lambda: rezipped(example(), {RISKS_PART: lambda xml: xml[:1500]}),
    "missing-part.xlsx": lambda: rezipped(example(), {RISKS_PART: None}),
    "too-many-rows.xlsx": lambda: with_risks_dimension(example(), "A1:F1048576"),
    "false-dimension.xlsx": lambda: with_risks_dimension(edited(_many_rows), "A1:F5"),
    "wide-sheet.xlsx": lambda: edited(_wide),
    "renamed-sheet.xlsx": lambda: edited(_renamed_sheet),
    "merged-cells.xlsx": lambda: edited(_merged),
    "unsaved-formula.xlsx": lambda: edited(_unsaved_formula),
    "formula-error.xlsx": lambda: _formula_error(example()),
    "not-a-date.xlsx": lambda: edited(_not_a_date),
    "many-faults.xlsx": lambda: edited(_many_faults),
    "~$procurement.xlsx": _lock_file,
}


def write_corpus(folder: Path) -> list[Path]:
    """Write every case into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in CASES.items():
        path = folder / name
        path.write_bytes(make())
        written.append(path)
    return written


# Valid but unusual workbooks: boardpack must read them as any other.


def macro_workbook() -> bytes:
    """The example as an .xlsm with a VBA project whose macro would run on opening in Excel."""
    vba = compound_file(
        {
            "PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\nDocument=ThisWorkbook\r\n',
            "ThisWorkbook": b'Sub Workbook_Open()\r\n    Shell "calc.exe"\r\nEnd Sub\r\n',
        }
    )
    macro_type = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    return rezipped(
        example(),
        {
            "[Content_Types].xml": lambda xml: xml.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                macro_type.encode(),
            ).replace(
                b'<Default Extension="xml"',
                b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                b'<Default Extension="xml"',
            ),
            "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(
                b"</Relationships>",
                b'<Relationship Type="http://schemas.microsoft.com/office/2006/relationships/'
                b'vbaProject" Target="vbaProject.bin" Id="rIdVba"/></Relationships>',
            ),
        },
        {"xl/vbaProject.bin": vba},
    )


def titled_workbook() -> bytes:
    """The example with a merged title row above the Risks header, and a Notes sheet."""

    def edit(book: Any) -> None:
        risks = book["Risks"]
        risks.insert_rows(1)
        risks["A1"] = "Risk register, January 2008"
        risks.merge_cells("A1:F1")
        book.create_sheet("Notes")["A1"] = "Not part of the paper"

    return edited(edit)


def lxi_formulas_workbook() -> bytes:
    """The example with LxI as formulas, as openpyxl writes them: no values saved."""

    def edit(book: Any) -> None:
        for row in range(2, 6):
            book["Risks"][f"D{row}"] = f"=B{row}*C{row}"

    return edited(edit)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="corpus-"))
    for path in write_corpus(target):
        print(path)
