"""Whole builds with the real LibreOffice: the archival PDF reads like the seed and is PDF/A."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from boardpack.cli import main
from boardpack.outputs.pdf import verify_pdf
from boardpack.pipeline import BuildReport, PaperResult, Status, build
from boardpack.pipeline.render import render_one as real_render_one
from tests.conftest import EXAMPLE, seed_items


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    report = build([EXAMPLE], tmp_path_factory.mktemp("out"))
    assert report.ok, [str(p.error) for p in report.papers]
    return report


def pdf_body_text(pdf: Path) -> str:
    """The PDF's text in reading order with running headers and footers removed, one line."""
    raw = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    kept = []
    for page in raw.split("\f"):
        lines = page.splitlines()
        kept.extend(
            line
            for line in lines
            if not re.search(r"highlight report(, | Joint)|^Page \d+ of \d+$", line)
        )
    return " ".join(" ".join(kept).split())


@pytest.mark.libreoffice
def test_pdf_carries_the_seed_lines_in_order(built: BuildReport) -> None:
    text = pdf_body_text(built.papers[0].pdf)
    position = 0
    for item in seed_items():
        found = text.find(item, position)
        assert found >= 0, f"not found in order: {item!r}"
        position = found + len(item)


@pytest.mark.libreoffice
def test_pdf_is_tagged_pdfa_with_fonts_embedded_and_title(built: BuildReport) -> None:
    pdf = built.papers[0].pdf
    assert verify_pdf(pdf, title="Procurement highlight report") == 3
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    assert re.search(r"^Page size:.*\(A4\)$", info, re.MULTILINE)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows, "no fonts listed"
    # columns: name type encoding emb sub uni object ID; 'emb' is the 4th field from the end
    assert all(row.split()[-5] == "yes" for row in rows), fonts
    assert all("Liberation" in row or "DejaVu" in row for row in rows), fonts


@pytest.mark.libreoffice
def test_build_record_names_what_was_built(built: BuildReport) -> None:
    record = built.out_dir / ".boardpack" / "procurement.json"
    text = record.read_text(encoding="utf-8")
    assert '"board": "Joint Improvement Board"' in text
    assert '"meeting_date": "2008-01-24"' in text
    assert '"pdf": "procurement.pdf"' in text


def test_two_builds_of_the_example_give_identical_docx(tmp_path: Path) -> None:
    first = build([EXAMPLE], tmp_path / "a", pdf=False).papers[0].docx
    second = build([EXAMPLE], tmp_path / "b", pdf=False).papers[0].docx
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.libreoffice
def test_two_builds_at_the_same_time_both_succeed(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "boardpack", "build", str(EXAMPLE), "--out"]
    runs = [
        subprocess.Popen([*command, str(tmp_path / name)], stdout=subprocess.PIPE, text=True)
        for name in ("a", "b")
    ]
    outputs = [run.communicate(timeout=900)[0] for run in runs]  # a bound against a hang
    assert [run.returncode for run in runs] == [0, 0], outputs
    for name in ("a", "b"):
        assert verify_pdf(tmp_path / name / "procurement.pdf") == 3


def test_a_hanging_converter_fails_naming_the_paper_and_keeps_the_docx(tmp_path: Path) -> None:
    marker = f"boardpack-hang-{os.getpid()}"
    (tmp_path / marker).mkdir()
    fake = tmp_path / marker / "soffice"  # the marker shows in the processes' command lines
    fake.write_text('#!/bin/sh\nsh -c "sleep 60" "$0-child"\n')
    fake.chmod(0o755)
    out = tmp_path / "out"
    result = CliRunner(env={"BOARDPACK_SOFFICE": str(fake)}).invoke(
        main, ["build", str(EXAMPLE), "--out", str(out), "--pdf-timeout", "1.5"]
    )
    assert result.exit_code == 1
    assert "procurement.docx" in result.output and "1.5 s" in result.output
    assert (out / "procurement.docx").stat().st_size > 10_000
    assert not (out / "procurement.pdf").exists()
    assert _ended(marker)


def test_an_interrupted_folder_build_stops_the_libreoffice_already_converting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = f"boardpack-interrupted-{os.getpid()}"
    (tmp_path / marker).mkdir()
    fake = tmp_path / marker / "soffice"  # a LibreOffice that never finishes
    fake.write_text('#!/bin/sh\nsh -c "sleep 60" "$0-child"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(fake))
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name in ("a", "b", "c", "d"):
        (inputs / f"{name}.xlsx").write_bytes(EXAMPLE.read_bytes())
    seen: list[str] = []

    def interrupt_at_the_last_paper(stage: str, paper: PaperResult) -> None:
        seen.append(f"{paper.name} {stage}")
        if paper.name == "d":
            # By now the first three papers are with LibreOffice, which is starting; the bound
            # is generous for a busy machine, and not what is tested.
            deadline = time.monotonic() + 300
            while not _running(marker) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _running(marker)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build([inputs], tmp_path / "out", on_progress=interrupt_at_the_last_paper)

    assert seen == ["a docx", "b docx", "c docx", "d docx"]
    assert _ended(marker)
    assert not list((tmp_path / "out").glob("*.pdf"))


def _running(marker: str) -> bool:
    """Whether any process has the marker in its command line."""
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    return found.stdout.strip() != ""


def _ended(marker: str) -> bool:
    """Whether every process with the marker has ended, waiting a generous bound for them:
    killed at once, each finishes dying in its own time."""
    deadline = time.monotonic() + 60
    while _running(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_failed_paper_reports_status(tmp_path: Path) -> None:
    report = build([tmp_path / "missing.xlsx"], tmp_path / "out", pdf=False)
    assert [p.status for p in report.papers] == [Status.INVALID]
    assert "file not found" in str(report.papers[0].error)


def test_without_libreoffice_the_docx_is_built_and_the_error_says_how_to_install(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    result = CliRunner(env={"BOARDPACK_SOFFICE": str(tmp_path / "no-soffice-here")}).invoke(
        main, ["build", str(EXAMPLE), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "--no-pdf" in result.output and "LibreOffice" in result.output
    assert (out / "procurement.docx").stat().st_size > 10_000
    assert not (out / "procurement.pdf").exists()


def test_an_output_folder_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the output folder should go")
    result = CliRunner().invoke(main, ["build", str(EXAMPLE), "--out", str(blocker / "jib")])
    assert result.exit_code == 1
    assert f"{blocker / 'jib'}: cannot create the output folder" in result.output
    assert "Traceback" not in result.output


def test_a_full_disk_is_an_error_naming_the_file_and_keeps_the_old_paper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build([EXAMPLE], out, pdf=False)
    before = (out / "procurement.docx").read_bytes()

    real_fsync = os.fsync

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    report = build([EXAMPLE], out, pdf=False)
    monkeypatch.setattr(os, "fsync", real_fsync)
    message = str(report.papers[0].error)
    assert f"{out / 'procurement.docx'}: could not write (No space left on device)" in message
    assert (out / "procurement.docx").read_bytes() == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".boardpack-tmp")] == []


def test_temporaries_of_a_killed_build_are_removed(tmp_path: Path) -> None:
    # A build holds the folder's lock, so every temporary it finds is a killed build's: a
    # file, or a staging folder with papers in it, however recent.
    out = tmp_path / "out"
    out.mkdir()
    old, recent = out / ".boardpack-tmp-old.docx", out / ".boardpack-tmp-abc"
    old.write_bytes(b"half a paper")
    (recent / "procurement.docx").parent.mkdir()
    (recent / "procurement.docx").write_bytes(b"a killed build's staged paper")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    build([EXAMPLE], out, pdf=False)
    assert [p.name for p in out.iterdir() if p.name.startswith(".boardpack-tmp")] == []


def _three_papers(folder: Path) -> Path:
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.xlsx").write_bytes(EXAMPLE.read_bytes())
    return folder


_FAILING = ""  # how the stand-in's render of paper b fails in a worker: "hangs" or "dies"


def _render_failing_in_a_worker(target: Path, *rest: object) -> tuple[float, str]:
    """Paper b rendered in a worker process fails as _FAILING says; every other render, and
    b's in the build's own process, is the real one. Workers are forked: they see the patch."""
    import multiprocessing
    import threading

    if target.stem == "b" and multiprocessing.parent_process() is not None:
        if _FAILING == "dies":
            os._exit(3)
        threading.Event().wait()  # for ever, as a worker stuck on a lock it inherited
    return real_render_one(target, *rest)  # type: ignore[arg-type]


def _failing_in_a_worker(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    from boardpack.pipeline import render

    monkeypatch.setattr(sys.modules[__name__], "_FAILING", how)
    monkeypatch.setattr(render, "render_one", _render_failing_in_a_worker)
    monkeypatch.setattr(render, "STALLED_AFTER", 3.0)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # a pool of workers, on any machine


@pytest.mark.skipif(sys.platform == "win32", reason="the test's stand-in needs fork")
@pytest.mark.parametrize(
    ("how", "why"),
    [
        ("hangs", "no worker finished a paper for 3 s"),
        ("dies", "a render worker ended without finishing its paper"),
    ],
)
def test_a_render_worker_that_hangs_or_dies_is_ended_and_its_paper_rendered_by_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, why: str
) -> None:
    import multiprocessing

    import docx

    _failing_in_a_worker(monkeypatch, how)
    before = set(multiprocessing.active_children())
    report = build([_three_papers(tmp_path / "in")], tmp_path / "out", pdf=False)
    assert report.ok, [str(p.error) for p in report.papers]
    by_name = {p.name: p for p in report.papers}
    for name in ("a", "b", "c"):
        paper = docx.Document(str(tmp_path / "out" / f"{name}.docx"))
        assert "Procurement" in "\n".join(p.text for p in paper.paragraphs)
    said = f"{why}, so the workers were ended and this paper was rendered by the build itself"
    assert said in [str(n) for n in by_name["b"].notes]
    # a paper a worker had not finished when it was given up is rendered by the build too
    assert {str(n) for p in report.papers for n in p.notes if "worker" in str(n)} == {said}
    assert (tmp_path / "out" / "board-pack.docx").exists()
    assert set(multiprocessing.active_children()) <= before  # no worker left behind
