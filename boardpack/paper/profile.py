"""A board's report shape as data: a profile, read from TOML and frozen.

The profile says what a paper holds: the header fields, the status words and their colours, the
numbered sections and the block each carries (the plan and its chart, the budget, the risk
register, a declared table), and the risk scheme (axes, scoring, bands, assessments, register
columns). It is one value, so "where do I change the bands?" has one answer: the profile.

A profile is user input like a workbook: `load_profile` reads it strictly and reports every fault
at once, by its key and its line (`jib.toml:41 risk.bands[1].scores: ...`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from boardpack.errors import Problem, ProfileError
from boardpack.files import NotRegularFile, OutsideFolder, inside, open_regular

BUNDLED = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = "jib"
MAX_PROFILE_BYTES = 256 * 1024  # the bundled ones are ~5 KB; more is not a profile

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
# The names a paper's template values (paper/context.py) hold for the paper's own shape; a
# header field keyed like one would be hidden by it (each with what it holds, for the error).
TEMPLATE_NAMES = {
    "budget": "budget",
    "changes": "changes since the last paper",
    "changes_placed": "changes since the last paper",
    "footer_left": "running footer",
    "gantt_parts": "Gantt chart",
    "header": "header block",
    "header_board": "running header",
    "header_left": "running header",
    "header_project": "running header",
    "header_right": "running header",
    "highest_risk": "highest risk",
    "kind": "title",
    "plan": "plan",
    "register": "risk register",
    "register_title": "risk register",
    "risks": "risk register",
    "section_list": "sections",
    "sections": "sections",
    "status_colour": "status",
    "status_key": "status",
    "subtitle": "subtitle",
    "tables": "tables",
    "title": "title",
    "title_line": "title",
}
Label = Annotated[str, Field(min_length=1, max_length=200)]
_HEX = re.compile(r"^#?([0-9A-Fa-f]{6})$")


def _colour(value: Any) -> Any:
    # Colours are written as Word writes them, six hex digits; a leading # is forgiven.
    if isinstance(value, str) and (match := _HEX.match(value.strip())):
        return match.group(1).upper()
    raise ValueError(f"must be a colour of six hex digits, e.g. 00703C (got {value!r})")


Colour = Annotated[str, BeforeValidator(_colour)]
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_CODE_PART = re.compile(r"^(?:[A-Za-z]|[0-9]{1,2})$")  # a level in a code: C, 1, 10


class _Frozen(BaseModel):
    # A field's docstring is its description, read by key_descriptions for the Profile keys
    # reference. Not by pydantic's use_attribute_docstrings: that reads and parses this file's
    # source for every model at import, a sixth of the time `boardpack check` takes.
    model_config = ConfigDict(frozen=True, extra="forbid")


def key_descriptions(model: type[BaseModel]) -> dict[str, str]:
    """Each field of a profile model with its docstring (the string after it), by field name."""
    import ast
    import inspect
    import itertools
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(model)))
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    found: dict[str, str] = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[statement.target.id] = inspect.cleandoc(following.value.value)
    return found


class FieldType(StrEnum):
    """What a header field holds, and so how it is read and printed."""

    TEXT = "text"
    DATE = "date"  # 24/01/2008, printed 24 January 2008
    MONTH = "month"  # a month of a year: September 2009
    PERIOD = "period"  # free text naming a period: Q3 2024, Sept/Oct 2009
    ID = "id"  # a project number or code, printed as typed
    PERSON = "person"  # a name, optionally with role and contact after a comma
    STATUS = "status"  # one of the profile's status words


class Role(StrEnum):
    """What the meeting cycle, the pack and the archive read a header field for."""

    BOARD = "board"  # the board or committee the paper goes to: the pack's, the archive's
    MEETING_DATE = "meeting_date"  # the meeting it goes to: deadlines, the pack, history
    REPORT_DATE = "report_date"  # the date it is made up to: the chart's line, overdue items


# The types a field of each role may have: the cycle reads a board's name and a day.
_ROLE_TYPES = {
    Role.BOARD: (FieldType.TEXT,),
    Role.MEETING_DATE: (FieldType.DATE,),
    Role.REPORT_DATE: (FieldType.DATE, FieldType.MONTH),
}


class DateForm(StrEnum):
    """How a date field is printed: a small vocabulary, not a strftime pattern."""

    LONG = "long"  # 17 November 2011
    SHORT = "short"  # 17 Nov 2011
    DAY_MONTH_YEAR = "dd/mm/yyyy"  # 17/11/2011
    ISO = "yyyy-mm-dd"  # 2011-11-17
    MONTH = "month"  # November 2011
    QUARTER = "quarter"  # Q4 2011 (calendar quarters)
    YEAR = "year"  # 2011


def _date_form(value: Any) -> Any:
    # Said with the whole vocabulary, as pydantic's enum message is not written for a user.
    if isinstance(value, str) and value.strip().casefold() in {f.value for f in DateForm}:
        return value.strip().casefold()
    raise ValueError(
        f"must be one of: {', '.join(repr(f.value) for f in DateForm)} (got {value!r})"
    )


class HeaderField(_Frozen):
    """A row of the workbook's Paper sheet and its line in the paper's header block."""

    key: Key
    """Its name in templates (`{{ period }}`): lower case, digits and `_`"""
    label: Label  # as typed in column A of the Paper sheet
    """Column A of the workbook's Paper sheet"""
    printed: Label | None = None  # as the paper prints it; the label when not given
    """The label the paper prints"""
    type: FieldType = FieldType.TEXT
    """`text`, `date` (24/01/2008, printed 24 January 2008), `month` (September 2009), `period`
    (free text: Q3 2024), `id` (printed as typed), `person` (a name, then role and contact after
    commas), `status` (one of the status words)
    """
    required: bool = True
    """Whether a blank cell is an error"""
    shown: bool = True  # printed in the header block (board and meeting date go in the subtitle)
    """Whether the header block prints it (board and meeting date are in the subtitle)"""
    hint: str = ""
    """The Notes column of the workbook `new` writes"""
    # What the cycle reads it for; a field keyed board, meeting_date or report_date has that
    # role without saying so.
    role: Role | None = None
    """`board`, `meeting_date` (a `date`) or `report_date` (a `date` or `month`): what the pack,
    history and the meeting cycle read it for; a field keyed `board`, `meeting_date` or
    `report_date` plays that role. Each is optional: a paper without a board or meeting date prints
    none, is archived under the meeting its folder's boardpack.toml names (else not at all), and
    is not compared with earlier papers. A profile with a `[plan]` needs a required report date
    """
    format: Annotated[DateForm, BeforeValidator(_date_form)] | None = None  # of a date or month
    """How a date or month is printed: `long` (17 November 2011), `short` (17 Nov 2011),
    `dd/mm/yyyy` (17/11/2011), `yyyy-mm-dd`, `month` (November 2011), `quarter` (Q4 2011), `year`
    """

    @property
    def printed_label(self) -> str:
        return self.printed or self.label

    @property
    def role_played(self) -> Role | None:
        """Its role: the one it declares, else the one its key names, if any."""
        if self.role is not None:
            return self.role
        return Role(self.key) if self.key in {r.value for r in Role} else None

    @property
    def date_form(self) -> DateForm:
        """How it is printed when it is a date or a month."""
        if self.format is not None:
            return self.format
        return DateForm.MONTH if self.type is FieldType.MONTH else DateForm.LONG

    @model_validator(mode="after")
    def _fits(self) -> HeaderField:
        if self.key in TEMPLATE_NAMES:
            raise _located(
                f"{self.key!r} is a name the template gives the paper's own"
                f" {TEMPLATE_NAMES[self.key]}; key this field otherwise",
                "key",
            )
        if self.format is not None and self.type not in (FieldType.DATE, FieldType.MONTH):
            raise _located(
                f"format is for a date or month field; {self.key!r} has type {self.type.value!r}",
                "format",
            )
        by_day = (DateForm.MONTH, DateForm.QUARTER, DateForm.YEAR)
        if self.type is FieldType.MONTH and self.format is not None and self.format not in by_day:
            raise _located(
                f"a month field is printed as 'month', 'quarter' or 'year' (got"
                f" {self.format.value!r})",
                "format",
            )
        role = self.role_played
        if self.role is not None and self.key in {r.value for r in Role} and self.key != role:
            raise _located(
                f"the field keyed {self.key!r} plays that role; key this field otherwise",
                "role",
            )
        if role is not None and self.type not in _ROLE_TYPES[role]:
            allowed = " or ".join(repr(t.value) for t in _ROLE_TYPES[role])
            raise _located(
                f"a field with role {role.value!r} must have type {allowed} (got"
                f" {self.type.value!r})",
                "type" if self.role is None else "role",
            )
        return self


# What a frame line may ask for besides the header keys: the profile's title, and each role
# (filled from the field that plays it, blank when none does).
_FRAME_NAMES = ("title", *(r.value for r in Role))
FrameText = Annotated[str, Field(max_length=300)]


class Frame(_Frozen):
    """The lines around the paper's body, each a template of the paper's own header fields
    in {key} placeholders: its title, subtitle, running header and footer. A placeholder
    whose field is blank is left out with the comma or colon beside it; nothing is invented."""

    title: FrameText = "{project}: {title}"
    """The title line: `"{period}"`, `"PATHFINDER PROGRESS REPORT"`. `{key}` is a header field's
    printed value, `{title}` the profile's title, `{board}`, `{meeting_date}`, `{report_date}` the
    fields with those roles; nothing else is filled in. A blank field is left out with the comma or
    colon beside it
    """
    subtitle: FrameText = "{board}, {meeting_date}"
    """The line under the title; not printed when it comes out empty"""
    header: FrameText = "{project} {title}"  # the running header, at the left
    """The running header, left and right: one line, a long value shortened at a word with an
    ellipsis (whole in the title)
    """
    header_right: FrameText = "{board}, {meeting_date}"  # and at the right
    """The running header, left and right: one line, a long value shortened at a word with an
    ellipsis (whole in the title)
    """
    footer: FrameText = "{project} {title}, {report_date}"  # the running footer, before the page
    """The running footer before the page number: one line, shortened likewise"""


def _numbering(value: Any) -> Any:
    if value in ("A", "a", "1", "I", "i"):
        return value
    raise ValueError(
        f"must be 'A' (A, B, C), 'a', '1' (1, 2, 3), 'I' (I, II, III) or 'i' (got {value!r})"
    )


def _start(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 500:
        return value
    if isinstance(value, str) and len(value) == 1 and value.isascii() and value.isalpha():
        return value
    raise ValueError(f"must be a number from 1, e.g. 2, or one letter, e.g. 'J' (got {value!r})")


class Appendices(_Frozen):
    """How a cover report labels the appendices built after it: Appendix A, B; Appendix 2,
    3; Annex 1; Appendix J."""

    label: Label = "Appendix"
    """The word before each appendix's number: `Annex`"""
    numbering: Annotated[str, BeforeValidator(_numbering)] = "A"  # letters, numbers, roman
    """`A` (A, B ... Z, AA), `a`, `1`, `I` or `i` (roman)"""
    # The first one's number (2 for a cover whose Appendix 1 is elsewhere), or letter ("J").
    start: Annotated[int | str, BeforeValidator(_start)] = 1
    """The first appendix's number (`2` for Appendix 2, 3), or a letter (`"J"` for Appendix J)"""

    @model_validator(mode="after")
    def _start_fits(self) -> Appendices:
        if isinstance(self.start, str) and self.numbering not in ("A", "a"):
            raise _located(
                f"start is a letter ({self.start!r}) but numbering is {self.numbering!r};"
                " give a number, or numbering = 'A'",
                "start",
            )
        return self

    def label_of(self, index: int) -> str:
        """The label of the appendix at `index` (from 0): "Appendix B", "Annex 2"."""
        first = self.start if isinstance(self.start, int) else ord(self.start.upper()) - 64
        number = first + index
        if self.numbering == "1":
            mark = str(number)
        elif self.numbering in ("I", "i"):
            mark = _roman(number) if self.numbering == "I" else _roman(number).lower()
        else:
            mark = _letters(number - 1)
            mark = mark if self.numbering == "A" else mark.lower()
        return f"{self.label} {mark}"


def _letters(index: int) -> str:
    """A, B, ... Z, then AA, AB ... as committee papers letter them (from 0)."""
    if index < 26:
        return chr(65 + index)
    return _letters(index // 26 - 1) + chr(65 + index % 26)


def _roman(number: int) -> str:
    marks = (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    )  # fmt: skip
    text = ""
    for value, mark in marks:
        while number >= value:
            text, number = text + mark, number - value
    return text


class StatusWord(_Frozen):
    """One word of a status vocabulary: Green, Amber, Red, or a board's own."""

    name: Label
    """The word as typed (any case) and printed"""
    colour: Colour  # of the word printed as text: at least 4.5:1 against white
    """Its colour as text: at least 4.5:1 against white"""
    fill: Colour  # of a cell shaded with it, in the pack's summary
    """Its shading in a cell: the pack's summary, a status column"""
    meaning: str = ""
    """What it means, for the printed key"""


class StatusScheme(_Frozen):
    """The words a paper's overall status may take, least to most serious."""

    words: tuple[StatusWord, ...] = Field(min_length=1)
    """The status words, least to most serious: `{ name, colour, fill, meaning }` each"""
    print_key: bool = False  # print each word's meaning under the status
    """Whether the paper prints each word's meaning under its header"""

    @model_validator(mode="after")
    def _names_unique(self) -> StatusScheme:
        _require_unique((w.name.casefold() for w in self.words), "status word")
        return self

    def word(self, name: str) -> StatusWord | None:
        """The word matching `name`, ignoring case and spacing."""
        wanted = " ".join(name.split()).casefold()
        return next((w for w in self.words if w.name.casefold() == wanted), None)


class PageSize(StrEnum):
    """A sheet of paper a council prints on."""

    A4 = "A4"
    A3 = "A3"
    LETTER = "Letter"


class Orientation(StrEnum):
    """Which way up the page is."""

    PORTRAIT = "portrait"
    LANDSCAPE = "landscape"


# Width and height of each size upright, in centimetres.
PAGE_SIZES_CM = {
    PageSize.A4: (21.0, 29.7),
    PageSize.A3: (29.7, 42.0),
    PageSize.LETTER: (21.59, 27.94),
}


def _one_word_of(kind: type[StrEnum]) -> Any:
    # "a3", " Landscape ": the case and spacing a council types are forgiven; the message names
    # the words there are, not pydantic's "Input should be".
    def check(value: Any) -> Any:
        if isinstance(value, str):
            wanted = value.strip().casefold()
            for member in kind:
                if member.value.casefold() == wanted:
                    return member
        words = ", ".join(repr(m.value) for m in kind)
        raise ValueError(f"must be one of {words} (got {value!r})")

    return BeforeValidator(check)


class Page(_Frozen):
    """The sheet a paper, or one of its registers or tables, is printed on."""

    size: Annotated[PageSize, _one_word_of(PageSize)] | None = None  # else the template's
    """`A4`, `A3` or `Letter`"""
    orientation: Annotated[Orientation, _one_word_of(Orientation)] | None = None
    """`portrait` or `landscape`"""

    def over(self, base: Page | None) -> Page:
        """This page with what it leaves unsaid taken from `base` (the paper's)."""
        if base is None:
            return self
        return Page(size=self.size or base.size, orientation=self.orientation or base.orientation)


class Block(StrEnum):
    """What a section carries after its paragraphs."""

    PLAN = "plan"  # the milestones by scope and the Gantt chart
    BUDGET = "budget"
    REGISTER = "register"
    TABLE = "table"  # one of the profile's declared tables
    CHANGES = "changes"  # what changed since the last paper


class Section(_Frozen):
    """A section of the paper, in the order the profile lists them."""

    key: Key
    """Its name; the workbook's Sections sheet names a section by its number or title"""
    title: Label
    """Its heading"""
    numbered: bool = True
    """Whether it takes the next section number"""
    required: bool = False  # a paper without text here is refused
    """Whether a paper without text in it is refused"""
    empty: str = "None"  # printed when the section has no text and no block
    """What it prints when it has no text and no block"""
    omit_if_empty: bool = False  # leave the section out instead
    """Leave it out, heading and all, when it has nothing"""
    heading: bool = True  # print its title as a heading; false for a table standing alone
    """Whether its title is printed as a heading; `false` for a table standing alone. An unnumbered
    section numbers its Numbered paragraphs 1, 2, 3 itself
    """
    block: Block | None = None
    """What it carries after its text: `plan` (milestones and chart), `budget`, `register`, `table`,
    `changes` (what changed since the last paper)
    """
    table: Key | None = None  # the declared table, when block = "table"
    """The declared table's key, when `block = "table"`"""


def _level(value: Any) -> Any:
    # `levels = [1, 2, 3, 4]` and `levels = ["A", "B"]` are the short forms of {value = ...}.
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str):
        return {"value": str(value)}
    return value


class Level(_Frozen):
    """A level of a risk axis as the register writes it (1, C, High) and what it means."""

    value: Annotated[str, Field(min_length=1, max_length=20)]
    """As the register types it"""
    label: str = ""
    """What it means, for the workbook's dropdown hint"""


class Axis(_Frozen):
    """Likelihood or impact: its levels listed from least to most severe."""

    label: Label
    """Its name in messages and the register's header"""
    levels: tuple[Annotated[Level, BeforeValidator(_level)], ...] = Field(min_length=2)
    """Least to most severe: numbers (`[1, 2, 3, 4, 5]`), letters (`["F", "E", "D", "C", "B",
    "A"]`), words, or `{ value, label }` tables (`{ value = "5", label = "Almost certain" }`)
    """

    @model_validator(mode="after")
    def _values_unique(self) -> Axis:
        _require_unique((level.value.casefold() for level in self.levels), "level")
        return self

    def rank(self, value: str) -> int | None:
        """1 for the least severe level, up to len(levels); None when `value` is no level."""
        wanted = value.strip().casefold()
        for rank, level in enumerate(self.levels, start=1):
            if level.value.casefold() == wanted:
                return rank
        return None


class Scoring(StrEnum):
    """How a likelihood and an impact make a risk's score."""

    PRODUCT = "product"  # rank x rank: 1-4 x 1-4 gives 1-16
    MATRIX = "matrix"  # a score looked up in the profile's matrix
    CODE = "code"  # the two values side by side, e.g. C1; bands list the codes they cover
    NONE = "none"  # rated in words, no score: no score column, no bands, no key


class Band(_Frozen):
    """A band of risk scores: its name, its colour, and the scores or codes it covers."""

    name: Label
    """`low`, `red`: named by `action_from` and printed in the key"""
    colour: Colour  # the score cell's shading
    """The score cell's shading"""
    description: str = ""  # printed in the key after the name, e.g. "green"
    """Printed in the key after the name: `(green)`"""
    scores: tuple[int, int] | None = None  # lowest and highest score, for product and matrix
    """Lowest and highest score, for `product` and `matrix`"""
    codes: tuple[str, ...] | None = None  # for code scoring
    """The codes it covers, for `code`"""

    @model_validator(mode="after")
    def _range(self) -> Band:
        if self.scores is not None and self.scores[0] > self.scores[1]:
            raise ValueError(f"scores must go from low to high (got {list(self.scores)})")
        return self


class Assessment(_Frozen):
    """One scoring of every risk: current, or inherent, residual and target."""

    key: Key
    """Named by the columns that hold its likelihood, impact and score"""
    label: str = ""  # "" for a register with a single, current assessment
    """Its name in messages: Inherent, Residual"""


class ColumnType(StrEnum):
    """What a register or table column holds."""

    TEXT = "text"
    SHORT_TEXT = "short_text"
    DATE = "date"
    NUMBER = "number"
    MONEY = "money"
    CHOICE = "choice"
    STATUS = "status"  # one of the profile's status words
    LIKELIHOOD = "likelihood"  # of the column's assessment
    IMPACT = "impact"
    RATING = "rating"  # a rating in words of the column's assessment, with no score
    SCORE = "score"  # worked out when blank; must agree when typed
    TREND = "trend"  # up, down, same, new; or the column's own `choices`


class Column(_Frozen):
    """A column of the register or of a declared table: its workbook header and its cell."""

    key: Key
    """Its name in templates and in the profile"""
    header: Label
    """Its header in the workbook and on the paper"""
    type: ColumnType = ColumnType.TEXT
    """`text`, `short_text`, `date`, `number`, `money`, `choice`, `status` (a status word, shaded),
    `likelihood`, `impact`, `rating` (a level of `[risk.rating]`, for a register rated in words),
    `score` (worked out when blank, checked when typed, shaded by band), `trend` (up, down, same,
    new)
    """
    required: bool = False
    """Whether a blank cell is an error"""
    printed: bool = True
    """Whether the paper prints it (a level is often shown only through its score)"""
    assessment: Key | None = None  # for likelihood, impact and score columns
    """For `likelihood`, `impact`, `rating` and `score`: whose"""
    choices: tuple[str, ...] = ()  # for choice columns
    """For `choice`: the values allowed; for `trend`: the board's own trend words (`Improving`,
    `Stable`, `Worsening`), printed as typed
    """
    hint: str = ""
    """The workbook's Help sheet and the cell's input message"""
    descriptor: str = ""  # the register's second header row: "Which may or may not occur"
    """The register's second header row"""
    under: Key | None = None  # printed below that column's value ("Owner: ...") instead
    """Print it below that column's value, as `Cause: ...`, instead of in a column of its own"""
    width: Annotated[float, Field(gt=0, le=20)] | None = None  # its share of the table
    """Its share of the room the short columns leave (text 3; a short column given none is as wide
    as its longest value where there is room, else its longest word); every column is at least
    as wide as its longest word
    """
    # The first of two header rows: neighbouring columns of one group share a cell above
    # their own headers ("Impact" over "Inherent | Residual"); typed "Impact: Inherent" in
    # the workbook, so two groups may each have a column "Inherent".
    group: Label | None = None
    """The first of two header rows: neighbouring columns of one group share a cell above their own
    headers (`Impact` over `Inherent`, `Residual`); the workbook's header is `Impact: Inherent`, so
    two groups may each have an `Inherent`
    """
    date_form: Annotated[DateForm, _one_word_of(DateForm)] = DateForm.LONG
    """For `date`: `long` (17 November 2011), `short` (17/11/2011) or `month` (November 2011)"""

    @property
    def sheet_header(self) -> str:
        """Its header in the workbook: its group's name and its own, "Impact: Inherent"."""
        return f"{self.group}: {self.header}" if self.group else self.header

    @model_validator(mode="after")
    def _fits_its_type(self) -> Column:
        if self.choices and self.type not in (ColumnType.CHOICE, ColumnType.TREND):
            raise ValueError(f"choices are for choice and trend columns, not {self.type.value}")
        if "date_form" in self.model_fields_set and self.type is not ColumnType.DATE:
            raise ValueError("date_form is for date columns")
        return self

    @property
    def share(self) -> float:
        """The column's width relative to the table's others: its `width`, else by its type
        (text is widest; a score or a level narrowest)."""
        if self.width is not None:
            return self.width
        return _WIDTHS.get(self.type, 1.5)


_WIDTHS = {
    ColumnType.TEXT: 3.0,
    ColumnType.SHORT_TEXT: 1.6,
    ColumnType.DATE: 1.7,
    ColumnType.LIKELIHOOD: 1.3,
    ColumnType.IMPACT: 1.3,
    ColumnType.SCORE: 1.3,
    ColumnType.TREND: 1.5,
    ColumnType.STATUS: 1.2,
}


class RiskScheme(_Frozen):
    """How a board scores and bands its risks, and the register's columns."""

    title: Label = "Risk Register"  # {project} and other header keys are filled in
    """The register's title; `{project}` and other header keys are filled in"""
    # Required to score; a register rated in words may rate its risks by `rating` alone.
    likelihood: Axis | None = None
    """The axes: `{ label, levels }`, levels least to most severe"""
    impact: Axis | None = None
    """The axes: `{ label, levels }`, levels least to most severe"""
    rating: Axis | None = None  # the words of a rating column: Low, Medium, High
    """For `scoring = "none"`: the words of a `rating` column, `{ label, levels }` (`levels =
    ["Low", "Medium", "High"]`); an assessment rated by one needs no likelihood or impact
    """
    scoring: Scoring = Scoring.PRODUCT
    """`product` (rank times rank), `matrix` (looked up in `matrix`), `code` (the two levels side by
    side: `C1`; levels must be letters or numbers), `none` (rated in words: no score, no bands, no
    key)
    """
    matrix: tuple[tuple[int, ...], ...] = ()  # rows by likelihood, columns by impact
    """For `matrix`: one row of scores per likelihood level, one score per impact level"""
    score_label: Label = "Score"
    """The score's name in the key line"""
    bands: tuple[Band, ...] = ()  # least to most severe; none when scoring = "none"
    """Least to most severe: `{ name, colour, description, scores = [low, high] }` or, for codes,
    `codes = [...]`; every possible score in exactly one
    """
    print_key: bool = False  # print the key line of the bands under the register
    """Print the key line of the bands under the register (`Score key: 1-4 low; ...`)"""
    action_from: str | None = None  # the band from which a risk must say what is done ...
    """The band from which a risk must say what is being done ..."""
    action_column: Key | None = None  # ... in this column
    """... in this column"""
    id_column: Key | None = None  # what identifies a risk from one paper to the next
    """The column that identifies a risk from one paper to the next (else its text)"""
    assessments: tuple[Assessment, ...] = (Assessment(key="current"),)
    """`{ key, label }` each: current only, or inherent, residual and target, or one per period"""
    headline: Key | None = None  # the assessment a risk is ranked by; see `headline_assessment`
    """The assessment a risk is ranked and summarised by"""
    columns: tuple[Column, ...] = Field(min_length=1)
    """The register's columns, `[[risk.columns]]`"""
    page: Page | None = None  # the register's own page, when not the paper's
    """The register's own page, `[risk.page]`: its section is printed on it (`size = "A3"`,
    `orientation = "landscape"`)
    """
    min_font_size: Annotated[float, Field(ge=5, le=9.5)] | None = None  # see Table
    """The smallest size, in points (5 to 9.5), the register's text may step down to when its
    columns fit no page at 9.5 pt; without it such a register fails the build, naming its widest
    column
    """

    @property
    def scored(self) -> bool:
        """Whether a risk has a score (and so bands, a key and a band's shading)."""
        return self.scoring is not Scoring.NONE

    @property
    def headline_assessment(self) -> str:
        """The assessment that says how serious a risk is now: the one named by `headline`,
        else "residual" or "current" when there is one, else the first."""
        keys = [a.key for a in self.assessments]
        if self.headline is not None:
            return self.headline
        return next((k for k in ("residual", "current") if k in keys), keys[0])

    @property
    def text_column(self) -> str:
        """The register column that says what a risk is: its event, risk or description
        column, else its first text column."""
        keys = {c.key for c in self.columns}
        for key in ("event", "risk", "description", "title"):
            if key in keys:
                return key
        return next((c.key for c in self.columns if c.type is ColumnType.TEXT), self.columns[0].key)

    def score_column(self, assessment: str) -> Column | None:
        """The register's score column of `assessment`, if it has one."""
        return next(
            (c for c in self.columns if c.type is ColumnType.SCORE and c.assessment == assessment),
            None,
        )

    def axis(self, kind: ColumnType) -> Axis:
        """The likelihood, impact or rating axis (the scheme checks a column's axis is given)."""
        axis = {
            ColumnType.LIKELIHOOD: self.likelihood,
            ColumnType.IMPACT: self.impact,
            ColumnType.RATING: self.rating,
        }.get(kind)
        if axis is None:
            raise ValueError(f"the scheme has no {kind.value} levels")
        return axis

    def axis_column(self, kind: ColumnType, assessment: str) -> Column:
        """The likelihood or impact column of `assessment` (the scheme checks there is one)."""
        return next(c for c in self.columns if c.type is kind and c.assessment == assessment)

    @model_validator(mode="after")
    def _consistent(self) -> RiskScheme:
        _require_unique((b.name.casefold() for b in self.bands), "band")
        _require_unique((c.key for c in self.columns), "register column key")
        _require_unique((c.sheet_header.casefold() for c in self.columns), "register column header")
        _require_unique((a.key for a in self.assessments), "assessment")
        if self.headline is not None and self.headline not in {a.key for a in self.assessments}:
            raise ValueError(f"headline names no assessment ({self.headline!r})")
        if self.scored and (self.likelihood is None or self.impact is None):
            missing = "likelihood" if self.likelihood is None else "impact"
            raise ValueError(
                f"{missing} is required to score risks: {missing} = {{ label = ..., levels ="
                " [...] }; a register rated in words with no score has scoring = 'none'"
            )
        if self.scoring is Scoring.MATRIX:
            shape = (
                len(self.axis(ColumnType.LIKELIHOOD).levels),
                len(self.axis(ColumnType.IMPACT).levels),
            )
            if len(self.matrix) != shape[0] or any(len(row) != shape[1] for row in self.matrix):
                raise ValueError(
                    f"matrix must have {shape[0]} rows (one per likelihood level) of"
                    f" {shape[1]} scores (one per impact level)"
                )
        elif self.matrix:
            raise ValueError("matrix is only used with scoring = 'matrix'")
        if self.scoring is Scoring.CODE:
            for axis in (self.axis(ColumnType.LIKELIHOOD), self.axis(ColumnType.IMPACT)):
                word = next(
                    (lv.value for lv in axis.levels if not _CODE_PART.match(lv.value)), None
                )
                if word is not None:
                    raise ValueError(
                        f"scoring = 'code' prints the two levels side by side (C1), so each must"
                        f" be a letter or a number; {axis.label}'s {word!r} would print"
                        f" {(word * 2).upper()!r}. Use letters or numbers, or scoring = 'none'"
                        " to print ratings in words"
                    )
        if not self.scored:
            self._check_unscored()
        elif not self.bands:
            raise ValueError(
                'bands are required to shade scores, e.g. bands = [{ name = "low", colour ='
                ' "B7DDB0", scores = [1, 4] }, ...]; a register rated in words with no score'
                ' has scoring = "none"'
            )
        else:
            self._check_bands()
        if (self.action_from is None) != (self.action_column is None):
            raise ValueError("action_from and action_column go together: give both or neither")
        if self.action_from is not None and self.band_named(self.action_from) is None:
            raise ValueError(
                f"action_from names no band ({self.action_from!r}); use one of: "
                + ", ".join(b.name for b in self.bands)
            )
        self._check_columns()
        return self

    def _check_unscored(self) -> None:
        # Nothing is printed that the board does not keep: no score, so no bands or key.
        said = [
            name
            for name, given in (
                ("bands", self.bands),
                ("print_key", self.print_key),
                ("action_from", self.action_from),
            )
            if given
        ]
        if said:
            raise ValueError(
                f"scoring = 'none' rates risks in words with no score, so it has no {said[0]};"
                f" remove {said[0]}, or choose a scoring (product, matrix, code)"
            )
        scores = [c.key for c in self.columns if c.type is ColumnType.SCORE]
        if scores:
            raise ValueError(
                f"column {scores[0]!r} is a score but scoring = 'none'; make it a text column"
                " or choose a scoring"
            )

    def _check_bands(self) -> None:
        by_code = self.scoring is Scoring.CODE
        for band in self.bands:
            if by_code and band.codes is None:
                raise ValueError(f"band {band.name!r} must list its codes (scoring = 'code')")
            if not by_code and band.scores is None:
                raise ValueError(f"band {band.name!r} must give its scores, e.g. [1, 4]")
        covered: dict[str, str] = {}
        for band in self.bands:
            for score in self._covered_by(band):
                if score in covered:
                    raise ValueError(
                        f"score {score} is in two bands, {covered[score]!r} and {band.name!r}"
                    )
                covered[score] = band.name
        missing = [s for s in self.possible_scores() if str(s) not in covered]
        if missing:
            shown = ", ".join(str(s) for s in missing[:10])
            raise ValueError(f"no band covers the possible score(s) {shown}")
        possible = {str(s) for s in self.possible_scores()}
        impossible = sorted(set(covered) - possible) if by_code else []
        if impossible:
            raise ValueError(f"bands list codes no risk can have: {', '.join(impossible[:10])}")

    def _covered_by(self, band: Band) -> Iterator[str]:
        if self.scoring is Scoring.CODE:
            yield from (code.strip().upper() for code in band.codes or ())
        elif band.scores is not None:
            yield from (str(s) for s in range(band.scores[0], band.scores[1] + 1))

    def _check_columns(self) -> None:
        assessments = {a.key for a in self.assessments}
        keys = {c.key for c in self.columns}
        scored = {ColumnType.LIKELIHOOD, ColumnType.IMPACT, ColumnType.SCORE, ColumnType.RATING}
        levels = {ColumnType.LIKELIHOOD, ColumnType.IMPACT, ColumnType.RATING}
        for column in self.columns:
            if column.type in scored and column.assessment not in assessments:
                raise ValueError(
                    f"column {column.key!r} must name its assessment, one of: "
                    + ", ".join(sorted(assessments))
                )
            if column.type in levels:
                try:
                    self.axis(column.type)
                except ValueError:
                    name = column.type.value
                    raise ValueError(
                        f"column {column.key!r} is a {name} but the scheme gives no {name}"
                        f" levels; add {name} = {{ label = ..., levels = [...] }}"
                    ) from None
            if column.type is ColumnType.CHOICE and not column.choices:
                raise ValueError(f"column {column.key!r} is a choice but lists no choices")
            if column.under is not None and column.under not in keys:
                raise ValueError(f"column {column.key!r} is put under no column ({column.under!r})")
        for name, value in (("action_column", self.action_column), ("id_column", self.id_column)):
            if value is not None and value not in keys:
                raise ValueError(f"{name} names no register column ({value!r})")
        for assessment in self.assessments:
            kinds = {c.type for c in self.columns if c.assessment == assessment.key}
            if not self.scored and ColumnType.RATING in kinds:
                continue  # rated in words by its rating column alone
            for needed in (ColumnType.LIKELIHOOD, ColumnType.IMPACT):
                if needed not in kinds:
                    rated = " or rating" if not self.scored else ""
                    raise ValueError(f"assessment {assessment.key!r} has no {needed}{rated} column")

    def possible_scores(self) -> list[int | str]:
        """Every score a risk can have under this scheme, in order."""
        scores: set[int | str] = set()
        if not self.scored:
            return []
        for l_rank in range(1, len(self.axis(ColumnType.LIKELIHOOD).levels) + 1):
            for i_rank in range(1, len(self.axis(ColumnType.IMPACT).levels) + 1):
                scores.add(self._score_of_ranks(l_rank, i_rank))
        return sorted(scores, key=lambda s: (isinstance(s, str), s))

    def _score_of_ranks(self, l_rank: int, i_rank: int) -> int | str:
        if self.scoring is Scoring.NONE:
            raise ValueError("a register rated in words has no score")
        if self.scoring is Scoring.PRODUCT:
            return l_rank * i_rank
        if self.scoring is Scoring.MATRIX:
            return self.matrix[l_rank - 1][i_rank - 1]
        likelihood = self.axis(ColumnType.LIKELIHOOD).levels[l_rank - 1].value
        return f"{likelihood}{self.axis(ColumnType.IMPACT).levels[i_rank - 1].value}".upper()

    def score(self, likelihood: str, impact: str) -> int | str:
        """The score of a risk at these levels; ValueError naming the value that is no level."""
        likely_axis, impact_axis = self.axis(ColumnType.LIKELIHOOD), self.axis(ColumnType.IMPACT)
        l_rank, i_rank = likely_axis.rank(likelihood), impact_axis.rank(impact)
        if l_rank is None:
            raise ValueError(f"{likelihood!r} is not a {likely_axis.label} level")
        if i_rank is None:
            raise ValueError(f"{impact!r} is not an {impact_axis.label} level")
        return self._score_of_ranks(l_rank, i_rank)

    def band(self, score: int | str) -> Band:
        """The band a score falls in."""
        wanted = str(score).strip().upper()
        for band in self.bands:
            if wanted in set(self._covered_by(band)):
                return band
        raise ValueError(f"no band covers the score {score!r}")

    def band_named(self, name: str) -> Band | None:
        return next((b for b in self.bands if b.name.casefold() == name.casefold()), None)

    def needs_action(self, score: int | str) -> bool:
        """Whether a risk with this score must say what is being done about it."""
        band = self.band_named(self.action_from) if self.action_from else None
        if band is None:
            return False
        return self.bands.index(self.band(score)) >= self.bands.index(band)

    def key_text(self) -> str:
        """The register's key line: 'LxI key: 1-4 low (green); 5-8 medium (amber); ...'; ""
        for a register rated in words."""
        if not self.bands:
            return ""
        parts = []
        for band in self.bands:
            if band.scores is not None:
                low, high = band.scores
                covers = str(low) if low == high else f"{low}-{high}"
            else:
                covers = ", ".join(band.codes or ())
            described = f" ({band.description})" if band.description else ""
            parts.append(f"{covers} {band.name}{described}")
        return f"{self.score_label} key: {'; '.join(parts)}."


class Scope(_Frozen):
    """Where a milestone sits in the plan's list: Within Project, Outside Project."""

    name: Label  # as typed in the Plan sheet's Scope column
    """As typed in the Plan sheet's Scope column"""
    heading: Label  # the sub-heading it is listed under
    """The sub-heading its milestones are listed under"""


class MilestoneState(_Frozen):
    """A milestone status: its bar's colour on the chart and whether it counts as done."""

    name: Label
    """As typed in the Plan sheet's Status column"""
    colour: Colour
    """Its bar's colour on the chart"""
    hatched: bool = False  # so the chart never relies on colour alone
    """Its bar is hatched too"""
    done: bool = False
    """It counts as done (not late, not slipping)"""


class PlanScheme(_Frozen):
    """The plan's scopes and milestone statuses."""

    scopes: tuple[Scope, ...] = Field(min_length=1)
    """`{ name, heading }` each: the Plan sheet's Scope values and the sub-heading each is listed
    under
    """
    states: tuple[MilestoneState, ...] = Field(min_length=1)
    """`{ name, colour, hatched, done }` each: the milestone statuses, their bars' colour, a
    hatching so colour is never alone, and whether it counts as done
    """

    @model_validator(mode="after")
    def _unique(self) -> PlanScheme:
        _require_unique((s.name.casefold() for s in self.scopes), "scope")
        _require_unique((s.name.casefold() for s in self.states), "milestone status")
        return self


class Table(_Frozen):
    """A declared table: a sheet of rows printed in a section (a programme's projects)."""

    key: Key
    """Named by a section's `table`"""
    sheet: Label  # the workbook sheet its rows are typed in
    """The workbook sheet its rows are typed in"""
    title: str = ""
    """Printed above it"""
    columns: tuple[Column, ...] = Field(min_length=1)
    """Its columns, `[[tables.columns]]` (the keys above)"""
    group_by: Key | None = None  # a column whose changes start a group row
    """A column whose value, where it changes, starts a group row spanning the table (a programme's
    themes); usually `printed = false`
    """
    # A column whose cells are shaded by the status vocabulary, as status columns are; it may
    # be free text ("On track"), shaded where a cell is a status word.
    status_column: Key | None = None
    """A column shaded by the status words although it is free text (a `status` column always is)"""
    page: Page | None = None  # the table's own page, when not the paper's
    """The table's own page, as `[risk.page]`"""
    # The smallest size its text may step down to, in points, when its columns fit no page
    # at the template's 9.5 pt; none, and a table too wide fails the build saying so.
    min_font_size: Annotated[float, Field(ge=5, le=9.5)] | None = None
    """As the register's"""

    @model_validator(mode="after")
    def _columns_known(self) -> Table:
        keys = [c.key for c in self.columns]
        _require_unique(keys, "column key")
        _require_unique((c.sheet_header.casefold() for c in self.columns), "column header")
        for name, value in (("group_by", self.group_by), ("status_column", self.status_column)):
            if value is not None and value not in keys:
                raise ValueError(f"{name} names no column ({value!r})")
        return self

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


class Profile(_Frozen):
    """One board's report: everything that varies between boards, in one frozen value."""

    name: Label
    """The profile's name, shown by `boardpack profiles` and in messages"""
    description: str = ""
    """One line on what it is for"""
    title: Label = "Highlight Report"
    """The paper's kind, `{title}` in the `[frame]` lines (by default the title after the project's
    name)
    """
    header: tuple[HeaderField, ...] = Field(min_length=1)
    """The header fields, `[[header]]` tables below; `project` must be among them; board, meeting
    date and report date are fields with a `role`
    """
    status: StatusScheme | None = None
    """The status words, a `[status]` table"""
    sections: tuple[Section, ...] = Field(min_length=1)
    """The sections in order, `[[sections]]` tables"""
    plan: PlanScheme | None = None
    """The plan and its Gantt chart, a `[plan]` table"""
    risk: RiskScheme | None = None
    """The risk scheme and register, a `[risk]` table"""
    tables: tuple[Table, ...] = ()
    """Declared tables, `[[tables]]`"""
    # The Word template its papers are rendered with: a bundled template's file name or a path
    # from the profile's folder; by default the bundled one that loops over any profile.
    template: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """The Word template its papers use: a bundled template's name or a path from the profile's
    folder
    """
    # The header fields the pack's summary shows in its Sponsor and Manager columns (a pack
    # holds papers of several profiles, so its columns are common to all).
    pack_sponsor: Key | None = "sponsor"
    """The header fields the pack's summary shows in its Sponsor and Manager columns"""
    pack_manager: Key | None = "manager"
    """The header fields the pack's summary shows in its Sponsor and Manager columns"""
    frame: Frame = Frame()
    """The title line, subtitle, running header and footer, a `[frame]` table"""
    appendices: Appendices = Appendices()  # of a cover report
    """How a cover report labels its appendices, an `[appendices]` table"""
    page: Page | None = None  # the paper's page; the template's when not given
    """The paper's page, a `[page]` table: `size = "A3"`, `orientation = "landscape"`"""
    _folder: Path = PrivateAttr(default=BUNDLED)

    @property
    def folder(self) -> Path:
        """The folder of the profile's file, which its relative paths start from."""
        return self._folder

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        keys = [f.key for f in self.header]
        _require_unique(keys, "header key")
        _require_unique((f.label.casefold() for f in self.header), "header label")
        # The pack and the archive name a paper by its project; board, meeting date and
        # report date are fields like any other, found by their role.
        if "project" not in keys:
            raise ValueError("header must have a field with key = 'project'")
        roles: dict[Role, int] = {}
        for index, field in enumerate(self.header):
            role = field.role_played
            if role is None:
                continue
            if role in roles:
                raise _located(
                    f"two fields have the role {role.value!r}: {self.header[roles[role]].key!r}"
                    f" and {field.key!r}",
                    "header",
                    index,
                    "role",
                )
            roles[role] = index
        if self.plan is not None:
            # The chart draws the report date and the plan's check counts overdue items by it.
            at = roles.get(Role.REPORT_DATE)
            if at is None or not self.header[at].required:
                raise ValueError(
                    "a profile with a [plan] needs a required header field with role"
                    " 'report_date': the Gantt chart marks it"
                )
        if self.status is None and any(f.type is FieldType.STATUS for f in self.header):
            raise ValueError("a header field has type 'status' but the profile has no [status]")
        _require_unique((s.key for s in self.sections), "section key")
        tables = {t.key for t in self.tables}
        _require_unique((t.key for t in self.tables), "table key")
        needs = {Block.PLAN: self.plan, Block.REGISTER: self.risk}
        seen: set[Block] = set()
        for section in self.sections:
            block = section.block
            if block is None:
                continue
            if block is not Block.TABLE and block in seen:
                raise ValueError(f"block {block.value!r} is placed in two sections")
            seen.add(block)
            if block in needs and needs[block] is None:
                table = "[risk]" if block is Block.REGISTER else "[plan]"
                raise ValueError(
                    f"section {section.key!r} carries the {block} but there is no {table}"
                )
            if block is Block.TABLE and section.table not in tables:
                raise ValueError(
                    f"section {section.key!r} names no declared table ({section.table!r})"
                )
        if self.risk is not None:
            _check_placeholders(self.risk.title, set(keys), "risk", "title")
        frame_names = set(keys) | set(_FRAME_NAMES)
        for name in Frame.model_fields:
            _check_placeholders(getattr(self.frame, name), frame_names, "frame", name)
        # The defaults may name no field (the pack then shows "-"); a key given must exist.
        named = {"pack_sponsor": self.pack_sponsor, "pack_manager": self.pack_manager}
        for name, value in named.items():
            if value is not None and value not in keys and value not in ("sponsor", "manager"):
                raise ValueError(f"{name} names no header field ({value!r})")
        return self

    def field(self, key: str) -> HeaderField | None:
        return next((f for f in self.header if f.key == key), None)

    def field_for(self, role: Role) -> HeaderField | None:
        """The header field that plays `role`, if the paper has one."""
        return next((f for f in self.header if f.role_played is role), None)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


def fill(template: str, values: dict[str, str]) -> str:
    """`template` with each {key} replaced; only plain keys, never attribute or index lookups."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _check_placeholders(template: str, known: set[str], *where: str | int) -> None:
    for name in _PLACEHOLDER.findall(template):
        if name not in known:
            raise _located(
                f"asks for {{{name}}}, which is no header key; use one of: "
                + ", ".join(sorted(known)),
                *where,
            )


def _located(message: str, *at: str | int) -> PydanticCustomError:
    """A profile fault found by a check of a whole table, placed at the key `at` inside it
    (so that `profile check` names that key's line, not the table's)."""
    return PydanticCustomError("located", "{message}", {"message": message, "at": at})


def _require_unique(values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"two entries have the {what} {value!r}")
        seen.add(value)


# -- finding and reading profiles -------------------------------------------------------------


def bundled_profiles() -> dict[str, Path]:
    """The profiles that come with boardpack, by name."""
    return {path.stem: path for path in sorted(BUNDLED.glob("*.toml"))}


def find_profile(name: str, relative_to: Path | None = None, *, confined: bool = False) -> Path:
    """The file of a profile named `name` (a bundled name) or at `name` (a path, relative to
    `relative_to` when given, e.g. the folder of the boardpack.toml that names it).

    A path a file names (`confined`: boardpack.toml, a workbook's Profile row) must lead to a
    file inside `relative_to` or a shared folder (files.inside); only the user, on the command
    line, may name a profile anywhere."""
    bundled = bundled_profiles()
    if name in bundled:
        return bundled[name]
    path = Path(name)
    if confined:
        try:
            path = inside(relative_to or Path(), name, setting="profile")
        except OutsideFolder as exc:
            raise ProfileError(name, [Problem("", str(exc))]) from exc
    elif not path.is_absolute() and relative_to is not None:
        path = relative_to / path
    if path.suffix.lower() == ".toml" or path.exists():
        return path
    raise ProfileError(
        str(name),
        [
            Problem(
                "",
                f"no such profile; use a bundled one ({', '.join(bundled)}) or the path of a"
                " .toml file",
            )
        ],
    )


def load_profile(
    name: str = DEFAULT_PROFILE, relative_to: Path | None = None, *, confined: bool = False
) -> Profile:
    """The profile named or at `name`, read strictly; ProfileError lists every fault. A path
    named by a file rather than the user is `confined` to `relative_to` (see find_profile)."""
    path = find_profile(name, relative_to, confined=confined)
    if path.parent == BUNDLED:
        return _bundled(path.name)
    return _parsed(_read(path, follow=not confined), path.name, path.resolve().parent)


@lru_cache(maxsize=32)
def _parsed(source: str, name: str, folder: Path) -> Profile:
    # By its text: a folder of workbooks whose Profile rows name one file reads it each time
    # (it may have changed) but checks it once.
    profile = parse_profile(source, name)
    if profile.template is not None:
        try:
            inside(folder, profile.template, setting="template")
        except OutsideFolder as exc:
            raise ProfileError(name, [Problem(_where(source, ("template",)), str(exc))]) from exc
    profile._folder = folder
    return profile


@lru_cache(maxsize=8)
def _bundled(name: str) -> Profile:
    # Read once per process: a folder of workbooks would otherwise read it once each.
    return parse_profile(_read(BUNDLED / name), name)


def parse_profile(source: str, where: str) -> Profile:
    """A profile from its TOML text; `where` names it in messages."""
    from boardpack.paper.limits import load_bounded

    try:
        data = load_bounded(source, where, line_of)  # limits.py: bounded work, printable text
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(where, [Problem("", f"not valid TOML: {exc}")]) from exc
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(error, source) for error in exc.errors(include_url=False)]
        raise ProfileError(where, problems) from exc


def _read(path: Path, *, follow: bool = True) -> str:
    """The profile file's text. Without `follow`, a link is refused (a confined path is
    resolved already, so a link found there was swapped in since)."""
    try:
        with open_regular(path, follow=follow) as (handle, _):
            data = handle.read(MAX_PROFILE_BYTES + 1)
    except FileNotFoundError as exc:
        # Say where: a relative path is read from the folder of the file naming it (a
        # workbook, boardpack.toml), not from where boardpack runs.
        problem = Problem("", f"cannot be read ({exc.strerror}); looked for {path.resolve()}")
        raise ProfileError(str(path), [problem]) from exc
    except (NotRegularFile, IsADirectoryError) as exc:
        raise ProfileError(str(path), [Problem("", f"{exc.strerror}; name a .toml file")]) from exc
    except OSError as exc:
        raise ProfileError(str(path), [Problem("", f"cannot be read ({exc.strerror})")]) from exc
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError(
            str(path),
            [Problem("", f"is over {MAX_PROFILE_BYTES:,} bytes; a profile is a few kilobytes")],
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(str(path), [Problem("", "is not UTF-8 text; save it as UTF-8")]) from exc


def _problem(error: Any, source: str) -> Problem:
    loc = tuple(error["loc"])
    if error["type"] == "located":
        loc += tuple(error["ctx"]["at"])
    if error["type"] == "extra_forbidden":
        message = (
            "is not a profile key; check its spelling against the Profile keys reference"
            " (docs/reference/profile-keys.md)"
        )
    elif error["type"] == "missing":
        message = "is required but missing; add it"
    elif error["type"] == "string_too_short" and error["ctx"].get("min_length") == 1:
        message = "is empty; write it, or leave the key out where it may be left out"
    else:
        message = _worded(error)
    return Problem(_where(source, loc), message)


def _where(source: str, loc: tuple[Any, ...]) -> str:
    """A key of the profile as its writer finds it: `line 12: risk.bands[1]`."""
    path = _dotted(loc)
    line = line_of(source, loc)
    return f"line {line}: {path}" if line else path


def _worded(error: Any) -> str:
    """A pydantic error as a council reads it: what the value must be, and what it was."""
    kind, context = error["type"], error.get("ctx") or {}
    got = error.get("input")
    shown = f" (got {got!r})" if isinstance(got, str | int | float | bool) else ""
    if kind == "string_too_short":
        least = context.get("min_length", 1)
        return "must not be empty" if least == 1 else f"must be at least {least} characters"
    if kind == "string_too_long":
        return f"must be at most {context.get('max_length')} characters{shown}"
    if kind == "string_pattern_mismatch":
        return (
            "must be a key of lower-case letters, digits and _, starting with a letter"
            f" (e.g. risk_id){shown}"
        )
    if kind == "too_short":
        least = context.get("min_length", 1)
        return f"must list at least {least} {'entry' if least == 1 else 'entries'}"
    if kind in ("string_type", "str_type"):
        return f'must be text in quotes, e.g. "A3"{shown}'
    if kind == "bool_type" or kind == "bool_parsing":
        return f"must be true or false{shown}"
    if kind in ("int_type", "int_parsing", "float_type", "float_parsing", "int_from_float"):
        return f"must be a number{shown}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(context.values()), "")
        bound = f"{bound:g}" if isinstance(bound, int | float) else bound
        words = {
            "greater_than": "more than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }
        return f"must be {words[kind]} {bound}{shown}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a table of keys, e.g. {{ key = ... }}{shown}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list in square brackets, e.g. [1, 4]{shown}"
    if kind == "enum":
        return f"must be one of {context.get('expected', '')}{shown}"
    return str(error["msg"]).removeprefix("Value error, ")


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not str(part).startswith(("function-", "tuple[")):  # pydantic's validator steps
            text += f".{part}" if text else str(part)
    return text or "(the whole profile)"


_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\" ]+?)\s*=")


def line_of(source: str, loc: tuple[Any, ...]) -> int | None:
    """The line of `source` where the value at `loc` (a pydantic error location) is written:
    the line of the longest written key path that `loc` starts with."""
    wanted = [p for p in loc if isinstance(p, int) or not str(p).startswith("function-")]
    best: tuple[int, int] | None = None  # (length of the matching path, line)
    table: list[Any] = []
    counts: dict[tuple[Any, ...], int] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        path: list[Any] | None = None
        if match := _ARRAY_TABLE.match(line):
            array = tuple(_indexed(_split_key(match.group(1)), counts))
            counts[array] = counts.get(array, -1) + 1
            table = path = [*array, counts[array]]
        elif match := _TABLE.match(line):
            table = path = _indexed(_split_key(match.group(1)), counts)
        elif match := _KEY.match(line):
            path = [*table, *_split_key(match.group(1))]
        if path is None:
            continue
        length = _prefix_length(path, wanted)
        if length == len(path) and (best is None or length >= best[0]):
            best = (length, number)
    return best[1] if best else None


def _indexed(names: list[str], counts: dict[tuple[Any, ...], int]) -> list[Any]:
    """A written key path with the index of each enclosing array of tables: `a.b` written
    under the n-th [[a]] is a[n].b. `counts` holds each array's last index so far."""
    path: list[Any] = []
    for index, name in enumerate(names):
        path.append(name)
        if index < len(names) - 1 and tuple(path) in counts:
            path.append(counts[tuple(path)])
    return path


def _split_key(text: str) -> list[str]:
    return [part.strip().strip('"') for part in text.split(".")]


def _prefix_length(path: list[Any], wanted: list[Any]) -> int:
    length = 0
    for mine, theirs in zip(path, wanted, strict=False):
        if str(mine) != str(theirs):
            break
        length += 1
    return length
