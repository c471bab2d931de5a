"""`boardpack status`: the meeting and its deadline, and each paper valid, built, stale, archived
and sent, worked out from the bundled example built for real (without PDFs, which status does not
need) and changed by content, never by waiting for file times."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import boardpack
from boardpack.cli import main
from boardpack.meeting.status import FolderStatus, folder_status
from tests.conftest import EXAMPLE, ROOT, edit_workbook

SETTINGS = """board = "Joint Improvement Board"
meetings = [2008-01-24, 2008-03-20]
agenda = ["procurement"]

[deadline]
working_days = 5
time = "10:00"
"""
# Thursday 24 January 2008: five working days before is Thursday 17 January, 10am (GMT).
BEFORE_THE_DEADLINE = dt.datetime(2008, 1, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example and its settings in inputs/, built into output/ (no PDF)."""
    root = tmp_path_factory.mktemp("meeting")
    inputs = root / "inputs"
    inputs.mkdir()
    shutil.copy(EXAMPLE, inputs / "procurement.xlsx")
    (inputs / "boardpack.toml").write_text(SETTINGS, encoding="utf-8")
    report = boardpack.build([inputs], root / "output", pdf=False)
    assert report.ok
    return root


@pytest.fixture
def meeting(built_once: Path, tmp_path: Path) -> Path:
    """A copy of the built meeting that a test may change."""
    return Path(shutil.copytree(built_once, tmp_path / "meeting"))


def status_of(root: Path, now: dt.datetime = BEFORE_THE_DEADLINE) -> FolderStatus:
    return folder_status(root / "inputs", root / "output", now=now)


def test_a_fresh_build_is_built_valid_and_not_stale_with_the_deadline_shown(meeting: Path) -> None:
    status = status_of(meeting)
    assert status.meeting.date == dt.date(2008, 1, 24)
    assert status.meeting.deadline is not None
    assert status.meeting.deadline.astimezone(dt.UTC) == dt.datetime(
        2008, 1, 17, 10, 0, tzinfo=dt.UTC
    )
    assert status.meeting.time_left == "6 days 22 hours"
    assert status.meeting.note == ""
    (paper,) = status.papers
    assert (paper.name, paper.valid, paper.problems) == ("procurement", True, 0)
    assert paper.validated_by == "build record"  # the build validated these very bytes
    assert (paper.built, paper.pdf, paper.stale) == (True, False, ())
    assert (paper.archived, paper.sent) == (None, False)
    assert status.pack is not None and status.pack.built and not status.pack.stale


def test_touching_the_workbook_is_not_a_change_but_editing_it_is(meeting: Path) -> None:
    workbook = meeting / "inputs" / "procurement.xlsx"
    later = workbook.stat().st_mtime + 3600
    os.utime(workbook, (later, later))  # newer than its outputs, the same bytes
    (paper,) = status_of(meeting).papers
    assert paper.stale == ()

    edit_workbook(workbook, workbook, {"Paper!B8": "Amber"})
    status = status_of(meeting)
    (paper,) = status.papers
    assert paper.stale == ("its workbook procurement.xlsx has changed since the build",)
    assert (paper.built, paper.valid, paper.validated_by) == (True, True, "validator")
    assert status.pack is not None
    assert status.pack.stale == ("its paper procurement is stale",)


def test_an_invalid_workbook_is_counted_and_an_output_edited_after_the_build_is_stale(
    meeting: Path,
) -> None:
    docx = meeting / "output" / "procurement.docx"
    docx.write_bytes(docx.read_bytes() + b"\0")
    workbook = meeting / "inputs" / "procurement.xlsx"
    edit_workbook(workbook, workbook, {"Risks!B2": 7, "Risks!C3": 2.5})
    (paper,) = status_of(meeting).papers
    assert (paper.valid, paper.problems) == (False, 2)
    assert "likelihood must be a whole number" in paper.error
    assert paper.stale == (
        "procurement.docx has changed since the build",
        "its workbook procurement.xlsx has changed since the build",
    )


def test_outputs_built_for_another_meeting_are_stale(meeting: Path) -> None:
    after_the_meeting = dt.datetime(2008, 2, 1, 9, 0, tzinfo=dt.UTC)
    status = status_of(meeting, now=after_the_meeting)
    assert status.meeting.date == dt.date(2008, 3, 20)
    (paper,) = status.papers
    assert paper.stale == (
        "it was built for the meeting of 2008-01-24, not 2008-03-20; give its workbook that"
        " meeting's date, then build it again",
    )


def test_no_meetings_or_settings_are_said_plainly(meeting: Path) -> None:
    settings = meeting / "inputs" / "boardpack.toml"
    settings.write_text('board = "Joint Improvement Board"\n', encoding="utf-8")
    status = status_of(meeting)
    assert status.meeting.date is None
    assert "lists no meetings; add the board's meeting dates" in status.meeting.note
    settings.unlink()
    status = status_of(meeting)
    assert any("has no boardpack.toml" in note for note in status.notes)
    (paper,) = status.papers
    assert paper.built and paper.stale == ()


def test_a_workbook_not_built_yet(meeting: Path) -> None:
    shutil.copy(meeting / "inputs" / "procurement.xlsx", meeting / "inputs" / "housing.xlsx")
    # In the agenda's order, as the pack has them; those not on it after, by name.
    procurement, housing = status_of(meeting).papers
    assert (housing.name, housing.valid, housing.validated_by) == ("housing", True, "validator")
    assert (housing.built, housing.stale, housing.archived, housing.sent) == (
        False,
        (),
        None,
        False,
    )
    assert procurement.built


def test_the_command_prints_a_table_and_json_for_scripts(meeting: Path) -> None:
    runner = CliRunner()
    inputs, out = str(meeting / "inputs"), str(meeting / "output")
    table = runner.invoke(main, ["status", inputs, "--out", out])
    assert table.exit_code == 0, table.output
    assert "procurement" in table.output and "board-pack" in table.output
    result = runner.invoke(main, ["status", inputs, "--out", out, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["format"] == 1
    assert data["board"] == "Joint Improvement Board"
    assert set(data["meeting"]) == {"date", "deadline", "time_left", "deadline_passed", "note"}
    (paper,) = data["papers"]
    assert paper == {
        "name": "procurement",
        "workbook": str(meeting / "inputs" / "procurement.xlsx"),
        "valid": True,
        "problems": 0,
        "validated_by": "build record",
        "error": "",
        "built": True,
        "pdf": False,
        "stale": False,
        "stale_reasons": [],
        "archived": None,
        "sent": False,
        "sent_to": [],
        "recipients": 0,
        "appendix_of": None,
    }
    assert data["pack"]["built"] is True
    missing = runner.invoke(main, ["status", str(meeting / "nowhere")])
    assert missing.exit_code == 1 and "is not a folder" in missing.output


def test_status_does_not_load_the_renderer_or_the_workbook_reader(meeting: Path) -> None:
    code = (
        "import sys\nfrom boardpack.cli import main\n"
        f"try:\n    main(['status', {str(meeting / 'inputs')!r}, '--out',"
        f" {str(meeting / 'output')!r}])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('matplotlib', 'docxtpl', 'docx', 'openpyxl', 'smtplib')"
        " if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.splitlines()[-1] == "[]"


@pytest.mark.libreoffice
def test_an_appendix_is_shown_in_its_cover_and_each_workbook_is_read_with_the_folders_profile(
    tmp_path: Path,
) -> None:
    # The committee example, its appendix's Profile row emptied: boardpack.toml's profile
    # (corporate-risk) is what build reads it with, and so must status.
    folder = tmp_path / "committee"
    shutil.copytree(ROOT / "examples" / "committee", folder)
    appendix = folder / "corporate-risks.xlsx"
    edit_workbook(appendix, appendix, {"Paper!B2": None})
    settings = folder / "boardpack.toml"
    settings.write_text(
        settings.read_text().replace("[appendices]", 'profile = "corporate-risk"\n\n[appendices]')
    )
    out = tmp_path / "out"
    from boardpack.pipeline import build

    assert build([folder], out, today=dt.date(2025, 3, 1)).ok
    status = folder_status(folder, out, now=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    by_name = {p.name: p for p in status.papers}
    assert by_name["corporate-risks"].valid, by_name["corporate-risks"].error
    assert by_name["corporate-risks"].appendix_of == "risk-management-update"
    assert by_name["risk-management-update"].built
    assert not by_name["risk-management-update"].is_stale
    shown = CliRunner().invoke(main, ["status", str(folder), "--out", str(out)], terminal_width=120)
    assert "in its cover" in shown.output
    assert "corporate-risks is an appendix of risk-management-update" in shown.output
    data = json.loads(
        CliRunner().invoke(main, ["status", str(folder), "--out", str(out), "--json"]).output
    )
    assert [p["appendix_of"] for p in data["papers"]] == ["risk-management-update", None]
