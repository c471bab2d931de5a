"""A meeting's folder built at once: good papers built, bad ones listed, and the combined pack."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
import mammoth
import openpyxl
import pytest
from click.testing import CliRunner
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.styles.style import BaseStyle
from docx.text.paragraph import Paragraph
from pypdf import PdfReader

from boardpack.cli import main
from boardpack.outputs.bundled import PACK_TEMPLATE
from boardpack.outputs.pdf import verify_pdf
from boardpack.outputs.proof import docx_identity, prove_pdf
from boardpack.pipeline import BuildReport, build
from tests.conftest import EXAMPLE, ROOT, edit_workbook
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


@pytest.mark.libreoffice
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


@pytest.mark.libreoffice
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


@pytest.mark.libreoffice
def test_pack_page_numbers_run_through_and_papers_restart_sections(meeting: FolderBuild) -> None:
    pages = page_texts(meeting.out / "board-pack.pdf")
    total = len(pages)
    assert total == verify_pdf(meeting.out / "board-pack.pdf")
    for number, page in enumerate(pages[1:], start=2):  # the cover has no footer
        assert f"Page {number} of {total}" in page
    recommendations = [p for p in pages if "1. Recommendation" in p]
    assert len(recommendations) == 2
    assert not any("11. Recommendation" in p for p in pages)


@pytest.mark.libreoffice
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
    # one board's papers: its key alone, from its profile's bands, once
    following = Paragraph(summary._tbl.getnext(), pack._body)
    assert following.text == "LxI key: 1-4 low (green); 5-8 medium (amber); 9-16 high (red)."
    assert "key:" not in Paragraph(following._p.getnext(), pack._body).text


@pytest.mark.libreoffice
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
    import boardpack.pipeline.render as rendering
    from boardpack.errors import TemplateProblem

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    edit_workbook(EXAMPLE, inputs / "a.xlsx", {"Paper!B2": "Alpha"})
    edit_workbook(EXAMPLE, inputs / "b.xlsx", {"Paper!B2": "Beta"})
    real_render = rendering.render_paper

    def render_all_but_alpha(paper, template, history=None, chart=None):  # type: ignore[no-untyped-def]
        if paper.details.project == "Alpha":
            raise TemplateProblem("a stand-in failure of the first paper")
        return real_render(paper, template, history, chart)

    monkeypatch.setattr(rendering, "render_paper", render_all_but_alpha)
    report = build([inputs], tmp_path / "out", pdf=False)
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


# --- a meeting of papers of several profiles --------------------------------------------------

PRINCE2 = ROOT / "boardpack" / "paper" / "profiles" / "prince2.toml"
PORTAL = ROOT / "examples" / "prince2" / "customer-portal.xlsx"
COMMITTEE = ROOT / "examples" / "committee"
MIXED_SETTINGS = """\
board = "Cabinet"
meeting_date = 2025-03-20
agenda = ["risk-management-update", "customer-portal", "intranet", "procurement"]

[appendices]
risk-management-update = ["corporate-risks"]
"""


def words_rated_profile(folder: Path) -> Path:
    """PRINCE2's profile with its levels typed as words and no score printed: a register rated
    in words, whose papers never show a product such as 4."""
    text = PRINCE2.read_text(encoding="utf-8")
    replaced = (
        text.replace('name = "PRINCE2 highlight report"', 'name = "Words-rated highlight report"')
        .replace('{ value = "1", label = "Low" }', '{ value = "Low" }')
        .replace('{ value = "2", label = "Medium" }', '{ value = "Medium" }')
        .replace('{ value = "3", label = "High" }', '{ value = "High" }')
        .replace('type = "score"\n', 'type = "score"\nprinted = false\n')
    )
    assert replaced.count('{ value = "High" }') == 2 and "printed = false" in replaced
    path = folder / "words.toml"
    path.write_text(replaced, encoding="utf-8")
    return path


def mixed_folder(inputs: Path) -> Path:
    """A committee's meeting: a cover report with a corporate register as its appendix, a
    PRINCE2 report (a score of 6, and a milestone overdue), one rated in words, and the JIB's."""
    inputs.mkdir(parents=True, exist_ok=True)
    for name in ("risk-management-update.xlsx", "corporate-risks.xlsx"):
        shutil.copyfile(COMMITTEE / name, inputs / name)
    # R11 at probability 2, impact 3; the address lookup due before the report's 30/09/2024
    edit_workbook(PORTAL, inputs / "customer-portal.xlsx", {"Risks!D5": 2, "Plan!E3": SEPT_20})
    words = words_rated_profile(inputs)
    levels = {1: "Low", 2: "Medium", 3: "High"}
    book = openpyxl.load_workbook(PORTAL)
    book["Paper"]["B2"], book["Paper"]["B3"] = words.name, "Intranet"
    for row in range(2, 6):
        for column in "DE":
            book["Risks"][f"{column}{row}"] = levels[book["Risks"][f"{column}{row}"].value]
    book.save(inputs / "intranet.xlsx")
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {})
    (inputs / "boardpack.toml").write_text(MIXED_SETTINGS, encoding="utf-8")
    return inputs


SEPT_20 = dt.datetime(2024, 9, 20)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    inputs = mixed_folder(tmp_path_factory.mktemp("mixed"))
    report = build([inputs], tmp_path_factory.mktemp("out"))
    assert report.pack is not None and report.pack.ok, report.pack
    return report


def summary_rows(pack: Path) -> list[list[str]]:
    summary = docx.Document(str(pack)).tables[0]
    return [[c.text for c in row.cells] for row in summary.rows]


@pytest.mark.libreoffice
def test_the_summary_gives_each_paper_its_own_profiles_values(mixed: BuildReport) -> None:
    assert mixed.pack is not None and mixed.pack.docx is not None
    rows = summary_rows(mixed.pack.docx)
    assert rows[0] == [
        "Project", "Sponsor", "Manager", "Status", "Highest risk", "Next milestone", "Due",
    ]  # fmt: skip
    assert [(r[0], r[3], r[4], r[5], r[6]) for r in rows[1:]] == [
        # a cover report: its highest risk from its appendix's register; it has no plan
        ("Corporate risk management: quarter 4 update", "-", "16", "No plan", ""),
        # PRINCE2's 6 is high; its first milestone not complete was due before the report
        ("Customer Portal Replacement", "Amber", "6", "Address lookup", "20/09/2024 (overdue)"),
        # a register rated in words: its band, never the product of its levels
        ("Intranet", "Amber", "high", "Address lookup", "25/10/2024"),
        ("Procurement", "Green", "9", "2008/09 priorities agreed", "31/03/2008"),
    ]
    summary = docx.Document(str(mixed.pack.docx)).tables[0]
    fills = [row.cells[4]._tc.tcPr.xpath("./w:shd/@w:fill")[0] for row in summary.rows[1:]]
    assert fills == ["F4A6A6"] * 4  # each by its own scheme: 6 is medium only on the JIB's


@pytest.mark.libreoffice
def test_the_summary_has_the_key_of_each_risk_scheme_in_the_pack(mixed: BuildReport) -> None:
    assert mixed.pack is not None and mixed.pack.pdf is not None
    pages = page_texts(mixed.pack.pdf)
    summary = " ".join(next(p for p in pages if p.startswith("Programme summary")).split())
    keys = [
        "Corporate risk register (5 x 5): Score key: 1-4 low (green); 5-12 medium (amber);"
        " 15-25 high (red).",
        "PRINCE2 highlight report: Score key: 1-2 low (green); 3-4 medium (amber); 6-9 high (red).",
        "Words-rated highlight report: Risk bands: low (green); medium (amber); high (red).",
        "JIB highlight report: LxI key: 1-4 low (green); 5-8 medium (amber); 9-16 high (red).",
    ]
    assert (
        "Procurement Chris Furness Jim Burness Green 9 2008/09 priorities agreed 31/03/2008 "
        + (" ".join(keys))
        in summary
    )
    assert summary.count(" key: ") + summary.count("Risk bands: ") == 4
    assert "20/09/2024 (overdue)" in summary


def test_the_pack_template_types_no_boards_bands_or_labels() -> None:
    with zipfile.ZipFile(PACK_TEMPLATE) as template:
        body = template.read("word/document.xml").decode()
    assert not re.search(r"9-16|1-4 low|LxI|RAG", body)


def test_a_pack_without_a_register_has_no_key_and_tells_no_plan_from_all_complete(
    tmp_path: Path,
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copyfile(COMMITTEE / "risk-management-update.xlsx", inputs / "cover.xlsx")
    done = {f"Plan!F{row}": "Complete" for row in range(2, 6)}
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {**done, "Risks!A2": None})
    book = openpyxl.load_workbook(inputs / "procurement.xlsx")
    book["Risks"].delete_rows(2, book["Risks"].max_row)
    book.save(inputs / "procurement.xlsx")
    (inputs / "boardpack.toml").write_text(
        'board = "Cabinet"\nmeeting_date = 2025-03-20\n', encoding="utf-8"
    )
    report = build([inputs], tmp_path / "out", pdf=False)
    assert report.pack is not None and report.pack.docx is not None, report.pack
    rows = summary_rows(report.pack.docx)
    assert [(r[0], r[4], r[5]) for r in rows[1:]] == [
        ("Corporate risk management: quarter 4 update", "No register", "No plan"),
        ("Procurement", "No risks listed", "All milestones complete"),
    ]
    pack = docx.Document(str(report.pack.docx))
    # no key follows the summary: the first paper does, on its own page
    following = Paragraph(pack.tables[0]._tbl.getnext(), pack._body)
    assert following.text == "Corporate risk management: quarter 4 update: Report"
    assert "Risk bands" not in "\n".join(p.text for p in pack.paragraphs)


def test_a_register_with_no_score_is_counted_in_the_summary_not_called_empty(
    tmp_path: Path,
) -> None:
    # A strategic register rated in words, with no score to rank its risks by: the summary
    # says how many it lists, and names no highest risk it would have to invent.
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    words = ROOT / "examples" / "rated-in-words"
    shutil.copyfile(words / "rated-in-words.toml", inputs / "rated-in-words.toml")
    shutil.copyfile(words / "strategic-risks.xlsx", inputs / "strategic-risks.xlsx")
    shutil.copyfile(EXAMPLE, inputs / "procurement.xlsx")
    (inputs / "boardpack.toml").write_text(
        'board = "Cabinet"\nmeeting_date = 2011-11-24\n', encoding="utf-8"
    )
    report = build([inputs], tmp_path / "out", pdf=False)
    assert report.pack is not None and report.pack.docx is not None, report.pack
    rows = summary_rows(report.pack.docx)
    assert [(r[0], r[4]) for r in rows[1:]] == [
        ("Procurement", "9"),
        ("Strategic Risk Register", "3 risks listed, not scored"),
    ]


def test_a_paper_with_a_number_field_keeps_its_agenda_number_in_the_contents(
    tmp_path: Path,
) -> None:
    # The monthly RAG profile has a "number" field (the project's number, TCR-014): the
    # contents still number the papers 1, 2 in agenda order.
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    rag = ROOT / "examples" / "monthly-rag"
    shutil.copyfile(rag / "monthly-rag.toml", inputs / "monthly-rag.toml")
    shutil.copyfile(rag / "town-centre.xlsx", inputs / "town-centre.xlsx")
    shutil.copyfile(EXAMPLE, inputs / "procurement.xlsx")
    (inputs / "boardpack.toml").write_text(
        'board = "Cabinet"\nmeeting_date = 2024-03-21\nagenda = ["town-centre"]\n',
        encoding="utf-8",
    )
    report = build([inputs], tmp_path / "out", pdf=False)
    assert report.pack is not None and report.pack.docx is not None, report.pack
    pack = docx.Document(str(report.pack.docx))
    entries = [p.text for p in pack.paragraphs if p.style.name == "Contents Entry"]
    assert [e.rsplit("\t", 1)[0].split("\t") for e in entries[1:]] == [
        ["1.", "Town Centre Regeneration"],
        ["2.", "Procurement"],
    ]
    assert "TCR-014" not in "\n".join(entries)


# --- an honest pack ---------------------------------------------------------------------------


def parts_hash(package: Path) -> str:
    """boardpack's identifier of a .docx: a SHA-256 of every part but the core properties,
    each as its name, its length and its bytes, in the package's order."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(package) as source:
        for entry in source.infolist():
            if entry.filename != "docProps/core.xml":
                content = source.read(entry.filename)
                digest.update(f"{entry.filename}\0{len(content)}\0".encode())
                digest.update(content)
    return "boardpack-" + digest.hexdigest()


@pytest.mark.libreoffice
def test_the_packs_identifier_is_a_hash_of_its_own_final_parts(mixed: BuildReport) -> None:
    assert mixed.pack is not None and mixed.pack.docx is not None and mixed.pack.pdf is not None
    _, identifier, _ = docx_identity(mixed.pack.docx)
    assert identifier == parts_hash(mixed.pack.docx)
    metadata = PdfReader(mixed.pack.pdf).metadata
    assert metadata is not None and metadata["/Keywords"] == identifier
    # the PDF is proven against the .docx as it is now: nothing was rewritten after the proof
    prove_pdf(mixed.pack.pdf, mixed.pack.docx)


@pytest.mark.libreoffice
def test_the_contents_carry_the_pages_the_proven_pdf_shows(mixed: BuildReport) -> None:
    # the cover report and its appendix take four pages, not the three first guessed, so the
    # contents are filled in and the pack made and proven again
    assert mixed.pack is not None and mixed.pack.docx is not None and mixed.pack.pdf is not None
    pages = page_texts(mixed.pack.pdf)
    titles = [
        "Corporate risk management",
        "Customer Portal Replacement",
        "Intranet",
        "Procurement",
    ]
    starts = [next(i + 1 for i, p in enumerate(pages) if p.startswith(t)) for t in titles]
    assert starts[1] - starts[0] == 4
    pack = docx.Document(str(mixed.pack.docx))
    entries = [p.text for p in pack.paragraphs if p.style.name == "Contents Entry"]
    assert [int(e.rsplit("\t", 1)[1]) for e in entries[1:]] == starts
    summary = next(i + 1 for i, p in enumerate(pages) if p.startswith("Programme summary"))
    assert entries[0].split() == ["Programme", "summary", str(summary)]
    assert audit(mixed.pack.docx).clean


@pytest.mark.parametrize(
    ("board", "project"),
    [
        ("Cabinet", "Procurement"),  # a short name, and no venue
        ("\u0645\u062c\u0644\u0633 \u0627\u0644\u0645\u062f\u064a\u0646\u0629", "Procurement"),
        (
            "Joint Improvement Board",
            "\u05e9\u05d9\u05e4\u05d5\u05e5 \u05d4\u05e1\u05e4\u05e8\u05d9\u05d9\u05d4 2026",
        ),
    ],
    ids=["short", "arabic-board", "hebrew-project"],
)
@pytest.mark.libreoffice
def test_the_pack_is_proven_whatever_its_opening_text(
    tmp_path: Path, board: str, project: str
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {"Paper!B2": project})
    (inputs / "boardpack.toml").write_text(
        f'board = "{board}"\nmeeting_date = 2008-01-24\n', encoding="utf-8"
    )
    report = build([inputs], tmp_path / "out")
    assert report.ok, [str(p.error) for p in report.papers] + [str(report.pack)]
    assert report.pack is not None and report.pack.pdf is not None and report.pack.docx is not None
    # pdftotext marks right-to-left runs with embedding controls, and orders them as drawn
    cover = re.sub("[\u202a-\u202e\u2066-\u2069]", "", page_texts(report.pack.pdf)[0])
    assert set(board.split()) <= set(cover.split())
    prove_pdf(report.pack.pdf, report.pack.docx)
    (paper,) = report.papers
    assert paper.pdf is not None and paper.docx is not None
    prove_pdf(paper.pdf, paper.docx)
