"""A meeting's folder built at once: good papers built, bad ones listed, and the combined pack."""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import docx
import mammoth
import pytest
from click.testing import CliRunner
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.styles.style import BaseStyle
from pypdf import PdfReader

from boardpack.cli import main
from boardpack.outputs.pdf import verify_pdf
from boardpack.outputs.render import PACK_TEMPLATE
from boardpack.pipeline import build
from tests.conftest import EXAMPLE, edit_workbook
from tests.docx_audit import audit

SETTINGS = """\
board = "Joint Improvement Board"
meeting_date = 2008-01-24
venue = "Council Chamber, County Hall, Aylesbury"
agenda = ["housing", "procurement"]
"""


@dataclass
class FolderBuild:
    inputs: Path
    out: Path
    exit_code: int
    output: str


@pytest.fixture(scope="module")
def meeting(tmp_path_factory: pytest.TempPathFactory) -> FolderBuild:
    inputs = tmp_path_factory.mktemp("inputs")
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {})
    edit_workbook(
        EXAMPLE,
        inputs / "housing.xlsx",
        {"Paper!B2": "Housing & Regeneration", "Paper!B8": "Amber", "Risks!B2": 4, "Risks!D2": 16},
    )
    edit_workbook(EXAMPLE, inputs / "broken.xlsx", {"Risks!B2": 7})
    (inputs / "~$housing.xlsx").write_bytes(b"Excel's lock file, not a workbook")
    (inputs / "boardpack.toml").write_text(SETTINGS, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["build", str(inputs), "--out", str(out)])
    return FolderBuild(inputs, out, result.exit_code, result.output)


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def test_folder_builds_good_papers_and_lists_the_bad_one(meeting: FolderBuild) -> None:
    assert meeting.exit_code == 1
    assert sorted(p.name for p in meeting.out.iterdir() if not p.name.startswith(".")) == [
        "board-pack.docx",
        "board-pack.pdf",
        "housing.docx",
        "housing.pdf",
        "procurement.docx",
        "procurement.pdf",
    ]
    assert "broken.xlsx: 1 problem" in meeting.output
    assert "Risks!B2: likelihood must be a whole number from 1 to 4 (got 7)" in meeting.output
    # Excel's lock file is no paper: it is named only in the warning that housing is open
    flat = " ".join(meeting.output.split())
    assert flat.count("~$housing") == flat.count("is open in Excel (~$housing.xlsx is beside") == 1
    assert "pack of 2" in meeting.output


def test_pack_contents_pages_match_where_papers_start(meeting: FolderBuild) -> None:
    pages = page_texts(meeting.out / "board-pack.pdf")
    contents = pages[1]
    listed = re.findall(r"^(\d+)\. (.+?)\.{3,}(\d+)$", contents, re.MULTILINE)
    assert [(n, title) for n, title, _ in listed] == [
        ("1", "Housing & Regeneration"),
        ("2", "Procurement"),
    ]
    for _, title, page in listed:
        assert pages[int(page) - 1].lstrip().startswith(f"{title}: Highlight Report")
    summary_line = re.search(r"Programme summary\.{3,}(\d+)", contents)
    assert summary_line and pages[int(summary_line.group(1)) - 1].startswith("Programme summary")


def test_pack_page_numbers_run_through_and_papers_restart_sections(meeting: FolderBuild) -> None:
    pages = page_texts(meeting.out / "board-pack.pdf")
    total = len(pages)
    assert total == verify_pdf(meeting.out / "board-pack.pdf")
    for number, page in enumerate(pages[1:], start=2):  # the cover has no footer
        assert f"Page {number} of {total}" in page
    recommendations = [p for p in pages if "1. Recommendation" in p]
    assert len(recommendations) == 2
    assert not any("11. Recommendation" in p for p in pages)


def test_pack_bookmarks_one_per_paper_with_sections_under_it(meeting: FolderBuild) -> None:
    reader = PdfReader(meeting.out / "board-pack.pdf")
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == [
        "Contents",
        "Programme summary",
        "Housing & Regeneration: Highlight Report",
        "Procurement: Highlight Report",
    ]
    children = [item for item in reader.outline if isinstance(item, list)]
    assert len(children) == 2
    for sections in children:
        titles = [s.title for s in sections if not isinstance(s, list)]
        assert titles[0] == "1. Recommendation" and titles[-1] == "10. Key Risks and issues"


def test_pack_summary_has_a_row_per_paper_with_status_and_highest_risk(
    meeting: FolderBuild,
) -> None:
    pack = docx.Document(str(meeting.out / "board-pack.docx"))
    summary = pack.tables[0]
    rows = [[c.text for c in row.cells] for row in summary.rows]
    assert rows[0] == [
        "Project", "Sponsor", "Manager", "Status", "Highest risk", "Next milestone", "Due",
    ]  # fmt: skip
    assert [(r[0], r[3], r[4]) for r in rows[1:]] == [
        ("Housing & Regeneration", "Amber", "16"),
        ("Procurement", "Green", "9"),
    ]
    assert rows[1][5:] == ["2008/09 priorities agreed", "31/03/2008"]
    fills = [row.cells[3]._tc.tcPr.xpath("./w:shd/@w:fill")[0] for row in summary.rows[1:]]
    assert fills == ["FFD27F", "B7DDB0"]  # amber, green


def test_pack_docx_contents_carry_the_real_start_pages(meeting: FolderBuild) -> None:
    pack = docx.Document(str(meeting.out / "board-pack.docx"))
    entries = [p.text for p in pack.paragraphs if p.style.name == "Contents Entry"]
    pages = page_texts(meeting.out / "board-pack.pdf")
    starts = [
        str(i + 1) for i, page in enumerate(pages) if "Highlight Report" in page.split("\n")[0]
    ]
    assert [e.rsplit("\t", 1)[1] for e in entries[1:]] == starts


def build_folder_without_pdf(tmp_path: Path, settings: str) -> tuple[int, str]:
    """Build a folder holding the example and the given boardpack.toml into tmp_path/o."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {})
    (inputs / "boardpack.toml").write_text(settings, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", str(inputs), "--out", str(tmp_path / "o"), "--no-pdf"]
    )
    return result.exit_code, result.output


def test_a_paper_named_in_the_agenda_but_missing_is_an_error(tmp_path: Path) -> None:
    code, output = build_folder_without_pdf(tmp_path, 'agenda = ["procurement", "waste"]\n')
    assert code == 1
    assert "the agenda lists 'waste', but no paper of that name was built" in output
    assert (tmp_path / "o" / "board-pack.docx").exists()


def test_settings_with_an_unknown_key_are_an_error(tmp_path: Path) -> None:
    code, output = build_folder_without_pdf(tmp_path, 'chair = "Cllr Smith"\n')
    assert code == 1
    assert "unknown setting 'chair'" in output


def test_a_workbook_cannot_take_the_packs_name(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {})
    edit_workbook(EXAMPLE, inputs / "Board-Pack.xlsx", {})
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["build", str(inputs), "--out", str(out), "--no-pdf"])
    assert result.exit_code == 1
    assert "board-pack is the name of the meeting's combined pack; rename the workbook" in (
        " ".join(result.output.split())
    )
    assert docx.Document(str(out / "board-pack.docx")).tables[0].rows[1].cells[0].text == (
        "Procurement"
    )


def test_a_paper_that_fails_to_render_is_left_out_of_the_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boardpack.pipeline as pipeline
    from boardpack.errors import TemplateProblem

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    edit_workbook(EXAMPLE, inputs / "a.xlsx", {"Paper!B2": "Alpha"})
    edit_workbook(EXAMPLE, inputs / "b.xlsx", {"Paper!B2": "Beta"})
    real_render = pipeline.render_paper

    def render_all_but_alpha(paper, template, history=None):  # type: ignore[no-untyped-def]
        if paper.details.project == "Alpha":
            raise TemplateProblem("a stand-in failure of the first paper")
        return real_render(paper, template, history)

    monkeypatch.setattr(pipeline, "render_paper", render_all_but_alpha)
    report = pipeline.build([inputs], tmp_path / "out", pdf=False)
    assert [p.status.value for p in report.papers] == ["failed", "built"]
    assert report.pack is not None and report.pack.papers == ["b"]
    rows = docx.Document(str(report.pack.docx)).tables[0].rows
    assert [r.cells[0].text for r in rows[1:]] == ["Beta"]


def _outline_level(style: BaseStyle) -> str | None:
    levels = style.element.xpath("./w:pPr/w:outlineLvl/@w:val")
    return levels[0] if levels else None


def test_pack_headings_are_heading_styles_one_level_below_a_papers(meeting: FolderBuild) -> None:
    # readers that go by style (pandoc, mammoth, Word's navigation pane) see every heading
    pack = docx.Document(str(meeting.out / "board-pack.docx"))
    headings = [
        (p.style.name, p.text)
        for p in pack.paragraphs
        if p.style.name == "Title" or p.style.name.startswith("Heading")
    ]
    assert headings[0] == ("Title", "Joint Improvement Board")
    tops = [text for style, text in headings if style == "Heading 1"]
    assert tops == [
        "Contents",
        "Programme summary",
        "Housing & Regeneration: Highlight Report",
        "Procurement: Highlight Report",
    ]
    sections = [text for style, text in headings if style == "Heading 2"]
    assert sections.count("Recommendation") == 2 and sections[-1] == "Key Risks and issues"
    assert [text for style, text in headings if style == "Heading 3"] == [
        "Within Project", "Outside Project"
    ] * 2  # fmt: skip
    levels = [int(style.removeprefix("Heading ")) for style, _ in headings[1:]]
    assert all(b <= a + 1 for a, b in zip([1, *levels], levels, strict=False))
    # at their own levels: no style pretends to be a heading by an outline level of its own
    for style in pack.styles:
        if style.type == WD_STYLE_TYPE.PARAGRAPH:
            name = style.name or ""
            expected = str(int(name[-1]) - 1) if name.startswith("Heading ") else None
            assert _outline_level(style) == expected, name


def test_a_pack_template_with_other_outline_levels_still_gets_heading_levels(
    tmp_path: Path,
) -> None:
    # as one restyled from the earlier template: Title at level 1, Heading 1 at 2, no Heading 3
    template = docx.Document(str(PACK_TEMPLATE))
    for name, level in (("Title", "0"), ("Heading 1", "1"), ("Heading 2", "2")):
        properties = template.styles[name].element.get_or_add_pPr()
        for old in properties.findall(qn("w:outlineLvl")):
            properties.remove(old)
        properties.append(OxmlElement("w:outlineLvl"))
        properties[-1].set(qn("w:val"), level)
    template.styles["Heading 3"].delete()
    template.save(str(tmp_path / "restyled-pack.docx"))
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {})
    report = build(
        [inputs], tmp_path / "out", pdf=False, pack_template=tmp_path / "restyled-pack.docx"
    )
    assert report.pack is not None and report.pack.docx is not None
    pack = docx.Document(str(report.pack.docx))
    levels = {name: _outline_level(pack.styles[name]) for name in ("Title", "Heading 1")}
    assert levels == {"Title": None, "Heading 1": "0"}
    assert _outline_level(pack.styles["Heading 3"]) == "2"
    within = next(p for p in pack.paragraphs if p.text == "Within Project")
    assert within.style.name == "Heading 3"


def test_pack_with_its_contents_pages_passes_openxml_audit(meeting: FolderBuild) -> None:
    # the pack is saved again once its PDF gives the contents' page numbers
    result = audit(meeting.out / "board-pack.docx")
    assert result.clean, str(result)


def test_a_reader_that_goes_by_style_sees_every_heading_of_the_pack(meeting: FolderBuild) -> None:
    # mammoth, like pandoc, takes headings from their styles, not from outline levels
    with (meeting.out / "board-pack.docx").open("rb") as pack:
        page = mammoth.convert_to_html(pack).value
    headings = [
        (int(level), html.unescape(re.sub(r"<[^>]+>", "", text)))
        for level, text in re.findall(r"<h(\d)>(.*?)</h\d>", page)
    ]
    assert [text for level, text in headings if level == 1] == [
        "Contents",
        "Programme summary",
        "Housing & Regeneration: Highlight Report",
        "Procurement: Highlight Report",
    ]
    assert [text for level, text in headings if level == 2].count("Recommendation") == 2
    assert [text for level, text in headings if level == 3].count("Within Project") == 2
