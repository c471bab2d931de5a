"""The README tells the truth: its quick start is what CI runs, and it documents every column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from boardpack.paper.profile import load_profile
from boardpack.workbook.layout import layout_for
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


def test_the_worked_example_profile_is_valid_and_prints_what_the_readme_says(
    tmp_path: Path,
) -> None:
    import docx

    from boardpack.outputs.render import render_paper
    from boardpack.paper.profile import parse_profile
    from boardpack.paper.sample import sample_paper

    block = README.split("# audit-register.toml\n", 1)[1].split("```", 1)[0]
    profile = parse_profile(block, "audit-register.toml")
    assert profile.risk is not None
    assert profile.risk.key_text() == (
        "Score key: 1-4 low (green); 5-12 medium (amber); 15-25 high (red)."
    )
    assert profile.risk.headline_assessment == "residual"
    target = tmp_path / "register.docx"
    target.write_bytes(render_paper(sample_paper(profile)))
    table = docx.Document(str(target)).tables[-1]
    assert [c.text for c in table.rows[0].cells] == [
        "Risk ID",
        "Risk",
        "Inherent",
        "Residual",
        "Further actions",
    ]
    import pydantic

    from boardpack.paper.models import models_for

    risk = models_for(profile).risk
    assert risk is not None
    refused = r"must be a whole number from 1 to 5 \(got 6\)"
    with pytest.raises(pydantic.ValidationError, match=refused):
        risk(risk_id="R1", event="A risk", inherent_l=6, inherent_i=1, residual_l=1, residual_i=1)
    assert "must be a whole number from 1 to 5 (got 6)" in README


def test_every_profile_key_is_in_the_readmes_reference() -> None:
    from pydantic import BaseModel

    from boardpack.paper import profile

    tables = dict(re.findall(r"<!-- profile-keys: (\w+) -->\n(.*?)\n\n", README, re.DOTALL))
    models = {
        name: model
        for name, model in vars(profile).items()
        if isinstance(model, type)
        and issubclass(model, BaseModel)
        and model.__module__ == profile.__name__
        and not name.startswith("_")
    }
    assert set(tables) == set(models), "each profile model has one table in Profile keys"
    for name, table in tables.items():
        listed = {
            key
            for row in table.splitlines()[2:]
            for key in re.findall(r"`(\w+)`", row.split("|")[1])
        }
        assert listed == set(models[name].model_fields), name
