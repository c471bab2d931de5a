"""Text contrast in a Word template: every style's and run's text colour against what it is
printed on, by WCAG 2.x's contrast ratio, and the colours boardpack itself puts on text and cells.

Reads a python-docx Document (the template as loaded for rendering); knows nothing of docxtpl.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from docx.oxml.ns import qn
from docx.styles import BabelFish

from boardpack.errors import Problem
from boardpack.paper.profile import Profile

MIN_RATIO = 4.5  # WCAG 2.x level AA for body text; boardpack asks it of all text
WHITE, BLACK = "FFFFFF", "000000"
# Word's highlight colours by name (w:highlight), as it draws them.
HIGHLIGHTS = {
    "yellow": "FFFF00",
    "green": "00FF00",
    "cyan": "00FFFF",
    "magenta": "FF00FF",
    "blue": "0000FF",
    "red": "FF0000",
    "darkBlue": "000080",
    "darkCyan": "008080",
    "darkGreen": "008000",
    "darkMagenta": "800080",
    "darkRed": "800000",
    "darkYellow": "808000",
    "darkGray": "808080",
    "lightGray": "C0C0C0",
    "black": BLACK,
    "white": WHITE,
}


def luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an RRGGBB colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(text: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two RRGGBB colours, from 1 to 21."""
    light, dark = sorted((luminance(text), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True)
class _Look:
    """A text colour and the fill it sits on, None where not set at this level."""

    colour: str | None = None
    fill: str | None = None


def _hex(value: str | None) -> str | None:
    """An RRGGBB value as Word writes it, or None for auto, unset or malformed."""
    if value is None or len(value) != 6:
        return None
    try:
        int(value, 16)
    except ValueError:
        return None
    return value.upper()


def _look(element: Any) -> _Look:
    """The colour and fill an element's rPr, pPr or tcPr set directly."""
    if element is None:
        return _Look()
    colour = fill = None
    rpr = element.find(qn("w:rPr"))
    if rpr is not None:
        node = rpr.find(qn("w:color"))
        colour = _hex(node.get(qn("w:val"))) if node is not None else None
        node = rpr.find(qn("w:highlight"))
        if node is not None:
            fill = HIGHLIGHTS.get(node.get(qn("w:val")) or "")
        node = rpr.find(qn("w:shd"))
        if fill is None and node is not None:
            fill = _hex(node.get(qn("w:fill")))
    for tag in ("w:pPr", "w:tcPr"):
        props = element.find(qn(tag))
        node = props.find(qn("w:shd")) if props is not None else None
        if fill is None and node is not None:
            fill = _hex(node.get(qn("w:fill")))
    return _Look(colour, fill)


class _Styles:
    """The template's styles, each resolved through its basedOn chain."""

    def __init__(self, styles: Any, page: str) -> None:
        self.by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
        defaults = styles.find(qn("w:docDefaults"))
        run = defaults.find(f"{qn('w:rPrDefault')}") if defaults is not None else None
        self.default = _look(run)
        self.page = page

    def name(self, style_id: str) -> str:
        style = self.by_id.get(style_id)
        node = style.find(qn("w:name")) if style is not None else None
        name = node.get(qn("w:val")) if node is not None else None
        # Built-in styles are stored by their internal names ("heading 1"); Word shows these.
        return BabelFish.internal2ui(name) if name else style_id

    def resolve(self, style_id: str | None) -> _Look:
        """A style's colour and fill, inherited where it sets none; unset stays None."""
        colour = fill = None
        seen: set[str] = set()
        while style_id and style_id not in seen and style_id in self.by_id:
            seen.add(style_id)
            style = self.by_id[style_id]
            look = _look(style)
            colour, fill = colour or look.colour, fill or look.fill
            based = style.find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None
        return _Look(colour or self.default.colour, fill or self.default.fill)


def template_contrast(document: Any, template_name: str, profile: Profile) -> list[Problem]:
    """Every text colour in a template (its styles, its runs' direct formatting and the colours
    boardpack fills in from `profile`) whose contrast with its background is below MIN_RATIO."""
    body = document.part.element
    background = body.find(qn("w:background"))
    page = _hex(background.get(qn("w:color")) if background is not None else None) or WHITE
    styles = _Styles(document.styles.element, page)
    parts = [document.part.element]
    for section in document.sections:
        for story in (
            section.header,
            section.footer,
            section.first_page_header,
            section.first_page_footer,
            section.even_page_header,
            section.even_page_footer,
        ):
            if not story.is_linked_to_previous and story.part.element not in parts:
                parts.append(story.part.element)
    found: dict[tuple[str, str, str], None] = {}  # in order, each pairing once

    def check(where: str, colour: str | None, fill: str | None) -> None:
        text, behind = colour or BLACK, fill or page
        if colour is None and fill is None:
            return  # automatic colour on the page: Word picks black or white to contrast
        if contrast_ratio(text, behind) < MIN_RATIO:
            found[(where, text, behind)] = None

    for style_id in styles.by_id:
        look = styles.resolve(style_id)
        check(f"style '{styles.name(style_id)}'", look.colour, look.fill)
    for part in parts:
        for where, colour, fill in _runs(part, styles):
            check(where, colour, fill)
        for where, colour, fill in _boardpack_colours(part, styles, profile):
            check(where, colour, fill)
    return [
        Problem(
            template_name,
            f"{where}: text #{text} on #{behind} has a contrast of"
            f" {contrast_ratio(text, behind):.2f}:1, below the {MIN_RATIO}:1 that WCAG 2.x"
            " asks of text; darken the text or lighten what it sits on",
        )
        for where, text, behind in found
    ]


def _paragraph_look(paragraph: Any, styles: _Styles) -> tuple[str, _Look]:
    """A paragraph's style name and its resolved colour and fill (its own shading first)."""
    ppr = paragraph.find(qn("w:pPr"))
    ref = ppr.find(qn("w:pStyle")) if ppr is not None else None
    style_id = ref.get(qn("w:val")) if ref is not None else "Normal"
    look = styles.resolve(style_id)
    own = _look(paragraph)
    return styles.name(style_id), _Look(look.colour, own.fill or look.fill)


def _cell_fill(paragraph: Any) -> str | None:
    """The fill of the table cell a paragraph is in, if it is in a shaded one."""
    parent = paragraph.getparent()
    while parent is not None and parent.tag != qn("w:tc"):
        parent = parent.getparent()
    return _look(parent).fill if parent is not None else None


def _runs(part: Any, styles: _Styles) -> Iterator[tuple[str, str | None, str | None]]:
    """Each run's colour and what it sits on, where the run or its cell sets either directly."""
    for paragraph in part.iter(qn("w:p")):
        name, look = _paragraph_look(paragraph, styles)
        cell = _cell_fill(paragraph)
        if cell is not None:
            yield f"a table cell in style '{name}'", look.colour, cell
        for run in paragraph.iter(qn("w:r")):
            own = _look(run)
            if own.colour is None and own.fill is None:
                continue
            text = "".join(t.text or "" for t in run.iter(qn("w:t"))).strip()
            where = f"text '{text[:40]}' in style '{name}'" if text else f"a run in '{name}'"
            yield where, own.colour or look.colour, own.fill or cell or look.fill


def _boardpack_colours(
    part: Any, styles: _Styles, profile: Profile
) -> Iterable[tuple[str, str | None, str]]:
    """The colours boardpack puts on text (the RAG status) and cells (LxI bands, the pack's
    status and risk cells), against what the template prints them with."""
    for paragraph in part.iter(qn("w:p")):
        text = "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
        name, look = _paragraph_look(paragraph, styles)
        behind = _cell_fill(paragraph) or look.fill or styles.page
        words = profile.status.words if profile.status is not None else ()
        if "{{r status" in text or "{{r field.value" in text:
            for word in words:
                yield f"the {word.name} status (style '{name}')", word.colour, behind
        if "cellbg" in text:
            bands = profile.risk.bands if profile.risk is not None else ()
            fills = [w.fill for w in words] if "status_fill" in text else [b.colour for b in bands]
            for fill in fills:
                yield f"a shaded cell in style '{name}'", look.colour or BLACK, fill
