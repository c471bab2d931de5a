"""The order Word requires of a run's, paragraph's, row's and cell's properties.

Word reports a document as damaged when a run's, paragraph's or cell's properties are out of the
order the schema gives (ECMA-376 part 1); LibreOffice does not mind. docxtpl writes some out of
order (cell shading first, bold after colour), so rendered documents are put in order here.
"""

from __future__ import annotations

from typing import Any

from docx.oxml.ns import qn

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
