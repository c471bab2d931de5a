"""The build's stages run one way: each workbook is read (its profile settled) before any template
is opened for it, the template is chosen by that profile, and the plan is cut into chart parts
once, for that template's page, so the warning and the paper agree."""

from __future__ import annotations

import ast
import io
from pathlib import Path
from typing import Any

import docx
import pytest

import boardpack.outputs.render as render
import boardpack.paper.context as context
import boardpack.paper.page as page
import boardpack.workbook.validate as validate
from boardpack.paper.profile import bundled_profiles
from boardpack.pipeline import build
from boardpack.pipeline import read as read_stage
from tests.conftest import EXAMPLE, ROOT, edit_workbook
from tests.test_layout import chart_pictures, plan_edits


def a3_profile(folder: Path) -> Path:
    """The JIB profile on an A3 portrait page: a plan that takes two A4 charts fits one."""
    text = bundled_profiles()["jib"].read_text(encoding="utf-8")
    assert "[page]" not in text
    path = folder / "tall.toml"
    path.write_text(text + '\n[page]\nsize = "A3"\norientation = "portrait"\n', encoding="utf-8")
    return path


def test_the_chart_is_cut_for_the_page_of_the_template_the_paper_is_rendered_with(
    tmp_path: Path,
) -> None:
    # The workbook's own Profile row names a profile with a taller page than the folder's
    # default: the template's page is known only once the workbook is read. The warning and the
    # paper agree on how many parts the chart takes.
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    a3_profile(inputs)
    edits = plan_edits(40) | {"Paper!A20": "Profile", "Paper!B20": "tall.toml"}
    edit_workbook(EXAMPLE, inputs / "tall.xlsx", edits)
    edit_workbook(EXAMPLE, inputs / "a4.xlsx", plan_edits(40))

    report = build([inputs], tmp_path / "out", pdf=False, pack=False)

    assert report.ok, [str(p.error) for p in report.papers]
    by_name = {p.name: p for p in report.papers}
    for name, parts in (("a4", 2), ("tall", 1)):
        paper = by_name[name]
        assert paper.docx is not None
        pictures = chart_pictures(docx.Document(io.BytesIO(paper.docx.read_bytes())))
        assert len(pictures) == parts, name
        warned = " ".join(str(w) for w in paper.warnings)
        assert ("split into 2 parts" in warned) == (parts == 2), (name, warned)


def test_no_template_is_opened_before_its_workbook_is_read_and_the_chart_is_cut_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    load, read_workbook, cut = render._load, read_stage.read_workbook, page.chart_parts

    def loading(template: Path) -> Any:
        events.append(f"template {template.name}")
        return load(template)

    def reading(path: Path, profile: Any = None) -> Any:
        events.append(f"read {path.name}")
        return read_workbook(path, profile)

    def cutting(*args: Any) -> Any:
        events.append("cut")
        return cut(*args)

    monkeypatch.setattr(render, "_load", loading)
    monkeypatch.setattr(read_stage, "read_workbook", reading)
    for module in (render, context, validate):
        monkeypatch.setattr(module, "chart_parts", cutting)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name in ("alpha", "beta"):  # two papers render in this process, where they are seen
        edit_workbook(EXAMPLE, inputs / f"{name}.xlsx", {"Paper!B2": name.title()})

    report = build([inputs], tmp_path / "out", pdf=False, pack=False)

    assert report.ok, [str(p.error) for p in report.papers]
    assert events[0] == "read alpha.xlsx", events
    first_template = next(i for i, e in enumerate(events) if e.startswith("template"))
    assert events[:first_template] == ["read alpha.xlsx"], events
    assert events.count("cut") == 2, events  # one per paper: validated, then drawn as cut


def test_no_function_of_the_build_passes_sixty_lines() -> None:
    long = []
    for path in sorted((ROOT / "boardpack" / "pipeline").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            lines = (node.end_lineno or 0) - node.lineno + 1 if hasattr(node, "lineno") else 0
            if isinstance(node, ast.FunctionDef) and lines > 60:
                long.append(f"{path.name}:{node.lineno} {node.name}")
    assert not long, f"split these along their steps: {long}"
