"""Validate stage: raw workbook records become a Paper, or every problem is reported at once.

Pydantic reports failures by field; this module turns each into the workbook's own terms, the
sheet and cell a manager can click on, and adds the warnings a board would want looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from boardpack.context import risk_band
from boardpack.errors import InvalidWorkbook, Problem
from boardpack.layout import BUDGET, PAPER_FIELDS, PLAN, RISKS, SECTIONS, TableSheet
from boardpack.models import (
    BudgetLine,
    Details,
    Milestone,
    MilestoneStatus,
    Paper,
    Paragraph,
    Risk,
)
from boardpack.page import A4, PageArea, chart_parts
from boardpack.read import RawWorkbook, Record, read_workbook
from boardpack.text import without_controls

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class CheckedPaper:
    """A valid paper, where it came from, and what a manager should look at before the board."""

    source: Path
    paper: Paper
    warnings: tuple[Problem, ...]
    source_sha256: str  # of the workbook as read: what the paper was built from


def load_paper(path: Path | str, area: PageArea = A4) -> CheckedPaper:
    """Read and validate one workbook; raise InvalidWorkbook listing every problem found.

    `area` is the page of the template the paper will be rendered with (the bundled A4 one
    unless told), for the warning that its Gantt chart is split."""
    path = Path(path)
    return validate(read_workbook(path), path, area)


def validate(raw: RawWorkbook, source: Path, area: PageArea = A4) -> CheckedPaper:
    """Turn what was read from a workbook into a Paper, reporting all problems at once."""
    problems = list(raw.problems)
    warnings = list(raw.warnings)
    check = _Checker(problems, warnings)

    details = check.model(Details, raw.details, _labels_of_paper_sheet())
    paragraphs = check.table(Paragraph, raw.tables.get(SECTIONS.name, []), SECTIONS)
    milestones = check.table(Milestone, raw.tables.get(PLAN.name, []), PLAN)
    budget = check.table(BudgetLine, raw.tables.get(BUDGET.name, []), BUDGET)
    risks = check.table(Risk, raw.tables.get(RISKS.name, []), RISKS)

    if SECTIONS.name in raw.tables and not any(p.section == 1 for p in paragraphs):
        problems.append(
            Problem(
                SECTIONS.name,
                "section 1 (Recommendation) has no text; every paper needs"
                " a recommendation: add a row with Section 1",
            )
        )
    if problems or details is None:
        raise InvalidWorkbook(raw.source, problems, tuple(warnings))

    paper = Paper(
        details=details,
        paragraphs=tuple(paragraphs),
        milestones=tuple(milestones),
        budget=tuple(budget),
        risks=tuple(risks),
    )
    warnings.extend(_board_warnings(paper, raw))
    warnings.extend(_layout_warnings(paper, area))
    return CheckedPaper(source, paper, tuple(warnings), raw.sha256)


def _labels_of_paper_sheet() -> dict[str, str]:
    return {f.field: f.label.lower() for f in PAPER_FIELDS}


def _labels_of(sheet: TableSheet) -> dict[str, str]:
    """Column headers as they read mid-sentence: 'likelihood', 'original', but 'LxI'."""
    names = {c.field: c.header.split(" (")[0] for c in sheet.columns}
    return {f: n if n == "LxI" else n.lower() for f, n in names.items()}


class _Checker:
    """Validates records into models, collecting problems and warnings with their cells."""

    def __init__(self, problems: list[Problem], warnings: list[Problem]) -> None:
        self.problems = problems
        self.warnings = warnings

    def table(self, model: type[Model], records: list[Record], sheet: TableSheet) -> list[Model]:
        labels = _labels_of(sheet)
        checked = (self.model(model, record, labels) for record in records)
        return [m for m in checked if m is not None]

    def model(self, model: type[Model], record: Record, labels: dict[str, str]) -> Model | None:
        # A blank optional cell takes the model's default: a blank Style is a Paragraph.
        fields = model.model_fields
        values = {
            name: self._without_control(value, record.cells.get(name, record.where))
            for name, value in record.values.items()
            if value is not None or name not in fields or fields[name].is_required()
        }
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                name = str(error["loc"][0]) if error["loc"] else None
                if name in record.reported:
                    continue  # the read stage has already said what is wrong with this cell
                where = record.cells.get(name, record.where) if name else record.where
                label = labels.get(name, name) if name else ""
                message = error["msg"]
                if error["type"] == "missing":
                    message = "is required but the cell is empty"
                self.problems.append(Problem(where, f"{label} {message}".strip()))
            return None

    def _without_control(self, value: Any, where: str) -> Any:
        if not isinstance(value, str):
            return value
        cleaned, warning = without_controls(value)
        if warning is not None:
            self.warnings.append(Problem(where, warning))
        return cleaned


def _board_warnings(paper: Paper, raw: RawWorkbook) -> list[Problem]:
    """Things that are valid but that a board would question."""
    warnings = []
    report_date = paper.details.report_date
    for milestone, record in zip(paper.milestones, raw.tables.get(PLAN.name, []), strict=True):
        if milestone.due < report_date and milestone.status is not MilestoneStatus.COMPLETE:
            warnings.append(
                Problem(
                    record.cells["due"],
                    f"'{_short(milestone.label or milestone.text)}' was due"
                    f" {milestone.due:%d/%m/%Y}, before the report date {report_date:%d/%m/%Y},"
                    f" and is {milestone.status.value.lower()}; mark it Complete or explain the"
                    " delay in section 3",
                )
            )
    for risk, record in zip(paper.risks, raw.tables.get(RISKS.name, []), strict=True):
        if risk_band(risk.lxi) == "high" and not risk.action:
            warnings.append(
                Problem(
                    record.cells.get("action", record.where),
                    f"risk '{_short(risk.event)}' scores {risk.lxi} (high) but has no action;"
                    " say how it is being mitigated",
                )
            )
    if not paper.risks:
        warnings.append(Problem(RISKS.name, "no risks are listed; the register will be empty"))
    if not paper.milestones:
        warnings.append(
            Problem(PLAN.name, "no milestones are listed; the Gantt chart will be empty")
        )
    return warnings


def _layout_warnings(paper: Paper, area: PageArea) -> list[Problem]:
    """What will not be laid out as a reader might expect: a chart too long for one page."""
    parts = chart_parts(paper.milestones, area)
    if len(parts) == 1:
        return []
    return [
        Problem(
            PLAN.name,
            f"the plan's {len(paper.milestones)} milestones do not fit one page, so the Gantt"
            f" chart is split into {len(parts)} parts, each with its month axis and key, one"
            " after another; shorten the plan if the board should see it whole",
        )
    ]


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
