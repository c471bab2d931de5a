"""The page a template gives a paper, and what fits on it: the Gantt chart's parts.

Pure data and arithmetic, with no matplotlib or Word library, so that validation (which warns
when a plan is split) and rendering (which draws the parts) decide the split in this one place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from boardpack.errors import BoardpackError
from boardpack.paper.models import Milestone
from boardpack.paper.profile import PAGE_SIZES_CM, Orientation, Page, PlanScheme

CM_PER_INCH = 2.54
# The chart's vertical geometry, which gantt.py draws to: a row fits a two-line label at its
# font size; the frame holds the report-date label above the plot, the month labels and the key.
ROW_HEIGHT_IN = 0.3
FRAME_HEIGHT_IN = 1.05
# Room a chart part leaves on its page for the paragraphs around it: its caption (a 9 pt line
# and its spacing, ~0.7 cm), the picture paragraph's space before and one line of a heading or
# the text before it (~0.8 cm), and half a centimetre of slack for rounding in the layout.
CHART_SURROUND_CM = 2.0
MIN_ROWS_PER_PART = 2  # a scope heading and one item, whatever the page


@dataclass(frozen=True)
class PageArea:
    """The text area of a template's page, in centimetres, and its header's font size in points."""

    width_cm: float = 16.0
    height_cm: float = 25.0
    header_pt: float = 8.5
    # The text width of the page turned landscape, for a template that can turn the pages of
    # a section too wide for it (report.docx can); None when it cannot.
    turned_width_cm: float | None = None
    # The sheet itself (width and height as the paper prints it) and its side margins, so a
    # register or table declaring a page of its own can be given that page's text width.
    page_cm: tuple[float, float] = (21.0, 29.7)
    sides_cm: float = 5.0
    # Whether the template's registers and tables take the widths boardpack fits them (the
    # bundled report.docx's do); a template that sets its own cannot be failed for them.
    sizes_columns: bool = True

    @property
    def chart_height_cm(self) -> float:
        """The tallest a chart part may be: the text height less its caption and a heading."""
        return self.height_cm - CHART_SURROUND_CM

    @property
    def page(self) -> Page:
        """The paper's page as a declared Page: its size, when it is one of the sizes a
        profile names, and its orientation."""
        width, height = self.page_cm
        orientation = Orientation.LANDSCAPE if width > height else Orientation.PORTRAIT
        upright = (min(width, height), max(width, height))
        size = next(
            (
                s
                for s, cm in PAGE_SIZES_CM.items()
                if all(abs(a - b) < 0.3 for a, b in zip(cm, upright, strict=True))
            ),
            None,
        )
        return Page(size=size, orientation=orientation)

    def page_size_cm(self, page: Page) -> tuple[float, float]:
        """The width and height of `page`, what it leaves unsaid being the paper's."""
        width, height = self.page_cm
        upright = (
            PAGE_SIZES_CM[page.size] if page.size else (min(width, height), max(width, height))
        )
        across = page.orientation is Orientation.LANDSCAPE if page.orientation else width > height
        return (upright[1], upright[0]) if across else upright

    def text_width_cm(self, page: Page) -> float:
        """The text width of `page`, with the paper's side margins."""
        return round(self.page_size_cm(page)[0] - self.sides_cm, 2)


A4 = PageArea()  # the bundled template: A4 with 2.5 cm side margins, 2.5 cm top, 2.2 cm bottom


class DoesNotFit(BoardpackError):
    """A register or table whose words fit no page it may have, at any size it may take."""


def chart_height_in(rows: int) -> float:
    """The height of a chart of `rows` rows (scope headings included), in inches."""
    return FRAME_HEIGHT_IN + ROW_HEIGHT_IN * rows


def rows_per_part(height_cm: float) -> int:
    """How many rows (scope headings included) a chart part of at most height_cm can hold."""
    rows = math.floor((height_cm / CM_PER_INCH - FRAME_HEIGHT_IN) / ROW_HEIGHT_IN + 1e-9)
    return max(MIN_ROWS_PER_PART, rows)


def chart_order(milestones: Sequence[Milestone], plan: PlanScheme) -> tuple[Milestone, ...]:
    """The milestones in the order the chart draws them: by the plan's scopes, in order."""
    return tuple(m for scope in plan.scopes for m in milestones if m.scope == scope.name)


ChartParts = tuple[tuple[Milestone, ...], ...]  # the plan cut into charts, each a page long


def chart_parts(milestones: Sequence[Milestone], area: PageArea, plan: PlanScheme) -> ChartParts:
    """The plan cut into charts that each fit the page's text area, in chart order.

    Each part repeats the heading of the scope it continues, so a heading costs a row in every
    part that holds items of its scope. An empty plan is one empty part (the chart saying so).
    """
    capacity = rows_per_part(area.chart_height_cm)
    parts: list[list[Milestone]] = [[]]
    used = 0
    for milestone in chart_order(milestones, plan):
        part = parts[-1]
        cost = 1 if part and part[-1].scope == milestone.scope else 2
        if part and used + cost > capacity:
            parts.append([])
            used, cost = 0, 2
        parts[-1].append(milestone)
        used += cost
    return tuple(tuple(part) for part in parts)
