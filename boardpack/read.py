"""Read stage: a workbook's cells, laid out as records with the place each value came from.

Only this module knows openpyxl. It checks the workbook's shape (sheets, headers) but not its
values: that is the validate stage's job, which needs to know where each value came from.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boardpack.errors import InvalidWorkbook, Problem
from boardpack.layout import (
    PAPER_FIELDS,
    PAPER_SHEET,
    SHEET_NAMES,
    TABLE_SHEETS,
    TableSheet,
    normalise_header,
)

# A real paper has a few dozen rows; a sheet claiming far more is a mistake or an attack, and
# reading it would take minutes and gigabytes before any useful message.
MAX_ROWS = 5000
MAX_COLUMNS = 50


@dataclass(frozen=True)
class Record:
    """One row of a sheet: model field name -> cell value, and field name -> cell reference."""

    values: dict[str, Any]
    cells: dict[str, str]
    where: str  # the row as a whole, e.g. "Risks!A5:F5"


@dataclass
class RawWorkbook:
    """Everything read from a workbook, before validation, with any problems of its shape."""

    source: str
    details: Record
    tables: dict[str, list[Record]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def read_workbook(path: Path) -> RawWorkbook:
    """Read a paper's workbook; raise InvalidWorkbook when it cannot be opened at all."""
    source = path.name
    workbook = _open(path)
    try:
        return _read(workbook, source)
    finally:
        workbook.close()


def _open(path: Path) -> Any:
    # openpyxl is imported here so that importing boardpack stays cheap.
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    source = path.name
    if not path.exists():
        raise InvalidWorkbook(source, [Problem(str(path), "file not found; check the path")])
    if path.is_dir():
        raise InvalidWorkbook(source, [Problem(str(path), "is a folder, not a workbook")])
    if path.suffix.lower() == ".xls":
        raise InvalidWorkbook(
            source,
            [
                Problem(
                    source,
                    "is an old Excel 97-2003 .xls file; open it in Excel and save it as"
                    " an Excel Workbook (.xlsx)",
                )
            ],
        )
    try:
        # keep_vba=False: an .xlsm's macros are never loaded, let alone run.
        return openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        if path.stat().st_size == 0:
            reason = "is empty (0 bytes); save the workbook again from Excel"
        else:
            reason = (
                "cannot be read as an Excel workbook (.xlsx); it may be damaged or another kind"
                f" of file. Open it in Excel and save it as .xlsx ({type(exc).__name__})"
            )
        raise InvalidWorkbook(source, [Problem(source, reason)]) from exc


def _read(workbook: Any, source: str) -> RawWorkbook:
    sheets = {" ".join(name.split()).casefold(): name for name in workbook.sheetnames}
    problems: list[Problem] = []

    def sheet(name: str, required: bool) -> Any:
        actual = sheets.get(name.casefold())
        if actual is None:
            if required:
                problems.append(
                    Problem(
                        source,
                        f"sheet '{name}' is missing. Expected sheets: {', '.join(SHEET_NAMES)}"
                        f" (Budget optional); this workbook has: {', '.join(workbook.sheetnames)}."
                        " Rename or add the sheet",
                    )
                )
            return None
        return workbook[actual]

    paper_sheet = sheet(PAPER_SHEET, required=True)
    details = _read_fields(paper_sheet, problems) if paper_sheet is not None else Record({}, {}, "")
    raw = RawWorkbook(source, details, problems=problems)
    for layout in TABLE_SHEETS:
        worksheet = sheet(layout.name, layout.required)
        raw.tables[layout.name] = (
            [] if worksheet is None else _read_table(worksheet, layout, problems)
        )
    return raw


def _rows(worksheet: Any, problems: list[Problem]) -> list[tuple[Any, ...]]:
    """The sheet's cell values, refusing sheets far beyond any real paper before reading them."""
    rows, columns = worksheet.max_row or 0, worksheet.max_column or 0
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        problems.append(
            Problem(
                worksheet.title,
                f"sheet is {rows} rows by {columns} columns; a paper's sheet is limited to"
                f" {MAX_ROWS} rows and {MAX_COLUMNS} columns. Delete the unused rows/columns",
            )
        )
        return []
    return [tuple(_clean(v) for v in row) for row in worksheet.iter_rows(values_only=True)]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        # Excel keeps line breaks inside a cell as \r\n or \n; the paper wants \n.
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value if value.strip() else None
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def _read_fields(worksheet: Any, problems: list[Problem]) -> Record:
    wanted = {normalise_header(f.label): f for f in PAPER_FIELDS}
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    for index, row in enumerate(_rows(worksheet, problems), start=1):
        label = row[0] if row else None
        spec = wanted.get(normalise_header(label)) if isinstance(label, str) else None
        if spec is None or spec.field in values:
            continue
        values[spec.field] = row[1] if len(row) > 1 else None
        cells[spec.field] = f"{worksheet.title}!B{index}"
    for spec in PAPER_FIELDS:
        if spec.field not in values:
            problems.append(
                Problem(
                    f"{worksheet.title}!A:A",
                    f"no row labelled '{spec.label}'; add it in column A with its value in"
                    " column B",
                )
            )
    return Record(values, cells, worksheet.title)


def _read_table(worksheet: Any, layout: TableSheet, problems: list[Problem]) -> list[Record]:
    from openpyxl.utils import get_column_letter

    rows = _rows(worksheet, problems)
    header_index = next((i for i, row in enumerate(rows) if any(v is not None for v in row)), None)
    if header_index is None:
        if layout.required:
            problems.append(
                Problem(
                    worksheet.title,
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
                    f"{worksheet.title}!{header_index + 1}:{header_index + 1}",
                    f"column '{column.header}' is missing from the header row (found: {found});"
                    " add it or correct its spelling",
                )
            )
    if any(c.required and c.field not in positions for c in layout.columns):
        return []  # the rows cannot be read sensibly without the column; fix the header first

    last_column = get_column_letter(max(positions.values()) + 1)
    records = []
    for index, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        values = {f: row[p] if p < len(row) else None for f, p in positions.items()}
        if all(v is None for v in values.values()):
            continue  # blank rows inside a table are spacing, not data
        cells = {
            f: f"{worksheet.title}!{get_column_letter(p + 1)}{index}" for f, p in positions.items()
        }
        records.append(Record(values, cells, f"{worksheet.title}!A{index}:{last_column}{index}"))
    return records
