"""The paper as data: frozen Pydantic models that are the contract between the workbook and Word.

The models know neither openpyxl nor docxtpl. Their messages are written for a project manager:
each reads as the tail of `Sheet!Cell: <field> <message>`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

MAX_TEXT = 4000  # a long paragraph is ~1,000 characters; beyond this it is a paste gone wrong
MAX_SHORT_TEXT = 200
SECTION_COUNT = 10

_UK_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _got(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _whole_number(low: int, high: int):
    def check(value: Any) -> int:
        number: Any = value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value.strip())
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            raise PydanticCustomError(
                "whole_number",
                "must be a whole number from {low} to {high} (got {got})",
                {"low": low, "high": high, "got": _got(value)},
            )
        return number

    return check


def _section_number(value: Any) -> int:
    # The Sections sheet may say "2. Project vision/objectives"; the number is what counts.
    if isinstance(value, str) and (match := re.match(r"\s*(\d+)", value)):
        value = match.group(1)
    return _whole_number(1, SECTION_COUNT)(value)


def parse_date(value: Any) -> dt.date:
    """A date from an Excel date cell, ISO text (2007-11-30) or UK text (30/11/2007)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            if match := _ISO_DATE.match(text):
                year, month, day = (int(g) for g in match.groups())
                _no_such_day(day, month, year, text)
        match = _UK_DATE.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                _no_such_day(day, month, year, f"{day:02d}/{month:02d}/{year}")
    raise PydanticCustomError(
        "date",
        "must be a date, typed as 30/11/2007 or 2007-11-30 or entered as an Excel date (got {got})",
        {"got": _got(value)},
    )


_MONTHS = "January February March April May June July August September October November December"


def _no_such_day(day: int, month: int, year: int, shown: str) -> None:
    """Say why a date typed as `shown` is no day of the calendar, when that can be said."""
    if not 1 <= month <= 12:
        why = f"there is no month {month}"
    elif year >= 1 and day >= 1:
        days = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        why = f"{_MONTHS.split()[month - 1]} has {days} days" + (
            f" in {year}" if month == 2 else ""
        )
    else:
        return  # day or year 0: said well enough by "must be a date"
    raise PydanticCustomError(
        "no_such_day", "{shown} is not a day: {why}; correct it", {"shown": shown, "why": why}
    )


def _money(value: Any) -> Decimal:
    if isinstance(value, str):
        value = value.strip().replace(",", "").removeprefix("£")
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        value = "not a number"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise PydanticCustomError(
            "money", "must be an amount in pounds, e.g. 30000 (got {got})", {"got": _got(value)}
        )
    return amount


def _text(limit: int):
    def check(value: Any) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise PydanticCustomError("required", "is required but the cell is empty", {})
        if not isinstance(value, str):
            value = str(value)
        if len(value) > limit:
            raise PydanticCustomError(
                "too_long",
                "is {length} characters long; the limit is {limit}. Shorten it or split it"
                " into several rows",
                {"length": len(value), "limit": limit},
            )
        return value

    return check


def _choice(enum: type[StrEnum]):
    def check(value: Any) -> StrEnum:
        if isinstance(value, str):
            wanted = " ".join(value.replace("-", " ").split()).casefold()
            for member in enum:
                words = member.value.replace("-", " ").casefold().split()
                # "Within" is as clear as "Within project"; accept the first word alone.
                if wanted in (" ".join(words), words[0]):
                    return member
        allowed = ", ".join(m.value for m in enum)
        raise PydanticCustomError(
            "choice",
            "must be one of: {allowed} (got {got})",
            {"allowed": allowed, "got": _got(value)},
        )

    return check


Text = Annotated[str, BeforeValidator(_text(MAX_TEXT)), Field(min_length=1, max_length=MAX_TEXT)]
ShortText = Annotated[
    str, BeforeValidator(_text(MAX_SHORT_TEXT)), Field(min_length=1, max_length=MAX_SHORT_TEXT)
]
Score = Annotated[int, BeforeValidator(_whole_number(1, 4)), Field(ge=1, le=4)]
Date = Annotated[dt.date, BeforeValidator(parse_date)]
# Stated outright: pydantic's own schema for Decimal changes between its releases.
Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string"}], "description": "pounds, e.g. 30000"}
    ),
]


class Rag(StrEnum):
    """Overall status of a project, as boards read it."""

    GREEN = "Green"
    AMBER = "Amber"
    RED = "Red"


class ParagraphStyle(StrEnum):
    """How a row of the Sections sheet is laid out in the paper."""

    PARAGRAPH = "Paragraph"
    NUMBERED = "Numbered"
    BULLET = "Bullet"
    SUB_HEADING = "Sub-heading"


class Scope(StrEnum):
    """Whether a milestone is delivered by the project itself or depends on work outside it."""

    WITHIN = "Within project"
    OUTSIDE = "Outside project"


class MilestoneStatus(StrEnum):
    """Progress of a plan item; colours its bar in the Gantt chart."""

    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    COMPLETE = "Complete"
    DELAYED = "Delayed"


class Details(_Frozen):
    """The paper's header facts: which project, who is responsible, which meeting."""

    project: ShortText
    sponsor: ShortText
    manager: ShortText
    board: ShortText
    meeting_date: Date
    report_date: Date
    status: Annotated[Rag, BeforeValidator(_choice(Rag))]


class Paragraph(_Frozen):
    """A paragraph of a numbered section: plain, auto-numbered (2.1), bullet or sub-heading."""

    section: Annotated[int, BeforeValidator(_section_number), Field(ge=1, le=SECTION_COUNT)]
    style: Annotated[ParagraphStyle, BeforeValidator(_choice(ParagraphStyle))] = (
        ParagraphStyle.PARAGRAPH
    )
    text: Text


class Milestone(_Frozen):
    """A plan item: a bar in the Gantt chart when it has a start date, a diamond when it has not."""

    text: Text
    label: ShortText | None = None
    scope: Annotated[Scope, BeforeValidator(_choice(Scope))]
    start: Date | None = None
    due: Date
    status: Annotated[MilestoneStatus, BeforeValidator(_choice(MilestoneStatus))]

    @field_validator("due")
    @classmethod
    def _due_not_before_start(cls, due: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and start > due:
            raise PydanticCustomError(
                "due_before_start",
                "date {due} is before the start date {start}; correct one of them",
                {"start": start.strftime("%d/%m/%Y"), "due": due.strftime("%d/%m/%Y")},
            )
        return due


class BudgetLine(_Frozen):
    """A row of the optional budget table in section 6, in pounds."""

    line: ShortText
    original: Money
    revised: Money | None = None
    spent: Money | None = None


class Risk(_Frozen):
    """A row of the risk register; LxI is likelihood times impact, computed when left blank."""

    event: Text
    likelihood: Score
    impact: Score
    lxi: Annotated[int, Field(ge=1, le=16, validate_default=True)] = None  # type: ignore[assignment]
    action: Text | None = None
    owner: ShortText | None = None

    @field_validator("lxi", mode="before")
    @classmethod
    def _lxi_is_likelihood_times_impact(cls, given: Any, info: ValidationInfo) -> Any:
        likelihood, impact = info.data.get("likelihood"), info.data.get("impact")
        if likelihood is None or impact is None:
            # A bad score is reported on its own cell; LxI cannot be checked without it.
            return given if _is_score(given, 16) else 1
        product = likelihood * impact
        if given is None or (_is_score(given, 16) and _whole_number(1, 16)(given) == product):
            return product
        raise PydanticCustomError(
            "lxi",
            "must equal likelihood x impact ({likelihood} x {impact} = {product}), got {got};"
            " correct it or leave it blank to have it worked out",
            {"likelihood": likelihood, "impact": impact, "product": product, "got": _got(given)},
        )


def _is_score(value: Any, high: int) -> bool:
    try:
        _whole_number(1, high)(value)
    except PydanticCustomError:
        return False
    return True


class Paper(_Frozen):
    """Everything one highlight report says."""

    details: Details
    paragraphs: tuple[Paragraph, ...]
    milestones: tuple[Milestone, ...]
    budget: tuple[BudgetLine, ...] = ()
    risks: tuple[Risk, ...]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a paper, as written to schemas/paper.schema.json."""
    schema = Paper.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "boardpack paper"
    return schema
