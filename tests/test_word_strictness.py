"""Word refuses, as damaged, a document whose run, paragraph, cell or section properties are
out of the order the schema requires; LibreOffice does not mind, so it is checked here."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree

from boardpack.pipeline import build
from tests.conftest import EXAMPLE

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# ECMA-376 part 1: CT_RPr and CT_PPr, in order
RPR = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint"
    " noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u"
    " effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
).split()
PPR = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers"
    " pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE"
    " autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents"
    " suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle"
    " rPr sectPr pPrChange"
).split()


TCPR = (
    "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText"
    " vAlign hideMark"
).split()
SECTPR = (
    "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders"
    " lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter"
    " docGrid printerSettings"
).split()


def out_of_order(document: Path) -> list[str]:
    found = []
    with zipfile.ZipFile(document) as package:
        for name in package.namelist():
            if not (name.startswith("word/") and name.endswith(".xml")):
                continue
            root = ElementTree.fromstring(package.read(name))
            for tag, order in (("rPr", RPR), ("pPr", PPR), ("tcPr", TCPR), ("sectPr", SECTPR)):
                for properties in root.iter(W + tag):
                    names = [c.tag.removeprefix(W) for c in properties]
                    ranks = [order.index(n) for n in names if n in order]
                    if ranks != sorted(ranks):
                        found.append(f"{name}: {tag} {names}")
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    build([EXAMPLE], out, pdf=False, pack=True)
    return out


@pytest.mark.parametrize("name", ["procurement.docx", "board-pack.docx"])
def test_properties_are_in_schema_order(built: Path, name: str) -> None:
    assert out_of_order(built / name) == []
