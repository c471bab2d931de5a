"""The package's stages import one way: shared parts, then the paper, then the workbook side and
the outputs (which know nothing of each other), then the meeting; the command and the build
above them all. A module that reaches the wrong way fails here, naming the import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "boardpack"
SHARED = {"errors", "files", "text", "guard"}  # top-level modules any stage may use
# The faces over the library (the command, the watch, the web) and the build may use everything.
APP = {"__init__", "__main__", "cli", "console", "pipeline", "watch", "web"}
ALLOWED = {
    "shared": {"shared"},
    "paper": {"shared", "paper"},
    "workbook": {"shared", "paper", "workbook"},
    "outputs": {"shared", "paper", "outputs"},
    "meeting": {"shared", "paper", "workbook", "outputs", "meeting"},
}


def _layer(module: str) -> str:
    """The layer of a dotted module name below boardpack ("paper.models" is "paper")."""
    head = module.split(".")[0]
    if head in SHARED:
        return "shared"
    if head in APP:
        return "app"
    return head


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every boardpack module `path` imports, anywhere in it, as (line, name below boardpack)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "boardpack":
                found += [(node.lineno, alias.name) for alias in node.names]
            elif node.module.startswith("boardpack."):
                found.append((node.lineno, node.module.removeprefix("boardpack.")))
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name.removeprefix("boardpack."))
                for alias in node.names
                if alias.name.startswith("boardpack.")
            ]
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_is_in_a_stage() -> None:
    stages = {_layer(".".join(p.relative_to(PACKAGE).with_suffix("").parts)) for p in MODULES}
    assert stages == {"shared", "app", "paper", "workbook", "outputs", "meeting"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path: Path) -> None:
    name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    layer = _layer(name)
    if layer == "app":
        return
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports boardpack.{imported} ({_layer(imported)})"
        for line, imported in _imports(path)
        if imported != "__version__" and _layer(imported) not in ALLOWED[layer]
    ]
    assert not wrong, f"{layer} may import only from {sorted(ALLOWED[layer])}: {wrong}"
