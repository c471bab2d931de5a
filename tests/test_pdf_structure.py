"""The PDFs' structure trees, as a screen reader gets them: the real LibreOffice, then pikepdf.

One folder build makes the four PDFs the checks run on: the example paper, a paper whose project
name is 200 characters, a paper with a 40-milestone plan, and the pack of those three papers.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pdfua
import pikepdf
import pytest

import boardpack
from boardpack.outputs import pdf_finish
from boardpack.outputs.pdf import verify_pdf
from tests import pdf_structure
from tests.conftest import EXAMPLE, edit_workbook

pytestmark = [
    pytest.mark.libreoffice,  # these tests convert with LibreOffice
    pytest.mark.skipif(
        shutil.which("soffice") is None or shutil.which("pdftotext") is None,
        reason="LibreOffice (soffice) and poppler (pdftotext) are needed to make and read the PDFs",
    ),
]

LONG_NAME = ("Joint procurement of adult social care, children's services and highways "
             "maintenance across the Pathfinder authorities, with shared contract management "
             "and a single supplier portal for Buckinghamshire")  # fmt: skip
CONTENTS_PAGE = 2  # the pack's cover is page 1


def forty_milestones() -> dict[str, object]:
    """Cell edits giving the example a plan of 40 milestones, one every fortnight."""
    edits: dict[str, object] = {}
    statuses = ["Complete", "In progress", "Not started", "Delayed"]
    for index in range(40):
        row = index + 2
        start = dt.datetime(2007, 9, 3) + dt.timedelta(weeks=2 * index)
        edits.update(
            {
                f"Plan!A{row}": f"Milestone {index + 1} of the procurement plan",
                f"Plan!B{row}": f"Milestone {index + 1}",
                f"Plan!C{row}": "Within project" if index % 3 else "Outside project",
                f"Plan!D{row}": start,
                f"Plan!E{row}": start + dt.timedelta(weeks=6),
                f"Plan!F{row}": statuses[index % 4],
            }
        )
    return edits


@dataclass(frozen=True)
class Built:
    """The PDFs of one folder build, by what each is."""

    paper: Path
    long_name: Path
    long_plan: Path
    pack: Path


def build_four(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the three papers and their pack with the real LibreOffice."""
    assert len(LONG_NAME) == 200
    inputs = tmp_path_factory.mktemp("inputs")
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {})
    edit_workbook(EXAMPLE, inputs / "long-name.xlsx", {"Paper!B2": LONG_NAME})
    edit_workbook(
        EXAMPLE, inputs / "long-plan.xlsx", {"Paper!B2": "Highways", **forty_milestones()}
    )
    (inputs / "boardpack.toml").write_text(
        'board = "Joint Improvement Board"\nmeeting_date = 2008-01-24\n'
        'agenda = ["procurement", "long-name", "long-plan"]\n',
        encoding="utf-8",
    )
    out = tmp_path_factory.mktemp("out")
    report = boardpack.build([inputs], out)
    assert [p.status for p in report.papers] == ["built"] * 3, report.papers
    made = Built(
        out / "procurement.pdf",
        out / "long-name.pdf",
        out / "long-plan.pdf",
        out / "board-pack.pdf",
    )
    for path in (made.paper, made.long_name, made.long_plan, made.pack):
        verify_pdf(path)  # still the PDF/A-2b it was made as, after finishing
    return made


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_four(tmp_path_factory)


KINDS = ["paper", "long_name", "long_plan", "pack"]
CHECKS = ["headings", "figures", "tables", "empty paragraphs", "catalog", "tab order"]


def problems_of(built: Built, kind: str) -> dict[str, list[str]]:
    path = getattr(built, kind)
    return pdf_structure.structure_problems(
        path, contents_page=CONTENTS_PAGE if kind == "pack" else None
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("check", CHECKS)
def test_structure_tree_passes(built: Built, kind: str, check: str) -> None:
    assert problems_of(built, kind)[check] == []


def test_pack_bookmarks_open_the_pages_its_contents_page_names(built: Built) -> None:
    entries = pdf_structure.contents_entries(built.pack, CONTENTS_PAGE)
    assert [title for title, _ in entries] == [
        "Programme summary", "Procurement", LONG_NAME, "Highways",
    ]  # fmt: skip
    assert problems_of(built, "pack")["bookmarks"] == []


def figures(path: Path) -> list[pdf_structure.Element]:
    with pikepdf.open(path) as pdf:
        return [e for e in pdf_structure.elements(pdf) if e.kind == "/Figure"]


@pytest.mark.parametrize(
    # the 40-milestone plan's chart comes in two page-sized parts (page.chart_parts)
    ("kind", "charts"),
    [("paper", 1), ("long_name", 1), ("long_plan", 2), ("pack", 4)],
)
def test_the_only_figures_are_the_charts_with_their_alt_text(
    built: Built, kind: str, charts: int
) -> None:
    found = figures(getattr(built, kind))
    assert len(found) == charts
    assert all((f.alt or "").startswith("Gantt chart") for f in found)


def test_headings_of_the_pack_are_titles_then_sections(built: Built) -> None:
    with pikepdf.open(built.pack) as pdf:
        levels = [e.kind for e in pdf_structure.elements(pdf) if e.kind.startswith("/H")]
    assert levels[:3] == ["/H1", "/H1", "/H1"]  # Contents, Programme summary, first paper
    assert levels[3] == "/H2"  # 1. Recommendation
    assert levels.count("/H1") == 2 + 3


# The checks can fail: each is shown a finished PDF broken in the one way it looks for.


def broken(source: Path, target: Path, damage: str) -> Path:
    """A copy of a real PDF with one defect put back, as LibreOffice or a template makes it."""
    with pikepdf.open(source) as pdf:
        tree = pdf.Root.StructTreeRoot
        stack = [tree]
        nodes = []
        while stack:
            node = stack.pop()
            nodes.append(node)
            kids = node.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
            stack.extend(k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k)
        if damage == "tabs":
            pdf.pages[1].obj.Tabs = pikepdf.String("S")
        elif damage == "alt":
            for node in nodes:
                if "/Alt" in node:
                    del node["/Alt"]
        elif damage == "unlink":
            for node in nodes:
                if node.get("/S") == "/Figure":
                    del node["/K"]
        elif damage == "th":
            for node in nodes:
                if node.get("/S") == "/TH":
                    node.S = pikepdf.Name.TD
        elif damage == "heading":
            for node in nodes:
                if node.get("/S") == "/H2":
                    node.S = pikepdf.Name.H3
        elif damage == "empty":
            document = nodes[1]
            empty = pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.P, P=document)
            document.K.append(pdf.make_indirect(empty))
        elif damage == "lang":
            del pdf.Root["/Lang"]
        pdf.save(target)
    return target


@pytest.mark.parametrize(
    ("damage", "check", "expected"),
    [
        ("tabs", "tab order", 'page 2: /Tabs is pikepdf.String("S"), not the name /S'),
        ("alt", "figures", "page 2: a Figure (/Figure) without /Alt"),
        ("unlink", "figures", "page 2: a Figure (/Figure) marking no content"),
        ("th", "tables", "page 3: a table with no TH header cells"),
        ("heading", "headings", "page 1: heading H3 (/H3) follows H1, skipping H2"),
        ("empty", "empty paragraphs", "page 1: an empty tagged paragraph (/P)"),
        ("lang", "catalog", "the catalog's /Lang is None, not 'en-GB'"),
    ],
)
def test_each_check_finds_its_defect(
    built: Built, tmp_path: Path, damage: str, check: str, expected: str
) -> None:
    bad = broken(built.paper, tmp_path / "bad.pdf", damage)
    assert expected in pdf_structure.structure_problems(bad)[check]


def test_a_chart_paragraph_styled_figure_is_not_a_second_figure(
    built: Built, tmp_path: Path
) -> None:
    # LibreOffice tags a paragraph whose style is named "Figure" as a Figure around the chart's;
    # a council's template restyled from the old one may still carry the name.
    wrapped = tmp_path / "wrapped.pdf"
    with pikepdf.open(built.paper) as pdf:
        tree = pdf.Root.StructTreeRoot
        stack, holder = [tree], None
        while stack and holder is None:
            node = stack.pop()
            kids = node.get("/K")
            for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    if kid.get("/S") == "/Figure":
                        holder = node
                    stack.append(kid)
        assert holder is not None
        holder.S = pikepdf.Name.Figure
        pdf.save(wrapped)
    assert pdf_structure.structure_problems(wrapped)["figures"] != []
    mended = tmp_path / "mended.pdf"
    mended.write_bytes(pdf_finish.finished(wrapped))
    assert pdf_structure.structure_problems(mended)["figures"] == []
    assert len(figures(mended)) == 1


# pdfua (PyPI) checks 16 of PDF/UA-1's 106 machine-checkable rules. It misses /Tabs and empty
# paragraphs (the checks above cover them), and its empty-heading rule UA-14-001 fails on every
# heading whose /K is an array, as LibreOffice writes them, so it is reported skipped. We make no
# PDF/UA claim (pdfuaid) in XMP, having no full validator; UA-28-004 notes that, rightly.
PDFUA_SKIPS_KNOWN = {"UA-14-001"}
PDFUA_NO_CLAIM = "UA-28-004"


def pdfua_findings(path: Path) -> list[str]:
    """What pdfua reports, less the missing PDF/UA claim, as "rule: place: message" lines."""
    report = pdfua.validate(str(path))
    skipped = {outcome.rule_id for outcome in report.skipped}
    assert skipped <= PDFUA_SKIPS_KNOWN, f"pdfua could not run {skipped - PDFUA_SKIPS_KNOWN}"
    return [
        f"{f.rule_id}: {f.location.describe()}: {f.message}"
        for f in report.findings
        if f.rule_id != PDFUA_NO_CLAIM
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_pdfua_checker_finds_nothing(built: Built, kind: str) -> None:
    assert pdfua_findings(getattr(built, kind)) == []


@pytest.mark.parametrize(
    ("damage", "rule"), [("alt", "UA-13-004"), ("th", "UA-15-003"), ("lang", "UA-06-001")]
)
def test_pdfua_checker_flags_a_known_bad_pdf(
    built: Built, tmp_path: Path, damage: str, rule: str
) -> None:
    bad = broken(built.paper, tmp_path / "bad.pdf", damage)
    assert any(line.startswith(f"{rule}: ") for line in pdfua_findings(bad))


@pytest.mark.parametrize("kind", KINDS)
def test_xmp_holds_the_document_info_text(built: Built, kind: str) -> None:
    # PDF/A requires the two to agree; LibreOffice escaped a title's apostrophe twice in XMP.
    with pikepdf.open(getattr(built, kind)) as pdf:
        xmp = pdf.open_metadata()
        assert xmp["dc:title"] == str(pdf.docinfo.Title)
        assert xmp["dc:description"] == str(pdf.docinfo.Subject)
        assert xmp["dc:creator"] == [str(pdf.docinfo.Author)]
    if kind == "long_name":
        assert "children's services" in xmp["dc:title"]
