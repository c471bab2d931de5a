"""The paper's frame as its profile declares it: title, subtitle, running header and footer
filled from the paper's own fields, nothing invented where a field is blank or absent."""

from __future__ import annotations

import subprocess
from pathlib import Path

import docx
import openpyxl
import pytest

from boardpack.outputs.render import render_paper
from boardpack.paper.context import _ems, build_context, fill_frame, fit_line
from boardpack.paper.profile import BUNDLED, parse_profile
from boardpack.pipeline import build
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE, ROOT, edit_workbook

JIB_TOML = (BUNDLED / "jib.toml").read_text(encoding="utf-8")


def test_a_blank_field_is_left_out_with_its_separator() -> None:
    values = {"board": "", "meeting_date": "24 January 2008", "project": "Procurement"}
    assert fill_frame("{board}, {meeting_date}", values) == "24 January 2008"
    assert fill_frame("{meeting_date}, {board}", values) == "24 January 2008"
    assert fill_frame("{project} highlight report, {board}", values) == (
        "Procurement highlight report"
    )
    assert fill_frame("{board}", values) == ""
    assert fill_frame("{project} ({board})", values) == "Procurement"
    assert fill_frame("{project} ()", values) == "Procurement ()"  # typed, so kept
    assert fill_frame("PATHFINDER PROGRESS REPORT", values) == "PATHFINDER PROGRESS REPORT"
    # Only plain keys: nothing is evaluated.
    assert fill_frame("{project.__class__}", values) == "{project.__class__}"


def test_a_long_value_is_shortened_in_a_running_line_at_a_word() -> None:
    long = "Joint Improvement Board of the Buckinghamshire and Oxfordshire councils " * 3
    line = fit_line("{board}, {meeting_date}", {"board": long, "meeting_date": "1 May 2020"}, 40)
    assert line.endswith("…, 1 May 2020") and long.startswith(line.split("…")[0])
    assert 30 < _ems(line) <= 40


def _jib_paper(toml: str, edits: dict[str, object] | None = None, tmp: Path | None = None):
    profile = parse_profile(toml, "jib-changed.toml")
    source = EXAMPLE if not edits else edit_workbook(EXAMPLE, tmp / "changed.xlsx", edits)
    return load_paper(source, profile=profile).paper


def test_the_jib_paper_follows_jib_toml(tmp_path: Path) -> None:
    changed = (
        JIB_TOML.replace('title = "Financial update"', 'title = "Money matters"')
        .replace("scores = [9, 16]", 'scores = [9, 12]\n\n[[risk.bands]]\nname = "severe"'
                 '\ndescription = "purple"\ncolour = "D9B3FF"\nscores = [13, 16]')
        .replace('title = "{project}: Highlight Report"', 'title = "{project}: Progress Report"')
    )  # fmt: skip
    target = tmp_path / "changed.docx"
    target.write_bytes(render_paper(_jib_paper(changed)))
    document = docx.Document(str(target))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[5] == "Money matters" and "Financial update" not in headings
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Procurement: Progress Report"
    assert "LxI key: 1-4 low (green); 5-8 medium (amber); 9-12 high (red); 13-16 severe" in (
        "\n".join(texts)
    )


def _paper_row(label: str) -> str:
    sheet = openpyxl.load_workbook(EXAMPLE)["Paper"]
    row = next(r for r in sheet.iter_rows() if r[0].value == label)
    return f"Paper!B{row[0].row}"


def test_a_paper_without_a_board_or_meeting_prints_none(tmp_path: Path) -> None:
    optional = JIB_TOML.replace(
        'key = "board"\nlabel = "Board"', 'key = "board"\nlabel = "Board"\nrequired = false'
    ).replace(
        'key = "meeting_date"\nlabel = "Meeting date"',
        'key = "meeting_date"\nlabel = "Meeting date"\nrequired = false',
    )
    edits = {_paper_row("Board"): None, _paper_row("Meeting date"): None}
    paper = _jib_paper(optional, edits, tmp_path)
    assert paper.details.board is None and paper.details.meeting_date is None
    context = build_context(paper)
    assert context["subtitle"] == "" and context["header_right"] == ""
    assert context["footer_left"] == "Procurement highlight report, 14 January 2008"
    target = tmp_path / "no-board.docx"
    target.write_bytes(render_paper(paper))
    document = docx.Document(str(target))
    styles = [p.style.name for p in document.paragraphs[:3]]
    assert "Subtitle" not in styles
    header = document.sections[0].header.paragraphs[0].text
    assert header == "Procurement highlight report\t"
    assert "Joint Improvement Board" not in "\n".join(p.text for p in document.paragraphs)


def test_numbered_paragraphs_of_an_unnumbered_section_count_from_one(tmp_path: Path) -> None:
    unnumbered = JIB_TOML.replace(
        'title = "Project vision/objectives"',
        'title = "Project vision/objectives"\nnumbered = false',
    )
    # The Sections sheet names each section by its title, as numbers shift.
    book = openpyxl.load_workbook(EXAMPLE)
    for row in book["Sections"].iter_rows(min_row=2):
        if isinstance(row[0].value, str):
            row[0].value = row[0].value.split(". ", 1)[-1]
    source = tmp_path / "by-title.xlsx"
    book.save(source)
    paper = load_paper(source, profile=parse_profile(unnumbered, "unnumbered.toml")).paper
    sections = build_context(paper)["section_list"]
    vision = next(s for s in sections if s["key"] == "vision")
    listed = [(p["style"], p.get("number")) for p in vision["paragraphs"] if p["style"] != "bullet"]
    assert listed == [("listed", "1."), ("listed", "2."), ("listed", "3.")]
    assert [s["number"] for s in sections[:3]] == ["1", "", "2"]
    target = tmp_path / "unnumbered.docx"
    target.write_bytes(render_paper(paper))
    texts = [p.text for p in docx.Document(str(target)).paragraphs]
    assert any(t.startswith("1.\tThe procurement vision that") for t in texts)


# -- the examples ---------------------------------------------------------------------------


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def programme_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("programme")
    report = build([ROOT / "examples" / "programme" / "pathfinder.xlsx"], out)
    (paper,) = report.papers
    assert paper.pdf is not None, report
    return paper.pdf


@pytest.mark.libreoffice
def test_the_programme_example_prints_its_table_by_theme_and_nothing_it_lacks(
    programme_pdf: Path,
) -> None:
    text = _pdf_text(programme_pdf)
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    assert lines[0] == "Pathfinder Programme Sept/Oct 2009"  # the running header
    assert lines[1] == "Pathfinder Programme: Sept/Oct 2009"  # the title, with no subtitle
    assert lines[2] == "Project Status RAG"  # no heading over the table
    assert lines[-1] == "Pathfinder Programme, Sept/Oct 2009 Page 1 of 1"
    themes = [line for line in lines if line in ("Customer access", "Back office", "Place")]
    assert themes == ["Customer access", "Back office", "Place"]
    for absent in ("Board", "Meeting", "None", "Projects", " - ", "1."):
        assert absent not in text, absent


@pytest.mark.libreoffice
def test_the_theme_and_update_example_prints_its_table_and_nothing_around_it(
    tmp_path: Path,
) -> None:
    source = ROOT / "examples" / "theme-update" / "safer-communities.xlsx"
    report = build([source], tmp_path, pack=False)
    (paper,) = report.papers
    assert paper.pdf is not None, paper.error
    text = subprocess.run(
        ["pdftotext", "-layout", str(paper.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    assert lines == [
        "Safer Communities Partnership Q3 2024",  # the running header
        "Safer Communities Partnership: Q3 2024",  # the title; no subtitle, no heading
        "Theme Update",
        "Anti-social behaviour Reports down 12% on the quarter; two dispersal orders used.",
        "Domestic abuse The new refuge opened in August with twelve places.",
        "Road safety Average speed cameras installed on the A41; results in Q4.",
        "Safer Communities Partnership, Q3 2024 Page 1 of 1",
    ]


def test_a_paper_of_unnumbered_sections_asks_for_their_titles() -> None:
    from boardpack.workbook.layout import layout_for

    profile = parse_profile(
        (ROOT / "examples" / "programme" / "programme.toml").read_text(encoding="utf-8"),
        "programme.toml",
    )
    sections = next(s for s in layout_for(profile).tables if s.name == "Sections")
    hint = sections.columns[0].hint
    assert hint == "Section title, e.g. Projects" and "1-0" not in hint


def _built_pdf(source: Path, out: Path) -> Path:
    report = build([source.parent], out)  # the folder, with its boardpack.toml
    paper = next(p for p in report.papers if p.source.name == source.name)
    assert paper.pdf is not None, report
    return paper.pdf


@pytest.mark.libreoffice
def test_the_monthly_rag_example_prints_its_number_month_and_escalation_key(
    tmp_path: Path,
) -> None:
    pdf = _built_pdf(ROOT / "examples" / "monthly-rag" / "town-centre.xlsx", tmp_path)
    lines = [" ".join(line.split()) for line in _pdf_text(pdf).splitlines() if line.strip()]
    assert lines[0] == "Town Centre Regeneration Monthly RAG Report March 2024"
    assert lines[1:4] == ["Town Centre Regeneration Monthly RAG", "Report", "March 2024"]
    assert lines[4:9] == [
        "Project number TCR-014",
        "Overall RAG Amber",
        "Green: On track, no escalation",
        "Amber: At risk, escalate to the programme manager",
        "Red: Off track, escalate to the programme board",
    ]
    assert lines[-1] == "TCR-014, March 2024 Page 1 of 1"
    text = "\n".join(lines)
    for absent in ("Board", "Meeting", "Report date", "Month March", "None"):
        assert absent not in text, absent


@pytest.mark.libreoffice
def test_the_cover_example_has_the_councils_lines_and_appendices_2_and_3(tmp_path: Path) -> None:
    pdf = _built_pdf(ROOT / "examples" / "cover" / "assurance.xlsx", tmp_path)
    lines = [" ".join(line.split()) for line in _pdf_text(pdf).splitlines() if line.strip()]
    assert lines[1:5] == [
        "Anytown Borough Council",
        "Audit and Governance Committee, 20/03/2025",
        "Subject Risk and programme assurance",
        "Report of Jane Smith, Director of Resources",
    ]
    appendices = [line for line in lines if line.startswith(("Appendix 2:", "Appendix 3:"))]
    assert appendices[-2:] == [
        "Appendix 2: Corporate Risk Register: Risk Register",
        "Appendix 3: Customer Portal Replacement: Highlight Report",
    ]
    assert not any(line.startswith(("Appendix A", "Appendix B")) for line in lines)


def test_a_90_character_project_is_whole_in_the_title_and_shortened_in_the_running_lines() -> None:
    paper = load_paper(EXAMPLE).paper
    name = "Procurement and commissioning across the county, district and unitary councils of Bucks"
    assert len(name) > 85
    long = paper.model_copy(update={"details": paper.details.model_copy(update={"project": name})})
    context = build_context(long)
    assert context["title_line"] == f"{name}: Highlight Report"
    for key in ("header_left", "footer_left"):
        assert "…" in context[key] and name.startswith(context[key].split("…")[0]), key
    assert context["footer_left"].endswith("… highlight report, 14 January 2008")
    assert context["header_right"] == "Joint Improvement Board, 24 January 2008"
