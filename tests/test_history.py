"""A meeting's papers say what changed since the last: built, archived, changed, built again
with the archive, and read back from the .docx files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest

from boardpack.meeting.archive import archive_papers
from boardpack.outputs.render import REPORT_TEMPLATE
from boardpack.pipeline import build
from tests.conftest import ROOT


def _edit(book: Path, changes: dict[str, object], paper: dict[str, object] | None = None) -> None:
    workbook = openpyxl.load_workbook(book)
    for ref, value in changes.items():
        sheet, cell = ref.split("!")
        workbook[sheet][cell] = value
    for row in workbook["Paper"].iter_rows():
        if paper and row[0].value in paper:
            row[1].value = paper[row[0].value]
    workbook.save(book)


def _next_meeting(folder: Path) -> None:
    """The example as its manager updates it for the March meeting: status Amber, the first risk
    up from 1 x 4 to 3 x 4, the roadmap three weeks later, the fourth risk gone, a new one."""
    _edit(
        folder / "procurement.xlsx",
        {
            "Risks!B2": 3,
            "Risks!D2": None,
            "Plan!E3": dt.datetime(2008, 5, 21),
            "Risks!A5": "Suppliers do not bid for the shared contracts",
            "Risks!B5": 2,
            "Risks!C5": 2,
            "Risks!D5": None,
        },
        {
            "Meeting date": dt.datetime(2008, 3, 20),
            "Report date": dt.datetime(2008, 3, 10),
            "Overall status": "Amber",
        },
    )
    settings = folder / "boardpack.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("2008-01-24", "2008-03-20"),
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Meeting one built with PDFs and archived; meeting two built against that archive."""
    root = tmp_path_factory.mktemp("cycle")
    inputs = root / "inputs"
    shutil.copytree(ROOT / "inputs", inputs)
    first = build([inputs], root / "january")
    assert first.ok, [p.error for p in first.papers]
    archive = root / "archive"
    filed = archive_papers(root / "january", archive)
    assert filed.ok, [str(p) for p in filed.papers]
    _next_meeting(inputs)
    second = build([inputs], root / "march", pdf=False, archive=archive)
    assert second.ok, [p.error for p in second.papers]
    return {
        "inputs": inputs,
        "archive": archive,
        "paper": root / "march" / "procurement.docx",
        "pack": root / "march" / "board-pack.docx",
    }


def _texts(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs if p.text]


def test_the_paper_lists_what_changed_since_the_last_report(cycle: dict[str, Path]) -> None:
    texts = _texts(cycle["paper"])
    start = texts.index("Changes since the last report (24 January 2008)")
    assert texts[start + 1 : start + 6] == [
        "Overall status: Green to Amber.",
        "Risk up: Unwillingness of authorities to collaborate on procurement, from 4 to 12.",
        "New risk: Suppliers do not bid for the shared contracts (score 4).",
        "Risk closed: Failure to identify resource to undertake skills/capacity\u2026 (no longer"
        " listed).",
        "Milestone slipped: Roadmap and business case, by 3 weeks, to 21 May 2008 (was 30"
        " April 2008).",
    ]
    # It comes after the header fields and before the first section.
    assert texts.index("Overall status\tAmber") < start < texts.index("Recommendation")


def test_the_plan_says_how_far_a_milestone_slipped(cycle: dict[str, Path]) -> None:
    roadmap = next(t for t in _texts(cycle["paper"]) if t.startswith("Procurement roadmap"))
    assert roadmap.endswith(
        "(now due 21 May 2008: slipped by 3 weeks since the last report, from 30 April 2008)"
    )


def test_the_pack_summary_gives_the_status_it_was_and_the_highest_risks_trend(
    cycle: dict[str, Path],
) -> None:
    summary = next(
        t for t in docx.Document(str(cycle["pack"])).tables if t.rows[0].cells[0].text == "Project"
    )
    row = [c.text for c in summary.rows[1].cells]
    assert row[3] == "Amber (was Green)"
    assert row[4] == "12 \u2191 up"


def test_a_first_paper_says_once_that_it_has_no_history(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(ROOT / "inputs", inputs)
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "index.jsonl").write_bytes(b"")
    report = build([inputs], tmp_path / "out", pdf=False, archive=tmp_path / "archive")
    (paper,) = report.papers
    notes = [str(n) for n in paper.warnings if "history" in str(n) or "first paper" in str(n)]
    assert notes == [
        "the archive holds no earlier paper of procurement for the Joint Improvement Board:"
        " this is its first paper, so it shows no changes"
    ]
    built = _texts(tmp_path / "out" / "procurement.docx")
    assert not any(t.startswith("Changes since") for t in built)


def test_the_template_for_any_profile_adds_a_trend_column_with_its_key(
    cycle: dict[str, Path], tmp_path: Path
) -> None:
    report = build(
        [cycle["inputs"]],
        tmp_path / "out",
        pdf=False,
        archive=cycle["archive"],
        template=REPORT_TEMPLATE,
    )
    assert report.ok
    document = docx.Document(str(tmp_path / "out" / "procurement.docx"))
    register = next(t for t in document.tables if t.rows[0].cells[0].text == "Event")
    assert register.rows[0].cells[-1].text == "Since last"
    assert [r.cells[-1].text for r in register.rows[2:]] == [
        "\u2191 up",
        "\u2192 same",
        "\u2192 same",
        "new",
    ]
    key = [p.text for p in document.paragraphs if p.text.startswith("Trend since")]
    assert key == [
        "Trend since the last report (24 January 2008): \u2191 up, \u2193 down, \u2192 same,"
        " new: not in the last report."
    ]


def test_two_risks_of_one_wording_are_a_warning_naming_both_rows(
    cycle: dict[str, Path], tmp_path: Path
) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(cycle["inputs"], inputs)
    same = "Unwillingness of authorities to collaborate on procurement"
    _edit(inputs / "procurement.xlsx", {"Risks!A3": same})
    report = build([inputs], tmp_path / "out", pdf=False, archive=cycle["archive"])
    (paper,) = report.papers
    clashes = [str(n) for n in paper.warnings if "both risk" in str(n)]
    assert clashes == [
        "Risks!A3:F3: Risks!A2:F2 and Risks!A3:F3 are both risk 'Unwillingness of authorities"
        " to collaborate on procurement', so neither is compared with the last paper; give each"
        " its own wording"
    ]


def test_a_tampered_archive_copy_is_not_used_for_history(
    cycle: dict[str, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(cycle["archive"], archive)
    (workbook,) = archive.glob("*/*/procurement/v1/procurement.xlsx")
    workbook.chmod(0o644)
    _edit(workbook, {"Risks!B2": 4, "Risks!D2": None})
    report = build([cycle["inputs"]], tmp_path / "out", pdf=False, archive=archive)
    (paper,) = report.papers
    assert any(
        "v1/procurement.xlsx: changed: " in str(n)
        and "so this paper shows no changes from it" in str(n)
        for n in paper.warnings
    ), [str(n) for n in paper.warnings]
    built = _texts(tmp_path / "out" / "procurement.docx")
    assert not any(t.startswith("Changes since") for t in built)
