"""The build, in one-way stages: read (the profile settled), choose the template, validate,
render, convert, place. `build` runs them over a meeting's workbooks (run.py)."""

from boardpack.pipeline.report import (
    BuildReport,
    Converter,
    OnProgress,
    PackResult,
    PaperResult,
    StaleOutput,
    Status,
)
from boardpack.pipeline.run import build

__all__ = [
    "BuildReport",
    "Converter",
    "OnProgress",
    "PackResult",
    "PaperResult",
    "StaleOutput",
    "Status",
    "build",
]
