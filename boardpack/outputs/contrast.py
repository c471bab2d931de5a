"""Text contrast in a Word template: every style's and run's text colour against what it is
printed on, by WCAG 2.x's contrast ratio, and the colours boardpack itself puts on text and cells.

Reads a python-docx Document (the template as loaded for rendering) through the Word layer's
colours (docx/colours.py); knows nothing of docxtpl.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boardpack.errors import Problem
from boardpack.outputs.word.colours import (
    BLACK,
    StyleColours,
    page_colour,
    paragraph_colours,
    run_colours,
)
from boardpack.paper.profile import Profile

MIN_RATIO = 4.5  # WCAG 2.x level AA for body text; boardpack asks it of all text


def luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an RRGGBB colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(text: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two RRGGBB colours, from 1 to 21."""
    light, dark = sorted((luminance(text), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def template_contrast(document: Any, template_name: str, profile: Profile) -> list[Problem]:
    """Every text colour in a template (its styles, its runs' direct formatting and the colours
    boardpack fills in from `profile`) whose contrast with its background is below MIN_RATIO."""
    page = page_colour(document)
    styles = StyleColours(document.styles.element, page)
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
        for where, colour, fill in run_colours(part, styles):
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


def _boardpack_colours(
    part: Any, styles: StyleColours, profile: Profile
) -> Iterable[tuple[str, str | None, str]]:
    """The colours boardpack puts on text (the RAG status) and cells (LxI bands, the pack's
    status and risk cells), against what the template prints them with."""
    for text, name, look, behind in paragraph_colours(part, styles):
        words = profile.status.words if profile.status is not None else ()
        if "{{r status" in text or "{{r field.value" in text:
            for word in words:
                yield f"the {word.name} status (style '{name}')", word.colour, behind
        if "cellbg" in text:
            bands = profile.risk.bands if profile.risk is not None else ()
            fills = [w.fill for w in words] if "status_fill" in text else [b.colour for b in bands]
            for fill in fills:
                yield f"a shaded cell in style '{name}'", look.colour or BLACK, fill
