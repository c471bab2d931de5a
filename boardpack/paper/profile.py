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
import stat
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

from boardpack.errors import Problem, ProfileError

BUNDLED = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = "jib"
MAX_PROFILE_BYTES = 256 * 1024  # the bundled ones are ~5 KB; more is not a profile

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Label = Annotated[str, Field(min_length=1, max_length=200)]
_HEX = re.compile(r"^#?([0-9A-Fa-f]{6})$")


def _colour(value: Any) -> Any:
    # Colours are written as Word writes them, six hex digits; a leading # is forgiven.
    if isinstance(value, str) and (match := _HEX.match(value.strip())):
        return match.group(1).upper()
    raise ValueError(f"must be a colour of six hex digits, e.g. 00703C (got {value!r})")


Colour = Annotated[str, BeforeValidator(_colour)]
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldType(StrEnum):
    """What a header field holds, and so how it is read and printed."""

    TEXT = "text"
    DATE = "date"  # 24/01/2008, printed 24 January 2008
    MONTH = "month"  # a month of a year: September 2009
    PERIOD = "period"  # free text naming a period: Q3 2024, Sept/Oct 2009
    ID = "id"  # a project number or code, printed as typed
    PERSON = "person"  # a name, optionally with role and contact after a comma
    STATUS = "status"  # one of the profile's status words


class HeaderField(_Frozen):
    """A row of the workbook's Paper sheet and its line in the paper's header block."""

    key: Key
    label: Label  # as typed in column A of the Paper sheet
    printed: Label | None = None  # as the paper prints it; the label when not given
    type: FieldType = FieldType.TEXT
    required: bool = True
    shown: bool = True  # printed in the header block (board and meeting date go in the subtitle)
    hint: str = ""

    @property
    def printed_label(self) -> str:
        return self.printed or self.label


class StatusWord(_Frozen):
    """One word of a status vocabulary: Green, Amber, Red, or a board's own."""

    name: Label
    colour: Colour  # of the word printed as text: at least 4.5:1 against white
    fill: Colour  # of a cell shaded with it, in the pack's summary
    meaning: str = ""


class StatusScheme(_Frozen):
    """The words a paper's overall status may take, least to most serious."""

    words: tuple[StatusWord, ...] = Field(min_length=1)
    print_key: bool = False  # print each word's meaning under the status

    @model_validator(mode="after")
    def _names_unique(self) -> StatusScheme:
        _require_unique((w.name.casefold() for w in self.words), "status word")
        return self

    def word(self, name: str) -> StatusWord | None:
        """The word matching `name`, ignoring case and spacing."""
        wanted = " ".join(name.split()).casefold()
        return next((w for w in self.words if w.name.casefold() == wanted), None)


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
    title: Label
    numbered: bool = True
    required: bool = False  # a paper without text here is refused
    empty: str = "None"  # printed when the section has no text and no block
    omit_if_empty: bool = False  # leave the section out instead
    block: Block | None = None
    table: Key | None = None  # the declared table, when block = "table"


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
    label: str = ""


class Axis(_Frozen):
    """Likelihood or impact: its levels listed from least to most severe."""

    label: Label
    levels: tuple[Annotated[Level, BeforeValidator(_level)], ...] = Field(min_length=2)

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


class Band(_Frozen):
    """A band of risk scores: its name, its colour, and the scores or codes it covers."""

    name: Label
    colour: Colour  # the score cell's shading
    description: str = ""  # printed in the key after the name, e.g. "green"
    scores: tuple[int, int] | None = None  # lowest and highest score, for product and matrix
    codes: tuple[str, ...] | None = None  # for code scoring

    @model_validator(mode="after")
    def _range(self) -> Band:
        if self.scores is not None and self.scores[0] > self.scores[1]:
            raise ValueError(f"scores must go from low to high (got {list(self.scores)})")
        return self


class Assessment(_Frozen):
    """One scoring of every risk: current, or inherent, residual and target."""

    key: Key
    label: str = ""  # "" for a register with a single, current assessment


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
    SCORE = "score"  # worked out when blank; must agree when typed
    TREND = "trend"  # up, down, same, new


class Column(_Frozen):
    """A column of the register or of a declared table: its workbook header and its cell."""

    key: Key
    header: Label
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    printed: bool = True
    assessment: Key | None = None  # for likelihood, impact and score columns
    choices: tuple[str, ...] = ()  # for choice columns
    hint: str = ""
    descriptor: str = ""  # the register's second header row: "Which may or may not occur"
    under: Key | None = None  # printed below that column's value ("Owner: ...") instead
    width: Annotated[float, Field(gt=0, le=20)] | None = None  # its share of the table

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
    likelihood: Axis
    impact: Axis
    scoring: Scoring = Scoring.PRODUCT
    matrix: tuple[tuple[int, ...], ...] = ()  # rows by likelihood, columns by impact
    score_label: Label = "Score"
    bands: tuple[Band, ...] = Field(min_length=1)  # least to most severe
    action_from: str  # the band from which a risk must say what is being done ...
    action_column: Key  # ... in this column
    id_column: Key | None = None  # what identifies a risk from one paper to the next
    assessments: tuple[Assessment, ...] = (Assessment(key="current"),)
    headline: Key | None = None  # the assessment a risk is ranked by; see `headline_assessment`
    columns: tuple[Column, ...] = Field(min_length=1)

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

    def axis_column(self, kind: ColumnType, assessment: str) -> Column:
        """The likelihood or impact column of `assessment` (the scheme checks there is one)."""
        return next(c for c in self.columns if c.type is kind and c.assessment == assessment)

    @model_validator(mode="after")
    def _consistent(self) -> RiskScheme:
        _require_unique((b.name.casefold() for b in self.bands), "band")
        _require_unique((c.key for c in self.columns), "register column key")
        _require_unique((c.header.casefold() for c in self.columns), "register column header")
        _require_unique((a.key for a in self.assessments), "assessment")
        if self.headline is not None and self.headline not in {a.key for a in self.assessments}:
            raise ValueError(f"headline names no assessment ({self.headline!r})")
        if self.scoring is Scoring.MATRIX:
            shape = (len(self.likelihood.levels), len(self.impact.levels))
            if len(self.matrix) != shape[0] or any(len(row) != shape[1] for row in self.matrix):
                raise ValueError(
                    f"matrix must have {shape[0]} rows (one per likelihood level) of"
                    f" {shape[1]} scores (one per impact level)"
                )
        elif self.matrix:
            raise ValueError("matrix is only used with scoring = 'matrix'")
        self._check_bands()
        if self.band_named(self.action_from) is None:
            raise ValueError(
                f"action_from names no band ({self.action_from!r}); use one of: "
                + ", ".join(b.name for b in self.bands)
            )
        self._check_columns()
        return self

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
        scored = {ColumnType.LIKELIHOOD, ColumnType.IMPACT, ColumnType.SCORE}
        for column in self.columns:
            if column.type in scored and column.assessment not in assessments:
                raise ValueError(
                    f"column {column.key!r} must name its assessment, one of: "
                    + ", ".join(sorted(assessments))
                )
            if column.type is ColumnType.CHOICE and not column.choices:
                raise ValueError(f"column {column.key!r} is a choice but lists no choices")
            if column.under is not None and column.under not in keys:
                raise ValueError(f"column {column.key!r} is put under no column ({column.under!r})")
        for name, value in (("action_column", self.action_column), ("id_column", self.id_column)):
            if value is not None and value not in keys:
                raise ValueError(f"{name} names no register column ({value!r})")
        for assessment in self.assessments:
            for needed in (ColumnType.LIKELIHOOD, ColumnType.IMPACT):
                if not any(
                    c.type is needed and c.assessment == assessment.key for c in self.columns
                ):
                    raise ValueError(f"assessment {assessment.key!r} has no {needed} column")

    def possible_scores(self) -> list[int | str]:
        """Every score a risk can have under this scheme, in order."""
        scores: set[int | str] = set()
        for l_rank in range(1, len(self.likelihood.levels) + 1):
            for i_rank in range(1, len(self.impact.levels) + 1):
                scores.add(self._score_of_ranks(l_rank, i_rank))
        return sorted(scores, key=lambda s: (isinstance(s, str), s))

    def _score_of_ranks(self, l_rank: int, i_rank: int) -> int | str:
        if self.scoring is Scoring.PRODUCT:
            return l_rank * i_rank
        if self.scoring is Scoring.MATRIX:
            return self.matrix[l_rank - 1][i_rank - 1]
        likelihood = self.likelihood.levels[l_rank - 1].value
        return f"{likelihood}{self.impact.levels[i_rank - 1].value}".upper()

    def score(self, likelihood: str, impact: str) -> int | str:
        """The score of a risk at these levels; ValueError naming the value that is no level."""
        l_rank, i_rank = self.likelihood.rank(likelihood), self.impact.rank(impact)
        if l_rank is None:
            raise ValueError(f"{likelihood!r} is not a {self.likelihood.label} level")
        if i_rank is None:
            raise ValueError(f"{impact!r} is not an {self.impact.label} level")
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
        floor = self.bands.index(self.band_named(self.action_from))
        return self.bands.index(self.band(score)) >= floor

    def key_text(self) -> str:
        """The register's key line: 'LxI key: 1-4 low (green); 5-8 medium (amber); ...'."""
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
    heading: Label  # the sub-heading it is listed under


class MilestoneState(_Frozen):
    """A milestone status: its bar's colour on the chart and whether it counts as done."""

    name: Label
    colour: Colour
    hatched: bool = False  # so the chart never relies on colour alone
    done: bool = False


class PlanScheme(_Frozen):
    """The plan's scopes and milestone statuses."""

    scopes: tuple[Scope, ...] = Field(min_length=1)
    states: tuple[MilestoneState, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PlanScheme:
        _require_unique((s.name.casefold() for s in self.scopes), "scope")
        _require_unique((s.name.casefold() for s in self.states), "milestone status")
        return self


class Table(_Frozen):
    """A declared table: a sheet of rows printed in a section (a programme's projects)."""

    key: Key
    sheet: Label  # the workbook sheet its rows are typed in
    title: str = ""
    columns: tuple[Column, ...] = Field(min_length=1)
    group_by: Key | None = None  # a column whose changes start a group row
    # A column whose cells are shaded by the status vocabulary, as status columns are; it may
    # be free text ("On track"), shaded where a cell is a status word.
    status_column: Key | None = None

    @model_validator(mode="after")
    def _columns_known(self) -> Table:
        keys = [c.key for c in self.columns]
        _require_unique(keys, "column key")
        for name, value in (("group_by", self.group_by), ("status_column", self.status_column)):
            if value is not None and value not in keys:
                raise ValueError(f"{name} names no column ({value!r})")
        return self

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


class Profile(_Frozen):
    """One board's report: everything that varies between boards, in one frozen value."""

    name: Label
    description: str = ""
    title: Label = "Highlight Report"
    header: tuple[HeaderField, ...] = Field(min_length=1)
    status: StatusScheme | None = None
    sections: tuple[Section, ...] = Field(min_length=1)
    plan: PlanScheme | None = None
    risk: RiskScheme | None = None
    tables: tuple[Table, ...] = ()
    # The Word template its papers are rendered with: a bundled template's file name or a path
    # from the profile's folder; by default the bundled one that loops over any profile.
    template: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    # The header fields the pack's summary shows in its Sponsor and Manager columns (a pack
    # holds papers of several profiles, so its columns are common to all).
    pack_sponsor: Key | None = "sponsor"
    pack_manager: Key | None = "manager"
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
        # The pack and the archive file a paper by its project, board and meeting.
        for needed in ("project", "board", "meeting_date", "report_date"):
            if needed not in keys:
                raise ValueError(f"header must have a field with key = {needed!r}")
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
            _check_placeholders(self.risk.title, set(keys), "risk.title")
        # The defaults may name no field (the pack then shows "-"); a key given must exist.
        named = {"pack_sponsor": self.pack_sponsor, "pack_manager": self.pack_manager}
        for name, value in named.items():
            if value is not None and value not in keys and value not in ("sponsor", "manager"):
                raise ValueError(f"{name} names no header field ({value!r})")
        return self

    def field(self, key: str) -> HeaderField | None:
        return next((f for f in self.header if f.key == key), None)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


def fill(template: str, values: dict[str, str]) -> str:
    """`template` with each {key} replaced; only plain keys, never attribute or index lookups."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _check_placeholders(template: str, known: set[str], where: str) -> None:
    for name in _PLACEHOLDER.findall(template):
        if name not in known:
            raise ValueError(
                f"{where} asks for {{{name}}}, which is no header key; use one of: "
                + ", ".join(sorted(known))
            )


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


def find_profile(name: str, relative_to: Path | None = None) -> Path:
    """The file of a profile named `name` (a bundled name) or at `name` (a path, relative to
    `relative_to` when given, e.g. the folder of the boardpack.toml that names it)."""
    bundled = bundled_profiles()
    if name in bundled:
        return bundled[name]
    path = Path(name)
    if not path.is_absolute() and relative_to is not None:
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


def load_profile(name: str = DEFAULT_PROFILE, relative_to: Path | None = None) -> Profile:
    """The profile named or at `name`, read strictly; ProfileError lists every fault."""
    path = find_profile(name, relative_to)
    if path.parent == BUNDLED:
        return _bundled(path.name)
    return _parsed(_read(path), path.name, path.resolve().parent)


@lru_cache(maxsize=32)
def _parsed(source: str, name: str, folder: Path) -> Profile:
    # By its text: a folder of workbooks whose Profile rows name one file reads it each time
    # (it may have changed) but checks it once.
    profile = parse_profile(source, name)
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


def _read(path: Path) -> str:
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        # Say where: a relative path is read from the folder of the file naming it (a
        # workbook, boardpack.toml), not from where boardpack runs.
        problem = Problem("", f"cannot be read ({exc.strerror}); looked for {path.resolve()}")
        raise ProfileError(str(path), [problem]) from exc
    except OSError as exc:
        raise ProfileError(str(path), [Problem("", f"cannot be read ({exc.strerror})")]) from exc
    if not stat.S_ISREG(info.st_mode):
        raise ProfileError(str(path), [Problem("", "is not a regular file")])
    if info.st_size > MAX_PROFILE_BYTES:
        raise ProfileError(
            str(path), [Problem("", f"is {info.st_size:,} bytes; a profile is a few kilobytes")]
        )
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(str(path), [Problem("", "is not UTF-8 text; save it as UTF-8")]) from exc
    except OSError as exc:
        raise ProfileError(str(path), [Problem("", f"cannot be read ({exc.strerror})")]) from exc


def _problem(error: Any, source: str) -> Problem:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        message = "is not a profile key; check its spelling against the README's Profile keys"
    elif error["type"] == "missing":
        message = "is required but missing; add it"
    else:
        message = error["msg"].removeprefix("Value error, ")
    path = _dotted(loc)
    line = line_of(source, loc)
    where = f"line {line}: {path}" if line else path
    return Problem(where, message)


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
