"""Running LibreOffice, as both converters do: pdf.py's one `soffice --convert-to` call per batch,
and warm.py's workers kept running for a watch or a large build. One place for what they share:
the PDF export's options, the environment and process group LibreOffice runs in, how it is
stopped with everything it started, and what it said when it failed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

# LibreOffice 7.4+ reads typed JSON filter options after the filter name. The untyped form
# ({"SelectPdfVersion": 2}) and unknown keys are silently ignored and give a plain PDF with exit
# status 0, which is why every PDF is verified afterwards.
EXPORT_OPTIONS: dict[str, tuple[str, str]] = {
    "SelectPdfVersion": ("long", "2"),  # PDF/A-2b; PDF/A also forces every font to be embedded
    "UseTaggedPDF": ("boolean", "true"),  # structure tags, for screen readers
    "ExportBookmarks": ("boolean", "true"),  # headings become the PDF outline
    # Word bookmarks become named destinations: the pack finds where each paper starts by name.
    "ExportBookmarksToPDFDestination": ("boolean", "true"),
    "EmbedStandardFonts": ("boolean", "true"),
    "ExportNotes": ("boolean", "false"),  # reviewers' comments stay out of the public record
    "ExportFormFields": ("boolean", "false"),  # content controls print as text, not live fields
    "UseLosslessCompression": ("boolean", "true"),  # keeps chart lines and labels crisp
}
_STDERR_LINES = 5


def child_env(tmp: Path) -> dict[str, str]:
    """The environment for LibreOffice: this one, without a display, and temp files kept private."""
    env = dict(os.environ)
    # svp renders without any window system, even when DISPLAY or WAYLAND_DISPLAY is set.
    env["SAL_USE_VCLPLUGIN"] = "svp"
    # LibreOffice's own temp files then go in our work folder and vanish with it, even if killed.
    for name in ("TMPDIR", "TMP", "TEMP"):
        env[name] = str(tmp)
    return env


def own_group() -> dict[str, Any]:
    """Popen arguments that put LibreOffice and its children in a group we can kill together."""
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]


def stop(proc: subprocess.Popen[Any]) -> None:
    """End a reaper with LibreOffice and every process it started (harmless if all ended)."""
    if os.name == "posix":
        # soffice is a launcher: the converting soffice.bin is a grandchild that would survive.
        # The reaper is not reaped until now, so its group id cannot have been reused.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:
        proc.kill()  # the reaper's Job object ends everything in it when the reaper ends
    proc.wait()
    if proc.stdin is not None:
        proc.stdin.close()


def stderr_tail(path: Path) -> str:
    """The last few meaningful lines LibreOffice printed to a file, joined on one line."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    # The javaldx warning appears on every run without Java and would hide the real message.
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "javaldx" not in ln]
    return " | ".join(lines[-_STDERR_LINES:])
