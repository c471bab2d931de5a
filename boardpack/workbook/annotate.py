"""The annotated copy: a workbook's problems shown where a manager looks, in Excel.

A copy of the workbook is written beside it, never over it: each problem a note (comment) on
its cell, the cell marked, and a first sheet, "Problems", listing them in the workbook's order
with a link to each cell. Problems of the workbook as a whole (a sheet missing) are listed only.

The copy is made from a hostile file, so it carries nothing of it that could run: it is saved
as .xlsx (never .xlsm: macros are not even loaded), holds the values the workbook showed and not
its formulas, and neither its links to other files nor its defined names. A manager corrects the
workbook itself; the copy is a map of where.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boardpack.errors import BoardpackError, InvalidWorkbook, OutputError, Problem
from boardpack.files import ANNOTATED_SUFFIX, temporary_in, write_synced
from boardpack.guard import checked_bytes, detail, import_openpyxl, local_name, open_archive
from boardpack.text import without_controls
from boardpack.workbook.excel_package import as_excel_writes
from boardpack.workbook.places import Place, in_sheet_order, place_of

SUFFIX = ANNOTATED_SUFFIX  # the copy of procurement.xlsx is "procurement (problems).xlsx"
PROBLEMS_SHEET = "Problems"
AUTHOR = "boardpack"
_MARKER = "boardpack: the problems of a workbook, marked on a copy"  # the copy's subject
_MAX_COPIES = 20  # "(problems 2)" ... before giving up: the folder needs tidying
# The worksheets' XML a copy is made from: a paper's sheets are a few hundred kilobytes; the
# read stage refuses one far larger, and loading it whole to mark it would take minutes.
_MAX_SHEET_BYTES = 10 * 1024 * 1024
_MAX_MARKED = 200  # cells marked for one problem: a row of a table, not a sheet

_ERROR_FILL, _ERROR_LINE = "FFC7CE", "C00000"  # Excel's own "light red fill, dark red"
_WARNING_FILL, _WARNING_LINE = "FFEB9C", "9C5700"  # and its "yellow fill, dark yellow"


@dataclass(frozen=True)
class AnnotatedCopy:
    """A copy of a workbook written with its problems marked: where, and how many."""

    path: Path
    listed: int  # problems and warnings on the Problems sheet
    marked: int  # cells given a note

    def __str__(self) -> str:
        return (
            f"wrote {self.path}: open it in Excel to see each problem on its cell"
            f" ({self.listed} listed on its first sheet, {self.marked} cells marked); correct"
            " them in the workbook itself"
        )


@dataclass(frozen=True)
class _Item:
    """One problem to show, with its kind and place."""

    problem: Problem
    error: bool
    place: Place


def annotate_workbook(
    source: Path, problems: Sequence[Problem], warnings: Sequence[Problem] = ()
) -> AnnotatedCopy:
    """Write the annotated copy of the workbook `source` beside it and say where.

    Never writes over `source` or over any file but an earlier annotated copy of it that no one
    has saved since; a copy open in Excel, or edited, is kept and the next name taken. Raises
    BoardpackError when the workbook cannot be read or the copy cannot be written."""
    source = Path(source)
    book = _load(source)
    try:
        sheets = list(book.sheetnames)
        ordered = in_sheet_order([*problems, *warnings], sheets)
        errors = {id(p) for p in problems}
        items = [_Item(p, id(p) in errors, place_of(p.where, sheets)) for p in ordered]
        marked = _mark_cells(book, items)
        _list_problems(book, items, source.name, marked)
        _without_what_could_run(book)
        book.properties.lastModifiedBy = AUTHOR
        book.properties.subject = _MARKER
        buffer = io.BytesIO()
        book.save(buffer)
    finally:
        book.close()
    path = _write_beside(source, as_excel_writes(buffer.getvalue()))
    return AnnotatedCopy(path, len(items), len(set(marked.values())))


def _load(source: Path) -> Any:
    data = checked_bytes(source, source.name)
    with open_archive(data, source.name) as archive:
        sheets = sum(
            info.file_size
            for info in archive.infolist()
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        )
    if sheets > _MAX_SHEET_BYTES:
        raise BoardpackError(
            f"{source.name}: its sheets are too large to mark on a copy; delete the rows and"
            " columns beyond its tables, save it and run again"
        )
    openpyxl = import_openpyxl()
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # features openpyxl drops: none is the paper's
            return openpyxl.load_workbook(
                io.BytesIO(data), data_only=True, keep_links=False, keep_vba=False
            )
    except Exception as exc:  # a damaged part can provoke any exception inside openpyxl
        raise BoardpackError(
            f"{source.name}: cannot be opened to mark its problems on a copy ({detail(exc)})"
        ) from exc


def _mark_cells(book: Any, items: list[_Item]) -> dict[int, tuple[str, str]]:
    """Give each problem's cell a note and a mark; return, by the index of each problem that
    names cells, its sheet and the cells to list and link to ("C5", "A5:F5", or for a whole
    column the cell below its last value, where the note is)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Border, PatternFill, Side

    notes: dict[tuple[str, str], list[str]] = {}
    errors: set[tuple[str, str]] = set()
    placed: dict[int, tuple[str, str]] = {}
    for index, item in enumerate(items):
        place = item.place
        if not place.has_cells or place.sheet is None:
            continue
        sheet = book[place.sheet]
        if not hasattr(sheet, "cell"):  # a chart sheet has no cells to mark
            continue
        anchor, area = _cells_of(sheet, place)
        shown = sheet.cell(*anchor).coordinate
        cell = _shown_at(sheet, *anchor)
        key = (place.sheet, cell.coordinate)
        kind = "Error" if item.error else "Warning"
        where = "" if shown == cell.coordinate else f" ({shown})"
        notes.setdefault(key, []).append(f"{kind}{where}: {_plain(item.problem.message)}")
        if item.error:
            errors.add(key)
        placed[index] = (place.sheet, _listed_ref(item.problem.where, place, shown))
        for row, column in area:
            target = _shown_at(sheet, row, column)
            fill, line = (
                (_ERROR_FILL, _ERROR_LINE)
                if item.error or (place.sheet, target.coordinate) in errors
                else (_WARNING_FILL, _WARNING_LINE)
            )
            target.fill = PatternFill("solid", fgColor=fill)
            side = Side(style="medium", color=line)
            target.border = Border(left=side, right=side, top=side, bottom=side)
    for (title, ref), lines in notes.items():
        cell = book[title][ref]
        own = cell.comment.text.strip() if cell.comment is not None else ""
        text = "boardpack found:\n" + "\n".join(lines)
        if own:
            text += f"\n\nThe workbook's own note:\n{_plain(own)}"
        words = sum(len(line) for line in text.splitlines()) // 45 + text.count("\n") + 2
        # Excel sizes a note in points; a wide one reads as a paragraph, not a column.
        cell.comment = Comment(text, AUTHOR, height=min(400, 16 * words), width=320)
    return placed


def _shown_at(sheet: Any, row: int, column: int) -> Any:
    """The cell that shows what is at (row, column): the first of merged cells, whose note
    and fill are the only ones Excel shows."""
    from openpyxl.cell.cell import MergedCell

    cell = sheet.cell(row, column)
    if isinstance(cell, MergedCell):
        merged = next((r for r in sheet.merged_cells.ranges if cell.coordinate in r), None)
        if merged is not None:
            return sheet.cell(merged.min_row, merged.min_col)
    return cell


def _cells_of(sheet: Any, place: Place) -> tuple[tuple[int, int], list[tuple[int, int]]]:
    """The cell a problem's note goes on, and the cells it marks."""
    if not place.first_row:  # a whole column: "add it in column A" points below its last value
        column = place.first_column
        row = 1
        for cell in sheet.iter_rows(min_col=column, max_col=column):
            if cell[0].value is not None:
                row = cell[0].row + 1
        return (row, column), [(row, column)]
    if not place.first_column:  # a whole row: its cells as far as the sheet goes
        last = max(1, min(sheet.max_column or 1, _MAX_MARKED))
        cells = [(place.first_row, column) for column in range(1, last + 1)]
        return (place.first_row, 1), cells
    cells = [
        (row, column)
        for row in range(place.first_row, max(place.first_row, place.last_row) + 1)
        for column in range(place.first_column, max(place.first_column, place.last_column) + 1)
    ]
    return (place.first_row, place.first_column), cells[:_MAX_MARKED]


def _listed_ref(where: str, place: Place, anchor: str) -> str:
    """The cells a problem is listed at: as it names them, or the cell its note is on when it
    names whole rows or columns."""
    if place.first_row and place.first_column:
        return where.rpartition("!")[2]
    return anchor


def _list_problems(
    book: Any, items: list[_Item], name: str, placed: dict[int, tuple[str, str]]
) -> None:
    """The first sheet: every problem in the workbook's order, each linked to its cell."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    title = PROBLEMS_SHEET
    taken = {t.casefold() for t in book.sheetnames}
    number = 1
    while title.casefold() in taken:
        number += 1
        title = f"{PROBLEMS_SHEET} {number}"
    sheet = book.create_sheet(title, 0)
    errors = sum(item.error for item in items)
    warnings = len(items) - errors
    counted = [
        f"{n} {noun}{'s' * (n != 1)}"
        for n, noun in ((errors, "problem"), (warnings, "warning"))
        if n
    ]
    _append(sheet, [f"{name}: {' and '.join(counted) or 'nothing'} found by boardpack"])
    sheet["A1"].font = Font(bold=True, size=14)
    _append(
        sheet,
        [
            f"Correct them in {name} itself, not in this copy, save it and check it again. Click"
            " a cell's name to go to it: it is marked, red for a problem, yellow for a warning,"
            " and its note says what is wrong. This copy holds the workbook's values, not its"
            " formulas."
        ],
    )
    sheet.merge_cells("A2:D2")
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 48
    sheet.append([])
    _append(sheet, ["Sheet", "Cell", "Kind", "What is wrong, and what to do"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, item in enumerate(items):
        place = item.place
        problem = item.problem
        kind = "Error" if item.error else "Warning"
        if place.sheet is None:
            shown = "" if problem.where in ("", name) else f"{problem.where}: "
            _append(sheet, ["(the workbook)", "", kind, shown + problem.message])
            target = None
        else:
            cells = placed[index][1] if index in placed else ""
            _append(sheet, [place.sheet, cells, kind, problem.message])
            # A link into a hidden sheet or a chart sheet leads nowhere in Excel.
            shown_sheet = book[place.sheet]
            visible = getattr(shown_sheet, "sheet_state", "visible") == "visible"
            linkable = visible and hasattr(shown_sheet, "cell")
            target = f"{_quoted(place.sheet)}!{cells or 'A1'}" if linkable else None
        row = sheet.max_row
        for cell_of_row in sheet[row]:
            cell_of_row.alignment = wrap
        if target is not None:
            link = sheet.cell(row, 2 if sheet.cell(row, 2).value else 1)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=target)
            link.font = Font(color="0563C1", underline="single")
        sheet.cell(row, 3).font = Font(bold=True, color=_ERROR_LINE if item.error else "9C5700")
    for letter, width in zip("ABCD", (18, 10, 10, 100), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A5"
    sheet.sheet_properties.tabColor = _ERROR_LINE if errors else _WARNING_LINE
    for other in book.worksheets:
        other.sheet_view.tabSelected = False
    sheet.sheet_view.tabSelected = True
    book.active = 0


def _append(sheet: Any, values: list[str]) -> None:
    """A row of text: never read as a formula (a sheet may be called "=1+1"), and without
    the control characters a cell cannot hold."""
    sheet.append([_plain(value) for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _plain(text: str) -> str:
    return without_controls(text)[0]


def _quoted(title: str) -> str:
    """A sheet's title as a link or formula names it: in quotes, any quote doubled."""
    return "'" + title.replace("'", "''") + "'"


def _without_what_could_run(book: Any) -> None:
    """Drop what Excel might act on when the copy opens: defined names (a name can hold a
    formula or call a macro, Auto_Open) and any formula left; no macros were loaded."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    book.defined_names.clear()
    book.vba_archive = None
    for sheet in book.worksheets:
        sheet.defined_names.clear()
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula):
                    cell.value = None


def _write_beside(source: Path, data: bytes) -> Path:
    """Write the copy beside `source` under the first free name, or over an earlier copy of
    ours no one has saved since; never over anything else."""
    folder = source.parent
    for number in range(1, _MAX_COPIES + 1):
        suffix = SUFFIX if number == 1 else f"{SUFFIX[:-1]} {number})"
        target = folder / f"{source.stem}{suffix}.xlsx"
        if target == source:
            continue
        try:
            if _place_new(target, data, replace=_is_our_unsaved_copy(target)):
                return target
        except OSError as exc:
            raise OutputError(
                f"{target}: could not write the annotated copy ({exc.strerror}); check the"
                f" folder {folder} is writable"
            ) from exc
    raise OutputError(
        f"{folder}: already holds {_MAX_COPIES} annotated copies of {source.name}; delete the"
        " old ones and run again"
    )


def _place_new(target: Path, data: bytes, *, replace: bool) -> bool:
    """Put `data` at `target` whole, or not at all: False when `target` exists and is not to be
    replaced."""
    with _written(target, data) as temporary:
        if replace:
            os.replace(temporary, target)
            return True
        try:
            os.link(temporary, target)  # fails if the name is taken, even by a file made now
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: claim the name, then fill it
            try:
                handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                return False
            os.close(handle)
            os.replace(temporary, target)
        return True


@contextlib.contextmanager
def _written(target: Path, data: bytes) -> Iterator[Path]:
    with temporary_in(target.parent, suffix=".xlsx") as temporary:
        write_synced(temporary, data)
        yield temporary


def _is_our_unsaved_copy(path: Path) -> bool:
    """Whether `path` is an annotated copy boardpack wrote that no one has saved since (Excel
    and LibreOffice sign each save as the user) and no one has open."""
    if not path.is_file() or path.is_symlink():
        return False
    if path.with_name("~$" + path.name).exists():
        return False
    if path.with_name(f".~lock.{path.name}#").exists():
        return False
    from defusedxml.ElementTree import fromstring

    try:
        data = checked_bytes(path, path.name)
        with open_archive(data, path.name) as archive:
            root = fromstring(archive.read("docProps/core.xml"))
    except (BoardpackError, KeyError, ValueError, SyntaxError):
        return False
    said = {local_name(element.tag): (element.text or "") for element in root}
    return said.get("lastModifiedBy") == AUTHOR and said.get("subject") == _MARKER


def annotate_all(
    found: Sequence[tuple[Path, Sequence[Problem], Sequence[Problem]]],
) -> tuple[list[str], bool]:
    """Annotated copies of workbooks, each given with its problems and warnings: the lines to
    print, saying where each copy is or why there is none, and whether every copy was written.
    A workbook with nothing to show gets no copy."""
    lines: list[str] = []
    written = True
    for source, problems, warnings in found:
        if not problems and not warnings:
            lines.append(f"{source.name}: nothing to mark, so no annotated copy")
            continue
        try:
            lines.append(f"{source.name}: {annotate_workbook(source, problems, warnings)}")
        except InvalidWorkbook:  # its problem, that it cannot be opened, is already shown
            lines.append(f"{source.name}: no annotated copy, as it cannot be opened")
        except BoardpackError as exc:
            lines.append(f"{source.name}: no annotated copy: {exc}")
            written = False
    return lines, written
