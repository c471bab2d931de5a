"""A register too wide for a portrait page is printed on landscape pages (outputs/word/sections.py):
in the paper, in the pack and as a cover report's appendix, with the running header and
footer on every page, reaching the turned page's right margin."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pikepdf
import pytest

from boardpack.paper.profile import load_profile
from boardpack.pipeline import build
from boardpack.workbook.writer import write_workbook
from tests.conftest import ROOT, pdf_text
from tests.docx_audit import audit

pytestmark = pytest.mark.libreoffice  # these tests convert with LibreOffice

CODED = ROOT / "tests" / "fixtures" / "profiles" / "coded.toml"
PORTRAIT, LANDSCAPE = "portrait", "landscape"

RISKS = [
    ["R1", "Risk", "Contractor insolvency", "C", "1", None, "Amber", "Red", "Open",
     "Parent company guarantee sought"],
    ["R2", "Opportunity", "Grant funding from the Arts Council", "B", "3", None, "Green",
     "Green", "Open", ""],
    ["R3", "Risk", "Asbestos found in the roof void", "F", "4", None, None, "Green", "Closed",
     ""],
]  # fmt: skip


def coded_workbook(
    path: Path,
    project: str = "Library refurbishment",
    board: str = "Capital Programme Board",
    meeting: dt.date = dt.date(2026, 12, 10),
    profile: Path = CODED,
) -> Path:
    details = {
        "Project": project,
        "Board": board,
        "Meeting date": meeting,
        "Report date": meeting - dt.timedelta(days=10),
        "Quarter": "Q3 2026/27",
    }
    sections = [
        ["Summary", None, "The contractor's finances are being watched."],
        ["Next steps", None, "A parent company guarantee is to be signed in January."],
    ]
    shape = load_profile(str(profile))
    titles = {s.title for s in shape.sections}
    tables = {"Sections": [r for r in sections if r[0] in titles], "Risks": RISKS}
    # A workbook may name only a profile in its own folder: the test's goes beside it.
    beside = path.parent / profile.name
    if not beside.exists():
        shutil.copy(profile, beside)
    write_workbook(path, details, tables, shape, profile_name=profile.name)
    return path


def pages(pdf_path: Path) -> list[str]:
    """Each page's orientation, from its MediaBox."""
    with pikepdf.open(pdf_path) as pdf:
        found = []
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.MediaBox)
            found.append(LANDSCAPE if x1 - x0 > y1 - y0 else PORTRAIT)
        return found


def page_words(pdf_path: Path, number: int) -> list[tuple[str, float, float]]:
    """The words of one page with their right edge and the page's width, from pdftotext."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(number), "-l", str(number), str(pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))  # type: ignore[union-attr]
    return [
        (word, float(x_max), width)
        for x_max, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"'
                                      r' yMax="[\d.]+">([^<]*)</word>', html)
    ]  # fmt: skip


def footer_reaches_right_margin(pdf_path: Path, number: int) -> bool:
    """Whether the page's "Page N of M" ends at its right margin (2.5 cm from the edge)."""
    words = page_words(pdf_path, number)
    of = [i for i, (w, _, _) in enumerate(words) if w == "of" and words[i - 1][0].isdigit()]
    if not of:
        return False
    _, right, width = words[of[-1] + 1]
    margin = 2.5 / 2.54 * 72
    return abs(width - margin - right) < 6


def test_a_register_too_wide_for_portrait_is_printed_on_a_landscape_page(tmp_path: Path) -> None:
    workbook = coded_workbook(tmp_path / "library.xlsx")
    report = build([workbook], tmp_path / "out")
    assert report.ok, [(p.name, p.error) for p in report.papers]
    pdf = tmp_path / "out" / "library.pdf"
    # The summary, then the register on its own turned page, then the next section upright.
    assert pages(pdf) == [PORTRAIT, LANDSCAPE, PORTRAIT]
    words = [w for w, _, _ in page_words(pdf, 2)]
    for whole in ("Likelihood", "Opportunity", "Amber", "Closed", "Rating", "Response"):
        assert whole in words, f"{whole!r} is broken across lines: {words}"
    assert "Contractor" in words and "Next" not in words
    assert pdf_text(pdf).find("Risk Register") < pdf_text(pdf).find("Next steps")
    # Every page has the running header and footer; on the turned page they reach its margin.
    for number in (1, 2, 3):
        page = [w for w, _, _ in page_words(pdf, number)]
        assert "Capital" in page[:8], f"page {number} has no running header"
        assert footer_reaches_right_margin(pdf, number), f"page {number}'s footer"
    assert audit(tmp_path / "out" / "library.docx").clean


def test_a_paper_ending_on_a_landscape_page_ends_without_a_blank_page(tmp_path: Path) -> None:
    # The profile less the section after the register: the paper ends on the turned page.
    profile = CODED.read_text().replace('[[sections]]\nkey = "next"\ntitle = "Next steps"\n', "")
    assert "Next steps" not in profile
    (tmp_path / "coded.toml").write_text(profile)
    workbook = tmp_path / "library.xlsx"
    coded_workbook(workbook, profile=tmp_path / "coded.toml")
    report = build([workbook], tmp_path / "out")
    assert report.ok, [(p.name, p.error) for p in report.papers]
    assert pages(tmp_path / "out" / "library.pdf") == [PORTRAIT, LANDSCAPE]
    document = docx.Document(str(tmp_path / "out" / "library.docx"))
    assert [s.orientation.name for s in document.sections] == ["PORTRAIT", "LANDSCAPE"]
    assert audit(tmp_path / "out" / "library.docx").clean


def test_the_pack_keeps_a_papers_landscape_page_and_every_running_footer(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    coded_workbook(folder / "a-library.xlsx")
    coded_workbook(folder / "b-museum.xlsx", project="Museum roof")
    report = build([folder], tmp_path / "out")
    assert report.ok, [(p.name, p.error) for p in report.papers]
    pack = tmp_path / "out" / "board-pack.pdf"
    shape = pages(pack)
    turned = [n for n, s in enumerate(shape, start=1) if s == LANDSCAPE]
    assert len(turned) == 2, shape  # each paper's register
    body = pdf_text(pack)
    assert body.find("Library refurbishment") < body.find("Museum roof")
    for number in range(2, len(shape) + 1):  # the cover has no running footer
        assert footer_reaches_right_margin(pack, number), f"pack page {number}'s footer"
    assert not footer_reaches_right_margin(pack, 1)
    assert audit(tmp_path / "out" / "board-pack.docx").clean


def test_an_appendix_keeps_its_landscape_page_in_its_cover(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    committee = ROOT / "examples" / "committee"
    folder.mkdir()
    (folder / "risk-management-update.xlsx").write_bytes(
        (committee / "risk-management-update.xlsx").read_bytes()
    )
    coded_workbook(folder / "library.xlsx", board="Audit and Governance Committee",
                   meeting=dt.date(2025, 3, 20))  # fmt: skip
    settings = (committee / "boardpack.toml").read_text()
    settings = re.sub(r"(?m)^risk-management-update = .*$",
                      'risk-management-update = ["library"]', settings)  # fmt: skip
    (folder / "boardpack.toml").write_text(settings)
    report = build([folder], tmp_path / "out", today=dt.date(2025, 3, 1))
    if not report.ok:
        pytest.fail(str([(p.name, p.error) for p in report.papers]))
    paper = tmp_path / "out" / "risk-management-update.pdf"
    shape = pages(paper)
    assert shape.count(LANDSCAPE) == 1 and shape[-1] == PORTRAIT, shape
    body = pdf_text(paper)
    assert body.find("Appendix A: Library refurbishment") < body.find("Contractor insolvency")
    assert audit(tmp_path / "out" / "risk-management-update.docx").clean


def test_a_cover_and_a_pack_ending_on_landscape_pages_end_there(tmp_path: Path) -> None:
    # The committee example: a cover report whose appendix, the corporate register, ends on
    # turned pages, so both the paper and the pack do. Neither may end with a blank page.
    report = build([ROOT / "examples" / "committee"], tmp_path, today=dt.date(2025, 3, 1))
    assert report.ok, [(p.name, p.error) for p in report.papers]
    for name in ("risk-management-update.pdf", "board-pack.pdf"):
        shape = pages(tmp_path / name)
        assert shape[-1] == LANDSCAPE, (name, shape)
        last = [w for w, _, _ in page_words(tmp_path / name, len(shape))]
        assert "CR06" in last, (name, last)  # the register's last risk, not an empty page
        for number in range(2, len(shape) + 1):
            assert footer_reaches_right_margin(tmp_path / name, number), (name, number)
    assert audit(tmp_path / "board-pack.docx").clean


def _unturnable_template(folder: Path) -> Path:
    """A council's copy restyled from an older report.docx: no Section Turn paragraphs."""
    from boardpack.outputs.bundled import REPORT_TEMPLATE
    from boardpack.outputs.word.sections import TURN_STYLE

    template = docx.Document(str(REPORT_TEMPLATE))
    body = template.element.body
    for paragraph in template.paragraphs:
        if paragraph.style is not None and paragraph.style.style_id == TURN_STYLE:
            body.remove(paragraph._p)
    restyled = folder / "ours.docx"
    template.save(str(restyled))
    return restyled


def test_a_template_without_the_marks_prints_the_register_upright_and_within_the_page(
    tmp_path: Path,
) -> None:
    from docx.oxml.ns import qn

    restyled = _unturnable_template(tmp_path)
    # Its ten columns' longest words fit 16 cm only below 9.5 pt: the profile lets them step.
    smaller = tmp_path / "coded.toml"
    text = CODED.read_text(encoding="utf-8")
    smaller.write_text(
        text.replace('score_label = "Rating"', 'score_label = "Rating"\nmin_font_size = 8')
    )
    workbook = coded_workbook(tmp_path / "library.xlsx", profile=smaller)
    report = build([workbook], tmp_path / "out", template=restyled)
    assert report.ok, [(p.name, p.error) for p in report.papers]
    assert set(pages(tmp_path / "out" / "library.pdf")) == {PORTRAIT}
    document = docx.Document(str(tmp_path / "out" / "library.docx"))
    register = next(t for t in document.tables if t.rows[0].cells[0].text == "Ref")
    grid = register._tbl.find(qn("w:tblGrid"))
    width_cm = sum(int(c.get(qn("w:w"))) for c in grid) / 567
    assert width_cm == pytest.approx(16.0, abs=0.05)  # the text width, not beyond it
    sizes = {s.get(qn("w:val")) for s in register._tbl.iter(qn("w:sz"))}
    assert sizes == {"17"}  # 8.5 pt, the first step at which every word fits
    words = subprocess.run(
        ["pdftotext", str(tmp_path / "out" / "library.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for word in ("Opportunity", "Likelihood", "Response", "insolvency", "Amber", "Closed"):
        assert word in words, word
    assert audit(tmp_path / "out" / "library.docx").clean


def test_a_register_too_wide_for_any_page_fails_naming_its_widest_column(
    tmp_path: Path,
) -> None:
    workbook = coded_workbook(tmp_path / "library.xlsx")
    report = build([workbook], tmp_path / "out", template=_unturnable_template(tmp_path))
    (paper,) = report.papers
    assert not report.ok
    message = str(paper.error)
    assert "the register 'Risk Register' does not fit its page without breaking words" in message
    assert "its 10 columns need 17.4 cm at 9.5 pt, and an A4 portrait page gives 16.0 cm" in message
    assert "Its widest column is 'Risk or opportunity', which needs 2.3 cm for 'opportunity'" in (
        message
    )
    assert "min_font_size = 7" in message and 'size = "A3"' in message
    assert not (tmp_path / "out" / "library.docx").exists()
