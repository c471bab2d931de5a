"""Where the Word templates that come with boardpack are.

In a source checkout they are in templates/, for councils to find and restyle; an installed
boardpack carries them as boardpack.templates (pyproject.toml maps the one to the other).
"""

from __future__ import annotations

from pathlib import Path


def _bundled_templates() -> Path:
    """templates/ in a source checkout, else the templates installed with boardpack."""
    package = Path(__file__).resolve().parents[1]  # boardpack/
    checkout = package.parent / "templates"
    if checkout.is_dir():
        return checkout
    return package / "templates"


TEMPLATES = _bundled_templates()
DEFAULT_TEMPLATE = TEMPLATES / "highlight-report.docx"  # the default (JIB) profile's
REPORT_TEMPLATE = TEMPLATES / "report.docx"  # loops over any profile's shape
PACK_TEMPLATE = TEMPLATES / "board-pack.docx"
