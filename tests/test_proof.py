"""Every PDF is proven to be its paper: made from that .docx, with the real LibreOffice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from boardpack.cli import main
from boardpack.errors import ConversionError
from boardpack.outputs.proof import docx_identity, prove_pdf
from boardpack.pipeline import BuildReport, Status, build
from tests.conftest import EXAMPLE, edit_workbook

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.libreoffice,  # these tests convert with LibreOffice
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed"),
]


def two_workbooks(folder: Path, beta_status: str = "Green") -> Path:
    """A folder holding alpha.xlsx and beta.xlsx: two projects' papers from one template."""
    folder.mkdir(parents=True, exist_ok=True)
    edit_workbook(EXAMPLE, folder / "alpha.xlsx", {"Paper!B2": "Alpha depot"})
    edit_workbook(
        EXAMPLE, folder / "beta.xlsx", {"Paper!B2": "Beta bridge", "Paper!B8": beta_status}
    )
    return folder


def fake_soffice(folder: Path, after: str) -> Path:
    """A converter that runs the real LibreOffice, then does `after` (shell) in its output
    folder, $out, as a faulty or hostile converter might."""
    script = folder / "soffice"
    folder.mkdir(parents=True, exist_ok=True)
    script.write_text(
        "#!/bin/sh\n"
        f'"{SOFFICE}" "$@" || exit $?\n'
        'while [ $# -gt 0 ]; do [ "$1" = --outdir ] && out="$2"; shift; done\n'
        f"{after}\n"
        "exit 0\n"
    )
    script.chmod(0o755)
    return script


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    inputs = two_workbooks(tmp_path_factory.mktemp("in"))
    report = build([inputs], tmp_path_factory.mktemp("out"))
    assert report.ok, [str(p.error) for p in report.papers]
    return report


def test_each_pdf_carries_the_identifier_and_title_of_its_docx(built: BuildReport) -> None:
    identifiers = set()
    for paper in built.papers:
        assert paper.docx is not None and paper.pdf is not None
        title, identifier, _ = docx_identity(paper.docx)
        metadata = PdfReader(paper.pdf).metadata
        assert metadata is not None
        assert metadata.title == title
        assert metadata["/Keywords"] == identifier
        assert identifier.startswith("boardpack-") and len(identifier) == len("boardpack-") + 64
        identifiers.add(identifier)
        prove_pdf(paper.pdf, paper.docx)
    assert len(identifiers) == 2


def test_the_pack_pdf_is_proven_against_the_pack_docx(built: BuildReport) -> None:
    assert built.pack is not None and built.pack.pdf is not None and built.pack.docx is not None
    prove_pdf(built.pack.pdf, built.pack.docx)


def test_another_papers_pdf_is_refused_naming_both_files_and_what_differs(
    built: BuildReport,
) -> None:
    alpha, beta = built.papers
    assert alpha.pdf is not None and beta.docx is not None
    with pytest.raises(ConversionError) as caught:
        prove_pdf(alpha.pdf, beta.docx)
    message = str(caught.value)
    assert message.startswith(f"{alpha.pdf}: is not the PDF of {beta.docx}")
    assert "its title is 'Alpha depot highlight report'" in message
    assert "the paper's is 'Beta bridge highlight report'" in message
    assert "identifier" in message and "Build again" in message


def test_a_pdf_whose_metadata_was_made_to_match_is_refused_by_its_first_page(
    built: BuildReport, tmp_path: Path
) -> None:
    from pypdf import PdfWriter

    alpha, beta = built.papers
    assert alpha.pdf is not None and beta.docx is not None
    title, identifier, _ = docx_identity(beta.docx)
    writer = PdfWriter(clone_from=alpha.pdf)
    writer.add_metadata({"/Title": title, "/Keywords": identifier})
    disguised = tmp_path / "beta.pdf"
    with disguised.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(ConversionError) as caught:
        prove_pdf(disguised, beta.docx)
    message = str(caught.value)
    opening = "'beta bridge highlight report'"
    assert f"its first page does not show the paper's opening text {opening}" in message
    assert "title" not in message.split(": is not the PDF of")[1].split(".")[0]


def test_the_pdf_of_an_earlier_version_of_the_same_paper_is_refused(
    built: BuildReport, tmp_path: Path
) -> None:
    # Same title, same opening text: only the identifier tells the two .docx files apart.
    inputs = two_workbooks(tmp_path / "in", beta_status="Red")
    newer = build([inputs / "beta.xlsx"], tmp_path / "out", pdf=False).papers[0]
    older_pdf = built.papers[1].pdf
    assert newer.docx is not None and older_pdf is not None
    with pytest.raises(ConversionError, match="carries the identifier 'boardpack-") as caught:
        prove_pdf(older_pdf, newer.docx)
    assert "title" not in str(caught.value)


def test_a_pdf_with_no_identifier_is_refused(built: BuildReport, tmp_path: Path) -> None:
    from pypdf import PdfWriter

    paper = built.papers[0]
    assert paper.pdf is not None and paper.docx is not None
    writer = PdfWriter(clone_from=paper.pdf)
    writer.add_metadata({"/Keywords": ""})
    stripped = tmp_path / "stripped.pdf"
    with stripped.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(ConversionError, match="identifier 'of no paper'"):
        prove_pdf(stripped, paper.docx)


def test_a_converter_that_copies_one_papers_pdf_over_another_fails_that_paper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    converter = fake_soffice(
        tmp_path / "bin", '[ -f "$out/alpha.pdf" ] && cp "$out/alpha.pdf" "$out/beta.pdf"'
    )
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(converter))
    inputs = two_workbooks(tmp_path / "in")
    out = tmp_path / "out"

    report = build([inputs], out)  # a folder: one LibreOffice converts both papers, then the pack

    alpha, beta = report.papers
    assert alpha.status is Status.BUILT and alpha.pdf == out / "alpha.pdf"
    assert beta.status is Status.FAILED and beta.pdf is None
    assert "beta.pdf: is not the PDF of" in str(beta.error)
    assert "its title is 'Alpha depot highlight report'" in str(beta.error)
    assert not (out / "beta.pdf").exists()
    prove_pdf(out / "alpha.pdf", out / "alpha.docx")
    record = out / ".boardpack" / "beta.json"
    assert not record.exists() or '"pdf": "beta.pdf"' not in record.read_text(encoding="utf-8")


def test_a_converter_that_writes_another_papers_pdf_is_caught_by_the_command(
    built: BuildReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The converter hands back a PDF of the previous version of beta: right title, old content.
    stash = tmp_path / "old-beta.pdf"
    assert built.papers[1].pdf is not None
    shutil.copyfile(built.papers[1].pdf, stash)
    converter = fake_soffice(tmp_path / "bin", f'cp "{stash}" "$out/beta.pdf"')
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(converter))
    inputs = two_workbooks(tmp_path / "in", beta_status="Red")
    out = tmp_path / "out"

    result = CliRunner().invoke(main, ["build", str(inputs / "beta.xlsx"), "--out", str(out)])

    assert result.exit_code == 1
    # the summary wraps long lines at spaces, or inside a long path
    assert "is not the PDF of" in " ".join(result.output.split())
    assert "beta.pdf" in result.output.replace("\n", "")
    assert "Traceback" not in result.output
    assert not (out / "beta.pdf").exists()


def test_core_properties_are_written_in_their_own_namespace(built: BuildReport) -> None:
    # docxcompose (the pack) rebinds python-docx's "cp" prefix for the whole process; the
    # identifier, lastModifiedBy and revision must still be core properties Word and LibreOffice
    # read, not elements of the custom-properties namespace.
    import zipfile
    from xml.etree import ElementTree

    core_ns = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
    for paper in built.papers:
        assert paper.docx is not None
        with zipfile.ZipFile(paper.docx) as package:
            core = ElementTree.fromstring(package.read("docProps/core.xml"))
        assert core.findtext(core_ns + "lastModifiedBy") == "Jim Burness"
        assert core.findtext(core_ns + "keywords", "").startswith("boardpack-")
        assert not [e.tag for e in core if "custom-properties" in e.tag]


def test_the_opening_is_the_first_paragraph_whole_whatever_its_length(tmp_path: Path) -> None:
    import io

    from boardpack.outputs.proof import _opening_text

    body = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p/><w:p><w:r><w:t>\u2014</w:t></w:r></w:p>"
        "<w:p><w:r><w:rPr><w:vanish/></w:rPr><w:t>hidden</w:t></w:r>"
        "<w:r><w:t>Cab</w:t></w:r><w:r><w:t>inet</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>24 January 2008</w:t></w:r></w:p></w:body></w:document>"
    )
    assert _opening_text(io.BytesIO(body.encode())) == "cabinet"
    long_title = "Housing " * 40
    body = body.replace("Cab</w:t></w:r><w:r><w:t>inet", long_title)
    assert _opening_text(io.BytesIO(body.encode())) == " ".join(["housing"] * 40)


def test_the_opening_is_found_word_by_word_in_any_script() -> None:
    # A PDF adds list numbers and running headers; its text of a right-to-left script comes
    # out in visual order (each word reversed, digits left to right), as pypdf reads it.
    from boardpack.outputs.proof import _shows_words

    page = "Alpha depot highlight report | Board\n1. Recommendation\nTo note the \ufb01gures"
    assert _shows_words("recommendation to note the figures", page)
    assert not _shows_words("betabridge", page)
    arabic = "\u0645\u062c\u0644\u0633 \u0627\u0644\u0645\u062f\u064a\u0646\u0629"
    drawn = " \x01".join(arabic[::-1]) + "2026\n24 January 2008"
    assert _shows_words(f"{arabic} 2026", drawn)
    hebrew = "\u05d5\u05e2\u05d3\u05d4"  # a committee, with a year inside the word
    assert _shows_words(f"{hebrew}2026", f"2026{hebrew[::-1]}")
    assert not _shows_words(f"{hebrew}2026", "2026")
