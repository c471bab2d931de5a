"""Build stage: a validated Paper becomes the values the Word template places.

A pure function of the paper, so every formatting choice (dates, money, LxI bands, "None" for an
empty section) is here where tests can reach it, and the template holds no logic of its own.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any

from boardpack.paper.changes import TREND_WORDS, History, Slip
from boardpack.paper.models import MONTH_NAMES, Paper, Row, headline_score, trend_text
from boardpack.paper.page import A4, ChartParts, DoesNotFit, PageArea, chart_parts
from boardpack.paper.profile import (
    Block,
    Column,
    ColumnType,
    DateForm,
    FieldType,
    Orientation,
    Page,
    RiskScheme,
    Role,
    Scoring,
    StatusScheme,
    fill,
)

NO_ACTION = "No action recorded"  # printed for a risk whose action column is blank
NO_FILL = "auto"  # a cell boardpack does not shade: Word's automatic, i.e. the table's own


def long_date(day: dt.date) -> str:
    """A date as a UK board paper writes it, 24 January 2008, whatever the locale."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def money(amount: Decimal | None) -> str:
    """Pounds with thousands separators, pence only when there are any; a dash when unknown."""
    if amount is None:
        return "-"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{sign}£{text}"


def month(day: dt.date) -> str:
    """A month as a paper writes it: September 2009."""
    return f"{MONTH_NAMES[day.month - 1]} {day.year}"


def dated(day: dt.date, form: DateForm) -> str:
    """A date in the form a profile declares for it: 17 November 2011, 17/11/2011, Q4 2011."""
    if form is DateForm.DAY_MONTH_YEAR:
        return f"{day:%d/%m/%Y}"
    if form is DateForm.ISO:
        return day.isoformat()
    if form is DateForm.SHORT:
        return f"{day.day} {MONTH_NAMES[day.month - 1][:3]} {day.year}"
    if form is DateForm.MONTH:
        return month(day)
    if form is DateForm.QUARTER:
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if form is DateForm.YEAR:
        return str(day.year)
    return long_date(day)


# The running header and footer, as the bundled template words them (a template of an older
# release; the profile's [frame] words them now): the project's and the board's names are
# shortened so that each fits one line of the page's text width.
HEADER_LEFT = "{project} highlight report"
HEADER_RIGHT = "{board}, {date}"
FOOTER_LEFT = "{project} highlight report, {date}"
FOOTER_RIGHT = "Page 999 of 999"
PACK_FOOTER_LEFT = "{board}, {date}: agenda papers"
HEADER_GAP_EM = 2.0  # at least this between the left and right parts of a line
BOARD_SHARE = 0.45  # of the line, at most, for the board's part of the header
ELLIPSIS = "\u2026"


def build_context(
    paper: Paper,
    area: PageArea = A4,
    history: History | None = None,
    chart: ChartParts | None = None,
) -> dict[str, Any]:
    """The template's values for one paper; every value is text, a number, a list or a dict.

    `area` is the template's page: it decides the running header's shortened names and how many
    parts the Gantt chart takes. Every header field is there by its profile key (`project`,
    `sponsor`...), and the paper's shape in lists a template loops over: `header`,
    `section_list` (each with its block), `register` and `tables`. With `history` (what the
    archive's last paper said), `changes` lists what moved since, the register gains each risk's
    trend and the plan each slip; without it, `changes` is empty and nothing else differs.
    `chart` is the plan already cut into parts for `area` (it is cut here when not given).
    """
    profile = paper.profile
    parts = chart if chart is not None else _chart_of(paper, area)
    values = header_values(paper)
    status = paper.status
    sections = _sections(paper)
    context: dict[str, Any] = {
        **running_heads(paper, area),
        "gantt_parts": [
            {"number": number, "of": len(parts)} for number in range(1, len(parts) + 1)
        ],
        **values,
        **frame_lines(paper, area),
        "title": profile.title,
        "kind": profile.title.lower(),  # an older template's running header: "... report"
        "status": status.name if status else "",
        "status_colour": status.colour if status else "000000",
        "status_key": _status_key(profile.status),
        "header": [
            {"label": f.printed_label, "value": values[f.key], "status": f.type is FieldType.STATUS}
            for f in profile.header
            if f.shown and values[f.key]
        ],
        "sections": {n: s["paragraphs"] for n, s in enumerate(_numbered(sections), start=1)},
        "section_list": [s for s in sections if not s["omitted"]],
        "plan": _plan(paper, history),
        "changes": changes(paper, history),
        "changes_placed": any(s.block is Block.CHANGES for s in profile.sections),
        "budget": _budget(paper),
        "tables": {key: _table(paper, key) for key, _ in paper.tables},
    }
    for declared in profile.tables:
        if declared.key in context["tables"]:
            table = context["tables"][declared.key]
            _fit_columns(table, table["rows"], area, declared.page, declared.min_font_size)
    if profile.risk is not None:
        register = _register(paper, profile.risk, history)
        _fit_columns(
            register, register["risks"], area, profile.risk.page, profile.risk.min_font_size
        )
        context.update(
            register=register,
            register_title=register["title"],
            risks=register["risks"],
            highest_risk=highest_risk(paper) or 0,
        )
    for section in context["section_list"]:
        if section["block"] == Block.TABLE.value:
            section["table"] = context["tables"][section["table_key"]]
        block = section.get("table") or (
            context.get("register") if section["block"] == Block.REGISTER.value else None
        )
        # A template that can turn pages prints a section too wide for them on landscape ones,
        # and a section whose block declares a page of its own on that page.
        section["landscape"] = bool(block and block["landscape"])
        section["page"] = block["page"] if block and block["landscape"] else None
    return context


def _chart_of(paper: Paper, area: PageArea) -> ChartParts:
    """The paper's plan cut into parts for the page: one empty part without a plan."""
    plan = paper.profile.plan
    return chart_parts(paper.milestones, area, plan) if plan is not None else ((),)


def header_values(paper: Paper) -> dict[str, str]:
    """Each header field of the paper by its key, as the paper prints it ("" when blank); and
    `board`, `meeting_date` and `report_date` by their roles ("" when no field plays one)."""
    values = {}
    for field in paper.profile.header:
        value = paper.details.value(field.key)
        if value is None:
            values[field.key] = ""
        elif field.type in (FieldType.DATE, FieldType.MONTH):
            values[field.key] = dated(value, field.date_form)
        else:
            values[field.key] = str(value)
    for role in Role:
        if role.value not in values:
            played = paper.profile.field_for(role)
            values[role.value] = values[played.key] if played else ""
    return values


def frame_lines(paper: Paper, area: PageArea = A4) -> dict[str, str]:
    """The profile's frame filled with the paper's fields: `title_line` and `subtitle` whole,
    and the running `header_left`, `header_right` and `footer_left` each fitted to one line,
    its longest values shortened at a word when it would wrap."""
    frame = paper.profile.frame
    values = {"title": paper.profile.title, **header_values(paper)}
    line = _line_ems(area)
    right = fit_line(frame.header_right, values, BOARD_SHARE * line)
    return {
        "title_line": fill_frame(frame.title, values),
        "subtitle": fill_frame(frame.subtitle, values),
        "header_left": fit_line(frame.header, values, line - HEADER_GAP_EM - _ems(right)),
        "header_right": right,
        "footer_left": fit_line(frame.footer, values, line - HEADER_GAP_EM - _ems(FOOTER_RIGHT)),
    }


_SEPARATORS = " ,;:|/\u2013\u2014-"


def fill_frame(template: str, values: dict[str, str]) -> str:
    """A frame line: each {key} replaced by its value; a blank value is left out with the
    separator (comma, colon, dash) that joins it to its neighbour, so nothing dangles."""
    parts = _PLACEHOLDER_SPLIT.split(template)  # text, key, text, key, ... text
    texts = parts[0::2]
    keys = parts[1::2]
    pieces: list[str] = [texts[0]]
    for key, after in zip(keys, texts[1:], strict=True):
        if key not in values:  # no field of the paper's: kept as typed, never looked up
            pieces += ["{" + key + "}", after]
            continue
        value = values[key]  # as typed: a title keeps its line breaks
        if value.strip():
            pieces += [value, after]
            continue
        for opening, closing in ("()", "[]"):  # "({board})" goes with its brackets
            if pieces[-1].rstrip().endswith(opening) and after.lstrip().startswith(closing):
                pieces[-1], after = pieces[-1].rstrip()[:-1], after.lstrip()[1:]
        before = pieces[-1].rstrip(_SEPARATORS)
        if before.strip() or len(pieces) > 1:
            # Something precedes it: the separator before the blank goes.
            pieces[-1] = before + (" " if before and after[:1].isalnum() else "")
            pieces.append(after)
        else:
            pieces[-1] = before
            pieces.append(after.lstrip(_SEPARATORS))
    return "".join(pieces)


_PLACEHOLDER_SPLIT = re.compile(r"\{([^{}]*)\}")


def fit_line(template: str, values: dict[str, str], ems: float) -> str:
    """A frame line filled and, when wider than `ems`, its longest values cut at a word with
    an ellipsis until it fits (the title keeps them whole)."""
    values = {k: " ".join(v.split()) for k, v in values.items()}  # one line
    used = [k for k in _PLACEHOLDER_SPLIT.findall(template) if values.get(k)]
    for _ in range(3 * len(used)):
        text = fill_frame(template, values)
        excess = _ems(text) - ems
        if excess <= 0 or not used:
            return text
        longest = max(used, key=lambda k: _ems(values[k]))
        shortened = shorten(values[longest], max(_ems(values[longest]) - excess, 2.0))
        if shortened == values[longest]:
            return text
        values[longest] = shortened
    return fill_frame(template, values)


def _status_key(scheme: StatusScheme | None) -> list[dict[str, str]]:
    if scheme is None or not scheme.print_key:
        return []
    return [{"name": w.name, "meaning": w.meaning, "colour": w.colour} for w in scheme.words]


def running_heads(paper: Paper, area: PageArea = A4) -> dict[str, str]:
    """The project's and board's names for an older template's running header and footer:
    as typed when they fit one line of the page with the rest of it, else cut at a word with
    an ellipsis."""
    details = paper.details
    line = _line_ems(area)
    values = header_values(paper)
    meeting, report = values["meeting_date"], values["report_date"]
    board_room = BOARD_SHARE * line - _ems(HEADER_RIGHT.format(board="", date=meeting))
    board = shorten(details.board or "", board_room)
    header_room = (
        line
        - HEADER_GAP_EM
        - _ems(HEADER_RIGHT.format(board=board, date=meeting))
        - _ems(HEADER_LEFT.format(project=""))
    )
    footer_room = (
        line
        - HEADER_GAP_EM
        - _ems(FOOTER_RIGHT)
        - _ems(FOOTER_LEFT.format(project="", date=report))
    )
    return {
        "header_project": shorten(details.project, min(header_room, footer_room)),
        "header_board": board,
    }


def pack_running_heads(board: str, meeting_date: dt.date, area: PageArea = A4) -> dict[str, str]:
    """The board's name for a pack's running footer, shortened to fit one line as above."""
    room = (
        _line_ems(area)
        - HEADER_GAP_EM
        - _ems(FOOTER_RIGHT)
        - _ems(PACK_FOOTER_LEFT.format(board="", date=long_date(meeting_date)))
    )
    return {"header_board": shorten(board, room)}


def _line_ems(area: PageArea) -> float:
    """The width of a header line, in ems of the header's font."""
    return area.width_cm / 2.54 * 72 / area.header_pt


# Advance widths in ems, rounded up, of the widest character of each group in Arial (and the
# metric-compatible Liberation Sans that LibreOffice draws it with). A generous estimate: the
# real width of a name is usually a tenth less, and a name is never cut for being too narrow.
_NARROW = (0.28, frozenset("iljI.,:;'!|` "))
_SLIM = (0.34, frozenset('ftr-()[]/\\"*'))
_WIDE = (0.84, frozenset("mw%"))
_WIDEST = (0.95, frozenset("MW@"))


def _ems(text: str) -> float:
    """An upper estimate of the width of a text in ems of an Arial-like sans-serif font."""
    total = 0.0
    for char in text:
        base = unicodedata.normalize("NFD", char)[:1] or char
        for width, group in (_NARROW, _SLIM, _WIDE, _WIDEST):
            if base in group:
                total += width
                break
        else:
            if base.isascii() and (base.islower() or base.isdigit()):
                total += 0.56
            elif base.isascii() and base.isupper():
                total += 0.78
            else:
                total += 1.0  # symbols, other scripts, ellipses: an em at most
    return total


def shorten(text: str, ems: float) -> str:
    """The text as it is if it fits `ems`, else its first words that fit, then an ellipsis."""
    text = " ".join(text.split())
    if _ems(text) <= ems:
        return text
    room = ems - _ems(ELLIPSIS)
    cut = ""
    for char in text:
        if _ems(cut + char) > room:
            break
        cut += char
    # At a word, unless the first word alone is longer than the room.
    words = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return words.rstrip(" ,;:-\u2013") + ELLIPSIS


def _sections(paper: Paper) -> list[dict[str, Any]]:
    """Every section of the profile in order: its number (when numbered), title, paragraphs,
    block, and whether it is left out. A section with no text prints the profile's `empty`
    text, unless its block says what there is (the plan, the register, a table, a budget)."""
    profile = paper.profile
    by_section: dict[str, list[dict[str, str]]] = {s.key: [] for s in profile.sections}
    for paragraph in paper.paragraphs:
        by_section[paragraph.section].append(
            {"style": paragraph.style.value.lower(), "text": paragraph.text}
        )
    filled = {Block.PLAN, Block.REGISTER, Block.TABLE, Block.CHANGES}
    if paper.budget:
        filled.add(Block.BUDGET)
    sections = []
    number = 0
    for section in profile.sections:
        paragraphs = by_section[section.key]
        carries = section.block in filled
        empty = not paragraphs and not carries
        if section.numbered:
            number += 1
        else:
            # Word numbers a Numbered paragraph 1.1 under its section's number, and goes on
            # counting into the next section; a section without a number numbers its own
            # from 1, and its sub-headings are not numbered.
            count = 0
            for item in paragraphs:
                if item["style"] == "numbered":
                    count += 1
                    item.update(style="listed", number=f"{count}.")
                elif item["style"] == "sub-heading":
                    item["style"] = "heading"
        if empty and not section.omit_if_empty:
            paragraphs.append({"style": "paragraph", "text": section.empty})
        sections.append(
            {
                "key": section.key,
                "number": str(number) if section.numbered else "",
                "numbered": section.numbered,
                "title": section.title,
                "heading": section.heading,
                "paragraphs": paragraphs,
                "block": section.block.value if section.block else "",
                "table_key": section.table or "",
                "omitted": empty and section.omit_if_empty,
            }
        )
    return sections


def _numbered(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in sections if s["numbered"]]


def scope_key(name: str) -> str:
    """A scope's name as a template key: its first word in lower case ("within", "outside")."""
    return name.split()[0].casefold() if name.split() else name


def _plan(paper: Paper, history: History | None = None) -> dict[str, Any]:
    plan = paper.profile.plan
    if plan is None:
        return {"groups": []}
    slipped = {s.label: s for s in history.slips} if history else {}
    groups: list[dict[str, Any]] = [
        {
            "heading": scope.heading,
            "key": scope_key(scope.name),
            "milestones": [
                _with_slip(m.text, slipped.get(m.label or m.text))
                for m in paper.milestones
                if m.scope == scope.name
            ]
            or ["None"],
        }
        for scope in plan.scopes
    ]
    return {"groups": groups, **{g["key"]: g["milestones"] for g in groups}}


def _budget(paper: Paper) -> dict[str, Any]:
    def total(values: list[Decimal | None]) -> str:
        known = [v for v in values if v is not None]
        return money(sum(known, Decimal(0))) if known else money(None)

    lines = paper.budget
    return {
        "rows": [
            {
                "line": line.line,
                "original": money(line.original),
                "revised": money(line.revised),
                "spent": money(line.spent),
            }
            for line in lines
        ],
        "original": total([line.original for line in lines]),
        "revised": total([line.revised for line in lines]),
        "spent": total([line.spent for line in lines]),
    }


def cell_text(column: Column, value: Any) -> str:
    """A register or table cell as printed: dates in the column's form (17 November 2011 unless
    it says otherwise), money in pounds, a trend with its arrow."""
    if value is None:
        return ""
    if column.type is ColumnType.DATE:
        return dated(value, column.date_form)
    if column.type is ColumnType.MONEY:
        return money(value)
    if column.type is ColumnType.TREND:
        return trend_text(value)
    return str(value)


def _with_slip(text: str, slip: Slip | None) -> str:
    """A milestone as the plan lists it, with how far it has slipped when it has."""
    if slip is None:
        return text
    # A slip in weeks is counted only from a date there is (Slip), so each date is set here.
    parts = []
    if slip.weeks_since_last and slip.previous:
        parts.append(
            f"slipped by {_weeks_text(slip.weeks_since_last)} since the last report,"
            f" from {long_date(slip.previous)}"
        )
    if slip.weeks_since_baseline and slip.baseline and slip.baseline != slip.previous:
        parts.append(
            f"{_weeks_text(slip.weeks_since_baseline)} later than first planned"
            f" ({long_date(slip.baseline)})"
        )
    said = "; ".join(parts)
    return f"{text} (now due {long_date(slip.due)}: {said})" if said else text


def _weeks_text(weeks: int) -> str:
    return f"{weeks} week{'s' * (weeks != 1)}"


def changes(paper: Paper, history: History | None) -> dict[str, Any]:
    """The "Changes since the last report" block: its title and lines; empty without history."""
    if history is None:
        return {}
    scheme = paper.profile.risk
    word = "score" if scheme is None or scheme.scored else "rated"  # a register in words: rated
    lines = _moves(history, word)  # what moved; the status line goes first
    for part in history.parts:  # a cover report's appendices
        if part.history is None:
            lines.append(f"{part.name}: not compared with the last report ({part.why}).")
        else:
            lines.extend(f"{part.name}: {line}" for line in _moves(part.history, "score"))
    lines.extend(f"Not compared: {what}." for what in history.uncompared)
    status_moved = history.status_was != history.status_now
    if not lines and not status_moved and history.complete:
        lines.append("No risk or milestone has changed.")
    if history.status_now and status_moved:
        lines.insert(0, f"Overall status: {history.status_was or 'none'} to {history.status_now}.")
    elif history.status_now:
        lines.insert(0, f"Overall status: {history.status_now}, as at the last report.")
    if history.revision > 1:
        lines.insert(0, f"Revised: version {history.revision} of this paper for this meeting.")
    return {
        "title": f"Changes since the last report ({long_date(history.since)})",
        "since": long_date(history.since),
        "lines": lines,
    }


def _moves(history: History, word: str) -> list[str]:
    """The risks and milestones that moved since the last report, one line each; a new risk's
    standing is its `word` ("score", or "rated" for a register rated in words)."""
    lines = []
    for risk in history.risks:
        if risk.trend == "new":
            lines.append(f"New risk: {risk.label} ({word} {risk.now}).")
        elif risk.trend in ("up", "down"):
            lines.append(f"Risk {risk.trend}: {risk.label}, from {risk.was} to {risk.now}.")
    lines.extend(f"Risk closed: {label} (no longer listed)." for label in history.closed)
    for slip in history.slips:
        if slip.weeks_since_last and slip.previous:
            lines.append(
                f"Milestone slipped: {slip.label}, by {_weeks_text(slip.weeks_since_last)}, to"
                f" {long_date(slip.due)} (was {long_date(slip.previous)})."
            )
        elif slip.baseline:
            lines.append(
                f"Milestone still late: {slip.label}, due {long_date(slip.due)},"
                f" {_weeks_text(slip.weeks_since_baseline)} after its first planned date of"
                f" {long_date(slip.baseline)}."
            )
    return lines


_SCORED = (ColumnType.LIKELIHOOD, ColumnType.IMPACT, ColumnType.SCORE)


def _register(paper: Paper, scheme: RiskScheme, history: History | None = None) -> dict[str, Any]:
    printed = [c for c in scheme.columns if c.printed and c.under is None]
    has_trend = any(c.type is ColumnType.TREND for c in printed)
    under: dict[str, list[Column]] = {}
    for column in scheme.columns:
        if column.printed and column.under is not None:
            under.setdefault(column.under, []).append(column)
    risks = []
    for index, risk in enumerate(paper.risks):
        texts = {c.key: cell_text(c, risk.value(c.key)) for c in scheme.columns}
        trend = history.trend_of(index) if history else ""
        if trend:
            for column in scheme.columns:  # a trend column the workbook left blank is filled
                if column.type is ColumnType.TREND and not texts[column.key]:
                    texts[column.key] = TREND_WORDS[trend]
        if scheme.action_column is not None and not texts[scheme.action_column]:
            texts[scheme.action_column] = NO_ACTION
        for key, columns in under.items():
            for column in columns:
                if texts[column.key]:
                    texts[key] = f"{texts[key]}\n{column.header}: {texts[column.key]}"
        score = headline_score(paper, risk)
        band = scheme.band(score) if score is not None else None
        # Levels and scores stay numbers, as a template may compare them; the rest is text.
        entry: dict[str, Any] = {
            c.key: risk.value(c.key) if c.type in _SCORED else texts[c.key] for c in scheme.columns
        }
        entry.update(
            {
                "band": band.name if band else "",
                "band_colour": band.colour if band else NO_FILL,
                "trend": TREND_WORDS.get(trend, ""),
                "cells": [
                    {
                        "text": texts[c.key],
                        "fill": _register_fill(paper, c, risk),
                    }
                    for c in printed
                ]
                + (
                    [{"text": TREND_WORDS.get(trend, ""), "fill": NO_FILL}]
                    if history and not has_trend
                    else []
                ),
            }
        )
        risks.append(entry)
    headers: list[dict[str, Any]] = [
        _column_spec(c, descriptor=descriptor(scheme, c)) for c in printed
    ]
    if history and not has_trend:
        since = Column(key="since_last", header="Since last", type=ColumnType.TREND)
        headers.append(_column_spec(since, descriptor=""))
    return {
        "title": fill(scheme.title, header_values(paper)),
        "columns": headers,
        "groups": _groups(headers),
        "descriptors": any(descriptor(scheme, c) for c in printed),
        "risks": risks,
        # Printed only when the profile says so: a board that keeps no key gets none.
        "key": scheme.key_text() if scheme.print_key else "",
        "trend_key": (
            f"Trend since the last report ({long_date(history.since)}): \u2191 up, \u2193 down,"
            " \u2192 same, new: not in the last report."
            if history
            else ""
        ),
    }


# A table's text is 9.5 pt (report.docx's Table Text); each cell has 0.19 cm margins left and
# right in Word and LibreOffice. Headers are bold, about a tenth wider.
TABLE_PT = 9.5
_PT_CM = 2.54 / 72
_CELL_MARGINS_CM = 0.4
_BOLD = 1.1
_STEP_PT = 0.5  # how far a table's text steps down at a time towards its min_font_size
# Where a line may break: at spaces, and after a hyphen between letters ("Medium-term"); a
# range of numbers (1-5, 2024-25) is measured whole, so its column is made wide enough for it.
_BREAKS = re.compile(r"\s+|(?<=[^\W\d]-)(?=[^\W\d])")


def _column_spec(column: Column, **more: Any) -> dict[str, Any]:
    """A register or table column as the context gives it: its header (and the group it is
    under), its share of the width; `prose` for a column of sentences, `grows` for one that
    takes the room the short columns leave (sentences, and any the profile gives a width)."""
    prose = column.type is ColumnType.TEXT
    spec = {"header": column.header, "group": column.group or "", "share": column.share}
    grows = prose or column.width is not None
    # A short value ("Chief Finance Officer") is read as one, and kept on one line when the
    # page has room and that makes the table no longer; a date ("1 September 2025") whenever
    # the page has room, as a word is (_short_values_whole).
    spec |= {"prose": prose, "key": column.key, "whole": not grows}
    spec |= {"date": column.type is ColumnType.DATE}
    return spec | {"grows": grows} | more


def _groups(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first of two header rows, when any column is in a group: each run of neighbouring
    columns of one group is one cell spanning them, and a column in none a blank cell of its
    own; [] when no column is in a group."""
    if not any(c["group"] for c in columns):
        return []
    groups: list[dict[str, Any]] = []
    for column in columns:
        if groups and column["group"] and groups[-1]["text"] == column["group"]:
            groups[-1]["span"] += 1
        else:
            groups.append({"text": column["group"], "span": 1})
    return groups


def _fit_columns(
    spec: dict[str, Any],
    rows: list[dict[str, Any]],
    area: PageArea,
    page: Page | None = None,
    min_pt: float | None = None,
) -> None:
    """Give each column of a register or table spec (its `rows` each with `cells`) its
    `width_cm`, so that no word is ever broken across lines: every column is at least as wide
    as its longest word (a header wraps between its words), and the columns of sentences (and
    those the profile gives a `width`) share the rest of the text width by their shares.

    When the longest words are wider than the page, the section turns (when the template can
    turn pages and the table declares no orientation), then the table's text steps down half a
    point at a time to its `min_pt`; `font_pt` is the size it is printed at. A table declaring
    a `page` of its own is printed on that page. `landscape` is true, and `page` says which,
    when the section is printed on pages other than the paper's. When nothing fits, DoesNotFit
    names the column and what to change."""
    columns = spec["columns"]
    spec.update(landscape=False, page=None, font_pt=TABLE_PT)
    if not columns:
        return
    paper = area.page
    own = page.over(paper) if page is not None else paper
    pages = [own]
    can_turn = area.turned_width_cm is not None
    if can_turn and (page is None or page.orientation is None):
        turned = Orientation.PORTRAIT if _across(area, own) else Orientation.LANDSCAPE
        pages.append(Page(size=own.size, orientation=turned))
    if not can_turn:
        pages = [paper]  # a template that cannot turn pages prints every table on the paper's
    words = _column_words(columns, rows)
    whole = _column_words(columns, rows, whole=True)
    steps = [TABLE_PT]
    while min_pt is not None and steps[-1] - _STEP_PT >= min_pt - 1e-9:
        steps.append(round(steps[-1] - _STEP_PT, 2))
    tries = [(p, TABLE_PT) for p in pages] + [(pages[-1], pt) for pt in steps[1:]]
    for chosen, pt in tries:
        total = area.text_width_cm(chosen) if chosen != paper else area.width_cm
        need = [_need_cm(w, pt) for w in words]
        if sum(need) <= total + 1e-6:
            whole_need = [_need_cm(w, pt) for w in whole]
            break
    else:
        if area.sizes_columns:
            raise DoesNotFit(_too_wide(spec, words, need, total, pt, chosen, min_pt))
        chosen, pt, need = paper, TABLE_PT, [n * area.width_cm / sum(need) for n in need]
        total, whole_need = area.width_cm, need  # the template's own widths are printed
    if chosen != paper:
        width, height = area.page_size_cm(chosen)
        spec["landscape"] = True
        spec["page"] = {"width_cm": width, "height_cm": height, "landscape": width > height}
    spec["font_pt"] = pt
    # A column of short values (a level, a status, a date) is as wide as its longest value, or
    # word, and no wider, when there are columns of sentences (or columns the profile gives a
    # width) to take the rest; without any, every column shares the rest by its share.
    growing = any(c["grows"] for c in columns)
    shares = [c["share"] if c["grows"] or not growing else 0.0 for c in columns]
    dates = [c.get("date", False) for c in columns]
    widths = _short_values_whole(need, whole_need, dates, shares, total, rows, pt)
    for column, width in zip(columns, widths, strict=True):
        column["width_cm"] = round(width, 3)
    # A row is kept on one page unless it is taller than a page (less its header rows), when
    # it must run on to the next rather than be cut off at the foot.
    height = area.height_cm + area.page_size_cm(chosen)[1] - area.page_cm[1]
    room = height - _HEADER_ROOM_CM
    for row in rows:
        row["whole"] = _row_height_cm(row.get("cells", []), widths, pt) <= room


def _short_values_whole(
    need: list[float],
    whole: list[float],
    dates: list[bool],
    shares: list[float],
    total: float,
    rows: list[dict[str, Any]],
    pt: float,
) -> list[float]:
    """The columns' widths (_water_fill), each column of short values as wide as its longest
    value (`whole`) rather than its longest word (`need`) where the page has room: a column of
    dates always, as a date is read as one ("1 September 2025" on three lines is hard to read);
    any other ("Chief Finance Officer") when that makes the table no longer, so that the
    sentences beside it take no more lines. Dates first, then column by column from the left."""

    def height(widths: list[float]) -> float:
        return sum(_row_height_cm(row.get("cells", []), widths, pt) for row in rows)

    for index, date in enumerate(dates):
        trial = [*need[:index], max(need[index], whole[index]), *need[index + 1 :]]
        if date and sum(trial) <= total + 1e-6:
            need = trial
    widths = _water_fill(shares, need, total)
    tallest = height(widths)
    for index, wanted in enumerate(whole):
        trial = [*need[:index], wanted, *need[index + 1 :]]
        if wanted <= need[index] + 1e-6 or sum(trial) > total + 1e-6:
            continue
        trial_widths = _water_fill(shares, trial, total)
        if height(trial_widths) <= tallest + 1e-6:
            need, widths, tallest = trial, trial_widths, height(trial_widths)
    return widths


_HEADER_ROOM_CM = 3.0  # a table's title and header rows, which repeat on every page
_LINE = 1.2  # a line of table text is this many times its size high


def _row_height_cm(cells: list[dict[str, Any]], widths: list[float], pt: float) -> float:
    """An upper estimate of a row's height: its tallest cell's lines, wrapped at words."""
    tallest = 1
    for cell, width in zip(cells, widths, strict=False):
        room = (width - _CELL_MARGINS_CM) / (pt * _PT_CM)  # in ems
        lines = 0
        for paragraph in cell["text"].split("\n"):
            lines += 1
            used = 0.0
            for word in paragraph.split():
                ems = _ems(word)
                if used and used + _ems(" ") + ems > room:
                    lines += 1
                    used = ems
                else:
                    used += (_ems(" ") if used else 0) + ems
        tallest = max(tallest, lines)
    return tallest * pt * _LINE * _PT_CM + 0.2


def _across(area: PageArea, page: Page) -> bool:
    width, height = area.page_size_cm(page)
    return width > height


def _column_words(
    columns: list[dict[str, Any]], rows: list[dict[str, Any]], *, whole: bool = False
) -> list[list[tuple[float, str]]]:
    """Each column's words with their widths in ems (a header's bold): its header's, its
    descriptor's and its cells'; with `whole`, each cell of a column of short values read
    whole, as one word."""
    words: list[list[tuple[float, str]]] = []
    for index, column in enumerate(columns):
        found = [(_ems(w) * _BOLD, w) for w in _BREAKS.split(column["header"]) if w]
        # A descriptor is a range (1-5, Low-High), read as one: never split at its hyphen.
        found += [(_ems(w), w) for w in column.get("descriptor", "").split()]
        one = whole and column.get("whole", False)
        for row in rows:
            if index < len(row["cells"]):
                text = row["cells"][index]["text"]
                parts = text.split("\n") if one else _BREAKS.split(text)  # a line each, whole
                found += [(_ems(w), w) for w in parts if w]
        words.append(found or [(0.0, "")])
    return words


def _need_cm(words: list[tuple[float, str]], pt: float) -> float:
    """How wide a column must be for its longest word at `pt` points."""
    return max(ems for ems, _ in words) * pt * _PT_CM + _CELL_MARGINS_CM


def _too_wide(
    spec: dict[str, Any],
    words: list[list[tuple[float, str]]],
    need: list[float],
    total: float,
    pt: float,
    page: Page,
    min_pt: float | None,
) -> str:
    """What DoesNotFit says: which table, its widest column and word, and what to change."""
    columns = spec["columns"]
    widest = max(range(len(columns)), key=lambda i: need[i])
    word = max(words[widest])[1]
    kind = "register" if "risks" in spec else "table"
    name = f"the {kind} '{spec['title']}'" if spec.get("title") else f"the {kind}"
    where = "[risk.page]" if kind == "register" else "its [tables.page]"
    size = f"{page.size.value} " if page.size else ""
    article = "an" if (size or str(page.orientation))[:1].upper() in "AEIOU" else "a"
    smaller = (
        f"a smaller min_font_size (it is {min_pt:g})"
        if min_pt is not None
        else "min_font_size = 7 to let its text step down"
    )
    return (
        f"{name} does not fit its page without breaking words: its {len(columns)} columns"
        f" need {sum(need):.1f} cm at {pt:g} pt, and {article} {size}{page.orientation} page gives"
        f" {total:.1f} cm. Its widest column is '{columns[widest]['header']}', which needs"
        f" {need[widest]:.1f} cm for '{word}'. Declare a larger page in {where} (size = \"A3\","
        f' orientation = "landscape"), {smaller}, print fewer columns (printed = false), or'
        f" shorten the words in '{columns[widest]['header']}'"
    )


def _water_fill(shares: list[float], need: list[float], total: float) -> list[float]:
    """Widths in proportion to `shares` summing to `total`, each at least its `need` (which
    sum to no more than `total`): a column its share leaves too narrow gets its need, and the
    rest share what is left."""
    if sum(shares) <= 0 or sum(need) >= total:
        spare = max(total - sum(need), 0.0)
        return [n + spare / len(need) for n in need]
    fixed: dict[int, float] = {}
    while True:
        free = [i for i in range(len(shares)) if i not in fixed]
        weight = sum(shares[i] for i in free)
        if not free or weight <= 0:  # every column with a share at its need: share out the rest
            spare = total - sum(need)
            return [n + spare * s / sum(shares) for n, s in zip(need, shares, strict=True)]
        room = total - sum(fixed.values())
        widths = {i: room * shares[i] / weight for i in free}
        short = [i for i in free if widths[i] < need[i]]
        if not short:
            return [fixed[i] if i in fixed else widths[i] for i in range(len(shares))]
        fixed.update((i, need[i]) for i in short)


def descriptor(scheme: RiskScheme, column: Column) -> str:
    """A register column's second header line: the profile's, else a level or score column's
    range ("1-5", "1-25", "A-F")."""
    if column.descriptor:
        return column.descriptor
    if column.type in (ColumnType.LIKELIHOOD, ColumnType.IMPACT, ColumnType.RATING):
        axis = scheme.axis(column.type)
        return f"{axis.levels[0].value}-{axis.levels[-1].value}"
    if column.type is ColumnType.SCORE and scheme.scoring is not Scoring.CODE:
        scores = scheme.possible_scores()
        return f"{scores[0]}-{scores[-1]}"
    return ""


def _register_fill(paper: Paper, column: Column, risk: Row) -> str:
    """A register cell's shading: a score's band, a status word's fill, else none."""
    value = risk.value(column.key)
    if column.type is ColumnType.SCORE and value is not None and paper.profile.risk:
        return paper.profile.risk.band(value).colour
    if column.type is ColumnType.STATUS:
        return _status_fill(paper.profile.status, value)
    return NO_FILL


def _status_fill(scheme: StatusScheme | None, value: Any) -> str:
    word = scheme.word(str(value)) if scheme is not None and value else None
    return word.fill if word else NO_FILL


def _table(paper: Paper, key: str) -> dict[str, Any]:
    """A declared table's columns and rows. Each row is either a group row (`group` is its
    text, `span` the number of columns it spans), started where the profile's `group_by`
    column changes, or a row of `cells`; the cells of a status column (and of the profile's
    `status_column`, which may be free text) are shaded by their word."""
    profile = paper.profile
    table = next(t for t in profile.tables if t.key == key)
    printed = [c for c in table.columns if c.printed]
    rows: list[dict[str, Any]] = []
    group: str | None = None
    for row in paper.table(key):
        if table.group_by is not None:
            value = row.value(table.group_by)
            text = cell_text(table.column(table.group_by), value) if value is not None else ""
            # Rows before the first group belong to none: no group row is made up for them.
            if text != group and (text or group is not None):
                group = text
                rows.append({"group": text, "span": len(printed), "cells": []})
        cells = []
        for column in printed:
            value = row.value(column.key)
            shaded = column.type is ColumnType.STATUS or column.key == table.status_column
            shade = _status_fill(profile.status, value) if shaded else NO_FILL
            cells.append({"text": cell_text(column, value), "fill": shade})
        rows.append({"group": "", "span": 0, "cells": cells})
    columns = [_column_spec(c) for c in printed]
    return {"title": table.title, "columns": columns, "groups": _groups(columns), "rows": rows}


def highest_risk(paper: Paper) -> int | str | None:
    """The most serious headline score on the paper's register, or None when it lists none."""
    scheme = paper.profile.risk
    if scheme is None:
        return None
    scores = [s for r in paper.risks if (s := headline_score(paper, r)) is not None]
    if not scores:
        return None
    rank = {name: i for i, name in enumerate(str(s).upper() for s in scheme.possible_scores())}
    if all(isinstance(s, int) for s in scores):
        return max(scores, key=lambda s: (scheme.bands.index(scheme.band(s)), s))
    return max(scores, key=lambda s: (scheme.bands.index(scheme.band(s)), rank.get(str(s), 0)))


def band_colour(paper: Paper, score: int | str | None) -> str:
    """The shading of a headline score's band; white when there is no score."""
    scheme = paper.profile.risk
    if scheme is None or score is None:
        return "FFFFFF"
    return scheme.band(score).colour


def scores_printed(scheme: RiskScheme) -> bool:
    """Whether a register prints the score a risk is ranked by; one that does not is rated in
    words (its levels), and the pack names the band instead of a score it never shows."""
    column = scheme.score_column(scheme.headline_assessment)
    return column is not None and column.printed


def printed_risk(paper: Paper, score: int | str) -> str:
    """A headline score as its own register prints it: the score, or its band's name for a
    register that prints no score."""
    scheme = paper.profile.risk
    assert scheme is not None
    return str(score) if scores_printed(scheme) else scheme.band(score).name


def risk_key(scheme: RiskScheme) -> str:
    """The key to a scheme's headline risks in the pack: its score key, or its bands alone for
    a register rated in words."""
    if scores_printed(scheme):
        return scheme.key_text()
    bands = "; ".join(
        f"{b.name} ({b.description})" if b.description else b.name for b in scheme.bands
    )
    return f"Risk bands: {bands}."


def paper_bookmark(number: int) -> str:
    """Name of the bookmark on the first line of the pack's paper `number` (from 1)."""
    return f"boardpack_paper_{number}"


NO_PLAN = "No plan"
NO_MILESTONES = "No milestones listed"
ALL_COMPLETE = "All milestones complete"
NO_REGISTER = "No register"
NO_RISKS = "No risks listed"


def next_milestone(paper: Paper) -> tuple[str, str]:
    """The first milestone not yet complete, as (label, due date), its date marked overdue when
    it was due before the paper's report date (and how many more are); else what the plan says:
    no plan, no milestones, or all complete."""
    plan = paper.profile.plan
    if plan is None:
        return (NO_PLAN, "")
    if not paper.milestones:
        return (NO_MILESTONES, "")
    done = {s.name for s in plan.states if s.done}
    pending = sorted((m for m in paper.milestones if m.status not in done), key=lambda m: m.due)
    if not pending:
        return (ALL_COMPLETE, "")
    first = pending[0]
    label, due = first.label or first.text, f"{first.due:%d/%m/%Y}"
    reported = paper.details.report_date  # a profile with a plan requires its report date
    overdue = sum(m.due < reported for m in pending) if reported is not None else 0
    if not overdue:
        return (label, due)
    more = f" (and {overdue - 1} more overdue)" if overdue > 1 else ""
    return (label + more, f"{due} (overdue)")


def build_pack_context(
    board: str,
    meeting_date: dt.date,
    venue: str | None,
    papers: list[Paper],
    start_pages: list[int],
    histories: list[History | None] | None = None,
    appendices: list[tuple[Paper, ...]] | None = None,
) -> dict[str, Any]:
    """The front matter's values: cover, contents (with each paper's first page), summary.

    The summary's columns are common to every board; each value is its paper's own, as its
    profile prints it, and `risk_keys` holds the key of each risk scheme in the pack (none
    when no paper has a register). A cover report's `appendices` (papers of their own
    profiles) give its highest risk and next milestone when it has no register or plan of its
    own. With a paper's history, its status says what it was and its highest risk its trend."""
    rows = []
    histories = histories or [None] * len(papers)
    appendices = appendices or [()] * len(papers)
    schemes: dict[str, list[str]] = {}  # each key's text, and the profiles that use it
    for number, (paper, start, history, attached) in enumerate(
        zip(papers, start_pages, histories, appendices, strict=True), start=1
    ):
        values = header_values(paper)
        status = paper.status
        risk_text, risk_fill, rated = _pack_risk(paper, attached, history)
        for scored in rated:
            assert scored.profile.risk is not None
            users = schemes.setdefault(risk_key(scored.profile.risk), [])
            if scored.profile.name not in users:
                users.append(scored.profile.name)
        milestone, due = _pack_milestone(paper, attached)
        status_text = status.name if status else "-"
        was = history.status_was if history is not None else None
        if status is not None and was and was != status.name:
            status_text = f"{status.name} (was {was})"
        rows.append(
            {
                # The paper's own fields first, so that one named like a summary value (a
                # "number" field: the project's number) never takes the agenda number's place.
                **values,
                "number": number,
                "project": paper.details.project,
                "sponsor": values.get(paper.profile.pack_sponsor or "") or "-",
                "manager": values.get(paper.profile.pack_manager or "") or "-",
                "status": status_text,
                "status_fill": status.fill if status else "FFFFFF",
                "highest_risk": risk_text,
                "risk_fill": risk_fill,
                "next_milestone": milestone,
                "next_due": due,
                "appendices": len(attached),
                "bookmark": paper_bookmark(number),
                "start_page": start,
            }
        )
    return {
        "board": board,
        "meeting_date": long_date(meeting_date),
        "venue": venue or "",
        "papers": rows,
        "risk_keys": [
            key if len(schemes) == 1 else f"{', '.join(users)}: {key}"
            for key, users in schemes.items()
        ],
    }


def _pack_risk(
    paper: Paper, appendices: tuple[Paper, ...], history: History | None
) -> tuple[str, str, list[Paper]]:
    """A paper's highest risk in the pack's summary, its shading, and the papers whose scores
    it shows: from its own register, else its appendices' (each marked with its letter when
    more than one has a register)."""
    if paper.profile.risk is not None:
        registers = [("", paper)]
    else:
        registers = [
            (_appendix_letter(i), a) for i, a in enumerate(appendices) if a.profile.risk is not None
        ]
    if not registers:
        return (NO_REGISTER, "FFFFFF", [])
    texts, fill, scored = [], "", []
    for letter, source in registers:
        highest = highest_risk(source)
        if highest is None and source.risks:  # a register with no score to rank its risks by
            count = len(source.risks)
            text = f"{count} risk{'' if count == 1 else 's'} listed, not scored"
        elif highest is None:
            text = NO_RISKS
        else:
            scored.append(source)
            text = printed_risk(source, highest)
            changes = history.risks if history is not None and source is paper else ()
            trend = next((r.trend for r in changes if r.now == highest), "")
            if trend:
                text = f"{text} {TREND_WORDS[trend]}"
            fill = fill or band_colour(source, highest)
        texts.append(f"{letter}: {text}" if len(registers) > 1 else text)
    return ("; ".join(texts), fill or "FFFFFF", scored)


def _pack_milestone(paper: Paper, appendices: tuple[Paper, ...]) -> tuple[str, str]:
    """A paper's next milestone in the pack's summary: its own plan's, else its first
    appendix's with a plan."""
    if paper.profile.plan is None:
        planned = next((a for a in appendices if a.profile.plan is not None), None)
        if planned is not None:
            return next_milestone(planned)
    return next_milestone(paper)


def _appendix_letter(index: int) -> str:
    """Appendix A, B ... Z, then AA, AB: as a cover report letters them."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
