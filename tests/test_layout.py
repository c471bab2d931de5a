"""Tests of the paper's layout on the page: running header and footer that hold any name, a Gantt
chart that fits the page whatever the plan, and text colours a reader can read."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.shared import Cm, RGBColor
from matplotlib.text import Text

import boardpack
from boardpack.outputs.gantt import _figure, draw_gantt
from boardpack.outputs.render import check_template, render_paper, template_page_area
from boardpack.paper.context import (
    _fit_columns,
    _water_fill,
    build_context,
    pack_running_heads,
    running_heads,
)
from boardpack.paper.page import A4, CHART_SURROUND_CM, DoesNotFit, PageArea, chart_parts
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE, ROOT, edit_workbook

needs_tools = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are needed to lay the paper out",
)

LONG_NAME = (
    "Pathfinder shared procurement and commissioning programme for the Buckinghamshire,"
    " Milton Keynes and Oxfordshire authorities, covering adult social care, highways, waste"
    " and the back office, 2008 to 9"
)
assert len(LONG_NAME) == 200
STATUSES = ("Complete", "In progress", "Not started", "Delayed")


def plan_edits(count: int) -> dict[str, Any]:
    """Cells that make the example's plan `count` milestones long, a quarter outside the project,
    a fifth of them single-date milestones, every status, over two and a half years."""
    edits: dict[str, Any] = {}
    for i in range(count):
        row = i + 2
        start = dt.date(2007, 3, 1) + dt.timedelta(days=(900 * i) // count)
        edits |= {
            f"Plan!A{row}": f"Milestone number {i + 1} of the plan, as section 4 states it",
            f"Plan!B{row}": f"Milestone {i + 1}",
            f"Plan!C{row}": "Within project" if i < count * 3 // 4 else "Outside project",
            f"Plan!D{row}": start if i % 5 else None,
            f"Plan!E{row}": start + dt.timedelta(days=60),
            f"Plan!F{row}": STATUSES[i % 4],
        }
    return edits


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example, a paper with a 200-character project name and one with a 40-milestone plan,
    built to PDF with the meeting's pack of the three."""
    folder = tmp_path_factory.mktemp("layout")
    inputs = folder / "in"
    inputs.mkdir()
    shutil.copy(EXAMPLE, inputs / "procurement.xlsx")
    edit_workbook(EXAMPLE, inputs / "long-name.xlsx", {"Paper!B2": LONG_NAME})
    edit_workbook(EXAMPLE, inputs / "plan-40.xlsx", plan_edits(40))
    report = boardpack.build([inputs], folder / "out")
    assert [p.status.value for p in report.papers] == ["built"] * 3
    assert report.pack is not None and report.pack.pdf is not None
    return folder / "out"


CM_PT = 72 / 2.54


def page_lines(pdf: Path) -> list[tuple[float, float, list[tuple[float, list[Any]]]]]:
    """Each page's width, height and lines of text top down, from poppler's word boxes: (top,
    [(x0, x1, word) left to right]); words within 2 pt of one height are one line."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    pages = []
    for page in ET.fromstring(xhtml).iterfind(".//x:page", ns):
        lines: dict[float, list[tuple[float, float, str]]] = {}
        for word in page.iterfind("x:word", ns):
            y = float(word.get("yMin", 0))
            key = next((k for k in lines if abs(k - y) <= 2), y)
            lines.setdefault(key, []).append(
                (float(word.get("xMin", 0)), float(word.get("xMax", 0)), word.text or "")
            )
        pages.append(
            (
                float(page.get("width", 0)),
                float(page.get("height", 0)),
                [(y, sorted(words)) for y, words in sorted(lines.items())],
            )
        )
    return pages


def running_lines(pdf: Path) -> list[tuple[list[str], list[tuple[float, float, str]]]]:
    """Per page: the header's lines and the footer's first line's words, as (x0, x1, word).

    The header is what lies within 2 cm of the top edge (its text starts 1.2 cm down, the body
    2.5 cm), the footer what lies within 2 cm of the bottom edge (the body ends 2.2 cm up)."""
    pages = []
    for _, height, lines in page_lines(pdf):
        header = [" ".join(w for _, _, w in words) for y, words in lines if y < 2.0 * CM_PT]
        footer = [words for y, words in lines if y > height - 2.0 * CM_PT]
        pages.append((header, footer[0] if footer else []))
    return pages


def assert_page_numbers_at_the_right(pdf: Path, first: int = 1) -> None:
    """On every page from `first`, the footer's first line ends "Page N of M", with N the page's
    number, in the right half of the page and ending at the right margin."""
    pages = running_lines(pdf)
    width = page_lines(pdf)[0][0]
    for number, (_, footer) in enumerate(pages, start=1):
        if number < first:
            continue
        text = " ".join(w for _, _, w in footer)
        assert text.endswith(f"Page {number} of {len(pages)}"), (number, text)
        page_word = footer[-4]
        assert page_word[2] == "Page" and page_word[0] > width / 2, (number, text)
        right_margin = width - 2.5 * CM_PT
        assert abs(footer[-1][1] - right_margin) < 3, (number, footer[-1], right_margin)


@needs_tools
@pytest.mark.libreoffice
def test_a_200_character_name_keeps_page_x_of_y_on_the_footers_first_line(built: Path) -> None:
    assert_page_numbers_at_the_right(built / "long-name.pdf")
    assert_page_numbers_at_the_right(built / "procurement.pdf")


@needs_tools
@pytest.mark.libreoffice
def test_a_200_character_name_takes_no_more_header_lines_than_the_example(built: Path) -> None:
    example = {len(header) for header, _ in running_lines(built / "procurement.pdf")}
    assert example == {1}
    long = running_lines(built / "long-name.pdf")
    assert all(len(header) <= 1 for header, _ in long), long
    header = long[0][0][0]
    assert header.startswith("Pathfinder shared procurement") and "… highlight report" in header
    assert header.endswith("Joint Improvement Board, 24 January 2008")
    # The full name is on the title.
    text = subprocess.run(
        ["pdftotext", str(built / "long-name.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "2008 to 9: Highlight Report" in text
    assert " ".join(LONG_NAME.split()) in " ".join(text.split())


@needs_tools
@pytest.mark.libreoffice
def test_every_page_of_the_pack_numbers_itself_on_the_footers_first_line(built: Path) -> None:
    pack = built / "board-pack.pdf"
    assert_page_numbers_at_the_right(pack, first=2)  # the cover has no footer
    assert all(len(header) <= 1 for header, _ in running_lines(pack))


def test_running_heads_shorten_long_names_at_a_word_and_keep_short_ones() -> None:
    paper = load_paper(EXAMPLE).paper
    assert running_heads(paper) == {
        "header_project": "Procurement",
        "header_board": "Joint Improvement Board",
    }
    long = paper.model_copy(
        update={"details": paper.details.model_copy(update={"project": LONG_NAME})}
    )
    context = build_context(long)
    assert context["project"] == LONG_NAME  # the title keeps it whole
    short = context["header_project"]
    assert short.endswith("…") and LONG_NAME.startswith(short[:-1])
    assert LONG_NAME[len(short) - 1] in " ,"  # cut between words
    assert 20 < len(short) < 60


def test_a_long_board_name_is_shortened_in_the_header_and_the_packs_footer() -> None:
    paper = load_paper(EXAMPLE).paper
    board = "Joint Improvement Board of the " + "Buckinghamshire and Oxfordshire " * 6
    long = paper.model_copy(
        update={"details": paper.details.model_copy(update={"board": board[:200]})}
    )
    heads = running_heads(long)
    assert heads["header_board"].endswith("…")
    assert board.startswith(heads["header_board"][:-1])
    assert heads["header_project"] == "Procurement"
    pack = pack_running_heads(board[:200], dt.date(2008, 1, 24))
    assert pack["header_board"].endswith("…") and len(pack["header_board"]) < 100


def test_a_template_made_for_a_single_chart_says_how_to_loop_over_the_parts(
    tmp_path: Path,
) -> None:
    old = docx.Document(str(TEMPLATE))
    old.add_paragraph("{{ gantt }}")
    path = tmp_path / "old.docx"
    old.save(str(path))
    code, output = _cli("check-template", str(path))
    assert code == 1
    assert "the tag {{ gantt }} asks for 'gantt'" in output
    assert "{%p for chart in gantt_parts %}, {{ chart.image }}" in " ".join(output.split())


def chart_pictures(document: Any) -> list[tuple[int, bytes, str]]:
    """Each picture of a .docx in order: its height in EMU, its bytes and its alt text."""
    pictures = []
    for shape in document.inline_shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        blob = document.part.related_parts[blip.embed].blob
        pictures.append((shape.height, blob, shape._inline.docPr.get("descr")))
    return pictures


def row_labels(fig: Any) -> list[str]:
    """The texts beside a chart's rows."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "row-label"]


def assert_chart_in_parts_that_fit(path: Path, count: int, parts: int) -> None:
    """The paper's chart is drawn in `parts` pictures, each fitting the page's text area with its
    caption, together labelling every milestone, each with the month axis and key, and the
    warning says the chart is split."""
    checked = load_paper(path)
    paper = checked.paper
    assert len(paper.milestones) == count
    warnings = [str(w) for w in checked.warnings]
    assert (
        f"Plan: the plan's {count} milestones do not fit one page, so the Gantt chart is split"
        f" into {parts} parts" in " ".join(warnings)
    ), warnings
    document = docx.Document(io.BytesIO(render_paper(paper)))
    section = document.sections[0]
    text_height = section.page_height - section.top_margin - section.bottom_margin
    pictures = chart_pictures(document)
    assert len(pictures) == parts
    assert paper.profile.plan is not None
    drawn = chart_parts(paper.milestones, A4, paper.profile.plan)
    report_date = paper.details.report_date
    labels: list[str] = []
    for number, ((height, blob, alt), part) in enumerate(zip(pictures, drawn, strict=True), 1):
        assert height <= text_height - Cm(CHART_SURROUND_CM)
        assert blob == draw_gantt(part, report_date, plan=paper.milestones)
        fig = _figure(part, report_date, 16.0, paper.milestones)
        labels += row_labels(fig)
        gids = {a.get_gid() for a in fig.findobj()}
        assert {"month-label", "month-ticks", "legend-swatch", "legend-label"} <= gids
        keys = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "legend-label"]
        assert keys == ["Not started", "In progress", "Complete", "Delayed"]
        assert alt.startswith(f"Gantt chart of {count * 4 // 5} activities and {count // 5}")
        assert f"Part {number} of {parts}:" in alt
        assert "Milestone 3," not in alt  # a summary, not a list of rows
    assert sorted(label for label in labels if label.startswith("Milestone")) == sorted(
        f"Milestone {i}" for i in range(1, count + 1)
    )
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert captions == [
        f"Gantt chart: the plan at 14 January 2008, part {n} of {parts}"
        for n in range(1, parts + 1)
    ]


@needs_tools
@pytest.mark.libreoffice
def test_a_40_milestone_chart_comes_in_two_parts_that_fit_the_page(built: Path) -> None:
    source = built.parent / "in" / "plan-40.xlsx"
    assert_chart_in_parts_that_fit(source, 40, 2)
    # In the PDF, each part is a whole picture on a page of its own, with its caption.
    listing = subprocess.run(
        ["pdfimages", "-list", str(built / "plan-40.pdf")], capture_output=True, text=True
    ).stdout.splitlines()[2:]
    pages = [int(line.split()[0]) for line in listing if line.split()[2] == "image"]
    assert len(pages) == 2 and len(set(pages)) == 2
    for number, page in enumerate(pages, start=1):
        text = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(built / "plan-40.pdf"), "-"],
            capture_output=True,
            text=True,
        ).stdout
        assert f"part {number} of 2" in text


def test_a_200_milestone_chart_comes_in_parts_that_fit_the_page(tmp_path: Path) -> None:
    source = edit_workbook(EXAMPLE, tmp_path / "plan-200.xlsx", plan_edits(200))
    assert_chart_in_parts_that_fit(source, 200, 8)


def test_a_smaller_page_is_measured_and_takes_more_narrower_parts(tmp_path: Path) -> None:
    restyled = docx.Document(str(TEMPLATE))
    section = restyled.sections[0]
    section.page_width, section.page_height = Cm(14.8), Cm(21.0)  # A5
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = section.bottom_margin = Cm(2.0)
    template = tmp_path / "a5.docx"
    restyled.save(str(template))
    area = template_page_area(template)
    assert (area.width_cm, area.height_cm) == (10.8, 17.0)
    source = edit_workbook(EXAMPLE, tmp_path / "plan-40.xlsx", plan_edits(40))
    checked = load_paper(source, area)
    assert "split into 3 parts" in " ".join(str(w) for w in checked.warnings)
    document = docx.Document(io.BytesIO(render_paper(checked.paper, template)))
    pictures = chart_pictures(document)
    assert len(pictures) == 3
    for shape, (height, _, _) in zip(document.inline_shapes, pictures, strict=True):
        assert abs(shape.width - Cm(10.8)) < Cm(0.01)
        assert height <= Cm(17.0 - CHART_SURROUND_CM)


def test_an_empty_plan_is_one_small_chart_saying_so() -> None:
    paper = load_paper(EXAMPLE).paper.model_copy(update={"milestones": ()})
    document = docx.Document(io.BytesIO(render_paper(paper)))
    ((height, _, alt),) = chart_pictures(document)
    assert height < Cm(2)
    assert alt == "Gantt chart: the plan has no milestones. Report date 14 January 2008."


def test_the_examples_chart_is_one_part_without_a_warning() -> None:
    checked = load_paper(EXAMPLE)
    assert not any("split" in w.message for w in checked.warnings)
    document = docx.Document(io.BytesIO(render_paper(checked.paper)))
    ((_, blob, alt),) = chart_pictures(document)
    paper = checked.paper
    assert blob == draw_gantt(paper.milestones, paper.details.report_date)
    assert "Part" not in alt
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert captions == ["Gantt chart: the plan at 14 January 2008"]


# -- contrast and colour ----------------------------------------------------------------------

TEMPLATE = ROOT / "templates" / "highlight-report.docx"


def test_the_bundled_templates_colours_pass() -> None:
    assert check_template(TEMPLATE) == []
    assert check_template(ROOT / "templates" / "board-pack.docx", pack=True) == []


def test_a_pale_grey_style_is_warned_of_naming_it_the_colours_and_the_ratio(
    tmp_path: Path,
) -> None:
    restyled = docx.Document(str(TEMPLATE))
    restyled.styles["Caption"].font.color.rgb = RGBColor(0xAA, 0xAA, 0xAA)
    path = tmp_path / "pale.docx"
    restyled.save(str(path))
    code, output = _cli("check-template", str(path))
    assert code == 0
    assert (
        "warning: pale.docx: style 'Caption': text #AAAAAA on #FFFFFF has a contrast of 2.32:1,"
        " below the 4.5:1 that WCAG 2.x asks of text" in output
    ), output


def test_direct_colours_and_boardpacks_fills_are_checked_against_the_restyled_text(
    tmp_path: Path,
) -> None:
    restyled = docx.Document(str(TEMPLATE))
    # White table text: the LxI bands boardpack shades the register's cells with fail.
    restyled.styles["Table Text"].font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    run = restyled.add_paragraph().add_run("Draft")
    run.font.color.rgb = RGBColor(0xFF, 0xEE, 0x88)
    path = tmp_path / "white.docx"
    restyled.save(str(path))
    warnings = [str(w) for w in check_template(path)]
    assert any(
        "a shaded cell in style 'Table Text': text #FFFFFF on #B7DDB0" in w for w in warnings
    ), warnings
    assert any("text 'Draft' in style 'Normal': text #FFEE88 on #FFFFFF" in w for w in warnings)


def test_status_and_bands_carry_words_not_only_colour(tmp_path: Path) -> None:
    paper = load_paper(EXAMPLE).paper
    document = docx.Document(io.BytesIO(render_paper(paper)))
    status = next(r for p in document.paragraphs for r in p.runs if r.text == "Green")
    assert status.font.color.rgb == RGBColor(0x00, 0x70, 0x3C)
    register = document.tables[-1]
    assert [row.cells[3].text for row in register.rows[2:]] == ["4", "8", "9", "8"]
    key = [p.text for p in document.paragraphs if p.text.startswith("LxI key")]
    assert key == ["LxI key: 1-4 low (green); 5-8 medium (amber); 9-16 high (red)."]
    # A restyled register that keeps the shading but drops the score is warned of.
    restyled = docx.Document(str(ROOT / "tests" / "fixtures" / "fixed-shape-template.docx"))
    for cell in (c for row in restyled.tables[-1].rows for c in row.cells):
        if "risk.lxi" in cell.text:
            cell.paragraphs[0].runs[0].text = "{% cellbg risk.band_colour %}"
            for extra in cell.paragraphs[0].runs[1:]:
                extra.text = ""
    path = tmp_path / "colour-only.docx"
    restyled.save(str(path))
    warnings = [str(w) for w in check_template(path)]
    assert any("LxI bands are shown by colour alone" in w for w in warnings), warnings


def _cli(*args: str) -> tuple[int, str]:
    """The command line's exit code and output for these arguments."""
    from click.testing import CliRunner

    from boardpack.cli import main

    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# -- table columns fitted to their words ------------------------------------------------------


def _coded_paper(tmp_path: Path) -> Any:
    """A paper of a ten-column register (tests/fixtures/profiles/coded.toml)."""
    from tests.test_landscape import coded_workbook

    return load_paper(coded_workbook(tmp_path / "library.xlsx")).paper


def test_a_register_that_fits_keeps_every_short_word_whole_and_fills_the_width(
    tmp_path: Path,
) -> None:
    paper = _coded_paper(tmp_path)
    wide = PageArea(turned_width_cm=24.7)
    register = build_context(paper, wide)["register"]
    widths = [c["width_cm"] for c in register["columns"]]
    assert register["landscape"]  # ten columns: too many for 16 cm
    assert sum(widths) == pytest.approx(24.7, abs=0.01)
    by_header = dict(zip([c["header"] for c in register["columns"]], widths, strict=True))
    # "Opportunity" at 9.5 pt Arial is at most 1.8 cm wide, with the cell's margins 2.2 cm;
    # "Likelihood" in bold 1.9 cm.
    assert by_header["Type"] >= 2.2
    assert by_header["Likelihood"] >= 1.9
    # A short column is as wide as its longest word ("Amber", "Green": about 1.5 cm) and no
    # wider; the columns of sentences take the rest, by their shares (both 3: alike).
    assert by_header["Q1"] < 1.7 and by_header["Ref"] < 1.2
    assert by_header["Risk or opportunity"] == pytest.approx(by_header["Response"])
    assert by_header["Response"] > 3 * by_header["Q1"]


def test_a_template_that_cannot_turn_pages_breaks_no_word_to_fit_them(tmp_path: Path) -> None:
    paper = _coded_paper(tmp_path)
    # A4 here stands for a template without the marks: its ten columns' words need 17.4 cm.
    with pytest.raises(DoesNotFit, match=r"its 10 columns need 17\.4 cm at 9\.5 pt"):
        build_context(paper, A4)


def _fitted(sentences: list[str], short: list[str], *, date: bool, width_cm: float) -> list[float]:
    """The widths of a two-column table fitted `width_cm` wide on A4: a column of sentences,
    and one of short values (dates, with `date`), a row for each pair."""
    columns = [
        {"header": "Said", "share": 3.0, "grows": True, "whole": False, "date": False},
        {"header": "Short", "share": 1.7, "grows": False, "whole": True, "date": date},
    ]
    rows = [{"cells": [{"text": a}, {"text": b}]} for a, b in zip(sentences, short, strict=True)]
    spec = {"columns": columns, "title": "Table"}
    _fit_columns(spec, rows, PageArea(width_cm=width_cm, page_cm=(21.0, 29.7)))
    assert (spec["landscape"], spec["font_pt"]) == (False, 9.5)  # never turned, never smaller
    return [c["width_cm"] for c in spec["columns"]]


def test_a_date_is_kept_on_one_line_when_the_table_has_room_and_broken_at_spaces_when_not() -> None:
    actions = ["Recovery test in April", "Cyber insurance renewed"]
    dates = ["30 September 2025", "1 June 2025"]
    roomy = _fitted(actions, dates, date=True, width_cm=16.0)
    tight = _fitted(actions, dates, date=True, width_cm=4.5)
    # "30 September 2025" at 9.5 pt Arial is about 2.8 cm, with the cell's margins over 3 cm;
    # "September" alone under 2 cm.
    assert roomy[1] >= 3.0
    assert roomy[0] > roomy[1]  # sentences: the rest
    # On a page too narrow for whole dates, the date breaks at its spaces, not the page turning
    # or the text shrinking (_fitted checks): no word is broken either way.
    assert 2.0 < tight[1] < 3.0


def test_a_job_title_is_kept_on_one_line_only_when_the_sentences_beside_it_take_no_more() -> None:
    risk = ("the Council cannot recruit to key posts in planning and social work " * 3).strip()
    roomy = _fitted([risk], ["Chief Finance Officer"], date=False, width_cm=16.0)
    narrow = _fitted([risk], ["Chief Finance Officer"], date=False, width_cm=6.0)
    # "Chief Finance Officer" whole is about 3.8 cm at 9.5 pt with the cell's margins; its
    # longest word, "Finance" or "Officer", under 1.8 cm.
    assert roomy[1] >= 3.6
    # At 6 cm the sentence would take more lines than the title saves: the title wraps.
    assert narrow[1] < 2.0


def test_water_filling_gives_each_column_its_need_and_the_rest_by_share() -> None:
    # Shares alone would give the first column 2 cm; it needs 3, the others share the rest.
    assert _water_fill([1, 2, 5], [3, 1, 1], 16) == pytest.approx([3, 13 * 2 / 7, 13 * 5 / 7])
    assert _water_fill([1, 1], [1, 1], 10) == pytest.approx([5, 5])
    # Needs that fill the page: each column its need, never less (a word is never broken).
    assert _water_fill([1, 1], [6, 4], 10) == pytest.approx([6, 4])
