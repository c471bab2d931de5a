"""The workbook's layout: which sheets a paper's workbook holds and what each column means.

Pure data, shared by the reader and by the tools that write example workbooks, so the two cannot
drift apart. The README's workbook reference describes the same sheets for people.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """A column of a table sheet: its header as printed, the model field it fills, a hint."""

    header: str
    field: str
    required: bool
    hint: str


@dataclass(frozen=True)
class TableSheet:
    """A sheet holding one record per row under a header row."""

    name: str
    columns: tuple[Column, ...]
    required: bool = True


@dataclass(frozen=True)
class FieldRow:
    """A row of the Paper sheet: a label in column A and its value in column B."""

    label: str
    field: str
    hint: str


PAPER_SHEET = "Paper"
PAPER_FIELDS = (
    FieldRow("Project name", "project", "As it should appear on the paper, e.g. Procurement"),
    FieldRow("Project sponsor", "sponsor", "Name of the sponsor"),
    FieldRow("Project manager", "manager", "Name of the manager; also the document's author"),
    FieldRow("Board", "board", "The board the paper goes to, e.g. Joint Improvement Board"),
    FieldRow("Meeting date", "meeting_date", "Date of the meeting, e.g. 24/01/2008"),
    FieldRow("Report date", "report_date", "Date the report is made up to, e.g. 14/01/2008"),
    FieldRow("Overall status", "status", "Green, Amber or Red"),
)

SECTIONS = TableSheet(
    "Sections",
    (
        Column("Section", "section", True, "Section number, 1-10 (text after it is ignored)"),
        Column("Style", "style", False, "Paragraph (default), Numbered, Bullet or Sub-heading"),
        Column("Text", "text", True, "The paragraph as it should read"),
    ),
)

PLAN = TableSheet(
    "Plan",
    (
        Column("Milestone", "text", True, "The milestone as section 4 should state it"),
        Column("Chart label", "label", False, "Short name for the Gantt chart (optional)"),
        Column("Scope", "scope", True, "Within project or Outside project"),
        Column("Start", "start", False, "Start date; leave blank for a single-date milestone"),
        Column("Due", "due", True, "Date it is due"),
        Column("Status", "status", True, "Not started, In progress, Complete or Delayed"),
    ),
)

BUDGET = TableSheet(
    "Budget",
    (
        Column("Line", "line", True, "What the money is for"),
        Column("Original (£)", "original", True, "Original allocation in pounds"),
        Column("Revised (£)", "revised", False, "Revised allocation in pounds (optional)"),
        Column("Spent (£)", "spent", False, "Spent to date in pounds (optional)"),
    ),
    required=False,
)

RISKS = TableSheet(
    "Risks",
    (
        Column("Event", "event", True, "The risk: what may or may not occur"),
        Column("Likelihood", "likelihood", True, "1 (unlikely) to 4 (very likely)"),
        Column("Impact", "impact", True, "1 (minor) to 4 (severe)"),
        Column("LxI", "lxi", False, "Likelihood x impact; leave blank to have it worked out"),
        Column("Action", "action", False, "What is being done to mitigate the risk"),
        Column("Owner", "owner", False, "Who owns the action (optional)"),
    ),
)

TABLE_SHEETS = (SECTIONS, PLAN, BUDGET, RISKS)
SHEET_NAMES = (PAPER_SHEET, *(sheet.name for sheet in TABLE_SHEETS))


def normalise_header(text: str) -> str:
    """A header reduced to what matters: case, spacing and a trailing '(£)' don't."""
    text = text.split("(")[0] if "(" in text else text
    return " ".join(text.split()).casefold()
