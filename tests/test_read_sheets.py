"""Which sheets the reader takes: none that Excel hides, none that shares its name with another,
and a workbook that is swapped for a pipe is refused without waiting on it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from boardpack.cli import main
from boardpack.errors import InvalidWorkbook
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE

UNHIDE = "right-click any sheet tab, choose Unhide and pick it"
VBA_UNHIDE = (
    "Excel's Unhide does not list it: press Alt+F11, select the sheet under the workbook's"
    " project, and set its Visible property to -1 - xlSheetVisible"
)


def workbook(tmp_path: Path, states: dict[str, str], copies: dict[str, str] | None = None) -> Path:
    """The example with sheets hidden ({"Risks": "veryHidden"}) and sheets copied under other
    names ({"risks ": "Risks"}), saved by openpyxl."""
    book = openpyxl.load_workbook(EXAMPLE)
    for title, source in (copies or {}).items():
        book.copy_worksheet(book[source]).title = title
    for title, state in states.items():
        book[title].sheet_state = state
    path = tmp_path / "procurement.xlsx"
    book.save(path)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InvalidWorkbook) as caught:
        load_paper(path)
    return [str(p) for p in caught.value.problems]


def test_a_very_hidden_sheet_is_not_printed_but_reported_with_how_to_unhide_it(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path, {"Risks": "veryHidden"})
    assert problems_of(path) == [
        "Risks: the sheet is very hidden in Excel, so its contents cannot be checked before they"
        f" are printed; unhide it ({VBA_UNHIDE})"
    ]


def test_a_hidden_sheet_the_paper_needs_is_an_error(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Paper": "hidden"})
    result = CliRunner().invoke(main, ["check", str(path)], env={"COLUMNS": "1000"})
    assert result.exit_code == 1
    assert (
        "Paper: the sheet is hidden in Excel, so its contents cannot be checked before they are"
        f" printed; unhide it ({UNHIDE})"
    ) in " ".join(result.output.split())


def test_a_hidden_budget_is_left_out_of_the_paper_with_a_warning(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(EXAMPLE)
    book["Budget"].append(["Specialist external advice", 50000, 30000, 0])
    book["Budget"].sheet_state = "hidden"
    path = tmp_path / "procurement.xlsx"
    book.save(path)
    checked = load_paper(path)
    assert checked.paper.budget == ()
    assert (
        "Budget: the sheet is hidden in Excel, so it is left out of the paper; to include it,"
        f" unhide it ({UNHIDE})"
    ) in [str(w) for w in checked.warnings]


def test_the_same_budget_shown_is_printed(tmp_path: Path) -> None:
    """The counterpart of the test above: unhidden, the line is in the paper."""
    book = openpyxl.load_workbook(EXAMPLE)
    book["Budget"].append(["Specialist external advice", 50000, 30000, 0])
    path = tmp_path / "procurement.xlsx"
    book.save(path)
    assert [b.line for b in load_paper(path).paper.budget] == ["Specialist external advice"]


def test_two_sheets_answering_to_one_name_are_an_error_naming_both(tmp_path: Path) -> None:
    path = workbook(tmp_path, {}, copies={"risks ": "Risks"})
    assert problems_of(path) == [
        "procurement.xlsx: sheets 'Risks' and 'risks ' both count as sheet 'Risks', since sheet"
        " names are matched ignoring case and extra spaces, so it is not clear which to read;"
        " rename or delete one of them"
    ]


def test_a_very_hidden_double_of_a_sheet_is_named_as_hidden(tmp_path: Path) -> None:
    # What the manager checked in Excel is the visible sheet; the hidden one must not win.
    path = workbook(tmp_path, {" Sections": "veryHidden"}, copies={" Sections": "Sections"})
    # (followed by the note that no Sections row gives a recommendation, as for a missing sheet)
    assert problems_of(path)[0] == (
        "procurement.xlsx: sheets 'Sections' and ' Sections' (very hidden) both count as sheet"
        " 'Sections', since sheet names are matched ignoring case and extra spaces, so it is"
        " not clear which to read; rename or delete one of them"
    )


def test_hidden_sheets_the_paper_does_not_use_are_ignored(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Help": "veryHidden"}, copies={"help ": "Help"})
    assert load_paper(path).warnings == load_paper(EXAMPLE).warnings


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on Windows")
def test_a_workbook_swapped_for_a_pipe_after_the_check_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe = tmp_path / "paper.xlsx"
    os.mkfifo(pipe)
    workbook_status = os.stat(EXAMPLE)
    real_stat = os.stat

    def stat_from_before_the_swap(path: object, *args: object, **kwargs: object) -> object:
        # Every check by name sees the workbook that was there a moment before it became a
        # pipe; only what is then opened is the pipe.
        if isinstance(path, str | os.PathLike) and Path(path) == pipe:
            return workbook_status
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat_from_before_the_swap)
    outcome: list[list[str]] = []
    finished = threading.Event()

    def read() -> None:
        try:
            outcome.append(problems_of(pipe))
        finally:
            finished.set()

    threading.Thread(target=read, daemon=True).start()
    if not finished.wait(120):  # a generous bound, only so that a reader stuck on it ends
        with open(pipe, "wb"):  # a writer lets the blocked open return, with nothing to read
            pass
        finished.wait()
    assert outcome == [
        ["paper.xlsx: is not a file but a device or pipe; give the path of a workbook"]
    ]


@pytest.mark.parametrize(
    ("lock", "program"),
    [("~$procurement.xlsx", "Excel"), (".~lock.procurement.xlsx#", "LibreOffice")],
    ids=["excel", "libreoffice"],
)
def test_a_workbook_open_in_excel_is_warned_of(tmp_path: Path, lock: str, program: str) -> None:
    path = tmp_path / "procurement.xlsx"
    path.write_bytes(EXAMPLE.read_bytes())
    assert not [w for w in load_paper(path).warnings if w.where == path.name]
    (tmp_path / lock).write_bytes(b"\x0bA. Manager")
    warning = (
        f"procurement.xlsx: is open in {program} ({lock} is beside it), so changes not yet saved"
        f" there are not in the paper; save it in {program} (Ctrl+S) and run again. If"
        f" {program} is not open, the lock file was left behind by a crash: delete it"
    )
    assert str(load_paper(path).warnings[0]) == warning
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert f"  warning: {warning}" in result.output
    assert result.output.count("is open in") == 1  # the lock file is no workbook of its own


def test_an_invalid_workbook_open_in_excel_is_warned_of_too(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Risks": "hidden"})
    (tmp_path / "~$procurement.xlsx").write_bytes(b"")
    with pytest.raises(InvalidWorkbook) as caught:
        load_paper(path)
    assert [w.where for w in caught.value.warnings][:1] == ["procurement.xlsx"]
    assert "is open in Excel" in str(caught.value.warnings[0])


def test_build_warns_of_a_workbook_open_in_excel(tmp_path: Path) -> None:
    path = tmp_path / "procurement.xlsx"
    path.write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "~$procurement.xlsx").write_bytes(b"")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())  # the summary wraps long lines
    assert "procurement.xlsx: is open in Excel (~$procurement.xlsx is beside it)" in shown
    assert (out / "procurement.docx").is_file()


def _paper_rows_added(tmp_path: Path, rows: list[tuple[str, str]]) -> tuple[Path, int]:
    """The example with rows added below its Paper sheet's fields; the first added row's number."""
    book = openpyxl.load_workbook(EXAMPLE)
    sheet = book["Paper"]
    first = sheet.max_row + 1
    for offset, (label, value) in enumerate(rows):
        sheet.cell(first + offset, 1, label)
        sheet.cell(first + offset, 2, value)
    path = tmp_path / "procurement.xlsx"
    book.save(path)
    return path, first


def test_a_field_given_twice_with_another_value_is_named_at_the_second(tmp_path: Path) -> None:
    # Which board the paper shows is the manager's to say: never the first row silently.
    path, row = _paper_rows_added(tmp_path, [("Board", "Cabinet")])
    with pytest.raises(InvalidWorkbook) as caught:
        load_paper(path)
    assert [str(p) for p in caught.value.problems] == [
        f"Paper!B{row}: 'Board' is given again here, with another value than in Paper!B5;"
        " delete one of the two rows"
    ]


def test_a_field_copied_with_the_same_value_or_left_empty_changes_nothing(
    tmp_path: Path,
) -> None:
    path, _ = _paper_rows_added(tmp_path, [("Board", "Joint Improvement Board"), ("Board", None)])  # type: ignore[list-item]
    assert load_paper(path).paper.details.board == "Joint Improvement Board"


def test_two_profile_rows_naming_different_profiles_are_named(tmp_path: Path) -> None:
    path, row = _paper_rows_added(tmp_path, [("Profile", "jib"), ("Profile", "prince2")])
    with pytest.raises(InvalidWorkbook) as caught:
        load_paper(path)
    assert (
        f"Paper!B{row + 1}: 'Profile' is given again here, with another value than in"
        f" Paper!B{row}; delete one of the two rows"
    ) in [str(p) for p in caught.value.problems]
