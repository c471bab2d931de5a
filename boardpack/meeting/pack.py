"""The meeting's board pack: cover, contents and programme summary, then every paper in order.

The papers are merged with docxcompose, each starting on a new page with its own section
numbering. The contents are PAGEREF fields to a bookmark on each paper's first line, so
LibreOffice and Word work out the page numbers when laying the pack out.

The pack's headings are one level below a paper's: the pack's title is its Title, the Contents,
the Programme summary and each paper's title are Heading 1, a paper's sections Heading 2 and
its sub-headings Heading 3, so no level is skipped and readers that go by style see them all.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from boardpack.errors import BoardpackError, ConversionError, Problem
from boardpack.meeting.folder import agenda_order, which_meeting
from boardpack.meeting.settings import PackSettings
from boardpack.outputs.compose import HEADINGS_IN_PACK, PackComposer, restyle_headings
from boardpack.outputs.landscape import end_upright, keep_own_page, settle_sections
from boardpack.outputs.ooxml import in_schema_order
from boardpack.outputs.render import (
    PACK_TEMPLATE,
    PENDING_IDENTIFIER,
    deterministic_zip,
    document_timestamp,
    render_front_matter,
)
from boardpack.paper.changes import History
from boardpack.paper.context import build_pack_context, paper_bookmark
from boardpack.paper.models import Paper

FRONT_PAGES = 3  # cover, contents, programme summary
PAGES_PER_PAPER_GUESS = 3  # only for Word's cached page numbers before LibreOffice lays it out
# A paper's heading styles and the pack's that take their place, one level down.


@dataclass(frozen=True)
class PackPaper:
    """A built paper as the pack needs it: its name (workbook stem), data and .docx."""

    name: str
    paper: Paper
    docx: Path
    history: History | None = None  # what changed since its last paper, from the archive
    appendices: tuple[Paper, ...] = ()  # a cover report's, A, B ... in order


def order_papers(
    papers: list[PackPaper], settings: PackSettings, settings_file: Path | None
) -> tuple[list[PackPaper], list[Problem]]:
    """Papers in agenda order (folder.agenda_order); a paper the agenda names but that was not
    built is a problem naming it."""
    ordered, unmatched = agenda_order(settings.agenda, papers, lambda p: p.name)
    problems = [
        Problem(
            str(settings_file or "boardpack.toml"),
            f"the agenda lists '{wanted}', but no paper of that name was built; add"
            f" {wanted}.xlsx, fix its errors, or remove it from the agenda",
        )
        for _, wanted in unmatched
    ]
    return ordered, problems


def meeting_of(papers: list[PackPaper], settings: PackSettings) -> tuple[str, dt.date]:
    """The pack's board and meeting date (folder.which_meeting), or BoardpackError saying why
    it is not known."""
    agreed = which_meeting(
        settings,
        ((p.name, p.paper.details.board, p.paper.details.meeting_date) for p in papers),
    )
    if agreed.board is None or agreed.date is None:
        raise BoardpackError(
            f"{agreed.unsettled()}; set board and meeting_date in boardpack.toml"
            " beside the workbooks to say which meeting the pack is for"
        )
    return agreed.board, agreed.date


class PackBuilder:
    """The pack's .docx, put together paper by paper as each paper's .docx is ready.

    The front matter is rendered first, from every paper's data; each paper's .docx is then
    appended in agenda order, so a build can merge papers while others are still rendering."""

    def __init__(
        self,
        papers: list[PackPaper],
        settings: PackSettings,
        template: Path = PACK_TEMPLATE,
    ) -> None:
        self.papers, self.settings, self.template = papers, settings, template
        board, self._date = meeting_of(papers, settings)
        # Word shows these until it updates the fields; LibreOffice works out the real ones.
        start_pages = [FRONT_PAGES + 1 + PAGES_PER_PAPER_GUESS * i for i in range(len(papers))]
        context = build_pack_context(
            board,
            self._date,
            settings.venue,
            [p.paper for p in papers],
            start_pages,
            [p.history for p in papers],
            [p.appendices for p in papers],
        )
        front = render_front_matter(context, self._date, template)
        self._composer = PackComposer(Document(io.BytesIO(front)))
        _pack_heading_levels(self._composer.doc)
        # Each paper's lists are its own already; docxcompose's restart would renumber 2.1 as 1.1.
        self._composer.restart_numbering = False
        self._expected = [p.docx for p in papers]
        self._added = 0

    def add(self, docx: Path) -> None:
        """Append the next paper of the agenda; it starts on a new page, under a bookmark."""
        if self._added >= len(self._expected) or docx != self._expected[self._added]:
            raise ValueError(f"{docx} is not the next paper of the pack")
        self._added += 1
        body = self._composer.doc.element.body
        paper = Document(str(docx))
        keep_own_page(self._composer.doc, paper)  # an A3 paper stays A3 in an A4 pack
        # The paper goes before the final section properties, and after any paragraph closing
        # the pack's section so far: its first paragraph is the one the bookmark marks.
        first_index = len(body) - 1
        end_upright(paper)  # its turned pages stay turned in the pack
        _headings_one_level_down(paper, self._composer.doc)
        self._composer.append(paper)
        first = body[first_index]
        Paragraph(first, self._composer.doc._body).paragraph_format.page_break_before = True
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(1000 + self._added))
        start.set(qn("w:name"), paper_bookmark(self._added))
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(1000 + self._added))
        first.insert(1, start)
        first.append(end)

    def without(self, names: set[str]) -> bytes:
        """The pack's .docx bytes made again from scratch, leaving out the papers named."""
        return compose_pack(
            [p for p in self.papers if p.name not in names], self.settings, self.template
        )

    def finish(self) -> bytes:
        """The pack's .docx bytes, once every paper has been added."""
        if self._added != len(self._expected):
            raise ValueError(f"the pack has {self._added} of {len(self._expected)} papers")
        self._composer.renumber_once()
        settle_sections(self._composer.doc)
        return _identified(self._composer.doc, document_timestamp(self._date))


def compose_pack(
    papers: list[PackPaper], settings: PackSettings, template: Path = PACK_TEMPLATE
) -> bytes:
    """The pack's .docx: front matter rendered from `template`, then each paper's .docx."""
    builder = PackBuilder(papers, settings, template)
    for paper in papers:
        builder.add(paper.docx)
    return builder.finish()


def _pack_heading_levels(pack: Any) -> None:
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
        _set_outline_level(style, level)
    if "Title" in styles:
        _set_outline_level(styles["Title"], None)


def _set_outline_level(style: Any, level: int | None) -> None:
    properties = style.element.get_or_add_pPr()
    for old in properties.findall(qn("w:outlineLvl")):
        properties.remove(old)
    if level is not None:
        outline = OxmlElement("w:outlineLvl")
        outline.set(qn("w:val"), str(level))
        properties.append(outline)
        in_schema_order(style.element)


def _headings_one_level_down(paper: Any, pack: Any) -> None:
    """Restyle, in place, a paper's title and headings with the pack's heading one level
    below (HEADINGS_IN_PACK); the paragraphs keep their own numbering, so each paper's
    sections still start at 1."""
    restyle_headings(paper, pack, HEADINGS_IN_PACK)


def _identified(document: Any, made: dt.datetime) -> bytes:
    """A pack's .docx bytes whose identifier (its keywords) is a hash of its own final parts,
    not the front matter's it was begun with."""
    document.core_properties.keywords = PENDING_IDENTIFIER
    buffer = io.BytesIO()
    document.save(buffer)
    return deterministic_zip(buffer.getvalue(), made, identify=True)


def destination_pages(pack_pdf: Path, bookmarks: list[str], papers: int) -> dict[str, int]:
    """The page (from 1) each bookmark named is on in the pack's PDF, found by its name, which
    the PDF keeps as a named destination; each of its `papers` must be found (paper_bookmark)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(pack_pdf)
        destinations = {name.lstrip("/"): d for name, d in reader.named_destinations.items()}
        # pypdf's get_destination_page_number looks through every page for each destination
        numbers = {
            page.indirect_reference.idnum: n
            for n, page in enumerate(reader.pages)
            if page.indirect_reference is not None
        }
        pages = {}
        expected = [paper_bookmark(n) for n in range(1, papers + 1)]
        for bookmark in dict.fromkeys([*bookmarks, *expected]):
            found = destinations.get(bookmark) or destinations.get(_pdf_name(bookmark))
            target = found.page if found is not None else None
            reference = getattr(target, "indirect_reference", None) or target
            page = numbers.get(getattr(reference, "idnum", -1))
            if page is not None:
                pages[bookmark] = page + 1
    except Exception as exc:  # pypdf raises many unrelated types on damaged files
        raise ConversionError(f"{pack_pdf}: cannot read the pack's PDF ({exc})") from exc
    missing = [b for b in expected if b not in pages]
    if missing:
        raise ConversionError(
            f"{pack_pdf}: the pack's PDF does not say where each paper starts (no destination"
            f" {missing[0]}); build again, and check that LibreOffice (or BOARDPACK_SOFFICE) is"
            " a real LibreOffice"
        )
    return pages


def _pdf_name(bookmark: str) -> str:
    """A bookmark's name as LibreOffice writes it as a PDF destination: each character but a
    letter or digit as the hex of its UTF-8 bytes (boardpack_paper_1 is boardpack5Fpaper5F1)."""
    return "".join(c if c.isascii() and c.isalnum() else c.encode().hex().upper() for c in bookmark)


def _contents_results(document: Any) -> dict[str, Any]:
    """The text element holding each contents entry's PAGEREF result, by the bookmark the
    field refers to."""
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


def contents_pages(pack_docx: Path) -> dict[str, str]:
    """The page each contents entry gives, as the pack's .docx holds it (Word shows a field's
    last result until it is updated), by the bookmark its PAGEREF field refers to."""
    return {b: text.text or "" for b, text in _contents_results(Document(str(pack_docx))).items()}


def with_contents_pages(pack_docx: Path, pages: dict[str, int]) -> bytes:
    """The pack's .docx bytes with the page of each bookmark given in the contents' PAGEREF
    results, and its identifier made again for those final parts."""
    document = Document(str(pack_docx))
    for bookmark, text in _contents_results(document).items():
        if bookmark in pages:
            text.text = str(pages[bookmark])
    with zipfile.ZipFile(pack_docx) as existing:
        stamp = dt.datetime(*existing.infolist()[0].date_time)
    return _identified(document, stamp)
