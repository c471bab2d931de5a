"""Writes a workbook in boardpack's layout: blank for a new paper, or filled in from plain rows.

The inverse of the read stage, built from the same layout so the two agree. It takes plain
values, not models, so it can also write the deliberately broken workbooks the tests need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from boardpack.layout import PAPER_FIELDS, PAPER_SHEET, PLAN, RISKS, SECTIONS, TABLE_SHEETS
from boardpack.models import MilestoneStatus, ParagraphStyle, Rag, Scope

SECTION_TITLES = (
    "1. Recommendation",
    "2. Project vision/objectives",
    "3. Summary Progress and key highlight report",
    "4. Timescales and key milestones",
    "5. Deliverables/quick wins",
    "6. Financial update",
    "7. Member involvement",
    "8. Related projects / Work streams",
    "9. Communications plan",
    "10. Key Risks and issues",
)

_INSTRUCTIONS = (
    "How to fill in this workbook",
    "",
    "Paper: one value per row in column B. Dates as 30/11/2007 or Excel dates.",
    "Sections: one row per paragraph, in the order they appear. Section is 1-10.",
    "  Style: Paragraph (plain), Numbered (2.1, 2.2 ... numbered for you),",
    "  Bullet (a bullet point, under the paragraph before it) or Sub-heading.",
    "Plan: the milestones listed in section 4 and drawn in the Gantt chart.",
    "  Leave Start blank for a single-date milestone (a diamond on the chart).",
    "Budget: optional table in section 6, amounts in pounds.",
    "Risks: the risk register. Likelihood and Impact are 1-4; leave LxI blank",
    "  to have it worked out.",
    "",
    "Check the workbook with:  boardpack check THIS-FILE.xlsx",
)


def write_workbook(
    path: Path,
    details: Mapping[str, Any] | None = None,
    tables: Mapping[str, Sequence[Sequence[Any]]] | None = None,
) -> None:
    """Write a workbook: `details` by Paper-sheet label, `tables` as rows by sheet name."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    details = details or {}
    tables = tables or {}
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE4EE")
    wrap = Alignment(wrap_text=True, vertical="top")

    book = Workbook()
    paper = book.active
    paper.title = PAPER_SHEET
    paper.append(["Field", "Value", "Notes"])
    for field in PAPER_FIELDS:
        paper.append([field.label, details.get(field.label), field.hint])
    for row in range(2, len(PAPER_FIELDS) + 2):
        if paper.cell(row, 1).value in ("Meeting date", "Report date"):
            paper.cell(row, 2).number_format = "dd/mm/yyyy"
    _choices(paper, DataValidation, f"B{len(PAPER_FIELDS) + 1}", [r.value for r in Rag])
    for letter, width in zip("ABC", (20, 40, 60), strict=True):
        paper.column_dimensions[letter].width = width

    widths = {"Text": 90, "Milestone": 70, "Event": 50, "Action": 60, "Line": 40}
    for layout in TABLE_SHEETS:
        sheet = book.create_sheet(layout.name)
        sheet.append([c.header for c in layout.columns])
        for values in tables.get(layout.name, ()):
            sheet.append(list(values))
        sheet.freeze_panes = "A2"
        for index, column in enumerate(layout.columns):
            letter = chr(ord("A") + index)
            sheet.column_dimensions[letter].width = widths.get(column.header, 16)
            for cell in sheet[letter][1:]:
                cell.alignment = wrap
                if column.header in ("Start", "Due"):
                    cell.number_format = "dd/mm/yyyy"
    for sheet in [paper, *book.worksheets[1:]]:
        for cell in sheet[1]:
            cell.font = bold
            cell.fill = header_fill

    help_sheet = book.create_sheet("Help")
    for line in _INSTRUCTIONS:
        help_sheet.append([line])
    help_sheet.append([])
    help_sheet.append(["The sections of a highlight report"])
    first = help_sheet.max_row + 1
    for title in SECTION_TITLES:
        help_sheet.append([title])
    help_sheet["A1"].font = Font(bold=True, size=14)
    help_sheet.column_dimensions["A"].width = 90

    last = 500  # dropdowns cover far more rows than a paper needs
    # Excel caps a typed-in list at 255 characters, so the titles come from the Help sheet.
    titles = f"Help!$A${first}:$A${first + len(SECTION_TITLES) - 1}"
    _choices(book[SECTIONS.name], DataValidation, f"A2:A{last}", titles)
    _choices(book[SECTIONS.name], DataValidation, f"B2:B{last}", [s.value for s in ParagraphStyle])
    _choices(book[PLAN.name], DataValidation, f"C2:C{last}", [s.value for s in Scope])
    _choices(book[PLAN.name], DataValidation, f"F2:F{last}", [s.value for s in MilestoneStatus])
    scores = ["1", "2", "3", "4"]
    _choices(book[RISKS.name], DataValidation, f"B2:C{last}", scores)
    book.save(path)


def _choices(sheet: Any, validation: Any, cells: str, values: list[str] | str) -> None:
    """A dropdown of allowed values; typing something else is still possible, and is checked."""
    source = values if isinstance(values, str) else '"' + ",".join(values) + '"'
    rule = validation(type="list", formula1=source, allow_blank=True)
    rule.showErrorMessage = False
    sheet.add_data_validation(rule)
    rule.add(cells)
