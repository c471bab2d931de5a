"""The meeting as one value: one reader of boardpack.toml, one agenda order, one answer to
"which meeting", and a faulty setting that stops only what needs it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from boardpack.errors import BoardpackError
from boardpack.meeting.folder import MeetingFolder, agenda_order, which_meeting
from boardpack.meeting.meeting_check import check_meeting
from boardpack.meeting.sending import write_email_drafts
from boardpack.meeting.settings import BUILD_NEEDS, EMAIL_NEEDS, PackSettings
from boardpack.meeting.status import folder_status
from boardpack.pipeline import build
from tests.conftest import EXAMPLE, ROOT

COMMITTEE = ROOT / "examples" / "committee"
EMAIL = """
[email]
from = "clerk@council.example.gov.uk"

[[email.recipients]]
name = "Committee Clerk"
address = "clerk@council.example.gov.uk"
gets = ["pdf", "pack"]

[email.smtp]
host = "smtp.council.example.gov.uk"
security = "{security}"
"""


def test_the_agenda_orders_its_papers_then_the_rest_alphabetically() -> None:
    names = ["housing", "Budget", "procurement", "audit"]
    ordered, unmatched = agenda_order(
        ["Procurement.xlsx", "gone", "budget", "procurement"], names, str
    )
    assert ordered == ["procurement", "Budget", "audit", "housing"]
    assert unmatched == [(2, "gone")]


def test_the_meeting_is_the_settings_else_what_every_paper_that_names_one_agrees_on() -> None:
    day, other = dt.date(2026, 3, 19), dt.date(2026, 4, 16)
    papers = [("a", "Cabinet", day), ("annex", None, None), ("b", "Cabinet", day)]
    agreed = which_meeting(PackSettings(), papers)
    assert (agreed.board, agreed.date, agreed.unsettled()) == ("Cabinet", day, "")

    split = which_meeting(PackSettings(), [("a", "Cabinet", day), ("b", "Cabinet", other)])
    assert split.date is None and split.dates == {day: ("a",), other: ("b",)}
    assert split.unsettled() == "the papers name different meeting dates"
    settled = which_meeting(PackSettings(meeting_date=other), papers)
    assert settled.date == other
    assert which_meeting(PackSettings(), []).unsettled() == "the papers name no boards"


def test_a_folder_is_opened_once_with_its_settings_archive_and_templates(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(EXAMPLE, inputs / "procurement.xlsx")
    (inputs / "boardpack.toml").write_text(
        'archive = "../archive"\ntemplate = "ours.docx"\n[templates]\nhousing = "h.docx"\n',
        encoding="utf-8",
    )
    folder = MeetingFolder.open([inputs])
    assert folder.is_meeting and folder.settings_file == inputs / "boardpack.toml"
    assert folder.workbooks == (inputs / "procurement.xlsx",)
    assert folder.archive() == tmp_path / "archive"
    assert folder.archive(tmp_path / "elsewhere") == tmp_path / "elsewhere"
    assert folder.template_for("housing") == (inputs / "h.docx").resolve()
    assert folder.template_for("procurement") == (inputs / "ours.docx").resolve()
    assert folder.profile is None and folder.faults == ()
    # A workbook given on its own finds the same settings, beside it.
    alone = MeetingFolder.open([inputs / "procurement.xlsx"])
    assert not alone.is_meeting and alone.settings_file == folder.settings_file


def test_a_fault_in_one_setting_is_named_at_its_key_and_the_rest_are_read(
    tmp_path: Path,
) -> None:
    (tmp_path / "boardpack.toml").write_text(
        'board = "Cabinet"\narchive = ""\n[deadline]\nworking_days = "five"\n'
        + EMAIL.format(security="bogus"),
        encoding="utf-8",
    )
    folder = MeetingFolder.open([tmp_path], workbooks=False)
    assert folder.settings.board == "Cabinet"
    assert folder.settings.email is None and folder.settings.deadline is None
    places = [f.where.removeprefix(f"{tmp_path / 'boardpack.toml'}: ") for f in folder.faults]
    assert places == ["archive", "deadline.working_days", "email.smtp.security"]
    assert folder.refusal(BUILD_NEEDS) is None
    refused = folder.refusal(EMAIL_NEEDS)
    assert refused is not None and "email.smtp.security: Input should be" in str(refused)


def test_toml_that_cannot_be_read_stops_everything_that_reads_the_settings(
    tmp_path: Path,
) -> None:
    (tmp_path / "boardpack.toml").write_text('board = "A"\nvenue = \n', encoding="utf-8")
    folder = MeetingFolder.open([tmp_path], workbooks=False)
    for needs in ((), BUILD_NEEDS, EMAIL_NEEDS):
        with pytest.raises(BoardpackError, match="not valid TOML"):
            folder.require(needs)


def _committee(tmp_path: Path, security: str) -> Path:
    """The committee example (a cover report and its appendix), with an [email] table."""
    folder = tmp_path / "committee"
    shutil.copytree(COMMITTEE, folder)
    settings = folder / "boardpack.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + EMAIL.format(security=security), encoding="utf-8"
    )
    return folder


def test_a_mistyped_email_security_stops_email_but_not_the_papers_or_the_pack(
    tmp_path: Path,
) -> None:
    folder = _committee(tmp_path, "bogus")
    settings = folder / "boardpack.toml"
    out = tmp_path / "out"
    report = build([folder], out, pdf=False)
    # The cover is built with its appendix inside it, and the pack with it.
    assert [p.name for p in report.papers] == ["risk-management-update"]
    assert report.ok and report.pack is not None and report.pack.docx is not None
    assert sorted(p.name for p in out.glob("*.docx")) == [
        "board-pack.docx",
        "risk-management-update.docx",
    ]
    said = [str(w) for w in report.pack.warnings]
    assert any(w.startswith(f"{settings}: email.smtp.security: Input should be") for w in said)

    checked = check_meeting([folder], on=dt.date(2025, 3, 1))
    assert not checked.ok
    assert [str(p) for p in checked.problems] == [
        f"{settings}: email.smtp.security: Input should be 'starttls', 'tls' or 'none';"
        " email would refuse to send"
    ]
    status = folder_status(folder, out)
    assert f"{settings}: email.smtp.security: Input should be 'starttls', 'tls' or 'none'" in (
        status.notes
    )
    assert [(p.name, p.built, p.stale) for p in status.papers] == [
        ("corporate-risks", False, ()),
        ("risk-management-update", True, ()),
    ]
    with pytest.raises(BoardpackError, match=re.escape(f"{settings}: email.smtp.security")):
        write_email_drafts(out, tmp_path / "drafts")
    assert not (tmp_path / "drafts").exists()


def _calling(name: str) -> list[str]:
    """The modules of boardpack that call `name`, the one defining it left out."""
    return sorted(
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "boardpack").rglob("*.py")
        if f"{name}(" in path.read_text(encoding="utf-8")
        and f"def {name}(" not in path.read_text(encoding="utf-8")
    )


def test_one_reader_of_the_settings_file() -> None:
    # build, check, status, email, archive, the calendar and watch all open the meeting's
    # folder through MeetingFolder, so none can come to another answer about boardpack.toml.
    assert _calling("find_settings") == ["boardpack/meeting/folder.py"]


def test_one_agenda_order_and_one_staleness_rule() -> None:
    # Each is defined once; build (its stale list), status, email and archive call the rule.
    defining = {
        rule: sorted(
            path.relative_to(ROOT).as_posix()
            for path in (ROOT / "boardpack").rglob("*.py")
            if f"def {rule}(" in path.read_text(encoding="utf-8")
        )
        for rule in ("agenda_order", "_agenda_order", "order", "check_built", "_record_fault")
    }
    assert defining == {
        "agenda_order": ["boardpack/meeting/folder.py"],
        "_agenda_order": [],
        "order": [],
        "check_built": ["boardpack/meeting/records.py"],
        "_record_fault": ["boardpack/pipeline/place.py"],  # calls check_built
    }
    assert {
        "boardpack/pipeline/place.py",
        "boardpack/meeting/status.py",
        "boardpack/meeting/archive.py",
    } <= set(_calling("check_built"))


@pytest.mark.parametrize(
    ("setting", "place", "stops"),
    [
        ('[deadline]\nworking_days = "five"\n', "deadline.working_days", "status and the calendar"),
        ('archive = ""\n', "archive", "email would refuse to send"),
    ],
)
def test_a_faulty_deadline_or_archive_is_named_and_the_papers_and_pack_are_built(
    tmp_path: Path, setting: str, place: str, stops: str
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(EXAMPLE, inputs / "procurement.xlsx")
    settings = inputs / "boardpack.toml"
    settings.write_text('board = "Joint Improvement Board"\n' + setting, encoding="utf-8")
    report = build([inputs], tmp_path / "out", pdf=False)
    assert report.ok and report.pack is not None and report.pack.docx is not None
    assert [str(w).split(": ")[1] for w in report.pack.warnings] == [place]
    (problem,) = check_meeting([inputs], on=dt.date(2008, 1, 1)).problems
    assert str(problem).startswith(f"{settings}: {place}: ") and stops in str(problem)
    assert any(n.startswith(f"{settings}: {place}: ") for n in folder_status(inputs).notes)
