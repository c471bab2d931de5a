"""Names of papers and their files: capped in bytes, not characters, so every file named after a
paper can be made, and in one Unicode form, so that "café" is one name however it was typed."""

from __future__ import annotations

import os
import subprocess
import unicodedata
from pathlib import Path

import pytest

from boardpack.files import safe_stem
from boardpack.meeting.archive import archive_papers, verify_archive
from boardpack.pipeline import Status, build
from tests.conftest import EXAMPLE, edit_workbook

NFC = unicodedata.normalize("NFC", "café")
NFD = unicodedata.normalize("NFD", "café")
LONG = "会" * 82  # 246 bytes in UTF-8: a name Linux allows, but not with ".docx" and a lock file


def units(name: str) -> int:
    """A name's length as the strictest file system counts it (see files._name_units)."""
    utf16 = len(unicodedata.normalize("NFD", name).encode("utf-16-le")) // 2
    return max(len(name.encode("utf-8")), utf16)


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        pytest.param("会" * 100, "会" * 79, id="cjk: 3 bytes a character"),
        pytest.param("😀" * 100, "😀" * 59, id="emoji: 4 bytes, 2 UTF-16 units"),
        pytest.param("é" * 200, "é" * 119, id="accents: 2 bytes, 2 units decomposed"),
        # Cut at 238 bytes, the last letter would lose one of its two accents: it goes whole.
        pytest.param("会" * 78 + "é\u0301\u0301", "会" * 78, id="a letter and its accents"),
        pytest.param("a" * 300, "a" * 120, id="ascii: 120 characters"),
        pytest.param("会" * 79 + " .x", "会" * 79, id="no trailing space or dot once cut"),
    ],
)
def test_long_names_are_cut_to_whole_characters_within_the_byte_limit(name: str, stem: str) -> None:
    assert safe_stem(name) == stem
    assert units(stem) <= 238  # 255, less what LibreOffice adds (files.MAX_STEM_UNITS)
    assert safe_stem(stem) == stem  # a cut name is a safe name: records and archive rely on it


def test_the_limit_leaves_room_for_libreoffices_lock_file() -> None:
    # The longest name made from a stem: LibreOffice's lock beside a second paper's PDF.
    stem = safe_stem("😀" * 200)
    assert len(f".~lock.{stem}-999.docx#".encode()) <= 255


@pytest.mark.libreoffice
def test_a_name_of_245_bytes_gets_its_pdf_and_can_be_archived(tmp_path: Path) -> None:
    source = edit_workbook(EXAMPLE, tmp_path / f"{LONG}.xlsx", {})
    report = build([source], tmp_path / "out")
    [paper] = report.papers
    assert paper.status is Status.BUILT, paper.error
    assert paper.name == "会" * 79
    assert str(paper.warnings[0]) == (
        "the name is too long for the files made from it (at most 120 characters and 238"
        f" bytes), so they are named '{'会' * 79}.docx' and '{'会' * 79}.pdf'; give the workbook"
        " a shorter name"
    )
    assert paper.pdf is not None and paper.pdf.name == f"{'会' * 79}.pdf"
    text = subprocess.run(
        ["pdftotext", "-l", "1", str(paper.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Procurement" in text
    filed = archive_papers(tmp_path / "out", tmp_path / "archive")
    assert filed.ok, [p.reason for p in filed.papers]
    assert verify_archive(tmp_path / "archive").problems == []


def test_two_names_cut_to_one_are_reported_as_a_clash(tmp_path: Path) -> None:
    first = edit_workbook(EXAMPLE, tmp_path / f"{'会' * 80}-draft.xlsx", {})
    second = edit_workbook(EXAMPLE, tmp_path / f"{'会' * 80}-final.xlsx", {})
    report = build([first, second], tmp_path / "out", pdf=False)
    assert [p.status for p in report.papers] == [Status.BUILT, Status.FAILED]
    assert str(report.papers[1].error) == (
        f"{second}: would write {'会' * 79}.docx, as {first} does; rename one of the workbooks"
    )


def two_forms_in_one_folder(folder: Path) -> bool:
    """Whether this file system keeps both forms of a name apart (macOS's may not)."""
    edit_workbook(EXAMPLE, folder / f"{NFC}.xlsx", {"Paper!B2": "Café (composed)"})
    edit_workbook(EXAMPLE, folder / f"{NFD}.xlsx", {"Paper!B2": "Café (decomposed)"})
    return len(os.listdir(folder)) == 2


def test_cafe_typed_in_two_unicode_forms_is_one_name_and_a_clash(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    if not two_forms_in_one_folder(inputs):
        pytest.skip("this file system does not keep the two forms apart")
    report = build([inputs], tmp_path / "out", pdf=False, pack=False)
    assert [(p.name, p.status) for p in report.papers] == [
        (NFC, Status.BUILT),
        (NFC, Status.FAILED),
    ]
    first, second = (p.source for p in report.papers)
    assert str(report.papers[1].error) == (
        f"{second}: would write {NFC}.docx, as {first} does; rename one of the workbooks"
    )
    assert sorted(p.name for p in (tmp_path / "out").glob("*.docx")) == [f"{NFC}.docx"]


@pytest.mark.parametrize(
    ("agenda", "workbook"), [(NFC, NFD), (NFD, NFC)], ids=["nfc-agenda", "nfd-agenda"]
)
def test_an_agenda_name_matches_a_workbook_typed_in_the_other_form(
    tmp_path: Path, agenda: str, workbook: str
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    edit_workbook(EXAMPLE, inputs / f"{workbook}.xlsx", {"Paper!B2": "Café"})
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {})
    (inputs / "boardpack.toml").write_text(
        f'agenda = ["procurement", "{agenda}"]\n', encoding="utf-8"
    )
    report = build([inputs], tmp_path / "out", pdf=False)
    assert report.pack is not None and report.pack.error is None
    assert report.pack.problems == []
    assert report.pack.papers == ["procurement", NFC]


@pytest.mark.libreoffice
def test_papers_whose_board_is_typed_in_two_forms_are_archived_under_one_board(
    tmp_path: Path,
) -> None:
    composed = edit_workbook(EXAMPLE, tmp_path / "a.xlsx", {"Paper!B5": f"{NFC} Board"})
    decomposed = edit_workbook(EXAMPLE, tmp_path / "b.xlsx", {"Paper!B5": f"{NFD} Board"})
    report = build([composed, decomposed], tmp_path / "out")
    assert report.ok, [str(p.error) for p in report.papers]
    filed = archive_papers(tmp_path / "out", tmp_path / "archive")
    assert filed.ok, [p.reason for p in filed.papers]
    boards = [p.name for p in (tmp_path / "archive").iterdir() if p.is_dir() and p.name[0] != "."]
    assert boards == [f"{NFC} Board"]
    assert verify_archive(tmp_path / "archive").problems == []
