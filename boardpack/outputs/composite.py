"""Composite papers: a cover report and its appendices, each a paper of its own profile, made
into one .docx (and so one PDF): each appendix starts on a new page under the heading
"Appendix A: <its title>" (or as the cover's profile labels them: "Appendix 2", "Annex 1"), its
own headings one level below.

The papers are rendered before (render.py) and merged by the Word layer (docx/compose.py); the
result gets a new identifier for the PDF proof, as a rendered paper does.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Sequence

from boardpack.outputs.word.compose import compose_with_appendices

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
    return compose_with_appendices(cover, appendices, labels, made)
