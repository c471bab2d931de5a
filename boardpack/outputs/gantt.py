"""The plan as a picture: a Gantt chart of the milestones, as PNG bytes for the Word paper.

Drawn with matplotlib's object API (Figure + Agg canvas), never pyplot, so it touches no global
state and is safe to call from anywhere. The same plan always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache, lru_cache

# isort: off
from boardpack.outputs import mpl_setup  # noqa: F401  (before the rest of matplotlib: see there)

# isort: on
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN, MarkerStyle
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation, Text
from matplotlib.transforms import IdentityTransform
from PIL import Image

from boardpack.paper.context import long_date
from boardpack.paper.models import Milestone
from boardpack.paper.page import chart_height_in
from boardpack.paper.profile import MilestoneState, PlanScheme

DPI = 200
CM = 1 / 2.54  # inches in a centimetre

FONT_SIZE = 8.5  # points at printed size; boards read on paper, so never below 8
FONT_SIZE_SMALL = 8
# The height of a row and of the frame around the rows are page.py's, which cuts a long plan
# into parts that fit a page.
EMPTY_HEIGHT_IN = 0.5
BAR_HEIGHT = 0.6  # in rows
MIN_BAR_SHARE = 0.01  # of the x span: about 1 mm on A4
DIAMOND_SIZE_PT = 12.0
DIAMOND_HALF_CM = 0.3  # half the drawn width of a DIAMOND_SIZE_PT diamond, with a margin
AXES_SHARE = 0.65  # of the figure width left for the plot once the row labels are placed
MIN_WIDTH_CM = 8.0
# matplotlib's defaults for axes, ticks and constrained layout, which the chart used to rely on:
# the layout is now computed here, and tick marks and labels are drawn as plain artists.
PAD_PT = 3.0  # between the figure's edge and anything drawn on it
TICK_LENGTH_PT = 3.5
TICK_WIDTH_PT = 0.8
TICK_PAD_PT = 3.5  # between a tick (or the axis, for the rows) and its label
REPORT_OFFSET_PT = 3.0  # between the top of the plot and the report-date label
# The key below the plot, in ems of its text, as matplotlib's legend used to lay it out.
LEGEND_BOTTOM_EM = 0.9  # from the figure's edge to the bottom of the text
LEGEND_SWATCH_EM = 1.6
LEGEND_SWATCH_HEIGHT_EM = 0.7
LEGEND_TEXT_GAP_EM = 0.8  # between a swatch and its label
LEGEND_SPACING_EM = 1.6  # between one label and the next swatch
LEGEND_ROW_GAP_EM = 0.5  # between rows of the key, when a narrow chart needs more than one
# Between the top of the key and the month labels: constrained layout's three pads of 3 pt, plus
# the legend's 0.4 em padding inside, less its 0.5 em from the edge.
LEGEND_GAP_PT = 8.2
ANCHOR = {"left": 0.0, "center": 0.5, "right": 1.0}  # share of a text left of its x
# Okabe-Ito / Tol colours, chosen to differ in lightness too, so they survive colour blindness
# and greyscale printing: not started is the lightest, complete the darkest; delayed is also
# hatched so it never relies on colour alone.
HATCH = "////"  # on a state the profile marks `hatched`, so it never relies on colour alone
EDGE = "#333333"
BASELINE = "#000000"  # the outline marking a milestone's first planned date
HEADER_BAND = "#EEEEEE"
GRID = "#DDDDDD"
REPORT_LINE = "#000000"
AXIS = "#888888"

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TICK_INTERVALS = (1, 2, 3, 6, 12, 24, 60, 120)  # months between labelled ticks
MIN_TICK_SPACING_CM = 0.9  # a "Sep / 2007" label is ~0.6 cm wide at FONT_SIZE_SMALL
PREFERRED_FONTS = ("Liberation Sans", "DejaVu Sans")  # DejaVu Sans ships with matplotlib

NO_PLAN = "No milestones in the plan"


def draw_gantt(
    milestones: Sequence[Milestone],
    report_date: dt.date,
    *,
    width_cm: float = 16.0,
    plan: Sequence[Milestone] | None = None,
    scheme: PlanScheme | None = None,
    baselines: dict[str, dt.date] | None = None,
) -> bytes:
    """The Gantt chart of a plan as PNG bytes, width_cm wide (8 to 100) at 200 dpi.

    With `plan`, the milestones are one part of that plan (see page.chart_parts): the part's
    rows are drawn on the whole plan's month axis with the whole plan's key, so every part of a
    long plan reads the same way. `scheme` is the profile's plan: its scopes and the colours of
    its statuses (the default profile's unless told). `baselines` gives a milestone (by its
    text) its first planned due date, marked by an outlined diamond behind its bar.
    """
    # The same plan always gives the same bytes, so a chart drawn before is not drawn again:
    # `watch` rebuilds a paper on every save, and most saves change its text, not its plan.
    key = _drawing_key(milestones, report_date, width_cm, plan, scheme, baselines)
    if key is not None and (png := _DRAWN.get(key)) is not None:
        _DRAWN.move_to_end(key)
        return png
    canvas = _figure(milestones, report_date, width_cm, plan, scheme, baselines).canvas
    assert isinstance(canvas, FigureCanvasAgg)  # as _figure makes every chart
    # One draw, encoded here: savefig would draw the figure a second time.
    canvas.draw()
    png = _png(canvas)
    if key is not None:
        _DRAWN[key] = png
        while len(_DRAWN) > _DRAWN_KEPT:
            _DRAWN.popitem(last=False)
    return png


_DRAWN: OrderedDict[tuple[object, ...], bytes] = OrderedDict()  # the charts drawn, newest last
_DRAWN_KEPT = 64  # a 20-paper meeting's charts, their parts and a few earlier versions


def _drawing_key(
    milestones: Sequence[Milestone],
    report_date: dt.date,
    width_cm: float,
    plan: Sequence[Milestone] | None,
    scheme: PlanScheme | None,
    baselines: dict[str, dt.date] | None,
) -> tuple[object, ...] | None:
    """Everything a chart is drawn from, as a key (frozen models compare by value); None when
    some part of it cannot be a key, and the chart is then drawn every time."""
    key = (
        tuple(milestones),
        report_date,
        width_cm,
        None if plan is None else tuple(plan),
        scheme,
        None if baselines is None else tuple(sorted(baselines.items())),
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


def describe_gantt(
    milestones: Sequence[Milestone],
    report_date: dt.date,
    *,
    part: tuple[int, int, Sequence[Milestone]] | None = None,
    scheme: PlanScheme | None = None,
) -> str:
    """Alt text for the Gantt chart: what the whole plan shows, in one or two sentences.

    With `part` (its number, how many parts, its milestones), a sentence more says which part of
    the chart this is and which items it draws.
    """
    summary = _describe_plan(milestones, report_date, scheme or default_plan())
    if part is None or part[1] <= 1:
        return summary
    number, parts, shown = part
    if not shown:
        return f"{summary} Part {number} of {parts}."
    first, last = (_printable(m.label or m.text).strip() for m in (shown[0], shown[-1]))
    items = _count(len(shown), "item", "items")
    return f"{summary} Part {number} of {parts}: {items}, from {first} to {last}."


def _describe_plan(
    milestones: Sequence[Milestone], report_date: dt.date, scheme: PlanScheme
) -> str:
    """The whole plan described: its items by kind and status, its span and the report date."""
    when = long_date(report_date)
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
        f"{n} {state.name.lower()}"
        for state in _most_advanced_first(scheme)
        if (n := sum(m.status == state.name for m in milestones))
    )
    span = f"from {long_date(first)} to {long_date(last)}"
    if first == last:
        span = f"on {long_date(first)}"
    overview = f"Gantt chart of {kinds} {span} ({statuses})."
    total = len(milestones)
    due = sum(m.due <= report_date for m in milestones)
    if report_date < first:
        where = "before any item starts"
    elif report_date > last:
        where = "after every item was due"
    else:
        where = f"by when {due} of the {total} items {'was' if due == 1 else 'were'} due"
    done = {state.name for state in scheme.states if state.done}
    late = sum(m.due < report_date and m.status not in done for m in milestones)
    overdue = f" ({late} of them not complete)" if late else ""
    return f"{overview} A dashed line marks the report date, {when}, {where}{overdue}."


def _figure(
    milestones: Sequence[Milestone],
    report_date: dt.date,
    width_cm: float,
    plan: Sequence[Milestone] | None = None,
    scheme: PlanScheme | None = None,
    baselines: dict[str, dt.date] | None = None,
) -> Figure:
    """The chart as an unrendered matplotlib Figure; tests inspect it, draw_gantt renders it.

    `plan` is the whole plan when `milestones` are one part of it: it sets the axis and the key.
    """
    if not MIN_WIDTH_CM <= width_cm <= 100:
        raise ValueError(f"width_cm must be from {MIN_WIDTH_CM} to 100 (got {width_cm})")
    whole = milestones if plan is None else plan
    scheme = scheme or default_plan()
    states = {state.name: state for state in scheme.states}
    rows = _rows(milestones, _label_chars(width_cm), scheme)
    height_in = chart_height_in(len(rows)) if rows else EMPTY_HEIGHT_IN
    # No layout engine: constrained layout measures every label on every draw, and savefig
    # draws twice with it. _place sets the same margins once from the measured labels.
    figure = Figure(figsize=(width_cm * CM, height_in), dpi=DPI)
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    # A matplotlib Tick is five artists, costly to make and to draw; the chart's labels, tick
    # marks and grid lines are drawn as a few plain artists instead.
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    if not milestones:
        _draw_empty(ax, report_date)
        pad = _pixels(PAD_PT)
        _set_margins(figure, ax, left=pad, right=pad, bottom=pad, top=pad)
        return figure

    low, high = _x_range(whole, report_date, width_cm)
    ax.set_xlim(_x(low), _x(high))
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first row at the top

    # Patches are added as plain artists: axhspan, barh and add_patch also track data limits,
    # which cost a good share of the time and are not needed once the limits are set.
    for y, (_, milestone) in enumerate(rows):
        if milestone is None:
            ax.add_artist(
                Rectangle(
                    (0.0, y - 0.5),
                    1.0,
                    1.0,
                    transform=ax.get_yaxis_transform(),  # the full width of the plot
                    facecolor=HEADER_BAND,
                    linewidth=0,
                    zorder=0,
                )
            )

    shortest = MIN_BAR_SHARE * (_x(high) - _x(low))
    for y, (_, milestone) in enumerate(rows):
        if milestone is None or milestone.start is None:
            continue
        left = _x(milestone.start)
        ax.add_artist(
            Rectangle(
                (left, y - BAR_HEIGHT / 2),
                # A one-day activity still needs a visible bar, whatever the span of the plan.
                max(_x(milestone.due) - left, shortest),
                BAR_HEIGHT,
                facecolor=_fill(states[milestone.status]),
                edgecolor=EDGE,
                linewidth=0.6,
                hatch=_hatch(states[milestone.status]),
                hatchcolor="white",
                zorder=3,
                gid="activity",
            )
        )

    # What scatter(marker="D") makes, less its colour and size handling, which cost most of it.
    marker = MarkerStyle("D")
    diamond = marker.get_path().transformed(marker.get_transform())
    marks = [
        (y, baselines[m.text])
        for y, (_, m) in enumerate(rows)
        if baselines and m is not None and m.text in baselines
    ]
    if marks:  # over the bars and diamonds, unfilled: where each was first planned to end
        ax.add_collection(
            PathCollection(
                [diamond],
                sizes=[DIAMOND_SIZE_PT**2],
                offsets=[(_x(day), y) for y, day in marks],
                offset_transform=ax.transData,
                transform=IdentityTransform(),
                facecolors="none",
                edgecolors=BASELINE,
                linewidths=1.2,
                zorder=5,  # an outline only, so the bar under it still shows
                gid="baselines",
            ),
            autolim=False,
        )
    points = [(y, m) for y, (_, m) in enumerate(rows) if m is not None and m.start is None]
    for status in scheme.states:
        here = [(y, m) for y, m in points if m.status == status.name]
        if here:
            diamonds = PathCollection(
                [diamond],
                sizes=[DIAMOND_SIZE_PT**2],
                offsets=[(_x(m.due), y) for y, m in here],
                offset_transform=ax.transData,
                transform=IdentityTransform(),  # the marker is sized in points, not data
                facecolors=_fill(status),
                edgecolors=EDGE,
                linewidths=0.6,
                hatch=_hatch(status),
                hatchcolor="white",
                zorder=4,
                gid="milestones",
            )
            ax.add_collection(diamonds, autolim=False)

    row_labels = _draw_row_labels(figure, ax, rows)
    month_labels = _draw_months(figure, ax, low, high, width_cm)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(AXIS)
    report_label = _draw_report_date(ax, report_date, low, high)

    # Texts are measured with the renderer that will draw them, which keeps what it measures.
    renderer = canvas.get_renderer()
    present = [s for s in scheme.states if any(m.status == s.name for m in whole)]
    legend_top = _draw_legend(figure, present, renderer)
    # A part of a longer plan leaves the room the plan's widest label needs, so that every
    # part's plot starts at the same place and a date is at the same place on every page.
    labels_width = 0.0
    if plan is not None and len(plan) != len(milestones):
        labels_width = _widest_label(tuple(_rows(plan, _label_chars(width_cm), scheme)), width_cm)
    _place(figure, ax, renderer, row_labels, month_labels, report_label, legend_top, labels_width)
    return figure


@lru_cache(maxsize=4)
def _widest_label(rows: tuple[tuple[str, Milestone | None], ...], width_cm: float) -> float:
    """The width in pixels of the widest of these rows' labels, measured as _place measures
    them; a plan's parts are drawn one after another, so the plan is measured once."""
    figure = Figure(figsize=(width_cm * CM, 1.0), dpi=DPI)
    renderer = FigureCanvasAgg(figure).get_renderer()
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    labels = _draw_row_labels(figure, ax, rows)
    return max(t.get_window_extent(renderer).width for t in labels)


def _draw_legend(
    figure: Figure, statuses: Sequence[MilestoneState], renderer: RendererAgg
) -> float:
    """A key to the statuses, centred along the bottom of the figure and spaced as matplotlib's
    legend spaces it, in as few rows as fit the width (one, unless the chart is narrow); returns
    the height of its top in pixels.

    Not a Legend artist: that packs its entries anew each time it is measured or drawn, which
    took longer than drawing them.
    """
    em = _pixels(FONT_SIZE_SMALL)
    labels = [
        figure.text(
            0,
            0,
            status.name,
            va="baseline",
            fontfamily=_families(status.name),
            fontsize=FONT_SIZE_SMALL,
            gid="legend-label",
        )
        for status in statuses
    ]
    swatch = LEGEND_SWATCH_EM * em
    gap = LEGEND_TEXT_GAP_EM * em
    spacing = LEGEND_SPACING_EM * em
    entries = [swatch + gap + label.get_window_extent(renderer).width for label in labels]
    width, height = figure.bbox.width, figure.bbox.height
    room = width - 2 * _pixels(PAD_PT)
    rows: list[list[int]] = [[]]
    for index, entry in enumerate(entries):
        row = rows[-1]
        if row and sum(entries[i] for i in row) + len(row) * spacing + entry > room:
            rows.append([])
        rows[-1].append(index)
    # Every label in a row sits on one baseline, the lowest row as high above the edge as a
    # descender needs, each row above it a line higher.
    _, line, descent = renderer.get_text_width_height_descent(
        "lp", labels[0].get_fontproperties(), ismath=False
    )
    for level, row in enumerate(reversed(rows)):
        baseline = LEGEND_BOTTOM_EM * em + descent + level * (line + LEGEND_ROW_GAP_EM * em)
        x = (width - sum(entries[i] for i in row) - (len(row) - 1) * spacing) / 2
        for index in row:
            status, label = statuses[index], labels[index]
            figure.add_artist(
                Rectangle(
                    (x / width, baseline / height),
                    swatch / width,
                    LEGEND_SWATCH_HEIGHT_EM * em / height,
                    transform=figure.transFigure,
                    facecolor=_fill(status),
                    edgecolor=EDGE,
                    linewidth=0.6,
                    hatch=_hatch(status),
                    hatchcolor="white",
                    gid="legend-swatch",
                )
            )
            label.set_position(((x + swatch + gap) / width, baseline / height))
            x += entries[index] + spacing
    return max(label.get_window_extent(renderer).y1 for label in labels)


def _place(
    figure: Figure,
    ax: Axes,
    renderer: RendererAgg,
    row_labels: Sequence[Text],
    month_labels: Sequence[Text],
    report_label: Annotation,
    legend_top: float,
    labels_width: float = 0.0,
) -> None:
    """Sizes the plot to leave just enough room around it for its labels and the key.

    The margins are those constrained layout gave the chart: PAD_PT between the figure's edges
    and what is drawn nearest them, and the labels' own spacing from the plot.
    """
    pad = _pixels(PAD_PT)
    month_boxes = [text.get_window_extent(renderer) for text in month_labels]
    bottom = (
        legend_top
        + _pixels(LEGEND_GAP_PT + TICK_LENGTH_PT + TICK_PAD_PT)
        + max(box.height for box in month_boxes)
    )
    report_box = report_label.get_window_extent(renderer)
    top = pad + _pixels(REPORT_OFFSET_PT) + report_box.height

    # Texts along the x axis may stick out past either end of the plot. Each as: where along the
    # axis it is anchored (0 to 1), its width in pixels, and the share of that left of the anchor.
    low, high = ax.get_xlim()
    anchored = [
        (text, text.get_position()[0], box)
        for text, box in zip(month_labels, month_boxes, strict=True)
    ]
    anchored.append((report_label, report_label.xy[0], report_box))
    spans = [
        ((x - low) / (high - low), box.width, ANCHOR[text.get_horizontalalignment()])
        for text, x, box in anchored
    ]
    beside_rows = max(labels_width, *(t.get_window_extent(renderer).width for t in row_labels))
    beside_rows += _pixels(TICK_PAD_PT)
    left, right = pad + beside_rows, pad
    # How far a label sticks out depends on the plot's width, which depends on the margins;
    # each pass moves the margins less, and three are exact to well under a pixel.
    for _ in range(3):
        width = figure.bbox.width - left - right
        left = pad + max(beside_rows, *(a * w - share * width for share, w, a in spans))
        right = pad + max(0.0, *((1 - a) * w - (1 - share) * width for share, w, a in spans))
    _set_margins(figure, ax, left=left, right=right, bottom=bottom, top=top)


def _set_margins(
    figure: Figure, ax: Axes, *, left: float, right: float, bottom: float, top: float
) -> None:
    """Places the plot with these margins, in pixels, from the figure's edges."""
    width, height = figure.bbox.width, figure.bbox.height
    ax.set_position(
        (left / width, bottom / height, 1 - (left + right) / width, 1 - (bottom + top) / height)
    )


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


def _draw_empty(ax: Axes, report_date: dt.date) -> None:
    """The chart of an empty plan: a line of text saying so."""
    for spine in ax.spines.values():
        spine.set_color(GRID)
    text = f"{NO_PLAN} (report date {long_date(report_date)})"
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontfamily=_families(text),
        fontsize=FONT_SIZE,
        color="#444444",
        gid="no-plan",
    )


def _draw_row_labels(
    figure: Figure, ax: Axes, rows: Sequence[tuple[str, Milestone | None]]
) -> list[Text]:
    """A label left of each row, placed as a y tick label would be; headings in bold."""
    transform, va, ha = ax.get_yaxis_text1_transform(TICK_PAD_PT)
    # Figure texts, though placed by the plot's transforms: an Axes gives each of its texts a
    # clip path (unused, as they are not clipped), which costs more than making the text.
    return [
        figure.text(
            0,
            y,
            label,
            transform=transform,
            va=va,
            ha=ha,
            fontfamily=_families(label),
            fontsize=FONT_SIZE,
            fontweight="bold" if milestone is None else "normal",
            parse_math=False,  # a $ in a label is a dollar, not maths
            gid="row-label",
        )
        for y, (label, milestone) in enumerate(rows)
    ]


def _draw_months(
    figure: Figure, ax: Axes, low: dt.date, high: dt.date, width_cm: float
) -> list[Text]:
    """Month labels and tick marks along the x axis, as many as fit without crowding, and a
    light month grid."""
    months = []
    month = low
    while month <= high:
        months.append(month)
        month = _next_month_start(month)
    room = max(1, int(width_cm * AXES_SHARE / MIN_TICK_SPACING_CM))
    interval = next((i for i in TICK_INTERVALS if len(months) / i <= room), TICK_INTERVALS[-1])
    labelled = [m for m in months if (m.year * 12 + m.month - 1) % interval == 0]

    # A line per month helps reading dates off the chart until there are too many to tell apart.
    gridded = months if interval <= 3 else labelled
    grid = LineCollection(
        [[(_x(m), 0.0), (_x(m), 1.0)] for m in gridded],
        transform=ax.get_xaxis_transform(),  # from the bottom of the plot to its top
        edgecolors=GRID,  # not colors=, which would first look up the default colour
        linewidths=0.5,
        zorder=0.5,  # above the heading bands, below everything else
        gid="month-grid",
    )
    ax.add_collection(grid, autolim=False)
    ax.add_artist(
        Line2D(
            [_x(m) for m in labelled],
            [0.0] * len(labelled),
            transform=ax.get_xaxis_transform(),
            linestyle="none",
            marker=MarkerStyle(TICKDOWN),
            markersize=TICK_LENGTH_PT,
            markeredgewidth=TICK_WIDTH_PT,
            color=AXIS,
            clip_on=False,  # the marks hang below the plot
            zorder=0.5,
            gid="month-ticks",
        )
    )
    transform, va, ha = ax.get_xaxis_text1_transform(TICK_LENGTH_PT + TICK_PAD_PT)
    # The year only where it changes, so a long row of labels stays easy to scan.
    texts = [
        f"{MONTHS[m.month - 1]}\n{m.year}" if i == 0 or m.month <= interval else MONTHS[m.month - 1]
        for i, m in enumerate(labelled)
    ]
    return [
        figure.text(
            _x(m),
            0,
            text,
            transform=transform,
            va=va,
            ha=ha,
            fontfamily=_families(text),
            fontsize=FONT_SIZE_SMALL,
            gid="month-label",
        )
        for m, text in zip(labelled, texts, strict=True)
    ]


def _draw_report_date(ax: Axes, report_date: dt.date, low: dt.date, high: dt.date) -> Annotation:
    """A dashed vertical line at the report date, labelled above the plot."""
    x = _x(report_date)
    ax.axvline(
        x, color=REPORT_LINE, linestyle=(0, (4, 2)), linewidth=1.0, zorder=5, gid="report-date"
    )
    share = (x - _x(low)) / (_x(high) - _x(low))
    # Keep the label inside the figure when the line is near either end of the axis.
    ha = "left" if share < 0.2 else "right" if share > 0.8 else "center"
    text = f"Report date {_short_date(report_date)}"
    return ax.annotate(
        text,
        xy=(x, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, REPORT_OFFSET_PT),
        textcoords="offset points",
        ha=ha,
        va="bottom",
        fontfamily=_families(text),
        fontsize=FONT_SIZE_SMALL,
        annotation_clip=False,
        gid="report-date-label",
    )


def _rows(
    milestones: Sequence[Milestone], chars: int, scheme: PlanScheme
) -> list[tuple[str, Milestone | None]]:
    """The chart's rows top to bottom: a heading (milestone None) then its items, per scope."""
    rows: list[tuple[str, Milestone | None]] = []
    for scope in scheme.scopes:
        items = [m for m in milestones if m.scope == scope.name]
        if items:
            rows.append((scope.name, None))
            rows.extend((_label(m, chars), m) for m in items)
    return rows


@cache
def default_plan() -> PlanScheme:
    """The default profile's plan, for a chart drawn without a profile (tests, benchmarks)."""
    from boardpack.paper.profile import load_profile

    plan = load_profile().plan
    assert plan is not None  # the default profile has a plan
    return plan


def _fill(state: MilestoneState) -> str:
    return f"#{state.colour}"


def _hatch(state: MilestoneState) -> str | None:
    return HATCH if state.hatched else None


def _most_advanced_first(scheme: PlanScheme) -> list[MilestoneState]:
    """The states as the alt text counts them: done, then the rest from the most advanced (the
    last listed) back, then those flagged as trouble (hatched)."""
    done = [s for s in scheme.states if s.done]
    going = [s for s in reversed(scheme.states) if not s.done and not s.hatched]
    trouble = [s for s in scheme.states if s.hatched and not s.done]
    return [*done, *going, *trouble]


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
def _charmaps() -> tuple[frozenset[int], ...]:
    """The code points that each of the chart's fonts can draw, in order."""
    return tuple(
        frozenset(
            FT2Font(
                font_manager.findfont(FontProperties(family=name), fallback_to_default=False)
            ).get_charmap()
        )
        for name in _font_family()
    )


@cache
def _covered() -> frozenset[int]:
    """The code points that the chart's fonts can draw."""
    return frozenset().union(*_charmaps())


def _families(text: str) -> list[str]:
    """The chart's fonts up to the last one a text needs, in order.

    matplotlib takes each character from the first font in the list that has it, but looks up
    every font in the list several times per text; most texts need only the first.
    """
    charmaps = _charmaps()
    needed = max(
        (
            next((i for i, points in enumerate(charmaps) if ord(c) in points), 0)
            for c in set(text)
            if not c.isspace()
        ),
        default=0,
    )
    return list(_font_family()[: needed + 1])


def _printable(text: str) -> str:
    """Text without characters the fonts lack (emoji, say), which matplotlib would warn about."""
    covered = _covered()
    return "".join(c if ord(c) in covered or c.isspace() else "" for c in text)


def _png(canvas: FigureCanvasAgg) -> bytes:
    """The drawn canvas as PNG bytes at DPI, with no software or time chunks, so the same
    pixels always give the same bytes."""
    width, height = canvas.get_width_height(physical=True)
    # The chart's background is opaque white, so dropping alpha loses nothing and encodes
    # faster; at level 3 Pillow takes half the time of its default for a file 4% larger.
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", dpi=(DPI, DPI), compress_level=3)
    return buffer.getvalue()


def _pixels(points: float) -> float:
    """A length in points as pixels at the chart's resolution."""
    return points * DPI / 72


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


def _count(n: int, singular: str, plural: str) -> str:
    """A count with its noun, e.g. 1 activity, 3 activities."""
    return f"{n} {singular if n == 1 else plural}"
