"""`check FOLDER` checks the meeting: boardpack.toml, the agenda's papers, each paper's board and
meeting, report dates, a meeting already past; and every warning shown with the errors.

Real workbooks (the example, edited cell by cell) in a real folder; "today" is always given.
"""

from __future__ import annotations

import datetime as dt
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

import boardpack.meeting.meeting_check
from boardpack.cli import main
from boardpack.errors import InvalidWorkbook, Problem
from boardpack.meeting.meeting_check import check_meeting
from boardpack.pipeline import build
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE, edit_workbook
from tests.test_read_sheets import UNHIDE

MEETING = "board = 'Joint Improvement Board'\nmeeting_date = 2026-03-19\n"
BEFORE = dt.date(2026, 3, 1)  # "today", before the meeting of 19/03/2026
AFTER = dt.date(2026, 5, 1)
THIS_MEETING = {"Paper!B6": dt.datetime(2026, 3, 19)}  # the example, moved to 2026


def folder_of(tmp_path: Path, settings: str | None, workbooks: dict[str, dict[str, Any]]) -> Path:
    """A meeting's folder: boardpack.toml (unless None) and copies of the example, edited."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    if settings is not None:
        (folder / "boardpack.toml").write_text(settings, encoding="utf-8")
    for name, edits in workbooks.items():
        edit_workbook(EXAMPLE, folder / f"{name}.xlsx", edits)
    return folder


def test_the_meeting_of_the_folder_is_ok(tmp_path: Path) -> None:
    settings = MEETING + "agenda = ['procurement']\n"
    folder = folder_of(tmp_path, settings, {"procurement": THIS_MEETING})
    toml = folder / "boardpack.toml"
    result = check_meeting([folder], on=BEFORE)
    assert result.ok
    assert (result.board, result.meeting_date) == ("Joint Improvement Board", dt.date(2026, 3, 19))
    assert result.lines() == [
        "procurement.xlsx: OK",
        f"the meeting of the Joint Improvement Board on 19/03/2026 ({toml}): OK",
    ]


def test_an_agenda_paper_that_is_missing_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = folder_of(
        tmp_path, MEETING + "agenda = ['procurement', 'housing']\n", {"procurement": THIS_MEETING}
    )
    result = check_meeting([folder], on=BEFORE)
    assert not result.ok
    assert result.problems == (
        Problem(
            f"{folder / 'boardpack.toml'}: agenda item 2",
            f"'housing' is on the agenda, but {folder} has no housing.xlsx; add the workbook,"
            " or take 'housing' off the agenda",
        ),
    )
    assert result.lines()[-2:] == [
        f"the meeting of the Joint Improvement Board on 19/03/2026 ({folder / 'boardpack.toml'}):"
        " 1 error",
        f"  error: {folder / 'boardpack.toml'}: agenda item 2: 'housing' is on the agenda, but"
        f" {folder} has no housing.xlsx; add the workbook, or take 'housing' off the agenda",
    ]


def test_an_agenda_paper_that_is_invalid_is_an_error_too(tmp_path: Path) -> None:
    folder = folder_of(
        tmp_path, MEETING + "agenda = ['Housing']\n", {"housing": {**THIS_MEETING, "Risks!B2": 7}}
    )
    result = check_meeting([folder], on=BEFORE)
    assert [str(p) for p in result.problems] == [
        f"{folder / 'boardpack.toml'}: agenda item 1: 'Housing' is on the agenda, but"
        " housing.xlsx is invalid, so the pack would go without it; fix its errors (above)"
    ]
    assert "Risks!B2: likelihood must be a whole number from 1 to 4 (got 7)" in result.lines()[1]


def test_a_paper_for_another_meeting_is_a_warning_at_its_cell(tmp_path: Path) -> None:
    # The example is the 2008 paper: in a 2026 pack it must not pass unwarned.
    folder = folder_of(tmp_path, MEETING, {"procurement": {}})
    result = check_meeting([folder], on=BEFORE)
    assert result.ok  # a warning: the papers are still built
    assert result.lines()[:2] == [
        "procurement.xlsx: OK, 1 warning",
        "  warning: Paper!B6: this paper is for the meeting of 24/01/2008, but boardpack.toml"
        " says the meeting is on 19/03/2026; update the paper for this meeting, or take the"
        " workbook out of this meeting's folder",
    ]


def test_a_paper_for_another_board_is_a_warning_at_its_cell(tmp_path: Path) -> None:
    folder = folder_of(
        tmp_path,
        MEETING,
        {
            "procurement": {**THIS_MEETING, "Paper!B5": "Cabinet"},
            "housing": {**THIS_MEETING, "Paper!B5": "  joint improvement  BOARD"},  # the same
        },
    )
    result = check_meeting([folder], on=BEFORE)
    by_name = {w.source.name: [str(p) for p in w.warnings] for w in result.workbooks}
    assert by_name == {
        "housing.xlsx": [],
        "procurement.xlsx": [
            "Paper!B5: this paper is for the board 'Cabinet', but boardpack.toml says the"
            " meeting is of the 'Joint Improvement Board'; correct the board, or take the"
            " workbook out of this meeting's folder"
        ],
    }
    assert result.ok


def test_a_report_date_after_the_meeting_date_is_a_warning_at_its_cell(tmp_path: Path) -> None:
    late = {**THIS_MEETING, "Paper!B7": "20/03/2026"}
    folder = folder_of(tmp_path, None, {"procurement": late})
    result = check_meeting([folder / "procurement.xlsx"], on=BEFORE)  # a workbook on its own too
    assert result.ok
    assert (
        "  warning: Paper!B7: report date 20/03/2026 is after the meeting date 19/03/2026"
        " (Paper!B6); a report is made up to a date before its meeting: correct one of them"
    ) in result.lines()


def test_a_meeting_in_the_past_is_a_warning_naming_its_date(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, MEETING, {"procurement": THIS_MEETING})
    past = check_meeting([folder], on=AFTER)
    assert past.ok
    assert past.lines()[-1] == (
        f"  warning: {folder / 'boardpack.toml'}: meeting_date: the meeting of 19/03/2026 is"
        " already past (today is 01/05/2026); if the papers are for a later meeting, correct"
        " the meeting date"
    )
    assert check_meeting([folder], on=dt.date(2026, 3, 19)).warnings == ()  # the day itself


def test_without_settings_the_papers_meeting_is_checked(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, None, {"procurement": THIS_MEETING, "housing": THIS_MEETING})
    result = check_meeting([folder], on=AFTER)
    assert result.settings_file is None
    assert [str(w) for w in result.warnings] == [
        "the meeting of 19/03/2026 is already past (today is 01/05/2026); if the papers are for"
        " a later meeting, correct the meeting date"
    ]
    assert (
        result.lines()[-2] == "the meeting of the Joint Improvement Board on 19/03/2026: 1 warning"
    )


def test_papers_of_different_meetings_with_no_settings_are_an_error(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, None, {"procurement": {}, "housing": THIS_MEETING})
    result = check_meeting([folder], on=BEFORE)
    assert not result.ok
    assert [str(p) for p in result.problems] == [
        "the papers name different meeting dates (procurement.xlsx: 24/01/2008; housing.xlsx:"
        " 19/03/2026), so the pack cannot be made; set meeting_date in boardpack.toml beside the"
        " workbooks to say which meeting it is, or correct the papers"
    ]


def test_a_mistyped_setting_is_an_error_and_the_workbooks_are_still_checked(
    tmp_path: Path,
) -> None:
    folder = folder_of(
        tmp_path,
        "meeting_date = 2026-03-19\nagenda = ['procurement']\nvenu = 'Hall'\n",
        {"procurement": {"Risks!B2": 7}},
    )
    result = check_meeting([folder], on=BEFORE)
    assert not result.ok
    assert [str(p) for p in result.problems] == [
        f"{folder / 'boardpack.toml'}: unknown setting 'venu' (known: board, meeting_date,"
        " meeting_time, venue, agenda, meetings, deadline, email, archive, profile, template,"
        " templates, appendices);"
        " correct or remove it; the pack"
        " would not be built",
        # The rest of the settings are sound, and are held against the papers.
        f"{folder / 'boardpack.toml'}: agenda item 1: 'procurement' is on the agenda, but"
        " procurement.xlsx is invalid, so the pack would go without it; fix its errors (above)",
    ]
    assert "Risks!B2: likelihood must be a whole number from 1 to 4 (got 7)" in result.lines()[1]


def invalid_with_a_warning(path: Path) -> Path:
    """The example with a hidden Budget sheet (a warning) and a likelihood of 7 (an error)."""
    book = openpyxl.load_workbook(EXAMPLE)
    book["Budget"].sheet_state = "hidden"
    book["Risks"]["B2"] = 7
    book["Paper"]["B6"] = "19/03/2026"
    book.save(path)
    return path


def test_warnings_are_shown_with_the_errors_in_one_run(tmp_path: Path) -> None:
    path = invalid_with_a_warning(tmp_path / "procurement.xlsx")
    with pytest.raises(InvalidWorkbook) as caught:
        load_paper(path)
    assert [str(w) for w in caught.value.warnings] == [
        f"Budget: the sheet is hidden in Excel, so it is left out of the paper; to include it,"
        f" unhide it ({UNHIDE})"
    ]
    # the warnings go with the error to the build's summary, pickled from a worker or not
    assert pickle.loads(pickle.dumps(caught.value)).warnings == caught.value.warnings

    (tmp_path / "boardpack.toml").write_text("meeting_date = 2026-03-26\n", encoding="utf-8")
    lines = check_meeting([tmp_path], on=BEFORE).lines()
    assert lines[:4] == [
        "procurement.xlsx: 1 problem; fix and run again:",
        "  Risks!B2: likelihood must be a whole number from 1 to 4 (got 7)",
        # read from the cell, though the workbook is invalid; in sheet order, Paper first
        "  warning: Paper!B6: this paper is for the meeting of 19/03/2026, but boardpack.toml"
        " says the meeting is on 26/03/2026; update the paper for this meeting, or take the"
        " workbook out of this meeting's folder",
        f"  warning: Budget: the sheet is hidden in Excel, so it is left out of the paper; to"
        f" include it, unhide it ({UNHIDE})",
    ]


def test_an_impossible_date_is_named_as_such_by_check(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, None, {"procurement": {"Paper!B6": "31/9/2026"}})
    assert check_meeting([folder], on=BEFORE).lines()[1] == (
        "  Paper!B6: meeting date 31/09/2026 is not a day: September has 30 days; correct it"
    )


def run_check(folder: Path, today: dt.date, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setattr(boardpack.meeting.meeting_check, "today", lambda: today)
    result = CliRunner().invoke(main, ["check", str(folder)])
    return result.exit_code, result.output


def test_the_command_prints_the_meeting_and_exits_1_only_for_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = MEETING + "agenda = ['procurement', 'housing']\n"
    folder = folder_of(tmp_path, settings, {"procurement": {}})
    toml = folder / "boardpack.toml"
    code, output = run_check(folder, AFTER, monkeypatch)
    assert code == 1
    assert output == (
        "procurement.xlsx: OK, 1 warning\n"
        "  warning: Paper!B6: this paper is for the meeting of 24/01/2008, but boardpack.toml"
        " says the meeting is on 19/03/2026; update the paper for this meeting, or take the"
        " workbook out of this meeting's folder\n"
        f"the meeting of the Joint Improvement Board on 19/03/2026 ({toml}): 1 error, 1 warning\n"
        f"  error: {toml}: agenda item 2: 'housing' is on the agenda, but {folder} has no"
        " housing.xlsx; add the workbook, or take 'housing' off the agenda\n"
        f"  warning: {toml}: meeting_date: the meeting of 19/03/2026 is already past (today is"
        " 01/05/2026); if the papers are for a later meeting, correct the meeting date\n"
    )
    toml.write_text(MEETING + "agenda = ['procurement']\n", encoding="utf-8")
    code, output = run_check(folder, AFTER, monkeypatch)
    assert code == 0  # warnings alone
    assert output.count("warning: ") == 2


def test_building_for_a_past_meeting_warns_once(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, MEETING, {"procurement": THIS_MEETING, "housing": THIS_MEETING})
    report = build([folder], tmp_path / "out", pdf=False, today=AFTER)
    assert report.ok  # a warning, not an error
    assert [str(w) for w in report.warnings] == [
        "the meeting of 19/03/2026 is already past (today is 01/05/2026); if the papers are for"
        " a later meeting, correct the meeting date"
    ]
    single = build([EXAMPLE], tmp_path / "one", pdf=False, today=BEFORE)
    assert [str(w) for w in single.warnings] == [
        "the meeting of 24/01/2008 is already past (today is 01/03/2026); if the papers are for"
        " a later meeting, correct the meeting date"
    ]
    on_time = build([folder], tmp_path / "out", pdf=False, today=BEFORE)
    assert on_time.warnings == []


def test_the_build_summary_shows_the_past_meeting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(boardpack.meeting.meeting_check, "today", lambda: AFTER)
    result = CliRunner().invoke(main, ["build", str(EXAMPLE), "--out", str(tmp_path), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert (
        "warning meeting: the meeting of 24/01/2008 is already past (today is 01/05/2026); if"
        " the papers are for a later meeting, correct the meeting date"
    ) in " ".join(result.output.split())


def test_checking_a_meeting_does_not_load_the_renderer_or_the_pdf_tools(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, MEETING + "agenda = ['procurement']\n", {"procurement": {}})
    code = (
        "import sys\n"
        "from boardpack.cli import main\n"
        f"try:\n    main(['check', {str(folder)!r}])\nexcept SystemExit:\n    pass\n"
        "heavy = ('matplotlib', 'docxtpl', 'docx', 'docxcompose', 'pikepdf', 'pypdf', 'holidays')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Paper!B6: this paper is for the meeting of 24/01/2008" in result.stdout
    assert result.stdout.splitlines()[-1] == "[]"


# --- appendices form one level of cover reports: cycles, chains and self-references named ---

APPENDIX_FAULTS = {
    "cycle": (
        "[appendices]\nalpha = ['beta']\nbeta = ['alpha']\n",
        [
            "appendices.alpha: alpha is itself an appendix of beta, and an appendix cannot have"
            " appendices of its own (a chain or a cycle of papers); list its appendices under"
            " the cover report, or make alpha a paper of its own",
            "appendices.beta: beta is itself an appendix of alpha, and an appendix cannot have"
            " appendices of its own (a chain or a cycle of papers); list its appendices under"
            " the cover report, or make beta a paper of its own",
        ],
    ),
    "chain": (
        "[appendices]\nalpha = ['beta']\nbeta = ['gamma']\n",
        [
            "appendices.beta: beta is itself an appendix of alpha, and an appendix cannot have"
            " appendices of its own (a chain or a cycle of papers); list its appendices under"
            " the cover report, or make beta a paper of its own",
        ],
    ),
    "self": (
        "[appendices]\nalpha = ['alpha']\n",
        [
            "appendices.alpha: names alpha as its own appendix; a paper cannot be its own"
            " appendix: take 'alpha' out of the list",
        ],
    ),
    "two covers": (
        "[appendices]\nalpha = ['gamma']\nbeta = ['gamma']\n",
        [
            "appendices.beta: names 'gamma', which is already the appendix of alpha; a workbook"
            " is the appendix of one cover report: take it out of one of the lists",
        ],
    ),
}
PAPERS = {name: THIS_MEETING for name in ("alpha", "beta", "gamma")}


@pytest.mark.parametrize("fault", APPENDIX_FAULTS)
def test_appendices_that_are_not_one_level_of_covers_are_named_by_check(
    tmp_path: Path, fault: str
) -> None:
    settings, said = APPENDIX_FAULTS[fault]
    folder = folder_of(tmp_path, MEETING + settings, PAPERS)
    result = check_meeting([folder], on=BEFORE)
    assert not result.ok
    assert [str(p) for p in result.problems] == [
        f"{folder / 'boardpack.toml'}: " + "; ".join(said) + "; the pack would not be built"
    ]
    shown = CliRunner().invoke(main, ["check", str(folder)], env={"COLUMNS": "1000"})
    assert shown.exit_code == 1 and "Traceback" not in shown.output
    assert said[0] in " ".join(shown.output.split())


@pytest.mark.parametrize("fault", ["cycle", "chain", "self"])
def test_build_and_status_name_faulty_appendices_and_drop_no_paper(
    tmp_path: Path, fault: str
) -> None:
    settings, said = APPENDIX_FAULTS[fault]
    folder = folder_of(tmp_path, MEETING + settings, PAPERS)
    out = tmp_path / "out"
    built = CliRunner().invoke(
        main, ["build", str(folder), "--out", str(out), "--no-pdf"], env={"COLUMNS": "1000"}
    )
    flat = " ".join(built.output.split())
    assert built.exit_code == 1 and "Traceback" not in flat
    assert f"error pack: {folder / 'boardpack.toml'}: {said[0]}" in flat
    # Every workbook is still a paper of its own: none vanished into another.
    assert sorted(p.name for p in out.glob("*.docx")) == ["alpha.docx", "beta.docx", "gamma.docx"]
    assert not (out / "board-pack.docx").exists()

    status = CliRunner().invoke(
        main, ["status", str(folder), "--out", str(out)], env={"COLUMNS": "1000"}
    )
    assert status.exit_code == 1 and "Traceback" not in status.output
    assert said[0] in " ".join(status.output.split())
    assert "archived" not in status.output and "sent" not in status.output


def test_a_faulty_profile_named_by_the_settings_stops_every_paper_saying_so_once(
    tmp_path: Path,
) -> None:
    # Each paper is read by the profile; reading it by the default instead would misread it.
    folder = folder_of(tmp_path, MEETING + "profile = 'ours.toml'\n", PAPERS)
    (folder / "ours.toml").write_text("name = 'Our board'\n", encoding="utf-8")
    said = (
        f"{folder / 'boardpack.toml'}: profile names 'ours.toml', which cannot be used, so no"
        " paper is checked or built (each is read by the profile, and by no other instead)."
        " ours.toml: 2 problems in the profile; fix and run again:"
        " header: is required but missing; add it sections: is required but missing; add it"
    )
    result = check_meeting([folder], on=BEFORE)
    assert not result.ok
    assert [" ".join(str(p).split()) for p in result.problems] == [said]
    assert [w.ok for w in result.workbooks] == [False, False, False]
    assert "alpha.xlsx: 1 problem; fix and run again:" in result.lines()

    out = tmp_path / "out"
    built = CliRunner().invoke(main, ["build", str(folder), "--out", str(out), "--no-pdf"])
    assert built.exit_code == 1 and "Traceback" not in built.output
    assert " ".join(built.output.split()) == f"Error: {said}"
    assert list(out.glob("*.docx")) == []
    # status reads the papers as build would: it refuses too, rather than call them valid.
    shown = CliRunner().invoke(main, ["status", str(folder), "--out", str(out)])
    assert shown.exit_code == 1 and "Traceback" not in shown.output
    assert " ".join(shown.output.split()) == f"Error: {said}"


def test_the_clerks_guide_says_a_faulty_profile_stops_every_paper() -> None:
    from tests.conftest import ROOT

    guide = ROOT / "docs" / "clerk" / "pack.md"
    text = " ".join(guide.read_text(encoding="utf-8").split())
    assert "a profile that cannot be used stops `check` and `build` before any paper" in text
