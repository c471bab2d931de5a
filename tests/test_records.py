"""Build records name their workbooks from the record's own folder, so a built meeting's folder
can be moved or copied whole: archive, status and email then work from the new place, with its
own settings, and a change to the copy's workbook is the copy's alone."""

from __future__ import annotations

import email
import json
import shutil
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

import boardpack
from boardpack.meeting.archive import archive_papers
from boardpack.meeting.records import read_record, recorded_path, recorded_source
from boardpack.meeting.sending import write_email_drafts
from boardpack.meeting.status import folder_status
from tests.conftest import EXAMPLE, edit_workbook

SETTINGS = """board = "Joint Improvement Board"
meeting_date = 2008-01-24
archive = "../archive"

[email]
from = "clerk@bucks.example.gov.uk"

[[email.recipients]]
name = "Committee Clerk"
address = "{address}"
gets = ["pdf"]
"""


def test_a_recorded_path_is_the_way_from_the_records_folder(tmp_path: Path) -> None:
    folder = tmp_path / "output" / ".boardpack"
    workbook = tmp_path / "inputs" / "procurement.xlsx"
    assert recorded_path(workbook, folder) == "../../inputs/procurement.xlsx"
    assert recorded_source("../../inputs/procurement.xlsx", folder) == workbook.resolve()
    # A record written before folders could move keeps its full path, and is still read.
    assert recorded_source(str(workbook), tmp_path / "elsewhere") == workbook


@pytest.mark.libreoffice
def test_a_built_meeting_moved_and_copied_works_from_its_new_place(tmp_path: Path) -> None:
    first = tmp_path / "first"
    (first / "inputs").mkdir(parents=True)
    shutil.copy(EXAMPLE, first / "inputs" / "procurement.xlsx")
    settings = SETTINGS.format(address="clerk@bucks.example.gov.uk")
    (first / "inputs" / "boardpack.toml").write_text(settings, encoding="utf-8")
    assert boardpack.build([first / "inputs"], first / "output").ok
    record = json.loads((first / "output" / ".boardpack" / "procurement.json").read_bytes())
    assert record["source"] == "../../inputs/procurement.xlsx"

    # Moved: the records still find the workbook, nothing is stale, and it archives.
    moved = tmp_path / "moved"
    shutil.move(first, moved)
    (paper,) = folder_status(moved / "inputs", moved / "output").papers
    assert paper.built and paper.stale == ()
    assert (
        read_record(moved / "output" / ".boardpack" / "procurement.json").source
        == (moved / "inputs" / "procurement.xlsx").resolve()
    )
    filed = archive_papers(moved / "output", moved / "archive")
    assert filed.ok, [(p.name, p.reason) for p in filed.papers]

    # Copied: the copy's workbook changed is the copy's alone; its settings are its own.
    copy = tmp_path / "copy"
    shutil.copytree(moved, copy)
    (copy / "inputs" / "boardpack.toml").write_text(
        SETTINGS.format(address="deputy.clerk@bucks.example.gov.uk"), encoding="utf-8"
    )
    _, written = write_email_drafts(copy / "output", tmp_path / "drafts")
    (draft,) = written.paths
    message = email.message_from_bytes(
        draft.read_bytes(), _class=EmailMessage, policy=default_policy
    )
    assert message["To"] == "Committee Clerk <deputy.clerk@bucks.example.gov.uk>"
    workbook = copy / "inputs" / "procurement.xlsx"
    edit_workbook(workbook, workbook, {"Paper!B8": "Amber"})
    (changed,) = folder_status(copy / "inputs", copy / "output").papers
    assert changed.stale, "the copy's changed workbook makes the copy's paper stale"
    (unchanged,) = folder_status(moved / "inputs", moved / "output").papers
    assert unchanged.stale == ()
