"""PDF/A validated, not only claimed: Apache PDFBox Preflight on the papers and the pack.

Optional and slower (a JVM per file): it runs when Debian's PDFBox packages and a Java runtime
are installed, and is skipped, saying what to install, when they are not. Preflight knows only
PDF/A-1b, so each PDF/A-2b is checked as a copy declaring part 1: what PDF/A-2 relaxes
(transparency, JPEG 2000, object streams) boardpack's PDFs do not use, so a -2b file that fails
as -1b is worth a look, and one that passes meets both.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pikepdf
import pytest

from tests.test_pdf_structure import Built, build_four

JAVA_DIR = Path("/usr/share/java")
# Preflight and what it needs on a Java 11+ runtime (which no longer carries JAXB or activation).
JARS = [
    "preflight.jar",  # libpdfbox2-java
    "pdfbox2.jar",
    "fontbox2.jar",  # libfontbox2-java
    "xmpbox.jar",
    "commons-logging.jar",  # libcommons-logging-java
    "jaxb-api.jar",  # libjaxb-api-java
    "javax.activation.jar",  # libactivation-java
]
INSTALL = (
    "PDFBox Preflight is not installed: sudo apt-get install default-jre-headless "
    "libpdfbox2-java libjaxb-api-java libactivation-java"
)
missing = shutil.which("java") is None or not all((JAVA_DIR / jar).is_file() for jar in JARS)
pytestmark = [
    pytest.mark.libreoffice,  # these tests convert with LibreOffice
    pytest.mark.skipif(missing, reason=INSTALL),
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) needed"),
]


def preflight(path: Path) -> list[str]:
    """Preflight's errors for a file ("code: details"); an empty list means valid PDF/A-1b."""
    classpath = ":".join(str(JAVA_DIR / jar) for jar in JARS)
    run = subprocess.run(
        ["java", "-cp", classpath, "org.apache.pdfbox.preflight.Validator_A1b", "xml", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        report = ET.fromstring(run.stdout)
    except ET.ParseError:
        pytest.fail(f"Preflight gave no report (exit {run.returncode}): {run.stderr[-2000:]}")
    valid = report.findtext("isValid")
    errors = [
        f"{error.findtext('code')}: {error.findtext('details')}" for error in report.iter("error")
    ]
    if valid != "true" and not errors:
        errors = [f"not valid, with no error listed (exit {run.returncode})"]
    return errors


def as_part_one(source: Path, target: Path) -> Path:
    """A copy of a PDF/A-2b whose XMP declares PDF/A-1b, for Preflight; nothing else changed."""
    with pikepdf.open(source) as pdf:
        # Not as editor and not into the document info: Preflight checks that the two agree.
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            assert xmp["pdfaid:part"] == "2"
            xmp["pdfaid:part"] = "1"
        pdf.save(target, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_four(tmp_path_factory)


@pytest.mark.parametrize("kind", ["paper", "long_name", "long_plan", "pack"])
def test_preflight_finds_the_pdf_valid(built: Built, tmp_path: Path, kind: str) -> None:
    source: Path = getattr(built, kind)
    assert preflight(as_part_one(source, tmp_path / source.name)) == []


def test_preflight_reads_the_file_it_is_given(built: Built) -> None:
    # The PDF as made says part 2, which Preflight's PDF/A-1b profile must reject.
    assert any("part must be 1" in error for error in preflight(built.paper))
