"""Each validation rule on a real workbook: the exact message with sheet and cell, and exit code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from boardpack.cli import main
from boardpack.errors import InvalidWorkbook
from boardpack.paper.models import ParagraphStyle
from boardpack.workbook.validate import load_paper
from tests.conftest import EditWorkbook


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InvalidWorkbook) as caught:
        load_paper(path)
    return [str(p) for p in caught.value.problems]


def check_exit_code(path: Path) -> int:
    return CliRunner().invoke(main, ["check", str(path)]).exit_code


RULES = [
    pytest.param(
        {"Risks!B2": 7},
        "Risks!B2: likelihood must be a whole number from 1 to 4 (got 7)",
        id="likelihood-out-of-range",
    ),
    pytest.param(
        {"Risks!C3": 2.5},
        "Risks!C3: impact must be a whole number from 1 to 4 (got 2.5)",
        id="impact-not-whole",
    ),
    pytest.param(
        {"Risks!C4": "high"},
        "Risks!C4: impact must be a whole number from 1 to 4 (got 'high')",
        id="impact-in-words",
    ),
    pytest.param(
        {"Risks!D4": 10},
        "Risks!D4: LxI must equal likelihood x impact (3 x 3 = 9), got 10; correct it or leave"
        " it blank to have it worked out",
        id="lxi-must-equal-likelihood-times-impact",
    ),
    pytest.param(
        {"Risks!A3": None},
        "Risks!A3: event is required but the cell is empty",
        id="risk-event-required",
    ),
    pytest.param(
        {"Paper!B6": "next Tuesday"},
        "Paper!B6: meeting date must be a date, typed as 30/11/2007 or 2007-11-30 or entered as"
        " an Excel date (got 'next Tuesday')",
        id="date-in-words",
    ),
    pytest.param(
        {"Paper!B7": "31/02/2008"},
        "Paper!B7: report date 31/02/2008 is not a day: February has 29 days in 2008; correct it",
        id="impossible-date",
    ),
    pytest.param(
        {"Paper!B7": "31/9/2026"},
        "Paper!B7: report date 31/09/2026 is not a day: September has 30 days; correct it",
        id="impossible-day-of-september",
    ),
    pytest.param(
        {"Paper!B7": "2026-02-29"},
        "Paper!B7: report date 2026-02-29 is not a day: February has 28 days in 2026; correct it",
        id="impossible-iso-date",
    ),
    pytest.param(
        {"Paper!B7": "12/13/2026"},
        "Paper!B7: report date 12/13/2026 is not a day: there is no month 13; correct it",
        id="impossible-month",
    ),
    pytest.param(
        {"Paper!B8": "Purple"},
        "Paper!B8: overall status must be one of: Green, Amber, Red (got 'Purple')",
        id="status-not-rag",
    ),
    pytest.param(
        {"Paper!B2": None},
        "Paper!B2: project name is required but the cell is empty",
        id="project-name-required",
    ),
    pytest.param(
        {"Plan!C3": "Elsewhere"},
        "Plan!C3: scope must be one of: Within project, Outside project (got 'Elsewhere')",
        id="plan-scope",
    ),
    pytest.param(
        {"Plan!F2": "Done"},
        "Plan!F2: status must be one of: Not started, In progress, Complete, Delayed (got 'Done')",
        id="plan-status",
    ),
    pytest.param(
        {"Plan!D2": dt.datetime(2008, 1, 1)},
        "Plan!E2: due date 30/11/2007 is before the start date 01/01/2008; correct one of them",
        id="due-before-start",
    ),
    pytest.param(
        {"Plan!E3": None},
        "Plan!E3: due is empty; it must be a date, typed as 30/11/2007 or 2007-11-30 or entered"
        " as an Excel date",
        id="due-required",
    ),
    pytest.param(
        {"Sections!A3": 11},
        "Sections!A3: section must be a whole number from 1 to 10 (got 11)",
        id="section-out-of-range",
    ),
    pytest.param(
        {"Sections!B3": "Indented"},
        "Sections!B3: style must be one of: Paragraph, Numbered, Bullet, Sub-heading"
        " (got 'Indented')",
        id="paragraph-style",
    ),
    pytest.param(
        {"Sections!C4": "x" * 4001},
        "Sections!C4: text is 4001 characters long; the limit is 4000. Shorten it or split it"
        " into several rows",
        id="text-too-long",
    ),
    pytest.param(
        {"Sections!A2": 2},
        "Sections: section 1 (Recommendation) has no text; every paper needs a recommendation:"
        " add a row with Section 1",
        id="recommendation-required",
    ),
    pytest.param(
        {"Budget!A2": "Specialist advice", "Budget!B2": "fifty thousand"},
        "Budget!B2: original must be an amount in pounds, e.g. 30000 (got 'fifty thousand')",
        id="budget-amount",
    ),
]


@pytest.mark.parametrize(("edits", "message"), RULES)
def test_rule_names_the_cell(example_copy: EditWorkbook, edits: dict, message: str) -> None:
    path = example_copy(edits)
    assert problems_of(path) == [message]
    assert check_exit_code(path) == 1


def test_every_problem_is_reported_at_once(example_copy: EditWorkbook) -> None:
    path = example_copy({"Risks!B2": 7, "Paper!B8": "Purple", "Plan!C3": "Elsewhere"})
    assert problems_of(path) == [
        "Paper!B8: overall status must be one of: Green, Amber, Red (got 'Purple')",
        "Plan!C3: scope must be one of: Within project, Outside project (got 'Elsewhere')",
        "Risks!B2: likelihood must be a whole number from 1 to 4 (got 7)",
    ]
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert "procurement.xlsx: 3 problems; fix and run again:" in result.output
    assert "Risks!B2: likelihood" in result.output and "Traceback" not in result.output


def test_blank_lxi_is_worked_out(example_copy: EditWorkbook) -> None:
    paper = load_paper(example_copy({"Risks!D4": None})).paper
    assert [r.lxi for r in paper.risks] == [4, 8, 9, 8]


@pytest.mark.parametrize("typed", ["24/01/2008", "2008-01-24", dt.datetime(2008, 1, 24)])
def test_dates_accept_excel_iso_and_uk_forms(example_copy: EditWorkbook, typed: object) -> None:
    paper = load_paper(example_copy({"Paper!B6": typed})).paper
    assert paper.details.meeting_date == dt.date(2008, 1, 24)


def test_short_choices_and_any_case_are_accepted(example_copy: EditWorkbook) -> None:
    paper = load_paper(example_copy({"Plan!C5": "outside", "Paper!B8": "AMBER"})).paper
    assert paper.milestones[3].scope == "Outside project"
    assert paper.details.value("status") == "Amber"


def test_overdue_milestone_is_a_warning(example_copy: EditWorkbook) -> None:
    checked = load_paper(example_copy({"Plan!E3": dt.datetime(2008, 1, 4)}))
    assert [str(w) for w in checked.warnings] == [
        "Plan!E3: 'Roadmap and business case' was due 04/01/2008, before the report date"
        " 14/01/2008, and is in progress; mark it Complete or explain the delay in section 3"
    ]
    result = CliRunner().invoke(main, ["check", str(checked.source)])
    assert result.exit_code == 0
    assert "OK, 1 warning" in result.output


def test_high_risk_without_action_is_a_warning(example_copy: EditWorkbook) -> None:
    checked = load_paper(example_copy({"Risks!E4": None}))
    assert [str(w) for w in checked.warnings] == [
        "Risks!E4: risk 'Lack of capacity to undertake work required to…' scores 9"
        " (high) but has no action; say how it is being mitigated"
    ]


def test_missing_sheet_lists_what_exists(example_copy: EditWorkbook, tmp_path: Path) -> None:
    path = example_copy()
    book = openpyxl.load_workbook(path)
    book["Risks"].title = "Risk register"
    book.save(path)
    assert problems_of(path) == [
        "procurement.xlsx: sheet 'Risks' is missing. Expected sheets: Paper, Sections, Plan,"
        " Budget, Risks (Budget optional); this workbook has: Help, Paper, Sections, Plan,"
        " Budget, Risk register. Rename or add the sheet"
    ]


def test_missing_column_names_the_header_row(example_copy: EditWorkbook) -> None:
    path = example_copy({"Risks!B1": "Probability"})
    assert problems_of(path) == [
        "Risks!1:1: column 'Likelihood' is missing from the header row (found: Event,"
        " Probability, Impact, LxI, Action, Owner); add it or correct its spelling"
    ]


def test_headers_in_other_case_with_spaces_are_accepted(example_copy: EditWorkbook) -> None:
    paper = load_paper(example_copy({"Risks!B1": "  LIKELIHOOD ", "Plan!E1": "due"})).paper
    assert paper.risks[0].likelihood == 1


def test_blank_rows_inside_a_table_are_skipped(example_copy: EditWorkbook) -> None:
    path = example_copy()
    book = openpyxl.load_workbook(path)
    book["Risks"].insert_rows(3, amount=2)
    book.save(path)
    assert len(load_paper(path).paper.risks) == 4


def test_a_blank_style_is_a_paragraph(example_copy: EditWorkbook) -> None:
    # The README promises it; the blank cell used to be refused as "got None".
    checked = load_paper(example_copy({"Sections!B3": None, "Sections!B4": "  "}))
    styles = [p.style for p in checked.paper.paragraphs[1:3]]
    assert styles == [ParagraphStyle.PARAGRAPH, ParagraphStyle.PARAGRAPH]


def test_an_empty_status_or_date_cell_is_said_to_be_empty(example_copy: EditWorkbook) -> None:
    path = example_copy({"Plan!F4": None, "Paper!B7": None})
    assert problems_of(path) == [
        "Paper!B7: report date is empty; it must be a date, typed as 30/11/2007 or 2007-11-30"
        " or entered as an Excel date",
        "Plan!F4: status is empty; it must be one of: Not started, In progress, Complete, Delayed",
    ]
    output = CliRunner().invoke(main, ["check", str(path)]).output
    assert "got None" not in output
    assert "Plan!F4: status is empty" in output


def test_problems_are_listed_in_the_workbooks_sheet_order(example_copy: EditWorkbook) -> None:
    # Risks moved before Paper: its problems come first, then row by row, column by column;
    # a problem the read stage finds (a formula never calculated) takes its place among them.
    path = example_copy({"Risks!C3": 9, "Risks!B2": 7, "Paper!B8": "Purple", "Plan!C3": "=1+1"})
    book = openpyxl.load_workbook(path)
    book.move_sheet("Risks", offset=-(book.sheetnames.index("Risks") - 1))
    book.save(path)
    assert book.sheetnames[:3] == ["Help", "Risks", "Paper"]
    problems = problems_of(path)
    assert [p.split(":")[0] for p in problems] == ["Risks!B2", "Risks!C3", "Paper!B8", "Plan!C3"]
    output = CliRunner().invoke(main, ["check", str(path)]).output
    shown = [line.split(":")[0].strip() for line in output.splitlines() if "!" in line]
    assert shown[:4] == ["Risks!B2", "Risks!C3", "Paper!B8", "Plan!C3"]


def test_warnings_are_listed_in_sheet_order(example_copy: EditWorkbook) -> None:
    # A milestone overdue (Plan) and a high risk with no action (Risks), with Risks moved
    # before Plan: the risk's warning comes first, as a reader of the workbook meets it.
    path = example_copy({"Risks!E4": None, "Plan!E3": dt.datetime(2008, 1, 1)})
    book = openpyxl.load_workbook(path)
    book.move_sheet("Risks", offset=book.sheetnames.index("Plan") - book.sheetnames.index("Risks"))
    book.save(path)
    warnings = [w.where for w in load_paper(path).warnings]
    assert warnings == ["Risks!E4", "Plan!E3"]
