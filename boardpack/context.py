"""Build stage: a validated Paper becomes the values the Word template places.

A pure function of the paper, so every formatting choice (dates, money, LxI bands, "None" for an
empty section) is here where tests can reach it, and the template holds no logic of its own.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from typing import Any

from boardpack.models import SECTION_COUNT, MilestoneStatus, Paper, Rag, Risk, Scope
from boardpack.page import A4, PageArea, chart_parts

# Sections whose body boardpack adds to: they need no "None" when the workbook has no text.
_SECTIONS_WITH_TABLES = {4, 10}
BUDGET_SECTION = 6

RAG_COLOURS = {Rag.GREEN: "00703C", Rag.AMBER: "B25E00", Rag.RED: "C00000"}


MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


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


def risk_band(lxi: int) -> str:
    """The register's band for a score: low 1-4, medium 5-8, high 9-16."""
    if lxi >= 9:
        return "high"
    return "medium" if lxi >= 5 else "low"


BAND_COLOURS = {"low": "B7DDB0", "medium": "FFD27F", "high": "F4A6A6"}
STATUS_FILLS = {
    Rag.GREEN: BAND_COLOURS["low"],
    Rag.AMBER: BAND_COLOURS["medium"],
    Rag.RED: BAND_COLOURS["high"],
}


# The running header and footer, as the bundled template words them: the project's and the
# board's names are shortened so that each fits one line of the page's text width.
HEADER_LEFT = "{project} highlight report"
HEADER_RIGHT = "{board}, {date}"
FOOTER_LEFT = "{project} highlight report, {date}"
FOOTER_RIGHT = "Page 999 of 999"
PACK_FOOTER_LEFT = "{board}, {date}: agenda papers"
HEADER_GAP_EM = 2.0  # at least this between the left and right parts of a line
BOARD_SHARE = 0.45  # of the line, at most, for the board's part of the header
ELLIPSIS = "\u2026"


def build_context(paper: Paper, area: PageArea = A4) -> dict[str, Any]:
    """The template's values for one paper; every value is text, a number, a list or a dict.

    `area` is the template's page: it decides the running header's shortened names and how many
    parts the Gantt chart takes.
    """
    details = paper.details
    parts = chart_parts(paper.milestones, area)
    return {
        **running_heads(paper, area),
        "gantt_parts": [
            {"number": number, "of": len(parts)} for number in range(1, len(parts) + 1)
        ],
        "project": details.project,
        "sponsor": details.sponsor,
        "manager": details.manager,
        "board": details.board,
        "meeting_date": long_date(details.meeting_date),
        "report_date": long_date(details.report_date),
        "status": details.status.value,
        "status_colour": RAG_COLOURS[details.status],
        "sections": _sections(paper),
        "plan": {
            "within": _plan_items(paper, Scope.WITHIN),
            "outside": _plan_items(paper, Scope.OUTSIDE),
        },
        "budget": _budget(paper),
        "register_title": f"{details.project} Project Risk Register",
        "risks": [_risk(risk) for risk in paper.risks],
        "highest_risk": highest_risk(paper) or 0,
    }


def running_heads(paper: Paper, area: PageArea = A4) -> dict[str, str]:
    """The project's and board's names for the running header and footer: as typed when they
    fit one line of the page with the rest of it, else cut at a word with an ellipsis."""
    details = paper.details
    line = _line_ems(area)
    meeting, report = long_date(details.meeting_date), long_date(details.report_date)
    board_room = BOARD_SHARE * line - _ems(HEADER_RIGHT.format(board="", date=meeting))
    board = shorten(details.board, board_room)
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


def _sections(paper: Paper) -> dict[int, list[dict[str, str]]]:
    sections: dict[int, list[dict[str, str]]] = {n: [] for n in range(1, SECTION_COUNT + 1)}
    for paragraph in paper.paragraphs:
        sections[paragraph.section].append(
            {"style": paragraph.style.value.lower(), "text": paragraph.text}
        )
    has_more = set(_SECTIONS_WITH_TABLES) | ({BUDGET_SECTION} if paper.budget else set())
    for number, paragraphs in sections.items():
        if not paragraphs and number not in has_more:
            paragraphs.append({"style": "paragraph", "text": "None"})
    return sections


def _plan_items(paper: Paper, scope: Scope) -> list[str]:
    return [m.text for m in paper.milestones if m.scope is scope] or ["None"]


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


def _risk(risk: Risk) -> dict[str, Any]:
    action = risk.action or "No action recorded"
    if risk.owner:
        action = f"{action}\nOwner: {risk.owner}"
    band = risk_band(risk.lxi)
    return {
        "event": risk.event,
        "likelihood": risk.likelihood,
        "impact": risk.impact,
        "lxi": risk.lxi,
        "band": band,
        "band_colour": BAND_COLOURS[band],
        "action": action,
    }


def highest_risk(paper: Paper) -> int | None:
    """The largest LxI on the paper's register, or None when it lists no risks."""
    return max((risk.lxi for risk in paper.risks), default=None)


def paper_bookmark(number: int) -> str:
    """Name of the bookmark on the first line of the pack's paper `number` (from 1)."""
    return f"boardpack_paper_{number}"


def next_milestone(paper: Paper) -> tuple[str, str]:
    """The next milestone not yet complete, as (label, due date), or a note that none is left."""
    pending = [m for m in paper.milestones if m.status is not MilestoneStatus.COMPLETE]
    if not pending:
        return ("All milestones complete", "")
    first = min(pending, key=lambda m: m.due)
    return (first.label or first.text, f"{first.due:%d/%m/%Y}")


def build_pack_context(
    board: str,
    meeting_date: dt.date,
    venue: str | None,
    papers: list[Paper],
    start_pages: list[int],
) -> dict[str, Any]:
    """The front matter's values: cover, contents (with each paper's first page), summary."""
    rows = []
    for number, (paper, start) in enumerate(zip(papers, start_pages, strict=True), start=1):
        details = paper.details
        highest = highest_risk(paper)
        milestone, due = next_milestone(paper)
        rows.append(
            {
                "number": number,
                "project": details.project,
                "sponsor": details.sponsor,
                "manager": details.manager,
                "status": details.status.value,
                "status_fill": STATUS_FILLS[details.status],
                "highest_risk": highest if highest is not None else "-",
                "risk_fill": BAND_COLOURS[risk_band(highest)] if highest else "FFFFFF",
                "next_milestone": milestone,
                "next_due": due,
                "bookmark": paper_bookmark(number),
                "start_page": start,
            }
        )
    return {
        "board": board,
        "meeting_date": long_date(meeting_date),
        "venue": venue or "",
        "papers": rows,
    }
