"""Text from outside (workbook cells, boardpack.toml) made fit to print in a Word paper."""

from __future__ import annotations

import re

# XML 1.0, and so Word, cannot hold these; tab and line feed are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def one_kind_of_line_break(text: str) -> str:
    """The text with every line break as \\n, the one a paper prints (Excel may keep \\r\\n)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def without_controls(text: str) -> tuple[str, str | None]:
    """The text without characters Word cannot hold, and a warning when any were removed."""
    cleaned, count = _CONTROL.subn("", text)
    if not count:
        return text, None
    return cleaned, (
        f"removed {count} control character{'s' * (count > 1)} that Word cannot show; check"
        " the text reads as intended"
    )


def clean_text(text: str) -> tuple[str, str | None]:
    """Text typed outside a workbook cleaned as cell text is, with the warning if any."""
    return without_controls(one_kind_of_line_break(text))
