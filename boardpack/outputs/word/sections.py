"""Sections and page set-up in Word XML: a profile's page size, orientation and margins, each
merged paper keeping its own page, and landscape pages for a section whose register or table is
too wide for a portrait page.

A template marks where a section may turn with two empty paragraphs of the style "Section
Turn", one before the section's heading and one after its block, both inside `{%p if
section.landscape %}` (report.docx does). The context decides which sections turn (by their
tables' widths, paper/context.py); after rendering, each pair of marks left is made into two
section breaks: the first ends the portrait pages before it, the second ends the landscape
pages of the section. Both copy the paper's own last section (its page size, margins, header
and footer), so a council's page set-up carries through, the second turned on its side. A
style, not a mark in the XML, because Word keeps a paragraph's style when it saves a template.

A turned page is wider, so its header and footer are copies of the paper's whose right-aligned
(and centred) tab stops move out with the right margin: the running header still ends at the
right margin. LibreOffice 7.4 places a Word positional tab (ptab) as an ordinary one, so the
copies are the way that works in both.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from docx.parts.hdrftr import FooterPart, HeaderPart

from boardpack.outputs.word.schema import in_schema_order
from boardpack.paper.profile import Orientation, Page, PageSize

TURN_STYLE = "SectionTurn"  # the style id of "Section Turn"


def turns_pages(document: Any) -> bool:
    """Whether the template marks sections it may turn, in pairs, and has the page set-up
    (its last section's properties) that the turned pages copy."""
    body = document.docx.element.body
    marks = _marks(body)
    return bool(marks) and len(marks) % 2 == 0 and body.find(qn("w:sectPr")) is not None


def set_page(document: Any, page: Page) -> None:
    """Give every section of a python-docx document `page` (what it leaves unsaid is the
    template's), its margins kept; the running header's and footer's right and centre tab
    stops move with the right margin."""
    body = document.element.body
    sections = list(body.iter(qn("w:sectPr")))
    final = body.find(qn("w:sectPr"))
    if final is None:
        return
    before = copy.deepcopy(final)
    for section in sections:
        size = _page_size(section)
        if page.size is not None:
            width, height = PAGE_TWIPS[page.size]
            size.set(qn("w:w"), str(width))
            size.set(qn("w:h"), str(height))
        across = int(size.get(qn("w:w"))) > int(size.get(qn("w:h")))
        if page.orientation is not None:
            across = page.orientation is Orientation.LANDSCAPE
        _orient(size, landscape=across)
    wider = _text_width(final) - _text_width(before)
    if wider:
        for part in _header_parts(document, final):
            for paragraph in part.element.iter(qn("w:p")):
                _move_tabs(document, paragraph, wider)


# Each size's width and height upright, in twips, as Word writes them.
PAGE_TWIPS = {
    PageSize.A4: (11906, 16838),
    PageSize.A3: (16838, 23811),
    PageSize.LETTER: (12240, 15840),
}


def _header_parts(document: Any, section: Any) -> list[Any]:
    part = document.part
    found = []
    for reference in section.iterchildren(qn("w:headerReference"), qn("w:footerReference")):
        relationship = part.rels.get(reference.get(qn("r:id")) or "")
        if relationship is not None and not relationship.is_external:
            found.append(relationship.target_part)
    return found


def _page_size(section: Any) -> Any:
    """A section's page size (w:pgSz), A4's upright when it gives none."""
    size = section.find(qn("w:pgSz"))
    if size is None:
        size = section.makeelement(qn("w:pgSz"), {qn("w:w"): "11906", qn("w:h"): "16838"})
        at = sum(1 for child in section if child.tag in _BEFORE_SIZE)
        section.insert(at, size)
    return size


def turn_pages(document: Any, pages: Sequence[dict[str, Any] | None] = ()) -> None:
    """Make each rendered pair of marks into the section breaks around a section printed on
    pages of its own: the `pages` the context gave each in order (width_cm, height_cm), the
    paper's turned on its side where none is given. Two such sections in a row on the same
    page share their pages."""
    body = document.docx.element.body
    marks = _marks(body)
    final = body.find(qn("w:sectPr"))
    if final is None or len(marks) % 2:
        return
    pairs = [[start, end] for start, end in zip(marks[0::2], marks[1::2], strict=True)]
    wanted = list(pages) + [None] * (len(pairs) - len(pages))
    merged: list[list[Any]] = []
    for (start, end), page in zip(pairs, wanted, strict=False):
        if merged and _next_paragraph(merged[-1][1]) is start and merged[-1][2] == page:
            body.remove(merged[-1][1])
            body.remove(start)
            merged[-1][1] = end
        else:
            merged.append([start, end, page])
    if not merged:
        return
    # Each break copies the paper's last section; `final` itself changes only after the loop.
    own_pages: dict[Any, Any] = {}
    for _, _, page in merged:
        key = _page_key(page)
        if key not in own_pages:
            own_pages[key] = _turn(_later(copy.deepcopy(final)), page)
            _widen_headers(document.docx, own_pages[key], final)
    for number, (start, end, page) in enumerate(merged):
        turned = own_pages[_page_key(page)]
        before = copy.deepcopy(final)
        _end_section(start, before if number == 0 else _later(before))
        if _next_paragraph(end) is None:  # the paper ends turned: its last section turns
            body.remove(end)
            body.replace(final, copy.deepcopy(turned))
        else:
            _end_section(end, copy.deepcopy(turned))
    _later(final)


def _page_key(page: dict[str, Any] | None) -> Any:
    return None if page is None else (page["width_cm"], page["height_cm"])


def _marks(body: Any) -> list[Any]:
    return [
        p
        for p in body.iterchildren(qn("w:p"))
        if (style := p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")) is not None
        and style.get(qn("w:val")) == TURN_STYLE
    ]


def _next_paragraph(paragraph: Any) -> Any:
    """The body's next paragraph or table after `paragraph`, None at the end."""
    following = paragraph.getnext()
    return following if following is not None and following.tag != qn("w:sectPr") else None


def _end_section(paragraph: Any, section: Any) -> None:
    properties = paragraph.find(qn("w:pPr"))
    for old in properties.findall(qn("w:sectPr")):
        properties.remove(old)
    change = properties.find(qn("w:pPrChange"))
    if change is not None:
        change.addprevious(section)
    else:
        properties.append(section)


def _later(section: Any) -> Any:
    """A section after the paper's first: no first-page header of its own (the paper's title
    page has that) and page numbers that run on."""
    for title_page in section.findall(qn("w:titlePg")):
        section.remove(title_page)
    numbering = section.find(qn("w:pgNumType"))
    if numbering is not None and numbering.get(qn("w:start")) is not None:
        del numbering.attrib[qn("w:start")]
    return section


# The children of a section's properties that come before its page size (ECMA-376 17.6.17).
_BEFORE_SIZE = {qn(f"w:{n}") for n in ("headerReference", "footerReference", "footnotePr")}
_BEFORE_SIZE |= {qn("w:endnotePr"), qn("w:type")}


def _turn(section: Any, page: dict[str, Any] | None = None) -> Any:
    """Turn a section's page on its side (A4's when it gives none), or give it `page` (its
    width_cm and height_cm): the same margins, starting on a new page."""
    for kind in section.findall(qn("w:type")):
        section.remove(kind)
    size = _page_size(section)
    if page is None:
        _orient(size, landscape=True)
        return section
    size.set(qn("w:w"), str(round(page["width_cm"] * _TWIPS_PER_CM)))
    size.set(qn("w:h"), str(round(page["height_cm"] * _TWIPS_PER_CM)))
    _orient(size, landscape=page["width_cm"] > page["height_cm"])
    return section


_TWIPS_PER_CM = 1440 / 2.54


def _orient(size: Any, *, landscape: bool) -> None:
    """Set a page size (w:pgSz) upright or on its side: its longer side across or down."""
    width, height = int(size.get(qn("w:w"), "11906")), int(size.get(qn("w:h"), "16838"))
    if (width > height) != landscape:
        size.set(qn("w:w"), str(height))
        size.set(qn("w:h"), str(width))
    if landscape:
        size.set(qn("w:orient"), "landscape")
    else:
        size.attrib.pop(qn("w:orient"), None)


def _twips(section: Any, name: str, attribute: str, default: int) -> int:
    element = section.find(qn(f"w:{name}"))
    value = element.get(qn(f"w:{attribute}")) if element is not None else None
    return int(value) if value is not None and value.lstrip("-").isdigit() else default


def _text_width(section: Any) -> int:
    """A section's text width in twips (A4 with 2.5 cm margins when it gives none)."""
    width = _twips(section, "pgSz", "w", 11906)
    return width - _twips(section, "pgMar", "left", 1417) - _twips(section, "pgMar", "right", 1417)


def _widen_headers(document: Any, turned: Any, portrait: Any) -> None:
    """In a python-docx document, point the turned section's header and footer references
    at copies of the portrait section's whose right and centre tab stops sit that much
    further out."""
    wider = _text_width(turned) - _text_width(portrait)
    if wider <= 0:
        return
    part = document.part
    for reference in turned.iterchildren(qn("w:headerReference"), qn("w:footerReference")):
        old_id = reference.get(qn("r:id"))
        # By its relationship: docxtpl puts each rendered header in place of the template's.
        relationship = part.rels.get(old_id) if old_id else None
        if relationship is None or relationship.is_external:
            continue
        original = relationship.target_part
        header = reference.tag == qn("w:headerReference")
        kind = HeaderPart if header else FooterPart
        copied = kind.new(part.package)
        copied._element = copy.deepcopy(original._element)
        # The copy's own pictures and links are the original's, under the copy's ids.
        renamed = {}
        for rel_id, rel in original.rels.items():
            if rel.is_external:
                renamed[rel_id] = copied.relate_to(rel.target_ref, rel.reltype, is_external=True)
            else:
                renamed[rel_id] = copied.relate_to(rel.target_part, rel.reltype)
        for element in copied.element.iter():
            for name, value in element.attrib.items():
                if name.startswith(f"{{{_R}}}") and value in renamed:
                    element.set(name, renamed[value])
        for paragraph in copied.element.iter(qn("w:p")):
            _move_tabs(document, paragraph, wider)
        in_schema_order(copied.element)
        relation = RELATIONSHIP_TYPE.HEADER if header else RELATIONSHIP_TYPE.FOOTER
        reference.set(qn("r:id"), part.relate_to(copied, relation))


_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MOVED = {"right": 1.0, "end": 1.0, "center": 0.5}  # how far each kind of tab stop moves


def _move_tabs(document: Any, paragraph: Any, wider: int) -> None:
    """Move the right and centre tab stops `paragraph` has (its own or its style's) out by
    `wider` twips (a right one by all of it, a centre one by half), as tab stops of its own."""
    stops: dict[int, str] = {}  # position -> kind, the nearest definition winning
    properties = paragraph.find(qn("w:pPr"))
    if properties is None:
        properties = paragraph.makeelement(qn("w:pPr"), {})
        paragraph.insert(0, properties)
    own = properties.find(qn("w:tabs"))
    kept = list(own) if own is not None else []
    style = properties.find(qn("w:pStyle"))
    for definition in [own, *_style_tabs(document, style)]:
        for tab in definition if definition is not None else ():
            stops.setdefault(int(tab.get(qn("w:pos"), "0")), tab.get(qn("w:val"), "left"))
    moved = {at: kind for at, kind in stops.items() if kind in _MOVED}
    if not moved:
        return
    if own is not None:
        properties.remove(own)
    tabs = properties.makeelement(qn("w:tabs"), {})
    entries = [(int(t.get(qn("w:pos"), "0")), t.get(qn("w:val"), "left")) for t in kept]
    entries = [(at, kind) for at, kind in entries if at not in moved]
    for at, kind in moved.items():
        entries += [(at, "clear"), (at + int(wider * _MOVED[kind]), kind)]
    for at, kind in sorted(entries):
        tabs.append(tabs.makeelement(qn("w:tab"), {qn("w:val"): kind, qn("w:pos"): str(at)}))
    properties.append(tabs)


def _style_tabs(document: Any, style: Any) -> list[Any]:
    """The tab stop lists of a paragraph's style and the styles it is based on, nearest
    first."""
    style_id = style.get(qn("w:val")) if style is not None else None
    return [s.find(f"{qn('w:pPr')}/{qn('w:tabs')}") for s in _style_chain(document, style_id)]


def _style_chain(document: Any, style_id: str | None) -> list[Any]:
    """The paragraph style `style_id` (the default paragraph style when None) and the styles
    it is based on, nearest first."""
    styles = document.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.iterchildren(qn("w:style"))}
    if style_id is None:
        style_id = next(
            (
                s.get(qn("w:styleId"))
                for s in by_id.values()
                if s.get(qn("w:type")) == "paragraph" and s.get(qn("w:default")) in ("1", "true")
            ),
            None,
        )
    chain: list[Any] = []
    while style_id in by_id and len(chain) < 20:
        style = by_id[style_id]
        chain.append(style)
        based = style.find(qn("w:basedOn"))
        style_id = based.get(qn("w:val")) if based is not None else None
    return chain


def end_upright(document: Any) -> None:
    """Make a python-docx document whose last pages are turned end upright: those pages'
    section properties go into an empty paragraph after them, and the last section (now
    empty) is turned back. docxcompose keeps the sections a paper ends with a paragraph but
    drops a paper's last one, so a pack or a cover report appends after this, not before."""
    body = document.element.body
    final = body.find(qn("w:sectPr"))
    if final is None or not _is_turned(final):
        return
    closing = body.makeelement(qn("w:p"), {})
    properties = closing.makeelement(qn("w:pPr"), {})
    style = properties.makeelement(qn("w:pStyle"), {qn("w:val"): TURN_STYLE})
    properties.append(style)
    properties.append(copy.deepcopy(final))
    closing.append(properties)
    final.addprevious(closing)
    _orient(final.find(qn("w:pgSz")), landscape=False)


def keep_own_page(document: Any, paper: Any) -> None:
    """Before python-docx `paper` is appended to `document` (a pack, a cover report): when the
    paper's page (its last section's size and orientation, a profile's declared A3 landscape)
    is not the document's, what the document has so far is closed by a section of its own
    page, and the paper's pages by one of theirs, so each keeps its page; the paper's last
    section, which docxcompose drops, takes the document's page."""
    body, theirs = document.element.body, paper.element.body
    final, last = body.find(qn("w:sectPr")), theirs.find(qn("w:sectPr"))
    if final is None or last is None or _size_of(final) == _size_of(last):
        return
    inner = f"{qn('w:pPr')}/{qn('w:sectPr')}"
    before = final.getprevious()
    if before is not None and not (before.tag == qn("w:p") and before.find(inner) is not None):
        final.addprevious(_closing(body, copy.deepcopy(final)))
    last.addprevious(_closing(theirs, copy.deepcopy(last)))
    size = _page_size(last)
    for name in ("w", "h", "orient"):
        value = _page_size(final).get(qn(f"w:{name}"))
        if value is None:
            size.attrib.pop(qn(f"w:{name}"), None)
        else:
            size.set(qn(f"w:{name}"), value)


def _size_of(section: Any) -> tuple[str, str]:
    size = section.find(qn("w:pgSz"))
    if size is None:
        return ("11906", "16838")
    return (size.get(qn("w:w"), "11906"), size.get(qn("w:h"), "16838"))


def _closing(body: Any, section: Any) -> Any:
    """An empty paragraph ending a section with the properties `section`."""
    closing = body.makeelement(qn("w:p"), {})
    properties = closing.makeelement(qn("w:pPr"), {})
    properties.append(properties.makeelement(qn("w:pStyle"), {qn("w:val"): TURN_STYLE}))
    properties.append(section)
    closing.append(properties)
    return closing


# The children of a section's properties that come after titlePg (ECMA-376 17.6.17).
_AFTER_TITLE_PAGE = {
    qn(f"w:{n}")
    for n in ("textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange")
}


def settle_sections(document: Any) -> None:
    """After papers with sections of their own are merged into a python-docx document (a pack,
    a cover report): only its first section keeps the document's different first page (a
    pack's cover has no running header) and its page numbering's start, each later one runs
    on; every section docxcompose left without a header and footer gets the document's own
    (those of its last section), widened on turned pages; and a document ending on turned
    pages ends with their section."""
    body = document.element.body
    final = body.find(qn("w:sectPr"))
    inner = f"{qn('w:pPr')}/{qn('w:sectPr')}"
    sections = [s for p in body.iterchildren(qn("w:p")) for s in p.iterfind(inner)]
    if final is None or not sections:
        return
    first = sections[0]
    if final.find(qn("w:titlePg")) is not None and first.find(qn("w:titlePg")) is None:
        title_page = first.makeelement(qn("w:titlePg"), {})
        after = next((c for c in first if c.tag in _AFTER_TITLE_PAGE), None)
        if after is not None:
            after.addprevious(title_page)
        else:
            first.append(title_page)
    for later in [*sections[1:], final]:
        _later(later)
    upright = _references(final)
    widened: list[Any] | None = None  # made for the first turned section, shared by the rest
    for section in sections:
        if _references(section):
            continue
        if _is_turned(section) and widened is None:
            _give(section, upright)
            _widen_headers(document, section, final)
            widened = _references(section)
        else:
            _give(section, widened if _is_turned(section) and widened else upright)
    # A document ending on turned pages would end with an empty section, which LibreOffice
    # prints as a blank page: the turned pages' section becomes the last one instead.
    closing = final.getprevious()
    if (
        closing is not None
        and closing.tag == qn("w:p")
        and closing.find(inner) is not None
        and closing.find(f".//{qn('w:t')}") is None
        and closing.find(f".//{qn('w:drawing')}") is None
    ):
        ending = closing.find(inner)
        body.remove(closing)
        body.replace(final, ending)


_REFERENCES = {qn("w:headerReference"), qn("w:footerReference")}


def _references(section: Any) -> list[Any]:
    return [c for c in section if c.tag in _REFERENCES]


def _give(section: Any, references: list[Any]) -> None:
    """Copies of `references` as a section's header and footer (they come first in it)."""
    for reference in reversed(references):
        section.insert(0, copy.deepcopy(reference))


def _is_turned(section: Any) -> bool:
    size = section.find(qn("w:pgSz"))
    return size is not None and size.get(qn("w:orient")) == "landscape"
