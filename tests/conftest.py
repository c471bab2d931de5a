"""Shared test helpers: real workbooks edited cell by cell, and LibreOffice's view of a paper."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from boardpack.lo_profile import CACHE_ENV

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "procurement.xlsx"
SEED = Path(__file__).resolve().parent / "fixtures" / "seed-procurement-highlight-report.txt"

EditWorkbook = Callable[..., Path]


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """boardpack's cache (LibreOffice's profile template) in a folder of the test run's own,
    so the tests neither use nor leave anything in the user's cache."""
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        del os.environ[CACHE_ENV]
    else:
        os.environ[CACHE_ENV] = before


def edit_workbook(source: Path, target: Path, edits: dict[str, Any]) -> Path:
    """Copy a workbook, setting cells given as {"Risks!B2": 7}; None empties a cell."""
    book = openpyxl.load_workbook(source)
    for ref, value in edits.items():
        sheet, cell = ref.split("!")
        book[sheet][cell] = value
    book.save(target)
    return target


@pytest.fixture
def example_copy(tmp_path: Path) -> EditWorkbook:
    """The bundled example, copied into tmp_path with some cells changed."""

    def make(edits: dict[str, Any] | None = None, name: str = "procurement.xlsx") -> Path:
        return edit_workbook(EXAMPLE, tmp_path / name, edits or {})

    return make


def soffice_text(document: Path) -> str:
    """The document as LibreOffice's plain-text export shows it, list numbers included."""
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        profile = (work_dir / "profile").as_uri()
        subprocess.run(
            [
                shutil.which("soffice") or "soffice",
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                "txt:Text (encoded):UTF8",
                "--outdir",
                str(work_dir),
                str(document),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return (work_dir / f"{document.stem}.txt").read_text(encoding="utf-8-sig")


def reader_items(text: str, *, split_tabs: bool) -> list[str]:
    """Lines as a reader takes them: bullet marks dropped, spacing collapsed, cells apart."""
    items = []
    for line in text.splitlines():
        for part in line.split("\t") if split_tabs else [line]:
            part = re.sub(r"^\s*(?:[-•]\s+)+", "", part)
            part = " ".join(part.split())
            if part:
                items.append(part)
    return items


def seed_items() -> list[str]:
    """The seed report's non-empty lines as reader items; its table rows are tab-separated."""
    return reader_items(SEED.read_text(encoding="utf-8"), split_tabs=True)
