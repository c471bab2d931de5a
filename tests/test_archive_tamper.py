"""The archive proves it is whole: a real meeting (papers, pack, PDFs) archived, then tampered
with in each way a careless admin or a forger could, and `boardpack verify` naming each."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

import boardpack.meeting.archive as archive
from boardpack.cli import main
from boardpack.errors import ArchiveError
from boardpack.files import PACK_NAME
from boardpack.meeting.archive import ArchiveOutcome, archive_papers, verify_archive
from boardpack.meeting.archive_index import INDEX
from boardpack.meeting.records import recorded_path, recorded_source
from boardpack.pipeline import build
from tests.conftest import EXAMPLE, ROOT, edit_workbook

pytestmark = pytest.mark.libreoffice  # these tests convert with LibreOffice

MEETING = Path("Joint Improvement Board", "2008-01-24")
PROCUREMENT = MEETING / "procurement"
V1 = f"{PROCUREMENT.as_posix()}/v1"


@dataclass(frozen=True)
class Meeting:
    """Real builds, made once and only read by the tests."""

    out: Path  # the meeting's folder built: procurement, housing and the pack, with PDFs
    changed: Path  # procurement changed (one risk) and built again, with its PDF
    archive: Path  # `out` archived; each test tampers with a copy


@pytest.fixture(scope="module")
def meeting(tmp_path_factory: pytest.TempPathFactory) -> Meeting:
    root = tmp_path_factory.mktemp("meeting")
    inputs = root / "inputs"
    inputs.mkdir()
    shutil.copyfile(EXAMPLE, inputs / "procurement.xlsx")
    edit_workbook(EXAMPLE, inputs / "housing.xlsx", {"Paper!B2": "Housing"})
    settings = (ROOT / "inputs" / "boardpack.toml").read_text(encoding="utf-8")
    (inputs / "boardpack.toml").write_text(
        settings.replace('agenda = ["procurement"]', 'agenda = ["procurement", "housing"]'),
        encoding="utf-8",
    )
    report = build([inputs], root / "out", pdf=True)
    assert report.ok, [str(p.error) for p in report.papers] + [str(report.pack)]
    changed = edit_workbook(EXAMPLE, root / "procurement.xlsx", {"Risks!B2": 2, "Risks!D2": 8})
    assert build([changed], root / "changed", pdf=True).ok
    store = root / "archive"
    assert archive_papers(root / "out", store).ok
    return Meeting(root / "out", root / "changed", store)


@pytest.fixture
def store(meeting: Meeting, tmp_path: Path) -> Path:
    """A copy of the archived meeting to tamper with."""
    return Path(shutil.copytree(meeting.archive, tmp_path / "archive", symlinks=True))


def verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify", *args])
    return result.exit_code, result.output


def problems(store: Path) -> dict[str, str]:
    return {p.where: p.message for p in verify_archive(store).problems}


def writable(path: Path) -> Path:
    path.chmod(0o755 if path.is_dir() else 0o644)
    return path


def rewrite(path: Path, data: bytes) -> None:
    """Change an archived file and make it read-only again, as a careful forger would."""
    writable(path.parent)
    writable(path)
    path.write_bytes(data)
    path.chmod(0o444)
    path.parent.chmod(0o555)


def remove(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            writable(path)
    writable(folder.parent)
    shutil.rmtree(folder)


def head(store: Path) -> str:
    last = (store / INDEX).read_bytes().splitlines()[-1]
    return hashlib.sha256(last).hexdigest()


def test_the_meeting_and_its_pack_are_archived_and_proven(meeting: Meeting, store: Path) -> None:
    pack = store / MEETING / PACK_NAME / "v1"
    assert sorted(p.name for p in pack.iterdir()) == [
        f"{PACK_NAME}.docx",
        f"{PACK_NAME}.pdf",
        "manifest.json",
    ]
    assert (pack / f"{PACK_NAME}.pdf").read_bytes() == (meeting.out / "board-pack.pdf").read_bytes()
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "pack"
    assert [p["name"] for p in manifest["papers"]] == ["procurement", "housing"]
    text = "\n".join(p.text for p in Document(str(pack / f"{PACK_NAME}.docx")).paragraphs)
    assert "Housing" in text and "Procurement" in text
    entries = [json.loads(line) for line in (store / INDEX).read_text().splitlines()]
    assert [(e["paper"], e["kind"]) for e in entries] == [
        ("housing", "paper"),
        ("procurement", "paper"),
        (PACK_NAME, "pack"),
    ]

    code, output = verify(str(store))
    assert code == 0, output
    assert f"index head: {head(store)}" in output
    assert "every archived version is present and unchanged (3 versions)" in output
    # Archiving the same build again stores nothing new, the pack included.
    again = archive_papers(meeting.out, store)
    assert [str(p) for p in again.papers] == [
        "housing: already archived as v1",
        "procurement: already archived as v1",
        f"{PACK_NAME}: already archived as v1",
    ]


def test_a_deleted_latest_version_is_named(meeting: Meeting, store: Path) -> None:
    assert archive_papers(meeting.changed, store).ok
    remove(store / PROCUREMENT / "v2")
    code, output = verify(str(store))
    assert code == 1
    assert (
        f"{PROCUREMENT.as_posix()}/v2: missing: the index lists this version ({INDEX}:4" in output
    )
    assert "restore it from a backup" in output


def test_a_deleted_paper_is_named(store: Path) -> None:
    remove(store / MEETING / "housing")
    code, output = verify(str(store))
    assert code == 1
    assert (
        f"{MEETING.as_posix()}/housing: missing: the index lists 1 version of housing here;"
        " restore it from a backup"
    ) in output


def test_a_deleted_meeting_is_named(store: Path) -> None:
    remove(store / MEETING)
    code, output = verify(str(store))
    assert code == 1
    assert (
        f"{MEETING.as_posix()}: missing: the index lists 3 versions of 3 papers"
        f" ({PACK_NAME}, housing, procurement) here"
    ) in output


def test_a_forged_new_version_copied_from_the_last_is_named(store: Path) -> None:
    v1 = store / PROCUREMENT / "v1"
    writable(v1.parent)
    v2 = Path(shutil.copytree(v1, v1.parent / "v2"))
    manifest = json.loads((v2 / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(version="v2", supersedes="v1")
    rewrite(v2 / "manifest.json", json.dumps(manifest, indent=2).encode())
    code, output = verify(str(store))
    assert code == 1
    assert (
        f"{PROCUREMENT.as_posix()}/v2: is not in the index: it was added afterwards (a forged or"
        " copied version)"
    ) in output


def test_an_edited_file_with_its_hash_fixed_in_the_manifest_is_named(store: Path) -> None:
    v1 = store / PROCUREMENT / "v1"
    forged = (v1 / "procurement.pdf").read_bytes() + b"% a page added later\n"
    rewrite(v1 / "procurement.pdf", forged)
    manifest = json.loads((v1 / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["role"] == "pdf":
            entry.update(sha256=hashlib.sha256(forged).hexdigest(), size=len(forged))
    rewrite(v1 / "manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())
    found = problems(store)
    assert list(found) == [f"{V1}/manifest.json"]
    assert found[f"{V1}/manifest.json"].startswith(
        f"changed since it was filed: its SHA-256 differs from the one in {INDEX}:2"
    )
    assert verify(str(store))[0] == 1


def test_an_edited_manifest_field_is_named(store: Path) -> None:
    manifest = store / PROCUREMENT / "v1" / "manifest.json"
    text = manifest.read_text(encoding="utf-8")
    rewrite(manifest, text.replace('"project": "Procurement"', '"project": "Shared"').encode())
    code, output = verify(str(store))
    assert code == 1
    assert f"{V1}/manifest.json: changed since it was filed" in output


def test_a_manifest_replaced_by_a_link_to_a_file_outside_is_named(
    store: Path, tmp_path: Path
) -> None:
    v1 = store / PROCUREMENT / "v1"
    outside = tmp_path / "manifest.json"
    outside.write_bytes((v1 / "manifest.json").read_bytes())  # even the genuine bytes
    writable(v1)
    (v1 / "manifest.json").unlink()
    (v1 / "manifest.json").symlink_to(outside)
    v1.chmod(0o555)
    code, output = verify(str(store))
    assert code == 1
    assert f"{V1}/manifest.json: is a link, not a plain file: not the version's manifest" in output


def test_an_archived_file_made_writable_is_named(store: Path) -> None:
    writable(store / PROCUREMENT / "v1" / "procurement.docx")
    code, output = verify(str(store))
    assert code == 1
    assert f"{V1}/procurement.docx: is writable (mode 644)" in output


def test_an_edited_index_line_breaks_the_chain(store: Path) -> None:
    lines = (store / INDEX).read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[0])
    entry["archived_at"] = "2008-01-01T00:00:00Z"
    lines[0] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    rewrite(store / INDEX, ("\n".join(lines) + "\n").encode())
    found = problems(store)
    assert found[f"{INDEX}:2"].startswith("does not follow the line before it")


def test_an_empty_folder_holds_no_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="holds no boardpack archive"):
        verify_archive(tmp_path)
    code, output = verify(str(tmp_path))
    assert code == 1
    assert f"Error: {tmp_path} holds no boardpack archive (no {INDEX}" in output


def test_an_archive_whose_index_was_deleted_is_not_taken_for_whole(store: Path) -> None:
    writable(store)
    (store / INDEX).unlink()
    code, output = verify(str(store))
    assert code == 1
    assert f"holds archived versions but no {INDEX}, so nothing proves it whole" in output


def test_expect_passes_when_the_archive_grew_and_fails_when_it_was_cut(
    meeting: Meeting, store: Path
) -> None:
    recorded = head(store)
    assert verify(str(store), "--expect", recorded)[0] == 0
    assert archive_papers(meeting.changed, store).ok  # a new version, filed legitimately
    code, output = verify(str(store), "--expect", recorded)
    assert code == 0, output
    assert f"1 version filed since {recorded}:\n  {PROCUREMENT.as_posix()}/v2 (filed" in output
    assert f"index head: {head(store)}" in output

    # Cut back to before the recorded head (and v2's folder removed to match): the chain is
    # whole and every folder agrees with it, but it no longer reaches what the minutes say.
    lines = (store / INDEX).read_bytes().splitlines(keepends=True)
    rewrite(store / INDEX, b"".join(lines[:2]))
    remove(store / PROCUREMENT / "v2")
    remove(store / MEETING / PACK_NAME)
    assert verify(str(store))[0] == 0
    code, output = verify(str(store), "--expect", recorded)
    assert code == 1
    assert f"{INDEX}: no longer holds {recorded}, the head recorded earlier" in output


def test_verify_of_a_meeting_folder_checks_that_part(meeting: Meeting, store: Path) -> None:
    code, output = verify(str(store / MEETING))
    assert code == 0, output
    assert f"in {MEETING.as_posix()} is present and unchanged (3 versions)" in output
    code, output = verify(str(store / PROCUREMENT))
    assert (code, "(1 version)" in output) == (0, True)
    writable(store / MEETING / "housing" / "v1" / "housing.pdf")
    assert verify(str(store / PROCUREMENT))[0] == 0  # the damage is in another paper
    code, output = verify(str(store / MEETING))
    assert code == 1
    assert f"{MEETING.as_posix()}/housing/v1/housing.pdf: is writable" in output
    writable(store / MEETING.parent)
    (store / MEETING.parent / "2099-01-01").mkdir()
    code, output = verify(str(store / MEETING.parent / "2099-01-01"))
    assert code == 1
    assert "2099-01-01: holds no version the index lists" in output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_an_output_that_is_a_fifo_is_refused_not_waited_on(
    meeting: Meeting, tmp_path: Path
) -> None:
    out = Path(shutil.copytree(meeting.changed, tmp_path / "out"))
    (out / "procurement.pdf").unlink()
    os.mkfifo(out / "procurement.pdf")
    store = Path(shutil.copytree(meeting.archive, tmp_path / "archive"))
    command = [sys.executable, "-m", "boardpack", "archive", str(out), "--to", str(store)]
    # A generous bound, only so that a regression fails instead of hanging the suite.
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "procurement.pdf is a FIFO (named pipe), not a plain file" in done.stdout
    assert verify(str(store))[0] == 0


def test_a_board_folder_that_is_a_link_is_refused(
    meeting: Meeting, store: Path, tmp_path: Path
) -> None:
    board = store / MEETING.parts[0]
    elsewhere = Path(shutil.copytree(board, tmp_path / "elsewhere", symlinks=True))
    writable(store)
    remove(board)
    board.symlink_to(elsewhere, target_is_directory=True)
    before = sorted(p.relative_to(elsewhere) for p in elsewhere.rglob("*"))
    report = archive_papers(meeting.changed, store)
    assert not report.ok
    assert report.papers[0].reason.startswith(f"{board} is a link, not a folder of the archive")
    assert sorted(p.relative_to(elsewhere) for p in elsewhere.rglob("*")) == before
    code, output = verify(str(store))
    assert code == 1
    assert f"{MEETING.parts[0]}: is a link, where the archive holds only a folder" in output


def swapped_pdf_build(meeting: Meeting, tmp_path: Path) -> Path:
    """procurement built by a converter that wrote housing's PDF, as an older boardpack kept it:
    its build record hashes the PDF that was there."""
    out = Path(shutil.copytree(meeting.changed, tmp_path / "swapped"))
    shutil.copyfile(meeting.out / "housing.pdf", out / "procurement.pdf")
    record_path = out / ".boardpack" / "procurement.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["pdf_sha256"] = hashlib.sha256((out / "procurement.pdf").read_bytes()).hexdigest()
    # The output folder alone was copied: its record still names the workbook it was built from.
    workbook = recorded_source(record["source"], meeting.changed / ".boardpack")
    record["source"] = recorded_path(workbook, record_path.parent)
    record_path.write_text(json.dumps(record), encoding="utf-8")
    return out


def test_a_paper_whose_pdf_is_another_papers_is_refused(meeting: Meeting, tmp_path: Path) -> None:
    report = archive_papers(swapped_pdf_build(meeting, tmp_path), tmp_path / "archive")
    assert [p.outcome for p in report.papers] == [ArchiveOutcome.REFUSED]
    assert report.papers[0].reason.startswith("its PDF is not the PDF of its .docx")


def test_a_latest_version_whose_pdf_fails_the_proof_is_replaced(
    meeting: Meeting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "archive"
    with monkeypatch.context() as older_boardpack:  # one that did not prove PDFs
        older_boardpack.setattr(archive, "prove_pdf", lambda pdf, docx: None)
        assert archive_papers(swapped_pdf_build(meeting, tmp_path), store).ok

    [paper] = archive_papers(meeting.changed, store).papers
    assert str(paper).startswith(
        "procurement: archived as v2, superseding v1; the PDF of v1 fails the PDF proof ("
    )
    assert str(paper).endswith("so this build's PDF replaces it")
    v2 = store / PROCUREMENT / "v2" / "procurement.pdf"
    assert v2.read_bytes() == (meeting.changed / "procurement.pdf").read_bytes()
    assert [str(p) for p in archive_papers(meeting.changed, store).papers] == [
        "procurement: already archived as v2"
    ]
    assert verify(str(store))[0] == 0


def test_an_archive_made_before_the_index_is_adopted_only_when_whole(
    meeting: Meeting, store: Path
) -> None:
    assert archive_papers(meeting.changed, store).ok
    writable(store)
    (store / INDEX).unlink()  # as an archive made by a boardpack before the index
    with pytest.raises(ArchiveError, match=f"holds archived versions but no {INDEX}"):
        archive_papers(meeting.changed, store)

    pdf = store / PROCUREMENT / "v1" / "procurement.pdf"
    genuine = pdf.read_bytes()
    rewrite(pdf, genuine + b"%")
    code, output = verify(str(store), "--adopt")
    assert code == 1
    assert "cannot be adopted: 1 problem;" in output
    assert f"{V1}/procurement.pdf: changed: " in output
    assert not (store / INDEX).exists()

    rewrite(pdf, genuine)
    code, output = verify(str(store), "--adopt")
    assert code == 0, output
    assert f"{store}: indexed 4 versions already archived" in output
    entries = [json.loads(line) for line in (store / INDEX).read_text().splitlines()]
    assert entries[-1]["folder"] == f"{PROCUREMENT.as_posix()}/v2"
    assert verify(str(store))[0] == 0
    assert [str(p) for p in archive_papers(meeting.changed, store).papers] == [
        "procurement: already archived as v2"
    ]


def test_two_versions_swapped_are_named(meeting: Meeting, store: Path) -> None:
    assert archive_papers(meeting.changed, store).ok
    paper = store / PROCUREMENT
    writable(paper)
    (paper / "v1").rename(paper / "old")
    (paper / "v2").rename(paper / "v1")
    (paper / "old").rename(paper / "v2")
    found = problems(store)
    for version in ("v1", "v2"):
        where = f"{PROCUREMENT.as_posix()}/{version}/manifest.json"
        assert found[where].startswith("changed since it was filed"), found
