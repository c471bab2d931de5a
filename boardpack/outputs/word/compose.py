"""Word documents merged one after another: a pack's papers after its front matter, a cover
report's appendices after it.

docxcompose does the merging; this module makes it fast for many documents of one template,
starts each merged document on a new page with its headings one level down (so a paper's title
is a heading of the whole), keeps each one's page size and turned pages, and stamps the result
with an identifier of its own final parts.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.text.paragraph import Paragraph
from docxcompose.composer import Composer
from docxcompose.utils import NS
from lxml import etree

from boardpack.outputs.word.fields import bookmark_paragraph
from boardpack.outputs.word.package import identified_bytes
from boardpack.outputs.word.sections import end_upright, keep_own_page, settle_sections
from boardpack.outputs.word.styles import HEADINGS_IN_PACK, pack_heading_levels, restyle_headings


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


class PackDocument:
    """A pack's .docx as it is put together: its front matter, then each paper appended on a
    new page, its first paragraph under a bookmark, its headings one level below the pack's.

    The pack's Heading 1 to 3 are put at outline levels 1 to 3 and its Title at none, so the
    PDF's bookmarks and the contents' page numbers follow them (pack_heading_levels)."""

    def __init__(self, front: bytes) -> None:
        self._composer = PackComposer(Document(io.BytesIO(front)))
        pack_heading_levels(self._composer.doc)
        # Each paper's lists are its own already; docxcompose's restart would renumber 2.1 as 1.1.
        self._composer.restart_numbering = False

    def append(self, docx: Path, bookmark: str, bookmark_id: int) -> None:
        """Append a paper's .docx; it starts on a new page, its first paragraph bookmarked."""
        pack = self._composer.doc
        body = pack.element.body
        paper = Document(str(docx))
        keep_own_page(pack, paper)  # an A3 paper stays A3 in an A4 pack
        # The paper goes before the final section properties, and after any paragraph closing
        # the pack's section so far: its first paragraph is the one the bookmark marks.
        first_index = len(body) - 1
        end_upright(paper)  # its turned pages stay turned in the pack
        # The paragraphs keep their own numbering, so each paper's sections still start at 1.
        restyle_headings(paper, pack, HEADINGS_IN_PACK)
        self._composer.append(paper)
        first = body[first_index]
        Paragraph(first, pack._body).paragraph_format.page_break_before = True
        bookmark_paragraph(first, bookmark_id, bookmark)

    def finish(self, made: dt.datetime) -> bytes:
        """The pack's .docx bytes, dated `made`, its identifier a hash of its final parts."""
        self._composer.renumber_once()
        settle_sections(self._composer.doc)
        return identified_bytes(self._composer.doc, made)


def compose_with_appendices(
    cover: bytes, appendices: Sequence[bytes], labels: Sequence[str], made: dt.datetime
) -> bytes:
    """The cover's .docx with each appendix's appended after it, on a new page, its title
    headed with its label ("Appendix A: <its title>") and its headings one level below."""
    document = Document(io.BytesIO(cover))
    composer = PackComposer(document)
    composer.restart_numbering = False  # each appendix's lists are its own already
    body = document.element.body
    end_upright(document)  # a cover ending on turned pages, and each appendix, keep them
    for index, data in enumerate(appendices):
        appendix = Document(io.BytesIO(data))
        keep_own_page(document, appendix)  # an A3 appendix stays A3 after an A4 cover
        end_upright(appendix)
        title = next(
            (p for p in appendix.paragraphs if p.style is not None and p.style.name == "Title"),
            None,
        )
        if title is not None and title.runs:
            title.runs[0].text = f"{labels[index]}: {title.runs[0].text}"
        restyle_headings(appendix, document, HEADINGS_IN_PACK)
        first_index = len(body) - 1  # before the cover's final section properties
        composer.append(appendix)
        Paragraph(body[first_index], document._body).paragraph_format.page_break_before = True
    composer.renumber_once()
    settle_sections(document)
    return identified_bytes(document, made)  # a new document: a new identity
