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


WORD_LAYER = PACKAGE / "outputs" / "word"
# What builds or reads Word's markup by hand: python-docx's XML helpers (a tag by its w: name).
_WORD_XML_CALLS = {"qn", "OxmlElement", "parse_xml", "nsdecls"}


def _raw_word_xml(path: Path) -> list[str]:
    """Where a module handles Word's XML itself: imports docx.oxml, calls qn, OxmlElement and
    the like, or spells a w: tag ("w:p", "<w:t>")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("docx.oxml"):
            found.append(f"{node.lineno}: imports {node.module}")
        elif isinstance(node, ast.Import) and any(
            a.name.startswith("docx.oxml") for a in node.names
        ):
            found.append(f"{node.lineno}: imports docx.oxml")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in _WORD_XML_CALLS:
                found.append(f"{node.lineno}: calls {name}")
        elif isinstance(node, ast.Constant) and _spells_a_tag(node.value):
            found.append(f"{node.lineno}: spells {node.value[:30]!r}")
    return found


def _spells_a_tag(value: object) -> bool:
    """Whether a constant is a w: tag's name or markup with one."""
    return isinstance(value, str) and (value.startswith("w:") or "<w:" in value)


def test_raw_word_xml_is_only_in_the_word_layer() -> None:
    outside = [p for p in MODULES if WORD_LAYER not in p.parents]
    found = [f"{p.relative_to(ROOT)}:{where}" for p in outside for where in _raw_word_xml(p)]
    assert not found, f"Word's XML belongs in boardpack/outputs/word/: {found}"


def test_the_word_layer_check_finds_raw_xml() -> None:
    # The check above must be able to fail: the layer's own modules are full of what it looks for.
    assert _raw_word_xml(WORD_LAYER / "fields.py")
    assert _raw_word_xml(WORD_LAYER / "schema.py")
