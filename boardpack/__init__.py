"""boardpack: a project manager's Excel workbook in, a board highlight report (Word, PDF) out.

    import boardpack
    report = boardpack.build(["inputs/procurement.xlsx"], "output")
    checked = boardpack.load_paper("inputs/procurement.xlsx")  # validate only

Heavy parts (matplotlib, docxtpl) load only when a paper is rendered, so checking stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boardpack.errors import (
    ArchiveError,
    BoardpackError,
    ConversionError,
    InvalidWorkbook,
    OutputError,
    Problem,
    TemplateProblem,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from boardpack.pipeline import build
    from boardpack.workbook.validate import load_paper

__all__ = [
    "ArchiveError",
    "BoardpackError",
    "ConversionError",
    "InvalidWorkbook",
    "OutputError",
    "Problem",
    "TemplateProblem",
    "__version__",
    "build",
    "load_paper",
]

_LAZY = {"build": "boardpack.pipeline", "load_paper": "boardpack.workbook.validate"}


def __getattr__(name: str) -> Any:
    # PEP 562: import a stage only when it is first used.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'boardpack' has no attribute {name!r}")
