"""Paragraph and heading styles in Word XML: outline levels, headings moved one level down,
the default font size, and a style renamed where LibreOffice would misread it."""

from __future__ import annotations

from typing import Any

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from boardpack.outputs.word.schema import in_schema_order

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


def pack_heading_levels(pack: Any) -> None:
    """Put, in place, the pack's Heading 1 to 3 at outline levels 1 to 3 and its Title at none,
    whatever a restyled pack template says (one restyled from the earlier template has Title
    at 1 and Heading 1 at 2), adding a Heading 3 based on Heading 2 to a template without one;
    the PDF's bookmarks and the contents' page numbers follow these levels."""
    styles = pack.styles
    for level, name in enumerate(("Heading 1", "Heading 2", "Heading 3")):
        if name in styles:
            style = styles[name]
        else:
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = styles[f"Heading {level}"] if level else styles["Normal"]
        set_outline_level(style, level)
    if "Title" in styles:
        set_outline_level(styles["Title"], None)


def set_outline_level(style: Any, level: int | None) -> None:
    """Give a python-docx paragraph style the outline level `level` (from 0), or none."""
    properties = style.element.get_or_add_pPr()
    for old in properties.findall(qn("w:outlineLvl")):
        properties.remove(old)
    if level is not None:
        outline = OxmlElement("w:outlineLvl")
        outline.set(qn("w:val"), str(level))
        properties.append(outline)
        in_schema_order(style.element)


def default_font_size(document: Any) -> Any:
    """A python-docx Document's default font size (a Length), if its styles set one."""
    size = document.styles.element.find(
        f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:sz')}"
    )
    value = size.get(qn("w:val")) if size is not None else None
    return Pt(int(value) / 2) if value and value.isdigit() else None


def rename_figure_style(document: Any) -> None:
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
