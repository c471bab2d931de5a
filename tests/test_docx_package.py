"""The Word layer's packages (outputs/word/): a paper, a cover with its appendix and a pack are
each stamped with an identifier that is the hash of their own final parts, with fixed entry
times, so that the same papers give the same bytes; no LibreOffice needed."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import docx
import pytest

from boardpack.meeting.pack import PackPaper, compose_pack
from boardpack.meeting.settings import PackSettings
from boardpack.outputs.composite import compose_appendices
from boardpack.outputs.render import render_paper
from boardpack.outputs.word.fields import pageref_pages, with_pageref_pages
from boardpack.outputs.word.package import deterministic_zip, package_identifier
from boardpack.paper.context import paper_bookmark
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE, ROOT
from tests.docx_audit import audit

COMMITTEE = ROOT / "examples" / "committee"
PORTAL = ROOT / "examples" / "prince2" / "customer-portal.xlsx"


def parts_hash(data: bytes) -> str:
    """boardpack's identifier, worked out here on its own: a SHA-256 of every part but the core
    properties, each as its name, its length and its bytes, in the package's order."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        for entry in source.infolist():
            if entry.filename != "docProps/core.xml":
                content = source.read(entry.filename)
                digest.update(f"{entry.filename}\0{len(content)}\0".encode())
                digest.update(content)
    return "boardpack-" + digest.hexdigest()


def keywords(data: bytes) -> str:
    """The keywords a .docx's core properties hold, as Word shows them (File > Info)."""
    return docx.Document(io.BytesIO(data)).core_properties.keywords


def entry_times(data: bytes) -> set[tuple[int, ...]]:
    """The times a .docx's zip entries are dated."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {entry.date_time for entry in package.infolist()}


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory) -> list[PackPaper]:
    """Two papers of different profiles, rendered to .docx files, for a pack."""
    folder = tmp_path_factory.mktemp("papers")
    made = []
    for workbook in (EXAMPLE, PORTAL):
        paper = load_paper(workbook).paper
        target = folder / f"{workbook.stem}.docx"
        target.write_bytes(render_paper(paper))
        made.append(PackPaper(workbook.stem, paper, target))
    return made


@pytest.fixture(scope="module")
def pack(papers: list[PackPaper]) -> bytes:
    """The pack of those papers, for a meeting its settings name."""
    return compose_pack(papers, PackSettings(board="Joint Improvement Board", meeting_date=DAY))


DAY = dt.date(2024, 10, 3)


def test_a_paper_is_identified_by_its_own_parts() -> None:
    data = render_paper(load_paper(EXAMPLE).paper)
    assert keywords(data) == parts_hash(data) == package_identifier(data)


def test_a_packs_identifier_is_the_hash_of_its_own_final_parts(pack: bytes) -> None:
    assert keywords(pack) == parts_hash(pack)
    assert keywords(pack) == package_identifier(pack)
    assert entry_times(pack) == {(2024, 10, 3, 0, 0, 0)}  # the meeting's day, not today


def test_the_same_papers_make_the_same_pack(papers: list[PackPaper], pack: bytes) -> None:
    again = compose_pack(papers, PackSettings(board="Joint Improvement Board", meeting_date=DAY))
    assert again == pack


def test_a_pack_with_its_contents_filled_in_is_identified_again(
    pack: bytes, tmp_path: Path
) -> None:
    first = tmp_path / "board-pack.docx"
    first.write_bytes(pack)
    assert {paper_bookmark(1), paper_bookmark(2)} <= set(pageref_pages(first))
    filled = with_pageref_pages(first, {paper_bookmark(1): 4, paper_bookmark(2): 9})
    target = tmp_path / "filled.docx"
    target.write_bytes(filled)
    pages = pageref_pages(target)
    assert (pages[paper_bookmark(1)], pages[paper_bookmark(2)]) == ("4", "9")
    assert keywords(filled) == parts_hash(filled) != keywords(pack)
    assert entry_times(filled) == entry_times(pack)
    found = audit(target)
    assert found.clean, found


def test_a_cover_with_its_appendix_is_a_new_document_with_its_own_identifier() -> None:
    cover = render_paper(load_paper(COMMITTEE / "risk-management-update.xlsx").paper)
    appendix = render_paper(load_paper(COMMITTEE / "corporate-risks.xlsx").paper)
    made = dt.datetime(2024, 9, 30)
    joined = compose_appendices(cover, [appendix], made)
    assert keywords(joined) == parts_hash(joined) not in (keywords(cover), keywords(appendix))
    assert entry_times(joined) == {(2024, 9, 30, 0, 0, 0)}


def test_a_zip_made_again_is_the_same_bytes_dated_as_told(monkeypatch: pytest.MonkeyPatch) -> None:
    data = render_paper(load_paper(EXAMPLE).paper)
    when = dt.datetime(2030, 1, 2, 3, 4, 6)
    assert deterministic_zip(data, when) == deterministic_zip(data, when)
    assert entry_times(deterministic_zip(data, when)) == {(2030, 1, 2, 3, 4, 6)}
    # a zip cannot say a day before 1980
    assert entry_times(deterministic_zip(data, dt.datetime(1970, 1, 1))) == {(1980, 1, 1, 0, 0, 0)}
