"""The example paper as a board member reads it: text in order, chart in place, risk table right."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Cm

from boardpack.errors import TemplateProblem
from boardpack.outputs.bundled import DEFAULT_TEMPLATE
from boardpack.outputs.gantt import draw_gantt
from boardpack.outputs.render import render_paper
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE, reader_items, seed_items, soffice_text


@pytest.fixture(scope="module")
def example_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("render") / "procurement.docx"
    path.write_bytes(render_paper(load_paper(EXAMPLE).paper))
    return path


@pytest.fixture(scope="module")
def document(example_docx: Path) -> Document:
    return docx.Document(str(example_docx))


def _in_order(wanted: list[str], have: list[str]) -> list[str]:
    """The wanted items not found in `have` in the same order (empty when all are)."""
    missing, position = [], 0
    for item in wanted:
        try:
            position = have.index(item, position) + 1
        except ValueError:
            missing.append(item)
    return missing


@pytest.mark.libreoffice
def test_paper_text_holds_every_seed_line_in_order(example_docx: Path) -> None:
    have = reader_items(soffice_text(example_docx), split_tabs=False)
    wanted = seed_items()
    assert len(wanted) > 60
    assert _in_order(wanted, have) == []


def test_sections_are_numbered_word_headings(document: Document) -> None:
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "Recommendation",
        "Project vision/objectives",
        "Summary Progress and key highlight report",
        "Timescales and key milestones (See Gantt Chart Attached)",
        "Deliverables/quick wins",
        "Financial update",
        "Member involvement",
        "Related projects / Work streams",
        "Communications plan",
        "Key Risks and issues",
    ]
    subheadings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert subheadings == ["Within Project", "Outside Project"]
    numbered = [p.text[:30] for p in document.paragraphs if p.style.name == "Numbered Paragraph"]
    assert len(numbered) == 7  # 2.1-2.3, 7.1, 8.1-8.3


def test_gantt_chart_sits_in_section_4_with_alt_text(document: Document) -> None:
    body = document.paragraphs
    start = next(i for i, p in enumerate(body) if p.text.startswith("Timescales"))
    end = next(i for i, p in enumerate(body) if p.text == "Deliverables/quick wins")
    with_picture = [i for i, p in enumerate(body) if p._p.findall(".//" + qn("wp:docPr"))]
    assert len(with_picture) == 1 and start < with_picture[0] < end

    shape = document.inline_shapes[0]
    alt_text = shape._inline.docPr.get("descr")
    assert "Gantt chart" in alt_text and "4" in alt_text
    assert abs(shape.width - Cm(16)) < Cm(0.1)


def test_gantt_chart_is_the_chart_of_the_plan(document: Document) -> None:
    paper = load_paper(EXAMPLE).paper
    image = document.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    blob = document.part.related_parts[image].blob
    assert blob == draw_gantt(paper.milestones, paper.details.report_date)


def test_risk_register_holds_the_seed_risks_with_bands(document: Document) -> None:
    table = document.tables[-1]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["Event", "Likelihood", "Impact", "LxI", "Action"]
    assert rows[1] == ["Which may or may not occur", "1-4", "1-4", "1-16", "To mitigate the risk"]
    assert [r[1:4] for r in rows[2:]] == [
        ["1", "4", "4"],
        ["2", "4", "8"],
        ["3", "3", "9"],
        ["2", "4", "8"],
    ]
    assert rows[2][0] == "Unwillingness of authorities to collaborate on procurement"
    fills = [row.cells[3]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) for row in table.rows[2:]]
    assert fills == ["B7DDB0", "FFD27F", "F4A6A6", "FFD27F"]  # green, amber, red, amber
    for row in table.rows[:2]:
        assert row._tr.trPr.find(qn("w:tblHeader")) is not None
    key = [p.text for p in document.paragraphs if p.text.startswith("LxI key")]
    assert key == ["LxI key: 1-4 low (green); 5-8 medium (amber); 9-16 high (red)."]


def test_paper_is_a4_with_header_footer_and_properties(document: Document) -> None:
    section = document.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.01)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.01)
    header = section.header.paragraphs[0].text
    assert "Procurement" in header and "Joint Improvement Board" in header
    assert "24 January 2008" in header
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer and "Page" in footer
    props = document.core_properties
    assert props.title == "Procurement highlight report"
    assert props.author == "Jim Burness"
    assert props.language == "en-GB"


def test_same_paper_gives_identical_bytes() -> None:
    paper = load_paper(EXAMPLE).paper
    first, second = render_paper(paper), render_paper(paper)
    assert first == second
    times = {i.date_time for i in zipfile.ZipFile(io.BytesIO(first)).infolist()}
    assert times == {(2008, 1, 14, 0, 0, 0)}


def test_source_date_epoch_sets_the_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    data = render_paper(load_paper(EXAMPLE).paper)
    times = {i.date_time for i in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    assert times == {(2023, 11, 14, 22, 13, 20)}


def test_a_template_asking_for_an_unknown_value_names_it(tmp_path: Path) -> None:
    broken = docx.Document(str(DEFAULT_TEMPLATE))
    broken.add_paragraph("Chair: {{ chair_name }}")
    path = tmp_path / "restyled.docx"
    broken.save(str(path))
    with pytest.raises(TemplateProblem, match="chair_name"):
        render_paper(load_paper(EXAMPLE).paper, path)


def test_a_broken_tag_is_reported_with_its_text(tmp_path: Path) -> None:
    broken = docx.Document(str(DEFAULT_TEMPLATE))
    broken.add_paragraph("Chair: {{ project }")
    path = tmp_path / "restyled.docx"
    broken.save(str(path))
    with pytest.raises(TemplateProblem, match="tag is broken"):
        render_paper(load_paper(EXAMPLE).paper, path)
