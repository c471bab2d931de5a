"""A meeting's papers say what changed since the last: built, archived, changed, built again
with the archive, and read back from the .docx files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest

from boardpack.errors import Problem
from boardpack.files import RECORD_FOLDER
from boardpack.meeting.archive import archive_papers, verify_archive
from boardpack.meeting.archive_index import INDEX
from boardpack.outputs.bundled import REPORT_TEMPLATE
from boardpack.paper.changes import compare, snapshot_of
from boardpack.pipeline import build
from boardpack.workbook.validate import load_paper
from tests.conftest import ROOT

pytestmark = pytest.mark.libreoffice  # these tests convert with LibreOffice


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
        "january": root / "january",
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
    # Left out on both sides: not closed, not two new risks, and not "nothing changed".
    assert _changes(tmp_path / "out" / "procurement.docx") == [
        "Overall status: Green to Amber.",
        "New risk: Suppliers do not bid for the shared contracts (score 4).",
        "Risk closed: Lack of leadership on procurement within individual\u2026 (no longer"
        " listed).",
        "Risk closed: Failure to identify resource to undertake skills/capacity\u2026 (no longer"
        " listed).",
        "Milestone slipped: Roadmap and business case, by 3 weeks, to 21 May 2008 (was 30"
        " April 2008).",
        "Not compared: risk 'Unwillingness of authorities to collaborate on procurement', as"
        " more than one row has its wording.",
    ]


def test_two_risks_of_one_wording_in_the_last_paper_are_named_once_and_left_out() -> None:
    paper = load_paper(ROOT / "inputs" / "procurement.xlsx").paper
    now = snapshot_of(paper)
    first = now.risks[0]
    last = dataclasses.replace(now, risks=(first, first, *now.risks[1:]))
    notes: list[Problem] = []
    history = compare(paper, last, last, "folder", {}, notes)
    assert [str(n) for n in notes] == [
        "rows 1 and 2 of the last paper's register are both risk 'Unwillingness of authorities"
        " to collaborate on procurement', so risk 'Unwillingness of authorities to collaborate"
        " on procurement' is not compared with the last paper; give each its own wording"
    ]
    assert [r.trend for r in history.risks] == ["", "same", "same", "same"]
    assert history.closed == ()
    assert not history.complete


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


# --- history reads only what verify would accept ------------------------------------------------


_CHANGE_LINES = (
    "Overall status:",
    "Risk ",
    "New risk",
    "Milestone",
    "No risk",
    "Not compared",
    "Revised",
    "Appendix",
)


def _changes(docx_path: Path) -> list[str]:
    """The lines of a paper's "Changes since the last report" block; [] when it has none."""
    texts = _texts(docx_path)
    starts = [i for i, t in enumerate(texts) if t.startswith("Changes since")]
    if not starts:
        return []
    block = []
    for text in texts[starts[0] + 1 :]:
        if not text.startswith(_CHANGE_LINES):
            break
        block.append(text)
    return block


def _writable(folder: Path) -> None:
    for path in (folder, *folder.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _rehash(version: Path) -> None:
    """Make a version's manifest list its files as they are now: a forger's edit."""
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        data = (version / entry["name"]).read_bytes()
        entry["sha256"], entry["size"] = hashlib.sha256(data).hexdigest(), len(data)
    (version / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def _forge_red(version: Path) -> None:
    """The January paper made to say Red, in its workbook, its data and its manifest."""
    _writable(version)
    _edit(version / "procurement.xlsx", {}, {"Overall status": "Red"})
    data = json.loads((version / "paper.json").read_text(encoding="utf-8"))
    data["paper"]["details"]["status"] = data["history"]["status"] = "Red"
    (version / "paper.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    _rehash(version)


def _no_story(report_paper: object, paper: Path) -> None:
    built = _texts(paper)
    assert not any(t.startswith("Changes since") for t in built)
    assert not any("Red to Amber" in t or "Green to Amber" in t for t in built)


def test_an_archived_paper_forged_with_its_manifest_is_a_warning_and_no_story(
    cycle: dict[str, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(cycle["archive"], archive)
    (version,) = archive.glob("*/*/procurement/v1")
    _forge_red(version)
    assert not verify_archive(archive).ok
    report = build([cycle["inputs"]], tmp_path / "out", pdf=False, archive=archive)
    (paper,) = report.papers
    assert report.ok
    assert [str(n) for n in paper.warnings if "manifest" in str(n)] == [
        f"{archive}: the archive's Joint Improvement Board/2008-01-24/procurement/v1/"
        "manifest.json is not the one its index lists (it was changed or replaced after"
        " filing), so this paper shows no changes from it (nothing unproven is compared); run"
        " boardpack verify on the archive and restore it from a backup"
    ]
    _no_story(paper, tmp_path / "out" / "procurement.docx")


def test_a_paper_folder_swapped_for_a_link_is_a_warning_and_no_story(
    cycle: dict[str, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(cycle["archive"], archive)
    (paper_folder,) = archive.glob("*/*/procurement")
    forged = tmp_path / "elsewhere" / "procurement"
    shutil.copytree(paper_folder, forged)
    _forge_red(forged / "v1")
    _writable(paper_folder.parent)
    shutil.rmtree(paper_folder)
    os.symlink(forged, paper_folder)
    assert not verify_archive(archive).ok
    report = build([cycle["inputs"]], tmp_path / "out", pdf=False, archive=archive)
    (paper,) = report.papers
    assert any(
        "the archive's Joint Improvement Board/2008-01-24/procurement is a link, not a folder"
        " of the archive, so this paper shows no changes from it" in str(n)
        for n in paper.warnings
    ), [str(n) for n in paper.warnings]
    _no_story(paper, tmp_path / "out" / "procurement.docx")


def test_a_damaged_index_is_named_as_such_and_not_taken_for_a_first_paper(
    cycle: dict[str, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(cycle["archive"], archive)
    index = archive / INDEX
    index.chmod(0o644)
    lines = index.read_bytes().splitlines(keepends=True)
    index.write_bytes(lines[0].replace(b'"number":1', b'"number":7') + b"".join(lines[1:]))
    report = build([cycle["inputs"]], tmp_path / "out", pdf=False, archive=archive)
    (paper,) = report.papers
    warnings = [str(n) for n in paper.warnings]
    assert not any("first paper" in w for w in warnings), warnings
    assert [w for w in warnings if "index" in w] == [
        f"{archive}/index.jsonl:1: the archive's index is damaged (is numbered 7: lines were"
        " moved or cut; restore index.jsonl from a backup), so no paper shows what changed:"
        " nothing it lists is proven; run boardpack verify on the archive and restore it from a"
        " backup"
    ]
    _no_story(paper, tmp_path / "out" / "procurement.docx")


def test_an_emptied_index_is_named_and_not_taken_for_a_first_paper(
    cycle: dict[str, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(cycle["archive"], archive)
    (archive / INDEX).chmod(0o644)
    (archive / INDEX).write_bytes(b"")
    report = build([cycle["inputs"]], tmp_path / "out", pdf=False, archive=archive)
    (paper,) = report.papers
    warnings = [str(n) for n in paper.warnings]
    assert not any("first paper" in w for w in warnings), warnings
    assert any(
        "the archive's index lists nothing, though the archive holds versions" in w
        for w in warnings
    ), warnings
    _no_story(paper, tmp_path / "out" / "procurement.docx")


def test_a_last_index_line_cut_short_is_named_and_the_rest_still_tell_the_story(
    cycle: dict[str, Path], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(cycle["archive"], archive)
    index = archive / INDEX
    index.chmod(0o644)
    whole = index.read_bytes()
    assert whole.count(b"\n") == 2  # the paper, then the pack
    index.write_bytes(whole[:-40])  # the pack's line cut short
    report = build([cycle["inputs"]], tmp_path / "out", pdf=False, archive=archive)
    (paper,) = report.papers
    assert [str(n) for n in paper.warnings if "cut short" in str(n)] == [
        f"{archive}/index.jsonl:2: the last line was cut short (it has no line end), so it is"
        " skipped and the 1 lines before it are read; a version it recorded is not in the"
        " index: restore index.jsonl from a backup"
    ]
    assert _changes(tmp_path / "out" / "procurement.docx")[0] == ("Overall status: Green to Amber.")


def test_a_version_filed_before_the_archive_kept_data_is_read_from_its_workbook(
    tmp_path: Path,
) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(ROOT / "inputs", inputs)
    assert build([inputs], tmp_path / "january").ok
    record = tmp_path / "january" / RECORD_FOLDER / "procurement.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    del data["paper_data"]  # as a boardpack from before papers were kept as data recorded it
    record.write_text(json.dumps(data), encoding="utf-8")
    archive = tmp_path / "archive"
    assert archive_papers(tmp_path / "january", archive).ok
    assert not list(archive.glob("*/*/procurement/v1/paper.json"))
    assert verify_archive(archive).ok
    _next_meeting(inputs)
    report = build([inputs], tmp_path / "out", pdf=False, archive=archive)
    assert report.ok and not [w for w in report.papers[0].warnings if "archive" in str(w)]
    assert _changes(tmp_path / "out" / "procurement.docx")[:2] == [
        "Overall status: Green to Amber.",
        "Risk up: Unwillingness of authorities to collaborate on procurement, from 4 to 12.",
    ]


# --- history of whole papers, as data ----------------------------------------------------------


def test_a_profile_that_now_requires_a_column_keeps_last_meetings_history(
    cycle: dict[str, Path], tmp_path: Path
) -> None:
    # Last meeting's workbook has no Review column, so today's profile would refuse it: the
    # archive's data of it is what is compared.
    inputs = tmp_path / "inputs"
    shutil.copytree(cycle["inputs"], inputs)
    profile = (ROOT / "boardpack" / "paper" / "profiles" / "jib.toml").read_text(encoding="utf-8")
    profile += '\n[[risk.columns]]\nkey = "review"\nheader = "Review"\ntype = "short_text"\n'
    (inputs / "jib-review.toml").write_text(profile + "required = true\n", encoding="utf-8")
    settings = inputs / "boardpack.toml"
    settings.write_text('profile = "jib-review.toml"\n' + settings.read_text(encoding="utf-8"))
    _edit(
        inputs / "procurement.xlsx",
        {"Risks!G1": "Review"} | {f"Risks!G{r}": "May" for r in range(2, 6)},
    )
    report = build([inputs], tmp_path / "out", pdf=False, archive=cycle["archive"])
    assert report.ok, [str(p.error) for p in report.papers]
    assert not [w for w in report.papers[0].warnings if "archive" in str(w)]
    assert _changes(tmp_path / "out" / "procurement.docx")[:3] == [
        "Overall status: Green to Amber.",
        "Risk up: Unwillingness of authorities to collaborate on procurement, from 4 to 12.",
        "New risk: Suppliers do not bid for the shared contracts (score 4).",
    ]


def test_a_reissued_paper_for_the_same_meeting_says_it_is_revised(
    cycle: dict[str, Path], tmp_path: Path
) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(cycle["inputs"], inputs)
    archive = tmp_path / "archive"
    shutil.copytree(cycle["archive"], archive)
    first = build([inputs], tmp_path / "march", archive=archive)
    assert first.ok
    assert not any(
        t.startswith("Revised") for t in _changes(tmp_path / "march" / "procurement.docx")
    )
    assert archive_papers(tmp_path / "march", archive).ok
    again = build([inputs], tmp_path / "again", pdf=False, archive=archive)
    assert again.ok  # the same paper built again is not a revision
    assert not any(
        t.startswith("Revised") for t in _changes(tmp_path / "again" / "procurement.docx")
    )
    _edit(inputs / "procurement.xlsx", {"Risks!B3": 4, "Risks!D3": None})
    revised = build([inputs], tmp_path / "revised", archive=archive)
    assert revised.ok
    lines = _changes(tmp_path / "revised" / "procurement.docx")
    assert lines[:2] == [
        "Revised: version 2 of this paper for this meeting.",
        "Overall status: Green to Amber.",
    ]
    filed = archive_papers(tmp_path / "revised", archive)
    assert next(str(p) for p in filed.papers) == "procurement: archived as v2, superseding v1"
    # Built once more as it is, it is still version 2, and the archive holds it already.
    assert build([inputs], tmp_path / "once-more", archive=archive).ok
    assert _changes(tmp_path / "once-more" / "procurement.docx")[0] == lines[0]
    filed = archive_papers(tmp_path / "once-more", archive)
    assert str(filed.papers[0]) == "procurement: already archived as v2"


def _committee(folder: Path, meeting: dt.date) -> None:
    for book in ("corporate-risks.xlsx", "risk-management-update.xlsx"):
        _edit(folder / book, {}, {"Meeting date": dt.datetime.combine(meeting, dt.time())})
    settings = folder / "boardpack.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("2025-03-20", meeting.isoformat()),
        encoding="utf-8",
    )


def test_a_cover_report_says_what_changed_in_its_appendix(tmp_path: Path) -> None:
    folder = tmp_path / "committee"
    shutil.copytree(ROOT / "examples" / "committee", folder)
    assert build([folder], tmp_path / "march", today=dt.date(2025, 3, 1)).ok
    archive = tmp_path / "archive"
    assert archive_papers(tmp_path / "march", archive).ok
    (version,) = archive.glob("*/*/risk-management-update/v1")
    assert sorted(p.name for p in version.iterdir()) == [
        "appendix-A-corporate-risks.json",
        "appendix-A-corporate-risks.xlsx",
        "manifest.json",
        "paper.json",
        "risk-management-update.docx",
        "risk-management-update.pdf",
        "risk-management-update.xlsx",
    ]
    assert verify_archive(archive).ok
    _committee(folder, dt.date(2025, 6, 19))
    # CR03's residual likelihood 2 -> 4: its residual score 6 -> 12; the cover is unchanged.
    _edit(folder / "corporate-risks.xlsx", {"Risks!K4": 4, "Risks!M4": None})
    report = build(
        [folder], tmp_path / "june", pdf=False, archive=archive, today=dt.date(2025, 6, 1)
    )
    assert report.ok
    assert _changes(tmp_path / "june" / "risk-management-update.docx") == [
        "Appendix A (corporate-risks): Risk up: CR03 contracts are awarded in breach of the"
        " Procurement Act 2023, from 6 to 12."
    ]


def test_a_cover_whose_last_appendix_was_not_kept_never_says_nothing_changed(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "committee"
    shutil.copytree(ROOT / "examples" / "committee", folder)
    assert build([folder], tmp_path / "march", today=dt.date(2025, 3, 1)).ok
    record = tmp_path / "march" / RECORD_FOLDER / "risk-management-update.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    # As a boardpack from before papers and appendices were kept as data recorded it.
    del data["paper_data"]
    for appendix in data["appendices"]:
        del appendix["paper_data"]
    record.write_text(json.dumps(data), encoding="utf-8")
    archive = tmp_path / "archive"
    assert archive_papers(tmp_path / "march", archive).ok
    _committee(folder, dt.date(2025, 6, 19))
    report = build(
        [folder], tmp_path / "june", pdf=False, archive=archive, today=dt.date(2025, 6, 1)
    )
    assert report.ok
    assert _changes(tmp_path / "june" / "risk-management-update.docx") == [
        "Appendix A (corporate-risks): not compared with the last report (the archive keeps"
        " no data of the last paper's appendices)."
    ]
