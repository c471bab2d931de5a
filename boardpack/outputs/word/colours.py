"""Text colours and fills in Word XML: what a run, paragraph, cell or style sets, resolved
through the styles' basedOn chains as Word resolves them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from docx.oxml.ns import qn
from docx.styles import BabelFish

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


@dataclass(frozen=True)
class Look:
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


def _look(element: Any) -> Look:
    """The colour and fill an element's rPr, pPr or tcPr set directly."""
    if element is None:
        return Look()
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
    return Look(colour, fill)


def page_colour(document: Any) -> str:
    """A python-docx Document's page colour (its background), white unless it sets one."""
    background = document.part.element.find(qn("w:background"))
    return _hex(background.get(qn("w:color")) if background is not None else None) or WHITE


class StyleColours:
    """A document's styles, each resolved through its basedOn chain, and its page colour."""

    def __init__(self, styles: Any, page: str) -> None:
        self.by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
        defaults = styles.find(qn("w:docDefaults"))
        run = defaults.find(f"{qn('w:rPrDefault')}") if defaults is not None else None
        self.default = _look(run)
        self.page = page

    def name(self, style_id: str) -> str:
        """The name Word shows for a style."""
        style = self.by_id.get(style_id)
        node = style.find(qn("w:name")) if style is not None else None
        name = node.get(qn("w:val")) if node is not None else None
        # Built-in styles are stored by their internal names ("heading 1"); Word shows these.
        return BabelFish.internal2ui(name) if name else style_id

    def resolve(self, style_id: str | None) -> Look:
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
        return Look(colour or self.default.colour, fill or self.default.fill)


def _paragraph_look(paragraph: Any, styles: StyleColours) -> tuple[str, Look]:
    """A paragraph's style name and its resolved colour and fill (its own shading first)."""
    ppr = paragraph.find(qn("w:pPr"))
    ref = ppr.find(qn("w:pStyle")) if ppr is not None else None
    style_id = ref.get(qn("w:val")) if ref is not None else "Normal"
    look = styles.resolve(style_id)
    own = _look(paragraph)
    return styles.name(style_id), Look(look.colour, own.fill or look.fill)


def _cell_fill(paragraph: Any) -> str | None:
    """The fill of the table cell a paragraph is in, if it is in a shaded one."""
    parent = paragraph.getparent()
    while parent is not None and parent.tag != qn("w:tc"):
        parent = parent.getparent()
    return _look(parent).fill if parent is not None else None


def run_colours(part: Any, styles: StyleColours) -> Iterator[tuple[str, str | None, str | None]]:
    """Each run's colour and what it sits on, where the run or its cell sets either directly,
    with where it is (its text and style) in words."""
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


def paragraph_colours(part: Any, styles: StyleColours) -> Iterator[tuple[str, str, Look, str]]:
    """Each paragraph's text, style name, resolved colour and fill, and what it is printed on
    (its cell's fill, else its own, else the page)."""
    for paragraph in part.iter(qn("w:p")):
        text = "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
        name, look = _paragraph_look(paragraph, styles)
        yield text, name, look, _cell_fill(paragraph) or look.fill or styles.page
