"""The starter workbook `boardpack new` writes, opened as Excel would: what each cell says when
it is selected, its dropdowns, and a Help sheet that names the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from boardpack.cli import main
from boardpack.paper.profile import bundled_profiles, load_profile
from boardpack.workbook.layout import layout_for
from boardpack.workbook.writer import LAST_ROW, write_workbook


def input_messages(sheet: Any) -> dict[str, Any]:
    """The sheet's data validations by the cells they cover ("B2", "F2:F500")."""
    return {str(rule.sqref): rule for rule in sheet.data_validations.dataValidation}


def test_each_cell_to_fill_says_what_to_type_when_selected(tmp_path: Path) -> None:
    path = tmp_path / "procurement.xlsx"
    assert CliRunner().invoke(main, ["new", str(path)]).exit_code == 0
    book = openpyxl.load_workbook(path)

    status = input_messages(book["Plan"])[f"F2:F{LAST_ROW}"]
    assert status.showInputMessage
    assert status.promptTitle == "Status"
    assert status.prompt == "Not started, In progress, Complete or Delayed. Required."
    assert status.formula1 == '"Not started,In progress,Complete,Delayed"'  # and the dropdown

    start = input_messages(book["Plan"])[f"D2:D{LAST_ROW}"]
    assert (start.promptTitle, start.prompt) == (
        "Start",
        "Start date; leave blank for a single-date milestone. Type a date, e.g. 30/11/2007."
        " Optional: may be left blank.",
    )
    assert start.type is None  # any value: a message, no rule

    paper = input_messages(book["Paper"])
    assert (paper["B6"].promptTitle, paper["B6"].prompt) == (
        "Meeting date",
        "Date of the meeting, e.g. 24/01/2008. Required.",
    )
    likelihood = input_messages(book["Risks"])[f"B2:B{LAST_ROW}"]
    assert likelihood.prompt == (
        "1 (unlikely) to 4 (very likely). Pick one of: 1 Unlikely, 2 Possible, 3 Likely,"
        " 4 Very likely. Required."
    )


@pytest.mark.parametrize("name", bundled_profiles())
def test_every_column_of_every_profile_has_an_input_message_excel_accepts(
    name: str, tmp_path: Path
) -> None:
    profile = load_profile(name)
    path = tmp_path / "new.xlsx"
    write_workbook(path, profile=profile)
    book = openpyxl.load_workbook(path)
    layout = layout_for(profile)
    paper = input_messages(book["Paper"])
    rows = {row[0].value: row[0].row for row in book["Paper"].iter_rows(min_row=2)}
    for field in layout.paper_fields:
        rule = paper[f"B{rows[field.label]}"]
        assert rule.showInputMessage and rule.promptTitle == field.label[:32]
    for table in layout.tables:
        rules = input_messages(book[table.name])
        for number, column in enumerate(table.columns, start=1):
            letter = openpyxl.utils.get_column_letter(number)
            rule = rules[f"{letter}2:{letter}{LAST_ROW}"]
            assert rule.showInputMessage, (table.name, column.header)
            # Excel's limits: a longer title or message and it repairs the file on opening
            assert len(rule.promptTitle) <= 32 and len(rule.prompt) <= 255
            assert ("Required." if column.required else "Optional") in rule.prompt
            for choice in column.choices:
                assert choice in rule.prompt


@pytest.mark.parametrize(
    ("name", "shown"),
    [("procurement.xlsx", "procurement.xlsx"), ("My paper.xlsx", '"My paper.xlsx"')],
)
def test_the_help_sheet_names_the_workbook_itself(tmp_path: Path, name: str, shown: str) -> None:
    path = tmp_path / name
    write_workbook(path)
    lines = [row[0] for row in openpyxl.load_workbook(path)["Help"].iter_rows(values_only=True)]
    text = "\n".join(str(line) for line in lines if line)
    assert "THIS-FILE" not in text
    assert f"boardpack check {shown}" in text
    assert f"boardpack check --annotate {shown}" in text


def test_a_levels_meanings_are_in_its_input_message(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    write_workbook(path, profile=load_profile("corporate-risk"))
    sheet = openpyxl.load_workbook(path)["Risks"]
    headers = [c.value for c in sheet[1]]
    letter = openpyxl.utils.get_column_letter(headers.index("Residual likelihood") + 1)
    rule = input_messages(sheet)[f"{letter}2:{letter}{LAST_ROW}"]
    assert "Pick one of: 1 Rare, 2 Unlikely, 3 Possible, 4 Likely, 5 Almost certain." in (
        rule.prompt
    )
    assert rule.formula1 == '"1,2,3,4,5"'
