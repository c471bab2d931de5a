"""Fields and bookmarks in Word XML: a bookmark around a paragraph, and the results of the
PAGEREF fields that point at bookmarks (a pack's contents)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from boardpack.outputs.word.package import identified_bytes


def bookmark_paragraph(paragraph: Any, bookmark_id: int, name: str) -> None:
    """Put, in place, a bookmark named `name` around a paragraph element's content (after its
    properties), so a PAGEREF field and a PDF destination can find the paragraph's page."""
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    paragraph.insert(1, start)
    paragraph.append(end)


def _pageref_results(document: Any) -> dict[str, Any]:
    """The text element holding each PAGEREF field's result, by the bookmark it refers to."""
    results = {}
    for paragraph in document.element.body.iter(qn("w:p")):
        instructions = "".join(t.text or "" for t in paragraph.iter(qn("w:instrText")))
        words = instructions.split()
        if len(words) < 2 or words[0] != "PAGEREF":
            continue
        in_result = False
        for run in paragraph.iter(qn("w:r")):
            char = run.find(qn("w:fldChar"))
            if char is not None:
                in_result = char.get(qn("w:fldCharType")) == "separate"
            elif in_result and (text := run.find(qn("w:t"))) is not None:
                results[words[1]] = text
                break
    return results


def pageref_pages(docx: Path) -> dict[str, str]:
    """The page each PAGEREF field of a .docx gives, as the file holds it (Word shows a field's
    last result until it is updated), by the bookmark the field refers to."""
    return {b: text.text or "" for b, text in _pageref_results(Document(str(docx))).items()}


def with_pageref_pages(docx: Path, pages: dict[str, int]) -> bytes:
    """A .docx's bytes with the page of each bookmark given in its PAGEREF fields' results, its
    entries dated as before and its identifier made again for those final parts."""
    document = Document(str(docx))
    for bookmark, text in _pageref_results(document).items():
        if bookmark in pages:
            text.text = str(pages[bookmark])
    with zipfile.ZipFile(docx) as existing:
        stamp = dt.datetime(*existing.infolist()[0].date_time)
    return identified_bytes(document, stamp)
