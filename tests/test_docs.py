"""The README and the documentation site tell the truth: the quick start is what CI runs, the
site builds strictly, the references are what the code says now, and every command the pages
show is run here, as a reader would run it, in a copy of the bundled example."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from boardpack.paper.profile import load_profile
from boardpack.workbook.layout import layout_for
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
# A fence of shell commands, at the start of a line or indented in a list item; the comment
# before it says why it is not run, naming the test that runs what it shows.
_FENCE = re.compile(
    r"(?:^[ \t]*<!-- not run: (?P<why>.*?) -->\n)?"
    r"^(?P<indent>[ \t]*)```sh\n(?P<body>.*?)^(?P=indent)```",
    re.DOTALL | re.MULTILINE,
)
# A TOML example whose first line names its file (`# audit-register.toml`) is saved as that
# file first, as a reader would, before the page's commands run.
_NAMED_TOML = re.compile(r"^```toml\n# (?P<name>[\w.-]+\.toml)\n(?P<body>.*?)^```", re.S | re.M)


def page_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "the quick start needs a fenced sh block"
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "boardpack build" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_is_short_and_sends_each_reader_to_their_guide() -> None:
    assert len(README.splitlines()) <= 150
    for guide in ("manager/index.md", "clerk/index.md", "designer/profiles.md", "admin/install.md"):
        assert f"(docs/{guide})" in README, guide
        assert (DOCS / guide).is_file()


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "clerk" / "index.html").is_file()


def test_the_generated_references_are_current() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import docs_reference
    finally:
        sys.path.remove(str(ROOT / "tools"))
    stale = [str(p.relative_to(ROOT)) for p in docs_reference.stale_pages()]
    assert not stale, f"run python tools/docs_reference.py to regenerate {stale}"


def test_every_profile_key_says_what_it_is() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import docs_reference
    finally:
        sys.path.remove(str(ROOT / "tools"))
    from boardpack.paper.profile import Profile, key_descriptions

    for table, model in docs_reference._profile_models(Profile, "profile"):
        described = key_descriptions(model)
        for name in model.model_fields:
            assert described.get(name), (
                f"{table} {name}: give it a docstring, as its neighbours have"
            )


def test_every_command_the_cli_has_is_in_the_reference() -> None:
    from boardpack.cli import main

    reference = page_text(DOCS / "reference" / "cli.md")
    for name, command in main.commands.items():
        subcommands = getattr(command, "commands", None)
        for full in [f"{name} {sub}" for sub in subcommands] if subcommands else [name]:
            assert f"## `{full}`" in reference, full
    assert "`--archive PATH`" in reference  # build's, once left out of the README's table


def test_every_sheet_and_column_is_documented() -> None:
    layout = layout_for(load_profile())
    workbook = page_text(DOCS / "manager" / "workbook.md")
    for spec in layout.paper_fields:
        assert f"| {spec.label} |" in workbook
    for sheet in layout.tables:
        assert f"## {sheet.name}" in workbook
        for column in sheet.columns:
            assert f"| {column.header} |" in workbook, column.header


def test_the_worked_example_profile_is_valid_and_prints_what_the_page_says(
    tmp_path: Path,
) -> None:
    import docx
    import pydantic

    from boardpack.outputs.render import render_paper
    from boardpack.paper.models import models_for
    from boardpack.paper.profile import parse_profile
    from boardpack.paper.sample import sample_paper

    page = page_text(DOCS / "designer" / "profiles.md")
    block = page.split("# audit-register.toml\n", 1)[1].split("```", 1)[0]
    profile = parse_profile(block, "audit-register.toml")
    assert profile.risk is not None
    assert profile.risk.key_text() == (
        "Score key: 1-4 low (green); 5-12 medium (amber); 15-25 high (red)."
    )
    assert profile.risk.key_text() in page
    assert profile.risk.headline_assessment == "residual"
    target = tmp_path / "register.docx"
    target.write_bytes(render_paper(sample_paper(profile)))
    table = docx.Document(str(target)).tables[-1]
    headers = ["Risk ID", "Risk", "Inherent", "Residual", "Further actions"]
    assert [c.text for c in table.rows[0].cells] == headers
    assert "prints Risk ID, Risk, Inherent, Residual and Further actions" in page
    risk = models_for(profile).risk
    assert risk is not None
    refused = r"must be a whole number from 1 to 5 \(got 6\)"
    with pytest.raises(pydantic.ValidationError, match=refused):
        risk(risk_id="R1", event="A risk", inherent_l=6, inherent_i=1, residual_l=1, residual_i=1)
    assert "must be a whole number from 1 to 5 (got 6)" in page


# -- every command shown, run ----------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A fenced block of commands on a page, as a reader would copy it."""

    page: Path
    line: int
    commands: tuple[str, ...]
    not_run: str | None

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def shown_blocks() -> list[Shown]:
    blocks = []
    for page in [ROOT / "README.md", *PAGES]:
        text = page_text(page)
        for match in _FENCE.finditer(text):
            line = text.count("\n", 0, match.start("body"))
            commands = tuple(
                command.strip()
                for command in match.group("body").splitlines()
                if command.strip() and not command.strip().startswith("#")
            )
            blocks.append(Shown(page, line, commands, match.group("why")))
    return blocks


def _quick_start(block: Shown) -> bool:
    return block.page.name == "README.md" and any("tools/setup.sh" in c for c in block.commands)


def test_every_block_not_run_says_which_test_runs_it() -> None:
    for block in shown_blocks():
        if block.not_run is not None:
            named = re.findall(r"tests/[\w/]+\.py", block.not_run) + re.findall(
                r"tools/[\w.]+", block.not_run
            )
            assert named, f"{block}: say which test runs what it shows"
            for path in named:
                assert (ROOT / path).exists(), f"{block}: {path} does not exist"


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "block",
    [b for b in shown_blocks() if b.not_run is None and not _quick_start(b)],
    ids=str,
)
def test_every_command_shown_runs_as_shown(block: Shown, tmp_path: Path) -> None:
    # The reader's folder: a copy of the bundled example, with `boardpack` (and the quick
    # start's `.venv/bin/boardpack`) running this checkout's code.
    shutil.copytree(ROOT / "inputs", tmp_path / "inputs")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for match in _NAMED_TOML.finditer(page_text(block.page)):
        (tmp_path / match.group("name")).write_text(match.group("body"), encoding="utf-8")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    shim = bin_dir / "boardpack"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m boardpack "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
    }
    for command in block.commands:
        expected = 1 if re.search(r"#\s*exit 1\b", command) else 0
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        said = done.stdout + done.stderr
        assert done.returncode == expected, (
            f"{block}: `{command}` exited {done.returncode}:\n{said}"
        )
        assert "Traceback" not in said, f"{block}: `{command}`"
