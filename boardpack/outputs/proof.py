"""Proof that a PDF is the paper it stands beside: made from that .docx, not from another one.

A converter (LibreOffice, or whatever $BOARDPACK_SOFFICE names) can write the wrong document's
PDF and still exit 0. The render stage puts an identifier of the .docx into its keywords, which
LibreOffice copies into the PDF's metadata; the PDF must carry that identifier and the paper's
title, and its first page must show the paper's opening text.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING
from xml.etree import ElementTree

from boardpack.errors import ConversionError
from boardpack.outputs.pdf import verify_pdf
from boardpack.outputs.word.text import printed_paragraphs

if TYPE_CHECKING:
    import pikepdf
    from pypdf import PageObject

__all__ = ["docx_identity", "pdf_identifier", "prove_pdf"]

_CORE = {
    "title": "{http://purl.org/dc/elements/1.1/}title",
    "keywords": "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}keywords",
}
# The opening text a PDF's first page must show is the document's first paragraph of visible
# text, whole: a paper's title (which holds the project's name, so two papers of one template
# differ), a pack's board. A whole paragraph, not a number of letters, so that the rule holds
# for any title, short ("Cabinet") or long, in any script.
_NOT_TEXT = re.compile(r"[\W_]+")
_TEXT_OBJECT_END = re.compile(rb"\bET\b")  # the operator that ends a text object
_FIRST_PART = 8  # the share of a page's content read first: 1/8


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


def pdf_identifier(pdf: Path) -> str:
    """The identifier a PDF carries in its keywords ("" if none, or if it cannot be read)."""
    import pikepdf  # here, not at the top: a build without PDFs never needs it

    try:
        with pikepdf.open(pdf) as opened:
            return str(opened.docinfo.get("/Keywords") or "").strip()
    except Exception:  # pikepdf raises its own and others on damaged files
        return ""


def prove_pdf(
    pdf: Path, docx: Path, *, shown_in: Path | None = None, checked: bool = False
) -> None:
    """Raise ConversionError unless `pdf` is a valid PDF/A of `docx`: the same title and
    identifier in its metadata, and the paper's opening text on its first page.

    `shown_in` names the files in messages as they will be in that folder (for files still in a
    staging folder); `checked` skips the PDF/A check, for a PDF verify_pdf has just passed."""
    pdf_name = shown_in / pdf.name if shown_in is not None else pdf
    docx_name = shown_in / docx.name if shown_in is not None else docx
    title, identifier, opening = docx_identity(docx)
    import pikepdf  # here, not at the top: a build without PDFs never needs it

    try:
        if not checked:
            verify_pdf(pdf)
        with pikepdf.open(pdf) as opened:
            # pikepdf reads a pack's metadata in a millisecond, where pypdf parses the whole
            # file's cross-reference table first (20 ms); the text is pypdf's, of page 1 alone.
            info = opened.docinfo
            pdf_title = str(info.get("/Title") or "").strip()
            pdf_keywords = str(info.get("/Keywords") or "").strip()
            # The identifier is the strong proof and costs nothing to read; the page's text is
            # extracted only for a PDF that passed it, to be sure of what a reader will see.
            text_found = True
            if opening and pdf_keywords == identifier and pdf_title == title:
                text_found = _page_shows(_first_page(opened), opening)
    except ConversionError as exc:
        raise ConversionError(f"{exc}; it was to be the PDF of {docx_name}") from exc
    except Exception as exc:  # pikepdf and pypdf raise many unrelated types on damaged files
        raise ConversionError(
            f"{pdf_name}: cannot read the PDF made from {docx_name} ({type(exc).__name__}: {exc})"
        ) from exc
    differences = []
    if pdf_title != title:
        differences.append(f"its title is {pdf_title!r}, the paper's is {title!r}")
    if pdf_keywords != identifier:
        differences.append(
            f"it carries the identifier {pdf_keywords or 'of no paper'!r},"
            f" the paper's is {identifier!r}"
        )
    if not differences and not text_found:
        differences.append(f"its first page does not show the paper's opening text {opening!r}")
    if differences:
        raise ConversionError(
            f"{pdf_name}: is not the PDF of {docx_name}: " + "; ".join(differences) + ". The"
            " converter made another document's PDF; nothing was kept from it. Build again, and"
            " if it happens again check that LibreOffice (or BOARDPACK_SOFFICE) is a real"
            " LibreOffice"
        )


def _first_page(opened: pikepdf.Pdf) -> PageObject:
    """The first page of an open pikepdf PDF, as pypdf reads it from a copy of that page alone
    (with its fonts and resources): pypdf need not parse the rest of a 60-page pack."""
    import pikepdf
    from pypdf import PdfReader

    alone = pikepdf.new()
    alone.pages.append(opened.pages[0])
    buffer = io.BytesIO()
    alone.save(buffer)
    return PdfReader(buffer).pages[0]


def _page_shows(page: PageObject, opening: str) -> bool:
    """Whether a page's text holds `opening` (letters and digits only)."""
    # Extracting a whole page's text takes ~60 ms, most of a proof, and the opening lies near
    # the start of the page's content. So the first part of the content, cut where a text
    # object ends, is read first; only when the opening is not there is the whole page read.
    from pypdf.generic import DecodedStreamObject, NameObject

    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    ends = (m.end() for m in _TEXT_OBJECT_END.finditer(data, len(data) // _FIRST_PART))
    cut = next(ends, len(data))
    if cut < len(data):
        head = DecodedStreamObject()
        head.set_data(data[:cut])
        whole = page.get(NameObject("/Contents"))
        page[NameObject("/Contents")] = head
        try:
            if _shows_words(opening, page.extract_text()):
                return True
        except Exception:  # a cut the parser does not like: read the whole page instead
            pass
        finally:
            page[NameObject("/Contents")] = whole
    return _shows_words(opening, page.extract_text())


def _shows_words(opening: str, text: str) -> bool:
    """Whether each word of `opening` (space-separated, in _comparable's form) is in `text`.

    A PDF's text may come out in the order its glyphs are drawn: right-to-left words (Arabic,
    Hebrew) reversed and placed in visual order, digits within them left to right. So each
    word's runs of one direction are looked for on their own, a right-to-left run either way
    round, and the words in any order."""
    comparable = _comparable(text)
    for word in opening.split():
        for run, right_to_left in _direction_runs(word):
            if run not in comparable and not (right_to_left and run[::-1] in comparable):
                return False
    return True


def _direction_runs(word: str) -> list[tuple[str, bool]]:
    """A word cut where its direction changes: (run, whether it is written right to left)."""
    runs: list[tuple[str, bool]] = []
    for char in word:
        rtl = unicodedata.bidirectional(char) in ("R", "AL")
        if runs and runs[-1][1] == rtl:
            runs[-1] = (runs[-1][0] + char, rtl)
        else:
            runs.append((char, rtl))
    return runs


def _comparable(text: str) -> str:
    """Text reduced to its letters and digits, so that line breaks, spacing, ligatures and
    soft hyphens in a PDF's text do not count as differences."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _opening_text(body: IO[bytes]) -> str:
    """A document body's first paragraph of visible text, its words in the form _comparable
    gives, a space between them."""
    for text in printed_paragraphs(body):
        opening = " ".join(c for w in text.split() if (c := _comparable(w)))
        if opening:
            return opening
    return ""
