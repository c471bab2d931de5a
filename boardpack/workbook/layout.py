"""The workbook's layout: which sheets a paper's workbook holds and what each column means.

Derived from the profile, and shared by the reader and by the writer of new workbooks, so the two
cannot drift apart. The README's workbook reference describes the bundled profile's sheets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from boardpack.paper.profile import Block, ColumnType, Profile


@dataclass(frozen=True)
class Column:
    """A column of a table sheet: its header as typed, the model field it fills, a hint."""

    header: str
    field: str
    required: bool
    hint: str
    choices: tuple[str, ...] = ()  # offered in a dropdown by the workbook writer
    meanings: tuple[str, ...] = ()  # each choice with what it means ("5 Almost certain")


@dataclass(frozen=True)
class TableSheet:
    """A sheet holding one record per row under a header row."""

    name: str
    columns: tuple[Column, ...]
    required: bool = True
    key: str = ""  # the paper's part it fills: sections, plan, budget, risks, or a table's key


@dataclass(frozen=True)
class FieldRow:
    """A row of the Paper sheet: a label in column A and its value in column B."""

    label: str
    field: str
    hint: str
    choices: tuple[str, ...] = ()


PAPER_SHEET = "Paper"
HELP_SHEET = "Help"
PROFILE_LABEL = "Profile"  # an optional Paper row naming the workbook's profile
SECTIONS_SHEET, PLAN_SHEET, BUDGET_SHEET, RISKS_SHEET = "Sections", "Plan", "Budget", "Risks"

BUDGET = TableSheet(
    BUDGET_SHEET,
    (
        Column("Line", "line", True, "What the money is for"),
        Column("Original (£)", "original", True, "Original allocation in pounds"),
        Column("Revised (£)", "revised", False, "Revised allocation in pounds (optional)"),
        Column("Spent (£)", "spent", False, "Spent to date in pounds (optional)"),
    ),
    required=False,
    key="budget",
)


@dataclass(frozen=True)
class WorkbookLayout:
    """A profile's workbook: the Paper sheet's rows and the table sheets, in order."""

    paper_fields: tuple[FieldRow, ...]
    tables: tuple[TableSheet, ...]

    @property
    def sheet_names(self) -> tuple[str, ...]:
        return (PAPER_SHEET, *(sheet.name for sheet in self.tables))

    def sheet(self, key: str) -> TableSheet | None:
        """The table sheet filling the paper's part `key` (sections, plan, budget, risks...)."""
        return next((s for s in self.tables if s.key == key), None)


@lru_cache(maxsize=16)
def layout_for(profile: Profile) -> WorkbookLayout:
    """The workbook of `profile`: its Paper rows, then Sections, Plan, Budget, Risks and the
    profile's declared tables, each only when a section carries it."""
    fields = tuple(
        FieldRow(
            f.label,
            f.key,
            f.hint,
            tuple(w.name for w in profile.status.words)
            if f.type == "status" and profile.status is not None
            else (),
        )
        for f in profile.header
    )
    blocks = {s.block for s in profile.sections}
    numbered = sum(s.numbered for s in profile.sections)
    if numbered == 0:  # a paper whose sections have no numbers names them by title
        section_hint = f"Section title, e.g. {profile.sections[0].title}"
    elif numbered == len(profile.sections):
        section_hint = f"Section number, 1-{numbered} (text after it is ignored)"
    else:
        section_hint = f"Section number (1-{numbered}) or title"
    tables = [
        TableSheet(
            SECTIONS_SHEET,
            (
                Column("Section", "section", True, section_hint),
                Column(
                    "Style",
                    "style",
                    False,
                    "Paragraph (default), Numbered, Bullet or Sub-heading",
                    ("Paragraph", "Numbered", "Bullet", "Sub-heading"),
                ),
                Column("Text", "text", True, "The paragraph as it should read"),
            ),
            key="sections",
        )
    ]
    if profile.plan is not None and Block.PLAN in blocks:
        scopes = tuple(s.name for s in profile.plan.scopes)
        states = tuple(s.name for s in profile.plan.states)
        plan_section = next(s for s in profile.sections if s.block is Block.PLAN)
        tables.append(
            TableSheet(
                PLAN_SHEET,
                (
                    Column(
                        "Milestone",
                        "text",
                        True,
                        f"The milestone as '{plan_section.title}' should state it",
                    ),
                    Column(
                        "Chart label", "label", False, "Short name for the Gantt chart (optional)"
                    ),
                    Column("Scope", "scope", True, _either(scopes), scopes),
                    Column(
                        "Start",
                        "start",
                        False,
                        "Start date; leave blank for a single-date milestone",
                    ),
                    Column("Due", "due", True, "Date it is due"),
                    Column("Status", "status", True, _either(states), states),
                ),
                key="plan",
            )
        )
    if Block.BUDGET in blocks:
        tables.append(BUDGET)
    if profile.risk is not None and Block.REGISTER in blocks:
        risk = profile.risk
        columns = []
        for column in risk.columns:
            choices: tuple[str, ...] = ()
            meanings: tuple[str, ...] = ()
            if column.type in (ColumnType.LIKELIHOOD, ColumnType.IMPACT, ColumnType.RATING):
                levels = risk.axis(column.type).levels
                choices = tuple(level.value for level in levels)
                meanings = tuple(" ".join(filter(None, (v.value, v.label))) for v in levels)
            elif column.type is ColumnType.CHOICE:
                choices = column.choices
            elif column.type is ColumnType.TREND:
                choices = column.choices or ("Up", "Down", "Same", "New")
            elif column.type is ColumnType.STATUS and profile.status is not None:
                choices = tuple(w.name for w in profile.status.words)
            columns.append(
                Column(
                    column.sheet_header, column.key, column.required, column.hint, choices, meanings
                )
            )
        tables.append(TableSheet(RISKS_SHEET, tuple(columns), key="risks"))
    for table in profile.tables:
        if not any(s.block is Block.TABLE and s.table == table.key for s in profile.sections):
            continue
        columns = [
            Column(
                c.sheet_header,
                c.key,
                c.required,
                c.hint,
                c.choices
                or (
                    tuple(w.name for w in profile.status.words)
                    if c.type is ColumnType.STATUS and profile.status is not None
                    else ()
                ),
            )
            for c in table.columns
        ]
        tables.append(TableSheet(table.sheet, tuple(columns), required=False, key=table.key))
    return WorkbookLayout(fields, tuple(tables))


def _either(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def normalise_header(text: str) -> str:
    """A header reduced to what matters: case, spacing and a trailing '(£)' don't."""
    text = text.split("(")[0] if "(" in text else text
    return " ".join(text.split()).casefold()
