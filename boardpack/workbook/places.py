"""Places in a workbook as problems name them (`Risks!C5`, `Risks!A5:F5`, `Paper!A:A`, `Risks`),
read back into sheet, rows and columns: to list problems in the workbook's own order and to
find the cells an annotated copy marks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from boardpack.errors import Problem

# A cell (C5), a range (A5:F5), whole rows (3:3) or whole columns (A:A), as read.py writes them.
_AREA = re.compile(r"^(?:([A-Z]{1,3})?([0-9]+)?)(?::([A-Z]{1,3})?([0-9]+)?)?$")


@dataclass(frozen=True)
class Place:
    """Where a problem is: a sheet's title (None: the file as a whole) and, within the sheet,
    the rows and columns it covers, from 1 (0: the sheet's rows or columns are not narrowed)."""

    sheet: str | None
    first_row: int = 0
    first_column: int = 0
    last_row: int = 0
    last_column: int = 0

    @property
    def has_cells(self) -> bool:
        return self.sheet is not None and bool(self.first_row or self.first_column)


def place_of(where: str, sheets: Sequence[str]) -> Place:
    """The place a problem's `where` names in a workbook with the sheets `sheets`."""
    if where in sheets:  # a sheet's title alone, even one with a "!" in it
        return Place(where)
    sheet, bang, area = where.rpartition("!")
    if not bang:
        # A sheet's title alone, or the file's name (or nothing) for the workbook as a whole.
        return Place(where if where in sheets else None)
    match = _AREA.match(area)
    if sheet not in sheets:  # no sheet of this workbook: the file's, as a whole
        return Place(None)
    if match is None:
        return Place(sheet)
    left, top, right, bottom = match.groups()
    first_column = _column_number(left) if left else 0
    first_row = int(top) if top else 0
    last_column = _column_number(right) if right else first_column
    last_row = int(bottom) if bottom else first_row
    if match.group(3) is None and match.group(4) is None:
        last_column, last_row = first_column, first_row
    return Place(sheet, first_row, first_column, last_row, last_column)


def in_sheet_order(problems: Iterable[Problem], sheets: Sequence[str]) -> list[Problem]:
    """`problems` as a reader of the workbook meets them: those of the file as a whole first,
    then by the workbook's sheet order, row and column; problems at one place keep their order.
    A sheet the workbook does not have (a missing one) counts as the file's."""
    index = {title: number for number, title in enumerate(sheets, start=1)}

    def key(problem: Problem) -> tuple[int, int, int]:
        place = place_of(problem.where, sheets)
        if place.sheet is None or place.sheet not in index:
            return (0, 0, 0)
        return (index[place.sheet], place.first_row, place.first_column)

    return sorted(problems, key=key)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number
