"""Cell text is data: whatever a manager types comes out of the paper exactly as typed."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boardpack.outputs.render import render_paper
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE

# What Excel can hold in a cell and XML can carry: no surrogates, no C0 controls except tab
# and line feed. A leading "=" makes a formula in Excel too, so it is not text.
CELL_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters=[chr(c) for c in range(32) if chr(c) not in "\t\n"]
        + ["\x7f", "\ufffe", "\uffff"],
    ),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() and not text.startswith("="))

HOSTILE = [
    "R&D <b>bold</b> & co",
    "{{ project }} {% if x %}x{% endif %} {%p for %} {_{ }_} {_% %_}",
    "He said \"yes\" and 'no'",
    "Tab\there, line\nbreak",
    "Caerdydd: ŵ ŷ â, Llanfair­pwll, 🙂👍🏽, 中文, العربية",
    "  leading and trailing spaces  ",
]

# Text fields and where they are in the example workbook: (cell, which sheet/column)
FIELDS = {
    "project": "Paper!B2",
    "sponsor": "Paper!B3",
    "manager": "Paper!B4",
    "board": "Paper!B5",
    "paragraph": "Sections!C3",
    "bullet": "Sections!C5",
    "milestone": "Plan!A2",
    "event": "Risks!A2",
    "action": "Risks!E3",
    "owner": "Risks!F3",
    "budget line": "Budget!A2",
}


def rendered_texts(values: dict[str, str], folder: Path) -> tuple[list[str], bytes]:
    book = openpyxl.load_workbook(EXAMPLE)
    for name, ref in FIELDS.items():
        sheet, cell = ref.split("!")
        book[sheet][cell] = values[name]
    book["Budget"]["B2"] = 1000
    path = folder / "paper.xlsx"
    book.save(path)
    data = render_paper(load_paper(path).paper)
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    texts += [p.text for p in document.sections[0].header.paragraphs]
    return texts, data


def assert_verbatim(values: dict[str, str], texts: list[str]) -> None:
    for name, value in values.items():
        if name == "action":
            assert f"{value}\nOwner: {values['owner']}" in texts, name
        elif name == "owner":
            continue
        elif name == "project":
            assert f"Name of Project\t{value}" in texts
            assert f"{value}: Highlight Report" in texts
        elif name in ("sponsor", "manager"):
            assert any(t.endswith(f"\t{value}") for t in texts), name
        elif name == "board":
            assert any(t.startswith(f"{value}, ") for t in texts), name
        else:
            assert value in texts, name


def test_hostile_text_comes_out_exactly_as_typed(tmp_path: Path) -> None:
    for value in HOSTILE:
        values = dict.fromkeys(FIELDS, value)
        texts, data = rendered_texts(values, tmp_path)
        assert_verbatim(values, texts)
        # and it is still a document LibreOffice and Word can open: well-formed XML throughout
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            assert package.testzip() is None


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.fixed_dictionaries({name: CELL_TEXT for name in FIELDS}))
def test_any_text_in_every_field_comes_out_verbatim(tmp_path: Path, values: dict[str, str]) -> None:
    texts, _ = rendered_texts(values, tmp_path)
    assert_verbatim(values, texts)


def with_shared_string(source: Path, target: Path, cell: str, text: str) -> None:
    """Copy a workbook, making one cell of the Sections sheet a shared string as Excel saves it.

    Excel stores a control character as _x0007_ in its shared strings; openpyxl will not write
    one, so the workbook is edited as Excel would have saved it."""
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1"'
        f' uniqueCount="1"><si><t>{text}</t></si></sst>'
    ).encode()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet3.xml":
                data = re.sub(
                    rf'<c r="{cell}"([^>]*) t="inlineStr"><is><t>[^<]*</t></is></c>'.encode(),
                    rf'<c r="{cell}"\1 t="s"><v>0</v></c>'.encode(),
                    data,
                )
            elif item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    b"</Relationships>",
                )
            new.writestr(item, data)
        new.writestr("xl/sharedStrings.xml", shared)


def test_control_characters_are_dropped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "bell.xlsx"
    with_shared_string(EXAMPLE, path, "C13", "No_x0007_ne_x001B_")
    checked = load_paper(path)
    assert [str(w) for w in checked.warnings] == [
        "Sections!C13: removed 2 control characters that Word cannot show; check the text"
        " reads as intended"
    ]
    texts = [p.text for p in docx.Document(io.BytesIO(render_paper(checked.paper))).paragraphs]
    assert "None" in texts
    assert not any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", t) for t in texts)
