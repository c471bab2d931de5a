"""The meeting's board pack: cover, contents and programme summary, then every paper in order.

This module says which papers, in which order, with which summary; the Word layer
(outputs/word/compose.py) merges them, each starting on a new page with its own section
numbering. The contents are PAGEREF fields to a bookmark on each paper's first line, so
LibreOffice and Word work out the page numbers when laying the pack out.

The pack's headings are one level below a paper's: the pack's title is its Title, the Contents,
the Programme summary and each paper's title are Heading 1, a paper's sections Heading 2 and
its sub-headings Heading 3, so no level is skipped and readers that go by style see them all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from boardpack.errors import BoardpackError, ConversionError, Problem
from boardpack.meeting.folder import agenda_order, which_meeting
from boardpack.meeting.settings import PackSettings
from boardpack.outputs.bundled import PACK_TEMPLATE
from boardpack.outputs.render import render_front_matter
from boardpack.outputs.word.compose import PackDocument

# The pack's contents as the build reads and fills them after the PDF is laid out (pipeline.py).
from boardpack.outputs.word.package import document_timestamp
from boardpack.paper.changes import History
from boardpack.paper.context import build_pack_context, paper_bookmark
from boardpack.paper.models import Paper

__all__ = [
    "PackBuilder",
    "PackPaper",
    "compose_pack",
    "destination_pages",
    "meeting_of",
    "order_papers",
]

FRONT_PAGES = 3  # cover, contents, programme summary
PAGES_PER_PAPER_GUESS = 3  # only for Word's cached page numbers before LibreOffice lays it out


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
        self._document = PackDocument(render_front_matter(context, self._date, template))
        self._expected = [p.docx for p in papers]
        self._added = 0

    def add(self, docx: Path) -> None:
        """Append the next paper of the agenda; it starts on a new page, under a bookmark."""
        if self._added >= len(self._expected) or docx != self._expected[self._added]:
            raise ValueError(f"{docx} is not the next paper of the pack")
        self._added += 1
        self._document.append(docx, paper_bookmark(self._added), 1000 + self._added)

    def without(self, names: set[str]) -> bytes:
        """The pack's .docx bytes made again from scratch, leaving out the papers named."""
        return compose_pack(
            [p for p in self.papers if p.name not in names], self.settings, self.template
        )

    def finish(self) -> bytes:
        """The pack's .docx bytes, once every paper has been added."""
        if self._added != len(self._expected):
            raise ValueError(f"the pack has {self._added} of {len(self._expected)} papers")
        return self._document.finish(document_timestamp(self._date))


def compose_pack(
    papers: list[PackPaper], settings: PackSettings, template: Path = PACK_TEMPLATE
) -> bytes:
    """The pack's .docx: front matter rendered from `template`, then each paper's .docx."""
    builder = PackBuilder(papers, settings, template)
    for paper in papers:
        builder.add(paper.docx)
    return builder.finish()


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
