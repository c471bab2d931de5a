"""Proof that a PDF is the paper it stands beside: made from that .docx, not from another one.

A converter (LibreOffice, or whatever $BOARDPACK_SOFFICE names) can write the wrong document's
PDF and still exit 0. The render stage puts an identifier of the .docx into its keywords, which
LibreOffice copies into the PDF's metadata; the PDF must carry that identifier and the paper's
title, and its first page must begin with the paper's opening text.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from pypdf import PdfReader

from boardpack.errors import ConversionError
from boardpack.pdf import verify_pdf

__all__ = ["docx_identity", "prove_pdf"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CORE = {
    "title": "{http://purl.org/dc/elements/1.1/}title",
    "keywords": "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}keywords",
}
# How much of the paper's opening text must be found on the PDF's first page: whole paragraphs
# up to at least the first number of letters and digits, enough to tell two papers made from one
# template apart (it takes in the project's name), at most the second, so that it lies on the
# first page of any paper (a pack's cover holds little more than its board, date and place).
_OPENING_LEAST, _OPENING_MOST = 40, 80
_NOT_TEXT = re.compile(r"[\W_]+")


def docx_identity(docx: Path) -> tuple[str, str, str]:
    """A .docx's title, identifier (its keywords) and opening text, as a PDF of it must show."""
    try:
        with zipfile.ZipFile(docx) as package:
            core = ElementTree.fromstring(package.read("docProps/core.xml"))
            with package.open("word/document.xml") as body:
                opening = _opening_text(body)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError) as exc:
        raise ConversionError(
            f"{docx}: cannot read the Word paper to check its PDF against ({exc});"
            " build the paper again"
        ) from exc
    title = core.findtext(_CORE["title"]) or ""
    keywords = core.findtext(_CORE["keywords"]) or ""
    return title.strip(), keywords.strip(), opening


def prove_pdf(pdf: Path, docx: Path) -> None:
    """Raise ConversionError unless `pdf` is a valid PDF/A of `docx`: the same title and
    identifier in its metadata, and the paper's opening text on its first page."""
    title, identifier, opening = docx_identity(docx)
    try:
        verify_pdf(pdf)
        reader = PdfReader(pdf)
        info = reader.metadata
        pdf_title = ((info.title if info is not None else None) or "").strip()
        pdf_keywords = ((info.get("/Keywords") if info is not None else None) or "").strip()
        first_page = reader.pages[0].extract_text() if opening else ""
    except ConversionError as exc:
        raise ConversionError(f"{exc}; it was to be the PDF of {docx}") from exc
    except Exception as exc:  # pypdf raises many unrelated types on damaged files
        raise ConversionError(
            f"{pdf}: cannot read the PDF made from {docx} ({type(exc).__name__}: {exc})"
        ) from exc
    differences = []
    if pdf_title != title:
        differences.append(f"its title is {pdf_title!r}, the paper's is {title!r}")
    if str(pdf_keywords) != identifier:
        differences.append(
            f"it carries the identifier {str(pdf_keywords) or 'of no paper'!r},"
            f" the paper's is {identifier!r}"
        )
    if opening and opening not in _comparable(first_page):
        differences.append(f"its first page does not begin with the paper's text {opening!r}")
    if differences:
        raise ConversionError(
            f"{pdf}: is not the PDF of {docx}: " + "; ".join(differences) + ". The converter"
            " made another document's PDF; nothing was kept from it. Build again, and if it"
            " happens again check that LibreOffice (or BOARDPACK_SOFFICE) is a real LibreOffice"
        )


def _comparable(text: str) -> str:
    """Text reduced to its letters and digits, so that line breaks, spacing, ligatures and
    soft hyphens in a PDF's text do not count as differences."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _opening_text(body: IO[bytes]) -> str:
    """The first characters of a document body's visible text, in the form _comparable gives."""
    seen: list[str] = []
    length = 0
    hidden = False
    for event, element in ElementTree.iterparse(body, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _W + "r":
                hidden = False
            continue
        if tag == _W + "vanish" and element.get(_W + "val", "true") not in ("0", "false"):
            hidden = True  # hidden text is in the .docx but never in its PDF
        elif tag == _W + "t" and not hidden and element.text:
            piece = _comparable(element.text)
            seen.append(piece)
            length += len(piece)
            if length >= _OPENING_MOST:
                break
        elif tag == _W + "p":
            if length >= _OPENING_LEAST:
                break
            element.clear()  # the body of a large paper need not stay in memory
    return "".join(seen)[:_OPENING_MOST]
