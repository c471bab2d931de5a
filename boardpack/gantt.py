"""The plan as a picture: a Gantt chart of the milestones, as PNG bytes for the Word paper.

Drawn with matplotlib's object API (Figure + Agg canvas), never pyplot, so it touches no global
state and is safe to call from anywhere. The same plan always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from collections.abc import Sequence
from functools import cache

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Patch

from boardpack.models import Milestone, MilestoneStatus, Scope

DPI = 200
CM = 1 / 2.54  # inches in a centimetre

FONT_SIZE = 8.5  # points at printed size; boards read on paper, so never below 8
FONT_SIZE_SMALL = 8
ROW_HEIGHT_IN = 0.3  # one row fits a two-line label at FONT_SIZE
FRAME_HEIGHT_IN = 1.05  # report-date label above, month labels and legend below
EMPTY_HEIGHT_IN = 0.5
BAR_HEIGHT = 0.6  # in rows
MIN_BAR_SHARE = 0.01  # of the x span: about 1 mm on A4
DIAMOND_SIZE_PT = 12.0
DIAMOND_HALF_CM = 0.3  # half the drawn width of a DIAMOND_SIZE_PT diamond, with a margin
AXES_SHARE = 0.65  # of the figure width left for the plot once the row labels are placed
MIN_WIDTH_CM = 8.0

# Okabe-Ito / Tol colours, chosen to differ in lightness too, so they survive colour blindness
# and greyscale printing: not started is the lightest, complete the darkest; delayed is also
# hatched so it never relies on colour alone.
FILL: dict[MilestoneStatus, str] = {
    MilestoneStatus.NOT_STARTED: "#CCCCCC",
    MilestoneStatus.IN_PROGRESS: "#56B4E9",
    MilestoneStatus.COMPLETE: "#117733",
    MilestoneStatus.DELAYED: "#D55E00",
}
HATCH: dict[MilestoneStatus, str] = {MilestoneStatus.DELAYED: "////"}
EDGE = "#333333"
HEADER_BAND = "#EEEEEE"
GRID = "#DDDDDD"
REPORT_LINE = "#000000"

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
TICK_INTERVALS = (1, 2, 3, 6, 12, 24, 60, 120)  # months between labelled ticks
MIN_TICK_SPACING_CM = 0.9  # a "Sep / 2007" label is ~0.6 cm wide at FONT_SIZE_SMALL
PREFERRED_FONTS = ("Liberation Sans", "DejaVu Sans")  # DejaVu Sans ships with matplotlib

NO_PLAN = "No milestones in the plan"


def draw_gantt(
    milestones: Sequence[Milestone], report_date: dt.date, *, width_cm: float = 16.0
) -> bytes:
    """The Gantt chart of a plan as PNG bytes, width_cm wide (8 to 100) at 200 dpi."""
    figure = _figure(milestones, report_date, width_cm)
    buffer = io.BytesIO()
    # No Software/date metadata, so the same plan always gives the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def describe_gantt(milestones: Sequence[Milestone], report_date: dt.date) -> str:
    """Alt text for the Gantt chart: what it shows, in one or two sentences."""
    when = _long_date(report_date)
    if not milestones:
        return f"Gantt chart: the plan has no milestones. Report date {when}."
    activities = sum(m.start is not None for m in milestones)
    points = len(milestones) - activities
    kinds = " and ".join(
        _count(n, singular, plural)
        for n, singular, plural in (
            (activities, "activity", "activities"),
            (points, "milestone", "milestones"),
        )
        if n
    )
    first = min(m.start or m.due for m in milestones)
    last = max(m.due for m in milestones)
    statuses = ", ".join(
        f"{n} {status.value.lower()}"
        for status in (
            MilestoneStatus.COMPLETE,
            MilestoneStatus.IN_PROGRESS,
            MilestoneStatus.NOT_STARTED,
            MilestoneStatus.DELAYED,
        )
        if (n := sum(m.status is status for m in milestones))
    )
    span = f"from {_long_date(first)} to {_long_date(last)}"
    if first == last:
        span = f"on {_long_date(first)}"
    overview = f"Gantt chart of {kinds} {span} ({statuses})."
    total = len(milestones)
    due = sum(m.due <= report_date for m in milestones)
    if report_date < first:
        where = "before any item starts"
    elif report_date > last:
        where = "after every item was due"
    else:
        where = f"by when {due} of the {total} items {'was' if due == 1 else 'were'} due"
    late = sum(m.due < report_date and m.status is not MilestoneStatus.COMPLETE for m in milestones)
    overdue = f" ({late} of them not complete)" if late else ""
    return f"{overview} A dashed line marks the report date, {when}, {where}{overdue}."


def _figure(milestones: Sequence[Milestone], report_date: dt.date, width_cm: float) -> Figure:
    """The chart as an unrendered matplotlib Figure; tests inspect it, draw_gantt renders it."""
    if not MIN_WIDTH_CM <= width_cm <= 100:
        raise ValueError(f"width_cm must be from {MIN_WIDTH_CM} to 100 (got {width_cm})")
    rows = _rows(milestones, _label_chars(width_cm))
    height_in = FRAME_HEIGHT_IN + ROW_HEIGHT_IN * len(rows) if rows else EMPTY_HEIGHT_IN
    figure = Figure(figsize=(width_cm * CM, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    family = list(_font_family())
    if not milestones:
        _draw_empty(ax, report_date, family)
        return figure

    low, high = _x_range(milestones, report_date, width_cm)
    ax.set_xlim(_x(low), _x(high))
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first row at the top

    for y, (_, milestone) in enumerate(rows):
        if milestone is None:
            ax.axhspan(y - 0.5, y + 0.5, color=HEADER_BAND, zorder=0, linewidth=0)

    bars = [(y, m, m.start) for y, (_, m) in enumerate(rows) if m is not None and m.start]
    shortest = MIN_BAR_SHARE * (_x(high) - _x(low))
    container = ax.barh(
        [y for y, _, _ in bars],
        # A one-day activity still needs a visible bar, whatever the span of the plan.
        [max(_x(m.due) - _x(start), shortest) for _, m, start in bars],
        left=[_x(start) for _, _, start in bars],
        height=BAR_HEIGHT,
        color=[FILL[m.status] for _, m, _ in bars],
        edgecolor=EDGE,
        linewidth=0.6,
        zorder=3,
    )
    for patch, (_, m, _) in zip(container.patches, bars, strict=True):
        patch.set_gid("activity")
        if m.status in HATCH:
            patch.set_hatch(HATCH[m.status])
            patch.set_hatchcolor("white")

    points = [(y, m) for y, (_, m) in enumerate(rows) if m is not None and m.start is None]
    for status in MilestoneStatus:
        here = [(y, m) for y, m in points if m.status is status]
        if here:
            ax.scatter(
                [_x(m.due) for _, m in here],
                [y for y, _ in here],
                s=DIAMOND_SIZE_PT**2,
                marker="D",
                color=FILL[status],
                edgecolors=EDGE,
                linewidths=0.6,
                hatch=HATCH.get(status),
                hatchcolor="white",
                zorder=4,
                gid="milestones",
            )

    _draw_months(ax, low, high, width_cm, family)
    ax.set_yticks(
        range(len(rows)),
        [label for label, _ in rows],
        fontfamily=family,
        fontsize=FONT_SIZE,
        parse_math=False,
    )
    for tick, (_, milestone) in zip(ax.get_yticklabels(), rows, strict=True):
        if milestone is None:
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#888888")

    _draw_report_date(ax, report_date, low, high, family)

    present = [s for s in MilestoneStatus if any(m.status is s for m in milestones)]
    figure.legend(
        handles=[
            Patch(
                facecolor=FILL[s],
                edgecolor=EDGE,
                linewidth=0.6,
                hatch=HATCH.get(s),
                hatchcolor="white",
                label=s.value,
            )
            for s in present
        ],
        loc="outside lower center",
        ncols=len(present),
        frameon=False,
        prop=FontProperties(family=family, size=FONT_SIZE_SMALL),
        handlelength=1.6,
        columnspacing=1.6,
    )
    return figure


def _x_range(
    milestones: Sequence[Milestone], report_date: dt.date, width_cm: float
) -> tuple[dt.date, dt.date]:
    """The ends of the x axis: whole months around the plan and the report date."""
    days = [report_date, *(m.start or m.due for m in milestones), *(m.due for m in milestones)]
    span = (max(days) - min(days)).days + 31
    # A diamond is drawn ~0.4 cm wide; pad its date so the frame does not cut it in half.
    pad = dt.timedelta(days=math.ceil(span * DIAMOND_HALF_CM / (AXES_SHARE * width_cm)))
    low = min([report_date] + [m.start or m.due - pad for m in milestones])
    high = max([report_date] + [m.due if m.start else m.due + pad for m in milestones])
    return _month_start(low), _next_month_start(high)


def _draw_empty(ax: Axes, report_date: dt.date, family: list[str]) -> None:
    """The chart of an empty plan: a line of text saying so."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color(GRID)
    ax.text(
        0.5,
        0.5,
        f"{NO_PLAN} (report date {_long_date(report_date)})",
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontfamily=family,
        fontsize=FONT_SIZE,
        color="#444444",
        gid="no-plan",
    )


def _draw_months(ax: Axes, low: dt.date, high: dt.date, width_cm: float, family: list[str]) -> None:
    """Month ticks along the x axis, as many as fit without crowding, and a light month grid."""
    months = []
    month = low
    while month <= high:
        months.append(month)
        month = _next_month_start(month)
    room = max(1, int(width_cm * AXES_SHARE / MIN_TICK_SPACING_CM))
    interval = next((i for i in TICK_INTERVALS if len(months) / i <= room), TICK_INTERVALS[-1])
    labelled = [m for m in months if (m.year * 12 + m.month - 1) % interval == 0]
    ax.set_xticks(
        [_x(m) for m in labelled],
        # The year only where it changes, so a long row of labels stays easy to scan.
        [
            f"{MONTHS[m.month - 1]}\n{m.year}"
            if i == 0 or m.month <= interval
            else MONTHS[m.month - 1]
            for i, m in enumerate(labelled)
        ],
        fontfamily=family,
        fontsize=FONT_SIZE_SMALL,
    )
    ax.tick_params(axis="x", colors="#888888", labelcolor="#000000")
    # A line per month helps reading dates off the chart until there are too many to tell apart.
    ax.set_xticks([_x(m) for m in months] if interval <= 3 else [], minor=True)
    ax.tick_params(axis="x", which="minor", length=0)
    ax.grid(axis="x", which="both", color=GRID, linewidth=0.5, zorder=0)
    ax.set_axisbelow(True)


def _draw_report_date(
    ax: Axes, report_date: dt.date, low: dt.date, high: dt.date, family: list[str]
) -> None:
    """A dashed vertical line at the report date, labelled above the plot."""
    x = _x(report_date)
    ax.axvline(
        x, color=REPORT_LINE, linestyle=(0, (4, 2)), linewidth=1.0, zorder=5, gid="report-date"
    )
    share = (x - _x(low)) / (_x(high) - _x(low))
    # Keep the label inside the figure when the line is near either end of the axis.
    ha = "left" if share < 0.2 else "right" if share > 0.8 else "center"
    ax.annotate(
        f"Report date {_short_date(report_date)}",
        xy=(x, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),
        textcoords="offset points",
        ha=ha,
        va="bottom",
        fontfamily=family,
        fontsize=FONT_SIZE_SMALL,
        annotation_clip=False,
        gid="report-date-label",
    )


def _rows(milestones: Sequence[Milestone], chars: int) -> list[tuple[str, Milestone | None]]:
    """The chart's rows top to bottom: a heading (milestone None) then its items, per scope."""
    rows: list[tuple[str, Milestone | None]] = []
    for scope in (Scope.WITHIN, Scope.OUTSIDE):
        items = [m for m in milestones if m.scope is scope]
        if items:
            rows.append((scope.value, None))
            rows.extend((_label(m, chars), m) for m in items)
    return rows


def _label(milestone: Milestone, chars: int) -> str:
    """A milestone's y-axis label: its label, else its text, cut to two lines with an ellipsis."""
    text = " ".join(_printable(milestone.label or milestone.text).split())
    lines = textwrap.wrap(text, width=chars, max_lines=2, placeholder="…")
    return "\n".join(lines) or "…"


def _label_chars(width_cm: float) -> int:
    """Characters per label line: 28 on an A4 text width, so labels take about a quarter of it."""
    return max(12, min(40, round(width_cm * 1.75)))


@cache
def _font_family() -> tuple[str, ...]:
    """The preferred fonts that are installed, in order; matplotlib falls back glyph by glyph."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return tuple(name for name in PREFERRED_FONTS if name in installed) or ("DejaVu Sans",)


@cache
def _covered() -> frozenset[int]:
    """The code points that the chart's fonts can draw."""
    points: set[int] = set()
    for name in _font_family():
        path = font_manager.findfont(FontProperties(family=name), fallback_to_default=False)
        points.update(FT2Font(path).get_charmap())
    return frozenset(points)


def _printable(text: str) -> str:
    """Text without characters the fonts lack (emoji, say), which matplotlib would warn about."""
    covered = _covered()
    return "".join(c if ord(c) in covered or c.isspace() else "" for c in text)


def _x(day: dt.date) -> float:
    """A date as an x coordinate: its day number, counting 1 January of year 1 as day 1."""
    return float(day.toordinal())


def _month_start(day: dt.date) -> dt.date:
    """The first day of the month a date is in."""
    return day.replace(day=1)


def _next_month_start(day: dt.date) -> dt.date:
    """The first day of the month after the one a date is in."""
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _short_date(day: dt.date) -> str:
    """A date as 14 Jan 2008, whatever the locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _long_date(day: dt.date) -> str:
    """A date as 14 January 2008, whatever the locale."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _count(n: int, singular: str, plural: str) -> str:
    """A count with its noun, e.g. 1 activity, 3 activities."""
    return f"{n} {singular if n == 1 else plural}"
