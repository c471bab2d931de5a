"""The page is declared and fitting never breaks a word (paper/page.py, the column fitting of
paper/context.py, outputs/word/sections.py and outputs/word/tables.py): wide registers built to
PDF and their words read back whole, the page a profile declares, and a build that says what to
change when nothing fits."""

from __future__ import annotations

import collections
import datetime as dt
import re
from pathlib import Path

import docx
import pikepdf
import pytest
from docx.oxml.ns import qn

from boardpack.errors import ProfileError
from boardpack.paper.context import build_context
from boardpack.paper.page import A4, DoesNotFit, PageArea
from boardpack.paper.profile import Orientation, Page, PageSize, load_profile, parse_profile
from boardpack.pipeline import build
from boardpack.workbook.validate import load_paper
from boardpack.workbook.writer import write_workbook
from tests.conftest import ROOT, edit_workbook, pdf_text
from tests.docx_audit import audit

pytestmark = pytest.mark.libreoffice  # these tests convert with LibreOffice

WIDE = ROOT / "examples" / "five-by-five-a3"

# A 5 x 5 register of thirteen columns, with the words the issue saw broken: Amber, OPEN,
# Response, a date typed 14/12/2023.
THIRTEEN = """
name = "Thirteen columns"
title = "Risk Register"
[[header]]
key = "project"
label = "Register"
[[header]]
key = "board"
label = "Committee"
[[header]]
key = "meeting_date"
label = "Meeting date"
type = "date"
[[header]]
key = "report_date"
label = "Report date"
type = "date"
[status]
words = [
  { name = "Green", colour = "00703C", fill = "B7DDB0" },
  { name = "Amber", colour = "B25E00", fill = "FFD27F" },
  { name = "Red", colour = "C00000", fill = "F4A6A6" },
]
[[sections]]
key = "register"
title = "Risks"
block = "register"
[risk]
scoring = "product"
min_font_size = 7
assessments = [{ key = "inherent", label = "Inherent" }, { key = "residual", label = "Residual" }]
likelihood = { label = "Likelihood", levels = [1, 2, 3, 4, 5] }
impact = { label = "Impact", levels = [1, 2, 3, 4, 5] }
bands = [
  { name = "low", colour = "B7DDB0", scores = [1, 4] },
  { name = "medium", colour = "FFD27F", scores = [5, 12] },
  { name = "high", colour = "F4A6A6", scores = [15, 25] },
]
[[risk.columns]]
key = "ref"
header = "Reference"
type = "short_text"
required = true
[[risk.columns]]
key = "risk"
header = "Risk"
required = true
[[risk.columns]]
key = "owner"
header = "Responsible officer"
type = "short_text"
[[risk.columns]]
key = "il"
header = "Likelihood"
group = "Inherent"
type = "likelihood"
assessment = "inherent"
required = true
[[risk.columns]]
key = "ii"
header = "Impact"
group = "Inherent"
type = "impact"
assessment = "inherent"
required = true
[[risk.columns]]
key = "is"
header = "Score"
group = "Inherent"
type = "score"
assessment = "inherent"
[[risk.columns]]
key = "controls"
header = "Existing controls"
[[risk.columns]]
key = "rl"
header = "Likelihood"
group = "Residual"
type = "likelihood"
assessment = "residual"
required = true
[[risk.columns]]
key = "ri"
header = "Impact"
group = "Residual"
type = "impact"
assessment = "residual"
required = true
[[risk.columns]]
key = "rs"
header = "Score"
group = "Residual"
type = "score"
assessment = "residual"
[[risk.columns]]
key = "rag"
header = "RAG status"
type = "status"
[[risk.columns]]
key = "state"
header = "Open or closed"
type = "choice"
choices = ["OPEN", "CLOSED"]
[[risk.columns]]
key = "review"
header = "Response date"
type = "date"
date_form = "dd/mm/yyyy"
"""

THIRTEEN_RISKS = [
    ["CR01", "Financial sustainability of the Council", "Chief Finance Officer", 5, 5, None,
     "Medium term financial strategy", 3, 5, None, "Amber", "OPEN", dt.date(2023, 12, 14)],
    ["CR02", "Cyber security incident", "Head of Digital Services", 4, 5, None,
     "Backups tested monthly; penetration testing", 2, 5, None, "Green", "OPEN",
     dt.date(2024, 1, 9)],
    ["CR03", "Recruitment and retention of social workers", "Director of People", 4, 4, None,
     "Market supplements", 3, 3, None, "Red", "CLOSED", dt.date(2023, 11, 30)],
]  # fmt: skip


def _details() -> dict[str, object]:
    return {
        "Register": "Corporate Risk Register",
        "Committee": "Audit and Governance Committee",
        "Meeting date": dt.date(2024, 2, 1),
        "Report date": dt.date(2024, 1, 20),
    }


def _thirteen(folder: Path, source: str = THIRTEEN) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "thirteen.toml").write_text(source, encoding="utf-8")
    shape = load_profile(str(folder / "thirteen.toml"))
    workbook = folder / "register.xlsx"
    write_workbook(
        workbook, _details(), {"Risks": THIRTEEN_RISKS}, shape, profile_name="thirteen.toml"
    )
    return workbook


def pdf_words(pdf: Path) -> list[str]:
    """The PDF's words as pdftotext reads them, a word hyphenated at a line's end joined."""
    text = pdf_text(pdf)
    return re.sub(r"(?<=[^\W\d])-\s+(?=[^\W\d])", "-", text).split()


def cell_words(document: Path) -> list[str]:
    """Every word of every table cell of a .docx, as Word holds them."""
    found = []
    for table in docx.Document(str(document)).tables:
        seen = set()
        for row in table.rows:
            for cell in row.cells:
                if cell._tc in seen:  # a merged cell is listed once for each place it covers
                    continue
                seen.add(cell._tc)
                found += cell.text.split()
    return found


def assert_every_word_whole(document: Path, pdf: Path) -> None:
    printed = collections.Counter(pdf_words(pdf))
    wanted = collections.Counter(cell_words(document))
    missing = {w: n for w, n in wanted.items() if printed[w] < n}
    assert not missing, f"words not printed whole: {missing}"


def page_sizes(pdf: Path) -> list[tuple[int, int]]:
    """Each page's width and height in millimetres."""
    with pikepdf.open(pdf) as opened:
        sizes = []
        for page in opened.pages:
            x0, y0, x1, y1 = (float(v) for v in page.MediaBox)
            sizes.append((round((x1 - x0) / 72 * 25.4), round((y1 - y0) / 72 * 25.4)))
        return sizes


A4_UP, A4_ACROSS, A3_ACROSS = (210, 297), (297, 210), (420, 297)


# -- wide registers, read back from their PDF ---------------------------------------------------


def test_a_13_column_register_turns_and_steps_down_with_no_word_broken(tmp_path: Path) -> None:
    workbook = _thirteen(tmp_path / "in")
    report = build([workbook], tmp_path / "out")
    assert report.ok, [(p.name, p.error) for p in report.papers]
    pdf, document = tmp_path / "out" / "register.pdf", tmp_path / "out" / "register.docx"
    assert page_sizes(pdf) == [A4_UP, A4_ACROSS]  # the register's section turned
    assert_every_word_whole(document, pdf)
    words = pdf_words(pdf)
    for word in ("Amber", "OPEN", "Response", "14/12/2023", "Reference", "Likelihood"):
        assert word in words, word
    register = docx.Document(str(document)).tables[-1]
    sizes = {s.get(qn("w:val")) for s in register._tbl.iter(qn("w:sz"))}
    assert len(sizes) == 1 and int(sizes.pop()) < 19  # stepped down from 9.5 pt
    assert audit(document).clean, audit(document)


def test_the_16_column_register_on_a3_landscape_prints_every_word_whole(tmp_path: Path) -> None:
    report = build([WIDE], tmp_path)
    assert report.ok, [(p.name, p.error) for p in report.papers]
    pdf, document = tmp_path / "corporate-risks.pdf", tmp_path / "corporate-risks.docx"
    assert set(page_sizes(pdf)) == {A3_ACROSS}  # the page the profile declares, every page
    assert_every_word_whole(document, pdf)
    register = docx.Document(str(document)).tables[-1]
    assert len(register.columns) == 16
    assert not list(register._tbl.iter(qn("w:sz")))  # 9.5 pt, the template's: no step down
    # A3 has room: each owner is printed on one line, the sentences beside them no longer.
    text = pdf_text(pdf)
    for owner in ("Chief Finance Officer", "Head of Digital", "Director of People"):
        assert owner in text
    # The pack keeps the paper's A3 pages after its own A4 front matter.
    sizes = page_sizes(tmp_path / "board-pack.pdf")
    assert sizes[0] == A4_UP and sizes[-1] == A3_ACROSS
    assert audit(document).clean, audit(document)
    assert audit(tmp_path / "board-pack.docx").clean, audit(tmp_path / "board-pack.docx")


def test_a_register_that_fits_no_page_names_its_column_and_what_to_change(tmp_path: Path) -> None:
    source = THIRTEEN.replace("min_font_size = 7\n", "").replace(
        'header = "Risk"\n', 'header = "Risk"\nwidth = 3\n'
    )
    workbook = _thirteen(tmp_path / "in", source)
    report = build([workbook], tmp_path / "out")
    (paper,) = report.papers
    message = str(paper.error)
    assert isinstance(paper.error, DoesNotFit)
    assert "the register 'Risk Register' does not fit its page without breaking words" in message
    assert "an A4 landscape page gives 24.7 cm" in message  # it tried the turned page
    assert "its 13 columns need 25.6 cm at 9.5 pt" in message
    assert "Its widest column is 'Responsible officer', which needs 2.5 cm for 'Responsible'" in (
        message
    )
    assert 'size = "A3"' in message and "min_font_size = 7" in message
    assert not (tmp_path / "out" / "register.docx").exists()


# -- the page a profile declares ---------------------------------------------------------------


def test_a_declared_register_page_prints_that_section_on_it(tmp_path: Path) -> None:
    source = THIRTEEN.replace(
        "min_font_size = 7\n",
        'min_font_size = 7\npage = { size = "A3", orientation = "landscape" }\n',
    )
    workbook = _thirteen(tmp_path / "in", source)
    report = build([workbook], tmp_path / "out")
    assert report.ok, [(p.name, p.error) for p in report.papers]
    pdf = tmp_path / "out" / "register.pdf"
    assert page_sizes(pdf) == [A4_UP, A3_ACROSS]
    document = docx.Document(str(tmp_path / "out" / "register.docx"))
    assert not list(document.tables[-1]._tbl.iter(qn("w:sz")))  # A3 needs no step down
    assert_every_word_whole(tmp_path / "out" / "register.docx", pdf)


def test_a_paper_declared_a4_landscape_is_landscape_throughout(tmp_path: Path) -> None:
    source = THIRTEEN.replace('title = "Risk Register"\n', 'title = "Risk Register"\n'
                              'page = { orientation = "landscape" }\n')  # fmt: skip
    workbook = _thirteen(tmp_path / "in", source)
    report = build([workbook], tmp_path / "out")
    assert report.ok, [(p.name, p.error) for p in report.papers]
    assert set(page_sizes(tmp_path / "out" / "register.pdf")) == {A4_ACROSS}


def test_a_page_area_gives_each_declared_page_its_text_width() -> None:
    assert A4.page == Page(size=PageSize.A4, orientation=Orientation.PORTRAIT)
    a3 = Page(size=PageSize.A3, orientation=Orientation.LANDSCAPE)
    assert A4.text_width_cm(a3) == pytest.approx(37.0)
    assert A4.text_width_cm(Page(orientation=Orientation.LANDSCAPE)) == pytest.approx(24.7)
    letter = PageArea(page_cm=(21.59, 27.94))
    assert letter.page.size is PageSize.LETTER


def test_a_column_given_a_width_is_wider_by_its_share(tmp_path: Path) -> None:
    coded = ROOT / "examples" / "letter-number"
    plain = build_context(load_paper(coded / "library-risks.xlsx").paper, A4)["register"]
    profile = (coded / "letter-number.toml").read_text(encoding="utf-8")
    (tmp_path / "letter-number.toml").write_text(
        profile.replace('header = "Response"\n', 'header = "Response"\nwidth = 6\n'),
        encoding="utf-8",
    )
    (tmp_path / "library-risks.xlsx").write_bytes((coded / "library-risks.xlsx").read_bytes())
    wider = build_context(load_paper(tmp_path / "library-risks.xlsx").paper, A4)["register"]
    widths = {c["header"]: c["width_cm"] for c in plain["columns"]}
    widened = {c["header"]: c["width_cm"] for c in wider["columns"]}
    # Response had the share of any text column (3), as Risk has; given 6, twice Risk's room.
    assert widths["Response"] == pytest.approx(widths["Risk"], abs=0.01)
    assert widened["Response"] == pytest.approx(2 * widened["Risk"], abs=0.01)
    assert sum(widened.values()) == pytest.approx(A4.width_cm, abs=0.01)


def test_a_bad_page_is_named_at_its_line() -> None:
    source = THIRTEEN.replace('title = "Risk Register"\n', 'title = "Risk Register"\n'
                              '[page]\nsize = "B5"\norientation = "sideways"\n', 1)  # fmt: skip
    with pytest.raises(ProfileError) as raised:
        parse_profile(source, "bad.toml")
    faults = [str(p) for p in raised.value.problems]
    assert "line 5: page.size: must be one of 'A4', 'A3', 'Letter' (got 'B5')" in faults
    assert "line 6: page.orientation: must be one of 'portrait', 'landscape' (got 'sideways')" in (
        faults
    )
    small = THIRTEEN.replace("min_font_size = 7", "min_font_size = 3")
    with pytest.raises(ProfileError, match=r"risk.min_font_size: must be at least 5 \(got 3\)"):
        parse_profile(small, "small.toml")


def test_a_template_that_sets_its_own_widths_is_not_failed_for_them(tmp_path: Path) -> None:
    source = THIRTEEN.replace("min_font_size = 7\n", "")
    paper = load_paper(_thirteen(tmp_path / "in", source)).paper
    with pytest.raises(DoesNotFit):
        build_context(paper, A4)
    own = build_context(paper, PageArea(sizes_columns=False))["register"]
    assert sum(c["width_cm"] for c in own["columns"]) == pytest.approx(16.0, abs=0.01)
    assert own["font_pt"] == 9.5 and not own["landscape"]


def test_a_declared_tables_page_prints_its_section_on_it(tmp_path: Path) -> None:
    from boardpack.paper.profile import BUNDLED

    source = (BUNDLED / "prince2.toml").read_text(encoding="utf-8")
    turned = source.replace(
        'title = "Tolerance status"\n',
        'title = "Tolerance status"\npage = { orientation = "landscape" }\n',
    )
    (tmp_path / "prince2-turned.toml").write_text(turned, encoding="utf-8")
    workbook = edit_workbook(
        ROOT / "examples" / "prince2" / "customer-portal.xlsx",
        tmp_path / "customer-portal.xlsx",
        {"Paper!B2": "prince2-turned.toml"},
    )
    report = build([workbook], tmp_path / "out")
    assert report.ok, [(p.name, p.error) for p in report.papers]
    sizes = page_sizes(tmp_path / "out" / "customer-portal.pdf")
    assert A4_ACROSS in sizes and sizes[0] == A4_UP and sizes[-1] == A4_UP
    words = pdf_words(tmp_path / "out" / "customer-portal.pdf")
    assert "Tolerance" in words
