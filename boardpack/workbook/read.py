"""Read stage: a workbook's cells, laid out as records with the place each value came from.

Only this module reads cells with openpyxl. It checks the workbook's shape (sheets, headers,
merged cells, formulas without saved values) but not its values: that is the validate stage's
job, which needs to know where each value came from. It never reads a sheet Excel hides, nor
guesses between two sheets that answer to one name.

A workbook is untrusted input: before openpyxl sees it, guard.py refuses other kinds of file,
damage, password protection, decompression bombs and XML entity tricks. Nothing in a workbook is
ever run: macros are not even loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from boardpack.errors import InvalidWorkbook, Problem, ProfileError
from boardpack.guard import (
    FRESH_COPY,
    RESAVE,
    checked_bytes,
    detail,
    import_openpyxl,
    invalid,
    local_name,
    open_archive,
)
from boardpack.paper.profile import ColumnType, Profile, load_profile
from boardpack.text import one_kind_of_line_break
from boardpack.workbook.layout import (
    HELP_SHEET,
    PAPER_SHEET,
    PROFILE_LABEL,
    FieldRow,
    TableSheet,
    WorkbookLayout,
    layout_for,
    normalise_header,
)
from boardpack.workbook.places import in_sheet_order

# A real paper has a few dozen rows; a sheet claiming far more is a mistake or an attack, and
# reading it would take minutes and gigabytes before any useful message.
MAX_ROWS = 5000
MAX_COLUMNS = 50
MAX_CELL_PARTS = 10_000  # XML elements in one cell; rich text has a few per formatting run

_CELL_REF = re.compile(r"^([A-Z]{1,3})([0-9]+)$")
_RANGE_REF = re.compile(r"^([A-Z]{1,3})([0-9]+)(?::([A-Z]{1,3})([0-9]+))?$")
# openpyxl reads a date-formatted number that is no date as "#VALUE!" and says so only here.
_DATE_WARNING = re.compile(
    r"^Cell ([A-Z]{1,3}[0-9]+) is marked as a date but the serial value (\S+)"
)

# Excel writes characters XML cannot hold as _x0007_, and a typed "_x" as _x005F_x; openpyxl
# leaves cell text so escaped, but Excel shows the character.
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


Cell = tuple[int, int]  # (row, column), both from 1


@dataclass(frozen=True)
class Record:
    """One row of a sheet: model field name -> cell value, and field name -> cell reference.

    `reported` names the fields whose cell already has a problem from this stage (a formula
    never calculated, an error value, a merged cell); validating them again would only repeat it.
    """

    values: dict[str, Any]
    cells: dict[str, str]
    where: str  # the row as a whole, e.g. "Risks!A5:F5"
    reported: frozenset[str] = frozenset()


@dataclass
class RawWorkbook:
    """Everything read from a workbook, before validation, with any problems of its shape.

    `tables` holds each table sheet's records by the paper's part the sheet fills (sections,
    plan, budget, risks, or a declared table's key)."""

    source: str
    details: Record
    profile: Profile
    tables: dict[str, list[Record]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # of its shape; the paper is made
    sha256: str = ""  # of the bytes read, which may differ from the file by the time it is built
    sheets: tuple[str, ...] = ()  # the workbook's sheet titles, in its order

    def in_order(self, problems: list[Problem]) -> list[Problem]:
        """`problems` in the order of this workbook's sheets, rows and columns."""
        return in_sheet_order(problems, self.sheets)


@dataclass
class _Notes:
    """What a sheet's XML says beyond its values, found by one streaming pass over it."""

    rows: int = 0  # the last row and column holding anything
    columns: int = 0
    beyond: str | None = None  # the first cell past the limits, when there is one
    unsaved: set[Cell] = field(default_factory=set)  # formulas without a calculated value
    errors: dict[Cell, str] = field(default_factory=dict)  # cells showing e.g. #DIV/0!
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2


@dataclass
class _Sheet:
    """A sheet's values as plain Python, with the notes needed to report its cells."""

    title: str
    rows: list[tuple[Any, ...]]
    notes: _Notes
    not_dates: dict[Cell, str] = field(default_factory=dict)  # date-formatted cells that aren't
    merged: dict[Cell, Cell] = field(default_factory=dict)  # cell -> top left of its merge
    # Fields worked out when blank (a risk's score), so a formula in them needs no saved value.
    computed: frozenset[str] = frozenset()

    def value(self, cell: Cell) -> Any:
        row, column = cell
        if row > len(self.rows) or column > len(self.rows[row - 1]):
            return None
        return self.rows[row - 1][column - 1]

    def ref(self, cell: Cell) -> str:
        return f"{self.title}!{_letter(cell[1])}{cell[0]}"

    def fault(self, cell: Cell, name: str) -> str | None:
        """Why the value read from `cell` for field `name` is not what the sheet shows."""
        if cell in self.notes.unsaved:
            if name in self.computed:
                return None
            return (
                "holds a formula whose value Excel never saved; open and save the workbook in"
                " Excel (or type the value)"
            )
        if cell in self.notes.errors:
            return (
                f"shows the error {self.notes.errors[cell]}; correct its formula in Excel, or"
                " type the value"
            )
        if cell in self.not_dates:
            return (
                f"is formatted as a date but holds {self.not_dates[cell]}, which is no date;"
                " type the date again, e.g. 24/01/2008"
            )
        top_left = self.merged.get(cell)
        if top_left is not None and self.value(top_left) is not None:
            return (
                f"is merged with {_letter(top_left[1])}{top_left[0]}, so the value shown here"
                f" belongs to {_letter(top_left[1])}{top_left[0]} only; unmerge the cells"
                " (Home > Merge & Center) and type the value in each"
            )
        return None


def read_workbook(path: Path, profile: Profile | None = None) -> RawWorkbook:
    """Read a paper's workbook, laid out as `profile` says (the default profile unless told),
    with any problems of its shape and cells. A "Profile" row on its Paper sheet names the
    profile the workbook itself is written for, and overrides `profile`.

    Raises InvalidWorkbook when the file cannot be read as a workbook at all, and BoardpackError
    when this machine cannot read workbooks safely.
    """
    source = path.name
    data = checked_bytes(path, source)
    with open_archive(data, source) as archive:
        workbook = _load(data, source)
        try:
            raw = _read(workbook, archive, source, profile or load_profile(), path.parent)
        finally:
            workbook.close()
    raw.sha256 = hashlib.sha256(data).hexdigest()
    raw.warnings[:0] = open_elsewhere(path)
    raw.problems[:] = raw.in_order(raw.problems)
    raw.warnings[:] = raw.in_order(raw.warnings)
    return raw


def open_elsewhere(path: Path) -> list[Problem]:
    """A warning when `path` is open in Excel or LibreOffice, from the lock file each keeps
    beside a workbook it has open: what is built is the last saved state, not what is on screen.
    """
    locks = (
        (path.with_name("~$" + path.name), "Excel"),
        (path.with_name(f".~lock.{path.name}#"), "LibreOffice"),
    )
    return [
        Problem(
            path.name,
            f"is open in {program} ({lock.name} is beside it), so changes not yet saved there"
            f" are not in the paper; save it in {program} (Ctrl+S) and run again. If"
            f" {program} is not open, the lock file was left behind by a crash: delete it",
        )
        for lock, program in locks
        if _exists(lock)
    ]


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name the file system refuses, or a folder that cannot be read
        return False


def _load(data: bytes, source: str) -> Any:
    openpyxl = import_openpyxl()  # here, not at the top, so importing boardpack stays cheap

    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (extensions, data validation); they hold
            # no values of the paper and would only puzzle a manager.
            warnings.simplefilter("ignore")
            # keep_vba=False: an .xlsm's macros are never loaded, let alone run.
            return openpyxl.load_workbook(
                io.BytesIO(data),
                read_only=True,
                data_only=True,
                keep_links=False,
                keep_vba=False,
            )
    except Exception as exc:  # a damaged part can provoke any exception inside openpyxl
        damaged = (
            "cannot be read as an Excel workbook: it is damaged or was not written by Excel"
            f" ({detail(exc)}); {RESAVE}"
        )
        raise invalid(source, _unreadable(exc, "it", damaged)) from exc


def _unreadable(exc: BaseException, subject: str, damaged: str) -> str:
    """Why openpyxl failed, for a manager: hostile XML it refused, or else damage."""
    if _is_hostile_xml(exc):
        return (
            f"is refused: {subject} declares XML entities, which Excel never writes and which can"
            f" be used to attack the computer reading it; {FRESH_COPY}"
        )
    return damaged


def _is_hostile_xml(exc: BaseException | None) -> bool:
    from defusedxml import DefusedXmlException

    # openpyxl re-raises a parser's refusal as its own ValueError; look along the chain.
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DefusedXmlException):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _read(
    workbook: Any, archive: zipfile.ZipFile, source: str, profile: Profile, folder: Path
) -> RawWorkbook:
    sheets: dict[str, list[str]] = {}
    for name in workbook.sheetnames:
        sheets.setdefault(_sheet_key(name), []).append(name)
    listed = {_sheet_key(name) for name in _listed_sheets(archive)}
    problems: list[Problem] = []
    warnings: list[Problem] = []
    layout = layout_for(profile)

    def sheet(name: str, required: bool) -> _Sheet | None:
        matching = [workbook[title] for title in sheets.get(_sheet_key(name), [])]
        if len(matching) > 1:
            problems.append(_same_name(source, name, matching))
            return None
        if matching:
            hidden = _hidden(matching[0], required)
            if hidden is None:
                return _sheet(matching[0], archive, problems)
            (problems if required else warnings).append(hidden)
            return None
        if _sheet_key(name) in listed:
            problems.append(
                Problem(
                    source,
                    f"is damaged: sheet '{name}' is listed in it but its contents are missing;"
                    " open it in Excel, which may repair it, and save it",
                )
            )
        elif required:
            optional = [s.name for s in layout.tables if not s.required]
            problems.append(
                Problem(
                    source,
                    f"sheet '{name}' is missing. Expected sheets: {', '.join(layout.sheet_names)}"
                    + (f" ({', '.join(optional)} optional)" if optional else "")
                    + f"; this workbook has: {', '.join(workbook.sheetnames)}."
                    " Rename or add the sheet",
                )
            )
        return None

    paper_sheet = sheet(PAPER_SHEET, required=True)
    if paper_sheet is not None:
        named = _profile_named(paper_sheet, profile, folder, problems)
        if named is None:  # the workbook's shape is unknown: reading on would only guess
            raise InvalidWorkbook(source, in_sheet_order(problems, workbook.sheetnames))
        if named is not profile:
            profile, layout = named, layout_for(named)
    details = (
        _read_fields(paper_sheet, layout.paper_fields, profile, problems, warnings)
        if paper_sheet is not None
        else Record({}, {}, "")
    )
    raw = RawWorkbook(
        source,
        details,
        profile,
        problems=problems,
        warnings=warnings,
        sheets=tuple(workbook.sheetnames),
    )
    computed = frozenset(
        c.key for c in (profile.risk.columns if profile.risk else ()) if c.type is ColumnType.SCORE
    )
    for table in layout.tables:
        worksheet = sheet(table.name, table.required)
        if worksheet is not None:
            worksheet.computed = computed
        raw.tables[table.key] = (
            [] if worksheet is None else _read_table(worksheet, table, profile, problems, warnings)
        )
    warnings.extend(_unknown_sheets(workbook.sheetnames, layout, profile))
    return raw


def _twice(
    sheet: _Sheet,
    label: str,
    first: str,
    value: Any,
    row: tuple[Any, ...],
    index: int,
    problems: list[Problem],
) -> None:
    """A problem when a field's row is there twice with another value: which one the paper
    should show is the manager's to say, never boardpack's to guess."""
    again = row[1] if len(row) > 1 else None
    if again is None or again == value:
        return  # an empty or identical copy changes nothing the paper shows
    problems.append(
        Problem(
            sheet.ref((index, 2)),
            f"'{label}' is given again here, with another value than in {first};"
            " delete one of the two rows",
        )
    )


def _profile_named(
    sheet: _Sheet, profile: Profile, folder: Path, problems: list[Problem]
) -> Profile | None:
    """The profile the Paper sheet's "Profile" row names; `profile` when it names none; None
    with a problem when it names one that cannot be used."""
    wanted = normalise_header(PROFILE_LABEL)
    named = [
        (index, row)
        for index, row in enumerate(sheet.rows, start=1)
        if row and isinstance(row[0], str) and normalise_header(row[0]) == wanted
    ]
    for index, row in named[1:]:
        first_index, first = named[0]
        first_value = first[1] if len(first) > 1 else None
        _twice(sheet, PROFILE_LABEL, sheet.ref((first_index, 2)), first_value, row, index, problems)
    for index, row in named[:1]:
        value = row[1] if len(row) > 1 else None
        if value is None:
            return profile
        try:
            return load_profile(str(value).strip(), relative_to=folder, confined=True)
        except ProfileError as exc:
            faults = "; ".join(str(p) for p in exc.problems)
            problems.append(
                Problem(
                    sheet.ref((index, 2)),
                    f"names the profile {str(value)!r}, which cannot be used: {faults}",
                )
            )
            return None
    return profile


def _unknown_sheets(titles: list[str], layout: WorkbookLayout, profile: Profile) -> list[Problem]:
    """A warning for each sheet the profile does not read: nothing typed there is printed."""
    known = {_sheet_key(name) for name in (*layout.sheet_names, HELP_SHEET)}
    return [
        Problem(
            title,
            f"the sheet is not part of a paper of the profile '{profile.name}', so nothing in"
            " it is printed; delete it, or move what the board should see to the sheets"
            f" {', '.join(layout.sheet_names)}",
        )
        for title in titles
        if _sheet_key(title) not in known
    ]


def _same_name(source: str, name: str, worksheets: list[Any]) -> Problem:
    """The problem of several sheets answering to one name: which one is the paper's is a guess."""
    titles = [
        f"'{w.title}'" + ("" if _state(w) == "visible" else f" ({_STATES[_state(w)]})")
        for w in worksheets
    ]
    listed = ", ".join(titles[:-1]) + f" and {titles[-1]}"
    both = len(titles) == 2
    return Problem(
        source,
        f"sheets {listed} {'both' if both else 'all'} count as sheet '{name}', since sheet names"
        " are matched ignoring case and extra spaces, so it is not clear which to read; rename"
        f" or delete {'one of them' if both else 'all but one'}",
    )


_STATES = {"hidden": "hidden", "veryHidden": "very hidden"}
_UNHIDE = {
    "hidden": "right-click any sheet tab, choose Unhide and pick it",
    "veryHidden": (
        "Excel's Unhide does not list it: press Alt+F11, select the sheet under the"
        " workbook's project, and set its Visible property to -1 - xlSheetVisible"
    ),
}


def _state(worksheet: Any) -> str:
    state = getattr(worksheet, "sheet_state", None) or "visible"
    return state if state in _STATES else "visible"


def _hidden(worksheet: Any, required: bool) -> Problem | None:
    """Why a hidden sheet is not read, or None for a sheet that shows in Excel.

    What a manager cannot see in Excel must not become the paper unseen: a hidden sheet the
    paper needs is an error; a hidden optional one is left out, with a warning."""
    state = _state(worksheet)
    if state == "visible":
        return None
    title = worksheet.title
    if required:
        consequence = "so its contents cannot be checked before they are printed; unhide it"
    else:
        consequence = "so it is left out of the paper; to include it, unhide it"
    return Problem(
        title, f"the sheet is {_STATES[state]} in Excel, {consequence} ({_UNHIDE[state]})"
    )


def _sheet_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _listed_sheets(archive: zipfile.ZipFile) -> list[str]:
    """Sheet names as the workbook part lists them, to notice sheets openpyxl silently skips."""
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(archive.read("xl/workbook.xml"))
    except Exception:  # another part name, or damage openpyxl has already coped with
        return []
    return [e.get("name", "") for e in root.iter() if local_name(e.tag) == "sheet"]


def _sheet(worksheet: Any, archive: zipfile.ZipFile, problems: list[Problem]) -> _Sheet | None:
    """A sheet's values, or None with a problem when it cannot or should not be read."""
    title = worksheet.title
    if not hasattr(worksheet, "iter_rows"):
        problems.append(Problem(title, "is a chart sheet, not a table; rename or replace it"))
        return None
    # The size the sheet claims, refused before reading a row.
    rows, columns = worksheet.max_row or 0, worksheet.max_column or 0
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        problems.append(
            Problem(
                title,
                f"sheet is {rows} rows by {columns} columns; a paper's sheet is limited to"
                f" {MAX_ROWS} rows and {MAX_COLUMNS} columns. Delete the unused rows/columns",
            )
        )
        return None
    part_name = worksheet._worksheet_path  # outside the try: its absence is a bug, not damage
    try:
        # The size the sheet really has: a writer may state none, or a false one.
        with archive.open(part_name) as part:
            notes = _scan(part)
        if notes.beyond is not None:
            problems.append(
                Problem(
                    f"{title}!{notes.beyond}",
                    f"the sheet goes on past a paper's limit of {MAX_ROWS} rows and"
                    f" {MAX_COLUMNS} columns; delete the rows and columns beyond the table",
                )
            )
            return None
        values, not_dates = _values(worksheet, notes)
        merged = _merged_cells(notes)
    except Exception as exc:  # a damaged sheet can provoke any exception inside openpyxl
        damaged = (
            f"the sheet cannot be read: it is damaged ({detail(exc)}); open the workbook in"
            " Excel, which may repair it, and save it"
        )
        problems.append(Problem(title, _unreadable(exc, "the sheet", damaged)))
        return None
    return _Sheet(title, values, notes, not_dates, merged)


def _merged_cells(notes: _Notes) -> dict[Cell, Cell]:
    """Each cell of the sheet's extent that is merged into another, with that other cell."""
    merged: dict[Cell, Cell] = {}
    count = 0
    for top, left, bottom, right in notes.merged:
        if top > notes.rows or left > notes.columns:
            continue  # nothing is read there
        for row in range(top, min(bottom, notes.rows) + 1):
            for column in range(left, min(right, notes.columns) + 1):
                merged[row, column] = (top, left)
            count += min(right, notes.columns) - left + 1
            # Excel never writes overlapping merges; many of them could keep this loop going
            # for hours.
            if count > MAX_ROWS * MAX_COLUMNS:
                raise ValueError("merged cells overlap")
        merged.pop((top, left), None)
    return merged


def _values(worksheet: Any, notes: _Notes) -> tuple[list[tuple[Any, ...]], dict[Cell, str]]:
    """The sheet's cell values, and the date-formatted cells openpyxl could not read as dates."""
    if not notes.rows:
        return [], {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Bounded by the sheet's real extent, so a false or missing size loses nothing.
        rows = [
            tuple(_clean(v) for v in row)
            for row in worksheet.iter_rows(
                max_row=notes.rows, max_col=notes.columns, values_only=True
            )
        ]
    not_dates = {}
    for warning in caught:
        if match := _DATE_WARNING.match(str(warning.message)):
            cell = _cell(match.group(1))
            if cell is not None:
                not_dates[cell] = match.group(2)
    return rows, not_dates


def _scan(part: IO[bytes]) -> _Notes:
    """One streaming pass over a sheet's XML for what openpyxl's values do not show.

    Stops at the first cell past MAX_ROWS or MAX_COLUMNS, and drops each element once read, so
    even a sheet made to be huge costs little time and memory. The parser refuses XML entities.
    """
    from defusedxml.ElementTree import iterparse

    notes = _Notes()
    open_elements: list[Any] = []
    row_number = column = cells_in_row = 0
    in_cell = 0  # depth inside a <c>, whose children are needed when it ends
    cell_parts = 0
    for event, element in iterparse(part, events=("start", "end")):
        tag = local_name(element.tag)
        if event == "start":
            open_elements.append(element)
            if in_cell or tag == "c":
                in_cell += 1
                cell_parts += 1
                if cell_parts > MAX_CELL_PARTS:
                    raise ValueError(f"a cell holds over {MAX_CELL_PARTS:,} XML elements")
            elif tag == "row":
                row_number = _int(element.get("r"), row_number + 1)
                column = cells_in_row = 0
            continue
        open_elements.pop()
        if in_cell:
            in_cell -= 1
            if in_cell:
                continue
        if tag == "c":
            cell_parts = 0
            cells_in_row += 1
            cell = _cell(element.get("r") or "") or (row_number, column + 1)
            column = cell[1]
            _scan_cell(element, cell, notes)
            if cell[0] > MAX_ROWS or cell[1] > MAX_COLUMNS or cells_in_row > MAX_COLUMNS:
                notes.beyond = f"{_letter(min(cell[1], 16384))}{cell[0]}"
                return notes
        elif tag == "mergeCell":
            merged = _range(element.get("ref", ""))
            if merged is not None:
                notes.merged.append(merged)
        if open_elements:
            # Each finished element leaves its parent at once, so memory stays flat.
            open_elements[-1].remove(element)
    return notes


def _scan_cell(element: Any, cell: Cell, notes: _Notes) -> None:
    """Note what a cell element holds beyond its value."""
    formula = value = inline = None
    for child in element:
        name = local_name(child.tag)
        if name == "f":
            formula = child
        elif name == "v":
            value = child.text
        elif name == "is":
            inline = child
    kind = element.get("t", "n")
    has_value = bool(value) or inline is not None
    if formula is not None and not has_value and kind != "str":
        # openpyxl and other libraries write formulas with an empty value; Excel fills it when
        # it saves. "str" with an empty value is a formula whose result is empty text.
        notes.unsaved.add(cell)
    if kind == "e" and value:
        notes.errors[cell] = value
    if has_value or formula is not None:
        notes.rows = max(notes.rows, cell[0])
        notes.columns = max(notes.columns, cell[1])


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        if "_x" in value:
            value = _ESCAPED.sub(_unescape, value)
        value = one_kind_of_line_break(value)
        return value if value.strip() else None
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def _unescape(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    # A lone surrogate is no character; keep the text as typed rather than break Word's XML.
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def _read_fields(
    sheet: _Sheet,
    fields: tuple[FieldRow, ...],
    profile: Profile,
    problems: list[Problem],
    warnings: list[Problem],
) -> Record:
    wanted = {normalise_header(f.label): f for f in fields}
    ignored = {normalise_header(PROFILE_LABEL)}
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    reported: set[str] = set()
    for index, row in enumerate(sheet.rows, start=1):
        label = row[0] if row else None
        spec = wanted.get(normalise_header(label)) if isinstance(label, str) else None
        if spec is None:
            if index == 1 and isinstance(label, str) and normalise_header(label) == "field":
                continue  # the header row the workbook writer puts above the fields
            value = row[1] if len(row) > 1 else None
            if (
                isinstance(label, str)
                and normalise_header(label) not in ignored
                and value is not None
            ):
                warnings.append(
                    Problem(
                        sheet.ref((index, 1)),
                        f"'{label.strip()}' is not a field of the profile '{profile.name}', so"
                        " its value is not printed; correct the label to one of: "
                        + ", ".join(f.label for f in fields)
                        + ", or delete the row",
                    )
                )
            continue
        if spec.field in values:
            _twice(sheet, spec.label, cells[spec.field], values[spec.field], row, index, problems)
            continue
        values[spec.field] = row[1] if len(row) > 1 else None
        cells[spec.field] = sheet.ref((index, 2))
        fault = sheet.fault((index, 2), spec.field)
        if fault is not None:
            problems.append(Problem(cells[spec.field], fault))
            reported.add(spec.field)
    required = {f.key for f in profile.header if f.required}
    for spec in fields:
        if spec.field not in values and spec.field in required:
            problems.append(
                Problem(
                    f"{sheet.title}!A:A",
                    f"no row labelled '{spec.label}'; add it in column A with its value in"
                    " column B",
                )
            )
            reported.add(spec.field)  # said once: not again as an empty value
    return Record(values, cells, sheet.title, frozenset(reported))


def _read_table(
    sheet: _Sheet,
    layout: TableSheet,
    profile: Profile,
    problems: list[Problem],
    warnings: list[Problem],
) -> list[Record]:
    rows = sheet.rows
    header_index = _header_index(rows, layout)
    if header_index is None:
        if layout.required:
            problems.append(
                Problem(
                    sheet.title,
                    "sheet is empty; it needs a header row: "
                    + ", ".join(c.header for c in layout.columns),
                )
            )
        return []
    header = rows[header_index]
    by_header = {
        normalise_header(v): i for i, v in reversed(list(enumerate(header))) if isinstance(v, str)
    }
    positions: dict[str, int] = {}
    for column in layout.columns:
        position = by_header.get(normalise_header(column.header))
        if position is not None:
            positions[column.field] = position
        elif column.required:
            found = ", ".join(str(v) for v in header if v is not None)
            problems.append(
                Problem(
                    f"{sheet.title}!{header_index + 1}:{header_index + 1}",
                    f"column '{column.header}' is missing from the header row (found: {found});"
                    " add it or correct its spelling",
                )
            )
    if any(c.required and c.field not in positions for c in layout.columns):
        return []  # the rows cannot be read sensibly without the column; fix the header first
    known = {normalise_header(c.header) for c in layout.columns}
    for position, value in enumerate(header):
        if isinstance(value, str) and normalise_header(value) not in known:
            warnings.append(
                Problem(
                    sheet.ref((header_index + 1, position + 1)),
                    f"column '{value.strip()}' is not a column of this sheet in the profile"
                    f" '{profile.name}', so it is not printed; correct its header to one of: "
                    + ", ".join(c.header for c in layout.columns)
                    + ", or delete the column",
                )
            )

    warnings.extend(_under_no_header(sheet, header_index, header))
    last_column = _letter(max(positions.values()) + 1)
    records = []
    for index in range(header_index + 2, len(rows) + 1):
        row = rows[index - 1]
        values = {f: row[p] if p < len(row) else None for f, p in positions.items()}
        places = {f: (index, p + 1) for f, p in positions.items()}
        # A formula never calculated reads as blank but is data, except in a score, where a
        # column of formulas often runs on below the table.
        unsaved = {c for f, c in places.items() if f not in sheet.computed} & sheet.notes.unsaved
        if all(v is None for v in values.values()) and not unsaved:
            continue  # blank rows inside a table are spacing, not data
        faults = {f: sheet.fault(c, f) for f, c in places.items()}
        for name, fault in faults.items():
            if fault is not None:
                problems.append(Problem(sheet.ref(places[name]), fault))
        records.append(
            Record(
                values,
                {f: sheet.ref(c) for f, c in places.items()},
                f"{sheet.title}!A{index}:{last_column}{index}",
                frozenset(f for f, fault in faults.items() if fault is not None),
            )
        )
    return records


def _under_no_header(sheet: _Sheet, header_index: int, header: tuple[Any, ...]) -> list[Problem]:
    """A warning at the first cell of each column with no header that has text below it: it
    is read by no column, so it would be dropped without a word."""
    found = []
    width = max((len(r) for r in sheet.rows[header_index + 1 :]), default=0)
    for position in range(width):
        title = header[position] if position < len(header) else None
        if title is not None and str(title).strip():
            continue
        for index in range(header_index + 2, len(sheet.rows) + 1):
            row = sheet.rows[index - 1]
            value = row[position] if position < len(row) else None
            if value is not None and str(value).strip():
                found.append(
                    Problem(
                        sheet.ref((index, position + 1)),
                        f"{_short(str(value))!r} is in a column with no header, so it is not"
                        " printed; give the column its header or move the text into a column"
                        " that has one",
                    )
                )
                break
    return found


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _header_index(rows: list[tuple[Any, ...]], layout: TableSheet) -> int | None:
    """The header row: the first with every required header, so a title row above it is
    skipped; else the first with any header; else the first that is not blank."""
    headers = {normalise_header(c.header) for c in layout.columns}
    required = {normalise_header(c.header) for c in layout.columns if c.required}
    first_any = first_filled = None
    for index, row in enumerate(rows):
        found = {normalise_header(v) for v in row if isinstance(v, str)}
        if required <= found:
            return index
        if first_any is None and found & headers:
            first_any = index
        if first_filled is None and any(v is not None for v in row):
            first_filled = index
    return first_any if first_any is not None else first_filled


def _int(text: str | None, default: int) -> int:
    return int(text) if text is not None and text.isdigit() else default


def _cell(ref: str) -> Cell | None:
    match = _CELL_REF.match(ref)
    return (int(match.group(2)), _column_number(match.group(1))) if match else None


def _range(ref: str) -> tuple[int, int, int, int] | None:
    match = _RANGE_REF.match(ref)
    if match is None:
        return None
    left, top = _column_number(match.group(1)), int(match.group(2))
    if match.group(3) is None:
        return top, left, top, left
    return top, left, int(match.group(4)), _column_number(match.group(3))


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _letter(number: int) -> str:
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
