"""Validate stage: raw workbook records become a Paper, or every problem is reported at once.

Pydantic reports failures by field; this module turns each into the workbook's own terms, the
sheet and cell a manager can click on, and adds the warnings a board would want looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from boardpack.errors import InvalidWorkbook, Problem
from boardpack.paper.models import BudgetLine, Paper, headline_score, models_for
from boardpack.paper.page import A4, ChartParts, PageArea, chart_parts
from boardpack.paper.profile import Profile
from boardpack.text import without_controls
from boardpack.workbook.layout import TableSheet, WorkbookLayout, layout_for
from boardpack.workbook.read import RawWorkbook, Record, read_workbook

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class CheckedPaper:
    """A valid paper, where it came from, and what a manager should look at before the board."""

    source: Path
    paper: Paper
    warnings: tuple[Problem, ...]
    source_sha256: str  # of the workbook as read: what the paper was built from
    # Where each risk and milestone was typed ("risks" and "plan": a row's cells, in order).
    places: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The plan cut into charts for the page it was checked for: the render draws these parts.
    chart: ChartParts | None = None


def load_paper(
    path: Path | str, area: PageArea = A4, profile: Profile | None = None
) -> CheckedPaper:
    """Read and validate one workbook; raise InvalidWorkbook listing every problem found.

    `profile` is the paper's shape (the default profile unless told; a workbook's own Profile
    row overrides it). `area` is the page of the template the paper will be rendered with (the
    bundled A4 one unless told), for the warning that its Gantt chart is split."""
    path = Path(path)
    return validate(read_workbook(path, profile), path, area)


def validate(raw: RawWorkbook, source: Path, area: PageArea = A4) -> CheckedPaper:
    """Turn what was read from a workbook into a Paper, reporting all problems at once."""
    problems = list(raw.problems)
    warnings = list(raw.warnings)
    check = _Checker(problems, warnings)
    profile = raw.profile
    layout = layout_for(profile)
    models = models_for(profile)

    details = check.model(models.details, raw.details, _labels_of_paper_sheet(layout))

    def table(key: str, model: type[Model]) -> list[Model]:
        sheet = layout.sheet(key)
        if sheet is None:
            return []
        return check.table(model, raw.tables.get(key, []), sheet)

    paragraphs = table("sections", models.paragraph)
    milestones = table("plan", models.milestone)
    budget = table("budget", BudgetLine)
    risks = table("risks", models.risk) if models.risk is not None else []
    tables = tuple((key, tuple(table(key, model))) for key, model in models.tables.items())

    sections_sheet = layout.sheet("sections")
    if sections_sheet is not None and "sections" in raw.tables:
        problems.extend(_required_sections(profile, paragraphs, sections_sheet))
    if problems or details is None:
        raise InvalidWorkbook(raw.source, raw.in_order(problems), tuple(raw.in_order(warnings)))

    paper = Paper(
        profile=profile,
        details=details,
        paragraphs=tuple(paragraphs),
        milestones=tuple(milestones),
        budget=tuple(budget),
        risks=tuple(risks),
        tables=tables,
    )
    warnings.extend(_board_warnings(paper, raw, layout))
    chart = chart_parts(paper.milestones, area, profile.plan) if profile.plan else None
    warnings.extend(_layout_warnings(paper, chart, layout))
    places = {key: tuple(r.where for r in raw.tables.get(key, [])) for key in ("risks", "plan")}
    return CheckedPaper(source, paper, tuple(raw.in_order(warnings)), raw.sha256, places, chart)


def _required_sections(profile: Profile, paragraphs: list[Any], sheet: TableSheet) -> list[Problem]:
    """A problem for each section the profile requires that has no text."""
    problems = []
    given = {p.section for p in paragraphs}
    numbers = {s.key: n for n, s in enumerate((s for s in profile.sections if s.numbered), 1)}
    for section in profile.sections:
        if not section.required or section.key in given:
            continue
        title = section.title
        number = numbers.get(section.key)
        named = f"section {number} ({title})" if number else f"section '{title}'"
        row = str(number) if number else f"'{title}'"
        problems.append(
            Problem(
                sheet.name,
                f"{named} has no text; every paper needs {_article(title)} {title.lower()}:"
                f" add a row with Section {row}",
            )
        )
    return problems


def _article(text: str) -> str:
    return "an" if text[:1].lower() in "aeiou" else "a"


def _labels_of_paper_sheet(layout: WorkbookLayout) -> dict[str, str]:
    return {f.field: f.label.lower() for f in layout.paper_fields}


def _labels_of(sheet: TableSheet) -> dict[str, str]:
    """Column headers as they read mid-sentence: 'likelihood', 'original', but 'LxI'."""
    names = {c.field: c.header.split(" (")[0] for c in sheet.columns}
    return {f: n if n == "LxI" or n.isupper() else n.lower() for f, n in names.items()}


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
                if error["type"] in ("missing", "required"):
                    message = "is required but the cell is empty"
                elif name in fields and record.values.get(name) is None:
                    message = _empty(error)
                self.problems.append(Problem(where, f"{label} {message}".strip()))
            return None

    def _without_control(self, value: Any, where: str) -> Any:
        if not isinstance(value, str):
            return value
        cleaned, warning = without_controls(value)
        if warning is not None:
            self.warnings.append(Problem(where, warning))
        return cleaned


def _empty(error: Any) -> str:
    """What a manager reads of an empty cell that needs a value: that it is empty, then what
    to type, not the model's "(got None)"."""
    message = str(error["msg"])
    shown = f" (got {(error.get('ctx') or {}).get('got')})"
    if not message.endswith(shown):
        return message  # a message of its own about the empty cell
    return f"is empty; it {message.removesuffix(shown)}"


def _board_warnings(paper: Paper, raw: RawWorkbook, layout: WorkbookLayout) -> list[Problem]:
    """Things that are valid but that a board would question."""
    warnings = []
    profile = paper.profile
    report_date = paper.details.report_date
    plan = profile.plan
    done = {s.name for s in plan.states if s.done} if plan is not None else set()
    explain = "explain the delay"
    numbered = [s.key for s in profile.sections if s.numbered]
    progress = next((s for s in profile.sections if s.key == "progress"), None)
    if progress is not None:
        where = (
            f"section {numbered.index(progress.key) + 1}"
            if progress.key in numbered
            else f"'{progress.title}'"
        )
        explain = f"explain the delay in {where}"
    for milestone, record in zip(paper.milestones, raw.tables.get("plan", []), strict=True):
        if report_date is None:  # a profile with a plan has one (Profile._consistent)
            break
        if milestone.due < report_date and milestone.status not in done:
            warnings.append(
                Problem(
                    record.cells["due"],
                    f"'{_short(milestone.label or milestone.text)}' was due"
                    f" {milestone.due:%d/%m/%Y}, before the report date {report_date:%d/%m/%Y},"
                    f" and is {milestone.status.lower()}; mark it {_either(done)} or {explain}",
                )
            )
    scheme = profile.risk
    if scheme is not None and scheme.action_column is not None:
        action = next(c for c in scheme.columns if c.key == scheme.action_column)
        for risk, record in zip(paper.risks, raw.tables.get("risks", []), strict=True):
            score = headline_score(paper, risk)
            if score is None or not scheme.needs_action(score):
                continue
            if not risk.value(scheme.action_column):
                band = scheme.band(score)
                what = risk.value(scheme.text_column) or ""
                warnings.append(
                    Problem(
                        record.cells.get(scheme.action_column, record.where),
                        f"risk '{_short(str(what))}' scores {score} ({band.name}) but has no"
                        f" {action.header.lower()}; say how it is being mitigated",
                    )
                )
    sheets = {s.key: s.name for s in layout.tables}
    if "risks" in sheets and not paper.risks:
        warnings.append(Problem(sheets["risks"], "no risks are listed; the register will be empty"))
    if "plan" in sheets and not paper.milestones:
        warnings.append(
            Problem(sheets["plan"], "no milestones are listed; the Gantt chart will be empty")
        )
    return warnings


def _either(names: set[str]) -> str:
    ordered = sorted(names)
    return " or ".join(ordered) if ordered else "done"


def _layout_warnings(
    paper: Paper, parts: ChartParts | None, layout: WorkbookLayout
) -> list[Problem]:
    """What will not be laid out as a reader might expect: a chart too long for one page."""
    if parts is None or len(parts) == 1:
        return []
    sheet = layout.sheet("plan")
    return [
        Problem(
            sheet.name if sheet else "Plan",
            f"the plan's {len(paper.milestones)} milestones do not fit one page, so the Gantt"
            f" chart is split into {len(parts)} parts, each with its month axis and key, one"
            " after another; shorten the plan if the board should see it whole",
        )
    ]


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
