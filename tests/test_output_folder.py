"""The output folder: one build at a time, a paper's files changing together, stale outputs named.

Real workbooks, real LibreOffice, real `boardpack build` processes; fake converters only to make
a conversion fail or kill the build at a chosen moment.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from boardpack.cli import main
from boardpack.errors import OutputError
from boardpack.files import sha256_of
from boardpack.meeting.archive import archive_papers
from boardpack.meeting.records import recorded_source
from boardpack.outputs.proof import prove_pdf
from boardpack.pipeline import Status, build
from tests.conftest import EXAMPLE, edit_workbook

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
BOUND = 240.0  # seconds: generous bound on waiting for a build, never what a test asserts


def workbook(folder: Path, project: str, status: str = "Green") -> Path:
    """procurement.xlsx in `folder`, for `project`: many workbooks, one file name."""
    folder.mkdir(parents=True, exist_ok=True)
    return edit_workbook(
        EXAMPLE, folder / "procurement.xlsx", {"Paper!B2": project, "Paper!B8": status}
    )


def boardpack(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """A `boardpack` process, as a manager would start one."""
    return subprocess.Popen(
        [sys.executable, "-m", "boardpack", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


def wait_for(condition: str, check: object) -> None:
    """Poll `check` until true; fail naming `condition` after a generous bound."""
    deadline = time.monotonic() + BOUND
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {condition}")
        time.sleep(0.05)


def hold_lock(out: Path) -> subprocess.Popen[str]:
    """Another process holding the output folder's lock until its stdin is closed."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from boardpack.files import output_lock\n"
            "with output_lock(Path(sys.argv[1]), wait=0):\n"
            "    print('held', flush=True); sys.stdin.read()\n",
            str(out),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.close()
    holder.wait(timeout=BOUND)
    holder.stdout.close()  # else it is closed whenever collected, with a ResourceWarning then


def assert_one_workbook(out: Path, archive: Path, candidates: dict[str, Path]) -> str:
    """The paper's .docx, PDF, build record and archived version all come from one of the
    candidate workbooks (project name -> workbook); returns that project."""
    record = json.loads((out / ".boardpack" / "procurement.json").read_text(encoding="utf-8"))
    project = record["project"]
    source = candidates[project]
    assert recorded_source(record["source"], out / ".boardpack") == source.resolve()
    assert record["source_sha256"] == sha256_of(source)
    paper_docx, paper_pdf = out / "procurement.docx", out / "procurement.pdf"
    assert record["docx_sha256"] == sha256_of(paper_docx)
    assert record["pdf_sha256"] == sha256_of(paper_pdf)
    assert docx.Document(str(paper_docx)).core_properties.title == f"{project} highlight report"
    prove_pdf(paper_pdf, paper_docx)

    report = archive_papers(out, archive)
    assert report.ok, [str(p) for p in report.papers]
    folder = report.papers[0].folder
    assert folder is not None
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["project"] == project
    assert manifest["source_sha256"] == sha256_of(source)
    assert (folder / "procurement.docx").read_bytes() == paper_docx.read_bytes()
    assert (folder / "procurement.xlsx").read_bytes() == source.read_bytes()
    prove_pdf(folder / "procurement.pdf", folder / "procurement.docx")
    return project


# --- one build per output folder -------------------------------------------------------------


def test_a_build_into_a_folder_another_build_holds_stops_naming_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = hold_lock(out)
    try:
        with pytest.raises(OutputError) as caught:
            build([EXAMPLE], out, pdf=False, lock_wait=0.2)
        message = str(caught.value)
        assert message.startswith(f"{out}: another build is writing to this folder")
        assert f"process {holder.pid} on {socket.gethostname()}, started " in message
        assert f": -c {out})" in message  # its command line
        assert not (out / "procurement.docx").exists()

        result = CliRunner(env={"BOARDPACK_LOCK_WAIT": "0.2"}).invoke(
            main, ["build", str(EXAMPLE), "--out", str(out), "--no-pdf"]
        )
        assert result.exit_code == 1
        assert f"another build is writing to this folder (process {holder.pid}" in result.output
        assert "Traceback" not in result.output
    finally:
        release(holder)
    # Once the other build has finished, the folder is free again.
    assert build([EXAMPLE], out, pdf=False, lock_wait=0).ok


def test_a_bad_lock_wait_setting_is_named(tmp_path: Path) -> None:
    result = CliRunner(env={"BOARDPACK_LOCK_WAIT": "soon"}).invoke(
        main, ["build", str(EXAMPLE), "--out", str(tmp_path), "--no-pdf"]
    )
    assert result.exit_code == 1
    assert "BOARDPACK_LOCK_WAIT must be a number of seconds, not 'soon'" in result.output


def gated_converter(folder: Path) -> tuple[Path, Path, Path]:
    """A LibreOffice that says when it has started and waits for a go-ahead before converting;
    returns (converter, started file, go file)."""
    folder.mkdir(parents=True, exist_ok=True)
    started, go = folder / "started", folder / "go"
    script = folder / "soffice"
    script.write_text(
        f"#!/bin/sh\ntouch '{started}'\nwhile [ ! -f '{go}' ]; do sleep 0.05; done\n"
        f'exec "{SOFFICE}" "$@"\n'
    )
    script.chmod(0o755)
    return script, started, go


@needs_soffice
@pytest.mark.libreoffice
def test_a_second_build_waits_for_the_first_and_the_folder_holds_one_workbook(
    tmp_path: Path,
) -> None:
    # Two managers' workbooks with one file name, built into one folder: the first build is
    # converting (it holds the lock) when the second starts, and the second waits for it.
    first = workbook(tmp_path / "first", "Alpha depot")
    second = workbook(tmp_path / "second", "Beta bridge", status="Red")
    out = tmp_path / "out"
    converter, started, go = gated_converter(tmp_path / "bin")
    running = boardpack(
        "build", str(first), "--out", str(out), env={"BOARDPACK_SOFFICE": str(converter)}
    )
    wait_for("the first build to start converting", started.exists)
    waiting = boardpack("build", str(second), "--out", str(out), env={"BOARDPACK_LOCK_WAIT": "600"})
    go.touch()
    outputs = [p.communicate(timeout=BOUND)[0] for p in (running, waiting)]
    assert [running.returncode, waiting.returncode] == [0, 0], outputs

    candidates = {"Alpha depot": first, "Beta bridge": second}
    assert assert_one_workbook(out, tmp_path / "archive", candidates) == "Beta bridge"


@needs_soffice
def test_a_build_that_cannot_wait_leaves_the_running_builds_paper_whole(tmp_path: Path) -> None:
    first = workbook(tmp_path / "first", "Alpha depot")
    second = workbook(tmp_path / "second", "Beta bridge")
    out = tmp_path / "out"
    converter, started, go = gated_converter(tmp_path / "bin")
    running = boardpack(
        "build", str(first), "--out", str(out), env={"BOARDPACK_SOFFICE": str(converter)}
    )
    wait_for("the first build to start converting", started.exists)
    refused = boardpack("build", str(second), "--out", str(out), env={"BOARDPACK_LOCK_WAIT": "0"})
    refused_output = refused.communicate(timeout=BOUND)[0]
    go.touch()
    running_output = running.communicate(timeout=BOUND)[0]

    assert running.returncode == 0, running_output
    assert refused.returncode == 1, refused_output
    assert f"another build is writing to this folder (process {running.pid}" in refused_output
    assert str(first) in refused_output.replace("\n", "")  # the other build's command
    candidates = {"Alpha depot": first, "Beta bridge": second}
    assert assert_one_workbook(out, tmp_path / "archive", candidates) == "Alpha depot"


@needs_soffice
@pytest.mark.libreoffice
def test_two_build_processes_started_together_leave_one_workbooks_paper(tmp_path: Path) -> None:
    first = workbook(tmp_path / "first", "Alpha depot")
    second = workbook(tmp_path / "second", "Beta bridge", status="Amber")
    out = tmp_path / "out"
    env = {"BOARDPACK_LOCK_WAIT": "600"}
    runs = [boardpack("build", str(w), "--out", str(out), env=env) for w in (first, second)]
    outputs = [run.communicate(timeout=BOUND)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs

    candidates = {"Alpha depot": first, "Beta bridge": second}
    assert_one_workbook(out, tmp_path / "archive", candidates)


def test_the_record_hashes_the_bytes_this_build_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever happens to the folder after the files are put in place, the record holds what
    # this build made, so `archive` refuses a file that is not that.
    from boardpack.pipeline import place

    out = tmp_path / "out"
    move_in = place._move_in

    def changed_before_it_is_moved(moves: list[tuple[Path | None, Path]], stage: Path) -> None:
        staged_docx = moves[0][0]
        assert staged_docx is not None
        staged_docx.write_bytes(b"not the paper this build made")
        move_in(moves, stage)

    monkeypatch.setattr(place, "_move_in", changed_before_it_is_moved)
    report = build([EXAMPLE], out, pdf=False)
    record = json.loads((out / ".boardpack" / "procurement.json").read_text(encoding="utf-8"))
    assert report.papers[0].docx_sha256 == record["docx_sha256"]
    assert record["docx_sha256"] != sha256_of(out / "procurement.docx")


# --- a paper's files change together ---------------------------------------------------------


def failing_converter(folder: Path, command: str = "exit 1") -> Path:
    """A converter that does `command` instead of converting."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "soffice"
    script.write_text(f"#!/bin/sh\n{command}\n")
    script.chmod(0o755)
    return script


@needs_soffice
@pytest.mark.libreoffice
def test_when_the_pdf_cannot_be_made_the_earlier_pair_is_kept_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = workbook(tmp_path / "in", "Alpha depot")
    out = tmp_path / "out"
    assert build([source], out).ok
    before = {name: (out / name).read_bytes() for name in ("procurement.docx", "procurement.pdf")}
    workbook(tmp_path / "in", "Alpha depot", status="Red")

    monkeypatch.setenv("BOARDPACK_SOFFICE", str(failing_converter(tmp_path / "bin")))
    report = build([source], out)

    paper = report.papers[0]
    assert paper.status is Status.FAILED
    assert "procurement.docx" in str(paper.error)
    assert (
        paper.note == "procurement.docx and procurement.pdf are left as an earlier build made them;"
        " the new paper is not put in place without its PDF (--no-pdf makes the .docx alone)"
    )
    assert {name: (out / name).read_bytes() for name in before} == before
    # ... and the build says they no longer show the workbook
    stale = {s.path.name: s.reason for s in report.stale}
    assert stale == {
        "procurement.docx": "its workbook procurement.xlsx has changed since the build;"
        " build it again",
        "procurement.pdf": "its workbook procurement.xlsx has changed since the build;"
        " build it again",
    }
    assert [p.name for p in out.iterdir() if p.name.startswith(".boardpack-tmp")] == []


@needs_soffice
@pytest.mark.libreoffice
def test_a_build_killed_while_converting_leaves_the_earlier_pair(tmp_path: Path) -> None:
    source = workbook(tmp_path / "in", "Alpha depot")
    out = tmp_path / "out"
    assert build([source], out).ok
    before = {name: (out / name).read_bytes() for name in ("procurement.docx", "procurement.pdf")}
    workbook(tmp_path / "in", "Alpha depot", status="Red")

    # The converter kills the build that started it, as a power cut or kill -9 would. Its
    # parent is the watchdog LibreOffice runs under (boardpack/outputs/reaper.py); the build is the
    # watchdog's parent.
    killer = failing_converter(
        tmp_path / "bin", 'kill -9 "$(ps -o ppid= -p "$PPID" | tr -d " ")"; exit 1'
    )
    killed = boardpack(
        "build", str(source), "--out", str(out), env={"BOARDPACK_SOFFICE": str(killer)}
    )
    killed.communicate(timeout=BOUND)
    assert killed.returncode == -9

    assert {name: (out / name).read_bytes() for name in before} == before
    # The next build clears what the killed one left and builds the new paper whole.
    report = build([source], out)
    assert report.ok and report.stale == []
    prove_pdf(out / "procurement.pdf", out / "procurement.docx")
    assert [p.name for p in out.iterdir() if p.name.startswith(".boardpack-tmp")] == []


@needs_soffice
@pytest.mark.libreoffice
def test_no_pdf_removes_an_earlier_pdf_of_another_version_and_keeps_one_of_this(
    tmp_path: Path,
) -> None:
    source = workbook(tmp_path / "in", "Alpha depot")
    out = tmp_path / "out"
    assert build([tmp_path / "in"], out).ok
    pdf_before = (out / "procurement.pdf").read_bytes()

    # The workbook has not changed: the PDF is still the paper's, so it stays and is recorded.
    same = build([tmp_path / "in"], out, pdf=False)
    assert same.ok and same.stale == [] and same.papers[0].note == ""
    assert (out / "procurement.pdf").read_bytes() == pdf_before
    record = json.loads((out / ".boardpack" / "procurement.json").read_text(encoding="utf-8"))
    assert record["pdf_sha256"] == sha256_of(out / "procurement.pdf")

    workbook(tmp_path / "in", "Alpha depot", status="Red")
    result = CliRunner().invoke(
        main, ["build", str(tmp_path / "in"), "--out", str(out), "--no-pdf"]
    )
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "removed procurement.pdf: it was made from an earlier version of the paper" in flat
    assert "removed board-pack.pdf" in flat
    assert not (out / "procurement.pdf").exists() and not (out / "board-pack.pdf").exists()
    record = json.loads((out / ".boardpack" / "procurement.json").read_text(encoding="utf-8"))
    assert record["pdf"] is None
    assert source.exists()


def test_the_build_names_outputs_no_workbook_stands_behind_any_more(tmp_path: Path) -> None:
    inputs, out = tmp_path / "in", tmp_path / "out"
    alpha = workbook(inputs / "a", "Alpha depot")
    beta = edit_workbook(EXAMPLE, inputs / "beta.xlsx", {"Paper!B2": "Beta bridge"})
    assert build([alpha, beta], out, pdf=False).ok
    beta.unlink()  # the paper is withdrawn from the meeting
    (out / "notes.pdf").write_bytes(b"%PDF-1.7 someone's own file")
    if hasattr(os, "mkfifo"):
        os.mkfifo(out / "alpha.pdf")  # reading it would hang the build

    report = build([alpha], out, pdf=False)
    assert {s.path.name: s.reason for s in report.stale} == {
        "beta.docx": f"its workbook {beta} is no longer there",
        "notes.pdf": "no build record: boardpack did not make it in this folder,"
        " or its record is gone",
        **(
            {"alpha.pdf": "not a regular file; boardpack did not make it"}
            if hasattr(os, "mkfifo")
            else {}
        ),
    }
    result = CliRunner().invoke(main, ["build", str(alpha), "--out", str(out), "--no-pdf"])
    flat = " ".join(result.output.split())
    assert result.exit_code == 0
    assert "stale beta.docx: its workbook" in flat and "stale notes.pdf: no build record" in flat


def test_a_pack_older_than_the_papers_beside_it_is_named_stale(tmp_path: Path) -> None:
    inputs, out = tmp_path / "in", tmp_path / "out"
    source = workbook(inputs, "Alpha depot")
    first = build([inputs], out, pdf=False)
    assert first.ok and first.pack is not None and first.pack.docx == out / "board-pack.docx"
    workbook(inputs, "Alpha depot", status="Red")

    report = build([source], out, pdf=False)  # the paper alone: the pack is not made again
    assert [str(s) for s in report.stale] == [
        "board-pack.docx: made before this build changed its papers; build the whole folder"
        " of workbooks to make the pack again"
    ]
    assert build([inputs], out, pdf=False).stale == []


@needs_soffice
@pytest.mark.libreoffice
def test_when_the_pack_pdf_cannot_be_made_the_earlier_pack_pair_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, out = tmp_path / "in", tmp_path / "out"
    workbook(inputs, "Alpha depot")
    assert build([inputs], out).ok
    before = {name: (out / name).read_bytes() for name in ("board-pack.docx", "board-pack.pdf")}
    workbook(inputs, "Alpha depot", status="Red")
    # LibreOffice converts the paper but refuses the pack.
    converter = failing_converter(
        tmp_path / "bin", f'case "$*" in *board-pack.docx*) exit 1 ;; esac\nexec "{SOFFICE}" "$@"'
    )
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(converter))

    report = build([inputs], out)

    assert report.papers[0].status is Status.BUILT
    assert report.pack is not None and report.pack.error is not None
    assert report.pack.note == (
        "board-pack.docx and board-pack.pdf are left as an earlier build made them;"
        " the new pack is not put in place without its PDF (--no-pdf makes the .docx alone)"
    )
    assert {name: (out / name).read_bytes() for name in before} == before
    prove_pdf(out / "procurement.pdf", out / "procurement.docx")
    assert {s.path.name for s in report.stale} == {"board-pack.docx", "board-pack.pdf"}


@needs_soffice
@pytest.mark.libreoffice
def test_a_docx_that_cannot_be_replaced_leaves_the_earlier_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boardpack.pipeline import place

    source = workbook(tmp_path / "in", "Alpha depot")
    out = tmp_path / "out"
    assert build([source], out).ok
    before = {name: (out / name).read_bytes() for name in ("procurement.docx", "procurement.pdf")}
    workbook(tmp_path / "in", "Alpha depot", status="Red")
    replace = os.replace

    def word_has_it_open(source: Path, target: Path) -> None:
        if Path(source) == out / "procurement.docx":  # it cannot be moved aside
            raise PermissionError(13, "Permission denied")
        replace(source, target)

    monkeypatch.setattr(place.os, "replace", word_has_it_open)
    report = build([source], out)

    paper = report.papers[0]
    assert paper.status is Status.FAILED
    assert str(paper.error).startswith(f"{out / 'procurement.docx'}: could not be put in place")
    assert "holds it open" in str(paper.error)
    assert {name: (out / name).read_bytes() for name in before} == before


# --- a full disk while putting a rebuild in place ---------------------------------------------


class FullDisk:
    """A disk that fills up at the `at`-th step of putting outputs in place (a rename or a
    flush to the disk), after which every flush fails, or with `once`, only that step does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: int, *, once: bool) -> None:
        from boardpack.pipeline import place

        self.at, self.once, self.steps, self.armed, self.hit = at, once, 0, False, False
        replace, fsync, put_papers = os.replace, os.fsync, place.put_papers_in_place

        def step(kind: str) -> None:
            if not self.armed:
                return
            self.steps += 1
            full = self.steps == self.at or (self.hit and not self.once and kind == "flush")
            if full:
                self.hit = True
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def replacing(source: Path, target: Path) -> None:
            step("rename")
            replace(source, target)

        def flushing(handle: int) -> None:
            step("flush")
            fsync(handle)

        def placing(*args: object, **kwargs: object) -> None:
            self.armed = True  # from here on: everything the build does to put outputs in place
            put_papers(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "replace", replacing)
        monkeypatch.setattr(os, "fsync", flushing)
        monkeypatch.setattr(place, "put_papers_in_place", placing)


def folder_files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


@pytest.mark.parametrize("once", [False, True], ids=["stays-full", "full-for-one-step"])
def test_a_full_disk_at_any_step_of_putting_a_rebuild_in_place_leaves_whole_papers_and_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, once: bool
) -> None:
    inputs, out, earlier = tmp_path / "in", tmp_path / "out", tmp_path / "earlier"
    inputs.mkdir()
    for name, project in (("alpha", "Alpha depot"), ("beta", "Beta bridge")):
        edit_workbook(EXAMPLE, inputs / f"{name}.xlsx", {"Paper!B2": project})
    assert build([inputs], out, pdf=False).ok
    shutil.copytree(out, earlier)
    before = folder_files(earlier)
    for name in ("alpha", "beta"):
        edit_workbook(inputs / f"{name}.xlsx", inputs / f"{name}.xlsx", {"Paper!B8": "Red"})

    at, failures = 0, 0
    while True:
        at += 1
        shutil.rmtree(out)
        shutil.copytree(earlier, out)
        with monkeypatch.context() as patched:
            disk = FullDisk(patched, at, once=once)
            command = ["build", str(inputs), "--out", str(out), "--no-pdf"]
            result = CliRunner().invoke(main, command, env={"COLUMNS": "1000"})
        flat = " ".join(result.output.split())
        assert "Traceback" not in flat and "Error" not in flat, result.output
        if not disk.hit:
            assert result.exit_code == 0, result.output  # every step has been tried
            break
        failures += 1
        assert result.exit_code == 1, (at, result.output)
        assert "could not be put in place (No space left on device)" in flat, (at, flat)
        assert "free some space on the disk" in flat
        now = folder_files(out)
        assert [n for n in now if n.startswith(".boardpack-tmp")] == []
        placed = set()
        for name in ("alpha", "beta"):
            files = (f"{name}.docx", f".boardpack/{name}.json")
            if all(now[f] == before[f] for f in files):
                continue  # the earlier paper, with its record, as it was
            record = json.loads(now[f".boardpack/{name}.json"])
            assert record["docx_sha256"] == sha256_of(out / f"{name}.docx"), (at, name)
            assert now[f"{name}.docx"] != before[f"{name}.docx"]
            placed.add(name)
        pack_files = ("board-pack.docx", ".boardpack/board-pack.json")
        if all(now[f] == before[f] for f in pack_files):
            assert "board-pack.docx" in flat and "left as" in flat, (at, flat)
            stale = "stale board-pack.docx: made before this build changed its papers"
            assert (stale in flat) == bool(placed), (at, flat)
        else:  # a new pack only beside the very papers it holds
            assert placed == {"alpha", "beta"}, (at, flat)
            pack = json.loads(now[".boardpack/board-pack.json"])
            assert pack["docx_sha256"] == sha256_of(out / "board-pack.docx")
            for held in pack["papers"]:
                paper = json.loads(now[f".boardpack/{held['name']}.json"])
                assert held["docx_sha256"] == paper["docx_sha256"]
    assert failures >= 8  # each paper's files and record, and the pack's, were each tried


def test_putting_a_paper_in_place_is_all_or_nothing_whichever_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The .docx, its PDF and its record: each rename in turn fails (a file held open, a full
    # disk); the folder then holds the earlier three exactly, and the error names the file.
    from boardpack.pipeline import place

    def setup() -> tuple[Path, Path, list[tuple[Path | None, Path]]]:
        out, stage = tmp_path / "out", tmp_path / "stage"
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(stage, ignore_errors=True)
        (out / ".boardpack").mkdir(parents=True)
        stage.mkdir()
        moves: list[tuple[Path | None, Path]] = []
        for name in ("paper.docx", "paper.pdf", ".boardpack/paper.json"):
            (out / name).write_text(f"earlier {name}")
            staged = stage / Path(name).name
            staged.write_text(f"new {name}")
            moves.append((staged, out / name))
        return out, stage, moves

    out, stage, moves = setup()
    before = folder_files(out)
    renames = 0
    replace = os.replace

    def counting(source: Path, target: Path) -> None:
        nonlocal renames
        renames += 1
        replace(source, target)

    monkeypatch.setattr(os, "replace", counting)
    place._move_in(moves, stage)
    total, renames = renames, 0
    assert {n: d.decode() for n, d in folder_files(out).items()} == {n: f"new {n}" for n in before}
    for failing in range(1, total + 1):
        out, stage, moves = setup()
        calls = 0

        def failing_at(source: Path, target: Path, at: int = failing) -> None:
            nonlocal calls
            calls += 1
            if calls == at:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            replace(source, target)

        monkeypatch.setattr(os, "replace", failing_at)
        with pytest.raises(place._NotPlaced) as caught:
            place._move_in(moves, stage)
        assert caught.value.restored
        assert folder_files(out) == before, failing
        message = str(place._not_placed(caught.value, "paper.docx and its PDF"))
        assert (
            "(No space left on device); the earlier paper.docx and its PDF, if any, are left"
            in message
        )
