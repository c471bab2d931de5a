"""Composite papers: a cover report and its appendices, each a paper of its own profile, made
into one .docx (and so one PDF): each appendix starts on a new page under the heading
"Appendix A: <its title>" (or as the cover's profile labels them: "Appendix 2", "Annex 1"), its
own headings one level below.

Only python-docx and docxcompose; the papers are rendered before (render.py), and the result
gets a new identifier for the PDF proof, as a rendered paper does.
"""

from __future__ import annotations

import datetime as dt
import io
import string
from collections.abc import Sequence

from docx import Document
from docx.text.paragraph import Paragraph

from boardpack.outputs.compose import HEADINGS_IN_PACK, PackComposer, restyle_headings
from boardpack.outputs.landscape import end_upright, keep_own_page, settle_sections
from boardpack.outputs.render import PENDING_IDENTIFIER, deterministic_zip

LETTERS = string.ascii_uppercase


def appendix_letter(index: int) -> str:
    """A, B, ... Z, then AA, AB ... as committee papers letter them."""
    if index < len(LETTERS):
        return LETTERS[index]
    return appendix_letter(index // len(LETTERS) - 1) + LETTERS[index % len(LETTERS)]


def compose_appendices(
    cover: bytes,
    appendices: Sequence[bytes],
    made: dt.datetime,
    labels: Sequence[str] | None = None,
) -> bytes:
    """The cover's .docx with each appendix's appended after it under its label ("Appendix
    2"), lettered from A when no labels are given."""
    labels = labels or [f"Appendix {appendix_letter(i)}" for i in range(len(appendices))]
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
    document.core_properties.keywords = PENDING_IDENTIFIER  # a new document: a new identity
    buffer = io.BytesIO()
    composer.save(buffer)
    return deterministic_zip(buffer.getvalue(), made, identify=True)
