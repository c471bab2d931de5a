"""The annotated copy (`check --annotate`, and `build` when a workbook fails), opened as Excel
opens it: a first sheet listing the problems in the workbook's order, each linked to its cell,
and each cell marked with a note saying what is wrong. The workbook itself is never touched."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName

from boardpack.cli import main
from boardpack.errors import InvalidWorkbook, OutputError, Problem
from boardpack.workbook.annotate import annotate_workbook
from boardpack.workbook.places import Place, in_sheet_order, place_of
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE, ROOT, EditWorkbook, edit_workbook
from tests.corpus import make_corpus
from tests.docx_audit import audit

RED = "00FFC7CE"
YELLOW = "00FFEB9C"


def faulty(example_copy: EditWorkbook) -> Path:
    """The example with three problems on three sheets, out of order, and a warning: a column
    the profile does not have."""
    return example_copy({"Risks!B2": 7, "Plan!F4": None, "Paper!B8": "Purple", "Risks!G1": "Notes"})


def listed(copy: Path) -> list[list[Any]]:
    """The Problems sheet's rows below its header: sheet, cell, kind, message."""
    sheet = openpyxl.load_workbook(copy).worksheets[0]
    return [list(row) for row in sheet.iter_rows(min_row=5, values_only=True)]


def links(copy: Path) -> dict[str, str]:
    """The Problems sheet's links, by the text of the cell that holds each."""
    sheet = openpyxl.load_workbook(copy).worksheets[0]
    return {
        str(cell.value): cell.hyperlink.location
        for row in sheet.iter_rows(min_row=5)
        for cell in row
        if cell.hyperlink is not None
    }


def problems_and_warnings(path: Path) -> tuple[list[Problem], tuple[Problem, ...]]:
    with pytest.raises(InvalidWorkbook) as caught:
        load_paper(path)
    return caught.value.problems, caught.value.warnings


def test_check_annotate_writes_a_copy_with_each_problem_on_its_cell(
    example_copy: EditWorkbook,
) -> None:
    path = faulty(example_copy)
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["check", "--annotate", str(path)])
    assert result.exit_code == 1
    copy = path.with_name("procurement (problems).xlsx")
    assert f"procurement.xlsx: wrote {copy}: open it in Excel" in result.output
    assert path.read_bytes() == before  # the workbook itself is never touched

    book = openpyxl.load_workbook(copy)
    assert book.sheetnames == ["Problems", "Help", "Paper", "Sections", "Plan", "Budget", "Risks"]
    assert book.active.title == "Problems"
    assert (
        book["Problems"]["A1"].value
        == "procurement.xlsx: 3 problems and 1 warning found by boardpack"
    )
    assert (
        "Correct them in procurement.xlsx itself, not in this copy" in book["Problems"]["A2"].value
    )
    assert [c.value for c in book["Problems"][4]] == [
        "Sheet",
        "Cell",
        "Kind",
        "What is wrong, and what to do",
    ]
    # in the workbook's order: by sheet, then row (the header row 1 before row 2), then column
    assert listed(copy) == [
        ["Paper", "B8", "Error", "overall status must be one of: Green, Amber, Red (got 'Purple')"],
        [
            "Plan",
            "F4",
            "Error",
            "status is empty; it must be one of: Not started, In progress, Complete, Delayed",
        ],
        [
            "Risks",
            "G1",
            "Warning",
            "column 'Notes' is not a column of this sheet in the profile 'JIB highlight report',"
            " so it is not printed; correct its header to one of: Event, Likelihood, Impact,"
            " LxI, Action, Owner, or delete the column",
        ],
        ["Risks", "B2", "Error", "likelihood must be a whole number from 1 to 4 (got 7)"],
    ]
    assert links(copy) == {
        "B8": "'Paper'!B8",
        "F4": "'Plan'!F4",
        "B2": "'Risks'!B2",
        "G1": "'Risks'!G1",
    }
    status = book["Plan"]["F4"]
    assert status.comment.text == (
        "boardpack found:\nError: status is empty; it must be one of: Not started, In progress,"
        " Complete, Delayed"
    )
    assert status.fill.fgColor.rgb == RED
    assert book["Risks"]["G1"].fill.fgColor.rgb == YELLOW
    assert book["Risks"]["G1"].comment.text.startswith("boardpack found:\nWarning: column")
    # Only the cells named are marked; the workbook's own formatting stays.
    assert book["Plan"]["F3"].comment is None and book["Plan"]["F3"].fill.fgColor.rgb != RED
    assert book["Plan"]["E4"].number_format == "dd/mm/yyyy"
    assert book["Plan"]["E4"].value == dt.datetime(2008, 3, 31)
    assert book["Risks"]["A1"].font.bold
    assert book["Risks"]["B2"].value == 7  # what the workbook shows, to find it by


def test_the_annotated_copy_passes_openxml_audit(example_copy: EditWorkbook) -> None:
    path = faulty(example_copy)
    problems, warnings = problems_and_warnings(path)
    copy = annotate_workbook(path, problems, warnings).path
    result = audit(copy)
    assert result.clean, str(result)


def test_a_missing_sheet_is_listed_without_a_cell(example_copy: EditWorkbook) -> None:
    path = example_copy()
    book = openpyxl.load_workbook(path)
    del book["Risks"]
    book.save(path)
    problems, warnings = problems_and_warnings(path)
    copy = annotate_workbook(path, problems, warnings)
    assert (copy.listed, copy.marked) == (1, 0)
    ((sheet, cell, kind, message),) = listed(copy.path)
    assert (sheet, cell, kind) == ("(the workbook)", None, "Error")
    assert message.startswith("sheet 'Risks' is missing. Expected sheets:")
    assert links(copy.path) == {}
    annotated = openpyxl.load_workbook(copy.path)
    assert not [c for s in annotated.worksheets for r in s.iter_rows() for c in r if c.comment]


def test_whole_rows_and_columns_point_where_to_type(example_copy: EditWorkbook) -> None:
    # A missing header (the row is named) and a missing Paper row (column A is named): the
    # note goes on the row's first cell, and on the first free cell of column A.
    path = example_copy({"Risks!B1": "Chance", "Paper!A5": None, "Paper!B5": None})
    problems, warnings = problems_and_warnings(path)
    assert [p.where for p in problems] == ["Paper!A:A", "Risks!1:1"]
    copy = annotate_workbook(path, problems, warnings).path
    book = openpyxl.load_workbook(copy)
    last = max(c.row for c in book["Paper"]["A"] if c.value is not None)
    below = book["Paper"].cell(last + 1, 1)
    assert "no row labelled 'Board'" in below.comment.text
    assert book["Risks"]["A1"].comment is not None
    assert {c.fill.fgColor.rgb for c in book["Risks"][1]} == {RED}
    assert [row[:2] for row in listed(copy)] == [["Paper", below.coordinate], ["Risks", "A1"]]


def test_a_merged_cells_note_is_on_the_first_of_them(tmp_path: Path) -> None:
    path = tmp_path / "merged-cells.xlsx"
    path.write_bytes(make_corpus.CASES["merged-cells.xlsx"]())
    problems, warnings = problems_and_warnings(path)
    (problem,) = problems
    copy = annotate_workbook(path, problems, warnings).path
    book = openpyxl.load_workbook(copy)
    sheet, cell = problem.where.split("!")
    merged = next(r for r in book[sheet].merged_cells.ranges if cell in r)
    first = book[sheet].cell(merged.min_row, merged.min_col)
    assert first.comment.text.startswith(f"boardpack found:\nError ({cell}): is merged with")
    assert first.fill.fgColor.rgb == RED
    assert links(copy) == {cell: f"'{sheet}'!{cell}"}


def test_the_workbooks_own_notes_are_kept(example_copy: EditWorkbook) -> None:
    path = example_copy({"Risks!B2": 7})
    book = openpyxl.load_workbook(path)
    book["Risks"]["B2"].comment = Comment("Checked with the sponsor", "Jim")
    book.save(path)
    problems, warnings = problems_and_warnings(path)
    copy = annotate_workbook(path, problems, warnings).path
    note = openpyxl.load_workbook(copy)["Risks"]["B2"].comment.text
    assert note.endswith("The workbook's own note:\nChecked with the sponsor")


def test_a_sheet_already_called_problems_and_quotes_in_titles(example_copy: EditWorkbook) -> None:
    path = example_copy({"Risks!B2": 7})
    book = openpyxl.load_workbook(path)
    book.create_sheet("Problems")["A1"] = "the manager's own list"
    book.create_sheet("Jim's notes")["A1"] = "not for the paper"
    book.save(path)
    problems, warnings = problems_and_warnings(path)
    copy = annotate_workbook(path, problems, warnings).path
    annotated = openpyxl.load_workbook(copy)
    assert annotated.sheetnames[0] == "Problems 2"
    assert annotated["Problems"]["A1"].value == "the manager's own list"
    assert links(copy) == {
        "B2": "'Risks'!B2",
        "Problems": "'Problems'!A1",
        "Jim's notes": "'Jim''s notes'!A1",  # a sheet-level warning links to the sheet
    }
    assert audit(copy).clean


def test_nothing_that_could_run_is_carried_over(tmp_path: Path) -> None:
    # An .xlsm whose macro runs on opening, with a defined name Excel would run (Auto_Open)
    # and a formula that would start a program (DDE): the copy is an .xlsx with none of them.
    path = tmp_path / "macros.xlsm"
    path.write_bytes(make_corpus.macro_workbook())
    copy = annotate_workbook(path, [Problem("Risks!B2", "a problem")]).path
    assert copy.name == "macros (problems).xlsx"
    with zipfile.ZipFile(copy) as package:
        assert not [n for n in package.namelist() if "vba" in n.lower()]
        assert b"macroEnabled" not in package.read("[Content_Types].xml")

    formulas = tmp_path / "formulas.xlsx"
    book = openpyxl.load_workbook(EXAMPLE)
    book["Help"]["B1"] = "=cmd|' /C calc'!A0"
    book["Help"]["B2"] = '=WEBSERVICE("http://example.invalid/")'
    typed = book["Help"]["B3"]
    typed.value, typed.data_type = "=1+1", "s"  # text that only looks like a formula
    book.defined_names["Auto_Open"] = DefinedName("Auto_Open", attr_text="Help!$A$1")
    book.save(formulas)
    copy = annotate_workbook(formulas, [Problem("Help!B1", "a problem")]).path
    with zipfile.ZipFile(copy) as package:
        parts = {n: package.read(n) for n in package.namelist()}
    assert not [n for n, data in parts.items() if b"<f>" in data or b"<f " in data]
    assert b"Auto_Open" not in parts["xl/workbook.xml"]
    help_sheet = openpyxl.load_workbook(copy)["Help"]
    assert (help_sheet["B1"].value, help_sheet["B2"].value) == (None, None)
    assert help_sheet["B3"].value == "=1+1" and help_sheet["B3"].data_type == "s"


def test_nothing_is_overwritten_but_an_earlier_copy_no_one_has_saved(
    example_copy: EditWorkbook,
) -> None:
    path = example_copy({"Risks!B2": 7})
    problems, warnings = problems_and_warnings(path)
    first = annotate_workbook(path, problems, warnings).path
    # run again: the earlier copy, as boardpack left it, is replaced, not piled up
    assert annotate_workbook(path, problems, warnings).path == first
    assert sorted(p.name for p in path.parent.glob("*(problems*")) == [first.name]

    # saved in Excel since (signed by the manager): kept, and the next name taken
    book = openpyxl.load_workbook(first)
    book.properties.lastModifiedBy = "Jim Burness"
    book.save(first)
    saved = first.read_bytes()
    second = annotate_workbook(path, problems, warnings).path
    assert second.name == "procurement (problems 2).xlsx"
    assert first.read_bytes() == saved

    # a file of the manager's own under the next name is never touched
    mine = path.with_name("procurement (problems 3).xlsx")
    mine.write_bytes(b"the manager's own file")
    open_copy = path.with_name("~$procurement (problems 2).xlsx")
    open_copy.write_bytes(b"")  # the second copy is open in Excel: not replaced either
    fourth = annotate_workbook(path, problems, warnings).path
    assert fourth.name == "procurement (problems 4).xlsx"
    assert mine.read_bytes() == b"the manager's own file"


def test_a_folder_that_cannot_be_written_is_said(
    example_copy: EditWorkbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = example_copy({"Risks!B2": 7})
    problems, warnings = problems_and_warnings(path)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("boardpack.workbook.annotate.temporary_in", refuse)
    with pytest.raises(OutputError, match=r"could not write the annotated copy \(Permission"):
        annotate_workbook(path, problems, warnings)
    result = CliRunner().invoke(main, ["check", "--annotate", str(path)])
    assert result.exit_code == 1
    assert "procurement.xlsx: no annotated copy: " in result.output
    assert not list(path.parent.glob("*(problems*"))


def test_a_valid_workbook_gets_a_copy_only_when_there_is_something_to_mark(
    example_copy: EditWorkbook,
) -> None:
    path = example_copy()
    assert load_paper(path).warnings == ()
    result = CliRunner().invoke(main, ["check", "--annotate", str(path)])
    assert result.exit_code == 0, result.output
    assert "procurement.xlsx: nothing to mark, so no annotated copy" in result.output
    assert not list(path.parent.glob("*(problems*"))


def test_an_unreadable_workbook_says_why_it_has_no_copy(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--annotate", str(path)])
    assert result.exit_code == 1
    assert "notes.xlsx: no annotated copy, as it cannot be opened" in result.output


def test_build_annotate_writes_the_copy_of_a_failed_workbook_and_a_folder_skips_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "inputs"
    folder.mkdir()
    path = edit_workbook(EXAMPLE, folder / "procurement.xlsx", {"Risks!B2": 7})
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(out), "--no-pdf"])
    assert result.exit_code == 1
    assert sorted(p.name for p in folder.iterdir()) == ["procurement.xlsx"]  # not unasked
    result = CliRunner().invoke(
        main, ["build", str(path), "--out", str(out), "--no-pdf", "--annotate"]
    )
    assert result.exit_code == 1
    copy = folder / "procurement (problems).xlsx"
    assert f"wrote {copy}" in " ".join(result.output.split())
    assert [row[:3] for row in listed(copy)] == [["Risks", "B2", "Error"]]
    # the copy is no paper: a check of the folder reads the workbook alone
    checked = CliRunner().invoke(main, ["check", str(folder)])
    assert "procurement (problems)" not in checked.output
    assert checked.output.count("1 problem; fix and run again") == 1


GUIDE = ROOT / "docs" / "manager" / "check.md"


def _blocks(kind: str) -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    return [part.split("```", 1)[0] for part in text.split(f"```{kind}\n")[1:]]


def test_the_guides_check_output_is_what_check_prints(example_copy: EditWorkbook) -> None:
    # The guide's example: an overall status of Purple, an empty milestone status, a column
    # the profile does not have.
    path = example_copy({"Paper!B8": "Purple", "Plan!F4": None, "Risks!G1": "Notes"})
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.output == _blocks("text")[0]


def test_every_command_the_guide_shows_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    commands = [line.split()[1:] for block in _blocks("sh") for line in block.splitlines()]
    assert commands == [
        ["new", "procurement.xlsx"],
        ["check", "procurement.xlsx"],
        ["check", "--annotate", "procurement.xlsx"],
    ]
    runner = CliRunner()
    assert runner.invoke(main, commands[0]).exit_code == 0
    edit_workbook(EXAMPLE, tmp_path / "procurement.xlsx", {"Plan!F4": None})
    assert runner.invoke(main, commands[1]).exit_code == 1
    annotated = runner.invoke(main, commands[2])
    assert "wrote procurement (problems).xlsx" in annotated.output
    assert (tmp_path / "procurement (problems).xlsx").is_file()


def test_what_the_workbook_names_is_listed_as_text_never_run(example_copy: EditWorkbook) -> None:
    # A sheet called "=1+1" (its warning names it), a label holding a control character (Excel
    # writes it as _x0007_) and a hidden Budget sheet, which a link could not reach.
    path = example_copy({"Risks!B2": 7, "Paper!A12": "Notes_x0007_", "Paper!B12": "x"})
    book = openpyxl.load_workbook(path)
    book.create_sheet("=1+1")["A1"] = "scratch"
    book["Budget"].sheet_state = "hidden"
    book.save(path)
    problems, warnings = problems_and_warnings(path)
    copy = annotate_workbook(path, problems, warnings).path
    rows = listed(copy)
    assert [row[0] for row in rows] == ["Paper", "Budget", "Risks", "=1+1"]
    assert rows[0][3].startswith("'Notes' is not a field of the profile")
    assert "Budget" not in links(copy) and links(copy)["=1+1"] == "'=1+1'!A1"
    with zipfile.ZipFile(copy) as package:
        assert not [n for n in package.namelist() if b"<f>" in package.read(n)]
    assert audit(copy).clean


@pytest.mark.parametrize(
    ("where", "place", "first"),
    [
        ("Risks!C5", Place("Risks", 5, 3, 5, 3), False),
        ("Risks!A5:F5", Place("Risks", 5, 1, 5, 6), False),
        ("Risks!1:1", Place("Risks", 1, 0, 1, 0), False),
        ("Paper!A:A", Place("Paper", 0, 1, 0, 1), True),  # the top of its sheet
        ("Risks", Place("Risks"), False),
        ("Q&A!", Place("Q&A!"), False),  # a title with a "!" in it is a title
        ("procurement.xlsx", Place(None), True),  # the file as a whole
        ("Gone!B2", Place(None), True),  # no sheet of the workbook: the file's
    ],
)
def test_places_are_read_back_from_what_problems_name(
    where: str, place: Place, first: bool
) -> None:
    sheets = ["Paper", "Risks", "Q&A!"]
    assert place_of(where, sheets) == place
    ordered = in_sheet_order([Problem("Paper!B2", "y"), Problem(where, "x")], sheets)
    assert (ordered[0].where == where) is first
