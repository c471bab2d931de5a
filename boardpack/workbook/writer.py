"""Writes a workbook in a profile's layout: blank for a new paper, or filled in from plain rows.

The inverse of the read stage, built from the same layout (layout.py, from the profile) so the
two agree. It takes plain values, not models, so it can also write the deliberately broken
workbooks the tests need.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boardpack.files import write_atomic
from boardpack.paper.profile import DEFAULT_PROFILE, FieldType, Profile, load_profile
from boardpack.workbook.excel_package import as_excel_writes
from boardpack.workbook.layout import HELP_SHEET, PAPER_SHEET, PROFILE_LABEL, TableSheet, layout_for

LAST_ROW = 500  # dropdowns and formats cover far more rows than a paper needs
_WIDE = {"text": 90, "milestone": 70, "event": 50, "action": 60, "line": 40, "actions": 60}


def write_workbook(
    path: Path,
    details: Mapping[str, Any] | None = None,
    tables: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    profile: Profile | None = None,
    *,
    profile_name: str | None = None,
) -> None:
    """Write a workbook of `profile` (the default one unless told): `details` by Paper-sheet
    label, `tables` as rows by sheet name. With `profile_name`, the Paper sheet's Profile row
    names it, so the workbook is read with its own profile wherever it is built."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    profile = profile or load_profile()
    layout = layout_for(profile)
    details = details or {}
    tables = tables or {}
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE4EE")
    wrap = Alignment(wrap_text=True, vertical="top")

    book = Workbook()
    help_sheet = book.active
    help_sheet.title = HELP_SHEET
    paper = book.create_sheet(PAPER_SHEET)
    paper.append(["Field", "Value", "Notes"])
    if profile_name is not None and profile_name != DEFAULT_PROFILE:
        paper.append([PROFILE_LABEL, profile_name, "The report profile this workbook is for"])
    dates = {f.label for f in profile.header if f.type in (FieldType.DATE, FieldType.MONTH)}
    required = {f.label for f in profile.header if f.required}
    for field in layout.paper_fields:
        paper.append([field.label, details.get(field.label), field.hint])
        row = paper.max_row
        if field.label in dates:
            paper.cell(row, 2).number_format = "dd/mm/yyyy"
        guide = _Guide(field.label, field.hint, field.label in required, field.choices)
        guide.add_to(paper, DataValidation, f"B{row}", date=field.label in dates)
    for letter, width in zip("ABC", (22, 40, 60), strict=True):
        paper.column_dimensions[letter].width = width
    for row in paper.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap

    for layout_sheet in layout.tables:
        sheet = book.create_sheet(layout_sheet.name)
        sheet.append([c.header for c in layout_sheet.columns])
        for values in tables.get(layout_sheet.name, ()):
            sheet.append(list(values))
        _lay_out(sheet, layout_sheet, wrap, DataValidation)
    for sheet in book.worksheets[1:]:
        for cell in sheet[1]:
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.print_options.gridLines = True
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = "1:1"

    _write_help(help_sheet, profile, layout.tables, Font, path.name)
    book.active = book.index(paper)
    buffer = io.BytesIO()
    book.save(buffer)
    write_atomic(path, as_excel_writes(buffer.getvalue()))  # never a half-written workbook


def _lay_out(sheet: Any, layout: TableSheet, wrap: Any, validation: Any) -> None:
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    for index, column in enumerate(layout.columns):
        letter = get_column_letter(index + 1)
        width = _WIDE.get(column.field, max(12, min(30, len(column.header) + 4)))
        sheet.column_dimensions[letter].width = width
        is_date = column.header in ("Start", "Due") or "date" in column.header.lower()
        for row in range(2, max(sheet.max_row, 2) + 1):
            cell = sheet[f"{letter}{row}"]
            cell.alignment = wrap
            if is_date:
                cell.number_format = "dd/mm/yyyy"
        guide = _Guide(column.header, column.hint, column.required, column.choices, column.meanings)
        guide.add_to(sheet, validation, f"{letter}2:{letter}{LAST_ROW}", date=is_date)


def _write_help(
    sheet: Any, profile: Profile, tables: tuple[TableSheet, ...], font: Any, name: str
) -> None:
    sheet.append([f"How to fill in this workbook: {profile.name}"])
    sheet["A1"].font = font(bold=True, size=14)
    if profile.description:
        sheet.append([profile.description])
    sheet.append([])
    sheet.append(["Paper: one value per row in column B. Dates as 30/11/2007 or Excel dates."])
    for table in tables:
        sheet.append([f"{table.name}: one row each" + ("" if table.required else " (optional)")])
        for column in table.columns:
            need = "required" if column.required else "optional"
            sheet.append([f"  {column.header} ({need}): {column.hint}".rstrip(": ")])
    sheet.append([])
    sheet.append(["The sections of the paper (Sections sheet, Section column):"])
    number = 0
    for section in profile.sections:
        if section.numbered:
            number += 1
        sheet.append([f"{number}. {section.title}" if section.numbered else section.title])
    if profile.risk is not None and profile.risk.key_text():
        sheet.append([])
        sheet.append([profile.risk.key_text()])
    sheet.append([])
    named = f'"{name}"' if any(c in name for c in " '&()^;$`") else name
    sheet.append([f"Check it, in the folder it is saved in, with:  boardpack check {named}"])
    sheet.append(
        [
            f"To see each problem on its cell in Excel:  boardpack check --annotate {named}"
            " (writes a marked copy beside it)"
        ]
    )
    sheet.column_dimensions["A"].width = 100


@dataclass(frozen=True)
class _Guide:
    """What Excel shows when a cell is selected (its input message) and, for a column of
    choices, the dropdown that refuses anything else."""

    name: str  # the label or header
    hint: str
    required: bool
    choices: tuple[str, ...] = ()
    meanings: tuple[str, ...] = ()  # the choices with what each means, when the profile says

    def prompt(self, *, date: bool) -> str:
        hint = self.hint.replace(" (optional)", "").rstrip(". ")
        said = [hint] if hint else []
        if date and "e.g." not in hint:
            said.append("Type a date, e.g. 30/11/2007")
        if self.meanings != self.choices and self.meanings:
            said.append("Pick one of: " + ", ".join(self.meanings))
        elif self.choices and not all(choice in hint for choice in self.choices):
            said.append("Pick one of: " + ", ".join(self.choices))
        said.append("Required" if self.required else "Optional: may be left blank")
        text = ". ".join(said) + "."
        # Excel refuses an input message over 255 characters (and repairs the file).
        return text if len(text) <= _PROMPT_LIMIT else text[: _PROMPT_LIMIT - 1] + "…"

    def add_to(self, sheet: Any, validation: Any, cells: str, *, date: bool = False) -> None:
        source = '"' + ",".join(self.choices) + '"'
        # Excel caps a typed-in list at 255 characters (checked on build): a longer one is
        # offered in the input message only.
        listed = bool(self.choices) and len(source) <= 257
        rule = validation(type="list" if listed else None, formula1=source if listed else None)
        rule.allow_blank = True
        rule.showInputMessage = True
        rule.promptTitle = self.name[:_TITLE_LIMIT]
        rule.prompt = self.prompt(date=date)
        if listed:
            rule.showErrorMessage = True
            rule.errorTitle = "Not one of the choices"
            rule.error = "Pick one of: " + ", ".join(self.choices)[:200]
        sheet.add_data_validation(rule)
        rule.add(cells)


_PROMPT_LIMIT = 255
_TITLE_LIMIT = 32  # Excel's limit on an input message's title
