"""A long register is printed as tables of at most 100 risks, each under the header rows, so
LibreOffice converts it in time that grows with the register (bench/bench_scale.py); the paper
reads the same, risk by risk, in the same order."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import openpyxl
import pytest

from boardpack.outputs import render
from boardpack.outputs.render import render_paper
from boardpack.outputs.word.long_tables import ROWS_PER_TABLE
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE
from tests.docx_audit import audit


def register_of(path: Path, risks: int) -> Path:
    """The example with `risks` risks, each worded differently, at every level."""
    book = openpyxl.load_workbook(EXAMPLE)
    sheet = book["Risks"]
    sheet.delete_rows(2, sheet.max_row)
    for number in range(1, risks + 1):
        likelihood, impact = number % 4 + 1, (number // 4) % 4 + 1
        sheet.append(
            [
                f"Risk {number}: the supplier may miss lot {number}",
                likelihood,
                impact,
                likelihood * impact,
                f"Recovery plan for lot {number}",
                "Programme Manager",
            ]
        )
    book.save(path)
    return path


def rows_of(data: bytes) -> list[list[list[str]]]:
    """Each table of a .docx as its rows of cell texts."""
    document = docx.Document(io.BytesIO(data))
    return [[[c.text for c in row.cells] for row in table.rows] for table in document.tables]


def test_a_register_of_250_risks_is_three_tables_each_under_the_header_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paper = load_paper(register_of(tmp_path / "long.xlsx", 250)).paper
    split = render_paper(paper)
    monkeypatch.setattr(render, "split_long_tables", lambda body: 0)
    (whole,) = [t for t in rows_of(render_paper(paper)) if len(t) > 100]

    header = whole[:2]  # the headings, and the descriptors under them
    assert header[0][0] == "Event" and header[1][0] == "Which may or may not occur"
    tables = [t for t in rows_of(split) if t and t[0] == header[0]]
    assert [len(t) - len(header) for t in tables] == [ROWS_PER_TABLE, ROWS_PER_TABLE, 50]
    assert all(t[: len(header)] == header for t in tables)
    # Risk by risk, in the same order as one table would print them.
    assert [row for t in tables for row in t[len(header) :]] == whole[len(header) :]

    path = tmp_path / "long.docx"
    path.write_bytes(split)
    result = audit(path)
    assert result.clean, str(result)


def test_a_register_of_100_risks_is_left_one_table(tmp_path: Path) -> None:
    paper = load_paper(register_of(tmp_path / "short.xlsx", ROWS_PER_TABLE)).paper
    tables = [t for t in rows_of(render_paper(paper)) if t and t[0][0] == "Event"]
    assert [len(t) for t in tables] == [ROWS_PER_TABLE + 2]
