"""Nothing outlives a build: `boardpack build` killed (-9) or stopped (SIGTERM) while it renders
or converts leaves no process running, and the next build sweeps its work folders and is clean.

Each build runs as a real `boardpack build` subprocess with a marker in its environment, which
every process it starts inherits (render workers, the reaper, LibreOffice and its children), so
a process of that build is found by reading /proc/*/environ. Waits poll for something to happen
with a generous bound; no test asserts how long anything took.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from boardpack.outputs import scratch
from boardpack.outputs.pdf import WORK_PREFIX, verify_pdf
from boardpack.outputs.scratch import OWNER_LOCK, OWNER_NOTE
from tests.conftest import EXAMPLE

MARKER = "BOARDPACK_TEST_BUILD"
PAPERS = ("alpha", "beta", "gamma", "delta")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
BOUND = 180.0  # seconds; far more than any wait below needs, even on a busy machine

pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc"),
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed"),
]

# `boardpack build` whose render workers, once started on a paper, say so with a file in
# $SIGNALS and then never finish: a build caught at render, however fast the machine.
BLOCKING_RENDER = """
import os, sys, threading
import boardpack.pipeline.render
def render_paper(paper, template, history=None, chart=None):
    open(os.path.join(os.environ["SIGNALS"], f"render-{os.getpid()}"), "w").close()
    threading.Event().wait()
boardpack.pipeline.render.render_paper = render_paper
from boardpack.cli import run
run()
"""


def build_processes(marker: str) -> list[int]:
    """Live processes (not zombies) whose environment carries the build's marker."""
    wanted = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if wanted in environ and state != "Z":
            found.append(int(entry.name))
    return found


def command_name(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""


def wait_for(what: str, condition: Callable[[], object]) -> None:
    """Poll until `condition()` is true; fail naming `what` after a generous bound."""
    deadline = time.monotonic() + BOUND
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


class Build:
    """A folder of papers, its output folder and temporary folder, and builds run on them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inputs = root / "inputs"
        self.out = root / "out"
        self.tmp = root / "tmp"
        self.signals = root / "signals"
        for folder in (self.inputs, self.tmp, self.signals):
            folder.mkdir()
        for name in PAPERS:
            shutil.copyfile(EXAMPLE, self.inputs / f"{name}.xlsx")
        self.markers: list[str] = []

    def start(self, *, code: str | None = None, soffice: Path | None = None) -> Popen:
        """Start `boardpack build` on the papers with a marker of its own."""
        marker = uuid.uuid4().hex
        self.markers.append(marker)
        env = dict(os.environ, TMPDIR=str(self.tmp), SIGNALS=str(self.signals))
        env[MARKER] = marker
        env.pop("BOARDPACK_SOFFICE", None)
        if soffice is not None:
            env["BOARDPACK_SOFFICE"] = str(soffice)
        program = ["-c", code] if code else ["-m", "boardpack"]
        process = subprocess.Popen(
            [sys.executable, *program, "build", str(self.inputs), "--out", str(self.out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return Popen(process, marker)

    def work_folders(self) -> list[Path]:
        return sorted(self.tmp.glob(WORK_PREFIX + "*"))

    def assert_next_build_is_clean(self) -> None:
        """A build after the killed one: complete, verified outputs, nothing left behind."""
        run = self.start()
        stdout, stderr = run.process.communicate(timeout=600)
        assert run.process.returncode == 0, stdout + stderr
        for name in PAPERS:
            assert verify_pdf(self.out / f"{name}.pdf", title="Procurement highlight report") == 3
            assert (self.out / f"{name}.docx").stat().st_size > 10_000
        assert verify_pdf(self.out / "board-pack.pdf") > 3 * len(PAPERS)
        assert [f for f in self.work_folders() if not _being_made(f)] == []
        # Killed as the build ended; each finishes dying in its own time.
        wait_for("the build's processes to end", lambda: build_processes(run.marker) == [])

    def cleanup(self) -> None:
        """Kill whatever a failed test left running, so it cannot disturb the next test."""
        for marker in self.markers:
            for pid in build_processes(marker):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _being_made(folder: Path) -> bool:
    """Whether a work folder is one a killed build was making at the instant it was killed:
    no owner's note yet, nothing in it but its lock file. It holds no copy of a paper, and the
    sweep leaves it for its grace period, as it cannot tell it from one being made right now
    (scratch.py); every folder that held a paper is swept at once."""
    return not (folder / OWNER_NOTE).exists() and all(
        p.name == OWNER_LOCK for p in folder.iterdir()
    )


class Popen:
    """A started build and its marker."""

    def __init__(self, process: subprocess.Popen[str], marker: str) -> None:
        self.process = process
        self.marker = marker

    def stop(self, signum: int) -> tuple[str, str]:
        """Send the build (only its own process) a signal; its output once it has ended."""
        self.process.send_signal(signum)
        return self.process.communicate(timeout=BOUND)


@pytest.fixture
def papers(tmp_path: Path) -> Iterator[Build]:
    build = Build(tmp_path)
    yield build
    build.cleanup()


def assert_nothing_left_running(run: Popen) -> None:
    wait_for("the build's processes to end", lambda: build_processes(run.marker) == [])


def assert_stopped_cleanly(signum: int, stdout: str, stderr: str, returncode: int) -> None:
    if signum == signal.SIGTERM:
        assert returncode == 143, stdout + stderr
        assert "Stopped (SIGTERM); finished outputs are kept" in stderr
        assert "Traceback" not in stdout + stderr
    else:
        assert returncode == -signal.SIGKILL


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="papers render in a pool from 2 CPUs")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_build_stopped_while_rendering_leaves_no_worker(papers: Build, signum: int) -> None:
    run = papers.start(code=BLOCKING_RENDER)
    # Both workers are busy on a paper they will never finish.
    wait_for("two papers to be rendering", lambda: len(list(papers.signals.iterdir())) >= 2)
    workers = [int(p.name.split("-")[1]) for p in papers.signals.iterdir()]
    assert all(pid in build_processes(run.marker) for pid in workers)

    stdout, stderr = run.stop(signum)

    assert_stopped_cleanly(signum, stdout, stderr, run.process.returncode)
    assert_nothing_left_running(run)
    papers.assert_next_build_is_clean()


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_build_stopped_while_libreoffice_converts_leaves_no_libreoffice(
    papers: Build, signum: int
) -> None:
    run = papers.start()

    def converting() -> bool:
        return any(command_name(pid) == "soffice.bin" for pid in build_processes(run.marker))

    wait_for("LibreOffice to be converting", converting)
    stdout, stderr = run.stop(signum)

    assert_stopped_cleanly(signum, stdout, stderr, run.process.returncode)
    assert_nothing_left_running(run)
    if signum == signal.SIGTERM:
        assert papers.work_folders() == []  # removed on the way out
    papers.assert_next_build_is_clean()


def test_a_killed_build_leaves_no_hung_converter_and_the_next_build_sweeps_its_folders(
    papers: Build,
) -> None:
    # A converter that, like LibreOffice's launcher, starts a child, says it is ready, and hangs.
    converter = papers.root / "bin" / "soffice"
    converter.parent.mkdir()
    converter.write_text(
        "#!/bin/sh\n"
        "sh -c 'trap \"\" TERM HUP; sleep 600' &\n"
        f"touch '{papers.signals}/converting-$$'\n"
        "wait\n"
    )
    converter.chmod(0o755)
    run = papers.start(soffice=converter)
    wait_for("the converter to start", lambda: list(papers.signals.glob("converting-*")))
    left = papers.work_folders()
    assert left  # the work folders hold copies of the papers

    run.stop(signal.SIGKILL)

    assert run.process.returncode == -signal.SIGKILL
    assert_nothing_left_running(run)
    assert papers.work_folders() == left  # a killed build cannot clean up: the next one does
    assert any(path.suffix == ".docx" for folder in left for path in folder.rglob("*"))
    papers.assert_next_build_is_clean()


def test_sweep_removes_only_work_folders_whose_owner_has_gone(tmp_path: Path) -> None:
    # One folder owned by a process that is then killed with -9, one owned by this test.
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, threading\n"
            "from pathlib import Path\n"
            "from boardpack.outputs import scratch\n"
            f"with scratch.work_folder('{WORK_PREFIX}', Path(sys.argv[1])) as folder:\n"
            "    (folder / 'paper.docx').write_text('a copy of a paper')\n"
            "    print(folder, flush=True)\n"
            "    threading.Event().wait()\n",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    orphan = Path(owner.stdout.readline().strip())
    with scratch.work_folder(WORK_PREFIX, tmp_path) as ours:
        assert scratch.sweep(tmp_path, WORK_PREFIX) == []  # both owners are alive
        owner.kill()
        owner.wait()
        owner.stdout.close()

        assert scratch.sweep(tmp_path, WORK_PREFIX) == [orphan]
        assert not orphan.exists() and ours.is_dir()
    assert list(tmp_path.iterdir()) == []


def test_sweep_leaves_other_users_folders_and_removes_old_unlocked_ones_of_ours(
    tmp_path: Path,
) -> None:
    # Folders without a lock: left by a boardpack from before the locks, or being made now.
    old_ours, new_ours, theirs = (tmp_path / f"{WORK_PREFIX}{n}" for n in ("old", "new", "x"))
    for folder in (old_ours, new_ours, theirs):
        (folder / "in").mkdir(parents=True)
        (folder / "in" / "paper.docx").write_text("a copy of a paper")
    hours_ago = time.time() - 2 * 3600
    for folder in (old_ours, theirs):
        os.utime(folder, (hours_ago, hours_ago))
    can_chown = hasattr(os, "getuid") and os.getuid() == 0
    if can_chown:
        os.chown(theirs, 65534, 65534)  # nobody's
    else:
        shutil.rmtree(theirs)

    assert scratch.sweep(tmp_path, WORK_PREFIX) == [old_ours]

    assert new_ours.is_dir() and theirs.is_dir() == can_chown


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="no SIGTERM here")
def test_a_sigterm_that_lands_in_a_finaliser_still_stops_the_build() -> None:
    # Python drops an exception raised inside a __del__; a SIGTERM handled while a ZipFile was
    # being collected left the build waiting on its renders for ever. It is delivered again.
    import threading

    from boardpack import cli

    before = signal.getsignal(signal.SIGTERM)
    try:
        cli._stop_cleanly_on_sigterm()

        class CollectedJustThen:
            def __del__(self) -> None:
                signal.raise_signal(signal.SIGTERM)  # its handler runs inside this __del__

        with pytest.raises(cli.Terminated) as stopped:
            CollectedJustThen()
            threading.Event().wait(60)  # as the build waits on a render that never ends
        # It interrupted the wait, as it would the build's (not merely once the wait ended).
        assert "wait" in [entry.name for entry in stopped.traceback]
    finally:
        signal.signal(signal.SIGTERM, before)
