"""Tests of the Gantt chart: a real, readable picture of the plan, the same bytes every time."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import struct
import subprocess
import sys
import zlib

import pytest
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image

from boardpack.outputs import gantt
from boardpack.outputs.gantt import (
    NO_PLAN,
    _figure,
    _font_family,
    _label_chars,
    _rows,
    _x,
    describe_gantt,
    draw_gantt,
)
from boardpack.paper.models import Milestone
from boardpack.paper.page import A4, PageArea, chart_height_in, chart_parts, rows_per_part
from boardpack.paper.profile import load_profile

SCHEME = load_profile().plan  # the default profile's scopes and statuses
assert SCHEME is not None
STATES = [state.name for state in SCHEME.states]
FILL = {state.name: f"#{state.colour}" for state in SCHEME.states}

D = dt.date
REPORT_DATE = D(2008, 1, 14)

# The bundled example's plan.
PLAN = (
    Milestone(
        text="Procurement Project Board up and running with agreed terms of reference by"
        " November 2007.",
        label="Project Board set up",
        scope="Within project",
        start=D(2007, 9, 3),
        due=D(2007, 11, 30),
        status="Complete",
    ),
    Milestone(
        text="Procurement roadmap and business case for investment produced by April 2008",
        label="Roadmap and business case",
        scope="Within project",
        start=D(2007, 12, 3),
        due=D(2008, 4, 30),
        status="In progress",
    ),
    Milestone(
        text="Prioritisation of 2008/09 procurement activity for Pathfinder authorities agreed by"
        " Procurement Project Board by March 2008",
        label="2008/09 priorities agreed",
        scope="Within project",
        due=D(2008, 3, 31),
        status="Not started",
    ),
    Milestone(
        text="As part of MKOB Improvement Partnership work links are being developed with Oxon"
        " authorities on procurement through joint procurement meeting.",
        label="Links with Oxon authorities",
        scope="Outside project",
        start=D(2007, 10, 1),
        due=D(2008, 4, 30),
        status="In progress",
    ),
)
# Listed out of scope order, to show that the chart groups them.
SHUFFLED = (PLAN[3], PLAN[0], PLAN[1], PLAN[2])


@pytest.fixture(scope="module")
def png() -> bytes:
    """The example plan drawn once for the tests that only read the picture."""
    return draw_gantt(PLAN, REPORT_DATE)


@pytest.fixture(scope="module")
def figure() -> Figure:
    """The example plan as a drawn Figure, for tests that inspect its artists."""
    fig = _figure(SHUFFLED, REPORT_DATE, 16.0)
    fig.canvas.draw()  # lays out the figure, so text positions are final
    return fig


def _size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels from a PNG's header."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _texts(fig: Figure, gid: str) -> list[Text]:
    """The figure's texts with this gid."""
    return [t for t in fig.findobj(Text) if t.get_gid() == gid]


def _row_labels(fig: Figure) -> list[Text]:
    """The labels beside the rows, top to bottom (row 0 is drawn at the top)."""
    return sorted(_texts(fig, "row-label"), key=lambda t: t.get_position()[1])


def _labels(fig: Figure) -> list[str]:
    """The row labels' text, top to bottom."""
    return [t.get_text() for t in _row_labels(fig)]


def _month_labels(fig: Figure) -> list[Text]:
    """The labels along the x axis, left to right."""
    return sorted(_texts(fig, "month-label"), key=lambda t: t.get_position()[0])


def _legend(fig: Figure) -> list[tuple[Rectangle, Text]]:
    """The key's entries left to right, each a colour swatch and the label after it."""
    swatches = fig.findobj(lambda a: a.get_gid() == "legend-swatch")
    labels = _texts(fig, "legend-label")
    entries = list(
        zip(
            sorted(swatches, key=lambda p: p.get_x()),  # type: ignore[attr-defined]
            sorted(labels, key=lambda t: t.get_position()[0]),
            strict=True,
        )
    )
    for swatch, label in entries:
        assert isinstance(swatch, Rectangle)
        assert swatch.get_x() + swatch.get_width() < label.get_position()[0]
    return entries


def _one(fig: Figure, gid: str) -> Artist:
    """The figure's only artist with this gid."""
    (artist,) = fig.findobj(lambda a: a.get_gid() == gid)
    return artist


def _status(label: str, plan: tuple[Milestone, ...] = PLAN) -> Milestone:
    """The example milestone with the given chart label."""
    return next(m for m in plan if m.label == label)


def test_png_is_the_asked_width_at_200_dpi(png: bytes) -> None:
    width, height = _size(png)
    assert abs(width - 16.0 / 2.54 * 200) <= 1
    assert 5 * 200 / 2.54 < height < 12 * 200 / 2.54  # a few cm tall for six rows

    narrow, _ = _size(draw_gantt(PLAN[:1], REPORT_DATE, width_cm=10.0))
    assert abs(narrow - 10.0 / 2.54 * 200) <= 1


def test_height_grows_with_the_rows(png: bytes) -> None:
    longer = PLAN + tuple(m.model_copy(update={"label": f"Copy {i}"}) for i, m in enumerate(PLAN))
    assert _size(draw_gantt(longer, REPORT_DATE))[1] > _size(png)[1] + 4 * 0.25 * 200


def test_same_plan_gives_identical_bytes(png: bytes) -> None:
    gantt._DRAWN.clear()  # drawn again, not taken from the charts drawn before
    assert draw_gantt(PLAN, REPORT_DATE) == png
    # No software version or timestamp, which would change the bytes between installs.
    assert b"tEXt" not in png and b"tIME" not in png
    assert _chunks(png) == [b"IHDR", b"pHYs", b"IDAT", b"IEND"]


def test_png_is_the_drawn_figure_pixel_for_pixel(png: bytes) -> None:
    fig = _figure(PLAN, REPORT_DATE, 16.0)
    fig.canvas.draw()
    drawn = Image.frombuffer("RGBA", _size(png), fig.canvas.buffer_rgba())  # type: ignore[attr-defined]
    assert drawn.getextrema()[3] == (255, 255)  # opaque, so the PNG need not keep alpha
    with Image.open(io.BytesIO(png)) as image:
        assert image.info["dpi"] == pytest.approx((200, 200), abs=0.01)
        assert image.mode == "RGB"
        assert image.tobytes() == drawn.convert("RGB").tobytes()


def _chunks(png: bytes) -> list[bytes]:
    """The types of a PNG's chunks in order, checking each chunk's CRC."""
    kinds, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length : at + 12 + length])[0] == zlib.crc32(
            kind + data
        )
        kinds.append(kind)
        at += 12 + length
    return kinds


def test_different_plans_give_different_pictures(png: bytes) -> None:
    delayed = (PLAN[0].model_copy(update={"status": "Delayed"}), *PLAN[1:])
    assert draw_gantt(delayed, REPORT_DATE) != png
    assert draw_gantt(PLAN, D(2008, 2, 14)) != png


def test_a_chart_drawn_before_is_reused_only_for_the_very_same_plan(png: bytes) -> None:
    # `watch` redraws a paper on every save; a chart is drawn again only when what it shows
    # changed, and the picture kept is the one a fresh draw gives.
    assert draw_gantt(PLAN, REPORT_DATE) == png
    renamed = (PLAN[0].model_copy(update={"label": "Renamed"}), *PLAN[1:])
    first_planned = {renamed[0].text: renamed[0].due - dt.timedelta(days=60)}
    kept = draw_gantt(renamed, REPORT_DATE, baselines=first_planned)
    gantt._DRAWN.clear()
    assert draw_gantt(renamed, REPORT_DATE, baselines=first_planned) == kept
    assert draw_gantt(renamed, REPORT_DATE) not in (kept, png)


def test_empty_plan_gives_a_small_chart_saying_so() -> None:
    png = draw_gantt([], REPORT_DATE)
    width, height = _size(png)
    assert abs(width - 16.0 / 2.54 * 200) <= 1
    assert height < 2 * 200 / 2.54
    texts = [t.get_text() for t in _figure([], REPORT_DATE, 16.0).findobj(Text)]
    assert any(NO_PLAN in text for text in texts)


def test_rows_are_grouped_by_scope_in_the_given_order_first_at_the_top(figure: Figure) -> None:
    ax = figure.axes[0]
    assert _labels(figure) == [
        "Within project",
        "Project Board set up",
        "Roadmap and business case",
        "2008/09 priorities agreed",
        "Outside project",
        "Links with Oxon authorities",
    ]
    labels = _row_labels(figure)
    # Each label is level with its row, as a y tick label would be.
    assert [t.get_position()[1] for t in labels] == list(range(6))
    assert all(t.get_va() == "center_baseline" and t.get_ha() == "right" for t in labels)
    bottom, top = ax.get_ylim()
    assert bottom > top  # row 0 is drawn at the top
    centres = [t.get_window_extent().y0 + t.get_window_extent().height / 2 for t in labels]
    assert centres == sorted(centres, reverse=True)
    weights = [t.get_fontweight() for t in labels]
    assert weights == ["bold", "normal", "normal", "normal", "bold", "normal"]


def test_a_bar_per_activity_from_start_to_due_coloured_by_status(figure: Figure) -> None:
    bars = [p for p in figure.axes[0].patches if p.get_gid() == "activity"]
    assert len(bars) == 3
    rows = _labels(figure)
    for bar in bars:
        assert isinstance(bar, Rectangle)
        milestone = _status(rows[round(bar.get_y() + bar.get_height() / 2)])
        assert milestone.start is not None
        assert bar.get_x() == _x(milestone.start)
        assert bar.get_x() + bar.get_width() == _x(milestone.due)
        assert to_hex(bar.get_facecolor()) == FILL[milestone.status].lower()


def test_a_diamond_per_milestone_without_a_start_date(figure: Figure) -> None:
    diamonds = [c for c in figure.axes[0].collections if c.get_gid() == "milestones"]
    offsets = [tuple(xy) for c in diamonds for xy in c.get_offsets()]
    assert offsets == [(_x(D(2008, 3, 31)), 3.0)]
    assert isinstance(diamonds[0], PathCollection)
    colour = to_hex(diamonds[0].get_facecolor()[0])
    assert colour == FILL["Not started"].lower()


def test_dashed_line_at_the_report_date_labelled(figure: Figure) -> None:
    lines = [ln for ln in figure.axes[0].lines if ln.get_gid() == "report-date"]
    assert len(lines) == 1
    line = lines[0]
    assert isinstance(line, Line2D)
    assert list(line.get_xdata()) == [_x(REPORT_DATE)] * 2
    assert line.get_linestyle() == "--"
    labels = [t.get_text() for t in figure.findobj(Text) if t.get_gid() == "report-date-label"]
    assert labels == ["Report date 14 Jan 2008"]


def test_legend_lists_only_the_statuses_present(figure: Figure) -> None:
    entries = _legend(figure)
    assert [label.get_text() for _, label in entries] == ["Not started", "In progress", "Complete"]
    for swatch, label in entries:
        assert to_hex(swatch.get_facecolor()) == FILL[label.get_text()].lower()
        # Swatch and label sit on one line.
        box = label.get_window_extent()
        assert box.y0 <= swatch.get_window_extent().y0 < swatch.get_window_extent().y1 <= box.y1


def test_x_axis_is_whole_months_around_the_plan_with_readable_month_labels(
    figure: Figure,
) -> None:
    ax = figure.axes[0]
    assert ax.get_xlim() == (_x(D(2007, 9, 1)), _x(D(2008, 5, 1)))
    labels = _month_labels(figure)
    texts = [t.get_text() for t in labels]
    assert texts[:5] == ["Sep\n2007", "Oct", "Nov", "Dec", "Jan\n2008"]
    assert texts[-1] == "May"
    months = [_x(D(2007 + (8 + i) // 12, (8 + i) % 12 + 1, 1)) for i in range(9)]
    # Each label is centred under a tick mark on the first of its month ...
    assert [t.get_position()[0] for t in labels] == months
    assert all(t.get_ha() == "center" for t in labels)
    ticks = _one(figure, "month-ticks")
    assert isinstance(ticks, Line2D)
    assert list(ticks.get_xdata()) == months
    assert ticks.get_marker() == TICKDOWN and ticks.get_markersize() > 0
    # ... and a light grid line runs up the plot from each month.
    grid = _one(figure, "month-grid")
    assert isinstance(grid, LineCollection)
    assert [tuple(segment[:, 0]) for segment in grid.get_segments()] == [(x, x) for x in months]


def test_long_plans_label_fewer_months() -> None:
    long_plan = (
        PLAN[0].model_copy(update={"start": D(2006, 1, 9)}),
        PLAN[1].model_copy(update={"due": D(2010, 6, 30)}),
    )
    fig = _figure(long_plan, REPORT_DATE, 16.0)
    xs = [t.get_position()[0] for t in _month_labels(fig)]
    assert list(_one(fig, "month-ticks").get_xdata()) == xs  # type: ignore[attr-defined]
    ticks = [dt.date.fromordinal(round(x)) for x in xs]
    assert 4 <= len(ticks) <= 12
    assert all(day.day == 1 for day in ticks)
    gaps = {(b.year - a.year) * 12 + b.month - a.month for a, b in itertools.pairwise(ticks)}
    assert len(gaps) == 1 and gaps.pop() >= 3


def _overlap(boxes: list[Bbox]) -> bool:
    """Whether any two of the boxes overlap."""
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_text_is_legible_and_nothing_overlaps_or_is_cut_off(figure: Figure) -> None:
    _assert_legible(figure)


@pytest.mark.parametrize(
    ("plan", "report_date", "width_cm"),
    [
        # Labels cut to two lines, on a narrow chart.
        (tuple(m.model_copy(update={"label": None}) for m in PLAN), REPORT_DATE, 8.0),
        # The report date long before the plan, on a wide chart.
        (PLAN, D(2006, 2, 1), 30.0),
        # The report date after the plan, labelled at the right-hand end.
        (PLAN, D(2009, 11, 30), 16.0),
        # Ten years, labelled every year or two; a one-day activity.
        (
            (
                PLAN[0].model_copy(update={"start": D(2005, 3, 1)}),
                PLAN[1].model_copy(update={"due": D(2015, 2, 1)}),
                PLAN[3].model_copy(update={"start": D(2010, 6, 1), "due": D(2010, 6, 1)}),
            ),
            REPORT_DATE,
            16.0,
        ),
        # Every status on the narrowest chart: the key takes two rows.
        (
            (
                *PLAN,
                PLAN[0].model_copy(update={"status": "Delayed", "label": "Late"}),
            ),
            REPORT_DATE,
            8.0,
        ),
        # Every status, a year labelled at the very end of the axis.
        (
            (
                *PLAN,
                PLAN[0].model_copy(update={"status": "Delayed", "label": "Late"}),
                PLAN[2].model_copy(update={"due": D(2008, 12, 20)}),
            ),
            REPORT_DATE,
            16.0,
        ),
    ],
)
def test_other_plans_are_legible_with_nothing_cut_off(
    plan: tuple[Milestone, ...], report_date: dt.date, width_cm: float
) -> None:
    fig = _figure(plan, report_date, width_cm)
    fig.canvas.draw()
    _assert_legible(fig)


def _assert_legible(fig: Figure) -> None:
    """Every text at least 8 pt in the chart's font, inside the figure and clear of each other,
    the plot and the key; the labels beside, below and above the plot where they belong."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ax = fig.axes[0]
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    assert all(t.get_fontsize() >= 8 for t in texts)
    assert {t.get_fontfamily()[0] for t in texts} == {_font_family()[0]}
    page = fig.bbox
    boxes = {t: t.get_window_extent(renderer) for t in texts}
    for text, box in boxes.items():
        assert page.x0 <= box.x0 and box.x1 <= page.x1, text.get_text()
        assert page.y0 <= box.y0 and box.y1 <= page.y1, text.get_text()
    assert not _overlap(list(boxes.values()))
    plot = ax.get_window_extent(renderer)
    for text in _row_labels(fig):
        assert boxes[text].x1 < plot.x0, text.get_text()
        assert plot.y0 < boxes[text].y0 and boxes[text].y1 < plot.y1, text.get_text()
    for text in _month_labels(fig):
        assert boxes[text].y1 < plot.y0, text.get_text()
    report = _one(fig, "report-date-label")
    assert isinstance(report, Text)
    assert boxes[report].y0 > plot.y1
    # The key sits below the month labels, so it covers no bar.
    key = Bbox.union(
        [
            box
            for swatch, label in _legend(fig)
            for box in (swatch.get_window_extent(), boxes[label])
        ]
    )
    assert page.x0 <= key.x0 and key.x1 <= page.x1 and page.y0 <= key.y0
    assert key.y1 < min(boxes[t].y0 for t in _month_labels(fig))
    assert not key.overlaps(plot)


def test_picture_shows_the_status_colours_in_proportion(png: bytes) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    counts = {to_hex([c / 255 for c in rgb]): n for n, rgb in image.getcolors(1 << 24)}
    pixels = {status: counts.get(FILL[status].lower(), 0) for status in STATES}
    # Two long blue bars, one short green one, one small grey diamond, nothing delayed
    # (the legend's swatches add a little of each colour present).
    assert pixels["Delayed"] == 0
    assert pixels["In progress"] > 3 * pixels["Complete"]
    assert pixels["Complete"] > 3 * pixels["Not started"] > 0


def test_delayed_is_hatched_so_it_does_not_rely_on_colour() -> None:
    delayed = PLAN[0].model_copy(update={"status": "Delayed"})
    fig = _figure((delayed, PLAN[1]), REPORT_DATE, 16.0)
    hatches = {p.get_hatch() for p in fig.axes[0].patches if p.get_gid() == "activity"}
    assert hatches == {"////", None}
    entries = [(label.get_text(), swatch.get_hatch()) for swatch, label in _legend(fig)]
    assert entries == [("In progress", None), ("Delayed", "////")]


def test_label_falls_back_to_text_cut_to_two_lines() -> None:
    unlabelled = tuple(m.model_copy(update={"label": None}) for m in PLAN)
    labels = [label for label in _labels(_figure(unlabelled, REPORT_DATE, 16.0)) if "\n" in label]
    assert labels[0] == "Procurement Project Board up\nand running with agreed…"
    for label in labels:
        assert label.count("\n") == 1
        assert all(len(line) <= 28 for line in label.split("\n"))


def test_awkward_text_is_drawn_as_typed_without_warnings() -> None:
    # Dollar signs would be read as maths, and emoji are missing from the fonts (a warning,
    # which the test settings make an error).
    odd = PLAN[0].model_copy(update={"label": "Budget $5m to $6m 🚀 agreed"})
    fig = _figure((odd,), REPORT_DATE, 16.0)
    assert _labels(fig)[1] == "Budget $5m to $6m agreed"
    assert not any(t.get_parse_math() for t in _row_labels(fig))
    draw_gantt((odd,), REPORT_DATE)


def test_characters_only_the_fallback_font_has_are_kept() -> None:
    # DejaVu Sans, which ships with matplotlib, has the tick that Liberation Sans lacks;
    # a missing glyph would be a warning, which the test settings make an error.
    ticked = PLAN[0].model_copy(update={"label": "Signed off ✓ → next"})
    fig = _figure((ticked,), REPORT_DATE, 16.0)
    assert _labels(fig)[1] == "Signed off ✓ → next"
    fig.canvas.draw()


def test_diamond_on_the_first_of_a_month_is_not_cut_by_the_frame() -> None:
    first = PLAN[2].model_copy(update={"due": D(2008, 1, 1)})
    ax = _figure((first,), D(2008, 1, 1), 16.0).axes[0]
    low, _ = ax.get_xlim()
    assert low <= _x(D(2007, 12, 1))


@pytest.mark.parametrize("width_cm", [0.0, 5.0, 1000.0])
def test_unusable_width_is_refused(width_cm: float) -> None:
    with pytest.raises(ValueError, match="width_cm"):
        draw_gantt(PLAN, REPORT_DATE, width_cm=width_cm)


def test_description_of_the_example() -> None:
    assert describe_gantt(PLAN, REPORT_DATE) == (
        "Gantt chart of 3 activities and 1 milestone from 3 September 2007 to 30 April 2008"
        " (1 complete, 2 in progress, 1 not started). A dashed line marks the report date,"
        " 14 January 2008, by when 1 of the 4 items was due."
    )


def test_description_counts_late_items_and_report_dates_outside_the_plan() -> None:
    late = describe_gantt(PLAN[1:2], D(2008, 6, 2))
    assert "Gantt chart of 1 activity from 3 December 2007 to 30 April 2008" in late
    assert "(1 in progress)" in late
    assert "2 June 2008, after every item was due (1 of them not complete)." in late
    early = describe_gantt(PLAN[2:3], D(2007, 1, 1))
    assert early.startswith("Gantt chart of 1 milestone on 31 March 2008 (1 not started).")
    assert early.endswith("1 January 2007, before any item starts.")
    assert describe_gantt([], REPORT_DATE) == (
        "Gantt chart: the plan has no milestones. Report date 14 January 2008."
    )


def _numbered_plan(count: int) -> tuple[Milestone, ...]:
    """A plan of `count` numbered copies of the example's items, both scopes, every status."""
    return tuple(
        PLAN[i % 4].model_copy(
            update={
                "label": f"Item {i + 1}",
                "status": STATES[i % 4],
                "scope": "Within project" if i < count * 2 // 3 else "Outside project",
            }
        )
        for i in range(count)
    )


@pytest.mark.parametrize("count", [1, 4, 24, 25, 26, 40, 200, 5000])
def test_every_part_of_any_plan_fits_the_page_and_every_item_is_in_one(count: int) -> None:
    plan = _numbered_plan(count)
    parts = chart_parts(plan, A4, SCHEME)
    assert [m.label for part in parts for m in part] == [m.label for m in plan]
    capacity = rows_per_part(A4.chart_height_cm)
    assert capacity == 26  # 23 cm of the A4 page's 25 cm of text height, at 0.3 inch a row
    for part in parts:
        rows = len(_rows(part, _label_chars(16.0), SCHEME))
        assert rows <= capacity
        assert chart_height_in(rows) * 2.54 <= A4.chart_height_cm
    # No more parts than needed: the next part's first item would not have fitted in the last.
    for part, after in itertools.pairwise(parts):
        assert len(_rows((*part, after[0]), _label_chars(16.0), SCHEME)) > capacity


def test_a_smaller_page_takes_more_parts_and_the_example_takes_one() -> None:
    plan = _numbered_plan(40)
    assert len(chart_parts(plan, A4, SCHEME)) == 2
    assert len(chart_parts(plan, PageArea(width_cm=12.8, height_cm=17.0), SCHEME)) == 3
    assert chart_parts(PLAN, A4, SCHEME) == (tuple(m for m in PLAN),)
    assert chart_parts((), A4, SCHEME) == ((),)


def test_a_part_continues_its_scope_under_the_heading_again() -> None:
    plan = _numbered_plan(40)
    first, second = chart_parts(plan, A4, SCHEME)
    labels = _labels(_figure(second, REPORT_DATE, 16.0, plan))
    assert labels[0] == "Within project"
    assert labels[1] == f"Item {len(first) + 1}"
    assert "Outside project" in labels


def test_a_part_is_drawn_on_the_whole_plans_axis_with_the_whole_plans_key() -> None:
    whole = _figure(SHUFFLED, REPORT_DATE, 16.0)
    part = _figure(PLAN[2:3], REPORT_DATE, 16.0, PLAN)
    assert part.axes[0].get_xlim() == whole.axes[0].get_xlim()
    assert [t.get_text() for t in _month_labels(part)] == [
        t.get_text() for t in _month_labels(whole)
    ]
    assert [label.get_text() for _, label in _legend(part)] == [
        "Not started",
        "In progress",
        "Complete",
    ]
    assert _labels(part) == ["Within project", "2008/09 priorities agreed"]
    part.canvas.draw()
    _assert_legible(part)
    # The same part of the same plan is the same picture.
    assert draw_gantt(PLAN[2:3], REPORT_DATE, plan=PLAN) == draw_gantt(
        PLAN[2:3], REPORT_DATE, plan=PLAN
    )


def test_the_description_of_a_part_summarises_the_plan_then_says_which_part() -> None:
    plan = _numbered_plan(40)
    first, second = chart_parts(plan, A4, SCHEME)
    text = describe_gantt(plan, REPORT_DATE, part=(2, 2, second))
    assert text.startswith(describe_gantt(plan, REPORT_DATE))
    assert text.endswith(
        f"Part 2 of 2: {len(second)} items, from Item {len(first) + 1} to Item 40."
    )
    assert describe_gantt(PLAN, REPORT_DATE, part=(1, 1, PLAN)) == describe_gantt(PLAN, REPORT_DATE)


def test_every_part_of_a_plan_starts_its_plot_at_the_same_place() -> None:
    plan = _numbered_plan(40)
    plan = (plan[0].model_copy(update={"label": "A much longer label than the rest"}), *plan[1:])
    first, second = chart_parts(plan, A4, SCHEME)
    lefts = []
    for part in (first, second):
        fig = _figure(part, REPORT_DATE, 16.0, plan)
        fig.canvas.draw()
        lefts.append(fig.axes[0].get_window_extent().x0)
        _assert_legible(fig)
    assert lefts[0] == lefts[1]


def test_matplotlib_is_imported_without_writing_its_property_lists_and_draws_the_same() -> None:
    # Fresh processes: here matplotlib was imported before gantt.py was. One imports the chart
    # first, as a build does; the other all of matplotlib first, its help written in full.
    draw = (
        "import datetime as dt, hashlib, inspect\n"
        "from boardpack.outputs.gantt import draw_gantt\n"
        "from boardpack.paper.models import Milestone\n"
        "from matplotlib.lines import Line2D\n"
        "plan = [Milestone(text='Board set up', scope='Within project',"
        " start=dt.date(2007, 9, 3), due=dt.date(2007, 11, 30), status='Complete')]\n"
        "line = Line2D([], [])\n"
        "line.set(linewidth=3, color='red')\n"
        "print('agg_filter' in (Line2D.set.__doc__ or ''),"
        " 'agg_filter' in inspect.signature(Line2D.set).parameters,"
        " line.get_linewidth(), line.get_color())\n"
        "print(hashlib.sha256(draw_gantt(plan, dt.date(2008, 1, 14))).hexdigest())\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", first + draw],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.splitlines()
        for first in ("", "import matplotlib.figure, matplotlib.axes\n")
    ]

    # set()'s help, which nothing here shows, is left out; set() works as matplotlib's own,
    # and every pixel of the chart is the same.
    assert runs[0][0] == "False False 3.0 red"
    assert runs[1][0] == "True True 3.0 red"
    assert runs[0][1] == runs[1][1]
