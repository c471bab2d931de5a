"""Merging Word documents one after another: a pack's papers, a cover report's appendices.

docxcompose does the merging; this module makes it fast for many documents of one template and
moves the merged document's headings one level down, so a paper's title is a heading of the
whole.
"""

from __future__ import annotations

from typing import Any

from docx.oxml.ns import qn
from docxcompose.composer import Composer
from docxcompose.utils import NS
from lxml import etree

# A paper's heading styles inside a pack (or an appendix inside its cover), one level down.
HEADINGS_IN_PACK = (("Title", "Heading 1"), ("Heading 1", "Heading 2"), ("Heading 2", "Heading 3"))


def restyle_headings(
    paper: Any, host: Any, levels: tuple[tuple[str, str], ...] = HEADINGS_IN_PACK
) -> None:
    """Give a paper's paragraphs of each style named first in `levels` the style of `host`
    named second. Styles are found by name, as a restyled template's ids may be in another
    language; a level either document lacks is left as it is."""
    moves = {}
    for source, target in levels:
        try:
            moves[paper.styles[source].style_id] = host.styles[target].style_id
        except KeyError:
            continue
    for ref in paper.element.body.iter(qn("w:pStyle")):
        moved = moves.get(ref.get(qn("w:val")))
        if moved is not None:
            ref.set(qn("w:val"), moved)


def _finds(expression: str) -> Any:
    """An XPath over docxcompose's namespaces, compiled once (lxml compiles a string each call)."""
    return etree.XPath(expression, namespaces=NS)


# What each of Composer's per-element steps looks for, as Composer itself looks for it.
_STYLE_REFERENCES = _finds(".//w:tblStyle|.//w:pStyle|.//w:rStyle")
_RELATED = _finds(".//*[@r:id]")
_NUMBERED = _finds(".//w:numId")
_IMAGES = _finds("(.//a:blip|.//asvg:svgBlip)[@r:embed]")
_DIAGRAMS = _finds(".//dgm:relIds[@r:dm]")
_SHAPES = _finds(".//v:shape/v:imagedata")
_HEADER_REFERENCES = _finds(".//w:headerReference|.//w:footerReference")


class PackComposer(Composer):
    """docxcompose's Composer, made fast for merging many papers of one template.

    Composer renumbers every bookmark and picture id in the whole document after each append,
    which makes a pack of n papers cost n squared; once at the end gives the same ids. And it
    runs each of its steps on every paragraph and table of a paper, each step searching the
    element with an XPath compiled anew; here a step runs only on an element holding what it
    looks for (found by the same XPath, compiled once), which was a quarter of a merge's time."""

    def reset_reference_mapping(self) -> None:
        super().reset_reference_mapping()
        self._styles_added: set[str] = set()

    def add_styles(self, doc: Any, element: Any) -> None:
        # Composer looks at every style of the pack for every paragraph of a paper, which was
        # two thirds of the time to merge a pack; a style it has already handled for this paper
        # (and that keeps its id) needs nothing more.
        used = {e.val for e in _STYLE_REFERENCES(element)}
        if used <= self._styles_added and all(self.mapped_style_id(i) == i for i in used):
            return
        super().add_styles(doc, element)
        self._styles_added |= used

    def add_referenced_parts(self, src_part: Any, dst_part: Any, element: Any) -> None:
        if _RELATED(element):
            super().add_referenced_parts(src_part, dst_part, element)

    def add_numberings(self, doc: Any, element: Any) -> None:
        if _NUMBERED(element):
            super().add_numberings(doc, element)

    def add_images(self, doc: Any, element: Any) -> None:
        if _IMAGES(element):
            super().add_images(doc, element)

    def add_diagrams(self, doc: Any, element: Any) -> None:
        if _DIAGRAMS(element):
            super().add_diagrams(doc, element)

    def add_shapes(self, doc: Any, element: Any) -> None:
        if _SHAPES(element):
            super().add_shapes(doc, element)

    def remove_header_and_footer_references(self, doc: Any, element: Any) -> None:
        if _HEADER_REFERENCES(element):
            super().remove_header_and_footer_references(doc, element)

    def renumber_bookmarks(self) -> None:
        pass

    def renumber_docpr_ids(self) -> None:
        pass

    def renumber_nvpicpr_ids(self) -> None:
        pass

    def renumber_once(self) -> None:
        Composer.renumber_bookmarks(self)
        Composer.renumber_docpr_ids(self)
        Composer.renumber_nvpicpr_ids(self)
