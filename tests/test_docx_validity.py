"""Every Office file boardpack writes passes openxml-audit (the Open XML SDK's validator, with
its rules for what Word repairs): nothing reported, and Word predicted to open it as it is."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import RGBColor
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from boardpack.outputs.bundled import DEFAULT_TEMPLATE, PACK_TEMPLATE
from boardpack.pipeline import build
from boardpack.workbook.writer import write_workbook
from tests.conftest import EXAMPLE, edit_workbook
from tests.docx_audit import CLEAN, audit

CORE = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
LONG_NAME = ("Countywide Digital Procurement and Shared Contracts Transformation Programme " * 3)[
    :200
]
MILESTONES = 40
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def _long_plan(path: Path) -> Path:
    """The example with its plan extended to MILESTONES rows."""
    book = openpyxl.load_workbook(path)
    plan = book["Plan"]
    template = [cell.value for cell in plan[plan.max_row]]
    for number in range(plan.max_row, MILESTONES + 1):
        row = list(template)
        row[0] = f"Milestone {number} of the extended plan"
        row[1] = f"Milestone {number}"
        plan.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A meeting's folder of three papers (the example, a 200-character project name and a
    40-milestone plan) built with its pack, without PDFs."""
    inputs = tmp_path_factory.mktemp("inputs")
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {})
    edit_workbook(EXAMPLE, inputs / "long-name.xlsx", {"Paper!B2": LONG_NAME})
    _long_plan(edit_workbook(EXAMPLE, inputs / "long-plan.xlsx", {}))
    out = tmp_path_factory.mktemp("out")
    report = build([inputs], out, pdf=False)
    assert [p.status.value for p in report.papers] == ["built"] * 3
    plan = openpyxl.load_workbook(inputs / "long-plan.xlsx")["Plan"]
    assert sum(1 for row in plan.iter_rows(min_row=2, values_only=True) if row[0]) == MILESTONES
    assert report.pack is not None and len(report.pack.papers) == 3
    return out


@pytest.mark.parametrize("file_format", ["office2019", "microsoft365"])
@pytest.mark.parametrize(
    "name", ["procurement.docx", "long-name.docx", "long-plan.docx", "board-pack.docx"]
)
def test_paper_and_pack_pass_openxml_audit(folder: Path, name: str, file_format: str) -> None:
    result = audit(folder / name, file_format)
    assert result.clean, str(result)


@pytest.mark.parametrize("name", ["procurement.docx", "board-pack.docx"])
def test_no_blank_thumbnail_and_a_zoom_with_its_percentage(folder: Path, name: str) -> None:
    # a file browser shows the thumbnail; python-docx's is a white page
    with zipfile.ZipFile(folder / name) as package:
        assert not [n for n in package.namelist() if "thumbnail" in n]
        settings = etree.fromstring(package.read("word/settings.xml"))
    for zoom in settings.iter(qn("w:zoom")):
        assert zoom.get(qn("w:percent")) is not None  # ECMA-376 CT_Zoom: percent is required


@pytest.mark.parametrize("name", ["procurement.docx", "board-pack.docx"])
def test_the_chart_paragraph_is_styled_chart_not_figure(folder: Path, name: str) -> None:
    # LibreOffice tags a paragraph styled "Figure" as a PDF Figure, a second one without alt text
    document = docx.Document(str(folder / name))
    charts = [p for p in document.paragraphs if p._p.xpath(".//w:drawing")]
    assert charts and {p.style.name for p in charts} == {"Chart"}
    assert "Figure" not in {style.name for style in document.styles}


@pytest.mark.parametrize("template", [DEFAULT_TEMPLATE, PACK_TEMPLATE], ids=lambda p: p.name)
def test_bundled_templates_pass_openxml_audit(template: Path) -> None:
    # a council opens these in Word to restyle them
    result = audit(template)
    assert result.clean, str(result)


def _as_word_2010_left_it(template: Path, target: Path) -> Path:
    """The bundled template restyled (Heading 1 in another colour) and carrying what a
    template saved by older Word or made from python-docx's blank document brings: a
    stylesWithEffects part at odds with styles.xml, a blank thumbnail, a zoom with no
    percentage."""
    document = docx.Document(str(template))
    document.styles["Heading 1"].font.color.rgb = RGBColor(0x80, 0x00, 0x40)
    blank = docx.Document()
    effects = next(r for r in blank.part.rels.values() if r.reltype == STYLES_WITH_EFFECTS)
    thumbnail = next(
        r for r in blank.part.package.rels.values() if r.reltype == RELATIONSHIP_TYPE.THUMBNAIL
    )
    package = document.part.package
    for rel, owner in ((effects, document.part), (thumbnail, package)):
        for rel_id, existing in list(owner.rels.items()):
            if existing.reltype == rel.reltype:
                del owner.rels[rel_id]
        source = rel.target_part
        owner.relate_to(
            Part(PackURI(source.partname), source.content_type, source.blob, package),
            rel.reltype,
        )
    settings = document.settings.element
    for zoom in settings.findall(qn("w:zoom")):
        settings.remove(zoom)
    zoom = OxmlElement("w:zoom")
    zoom.set(qn("w:val"), "bestFit")
    settings.insert(0, zoom)
    document.save(str(target))
    return target


@pytest.fixture(scope="module")
def restyled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _as_word_2010_left_it(
        DEFAULT_TEMPLATE, tmp_path_factory.mktemp("template") / "restyled.docx"
    )


def test_a_restyled_template_carries_what_word_repairs(restyled: Path) -> None:
    # so the test below shows boardpack tidies it, not that it was clean already
    result = audit(restyled)
    assert result.prediction != CLEAN
    assert any("stylesWithEffects" in finding for finding in result.findings)
    with zipfile.ZipFile(restyled) as package:
        assert "docProps/thumbnail.jpeg" in package.namelist()


def test_a_paper_from_a_restyled_template_passes_openxml_audit(
    restyled: Path, tmp_path: Path
) -> None:
    report = build([EXAMPLE], tmp_path, pdf=False, pack=False, template=restyled)
    paper = report.papers[0].docx
    assert paper is not None
    result = audit(paper)
    assert result.clean, str(result)
    heading = next(p for p in docx.Document(str(paper)).paragraphs if p.style.name == "Heading 1")
    assert heading.style.font.color.rgb == RGBColor(0x80, 0x00, 0x40)  # the restyle is kept
    with zipfile.ZipFile(paper) as package:
        names = package.namelist()
        settings = etree.fromstring(package.read("word/settings.xml"))
    assert "docProps/thumbnail.jpeg" not in names
    assert "word/stylesWithEffects.xml" not in names
    zoom = settings.find(qn("w:zoom"))
    assert zoom is None or zoom.get(qn("w:percent")) is not None


def test_the_audit_fails_a_broken_docx(folder: Path, tmp_path: Path) -> None:
    document = docx.Document(str(folder / "procurement.docx"))
    paragraph = document.paragraphs[0]._p
    num_pr = paragraph.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = 99  # a list the numbering part does not define
    broken = tmp_path / "broken.docx"
    document.save(str(broken))
    result = audit(broken)
    assert not result.clean
    assert any("Numbering definition '99'" in finding for finding in result.findings)


@pytest.mark.parametrize(
    ("name", "author"), [("procurement.docx", "Jim Burness"), ("board-pack.docx", "boardpack")]
)
def test_core_properties_name_who_saved_it_once(folder: Path, name: str, author: str) -> None:
    with zipfile.ZipFile(folder / name) as package:
        core = etree.fromstring(package.read("docProps/core.xml"))
    # every property in its own namespace (dc, dcterms or the core-properties one), once each
    children = [etree.QName(child) for child in core]
    assert len({q.localname for q in children}) == len(children)
    assert {q.namespace for q in children} <= {
        CORE[1:-1],
        "http://purl.org/dc/elements/1.1/",
        "http://purl.org/dc/terms/",
    }
    assert core.findtext(f"{CORE}lastModifiedBy") == author
    assert core.findtext(f"{CORE}revision") == "1"


IMPORT_ORDERS = {
    "boardpack first": "import boardpack.outputs.word.package, docxcompose.properties",
    "docxcompose first": "import docxcompose.properties, boardpack.outputs.word.package",
}


@pytest.mark.parametrize("imports", IMPORT_ORDERS.values(), ids=IMPORT_ORDERS.keys())
def test_core_properties_hold_whichever_is_imported_first(imports: str, tmp_path: Path) -> None:
    # docxcompose rebinds python-docx's "cp" prefix when it is imported; boardpack binds it back
    script = (
        f"{imports}\nimport docx\ndocument = docx.Document()\n"
        "document.core_properties.last_modified_by = 'A. Manager'\n"
        f"document.save({str(tmp_path / 'made.docx')!r})\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    with zipfile.ZipFile(tmp_path / "made.docx") as package:
        core = etree.fromstring(package.read("docProps/core.xml"))
    assert [c.text for c in core if etree.QName(c).localname == "lastModifiedBy"] == ["A. Manager"]
    assert core.findtext(f"{CORE}lastModifiedBy") == "A. Manager"


def test_a_new_workbook_passes_openxml_audit(tmp_path: Path) -> None:
    target = tmp_path / "new.xlsx"
    write_workbook(target)
    result = audit(target)
    assert result.clean, str(result)
    # The strings moved to the shared-strings table read back as they were written.
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[:2] == ["Help", "Paper"]
    assert [c.value for c in book["Paper"][1]] == ["Field", "Value", "Notes"]
    assert book["Help"]["A1"].value == "How to fill in this workbook: JIB highlight report"


def test_audit_reads_every_finding(tmp_path: Path) -> None:
    # the helper's own edge: a package with a missing part is reported, not passed
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
    (tmp_path / "empty.docx").write_bytes(buffer.getvalue())
    assert not audit(tmp_path / "empty.docx").clean


def _struct_types(pdf: Path) -> list[tuple[str, object]]:
    """Every structure element of a tagged PDF as (its standard type, its /Alt), in order."""
    root = PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"]
    roles = root.get("/RoleMap", {})
    found: list[tuple[str, object]] = []

    def walk(node: object) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, ArrayObject):
            for child in node:
                walk(child)
        elif isinstance(node, DictionaryObject):
            if "/S" in node:
                found.append((str(roles.get(node["/S"], node["/S"])), node.get("/Alt")))
            if "/K" in node:
                walk(node["/K"])

    walk(root["/K"])
    return found


@pytest.mark.libreoffice
def test_a_template_whose_chart_style_is_named_figure_tags_one_figure(tmp_path: Path) -> None:
    # a template restyled from the earlier bundled one names the chart's style "Figure"
    template = docx.Document(str(DEFAULT_TEMPLATE))
    chart = template.styles["Chart"]
    chart.name = "Figure"
    chart.element.set(qn("w:styleId"), "Figure")
    for ref in template.element.body.iter(qn("w:pStyle")):
        if ref.get(qn("w:val")) == "Chart":
            ref.set(qn("w:val"), "Figure")
    template.save(str(tmp_path / "old.docx"))
    report = build([EXAMPLE], tmp_path / "out", pack=False, template=tmp_path / "old.docx")
    pdf = report.papers[0].pdf
    assert pdf is not None
    figures = [alt for kind, alt in _struct_types(pdf) if kind == "/Figure"]
    assert len(figures) == 1 and "Gantt chart" in str(figures[0])
