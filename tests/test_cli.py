"""The command line: exit codes, output names, help text, and a light `check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import boardpack
from boardpack.cli import main
from boardpack.paper.models import json_schema
from boardpack.paper.profile import load_profile
from tests.conftest import EXAMPLE, ROOT, EditWorkbook


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help(command: str) -> None:
    code, output = run(command, "--help")
    assert code == 0
    assert "Usage: main " + command in output or f"Usage: boardpack {command}" in output
    assert len(output.splitlines()) > 4


def test_usage_errors_exit_2() -> None:
    assert run("check")[0] == 2
    assert run("build", "--colour")[0] == 2
    assert run("publish")[0] == 2


def test_check_valid_workbook_exits_0() -> None:
    code, output = run("check", str(EXAMPLE))
    assert (code, output) == (0, "procurement.xlsx: OK\n")


def test_check_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    code, output = run("check", str(tmp_path / "nowhere.xlsx"))
    assert code == 1
    assert "nowhere.xlsx: file not found" in output
    assert "Traceback" not in output


def test_build_writes_docx_named_after_the_workbook(tmp_path: Path) -> None:
    code, output = run("build", str(EXAMPLE), "--out", str(tmp_path / "out"), "--no-pdf")
    assert code == 0, output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".boardpack",
        "procurement.docx",
    ]
    assert "procurement.xlsx" in output and "built" in output


def test_build_of_an_invalid_workbook_exits_1_and_keeps_earlier_output(
    tmp_path: Path, example_copy: EditWorkbook
) -> None:
    out = tmp_path / "out"
    good = example_copy()
    assert run("build", str(good), "--out", str(out), "--no-pdf")[0] == 0
    before = (out / "procurement.docx").read_bytes()

    example_copy({"Risks!B2": 7})
    code, output = run("build", str(good), "--out", str(out), "--no-pdf")
    assert code == 1
    assert "Risks!B2: likelihood must be a whole number from 1 to 4 (got 7)" in output
    assert (out / "procurement.docx").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".boardpack-tmp")]


def test_library_builds_in_three_lines(tmp_path: Path) -> None:
    report = boardpack.build([EXAMPLE], tmp_path, pdf=False)
    assert report.ok
    assert [p.docx for p in report.papers] == [tmp_path / "procurement.docx"]


def test_check_does_not_load_the_renderer() -> None:
    code = (
        "import sys\n"
        "from boardpack.cli import main\n"
        f"try:\n    main(['check', {str(EXAMPLE)!r}])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('matplotlib', 'docxtpl', 'docx') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_program_checks_and_exits_with_the_status(example_copy: EditWorkbook) -> None:
    good = subprocess.run(
        [sys.executable, "-m", "boardpack", "check", str(EXAMPLE)], capture_output=True, text=True
    )
    assert (good.returncode, good.stdout, good.stderr) == (0, "procurement.xlsx: OK\n", "")
    bad = example_copy({"Risks!B2": 7}, name="bad.xlsx")
    failed = subprocess.run(
        [sys.executable, "-m", "boardpack", "check", str(bad), str(EXAMPLE)],
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 1
    assert "Risks!B2: likelihood must be a whole number from 1 to 4 (got 7)" in failed.stdout
    assert failed.stdout.endswith("procurement.xlsx: OK\n")


def test_new_writes_a_blank_workbook_that_check_explains(tmp_path: Path) -> None:
    path = tmp_path / "my-project.xlsx"
    assert run("new", str(path))[0] == 0
    code, output = run("check", str(path))
    assert code == 1
    assert "Paper!B2: project name is required but the cell is empty" in output
    assert run("new", str(path))[0] == 1  # never overwrites


def test_schema_in_repo_is_current() -> None:
    committed = json.loads((ROOT / "schemas" / "paper.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(load_profile()), "schemas/ is stale: run `boardpack schema`"


@pytest.mark.libreoffice
def test_archive_then_verify_through_the_command_line(tmp_path: Path) -> None:
    out, store = tmp_path / "out", tmp_path / "archive"
    assert run("build", str(EXAMPLE), "--out", str(out))[0] == 0
    code, output = run("archive", str(out), "--to", str(store))
    assert (code, output) == (0, "procurement: archived as v1\n")
    assert run("archive", str(out), "--to", str(store)) == (
        0,
        "procurement: already archived as v1\n",
    )
    assert run("verify", str(store))[0] == 0
    archived = store / "Joint Improvement Board" / "2008-01-24" / "procurement" / "v1"
    pdf = archived / "procurement.pdf"
    pdf.chmod(0o644)
    pdf.write_bytes(pdf.read_bytes()[:-1] + b"!")
    code, output = run("verify", str(store))
    assert code == 1
    assert "procurement.pdf" in output


def test_check_template_accepts_the_bundled_templates() -> None:
    assert run("check-template", str(ROOT / "templates" / "highlight-report.docx"))[0] == 0
    assert run("check-template", "--pack", str(ROOT / "templates" / "board-pack.docx"))[0] == 0


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "Chair: {{ chair_name }} will attend",
            "the tag {{ chair_name }} asks for 'chair_name', a value boardpack does not supply."
            ' Near: "Chair: {{ chair_name }} will attend".',
        ),
        ("Total {{ budget.totl }}", "the tag {{ budget.totl }} asks for 'totl'"),
        ("Chair: {{ project } and more", "a template tag is broken (unexpected '}')"),
        ("{%p if budget %} never closed", "a template tag is broken (Unexpected end of template"),
    ],
)
def test_check_template_names_a_broken_or_unknown_tag(
    tmp_path: Path, paragraph: str, expected: str
) -> None:
    import docx

    restyled = docx.Document(str(ROOT / "templates" / "highlight-report.docx"))
    restyled.add_paragraph(paragraph)
    path = tmp_path / "council.docx"
    restyled.save(str(path))
    for args in (
        ["check-template", str(path)],
        [
            "build",
            str(EXAMPLE),
            "--template",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--no-pdf",
        ],
    ):
        code, output = run(*args)
        assert code == 1
        assert expected in " ".join(output.split()), output
        assert "Traceback" not in output
    assert not (tmp_path / "out" / "procurement.docx").exists()


def test_pack_is_built_for_a_folder_unless_asked_not_to(tmp_path: Path) -> None:
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "procurement.xlsx").write_bytes(EXAMPLE.read_bytes())
    assert run("build", str(folder), "--out", str(tmp_path / "a"), "--no-pdf")[0] == 0
    assert (tmp_path / "a" / "board-pack.docx").is_file()
    assert run("build", str(folder), "--out", str(tmp_path / "b"), "--no-pdf", "--no-pack")[0] == 0
    assert not (tmp_path / "b" / "board-pack.docx").exists()
    assert run("build", str(EXAMPLE), "--out", str(tmp_path / "c"), "--no-pdf", "--pack")[0] == 0
    assert (tmp_path / "c" / "board-pack.docx").is_file()


def test_output_to_a_reader_that_has_gone_ends_quietly_without_an_internal_error() -> None:
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head`) has gone before anything is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "boardpack", "profiles"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert "Internal error" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("thread", ["none", "daemon", "working"])
def test_the_program_ends_after_its_exit_functions_and_any_thread_still_working(
    tmp_path: Path, thread: str
) -> None:
    # The program skips Python's teardown at exit (cli._exit_now); what exit must do still runs.
    program = f"""
import atexit, sys, threading, time
from pathlib import Path
folder = Path({str(tmp_path)!r})
atexit.register(lambda: (folder / "atexit").write_text("ran"))
def work():
    time.sleep(0.2)
    (folder / "thread").write_text("finished")
if {thread!r} == "working":
    threading.Thread(target=work).start()
if {thread!r} == "daemon":  # waits for ever: the program must not wait for it
    threading.Thread(target=threading.Event().wait, daemon=True).start()
sys.argv = ["boardpack", "check", {str(EXAMPLE)!r}]
from boardpack.cli import run
run()
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == "procurement.xlsx: OK\n"  # written out in full before the end
    assert (tmp_path / "atexit").read_text() == "ran"
    # A daemon thread is ended with the program, as Python ends it; one still working is waited for.
    assert (tmp_path / "thread").exists() == (thread == "working")
    assert "Traceback" not in done.stderr
