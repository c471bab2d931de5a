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


# Control characters (but tab and line feed), the marks that reorder text, and the stand-ins
# Python gives the bytes of a file name that are not UTF-8 (surrogate escapes).
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """Text fit to print on a terminal: each control character, reordering mark or byte of a
    name that is not UTF-8 shown as an escape (\\x1b, \\u202e, \\xe9), never acted on."""

    def shown(match: re.Match[str]) -> str:
        code = ord(match.group())
        if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the byte code - 0xDC00
            return f"\\x{code - 0xDC00:02x}"
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNPRINTABLE.sub(shown, text)


def is_utf8(name: str) -> bool:
    """Whether a name read from the disk was UTF-8 text (else it holds surrogate escapes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
