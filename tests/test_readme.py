"""The README tells the truth: its quick start is what CI runs, and it documents every column."""

from __future__ import annotations

import re

from boardpack.layout import layout_for
from boardpack.profile import load_profile
from tests.conftest import ROOT

JIB_LAYOUT = layout_for(load_profile())

README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "the quick start needs a fenced sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert "boardpack build" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_sheet_and_column_is_documented() -> None:
    for spec in JIB_LAYOUT.paper_fields:
        assert f"| {spec.label} |" in README
    for sheet in JIB_LAYOUT.tables:
        assert f"### {sheet.name}" in README
        for column in sheet.columns:
            assert f"| {column.header} |" in README, column.header


def test_every_command_is_in_the_commands_table() -> None:
    from boardpack.cli import main

    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    for name, command in main.commands.items():
        subcommands = getattr(command, "commands", None)
        for full in [f"{name} {sub}" for sub in subcommands] if subcommands else [name]:
            assert f"| `boardpack {full}" in table, full
