"""The archive with real builds (real LibreOffice PDFs): filed, proven, never overwritten."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import boardpack.meeting.archive as archive
from boardpack.cli import main
from boardpack.errors import ArchiveError
from boardpack.files import RECORD_FOLDER
from boardpack.meeting.archive import (
    MANIFEST,
    STAGING,
    ArchiveOutcome,
    ArchiveReport,
    archive_papers,
    verify_archive,
)
from boardpack.meeting.archive_index import INDEX, LOCK
from boardpack.meeting.records import recorded_source
from boardpack.pipeline import build
from tests.conftest import EXAMPLE, edit_workbook

pytestmark = pytest.mark.libreoffice  # these tests convert with LibreOffice

CHANGED_RISK = {"Risks!B2": 2, "Risks!D2": 8}  # likelihood 1 -> 2, so LxI 4 -> 8
PAPER = Path("Joint Improvement Board", "2008-01-24", "procurement")
NOW = datetime(2008, 1, 20, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Builds:
    """Output folders of real builds, shared by the tests, which only read them."""

    original: Path  # the example as built
    rebuilt: Path  # the example built again: the same .docx, a different PDF
    changed: Path  # the example with one risk changed, built


def build_with_pdf(workbooks: list[Path], out: Path) -> Path:
    report = build(workbooks, out, pdf=True)
    assert report.ok, [str(p.error) for p in report.papers]
    return out


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    root = tmp_path_factory.mktemp("builds")
    for folder in ("a", "b"):
        (root / folder).mkdir()
    original = root / "a" / "procurement.xlsx"
    shutil.copyfile(EXAMPLE, original)
    changed = edit_workbook(EXAMPLE, root / "b" / "procurement.xlsx", CHANGED_RISK)
    return Builds(
        original=build_with_pdf([original], root / "out-a"),
        rebuilt=build_with_pdf([original], root / "out-a2"),
        changed=build_with_pdf([changed], root / "out-b"),
    )


def snapshot(archive_dir: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every folder and file of an archive (staging aside) with its mode and bytes."""
    found: dict[str, tuple[int, bytes | None]] = {}
    for path in sorted(archive_dir.rglob("*")):
        relative = path.relative_to(archive_dir)
        if relative.parts[0] == STAGING:
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        found[relative.as_posix()] = (mode, None if path.is_dir() else path.read_bytes())
    return found


def make_writable(folder: Path) -> None:
    """Undo the read-only modes, to damage an archive the way a careless admin could."""
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)


def seal(folder: Path) -> None:
    """Make a damaged version read-only again, so that only its contents are wrong."""
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)


def lines(report: ArchiveReport) -> list[str]:
    return [str(paper) for paper in report.papers]


def manifest_of(version: Path) -> dict[str, object]:
    return json.loads((version / MANIFEST).read_text(encoding="utf-8"))


def test_a_paper_is_filed_read_only_with_a_manifest_that_proves_it(
    builds: Builds, tmp_path: Path
) -> None:
    store = tmp_path / "archive"
    report = archive_papers(builds.original, store, now=NOW)
    assert report.ok
    assert lines(report) == ["procurement: archived as v1"]
    v1 = store / PAPER / "v1"
    assert report.papers[0].folder == v1
    assert sorted(p.name for p in store.iterdir()) == sorted([STAGING, PAPER.parts[0], INDEX])
    assert [p.name for p in (store / STAGING).iterdir() if p.name != LOCK] == []
    [entry] = (store / INDEX).read_text(encoding="utf-8").splitlines()
    assert json.loads(entry) == {
        "number": 1,
        "previous": None,
        "kind": "paper",
        "board": "Joint Improvement Board",
        "meeting_date": "2008-01-24",
        "paper": "procurement",
        "version": "v1",
        "folder": f"{PAPER.as_posix()}/v1",
        "manifest_sha256": hashlib.sha256((v1 / MANIFEST).read_bytes()).hexdigest(),
        "archived_at": "2008-01-20T09:30:00Z",
    }

    record = json.loads((builds.original / RECORD_FOLDER / "procurement.json").read_text())
    workbook = recorded_source(record["source"], builds.original / RECORD_FOLDER)
    expected = {
        "procurement.pdf": ("pdf", (builds.original / "procurement.pdf").read_bytes()),
        "procurement.docx": ("docx", (builds.original / "procurement.docx").read_bytes()),
        "procurement.xlsx": ("workbook", workbook.read_bytes()),
        "paper.json": ("data", (v1 / "paper.json").read_bytes()),
    }
    # The validated paper as data, beside its workbook: what history compares.
    data = json.loads(expected["paper.json"][1])
    assert data == record["paper_data"]
    assert data["profile"] == "JIB highlight report"
    assert data["paper"]["details"]["status"] == "Green"
    assert data["history"]["status"] == "Green"
    assert [r["score"] for r in data["history"]["risks"]] == [4, 8, 9, 8]
    assert sorted(p.name for p in v1.iterdir()) == sorted([MANIFEST, *expected])
    manifest = manifest_of(v1)
    assert manifest["files"] == [
        {
            "name": name,
            "role": role,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
        for name, (role, data) in expected.items()
    ]
    for name, (_, data) in expected.items():
        assert (v1 / name).read_bytes() == data
    assert {k: v for k, v in manifest.items() if k != "files"} == {
        "manifest_format": 1,
        "paper": "procurement",
        "project": "Procurement",
        "board": "Joint Improvement Board",
        "meeting_date": "2008-01-24",
        "version": "v1",
        "supersedes": None,
        "supersedes_manifest_sha256": None,
        "archived_at": "2008-01-20T09:30:00Z",
        "boardpack_version": record["boardpack_version"],
        "source": str(workbook),
        "source_sha256": record["source_sha256"],
    }
    # Tests run as root, which may write anyway, so the modes are what is checked.
    assert stat.S_IMODE(v1.stat().st_mode) == 0o555
    assert {stat.S_IMODE(p.stat().st_mode) for p in v1.iterdir()} == {0o444}
    assert stat.S_IMODE((store / INDEX).stat().st_mode) == 0o444
    verified = verify_archive(store)
    assert verified.problems == []
    assert verified.head == hashlib.sha256(entry.encode()).hexdigest()


def test_verify_names_each_changed_missing_and_added_file(builds: Builds, tmp_path: Path) -> None:
    store = tmp_path / "archive"
    assert archive_papers(builds.original, store).ok
    v1 = store / PAPER / "v1"
    make_writable(v1)
    pdf = bytearray((v1 / "procurement.pdf").read_bytes())
    pdf[len(pdf) // 2] ^= 0x01
    (v1 / "procurement.pdf").write_bytes(bytes(pdf))
    with (v1 / "procurement.xlsx").open("ab") as workbook:
        workbook.write(b"\0")
    (v1 / "procurement.docx").unlink()
    (v1 / "notes.txt").write_text("added later")
    (store / "stray.pdf").write_bytes(b"%PDF-")
    seal(v1)

    where = f"{PAPER.as_posix()}/v1"
    found = {p.where: p.message for p in verify_archive(store).problems}
    assert sorted(found) == sorted(
        [
            f"{where}/notes.txt",
            f"{where}/procurement.docx",
            f"{where}/procurement.pdf",
            f"{where}/procurement.xlsx",
            "stray.pdf",
        ]
    )
    assert found[f"{where}/procurement.pdf"].startswith("changed: its SHA-256 differs")
    size = (v1 / "procurement.xlsx").stat().st_size
    assert found[f"{where}/procurement.xlsx"].startswith(
        f"changed: {size} bytes, the manifest says {size - 1}"
    )
    assert found[f"{where}/procurement.docx"].startswith("missing")
    assert found[f"{where}/notes.txt"].startswith("not listed in its manifest")
    assert found["stray.pdf"].startswith("is a plain file, where the archive holds only a folder")
    # The same paper is not filed again on top of a damaged copy: a person must look first.
    reason = archive_papers(builds.original, store).papers[0].reason
    assert reason.startswith("it is archived as v1, but that copy is damaged")


def test_verify_names_a_changed_paper_json_and_the_cli_exits_1(
    builds: Builds, tmp_path: Path
) -> None:
    store = tmp_path / "archive"
    assert archive_papers(builds.original, store).ok
    v1 = store / PAPER / "v1"
    make_writable(v1)
    data = json.loads((v1 / "paper.json").read_text(encoding="utf-8"))
    data["history"]["status"] = "Amber"
    (v1 / "paper.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    seal(v1)
    found = [str(p) for p in verify_archive(store).problems]
    assert len(found) == 1
    assert found[0].startswith(f"{PAPER.as_posix()}/v1/paper.json: changed: ")
    assert found[0].endswith("restore it from a backup")
    result = CliRunner().invoke(main, ["verify", str(store)])
    assert result.exit_code == 1 and "v1/paper.json: changed" in result.output


def test_a_last_index_line_cut_short_is_reported_skipped_and_filing_goes_on(
    builds: Builds, tmp_path: Path
) -> None:
    store = tmp_path / "archive"
    assert archive_papers(builds.original, store, now=NOW).ok
    index = store / INDEX
    whole = index.read_bytes()
    index.chmod(0o644)
    index.write_bytes(whole + whole[:50])  # a second line, torn: no line end
    index.chmod(0o444)
    verified = verify_archive(store)
    assert [str(p) for p in verified.problems] == [
        "index.jsonl:2: the last line was cut short (it has no line end), so it is skipped and"
        " the 1 lines before it are read; a version it recorded is not in the index: restore"
        " index.jsonl from a backup"
    ]
    assert verified.versions == 1 and verified.head == hashlib.sha256(whole[:-1]).hexdigest()
    result = CliRunner().invoke(main, ["archive", str(builds.changed), "--to", str(store)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Warning: {store}/{verified.problems[0]}\n"
    assert result.stdout == "procurement: archived as v2, superseding v1\n"
    # The torn bytes are gone, the first line is kept, the new one follows it.
    after = index.read_bytes()
    assert after.startswith(whole) and after.count(b"\n") == 2 and after.endswith(b"\n")
    assert verify_archive(store).ok


def test_verify_names_a_manifest_it_cannot_read_and_a_missing_archive(
    builds: Builds, tmp_path: Path
) -> None:
    store = tmp_path / "archive"
    assert archive_papers(builds.original, store).ok
    v1 = store / PAPER / "v1"
    make_writable(v1)
    (v1 / MANIFEST).write_text('{"manifest_format": 1, "files": [', encoding="utf-8")
    seal(v1)
    problems = verify_archive(store).problems
    assert [p.where for p in problems] == [f"{PAPER.as_posix()}/v1/{MANIFEST}"]
    assert problems[0].message.startswith("changed since it was filed")
    # A damaged archive is not added to: a person must look at it first.
    report = archive_papers(builds.changed, store)
    assert not report.ok
    assert "is damaged" in report.papers[0].reason
    assert "boardpack verify" in report.papers[0].reason

    with pytest.raises(ArchiveError, match="no such archive folder"):
        verify_archive(tmp_path / "nowhere")


def test_verify_names_version_folders_copied_or_made_by_hand(
    builds: Builds, tmp_path: Path
) -> None:
    store = tmp_path / "archive"
    assert archive_papers(builds.original, store).ok
    shutil.copytree(store / PAPER, store / PAPER.parent / "staffing")
    shutil.copytree(store / PAPER / "v1", store / PAPER / "v1 copy")
    (store / PAPER / "v2").mkdir()
    (store / PAPER / "v2" / "procurement.pdf").write_bytes(b"%PDF-")
    found = {p.where: p.message for p in verify_archive(store).problems}
    added = (
        "is not in the index: it was added afterwards (a forged or copied version), so nothing"
        " in it is proven; remove it or restore the archive from a backup"
    )
    assert found == {
        f"{PAPER.as_posix()}/v1 copy": added,
        f"{PAPER.parent.as_posix()}/staffing": (
            "is not in the index: no paper of this name was ever filed, so it was added (or"
            " renamed) afterwards; nothing in it is proven. Remove it or restore the archive"
            " from a backup"
        ),
        f"{PAPER.as_posix()}/v2": added,
    }


def test_a_changed_paper_becomes_v2_and_v1_is_kept_byte_for_byte(
    builds: Builds, tmp_path: Path
) -> None:
    store = tmp_path / "archive"
    assert archive_papers(builds.original, store).ok
    v1 = store / PAPER / "v1"
    before = snapshot(v1)

    report = archive_papers(builds.changed, store)
    assert lines(report) == ["procurement: archived as v2, superseding v1"]
    assert snapshot(v1) == before
    v2 = store / PAPER / "v2"
    manifest = manifest_of(v2)
    assert (manifest["version"], manifest["supersedes"]) == ("v2", "v1")
    v1_manifest = hashlib.sha256((v1 / MANIFEST).read_bytes()).hexdigest()
    assert manifest["supersedes_manifest_sha256"] == v1_manifest
    assert (v2 / "procurement.docx").read_bytes() == (
        builds.changed / "procurement.docx"
    ).read_bytes()
    assert stat.S_IMODE(v2.stat().st_mode) == 0o555
    assert verify_archive(store).problems == []

    # Going back to the first paper adds nothing: it is stored already, and the report says
    # that a later version differs.
    assert lines(archive_papers(builds.rebuilt, store)) == [
        "procurement: already archived as v1; v2, archived after it, differs"
    ]

    # A rewritten v1 manifest, or losing v1 entirely, shows in the version that supersedes it.
    make_writable(v1)
    text = (v1 / MANIFEST).read_text(encoding="utf-8")
    (v1 / MANIFEST).write_text(text.replace('"archived_at": "', '"archived_at": "1'))
    seal(v1)
    assert [str(p) for p in verify_archive(store).problems] == [
        f"{PAPER.as_posix()}/v1/{MANIFEST}: changed since it was filed: its SHA-256 differs from"
        f" the one in {INDEX}:1, so nothing beside it is proven; restore this version from a"
        " backup",
    ]
    make_writable(v1)
    shutil.rmtree(v1)
    problems = [str(p) for p in verify_archive(store).problems]
    assert problems == [
        f"{PAPER.as_posix()}/v1: missing: the index lists this version ({INDEX}:1, filed"
        f" {json.loads((store / INDEX).read_text().splitlines()[0])['archived_at']}); restore it"
        " from a backup"
    ]


def test_the_same_paper_is_stored_once_even_with_a_rebuilt_pdf(
    builds: Builds, tmp_path: Path
) -> None:
    store = tmp_path / "archive"
    assert archive_papers(builds.original, store).ok
    before = snapshot(store)

    again = archive_papers(builds.original, store)
    assert lines(again) == ["procurement: already archived as v1"]
    assert again.ok and again.papers[0].outcome is ArchiveOutcome.ALREADY_ARCHIVED
    # LibreOffice's PDF differs on every build; the paper is the same, so it is not stored again.
    rebuilt_pdf = (builds.rebuilt / "procurement.pdf").read_bytes()
    assert rebuilt_pdf != (builds.original / "procurement.pdf").read_bytes()
    assert lines(archive_papers(builds.rebuilt, store)) == ["procurement: already archived as v1"]
    assert snapshot(store) == before


def test_a_workbook_saved_again_while_its_paper_builds_is_not_taken_for_its_source(
    tmp_path: Path,
) -> None:
    workbook = shutil.copyfile(EXAMPLE, tmp_path / "procurement.xlsx")
    read = hashlib.sha256(workbook.read_bytes()).hexdigest()

    def save_again(stage: str, paper: object) -> None:
        # The manager saves a change in Excel once boardpack has read the workbook.
        edit_workbook(workbook, workbook, CHANGED_RISK)

    out = tmp_path / "out"
    assert build([workbook], out, pdf=False, on_progress=save_again).ok
    record = json.loads((out / RECORD_FOLDER / "procurement.json").read_text())
    assert record["source_sha256"] == read != hashlib.sha256(workbook.read_bytes()).hexdigest()


def test_refuses_a_paper_whose_workbook_changed_after_the_build_and_files_the_rest(
    tmp_path: Path,
) -> None:
    procurement = shutil.copyfile(EXAMPLE, tmp_path / "procurement.xlsx")
    staffing = shutil.copyfile(EXAMPLE, tmp_path / "staffing.xlsx")
    out = build_with_pdf([procurement, staffing], tmp_path / "out")
    edit_workbook(procurement, procurement, CHANGED_RISK)

    store = tmp_path / "archive"
    report = archive_papers(out, store)
    assert not report.ok
    assert lines(report) == [
        "procurement: refused: its workbook procurement.xlsx has changed since the build; run"
        " boardpack build again before archiving",
        "staffing: archived as v1",
    ]
    error = report.papers[0].error
    assert isinstance(error, ArchiveError)
    assert str(error).startswith(
        "procurement: its workbook procurement.xlsx has changed since the build"
    )
    assert sorted(p.name for p in (store / PAPER.parent).iterdir()) == ["staffing"]
    assert verify_archive(store).problems == []


def test_refuses_a_different_paper_filed_under_the_same_name_for_the_meeting(
    builds: Builds, tmp_path: Path
) -> None:
    store = tmp_path / "archive"
    assert archive_papers(builds.original, store).ok
    other = edit_workbook(EXAMPLE, tmp_path / "procurement.xlsx", {"Paper!B2": "Shared services"})
    report = archive_papers(build_with_pdf([other], tmp_path / "out"), store)
    assert not report.ok
    assert "already holds a different paper named procurement" in report.papers[0].reason
    assert "Rename one workbook" in report.papers[0].reason
    assert sorted(p.name for p in (store / PAPER).iterdir()) == ["v1"]


def test_refuses_a_paper_built_without_pdf_or_edited_after_the_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build([EXAMPLE], out, pdf=False).ok
    store = tmp_path / "archive"
    report = archive_papers(out, store)
    assert lines(report) == [
        "procurement: refused: it was built without a PDF (--no-pdf); run boardpack build again"
        " without --no-pdf before archiving"
    ]
    with (out / "procurement.docx").open("ab") as docx:
        docx.write(b"\0")
    reason = archive_papers(out, store).papers[0].reason
    assert "procurement.docx has changed since the build" in reason
    assert "make changes in the workbook" in reason
    assert snapshot(store) == {}
    with pytest.raises(ArchiveError, match="holds no boardpack archive"):
        verify_archive(store)


def test_a_failure_half_way_leaves_the_archive_as_it_was(
    builds: Builds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "archive"
    assert archive_papers(builds.original, store).ok
    before = snapshot(store)
    real_copy = archive._copy_file
    copied: list[Path] = []

    def copy_then_fill_the_disk(source: Path, target: Path) -> tuple[str, int]:
        if copied:
            raise OSError(28, "No space left on device", str(target))
        copied.append(source)
        return real_copy(source, target)

    monkeypatch.setattr(archive, "_copy_file", copy_then_fill_the_disk)
    report = archive_papers(builds.changed, store)
    assert not report.ok
    assert "No space left on device" in report.papers[0].reason
    assert "the archive is unchanged" in report.papers[0].reason
    assert snapshot(store) == before
    assert [p.name for p in (store / STAGING).iterdir() if p.name != LOCK] == []
    assert verify_archive(store).problems == []


KILLABLE = """
import sys, time
from pathlib import Path
import boardpack.meeting.archive as archive

out, store, ready, step = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
real = getattr(archive, step)

def stall(*args):
    result = real(*args)
    ready.touch()
    time.sleep(60)
    return result

setattr(archive, step, stall)
archive.archive_papers(out, store)
"""


def kill_archiver_inside(step: str, out: Path, store: Path, tmp_path: Path) -> None:
    """Run `archive_papers(out, store)` in another process and SIGKILL it as `step` returns."""
    ready = tmp_path / f"ready-{step}"
    with subprocess.Popen(
        [sys.executable, "-c", KILLABLE, str(out), str(store), str(ready), step],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        deadline = time.monotonic() + 180
        while not ready.exists():
            assert process.poll() is None, process.communicate()[1].decode()
            assert time.monotonic() < deadline, "the archiver never reached the step"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.communicate()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_an_archiver_killed_while_copying_leaves_the_archive_as_it_was(
    builds: Builds, tmp_path: Path
) -> None:
    store = tmp_path / "archive"
    assert archive_papers(builds.original, store).ok
    before = snapshot(store)

    kill_archiver_inside("_copy_file", builds.changed, store, tmp_path)
    assert snapshot(store) == before
    assert verify_archive(store).problems == []
    left = [p for p in (store / STAGING).iterdir() if p.name != LOCK]
    assert left, "the killed run should have left its staging"

    report = archive_papers(builds.changed, store)
    assert lines(report) == ["procurement: archived as v2, superseding v1"]
    assert [p.name for p in (store / STAGING).iterdir() if p.name != LOCK] == []
    assert verify_archive(store).problems == []


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_an_archiver_killed_after_filing_leaves_a_whole_version_sealed_next_run(
    builds: Builds, tmp_path: Path
) -> None:
    store = tmp_path / "archive"
    kill_archiver_inside("place", builds.original, store, tmp_path)
    v1 = store / PAPER / "v1"
    assert stat.S_IMODE(v1.stat().st_mode) != 0o555  # killed before it was made read-only
    # Filed, but not yet in the index: verify says so, and what to do.
    found = {p.where: p.message for p in verify_archive(store).problems}
    assert found[f"{PAPER.as_posix()}/v1"] == (
        "was being filed by an archive run that stopped before entering it in the index;"
        " run boardpack archive again to finish filing it"
    )

    assert lines(archive_papers(builds.original, store)) == ["procurement: already archived as v1"]
    assert stat.S_IMODE(v1.stat().st_mode) == 0o555
    assert [p.name for p in (store / STAGING).iterdir() if p.name != LOCK] == []
    assert verify_archive(store).problems == []
    assert len((store / INDEX).read_text().splitlines()) == 1


RIVALS = """
import sys, time
from pathlib import Path
import boardpack.meeting.archive as archive

out, store, signals, role = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
real_place, real_lock = archive.place, archive.archive_lock

def place_then_wait(*args):
    # The first archiver stops inside its filing, holding the lock, until the test says go.
    result = real_place(*args)
    (signals / "first-placed").touch()
    deadline = time.monotonic() + 180
    while not (signals / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return result

def lock_announced(*args, **kwargs):
    (signals / "second-locking").touch()
    return real_lock(*args, **kwargs)

if role == "first":
    archive.place = place_then_wait
else:
    archive.archive_lock = lock_announced
report = archive.archive_papers(out, store)
print("\\n".join(str(p) for p in report.papers))
"""


def wait_for(path: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while not path.exists():
        assert process.poll() is None, process.communicate()[1].decode()
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def test_two_archivers_at_once_take_turns_and_the_index_stays_one_chain(
    builds: Builds, tmp_path: Path
) -> None:
    store, signals = tmp_path / "archive", tmp_path / "signals"
    signals.mkdir()

    def start(out: Path, role: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-c", RIVALS, str(out), str(store), str(signals), role]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    first = start(builds.original, "first")
    wait_for(signals / "first-placed", first)
    second = start(builds.changed, "second")
    wait_for(signals / "second-locking", second)
    (signals / "go").touch()
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [e.decode() for _, e in outputs]
    assert [o.decode().strip() for o, _ in outputs] == [
        "procurement: archived as v1",
        "procurement: archived as v2, superseding v1",
    ]
    entries = [json.loads(line) for line in (store / INDEX).read_text().splitlines()]
    assert [(e["number"], e["version"]) for e in entries] == [(1, "v1"), (2, "v2")]
    assert entries[0]["previous"] is None
    first_line = (store / INDEX).read_text().splitlines()[0]
    assert entries[1]["previous"] == hashlib.sha256(first_line.encode()).hexdigest()
    assert verify_archive(store).problems == []


def test_nothing_built_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="run boardpack build first"):
        archive_papers(tmp_path, tmp_path / "archive")


def test_without_to_the_archive_is_the_one_boardpack_toml_names(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copyfile(EXAMPLE, inputs / "procurement.xlsx")
    out = build_with_pdf([inputs / "procurement.xlsx"], tmp_path / "out")
    with pytest.raises(ArchiveError) as unnamed:
        archive_papers(out, now=NOW)
    assert str(unnamed.value) == (
        "no archive folder named: give one with --to ARCHIVE_DIR, or set"
        ' archive = "../archive" in a boardpack.toml beside the workbooks'
    )
    assert not (tmp_path / "archive").exists()

    (inputs / "boardpack.toml").write_text('archive = "../archive"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["archive", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "archive" / PAPER / "v1" / "procurement.pdf").is_file()
    assert result.output == "procurement: archived as v1\n"


def test_a_paper_with_no_board_of_its_own_is_filed_under_the_meeting_boardpack_toml_names(
    tmp_path: Path,
) -> None:
    # A monthly RAG report names no board or meeting: in a meeting's folder it is that
    # meeting's paper, filed (and shown filed, and sent) beside the others, with the pack.
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    rag = EXAMPLE.parent.parent / "examples" / "monthly-rag"
    shutil.copyfile(rag / "monthly-rag.toml", inputs / "monthly-rag.toml")
    shutil.copyfile(rag / "town-centre.xlsx", inputs / "town-centre.xlsx")
    shutil.copyfile(EXAMPLE, inputs / "procurement.xlsx")
    (inputs / "boardpack.toml").write_text(
        'board = "Joint Improvement Board"\nmeeting_date = 2008-01-24\narchive = "../archive"\n',
        encoding="utf-8",
    )
    out = build_with_pdf([inputs], tmp_path / "out")
    report = archive_papers(out, now=NOW)
    assert lines(report) == [
        "procurement: archived as v1",
        "town-centre: archived as v1",
        "board-pack: archived as v1",
    ]
    meeting = tmp_path / "archive" / "Joint Improvement Board" / "2008-01-24"
    assert (meeting / "town-centre" / "v1" / "town-centre.pdf").is_file()
    from boardpack.meeting.status import folder_status

    shown = {p.name: p.archived for p in folder_status(inputs, out).papers}
    assert shown == {"procurement": "v1", "town-centre": "v1"}
