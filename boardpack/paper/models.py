"""The paper as data: frozen Pydantic models that are the contract between the workbook and Word.

The models know neither openpyxl nor docxtpl. Their messages are written for a project manager:
each reads as the tail of `Sheet!Cell: <field> <message>`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    create_model,
    field_validator,
)
from pydantic_core import PydanticCustomError

from boardpack.paper.profile import (
    Axis,
    Block,
    Column,
    ColumnType,
    FieldType,
    HeaderField,
    Profile,
    RiskScheme,
    Role,
    Scoring,
    StatusScheme,
    StatusWord,
)

MAX_TEXT = 4000  # a long paragraph is ~1,000 characters; beyond this it is a paste gone wrong
MAX_SHORT_TEXT = 200

_UK_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def __reduce__(self) -> Any:
        # A model `models_for` made for a profile cannot be found by name in another process,
        # so it is pickled as its profile, its part and its values (the render workers get
        # papers this way), and made again there from the profile.
        shape = _SHAPES.get(type(self))
        if shape is None:
            return super().__reduce__()
        return (_remake, (shape, self.__dict__.copy()))


# A profile's models, each with (its profile, the part it is of, a table's key).
_SHAPES: dict[type, tuple[Any, str, str]] = {}


def _remake(shape: tuple[Any, str, str], values: dict[str, Any]) -> Any:
    profile, part, key = shape
    models = models_for(profile)
    model: Any = {
        "details": models.details,
        "paragraph": models.paragraph,
        "milestone": models.milestone,
        "risk": models.risk,
    }.get(part) or models.tables[key]
    return model.model_construct(**values)


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
Date = Annotated[dt.date, BeforeValidator(parse_date)]
# Stated outright: pydantic's own schema for Decimal changes between its releases.
Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string"}], "description": "pounds, e.g. 30000"}
    ),
]


class ParagraphStyle(StrEnum):
    """How a row of the Sections sheet is laid out in the paper."""

    PARAGRAPH = "Paragraph"
    NUMBERED = "Numbered"
    BULLET = "Bullet"
    SUB_HEADING = "Sub-heading"


# -- the parts every profile's paper has --------------------------------------------------------
# A profile decides the rest: the classes below are the bases of the models `models_for` makes
# for it, so code that reads a paper sees the same attributes whatever the board.


class Details(_Frozen):
    """The paper's header facts. Every profile has a project; its other fields are added to
    the model `models_for` makes, under the keys the profile gives them, and `board`,
    `meeting_date` and `report_date` read the fields that play those roles (None when the
    profile has no such field, or it is blank)."""

    project: ShortText

    if TYPE_CHECKING:  # made for each profile by `_details_model`
        board: str | None
        meeting_date: dt.date | None
        report_date: dt.date | None

    def value(self, key: str) -> Any:
        """The value of the header field `key`, None when blank or not in this profile."""
        return getattr(self, key, None)


class Paragraph(_Frozen):
    """A paragraph of a section: plain, auto-numbered (2.1), bullet or sub-heading."""

    section: str  # the profile's key of the section; the workbook gives its number or title
    style: Annotated[ParagraphStyle, BeforeValidator(_choice(ParagraphStyle))] = (
        ParagraphStyle.PARAGRAPH
    )
    text: Text


class Milestone(_Frozen):
    """A plan item: a bar in the Gantt chart when it has a start date, a diamond when it has not.

    Its scope and status are the names the profile's plan gives them, as the profile spells
    them, whatever the case they were typed in."""

    text: Text
    label: ShortText | None = None
    scope: str
    start: Date | None = None
    due: Date
    status: str

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
    """A row of the optional budget table, in pounds."""

    line: ShortText
    original: Money
    revised: Money | None = None
    spent: Money | None = None


class Row(_Frozen):
    """A row of the risk register or of a declared table: one attribute per profile column."""

    def value(self, key: str) -> Any:
        return getattr(self, key, None)


class Risk(Row):
    """A row of the risk register. Its likelihoods are levels of the profile's axes; a score
    left blank is worked out, and one typed must agree with its likelihood and impact."""


class Paper(_Frozen):
    """Everything one paper says, and the profile that gives it its shape."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    profile: Profile
    details: Details
    paragraphs: tuple[Paragraph, ...]
    milestones: tuple[Milestone, ...] = ()
    budget: tuple[BudgetLine, ...] = ()
    risks: tuple[Risk, ...] = ()
    tables: tuple[tuple[str, tuple[Row, ...]], ...] = ()  # (table key, rows), profile order

    def table(self, key: str) -> tuple[Row, ...]:
        return next((rows for k, rows in self.tables if k == key), ())

    @property
    def status(self) -> StatusWord | None:
        """The paper's overall status word, when its profile has a status field and it is set."""
        scheme = self.profile.status
        field = next((f for f in self.profile.header if f.type is FieldType.STATUS), None)
        if scheme is None or field is None:
            return None
        value = self.details.value(field.key)
        return scheme.word(value) if value else None


# -- the models a profile makes -----------------------------------------------------------------


@dataclass(frozen=True)
class PaperModels:
    """The Pydantic models of one profile's workbook: each validates one record of its sheet."""

    details: type[Details]
    paragraph: type[Paragraph]
    milestone: type[Milestone]
    risk: type[Risk] | None
    tables: dict[str, type[Row]]


@lru_cache(maxsize=16)
def models_for(profile: Profile) -> PaperModels:
    """The models that validate a workbook of `profile`'s shape (made once per profile)."""
    models = PaperModels(
        details=_details_model(profile),
        paragraph=_paragraph_model(profile),
        milestone=_milestone_model(profile),
        risk=_risk_model(profile.risk, profile.status) if profile.risk else None,
        tables={
            t.key: _row_model(f"Table_{t.key}", t.columns, profile.status) for t in profile.tables
        },
    )
    for part in ("details", "paragraph", "milestone", "risk"):
        model = getattr(models, part)
        if model is not None and model not in (Milestone,):
            _SHAPES[model] = (profile, part, "")
    for key, model in models.tables.items():
        _SHAPES[model] = (profile, "table", key)
    return models


def _details_model(profile: Profile) -> type[Details]:
    fields: dict[str, Any] = {}
    for field in profile.header:
        kind = _header_type(field, profile.status)
        if field.key == "project" and field.type is FieldType.TEXT:
            continue  # the base's own field, as it is typed there
        fields[field.key] = (kind, ...) if field.required else (kind | None, None)
    model = create_model("Details", __base__=Details, **fields)
    for role in Role:
        played = profile.field_for(role)
        if played is None or played.key != role.value:
            # Read through the field that plays the role, or None: nothing is invented.
            setattr(model, role.value, _role_reader(played.key if played else None))
    return model


def _role_reader(key: str | None) -> property:
    return property(lambda details: None if key is None else getattr(details, key, None))


def _header_type(field: HeaderField, status: StatusScheme | None) -> Any:
    if field.type is FieldType.DATE:
        return Date
    if field.type is FieldType.MONTH:
        return Month
    if field.type is FieldType.STATUS and status is not None:
        return Annotated[str, BeforeValidator(_one_of([w.name for w in status.words]))]
    return ShortText


def _paragraph_model(profile: Profile) -> type[Paragraph]:
    numbered = [s for s in profile.sections if s.numbered]
    by_title = {" ".join(s.title.split()).casefold(): s.key for s in profile.sections}
    by_title.update({s.key: s.key for s in profile.sections})
    every_one_numbered = len(numbered) == len(profile.sections)

    def section(value: Any) -> str:
        # "2. Project vision/objectives" or 2: the number is what counts; else the title.
        number = value
        if isinstance(value, str) and (match := re.match(r"\s*(\d+)", value)):
            number = match.group(1)
        try:
            position = _whole_number(1, len(numbered))(number)
        except PydanticCustomError:
            if isinstance(value, str):
                key = by_title.get(" ".join(value.split()).casefold())
                if key is not None:
                    return key
            if every_one_numbered:
                raise
            if not numbered:
                raise PydanticCustomError(
                    "section",
                    "must be a section's title, e.g. '{title}' (got {got})",
                    {"title": profile.sections[0].title, "got": _got(value)},
                ) from None
            raise PydanticCustomError(
                "section",
                "must be a section's number (1 to {count}) or its title, e.g. '{title}'"
                " (got {got})",
                {"count": len(numbered), "title": profile.sections[0].title, "got": _got(value)},
            ) from None
        return numbered[position - 1].key

    return create_model(
        "Paragraph",
        __base__=Paragraph,
        section=(Annotated[str, BeforeValidator(section)], ...),
    )


def _milestone_model(profile: Profile) -> type[Milestone]:
    plan = profile.plan
    if plan is None:
        return Milestone
    scopes = [s.name for s in plan.scopes]
    states = [s.name for s in plan.states]
    return create_model(
        "Milestone",
        __base__=Milestone,
        scope=(Annotated[str, BeforeValidator(_one_of(scopes, first_word=True))], ...),
        status=(Annotated[str, BeforeValidator(_one_of(states, first_word=True))], ...),
    )


def _one_of(names: list[str], *, first_word: bool = False) -> Any:
    """A validator giving the name among `names` that a cell's text means, as it is spelt
    there; with `first_word`, "Within" is as clear as "Within project"."""

    def check(value: Any) -> str:
        if isinstance(value, str):
            wanted = " ".join(value.replace("-", " ").split()).casefold()
            for name in names:
                words = name.replace("-", " ").casefold().split()
                if wanted == " ".join(words) or (first_word and wanted == words[0]):
                    return name
        raise PydanticCustomError(
            "choice",
            "must be one of: {allowed} (got {got})",
            {"allowed": ", ".join(names), "got": _got(value)},
        )

    return check


def _risk_model(scheme: RiskScheme, status: StatusScheme | None) -> type[Risk]:
    model = _row_model("Risk", scheme.columns, status, scheme=scheme, base=Risk)
    return cast(type[Risk], model)


def _row_model(
    name: str,
    columns: tuple[Column, ...],
    status: StatusScheme | None,
    *,
    scheme: RiskScheme | None = None,
    base: type[Row] = Row,
) -> type[Row]:
    # Scores come last, so that their likelihood and impact are validated before them.
    ordered = sorted(columns, key=lambda c: c.type is ColumnType.SCORE)
    fields: dict[str, Any] = {}
    validators: dict[str, Any] = {}
    for column in ordered:
        kind = _column_type(column, status, scheme)
        if column.type is ColumnType.SCORE and scheme is not None:
            fields[column.key] = (int | str | None, Field(default=None, validate_default=True))
            validators[f"_score_{column.key}"] = field_validator(column.key, mode="before")(
                _score_check(column, scheme, columns)
            )
        elif column.required:
            fields[column.key] = (kind, ...)
        else:
            fields[column.key] = (kind | None, None)
    return create_model(name, __base__=base, __validators__=validators, **fields)


def _column_type(column: Column, status: StatusScheme | None, scheme: RiskScheme | None) -> Any:
    kinds: dict[ColumnType, Any] = {
        ColumnType.TEXT: Text,
        ColumnType.SHORT_TEXT: ShortText,
        ColumnType.DATE: Date,
        ColumnType.NUMBER: Annotated[Decimal, BeforeValidator(_number)],
        ColumnType.MONEY: Money,
        ColumnType.TREND: Annotated[
            str, BeforeValidator(_one_of(list(column.choices) or list(TRENDS)))
        ],
    }
    if column.type in kinds:
        return kinds[column.type]
    if column.type is ColumnType.CHOICE:
        return Annotated[str, BeforeValidator(_one_of(list(column.choices)))]
    if column.type is ColumnType.STATUS and status is not None:
        return Annotated[str, BeforeValidator(_one_of([w.name for w in status.words]))]
    if column.type in _LEVELS and scheme is not None:
        return Annotated[int | str, BeforeValidator(_level_of(scheme.axis(column.type)))]
    return Text


_LEVELS = (ColumnType.LIKELIHOOD, ColumnType.IMPACT, ColumnType.RATING)

# A trend column's words, each with the arrow printed before it (a new risk has none); the
# history's trends (changes.py) are printed the same way.
TRENDS = {"Up": "\u2191", "Down": "\u2193", "Same": "\u2192", "New": ""}


def trend_text(word: str) -> str:
    """A trend as printed: "\u2191 Up", "New"; the word's case is kept. A board's own words
    (a trend column's `choices`: Improving, Stable) are printed as they are."""
    return f"{TRENDS.get(word.capitalize(), '')} {word}".strip()


def _number(value: Any) -> Decimal:
    if isinstance(value, str):
        value = value.strip().replace(",", "")
    try:
        number = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise PydanticCustomError("number", "must be a number (got {got})", {"got": _got(value)})
    return number


def _level_of(axis: Axis) -> Any:
    """A validator for a level of `axis`: a whole number when its levels are 1, 2, 3 ..., else
    the level's value as the profile spells it (C, High)."""
    values = [level.value for level in axis.levels]
    numeric = values == [str(n) for n in range(1, len(values) + 1)]

    def check(value: Any) -> int | str:
        if numeric:
            return _whole_number(1, len(values))(value)
        text = str(value).strip() if isinstance(value, str | int) else ""
        rank = axis.rank(text) if text else None
        if rank is None:
            raise PydanticCustomError(
                "level",
                "must be one of: {allowed} (got {got})",
                {"allowed": ", ".join(values), "got": _got(value)},
            )
        return values[rank - 1]

    return check


def _score_check(column: Column, scheme: RiskScheme, columns: tuple[Column, ...]) -> Any:
    def axis_column(kind: ColumnType) -> Column:
        return next(c for c in columns if c.type is kind and c.assessment == column.assessment)

    likely, impact = axis_column(ColumnType.LIKELIHOOD), axis_column(ColumnType.IMPACT)
    possible = {str(s).upper() for s in scheme.possible_scores()}

    def check(given: Any, info: ValidationInfo) -> Any:
        l_value, i_value = info.data.get(likely.key), info.data.get(impact.key)
        if l_value is None or i_value is None:
            # A bad or blank level is reported on its own cell; the score cannot be checked.
            if given is None:
                return None
            return given if str(given).strip().upper() in possible else None
        score = scheme.score(str(l_value), str(i_value))
        if given is None or _same_score(given, score):
            return score
        if scheme.scoring is Scoring.PRODUCT:
            rule = (
                f"must equal {_mid(likely.header)} x {_mid(impact.header)}"
                f" ({l_value} x {i_value} = {score})"
            )
        else:
            rule = f"must be {score}, the score of {l_value} and {i_value}"
        raise PydanticCustomError(
            "score",
            "{rule}, got {got}; correct it or leave it blank to have it worked out",
            {"rule": rule, "got": _got(given)},
        )

    return check


def _same_score(given: Any, score: int | str) -> bool:
    if isinstance(score, int):
        try:
            return _whole_number(score, score)(given) == score
        except PydanticCustomError:
            return False
    return isinstance(given, str) and given.strip().upper() == score


def _mid(header: str) -> str:
    """A column header as it reads mid-sentence: 'likelihood', but 'LxI'."""
    name = header.split(" (")[0]
    return name if name.isupper() or name == "LxI" else name.lower()


_MONTH = re.compile(r"^\s*([A-Za-z]+)\.?\s+(\d{4})\s*$")
_NUMERIC_MONTH = re.compile(r"^\s*(\d{1,2})/(\d{4})\s*$|^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(value: Any) -> dt.date:
    """The first day of a month from a date, "September 2009", "Sept 2009", "09/2009" or
    "2009-09"."""
    if isinstance(value, dt.datetime | dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        return day.replace(day=1)
    if isinstance(value, str):
        if match := _MONTH.match(value):
            name = match.group(1).casefold()
            for number, month in enumerate(MONTH_NAMES, start=1):
                if len(name) >= 3 and month.casefold().startswith(name):
                    return dt.date(int(match.group(2)), number, 1)
        elif match := _NUMERIC_MONTH.match(value):
            month_text, year_text = (
                (match.group(1), match.group(2))
                if match.group(1)
                else (match.group(4), match.group(3))
            )
            if 1 <= int(month_text) <= 12:
                return dt.date(int(year_text), int(month_text), 1)
    raise PydanticCustomError(
        "month",
        "must be a month, typed as September 2009 or 09/2009 (got {got})",
        {"got": _got(value)},
    )


Month = Annotated[dt.date, BeforeValidator(parse_month)]

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def headline_score(paper: Paper, risk: Any) -> int | str | None:
    """A risk's score by the assessment its register is ranked by (worked out when its score
    column is not in the profile)."""
    scheme = paper.profile.risk
    if scheme is None or not scheme.scored:
        return None
    assessment = scheme.headline_assessment
    column = scheme.score_column(assessment)
    if column is not None:
        return risk.value(column.key)
    likely = risk.value(scheme.axis_column(ColumnType.LIKELIHOOD, assessment).key)
    impact = risk.value(scheme.axis_column(ColumnType.IMPACT, assessment).key)
    if likely is None or impact is None:
        return None
    return scheme.score(str(likely), str(impact))


def json_schema(profile: Profile) -> dict[str, Any]:
    """The JSON Schema of a paper of `profile`: each sheet's records, as validated."""
    models = models_for(profile)
    properties: dict[str, Any] = {
        "details": models.details,
        "paragraphs": tuple[models.paragraph, ...],  # type: ignore[name-defined]
    }
    if profile.plan is not None:
        properties["milestones"] = tuple[models.milestone, ...]  # type: ignore[name-defined]
    if any(s.block is Block.BUDGET for s in profile.sections):
        properties["budget"] = tuple[BudgetLine, ...]
    if models.risk is not None:
        properties["risks"] = tuple[models.risk, ...]  # type: ignore[name-defined]
    for key, row in models.tables.items():
        properties[key] = tuple[row, ...]  # type: ignore[valid-type]
    fields: dict[str, Any] = {key: (kind, ...) for key, kind in properties.items()}
    whole = create_model("Paper", __base__=_Frozen, **fields)
    schema = whole.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"boardpack paper: {profile.name}"
    return schema
