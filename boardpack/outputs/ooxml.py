"""What Word requires of a package that python-docx and docxtpl leave undone.

Word reports a document as damaged when a run's, paragraph's or cell's properties are out of the
order the schema gives (ECMA-376 part 1); LibreOffice does not mind. docxtpl writes some out of
order (cell shading first, bold after colour), so rendered documents are put in order here.
Parts that python-docx's blank document carries and Word would repair (a stylesWithEffects that
contradicts styles.xml, a zoom without its percentage, a blank thumbnail) are tidied here too,
for the bundled templates and for a council's restyled one alike.
"""

from __future__ import annotations

from typing import Any

import docxcompose.utils  # noqa: F401  (imported first so the repair below comes after it)
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import nsmap, qn

CORE_PROPERTIES = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

# docxcompose.utils, imported by docxcompose and docxtpl, rebinds python-docx's "cp" prefix to
# the custom-properties namespace; python-docx resolves "cp:lastModifiedBy" and "cp:revision"
# through it when writing core properties, so they came out twice, the set ones in the wrong
# namespace. docxcompose resolves its own "cp" through a map of its own, so this is safe for it.
nsmap["cp"] = CORE_PROPERTIES

_ORDERS = {
    "w:rPr": (
        "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint"
        " noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u"
        " effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
    ),
    "w:pPr": (
        "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers"
        " pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct"
        " autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing"
        " mirrorIndents suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl"
        " divId cnfStyle rPr sectPr pPrChange"
    ),
    "w:trPr": (
        "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader"
        " tblCellSpacing jc hidden ins del trPrChange"
    ),
    "w:tcPr": (
        "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText"
        " vAlign hideMark"
    ),
}
_RANKS = {
    qn(tag): {qn(f"w:{name}"): rank for rank, name in enumerate(names.split())}
    for tag, names in _ORDERS.items()
}


def in_schema_order(root: Any) -> None:
    """Reorder, in place, the properties of every run, paragraph and cell under `root`."""
    for tag, ranks in _RANKS.items():
        last = len(ranks)
        for properties in root.iter(tag):
            children = list(properties)
            ordered = sorted(children, key=lambda child: ranks.get(child.tag, last))
            if ordered != children:
                for child in children:
                    properties.remove(child)
                properties.extend(ordered)


def tidy_package(document: Any) -> None:
    """Remove or complete, in place, the parts of a python-docx Document that Word repairs.

    stylesWithEffects.xml (written by Word 2010 only, and by python-docx's blank document with
    160 styles and numbering that styles.xml lacks) is dropped: Word rebuilds it from
    styles.xml when it needs it. The thumbnail is dropped: a picture of a blank page is worse
    than none, and Word makes a real one when it saves. A zoom gets the percentage the schema
    requires of it."""
    part = document.part
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            del part.rels[rel_id]
    package = part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            del package.rels[rel_id]
    zoom = document.settings.element.find(qn("w:zoom"))
    if zoom is not None and zoom.get(qn("w:percent")) is None:
        zoom.set(qn("w:percent"), "100")
    _rename_figure_style(document)


def _rename_figure_style(document: Any) -> None:
    """Rename a paragraph style called "Figure" (the chart's, in templates restyled from
    boardpack's earlier one) to "Chart": LibreOffice takes a style of that name for its own
    Figure style and tags every paragraph in it as a PDF Figure, which for the chart's
    paragraph is a second figure without alt text."""
    styles = document.styles.element
    names = {s.get(qn("w:styleId")): s.find(qn("w:name")) for s in styles.iter(qn("w:style"))}
    taken = {n.get(qn("w:val")) for n in names.values() if n is not None} | set(names)
    old = next(
        (i for i, n in names.items() if n is not None and n.get(qn("w:val")) == "Figure"), None
    )
    if old is None or "Chart" in taken:
        return
    names[old].set(qn("w:val"), "Chart")
    for style in styles.iter(qn("w:style")):
        if style.get(qn("w:styleId")) == old:
            style.set(qn("w:styleId"), "Chart")
        for tag in ("w:basedOn", "w:next", "w:link"):
            for ref in style.iter(qn(tag)):
                if ref.get(qn("w:val")) == old:
                    ref.set(qn("w:val"), "Chart")
    part = document.part
    parts = [part, *(rel.target_part for rel in part.rels.values() if not rel.is_external)]
    for each in parts:
        element = getattr(each, "element", None)
        if element is None:
            continue
        for ref in element.iter(qn("w:pStyle")):
            if ref.get(qn("w:val")) == old:
                ref.set(qn("w:val"), "Chart")
