"""openxml-audit's view of an Office file: what it reports, and whether Word or Excel is
predicted to repair it.

openxml-audit (a port of the Open XML SDK's validator with rules for what Office repairs) is run
as its command line, whose JSON output is its documented interface; it exits 0 even when it
finds errors, so the JSON is what is read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CLEAN = "opens-clean"  # openxml-audit's prediction for a file the app opens without repair
FORMAT = "office2019"  # openxml-audit's default: the schema of Word 2019 and later


@dataclass(frozen=True)
class Audit:
    """What openxml-audit found in one file."""

    file: Path
    findings: list[str]  # "error|warning part: description", errors and warnings alike
    prediction: str  # e.g. "opens-clean", "repair-or-rewrite-likely"
    headline: str  # e.g. "Microsoft Word: expected to repair or rewrite this file (...)"

    @property
    def clean(self) -> bool:
        """Nothing reported, and the app predicted to open it as it is."""
        return not self.findings and self.prediction == CLEAN

    def __str__(self) -> str:
        lines = [f"{self.file.name}: {self.headline or self.prediction}", *self.findings]
        return "\n  ".join(lines)


def audit(path: Path, file_format: str = FORMAT) -> Audit:
    """Run openxml-audit on `path` and read its report."""
    command = [sys.executable, "-m", "openxml_audit", "--output", "json", "--max-errors", "0"]
    run = subprocess.run(
        [*command, "--format", file_format, str(path)],
        capture_output=True,
        text=True,
        timeout=300,  # a bound for a hung run, far above the second or two it takes
    )
    try:
        (report,) = json.loads(run.stdout)
    except ValueError as exc:
        raise AssertionError(f"openxml-audit gave no report for {path}: {run.stderr}") from exc
    findings = [
        f"{e['severity']} {e['part_uri']}: {e['description']}" for e in report.get("errors", [])
    ]
    verdict = report.get("verdict") or {}
    return Audit(
        file=path,
        findings=findings,
        prediction=verdict.get("prediction", CLEAN if report["valid"] else "invalid"),
        headline=verdict.get("headline", ""),
    )
