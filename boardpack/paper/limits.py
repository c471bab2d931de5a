"""Bounds on what a profile may ask for, checked on its parsed TOML before any model is made.

A profile is a small file from outside, and a few characters of it can ask for unbounded work:
`scores = [9, 9223372036854775807]` asks for every score up to 2**63, 18,000 levels for 324
million cells of a scoring grid, 500 nested lists for more recursion than Python has. Each count
and number is held to a limit far above any board's report and far below what would slow
`profile check`, and what `boardpack new` writes from the profile must fit what a workbook may
hold. Text must be printable: a control character in a title would reach the terminal raw.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from boardpack.errors import Problem, ProfileError

MAX_SHEET_COLUMNS = 50  # what the workbook reader reads of a sheet (workbook/read.py)
MAX_NUMBER = 1000  # a score, a matrix cell, a width; a product of 10 x 10 levels is 100
MAX_TEXT = 2000  # characters of one string: a hint or a description is a sentence or two
MAX_FOUND = 20  # faults named at once: a file of thousands says no more by naming them all
_SHEET_WHY = (
    "a sheet's columns beyond that are not read, so the workbook `new` writes could never be valid"
)


@dataclass(frozen=True)
class Bounds:
    """The limits of one kind of file: how deep its tables and lists nest, the longest list and
    the most keys at each key path, its numbers and text."""

    what: str  # "a profile", as messages name it
    depth: int  # tables and lists within each other, the file itself counted as 1
    example: str  # the deepest path a valid file has, to show in the message
    items: dict[str, int]  # the longest list at a key path (indices left out; * any name)
    lists: int  # ... at any other
    keys: dict[str, int]  # the most keys of a table at a key path
    tables: int  # ... at any other
    number: float | None  # the largest number either side of 0; None: the model bounds each
    printable: bool  # text with a control character is refused (else cleaned, with a warning)
    plenty: str  # why a limit is what it is: "more than any board's report needs"
    why: dict[str, str] = field(default_factory=dict)  # ... where a list's limit says more


PROFILE_BOUNDS = Bounds(
    what="a profile",
    depth=6,
    example="tables[1].columns[2].choices",
    items={
        "header": 60,
        "status.words": 12,
        "sections": 40,
        "risk.likelihood.levels": 10,
        "risk.impact.levels": 10,
        "risk.matrix": 10,
        "risk.matrix.*": 10,
        "risk.bands": 12,
        "risk.bands.scores": 2,
        "risk.bands.codes": 100,
        "risk.assessments": 6,
        "risk.columns": MAX_SHEET_COLUMNS,
        "risk.columns.choices": 50,
        "plan.scopes": 20,
        "plan.states": 20,
        "tables": 10,
        "tables.columns": MAX_SHEET_COLUMNS,
        "tables.columns.choices": 50,
    },
    lists=100,
    keys={},
    tables=40,  # a column has a dozen keys
    number=MAX_NUMBER,
    printable=True,
    plenty="more than any board's report needs",
    why={"risk.columns": _SHEET_WHY, "tables.columns": _SHEET_WHY},
)
SETTINGS_BOUNDS = Bounds(
    what="boardpack.toml",
    depth=5,
    example="email.recipients[1].gets",
    items={
        "agenda": 200,
        "meetings": 100,
        "appendices.*": 50,
        "email.recipients": 10_000,
        "email.recipients.gets": 10,
    },
    lists=100,
    keys={"templates": 500, "appendices": 500},
    tables=40,
    number=None,  # each setting's model bounds its number (a port, a time-out, working days)
    printable=False,  # boardpack.toml's text is cleaned as cell text is, with a warning
    plenty="more than any meeting needs",
)
# Control characters (but tab and line feed) and the marks that reorder text on a terminal.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")

LineOf = Callable[[tuple[Any, ...]], int | None]


def load_bounded(
    source: str, where: str, line_of: Callable[[str, tuple[Any, ...]], int | None]
) -> dict[str, Any]:
    """A profile's TOML text parsed, once it is known to ask for bounded work; ProfileError
    names each limit it goes past (tomllib.TOMLDecodeError when it is not TOML)."""
    try:
        data = tomllib.loads(source)
    except RecursionError as exc:  # lists within lists, hundreds deep
        message = (
            f"lists are nested too deeply to read; a profile nests at most {PROFILE_BOUNDS.depth}"
        )
        raise ProfileError(where, [Problem("", message)]) from exc
    if over := over_limits(data, lambda loc: line_of(source, loc)):
        raise ProfileError(where, over)
    if unnamed := sheet_name_faults(data, lambda loc: line_of(source, loc)):
        raise ProfileError(where, unnamed)
    if alike := same_reading_faults(data, lambda loc: line_of(source, loc)):
        raise ProfileError(where, alike)
    return data


PROFILE_ROW = "Profile"  # the Paper sheet's row naming the workbook's profile (workbook/layout.py)


def read_as(text: str) -> str:
    """A label or column header as the workbook reader matches it: case, spacing and anything
    from a '(' on do not count (layout.normalise_header; a test holds the two together)."""
    text = text.split("(")[0] if "(" in text else text
    return " ".join(text.split()).casefold()


def same_reading_faults(data: dict[str, Any], line_of: LineOf) -> list[Problem]:
    """Header labels, and the column headers of one sheet, that the reader could not tell apart
    (`Cost (a)` and `Cost (b)`), or that read as nothing: the workbook `new` writes from the
    profile could never be valid."""
    groups: list[tuple[tuple[Any, ...], str, set[str]]] = [
        (("header",), "label", {PROFILE_ROW}),
        (("risk", "columns"), "header", set()),
    ]
    tables = data.get("tables")
    for index in range(len(tables) if isinstance(tables, list) else 0):
        groups.append((("tables", index, "columns"), "header", set()))
    found: list[tuple[tuple[Any, ...], str]] = []
    for path, key, reserved in groups:
        items = _found(data, path)
        if not isinstance(items, list):
            continue
        seen = {read_as(name): f"the {name} row" for name in reserved}
        for index, item in enumerate(items):
            text = item.get(key) if isinstance(item, dict) else None
            if not isinstance(text, str) or not text.strip():
                continue  # the model says what is missing or empty
            group = item.get("group") if isinstance(item, dict) else None
            if isinstance(group, str) and group.strip():
                text = f"{group}: {text}"  # the workbook's header of a grouped column
            place, reading = (*path, index, key), read_as(text)
            if not reading:
                found.append(
                    (
                        place,
                        f"{text!r} reads as nothing (the reader ignores what is"
                        " in brackets): give it words before any bracket",
                    )
                )
            elif reading in seen:
                found.append(
                    (
                        place,
                        f"{text!r} reads as {seen[reading]} (the reader ignores"
                        " case, spacing and what is in brackets): make it different",
                    )
                )
            else:
                seen[reading] = repr(text)
    return [_at(place, line_of, message) for place, message in found]


def _found(data: Any, path: tuple[Any, ...]) -> Any:
    """The value at a key path of the parsed file, or None where the path leads nowhere."""
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def over_limits(
    data: dict[str, Any], line_of: LineOf, bounds: Bounds = PROFILE_BOUNDS
) -> list[Problem]:
    """Every place where the parsed file `data` goes past a limit of `bounds`, each named by its
    key and line (`line_of` finds the line of a key path). Walks the data without recursion and
    goes no deeper than the limit, so even a hostile file is checked in a moment."""
    found: list[tuple[tuple[Any, ...], str]] = []
    stack: list[tuple[Any, tuple[Any, ...], int]] = [(data, (), 1)]
    while stack and len(found) < MAX_FOUND:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list) and depth > bounds.depth:
            found.append(
                (
                    path,
                    f"is nested {depth} deep or more; {bounds.what} nests tables and lists at"
                    f" most {bounds.depth} deep ({bounds.example})",
                )
            )
            continue
        if isinstance(value, dict):
            most = _limit(bounds.keys, path, bounds.tables)
            if len(value) > most:
                found.append(
                    (path, f"has {len(value):,} keys; the limit is {most} ({bounds.plenty})")
                )
                continue
            stack.extend((item, (*path, key), depth + 1) for key, item in value.items())
        elif isinstance(value, list):
            most = _limit(bounds.items, path, bounds.lists)
            if len(value) > most:
                why = bounds.why.get(_pattern(path), bounds.plenty)
                message = f"lists {len(value):,} items; the limit is {most} ({why})"
                found.append((path, message))
                continue
            stack.extend((item, (*path, index), depth + 1) for index, item in enumerate(value))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int | float) and bounds.number is not None:
            if not (math.isfinite(value) and abs(value) <= bounds.number):
                found.append(
                    (
                        path,
                        f"is {_shown(value)}; numbers in {bounds.what} are at most"
                        f" {bounds.number:g} either side of 0 (a score, a matrix cell, a width)",
                    )
                )
        elif isinstance(value, str):
            if len(value) > MAX_TEXT:
                message = f"is {len(value):,} characters long; the limit is {MAX_TEXT}; shorten it"
                found.append((path, message))
            elif bounds.printable and (match := _UNPRINTABLE.search(value)):
                found.append(
                    (
                        path,
                        f"holds the control character U+{ord(match.group()):04X} at character"
                        f" {match.start() + 1}; {bounds.what}'s text must be printable: remove it",
                    )
                )
    return sorted((_at(path, line_of, message) for path, message in found), key=_order)


def _limit(limits: dict[str, int], path: tuple[Any, ...], otherwise: int) -> int:
    """The limit at a key path: its own, else that of any name in its last place."""
    pattern = _pattern(path)
    if pattern in limits:
        return limits[pattern]
    parent, _, _ = pattern.rpartition(".")
    return limits.get(f"{parent}.*" if parent else "*", otherwise)


# The sheets every workbook may hold (workbook/layout.py names them; a test holds the two
# together): a declared table's sheet of the same name would be read as the other.
FIXED_SHEETS = ("Paper", "Help", "Sections", "Plan", "Budget", "Risks")
MAX_SHEET_NAME = 31  # Excel's limit; a longer name is cut short or refused by Excel
_NOT_IN_SHEET_NAMES = re.compile(r"[\\/?*\[\]:]")


def sheet_name_faults(data: dict[str, Any], line_of: LineOf) -> list[Problem]:
    """Each declared table whose sheet `boardpack new` could not write as Excel names sheets,
    or whose name is another sheet's: that workbook could never be valid."""
    tables = data.get("tables")
    if not isinstance(tables, list):
        return []
    found: list[tuple[tuple[Any, ...], str]] = []
    seen = {name.casefold(): name for name in FIXED_SHEETS}
    for index, table in enumerate(tables):
        name = table.get("sheet") if isinstance(table, dict) else None
        if not isinstance(name, str):
            continue  # the model says what is missing
        path = ("tables", index, "sheet")
        if len(name) > MAX_SHEET_NAME:
            found.append(
                (
                    path,
                    f"is {len(name)} characters long; Excel names a sheet in at most"
                    f" {MAX_SHEET_NAME}: shorten it",
                )
            )
        elif bad := _NOT_IN_SHEET_NAMES.search(name):
            found.append(
                (
                    path,
                    f"holds {bad.group()!r}, which Excel does not allow in a sheet's name"
                    " (nor any of \\ / ? * [ ] :): choose another name",
                )
            )
        elif not name.strip() or name.strip() != name or name.startswith("'"):
            found.append((path, "must be a sheet name without spaces or ' at either end"))
        elif (other := seen.get(name.casefold())) is not None:
            found.append(
                (
                    path,
                    f"is the name of the workbook's {other} sheet already; a table's rows"
                    " need a sheet of their own: choose another name",
                )
            )
        else:
            seen[name.casefold()] = name
    return [_at(path, line_of, message) for path, message in found]


def _pattern(path: tuple[Any, ...]) -> str:
    """A key path as MAX_ITEMS names it: indices left out, but a list within a list (a row of
    the matrix) written *."""
    names = ".".join(str(part) for part in path if not isinstance(part, int))
    return f"{names}.*" if path and isinstance(path[-1], int) else names


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the whole profile)"


def _at(path: tuple[Any, ...], line_of: LineOf, message: str) -> Problem:
    line = line_of(path)
    return Problem(f"line {line}: {_dotted(path)}" if line else _dotted(path), message)


def _order(problem: Problem) -> tuple[int, str]:
    where = problem.where
    number = where.removeprefix("line ").split(":")[0] if where.startswith("line ") else ""
    return (int(number) if number.isdigit() else 0, where)


def _shown(value: float) -> str:
    text = f"{value:,}" if isinstance(value, int) else repr(value)
    return text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text)} characters)"
