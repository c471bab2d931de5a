"""Other boards' papers, built end to end from their profiles: the bundled examples, a second
shape of the seed's paper, a profile chosen in boardpack.toml, and what a profile does not know."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn

from boardpack.cli import main
from boardpack.errors import InvalidWorkbook, TemplateProblem
from boardpack.outputs.bundled import REPORT_TEMPLATE
from boardpack.outputs.render import check_template, render_paper
from boardpack.paper.models import json_schema
from boardpack.paper.profile import BUNDLED, load_profile, parse_profile
from boardpack.pipeline import build
from boardpack.workbook.validate import load_paper
from boardpack.workbook.writer import write_workbook
from tests.conftest import EXAMPLE, ROOT, edit_workbook, pdf_text
from tests.docx_audit import audit

EXAMPLES = ROOT / "examples"
CORPORATE = EXAMPLES / "corporate-risk" / "corporate-risks.xlsx"
PRINCE2 = EXAMPLES / "prince2" / "customer-portal.xlsx"


def _headings(document: docx.document.Document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name.startswith("Heading 1")]


def _table_with(document: docx.document.Document, header: str) -> docx.table.Table:
    return next(t for t in document.tables if t.rows[0].cells[0].text == header)


def _fill(cell: docx.table._Cell) -> str | None:
    shading = cell._tc.find(f"{qn('w:tcPr')}/{qn('w:shd')}")
    return None if shading is None else shading.get(qn("w:fill"))


# -- the bundled profiles' examples -----------------------------------------------------------


def test_the_corporate_register_prints_its_three_scores_banded_on_a_5_by_5_scale(
    tmp_path: Path,
) -> None:
    checked = load_paper(CORPORATE)
    assert checked.paper.profile.name == "Corporate risk register (5 x 5)"
    target = tmp_path / "corporate.docx"
    target.write_bytes(render_paper(checked.paper))
    document = docx.Document(str(target))
    assert _headings(document) == [
        "Purpose of the report",
        "Recommendation",
        "Summary of changes",
        "Risk register",
    ]
    table = _table_with(document, "Risk ID")
    assert [c.text for c in table.rows[0].cells] == [
        "Risk ID",
        "Risk",
        "Owner",
        "Inherent",
        "Controls in place",
        "Residual",
        "Trend",
        "Further actions",
        "Target",
        "Review date",
    ]
    cr01 = next(r for r in table.rows if r.cells[0].text == "CR01")
    # 5 x 5 = 25 inherent (high, red), 3 x 5 = 15 residual (high), 2 x 5 = 10 target (medium)
    assert [cr01.cells[i].text for i in (3, 5, 8)] == ["25", "15", "10"]
    assert [_fill(cr01.cells[i]) for i in (3, 5, 8)] == ["F4A6A6", "F4A6A6", "FFD27F"]
    assert cr01.cells[1].text.startswith("the Council cannot set a balanced budget")
    assert "Cause: Because demand for services grows faster than funding" in cr01.cells[1].text
    assert cr01.cells[6].text == "\u2192 Same"
    assert cr01.cells[9].text == "1 June 2025"
    cr03 = next(r for r in table.rows if r.cells[0].text == "CR03")
    assert cr03.cells[7].text == "No action recorded"
    key = [p.text for p in document.paragraphs if p.text.startswith("Score key")]
    assert key == ["Score key: 1-4 low (green); 5-12 medium (amber); 15-25 high (red)."]
    assert audit(target).clean, audit(target)


def test_the_prince2_report_prints_its_period_tolerances_and_issues(tmp_path: Path) -> None:
    checked = load_paper(PRINCE2)
    target = tmp_path / "prince2.docx"
    target.write_bytes(render_paper(checked.paper))
    document = docx.Document(str(target))
    assert _headings(document) == [
        "Status summary",
        "This reporting period",
        "Next reporting period",
        "Project and stage tolerance status",
        "Requests for change",
        "Key issues and risks",
        "Lessons report",
    ]
    text = [p.text for p in document.paragraphs]
    assert "Period covered\t1-30 September 2024" in text
    assert "Project ID\tICT-2024-017" in text
    assert "Stage status\tAmber" in text
    assert "Amber: Forecast to exceed tolerance; being managed" in text  # the status key
    tolerances = _table_with(document, "Tolerance")
    assert [r.cells[0].text for r in tolerances.rows] == [
        "Tolerance",
        "Time",
        "Cost",
        "Quality",
        "Scope",
    ]
    assert [(r.cells[3].text, _fill(r.cells[3])) for r in tolerances.rows[1:3]] == [
        ("Amber", "FFD27F"),
        ("Green", "B7DDB0"),
    ]
    issues = _table_with(document, "Ref")
    assert [c.text for c in issues.rows[1].cells][3:6] == ["1-3", "1-3", "1-9"]
    assert [r.cells[5].text for r in issues.rows[2:]] == ["6", "6", "4", "9"]  # 1-3 x 1-3
    assert [_fill(r.cells[5]) for r in issues.rows[2:]] == [
        "F4A6A6",
        "F4A6A6",
        "FFD27F",
        "F4A6A6",
    ]
    assert len(document.inline_shapes) == 1  # the Gantt chart of the next period's plan
    assert audit(target).clean, audit(target)


@pytest.mark.parametrize("example", [CORPORATE, PRINCE2], ids=["corporate", "prince2"])
@pytest.mark.libreoffice
def test_each_example_builds_to_a_pdf_that_reads_in_order(example: Path, tmp_path: Path) -> None:
    report = build([example.parent], tmp_path)
    assert report.ok, [p.error for p in report.papers]
    pdf = tmp_path / f"{example.stem}.pdf"
    text = pdf_text(pdf)
    titles = [s.title for s in load_paper(example).paper.profile.sections]
    positions = [text.find(title) for title in titles]
    assert -1 not in positions, titles
    assert positions == sorted(positions)


@pytest.mark.libreoffice
def test_the_corporate_registers_review_dates_are_each_printed_on_one_line(tmp_path: Path) -> None:
    report = build([CORPORATE], tmp_path)
    assert report.ok, [p.error for p in report.papers]
    text = pdf_text(tmp_path / "corporate-risks.pdf")
    for date in ("1 June 2025", "30 April 2025", "1 September 2025"):  # the Review date column
        assert date in text


# -- the seed's paper in another shape ---------------------------------------------------------


EIGHT_SECTIONS = (
    (BUNDLED / "jib.toml")
    .read_text(encoding="utf-8")
    .replace('template = "highlight-report.docx"\n', "")
    .replace('[[sections]]\nkey = "members"\ntitle = "Member involvement"\n\n', "")
    .replace('[[sections]]\nkey = "related"\ntitle = "Related projects / Work streams"\n\n', "")
    .replace('label = "Very likely" },\n', 'label = "Very likely" },\n{ value = "5" },\n')
    .replace('label = "Severe" },\n', 'label = "Severe" },\n{ value = "5" },\n')
    .replace(
        "scores = [9, 16]",
        'scores = [9, 14]\n\n[[risk.bands]]\nname = "extreme"'
        '\ndescription = "purple"\ncolour = "D9B3FF"\nscores = [15, 25]',
    )
    .replace('descriptor = "1-16"', 'descriptor = "1-25"')
)


def test_the_seed_paper_under_an_eight_section_five_point_shape(tmp_path: Path) -> None:
    profile = parse_profile(EIGHT_SECTIONS, "eight.toml")
    assert len(profile.sections) == 8
    # The example with its sections 9 and 10 renumbered 7 and 8, and a risk at 5 x 5.
    book = edit_workbook(EXAMPLE, tmp_path / "eight.xlsx", {})
    import openpyxl

    workbook = openpyxl.load_workbook(book)
    sections = workbook["Sections"]
    for row in sections.iter_rows(min_row=2):
        number = str(row[0].value or "").split(".")[0]
        if number in ("7", "8"):
            for cell in row:
                cell.value = None
        elif number in ("9", "10"):
            row[0].value = int(number) - 2
    risks = workbook["Risks"]
    risks["B2"], risks["C2"], risks["D2"] = 5, 5, None
    workbook.save(book)

    checked = load_paper(book, profile=profile)
    target = tmp_path / "eight.docx"
    target.write_bytes(render_paper(checked.paper, REPORT_TEMPLATE))
    document = docx.Document(str(target))
    assert _headings(document) == [
        "Recommendation",
        "Project vision/objectives",
        "Summary Progress and key highlight report",
        "Timescales and key milestones (See Gantt Chart Attached)",
        "Deliverables/quick wins",
        "Financial update",
        "Communications plan",
        "Key Risks and issues",
    ]
    register = _table_with(document, "Event")
    assert [c.text for c in register.rows[1].cells][1:4] == ["1-5", "1-5", "1-25"]
    first = register.rows[2]
    assert [c.text for c in first.cells][1:4] == ["5", "5", "25"]
    assert _fill(first.cells[3]) == "D9B3FF"  # the fourth band
    key = [p.text for p in document.paragraphs if p.text.startswith("LxI key")]
    assert key == [
        "LxI key: 1-4 low (green); 5-8 medium (amber); 9-14 high (red); 15-25 extreme (purple)."
    ]
    assert audit(target).clean, audit(target)


def test_the_seed_paper_through_the_template_for_any_profile_says_what_the_seed_says(
    tmp_path: Path,
) -> None:
    paper = load_paper(EXAMPLE).paper
    ours = docx.Document(_written(tmp_path / "report.docx", render_paper(paper, REPORT_TEMPLATE)))
    seeds = docx.Document(_written(tmp_path / "seed.docx", render_paper(paper)))
    assert _headings(ours) == _headings(seeds)
    assert [p.text for p in ours.paragraphs if p.text] == [
        p.text for p in seeds.paragraphs if p.text
    ]
    assert [[c.text for c in r.cells] for r in ours.tables[-1].rows] == [
        [c.text for c in r.cells] for r in seeds.tables[-1].rows
    ]


def _written(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


# -- choosing a profile -------------------------------------------------------------------------


def test_boardpack_toml_chooses_the_profile_for_check_and_build(tmp_path: Path) -> None:
    folder = tmp_path / "inputs"
    folder.mkdir()
    details = {
        "Register": "Corporate Risk Register",
        "Report of": "Jane Smith, Director of Resources",
        "Committee": "Audit and Governance Committee",
        "Meeting date": dt.date(2099, 3, 20),
        "Report date": dt.date(2099, 3, 3),
    }
    sections = [("1", "Paragraph", "To report the risks."), ("2", "Paragraph", "To note.")]
    risks = [("CR01", "Financial", None, "A risk", None, "Owner", 4, 4, None, None, 2, 2)]
    profile = load_profile("corporate-risk")
    write_workbook(folder / "risks.xlsx", details, {"Sections": sections, "Risks": risks}, profile)
    # Without the setting the workbook reads as the default profile's, and is refused.
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 1
    assert "no row labelled 'Project sponsor'" in result.output
    (folder / "boardpack.toml").write_text('profile = "corporate-risk"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    assert "risks.xlsx: OK" in result.output
    report = build([folder], tmp_path / "out", pdf=False)
    assert report.ok
    document = docx.Document(str(tmp_path / "out" / "risks.docx"))
    row = _table_with(document, "Risk ID").rows[2]
    assert (row.cells[0].text, row.cells[3].text, row.cells[5].text) == ("CR01", "16", "4")


def test_a_workbooks_profile_row_that_names_no_profile_is_an_error_at_its_cell(
    tmp_path: Path,
) -> None:
    book = tmp_path / "paper.xlsx"
    write_workbook(book, profile_name="no-such-board")
    with pytest.raises(InvalidWorkbook) as caught:
        load_paper(book)
    (problem,) = caught.value.problems  # nothing more is read of a workbook of unknown shape
    assert str(problem) == (
        "Paper!B2: names the profile 'no-such-board', which cannot be used: no such profile;"
        " use a bundled one (committee-report, corporate-risk, jib, prince2) or the path of a"
        " .toml file"
    )


# -- nothing dropped silently -------------------------------------------------------------------


def test_rows_columns_and_sheets_the_profile_does_not_know_are_warnings_at_their_cells(
    tmp_path: Path,
) -> None:
    import openpyxl

    book = edit_workbook(
        EXAMPLE,
        tmp_path / "extra.xlsx",
        {"Paper!A10": "Project code", "Paper!B10": "P-17", "Risks!G1": "Trend", "Risks!G2": "Up"},
    )
    workbook = openpyxl.load_workbook(book)
    workbook.create_sheet("Issues")["A1"] = "An issue"
    workbook.save(book)
    warnings = [str(w) for w in load_paper(book).warnings]
    assert any(
        w.startswith("Paper!A10: 'Project code' is not a field of the profile 'JIB highlight")
        for w in warnings
    ), warnings
    assert any(
        w.startswith("Risks!G1: column 'Trend' is not a column of this sheet") for w in warnings
    ), warnings
    assert any(
        w.startswith("Issues: the sheet is not part of a paper of the profile") for w in warnings
    ), warnings


def test_a_field_the_profile_does_not_use_is_not_demanded(tmp_path: Path) -> None:
    book = tmp_path / "portal.xlsx"
    edit_workbook(PRINCE2, book, {"Paper!B4": None})  # the optional Project ID, blank
    paper = load_paper(book).paper
    assert paper.details.value("project_id") is None
    assert paper.details.value("sponsor") is None  # PRINCE2 has no sponsor, and none is asked


# -- templates tied to profiles -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["jib", "prince2", "corporate-risk"])
def test_each_profiles_template_prints_every_section_with_no_warning(name: str) -> None:
    from boardpack.outputs.render import template_for

    profile = load_profile(name)
    assert check_template(template_for(profile), profile=profile) == []
    assert check_template(REPORT_TEMPLATE, profile=profile) == []


# The seed's template of an earlier release, which typed the JIB's sections and fields.
FIXED_SHAPE = ROOT / "tests" / "fixtures" / "fixed-shape-template.docx"


def test_a_template_typing_one_profiles_shape_names_the_sections_it_leaves_out() -> None:
    DEFAULT_TEMPLATE = FIXED_SHAPE

    # The seed's template asks for the sponsor, which a PRINCE2 report does not have ...
    with pytest.raises(TemplateProblem, match=r"the tag \{\{ sponsor \}\} asks for 'sponsor'"):
        check_template(DEFAULT_TEMPLATE, profile=load_profile("prince2"))
    # ... and it prints only the seed's ten sections: an eleventh would be dropped.
    eleven = parse_profile(
        (BUNDLED / "jib.toml")
        .read_text(encoding="utf-8")
        .replace(
            '[[sections]]\nkey = "risks"',
            '[[sections]]\nkey = "exceptions"\ntitle = "Exceptions"\n\n[[sections]]\nkey = "risks"',
        ),
        "eleven.toml",
    )
    warnings = [str(w) for w in check_template(DEFAULT_TEMPLATE, profile=eleven)]
    assert warnings == [
        "fixed-shape-template.docx: the profile's section 'Exceptions' is not printed by this"
        " template; its text would be left out of every paper. Use a template that loops over"
        " section_list (the bundled report.docx), or add the section"
    ]


def test_new_writes_the_profiles_workbook_and_schema_follows_the_profile(tmp_path: Path) -> None:
    target = tmp_path / "register.xlsx"
    result = CliRunner().invoke(main, ["new", "--profile", "corporate-risk", str(target)])
    assert result.exit_code == 0, result.output
    import openpyxl

    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["Help", "Paper", "Sections", "Risks"]
    headers = [c.value for c in workbook["Risks"][1]]
    assert headers[:3] == ["Risk ID", "Category", "Cause"]
    assert "Residual likelihood" in headers
    rules = {str(v.sqref): v for v in workbook["Risks"].data_validations.dataValidation}
    likelihood = rules[
        f"{chr(ord('A') + headers.index('Residual likelihood'))}2:"
        f"{chr(ord('A') + headers.index('Residual likelihood'))}500"
    ]
    assert likelihood.formula1 == '"1,2,3,4,5"'
    assert likelihood.showErrorMessage
    schema = json_schema(load_profile("corporate-risk"))
    risk = next(v for k, v in schema["$defs"].items() if k.startswith("Risk"))
    assert {"risk_id", "inherent_l", "residual", "review"} <= set(risk["properties"])


def test_a_section_the_profile_does_not_have_names_the_tag_asking_for_it(tmp_path: Path) -> None:
    import zipfile

    DEFAULT_TEMPLATE = FIXED_SHAPE

    bad = tmp_path / "eleven.docx"
    with zipfile.ZipFile(DEFAULT_TEMPLATE) as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"sections[10]", b"sections[11]")
            target.writestr(item, data)
    with pytest.raises(TemplateProblem) as caught:
        check_template(bad)
    assert str(caught.value).startswith(
        "eleven.docx: the tag {% for para in sections[11] %} asks for item 11, which boardpack"
        " does not supply (a paper of this profile has sections 1 to 10)."
    )


# -- composite papers ---------------------------------------------------------------------------

COMMITTEE = EXAMPLES / "committee"


@pytest.mark.libreoffice
def test_a_cover_report_and_its_appendix_are_built_as_one_paper(tmp_path: Path) -> None:
    report = build([COMMITTEE], tmp_path)
    assert report.ok, [(p.name, p.error) for p in report.papers]
    assert [p.name for p in report.papers] == ["risk-management-update"]
    assert sorted(f.name for f in tmp_path.iterdir() if f.is_file()) == [
        "board-pack.docx",
        "board-pack.pdf",
        "risk-management-update.docx",
        "risk-management-update.pdf",
    ]
    document = docx.Document(str(tmp_path / "risk-management-update.docx"))
    headings = [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")
    ]
    cover = [text for style, text in headings if style == "Heading 1"]
    assert cover == [
        "Purpose of the report",
        "Recommendations",
        "Background",
        "Financial implications",
        "Legal implications",
        "Risk implications",
        "Background papers",
        "Appendix A: Corporate Risk Register: Risk Register",
    ]
    after = headings[[t for _, t in headings].index(cover[-1]) + 1 :]
    assert [t for s, t in after if s == "Heading 2"] == [
        "Purpose of the report",
        "Recommendation",
        "Summary of changes",
        "Risk register",
    ]
    title = next(p for p in document.paragraphs if p.text.startswith("Appendix A"))
    assert title.paragraph_format.page_break_before  # the appendix starts on a new page
    register = _table_with(document, "Risk ID")
    assert [r.cells[0].text for r in register.rows[2:]] == [
        "CR01", "CR02", "CR03", "CR04", "CR05", "CR06"
    ]  # fmt: skip
    assert audit(tmp_path / "risk-management-update.docx").clean
    text = pdf_text(tmp_path / "risk-management-update.pdf")
    assert text.find("Background papers") < text.find("Appendix A: Corporate Risk Register")
    assert text.find("Appendix A") < text.find("CR06")


def test_an_appendix_with_no_workbook_or_an_invalid_one_fails_its_cover(tmp_path: Path) -> None:
    folder = tmp_path / "committee"
    shutil.copytree(COMMITTEE, folder)
    settings = folder / "boardpack.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace('["corporate-risks"]', '["risks"]'),
        encoding="utf-8",
    )
    report = build([folder], tmp_path / "out", pdf=False)
    cover = next(p for p in report.papers if p.name == "risk-management-update")
    assert cover.status.value == "failed"
    assert "gives it the appendix 'risks', but there is no risks.xlsx" in str(cover.error)
    settings.write_text(
        settings.read_text(encoding="utf-8").replace('["risks"]', '["corporate-risks"]'),
        encoding="utf-8",
    )
    edit_workbook(folder / "corporate-risks.xlsx", folder / "corporate-risks.xlsx", {"Risks!G2": 9})
    report = build([folder], tmp_path / "out2", pdf=False)
    (cover,) = report.papers
    assert cover.status.value == "invalid"
    assert str(cover.error).startswith(
        "corporate-risks.xlsx (appendix A of risk-management-update.xlsx): 1 problem"
    )
    assert "Risks!G2: inherent likelihood must be a whole number from 1 to 5 (got 9)" in str(
        cover.error
    )


@pytest.mark.libreoffice
def test_a_changed_appendix_makes_its_cover_stale_and_unarchivable(tmp_path: Path) -> None:
    from boardpack.meeting.archive import archive_papers
    from boardpack.meeting.status import built_papers

    folder = tmp_path / "committee"
    shutil.copytree(COMMITTEE, folder)
    assert build([folder], tmp_path / "out").ok
    (cover,) = built_papers(tmp_path / "out")
    assert cover.faults == ()
    edit_workbook(folder / "corporate-risks.xlsx", folder / "corporate-risks.xlsx", {"Risks!G2": 4})
    (cover,) = built_papers(tmp_path / "out")
    assert cover.faults == ("its appendix corporate-risks.xlsx has changed since the build",)
    filed = archive_papers(tmp_path / "out", tmp_path / "archive")
    refused = next(p for p in filed.papers if p.name == "risk-management-update")
    assert "its appendix corporate-risks.xlsx has changed since the build" in str(refused)


def test_the_packs_person_columns_are_the_fields_each_profile_names(tmp_path: Path) -> None:
    folder = tmp_path / "prince2"
    shutil.copytree(EXAMPLES / "prince2", folder)
    report = build([folder], tmp_path / "out", pdf=False, pack=True)
    assert report.ok
    summary = next(
        t
        for t in docx.Document(str(tmp_path / "out" / "board-pack.docx")).tables
        if t.rows[0].cells[0].text == "Project"
    )
    row = [c.text for c in summary.rows[1].cells]
    assert row[:4] == [
        "Customer Portal Replacement",
        "Tom Adeyemi, Director of Customer Services",  # the executive, as the profile says
        "Priya Shah",
        "Amber",
    ]


# -- a programme's table of projects ----------------------------------------------------------

PROGRAMME = ROOT / "tests" / "fixtures" / "profiles" / "programme.toml"


@pytest.mark.libreoffice
def test_a_programmes_projects_print_grouped_by_theme_with_each_rag_shaded(
    tmp_path: Path,
) -> None:
    profile = load_profile(str(PROGRAMME))
    details = {
        "Programme": "Adult Social Care Transformation",
        "Senior responsible owner": "Jane Smith, Director of Adult Services",
        "Board": "Adult Services Transformation Board",
        "Meeting date": dt.date(2026, 12, 10),
        "Report date": dt.date(2026, 11, 30),
        "Period": "November 2026",
    }
    projects = [
        ["Prevention", "Digital front door", "Go live", "", "Green", "Green", dt.date(2027, 2, 1)],
        ["Prevention", "Community hubs", "Three hubs open", "Agency staff", "Amber", "Green", None],
        ["Reablement", "Home first", "Pilot evaluated", "Recovery plan", "Red", "Amber", None],
    ]
    tables = {
        "Sections": [[1, None, "To update the board on each project."]],
        "Projects": projects,
        "Themes": [["Workforce", "Vacancy rate down to 9%."]],
    }
    workbook = tmp_path / "programme.xlsx"
    shutil.copy(PROGRAMME, tmp_path / "programme.toml")  # a workbook names files beside it
    write_workbook(workbook, details, tables, profile, profile_name="programme.toml")
    report = build([workbook], tmp_path / "out")
    assert report.ok, [(p.name, p.error) for p in report.papers]
    document = docx.Document(str(tmp_path / "out" / "programme.docx"))
    table = _table_with(document, "Project")
    rows = [[c.text for c in row.cells] for row in table.rows]
    # A group row spans the table (python-docx repeats a merged cell's text across it).
    assert rows == [
        ["Project", "Key milestones", "Corrective action", "RAG", "Q1", "Due"],
        ["Prevention"] * 6,
        ["Digital front door", "Go live", "", "Green", "Green", "1 February 2027"],
        ["Community hubs", "Three hubs open", "Agency staff", "Amber", "Green", ""],
        ["Reablement"] * 6,
        ["Home first", "Pilot evaluated", "Recovery plan", "Red", "Amber", ""],
    ]
    assert len(table.rows[1]._tr.findall(qn("w:tc"))) == 1
    green, amber, red = "B7DDB0", "FFD27F", "F4A6A6"
    assert [_fill(c) for c in table.rows[3].cells[3:5]] == [amber, green]  # RAG and Q1
    assert [_fill(c) for c in table.rows[5].cells[3:5]] == [red, amber]
    assert _table_with(document, "Theme").rows[1].cells[1].text == "Vacancy rate down to 9%."
    assert audit(tmp_path / "out" / "programme.docx").clean
    text = pdf_text(tmp_path / "out" / "programme.pdf")
    order = ["Prevention", "Digital front door", "Community hubs", "Reablement", "Home first"]
    assert [text.find(t) for t in order] == sorted(text.find(t) for t in order)
    assert -1 not in [text.find(t) for t in order]


def test_new_names_a_profile_file_from_the_workbooks_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Made from one folder into another, the workbook still finds its profile when checked,
    # and says where it looked once the two are parted.
    (tmp_path / "profiles").mkdir()
    shutil.copy(PROGRAMME, tmp_path / "profiles" / "programme.toml")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    made = runner.invoke(main, ["new", "--profile", "profiles/programme.toml", "papers/p.xlsx"])
    assert made.exit_code == 0, made.output
    book = openpyxl.load_workbook(tmp_path / "papers" / "p.xlsx")
    assert book["Paper"]["B2"].value == "../profiles/programme.toml"
    # A workbook reads no file outside its folder unless the user names a shared folder.
    assert "Warning: profiles/programme.toml is outside papers" in made.output
    assert f"set BOARDPACK_SHARED={tmp_path / 'profiles'}" in made.output
    refused = runner.invoke(main, ["check", "papers/p.xlsx"])
    assert "profile = '../profiles/programme.toml' leads outside papers" in refused.output
    monkeypatch.setenv("BOARDPACK_SHARED", str(tmp_path / "profiles"))
    checked = runner.invoke(main, ["check", "papers/p.xlsx"])
    assert "Paper!B3: programme is required" in checked.output  # read with its profile
    shutil.move(tmp_path / "papers" / "p.xlsx", tmp_path / "p.xlsx")
    moved = runner.invoke(main, ["check", "p.xlsx"])
    assert moved.exit_code == 1
    assert "Paper!B2: names the profile '../profiles/programme.toml'" in moved.output
    assert f"(to {tmp_path.parent / 'profiles' / 'programme.toml'})" in moved.output
