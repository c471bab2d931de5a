"""`boardpack watch` and its warm converters: a saved workbook's paper and PDF rebuilt, lock
files and untouched saves passed over, a failing workbook reported by cell, a crashed or hung
LibreOffice restarted, a share that drops and returns, and nothing left running after SIGTERM.

Every wait is for an event (a printed line, a file, a process gone) with a generous bound; no
test asserts how long anything took.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from boardpack.errors import ConversionError
from boardpack.outputs.pdf import convert_to_pdf, verify_pdf
from boardpack.outputs.proof import prove_pdf
from boardpack.outputs.warm import OFFICE_PYTHON_ENV, EarlyConverter, WarmConverter
from boardpack.pipeline import build
from boardpack.watch import Notice, Rebuild, WatchEvent, _group, _KeptPdfs, _Session
from tests.conftest import EXAMPLE, ROOT
from tests.pdf_structure import iter_problems, structure_problems
from tests.test_lifecycle import MARKER, build_processes, command_name
from tests.test_pdf import live_group_members
from tests.test_pdf_structure import pdfua_findings

pytestmark = pytest.mark.libreoffice  # the watch keeps LibreOffice warm

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
BOUND = 300.0  # seconds; far more than any wait below needs, even on a busy machine
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice not installed")
needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def save_as_excel_does(workbook: Path, edits: dict[str, object]) -> None:
    """Save edits as Excel does: the whole new file under a temporary name, renamed over."""
    book = openpyxl.load_workbook(workbook)
    for ref, value in edits.items():
        sheet, cell = ref.split("!")
        book[sheet][cell] = value
    temporary = workbook.with_name(uuid.uuid4().hex[:8].upper())  # Excel's: no extension
    book.save(temporary)
    os.replace(temporary, workbook)


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


class Watching:
    """A `boardpack watch` process, with a marker every process it starts inherits."""

    def __init__(self, root: Path) -> None:
        self.inputs, self.out, self.tmp = root / "inputs", root / "out", root / "tmp"
        self.inputs.mkdir()
        self.tmp.mkdir()
        shutil.copyfile(EXAMPLE, self.inputs / "procurement.xlsx")
        self.marker = uuid.uuid4().hex
        env = dict(os.environ, TMPDIR=str(self.tmp), PYTHONPATH=str(ROOT))
        env[MARKER] = self.marker
        self.process = subprocess.Popen(
            [sys.executable, "-m", "boardpack", "watch", str(self.inputs), "--out", str(self.out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self) -> str:
        try:
            line = self.lines.get(timeout=BOUND)
        except queue.Empty:
            pytest.fail(f"the watch printed nothing more; so far: {self.seen}")
        self.seen.append(line)
        return line

    def lines_until(self, text: str) -> list[str]:
        """The lines printed up to and including the first that holds `text`."""
        lines = []
        while True:
            lines.append(self.next_line())
            if text in lines[-1]:
                return lines

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=BOUND)
        return self.process.returncode, stderr

    def kill(self) -> None:
        for pid in build_processes(self.marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[Watching]:
    run = Watching(tmp_path)
    try:
        yield run
    finally:
        if run.process.poll() is None:
            run.process.kill()
        run.process.wait(timeout=BOUND)
        run.reader.join(timeout=BOUND)  # at the end of its output
        for stream in (run.process.stdout, run.process.stderr):
            if stream is not None:
                stream.close()
        run.kill()


def wait_for(what: str, condition: object) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@needs_libreoffice
@needs_proc
def test_watch_rebuilds_each_saved_paper_and_stops_on_sigterm_leaving_nothing_running(
    watching: Watching,
) -> None:
    workbook, pdf = watching.inputs / "procurement.xlsx", watching.out / "procurement.pdf"
    first = watching.lines_until("pack: built")
    assert any("procurement.xlsx: built procurement.docx, procurement.pdf in" in x for x in first)
    assert "Nightingale" not in pdf_text(pdf)
    assert any(command_name(pid) == "soffice.bin" for pid in build_processes(watching.marker))

    # Office lock files appear as the manager opens the workbook; then Excel saves.
    (watching.inputs / "~$procurement.xlsx").write_bytes(b"\x0bjim burness")
    (watching.inputs / ".~lock.procurement.xlsx#").write_text("jim,host,2026\n")
    save_as_excel_does(workbook, {"Paper!B2": "Nightingale ward"})
    saved = watching.lines_until("procurement.xlsx")
    assert saved[-1].split(" ", 1)[1].startswith("procurement.xlsx: built procurement.docx,")
    assert [x for x in saved if "~$" in x or ".~lock" in x] == []
    assert "Nightingale ward" in pdf_text(pdf)
    assert verify_pdf(pdf) == 3

    # A save that leaves the content as it was (a touch) is not a change; the next one is.
    os.utime(workbook)
    save_as_excel_does(workbook, {"Risks!C5": 77})
    failed = watching.lines_until("Risks!C5")
    assert [x for x in failed if ": built" in x and "procurement" in x] == []
    assert any("procurement.xlsx: invalid; the earlier paper stays" in x for x in failed)
    assert "Risks!C5: impact must be a whole number from 1 to 4 (got 77)" in failed[-1]
    assert "Nightingale ward" in pdf_text(pdf)  # the earlier paper stays in place

    save_as_excel_does(workbook, {"Risks!C5": 4, "Paper!B2": "Seacole wing"})
    # Excel's lock file is still beside it: the rebuild warns that unsaved changes are not in it.
    rebuilt = watching.lines_until(": built procurement.docx")
    assert ": built procurement.docx, procurement.pdf in" in rebuilt[-1]
    assert any("is open in Excel (~$procurement.xlsx is beside it)" in x for x in rebuilt)
    assert "Seacole wing" in pdf_text(pdf)
    watching.lines_until("pack: built")
    assert "Seacole wing" in pdf_text(watching.out / "board-pack.pdf")

    returncode, stderr = watching.stop()

    assert returncode == 143, stderr
    assert "Traceback" not in stderr
    wait_for("the watch's processes to end", lambda: build_processes(watching.marker) == [])
    assert list(watching.tmp.iterdir()) == []  # the workers' folders and profiles removed


@needs_libreoffice
@needs_proc
def test_a_watch_killed_with_kill_9_leaves_no_libreoffice(watching: Watching) -> None:
    watching.lines_until("pack: built")
    assert any(command_name(pid) == "soffice.bin" for pid in build_processes(watching.marker))

    watching.process.kill()  # no clean-up runs: the workers see their stdin close, and go
    watching.process.wait(timeout=BOUND)

    wait_for("LibreOffice to end", lambda: build_processes(watching.marker) == [])


@pytest.fixture
def converted(tmp_path: Path) -> Path:
    """A paper rendered (no PDF), ready to convert."""
    report = build([EXAMPLE], tmp_path / "out", pdf=False)
    docx = report.papers[0].docx
    assert docx is not None
    return docx


def soffice_in(converter: WarmConverter) -> list[int]:
    """The LibreOffice processes (soffice.bin) of the converter's workers."""
    return [
        pid
        for group in converter.groups()
        for pid in live_group_members(group)
        if command_name(pid) == "soffice.bin"
    ]


@needs_libreoffice
@needs_proc
def test_a_worker_starts_its_libreoffice_on_a_copy_of_the_kept_profile(converted: Path) -> None:
    convert_to_pdf([converted])  # a one-off conversion keeps the profile template first
    with WarmConverter(workers=1) as converter:
        converter.start()
        (office,) = soffice_in(converter)
        arguments = (Path("/proc") / str(office) / "cmdline").read_bytes().split(b"\0")
        (uri,) = [a for a in arguments if a.startswith(b"-env:UserInstallation=")]
        profile = Path(urllib.parse.urlparse(uri.decode().split("=", 1)[1]).path)
        settings = (profile / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")

    # The template records this LibreOffice's version as seen, as only an interactive start
    # does; a fresh profile has not, and its first start runs the graphics self-test (0.7 s).
    assert "ooSetupLastVersion" in settings


@needs_libreoffice
@needs_proc
def test_a_crashed_libreoffice_is_restarted_and_the_paper_converted(converted: Path) -> None:
    with WarmConverter(workers=1) as converter:
        converter.start()
        groups = converter.groups()
        for pid in soffice_in(converter):
            os.kill(pid, signal.SIGKILL)

        result = converter.convert([converted], timeout=120)

        assert result == {converted: converted.with_suffix(".pdf")}
        assert verify_pdf(converted.with_suffix(".pdf")) == 3
        assert converter.restarts == 1
        assert converter.groups() != groups
    for group in groups + converter.groups():
        wait_for("the workers to end", lambda g=group: live_group_members(g) == [])


@needs_libreoffice
@needs_proc
def test_a_hung_libreoffice_is_killed_restarted_and_the_paper_converted(converted: Path) -> None:
    with WarmConverter(workers=1) as converter:
        converter.start()
        hung = converter.groups()
        for pid in soffice_in(converter):
            os.kill(pid, signal.SIGSTOP)  # alive, but never answers

        result = converter.convert([converted], timeout=5)

        assert result == {converted: converted.with_suffix(".pdf")}
        assert converter.restarts == 1
        wait_for("the hung worker to be ended", lambda: live_group_members(hung[0]) == [])
        left = converter.groups()
    wait_for("the workers to end", lambda: live_group_members(left[0]) == [])


@needs_libreoffice
def test_a_warm_conversion_makes_the_pdf_a_one_off_conversion_makes(
    converted: Path, tmp_path: Path
) -> None:
    one_off = tmp_path / "one-off" / converted.name
    one_off.parent.mkdir()
    shutil.copyfile(converted, one_off)
    convert_to_pdf([one_off])
    with WarmConverter(workers=1) as converter:
        converter.start()
        converter.convert([converted])
    warm, cold = converted.with_suffix(".pdf"), one_off.with_suffix(".pdf")

    assert verify_pdf(warm, title="Procurement highlight report") == verify_pdf(cold) == 3
    assert pdf_text(warm) == pdf_text(cold)
    assert list(iter_problems(structure_problems(warm))) == []
    assert pdfua_findings(warm) == pdfua_findings(cold) == []
    prove_pdf(warm, converted)  # the proof a build makes: this PDF is this paper's


@needs_libreoffice
def test_a_paper_that_cannot_be_converted_is_named_and_the_converter_goes_on(
    converted: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as package:
        package.writestr("word/document.xml", "<not-word/>")
    with WarmConverter(workers=1) as converter:
        converter.start()
        with pytest.raises(Exception) as raised:
            converter.convert([broken, converted], timeout=120)
        assert "broken.docx" in str(raised.value)
        assert getattr(raised.value, "converted", {}) == {converted: converted.with_suffix(".pdf")}
        assert converter.convert([converted]) == {converted: converted.with_suffix(".pdf")}


# --- a LibreOffice started early, for a build ---------------------------------------------------


@needs_libreoffice
@needs_proc
def test_an_early_libreoffice_makes_the_proven_pdf_once_a_profile_is_kept_and_leaves_nothing(
    converted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOARDPACK_CACHE", str(tmp_path / "cache"))  # no profile kept yet
    with EarlyConverter(workers=1) as early:
        assert early.convert([converted], timeout=120) == {converted: converted.with_suffix(".pdf")}
        assert not early.warm  # one-off, keeping the profile a warm LibreOffice starts from
    with EarlyConverter(workers=1) as early:
        done: list[Path] = []
        result = early.convert([converted], timeout=120, on_done=done.append)
        groups = early.groups()

        assert early.warm and groups  # the warm LibreOffice made it, not a one-off one
        assert result == {converted: converted.with_suffix(".pdf")} and done == [converted]
        prove_pdf(converted.with_suffix(".pdf"), converted)
        assert list(iter_problems(structure_problems(converted.with_suffix(".pdf")))) == []
    for group in groups:
        wait_for("the workers to end", lambda g=group: live_group_members(g) == [])


@needs_libreoffice
def test_without_a_python_to_drive_libreoffice_an_early_converter_converts_one_off(
    converted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(OFFICE_PYTHON_ENV, str(tmp_path / "no-python-here"))
    with EarlyConverter() as early:
        result = early.convert([converted], timeout=120)

        assert not early.warm
        assert result == {converted: converted.with_suffix(".pdf")}
        prove_pdf(converted.with_suffix(".pdf"), converted)


@needs_libreoffice
@needs_proc
def test_an_early_libreoffice_that_never_starts_is_ended_and_the_pdf_made_one_off(
    converted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = f"boardpack-early-{os.getpid()}"
    (tmp_path / marker).mkdir()
    python = tmp_path / marker / "python"  # the marker shows in the processes' command lines
    python.write_text('#!/bin/sh\nexec sh -c "sleep 60" "$0-child"\n')  # never says it is ready
    python.chmod(0o755)
    convert_to_pdf([shutil.copyfile(converted, tmp_path / converted.name)])  # a profile kept
    monkeypatch.setenv(OFFICE_PYTHON_ENV, str(python))
    with EarlyConverter() as early:
        result = early.convert([converted], timeout=3)

        assert not early.warm
        assert result == {converted: converted.with_suffix(".pdf")}
        prove_pdf(converted.with_suffix(".pdf"), converted)
        # The hanging start was ended when it was given up.
        wait_for(
            "the hanging start to end",
            lambda: (
                subprocess.run(
                    ["pgrep", "-f", f"{marker}/python-child"], capture_output=True
                ).stdout
                == b""
            ),
        )


def test_a_converter_named_by_boardpack_soffice_is_run_as_named_not_kept_running(
    converted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(tmp_path / "no-soffice-here"))
    with EarlyConverter() as early:
        assert not early.warm and early.groups() == []
        with pytest.raises(ConversionError, match="BOARDPACK_SOFFICE is set to"):
            early.convert([converted], timeout=3)


# --- finding saves, without LibreOffice -------------------------------------------------------


@pytest.fixture
def session(tmp_path: Path) -> tuple[_Session, list[WatchEvent], Path]:
    folder = tmp_path / "inputs"
    folder.mkdir()
    events: list[WatchEvent] = []
    watcher = _Session(folder, tmp_path / "out", events.append, None, 60.0)
    return watcher, events, folder


def test_a_save_is_seen_once_complete_and_once_only(
    session: tuple[_Session, list[WatchEvent], Path],
) -> None:
    watcher, _, folder = session
    assert watcher.changes() == []
    workbook = folder / "procurement.xlsx"
    data = EXAMPLE.read_bytes()
    workbook.write_bytes(data[: len(data) // 2])  # a copy half done: its zip directory not there

    assert watcher.changes() == []

    workbook.write_bytes(data)
    assert watcher.changes() == [workbook]
    watcher.built[workbook] = hashlib.sha256(data).hexdigest()  # as a build records it
    os.utime(workbook, ns=(1, 1))  # touched, not changed
    assert watcher.changes() == []


def test_a_workbook_renamed_away_before_its_build_is_not_reported_as_a_failed_paper(
    session: tuple[_Session, list[WatchEvent], Path],
) -> None:
    # A script (or a sync program) saving as Excel does, but through a temporary named .xlsx:
    # the watch sees the temporary complete, and by the time it builds, it is the workbook.
    watcher, events, folder = session
    temporary, workbook = folder / "procurement.tmp.xlsx", folder / "procurement.xlsx"
    shutil.copyfile(EXAMPLE, temporary)
    assert watcher.changes() == [temporary]
    os.replace(temporary, workbook)
    watcher.build_papers([temporary])
    assert events == []  # nothing built, nothing failed
    assert watcher.changes() == [workbook]  # what it became is built next


def test_office_lock_files_and_temporaries_are_not_workbooks(
    session: tuple[_Session, list[WatchEvent], Path],
) -> None:
    watcher, _, folder = session
    shutil.copyfile(EXAMPLE, folder / "~$procurement.xlsx")
    shutil.copyfile(EXAMPLE, folder / ".~lock.procurement.xlsx#")
    shutil.copyfile(EXAMPLE, folder / "A1B2C3D4")  # Excel's temporary
    shutil.copyfile(EXAMPLE, folder / "lu12345.tmp")  # LibreOffice's
    assert watcher.changes() == []


def test_a_folder_that_goes_is_said_once_and_what_changed_meanwhile_is_rebuilt(
    session: tuple[_Session, list[WatchEvent], Path],
) -> None:
    watcher, events, folder = session
    workbook = folder / "procurement.xlsx"
    shutil.copyfile(EXAMPLE, workbook)
    assert watcher.changes() == [workbook]
    watcher.built[workbook] = hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    aside = folder.with_name("unmounted")
    folder.rename(aside)  # the share drops

    assert watcher.changes() is None
    assert watcher.changes() is None
    assert [e.message for e in events if isinstance(e, Notice)] == [
        f"{folder} cannot be read (No such file or directory); waiting for it to come back"
    ]

    aside.rename(folder)
    assert watcher.changes() == []  # back, unchanged: nothing to build
    folder.rename(aside)
    assert watcher.changes() is None
    save_as_excel_does(aside / "procurement.xlsx", {"Paper!B2": "Changed while away"})
    aside.rename(folder)

    assert watcher.changes() == [workbook]
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert notices[-1] == f"{folder} is back; rebuilding what changed"
    assert not any(isinstance(e, Rebuild) for e in events)


@needs_libreoffice
def test_without_a_python_that_can_drive_libreoffice_the_converter_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(OFFICE_PYTHON_ENV, "no-such-python-here")
    with pytest.raises(ConversionError, match=OFFICE_PYTHON_ENV):
        WarmConverter()


@needs_libreoffice
def test_a_python_without_uno_is_refused_on_start_leaving_nothing_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(OFFICE_PYTHON_ENV, sys.executable)  # this virtual environment's: no uno
    with WarmConverter(workers=1) as converter:
        with pytest.raises(ConversionError, match=r"cannot use LibreOffice \(import uno"):
            converter.start()
        assert converter.groups() == []


@needs_libreoffice
def test_a_libreoffice_that_cannot_convert_the_sample_is_refused_on_start_leaving_nothing_running(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A stand-in for the worker: says it is ready, then fails every conversion asked of it.
    office = tmp_path / "office-python"
    office.write_text(
        "#!/bin/sh\necho '{\"ready\": true}'\n"
        'while read -r line; do echo \'{"ok": false, "error": "no filter"}\'; done\n'
    )
    office.chmod(0o755)
    monkeypatch.setenv(OFFICE_PYTHON_ENV, str(office))
    with WarmConverter(workers=1) as converter:
        with pytest.raises(ConversionError, match="could not convert a sample document: no filter"):
            converter.start()
        assert converter.groups() == []


@needs_libreoffice
def test_starting_libreoffice_loads_no_xml_parser_that_a_forked_render_worker_could_inherit_locked(
    tmp_path: Path,
) -> None:
    # A build forks its render workers while its LibreOffice starts in a thread. A fork taken
    # while that thread parsed XML with python-docx's shared parser left the worker waiting
    # for ever on the parser's lock (seen in a benchmark), so starting must not parse XML.
    probe = (
        "import sys\n"
        "from boardpack.outputs.warm import WarmConverter\n"
        "with WarmConverter(workers=1) as converter:\n"
        "    converter.start()\n"
        "    print(sorted(m for m in ('docx', 'lxml', 'lxml.etree') if m in sys.modules))\n"
    )
    started = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout == "[]\n"


def test_a_cover_report_is_rebuilt_with_its_appendices_and_an_appendix_with_its_cover(
    tmp_path: Path,
) -> None:
    for name in ("cover", "annex-a", "annex-b", "other"):
        shutil.copyfile(EXAMPLE, tmp_path / f"{name}.xlsx")
    appendices = {"Cover": ("annex-a", "Annex-B")}
    whole = [tmp_path / "cover.xlsx", tmp_path / "annex-a.xlsx", tmp_path / "annex-b.xlsx"]

    assert _group(tmp_path / "annex-b.xlsx", appendices) == whole
    assert _group(tmp_path / "cover.xlsx", appendices) == whole
    assert _group(tmp_path / "other.xlsx", appendices) == [tmp_path / "other.xlsx"]


@needs_libreoffice
def test_the_packs_rebuild_keeps_each_unchanged_papers_pdf_and_converts_only_the_pack(
    tmp_path: Path,
) -> None:
    folder, out = tmp_path / "inputs", tmp_path / "out"
    folder.mkdir()
    for name in ("housing", "procurement", "roads"):
        shutil.copyfile(EXAMPLE, folder / f"{name}.xlsx")
    events: list[WatchEvent] = []
    with WarmConverter(workers=1) as warm:
        kept = _KeptPdfs(warm.convert)
        session = _Session(folder, out, events.append, kept, 60.0)
        session.build_folder("folder")
        assert kept.converted == 4  # three papers and the pack
        before = {name: (out / f"{name}.pdf").read_bytes() for name in ("housing", "roads")}

        save_as_excel_does(folder / "procurement.xlsx", {"Paper!B2": "Nightingale ward"})
        changed = session.changes()
        assert changed == [folder / "procurement.xlsx"]
        session.build_papers(changed)
        assert kept.converted == 5  # the saved paper
        session.build_folder("pack")  # every paper rendered again: each the same bytes

    assert kept.converted == 6  # the pack alone: no paper converted again
    rebuilt = [e for e in events if isinstance(e, Rebuild)]
    assert [e.kind for e in rebuilt] == ["folder", "paper", "pack"]
    assert all(e.report is not None and e.report.ok for e in rebuilt), [e.lines() for e in rebuilt]
    for name, data in before.items():
        assert (out / f"{name}.pdf").read_bytes() == data
        assert verify_pdf(out / f"{name}.pdf") == 3  # proven by the pack's build as ever
    assert "Nightingale ward" in pdf_text(out / "procurement.pdf")
    assert "Nightingale ward" in pdf_text(out / "board-pack.pdf")


def test_a_kept_pdf_that_fails_its_proof_is_dropped_and_the_pack_is_never_kept(
    tmp_path: Path,
) -> None:
    calls: list[list[str]] = []

    def convert(docx_paths: list[Path], *, on_done: Any, **_: Any) -> dict[Path, Path]:
        calls.append([d.name for d in docx_paths])  # a stand-in: the unit is the keeping
        for docx in docx_paths:
            docx.with_suffix(".pdf").write_bytes(b"%PDF of " + docx.read_bytes())
            on_done(docx)
        return {d: d.with_suffix(".pdf") for d in docx_paths}

    paper, pack = tmp_path / "roads.docx", tmp_path / "board-pack.docx"
    paper.write_bytes(b"roads")
    pack.write_bytes(b"pack")
    kept = _KeptPdfs(convert)
    kept([paper, pack], on_done=lambda docx: None)
    kept([paper, pack], on_done=lambda docx: None)
    assert calls == [["roads.docx", "board-pack.docx"], ["board-pack.docx"]]
    assert paper.with_suffix(".pdf").read_bytes() == b"%PDF of roads"

    def fails_proof(docx: Path) -> None:
        docx.with_suffix(".pdf").unlink()  # as the build removes a PDF that is not its paper's

    kept([paper], on_done=fails_proof)  # written from what was kept, then refused
    kept([paper], on_done=lambda docx: None)
    assert calls[-1] == ["roads.docx"]  # converted again, not kept after its refusal
    paper.write_bytes(b"roads, edited")
    kept([paper], on_done=lambda docx: None)
    assert calls[-1] == ["roads.docx"]
    assert paper.with_suffix(".pdf").read_bytes() == b"%PDF of roads, edited"


@needs_libreoffice
def test_a_save_while_the_pack_is_built_cuts_the_pack_short_and_its_paper_goes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boardpack.watch as watching_module

    folder, out = tmp_path / "inputs", tmp_path / "out"
    folder.mkdir()
    for name in ("housing", "procurement", "roads"):
        shutil.copyfile(EXAMPLE, folder / f"{name}.xlsx")
    real_build, saved = watching_module.build, []

    def build_with_a_save_midway(*args: Any, on_progress: Any = None, **options: Any) -> Any:
        def progress(stage: str, paper: Any) -> None:
            if on_progress is not None and stage == "docx" and not saved:
                save_as_excel_does(folder / "roads.xlsx", {"Paper!B2": "Seacole wing"})
                saved.append(paper.name)  # the manager saves as the pack's papers render
            if on_progress is not None:
                on_progress(stage, paper)

        return real_build(*args, on_progress=progress, **options)

    events: list[WatchEvent] = []
    with WarmConverter(workers=1) as warm:
        kept = _KeptPdfs(warm.convert, lambda: watching_module._refill(warm))
        session = _Session(folder, out, events.append, kept, 60.0)
        session.build_folder("folder")
        pack = (out / "board-pack.pdf").read_bytes()
        monkeypatch.setattr(watching_module, "build", build_with_a_save_midway)

        session.build_folder("pack")
        assert saved and isinstance(events[-1], Notice)
        assert "pack: put off, a workbook was saved while it was built" in events[-1].message
        assert (out / "board-pack.pdf").read_bytes() == pack  # the earlier pack stays
        assert session.pack_due is not None  # tried again once the saves pause, whatever
        assert [p.name for p in out.iterdir() if p.name.startswith(".boardpack-tmp")] == []

        changed = session.changes()  # the save, seen at the next look
        assert changed == [folder / "roads.xlsx"]
        session.build_papers(changed)
        assert session.pack_due is not None  # the pack follows the paper, as after any save
        session.build_folder("pack")
        wait_for("the converter's worker", lambda: len(warm.groups()) == 1)

    rebuilt = [e for e in events if isinstance(e, Rebuild)]
    assert [e.kind for e in rebuilt] == ["folder", "paper", "pack"]
    assert all(e.report is not None and e.report.ok for e in rebuilt), [e.lines() for e in rebuilt]
    assert "Seacole wing" in pdf_text(out / "roads.pdf")
    assert "Seacole wing" in pdf_text(out / "board-pack.pdf")
