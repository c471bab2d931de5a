"""Build records name their workbooks from the record's own folder, so a built meeting's folder
can be moved or copied whole: archive, status and email then work from the new place, with its
own settings, and a change to the copy's workbook is the copy's alone."""

from __future__ import annotations

import datetime as dt
import email
import json
import shutil
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

import boardpack
from boardpack.errors import ArchiveError, MailError
from boardpack.meeting.archive import archive_papers
from boardpack.meeting.records import (
    check_built,
    paper_record,
    read_record,
    recorded_path,
    recorded_source,
)
from boardpack.meeting.send_log import load_log
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


def _built_meeting(tmp_path: Path) -> Path:
    """A meeting of two papers built (without PDFs), its inputs and output side by side."""
    (tmp_path / "inputs").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "inputs" / "procurement.xlsx")
    shutil.copy(EXAMPLE, tmp_path / "inputs" / "housing.xlsx")
    settings = SETTINGS.format(address="clerk@bucks.example.gov.uk")
    (tmp_path / "inputs" / "boardpack.toml").write_text(settings, encoding="utf-8")
    assert boardpack.build([tmp_path / "inputs"], tmp_path / "output", pdf=False).ok
    workbook = tmp_path / "inputs" / "procurement.xlsx"
    edit_workbook(workbook, workbook, {"Paper!B8": "Amber"})
    return tmp_path


EDITED = "its workbook procurement.xlsx has changed since the build"


def test_a_workbook_edited_after_the_build_is_one_reason_in_status_email_and_archive(
    tmp_path: Path,
) -> None:
    root = _built_meeting(tmp_path)
    out = root / "output"
    record = read_record(out / ".boardpack" / "procurement.json")
    assert check_built(record, out) == [EDITED]

    stale = {p.name: p.stale for p in folder_status(root / "inputs", out).papers}
    assert stale == {"housing": (), "procurement": (EDITED,)}
    with pytest.raises(MailError) as refused:
        write_email_drafts(out, root / "drafts")
    assert f"procurement: {EDITED}; run boardpack build first" in str(refused.value)
    filed = {p.name: p.reason for p in archive_papers(out, root / "archive").papers}
    assert filed["procurement"].startswith(f"{EDITED}; ")


def test_a_workbook_edited_after_the_build_is_the_same_reason_in_builds_stale_list(
    tmp_path: Path,
) -> None:
    root = _built_meeting(tmp_path)
    # Built on its own, housing leaves procurement's outputs as they were: stale.
    report = boardpack.build([root / "inputs" / "housing.xlsx"], root / "output", pdf=False)
    reasons = {s.path.name: s.reason for s in report.stale}
    assert reasons["procurement.docx"].startswith(EDITED)


def test_a_build_record_is_a_typed_model_written_and_read_in_one_place(tmp_path: Path) -> None:
    out = tmp_path / "output"
    (out / ".boardpack").mkdir(parents=True)
    workbook = tmp_path / "inputs" / "procurement.xlsx"
    digest = "a" * 64
    written = paper_record(
        out,
        name="procurement",
        project="Procurement",
        board="Cabinet",
        meeting_date=dt.date(2026, 3, 19),
        source=workbook,
        source_sha256=digest,
        docx=out / "procurement.docx",
        docx_sha256=digest,
        pdf=None,
        pdf_sha256=None,
        paper_data={"project": "Procurement"},
    )
    name, data = written.dump()
    (out / ".boardpack" / name).write_bytes(data)
    assert json.loads(data)["source"] == "../../inputs/procurement.xlsx"
    read = read_record(out / ".boardpack" / name)
    assert (read.name, read.board, read.meeting_date, read.pdf) == (
        "procurement",
        "Cabinet",
        "2026-03-19",
        None,
    )
    assert read.source == workbook.resolve()
    # Read strictly: a field it does not know, or a path out of the folder, is refused.
    for edit in ({"surprise": 1}, {"docx": "../procurement.docx"}, {"docx_sha256": "x"}):
        (out / ".boardpack" / name).write_text(
            json.dumps({**json.loads(data), **edit}), encoding="utf-8"
        )
        with pytest.raises(ArchiveError, match="cannot be used"):
            read_record(out / ".boardpack" / name)


def test_the_staleness_of_one_output_is_asked_of_the_same_rule(tmp_path: Path) -> None:
    root = _built_meeting(tmp_path)
    out = root / "output"
    (out / "procurement.docx").write_bytes(b"not the paper")
    record = read_record(out / ".boardpack" / "procurement.json")
    assert check_built(record, out) == ["procurement.docx has changed since the build", EDITED]
    # As the build's list of stale outputs asks it, one file at a time, the workbook hashed once.
    assert check_built(record, out, record.source_sha256, outputs=["procurement.pdf"]) == []
    moved = root / "inputs" / "procurement.xlsx"
    moved.rename(root / "procurement.xlsx")
    assert check_built(record, out, outputs=()) == [f"its workbook {moved} is no longer there"]


def test_a_send_log_line_is_read_as_its_typed_entry_or_named_and_skipped(tmp_path: Path) -> None:
    entry = {
        "sent_at": "2026-03-12T10:00:00+00:00",
        "board": "Cabinet",
        "meeting_date": "2026-03-19",
        "to": "clerk@council.example.gov.uk",
        "attachments": [{"file": "procurement.pdf", "sha256": "a" * 64}],
    }
    unknown = {**entry, "outcome": "sent"}
    unhashed = {**entry, "attachments": [{"file": "procurement.pdf", "sha256": "a"}]}
    log = tmp_path / "sent.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in (entry, unknown, unhashed)))
    read = load_log(log)
    assert [(e.to, e.meeting_date, e.attachments[0]["sha256"]) for e in read.entries] == [
        ("clerk@council.example.gov.uk", "2026-03-19", "a" * 64)
    ]
    assert [d.removeprefix(f"{log}: ").split(" (")[0] for d in read.damaged] == [
        "line 2 is not a whole send-log entry",
        "line 3 is not a whole send-log entry",
    ]
