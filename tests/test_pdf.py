"""Tests of the PDF export stage, run against the real LibreOffice."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import docx
import pytest
from pypdf import PdfReader

from boardpack.errors import BatchConversionError, ConversionError
from boardpack.outputs import lo_profile, pdf, pdf_finish
from boardpack.outputs.pdf import convert_to_pdf, find_soffice, verify_pdf

TEXT = "R&D <test> £50k \u2013 café"  # an en dash
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="poppler-utils not installed",
)


def make_docx(path: Path, title: str, text: str = TEXT) -> Path:
    """A small Word paper with a title in its properties, a heading and one paragraph."""
    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def pdfaid(path: Path) -> tuple[str | None, str | None]:
    """The PDF/A part and conformance declared in a PDF's XMP metadata, read with pypdf."""
    metadata = PdfReader(path).trailer["/Root"].get("/Metadata")
    if metadata is None:
        return None, None
    root = ET.fromstring(metadata.get_object().get_data())
    ns = "{http://www.aiim.org/pdfa/ns/id/}"
    values = {}
    for description in root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
        for name in ("part", "conformance"):
            element = description.find(ns + name)
            value = element.text if element is not None else description.get(ns + name)
            if value is not None:
                values[name] = value
    return values.get("part"), values.get("conformance")


def font_embedding(path: Path) -> dict[str, str]:
    """Each font in a PDF and its `emb` column from pdffonts."""
    lines = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    # Columns are fixed-width under the dashes; names and types may contain spaces.
    spans = [m.span() for m in re.finditer(r"-+", lines[rule])]
    header = [lines[rule - 1][a:b].strip() for a, b in spans]
    emb = header.index("emb")
    return {
        line[spans[0][0] : spans[0][1]].strip(): line[spans[emb][0] : spans[emb][1]].strip()
        for line in lines[rule + 1 :]
        if line.strip()
    }


# Shell that prints the process group of the shell running it (field 5 of /proc/PID/stat).
RECORD_GROUP = "cut -d' ' -f5 /proc/$$/stat"


def live_group_members(pgid: int) -> list[int]:
    """Processes, other than zombies, still in a process group (Linux /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def groups_end(groups: list[int]) -> bool:
    """Whether every process in these groups has ended, waiting a generous bound for them: a
    group is killed at once, but each of its processes finishes dying in its own time."""
    deadline = time.monotonic() + 60
    while any(live_group_members(group) for group in groups):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize(
    ("count", "parts", "sizes"),
    [(1, 4, [1]), (3, 1, [3]), (3, 2, [2, 1]), (10, 3, [4, 3, 3]), (5, 5, [1] * 5), (0, 2, [])],
)
def test_split_makes_at_most_parts_balanced_runs_in_order(
    count: int, parts: int, sizes: list[int]
) -> None:
    items = list(range(count))
    runs = pdf._split(items, parts)
    assert [len(run) for run in runs] == sizes
    assert [item for run in runs for item in run] == items


@needs_soffice
@needs_poppler
@pytest.mark.libreoffice
def test_converts_a_paper_to_tagged_pdfa2b_with_embedded_fonts(tmp_path: Path) -> None:
    paper = make_docx(tmp_path / "procurement.docx", "Procurement update")
    done: list[Path] = []

    result = convert_to_pdf([paper], on_done=done.append)

    out = tmp_path / "procurement.pdf"
    assert result == {paper: out}
    assert done == [paper]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["procurement.docx", "procurement.pdf"]
    assert verify_pdf(out, title="Procurement update") == 1
    with pytest.raises(
        ConversionError, match=r"procurement\.pdf: its title is 'Procurement update'"
    ):
        verify_pdf(out, title="Something else")
    assert pdfaid(out) == ("2", "B")
    reader = PdfReader(out)
    assert reader.metadata is not None and reader.metadata.title == "Procurement update"
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert TEXT in " ".join(text.split())
    fonts = font_embedding(out)
    assert fonts and set(fonts.values()) == {"yes"}, fonts


@needs_soffice
@pytest.mark.libreoffice
def test_runs_one_libreoffice_per_chunk_not_per_paper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = [make_docx(tmp_path / f"paper{i}.docx", f"Paper {i}") for i in range(3)]
    calls: list[list[str]] = []
    real_popen = subprocess.Popen

    def spy(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        calls.append(list(args))
        return real_popen(args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(pdf.subprocess, "Popen", spy)
    result = convert_to_pdf(papers, jobs=2)
    monkeypatch.undo()

    assert result == {p: p.with_suffix(".pdf") for p in papers}
    for i, paper in enumerate(papers):
        assert verify_pdf(paper.with_suffix(".pdf"), title=f"Paper {i}") == 1
    assert sorted(sum(a.endswith(".docx") for a in args) for args in calls) == [1, 2]
    profiles = {a for args in calls for a in args if a.startswith("-env:UserInstallation=")}
    assert len(profiles) == 2  # a profile of its own for each process


@needs_soffice
@pytest.mark.libreoffice
def test_two_conversions_at_once_into_different_folders(tmp_path: Path) -> None:
    papers = [make_docx(tmp_path / name / "paper.docx", f"Paper {name}") for name in "ab"]
    results: dict[str, object] = {}

    def convert(paper: Path) -> None:
        try:
            results[paper.parent.name] = convert_to_pdf([paper])
        except Exception as exc:  # reported by the assertion below
            results[paper.parent.name] = exc

    threads = [threading.Thread(target=convert, args=(p,)) for p in papers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)  # a bound against a hang, not a speed test

    for paper in papers:
        assert results[paper.parent.name] == {paper: paper.with_suffix(".pdf")}
        assert verify_pdf(paper.with_suffix(".pdf"), title=f"Paper {paper.parent.name}") == 1


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_hung_libreoffice_is_killed_with_its_children_retried_once_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = f"boardpack-hang-{uuid.uuid4().hex}"
    pids = tmp_path / "pids.txt"
    standin = tmp_path / marker / "soffice"
    standin.parent.mkdir()
    # Records its process group, leaves a child that carries the marker in its arguments, and
    # hangs.
    standin.write_text(
        f"#!/bin/sh\n{RECORD_GROUP} >> '{pids}'\nsh -c 'sleep 60; :' '{marker}' &\nsleep 60\n"
    )
    standin.chmod(0o755)
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(standin))
    paper = make_docx(tmp_path / "papers" / "procurement.docx", "Procurement")
    before = paper.read_bytes()

    with pytest.raises(ConversionError) as caught:
        convert_to_pdf([paper], timeout=2)

    message = str(caught.value)
    assert message.startswith("procurement.docx: LibreOffice did not finish converting it")
    assert "2 s" in message and "tried twice" in message and "--no-pdf" in message
    assert isinstance(caught.value, BatchConversionError)
    assert caught.value.converted == {}
    assert paper.read_bytes() == before
    assert [p.name for p in paper.parent.iterdir()] == ["procurement.docx"]
    groups = [int(line) for line in pids.read_text().split()]
    # Each try ran in a process group of its own (one it did not reach before being stopped
    # records nothing), and none is left.
    assert 1 <= len(groups) <= 2 and os.getpgrp() not in groups
    assert groups_end(groups)
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert found.stdout == ""


@needs_soffice
def test_one_failing_chunk_keeps_the_other_chunks_pdfs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The chunk with stuck.docx fails at once; the other is converted by the real LibreOffice,
    # with the default timeout (a short one would fail it too on a busy machine).
    wrapper = tmp_path / "bin" / "soffice"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f'#!/bin/sh\ncase "$*" in *stuck.docx*) exit 3 ;; esac\nexec "{SOFFICE}" "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(wrapper))
    good = make_docx(tmp_path / "good.docx", "Good")
    stuck = make_docx(tmp_path / "stuck.docx", "Stuck")

    with pytest.raises(BatchConversionError) as caught:
        convert_to_pdf([good, stuck], jobs=2)

    assert caught.value.converted == {good: tmp_path / "good.pdf"}
    assert list(caught.value.failed) == [stuck]
    assert "stuck.docx: LibreOffice stopped with exit status 3" in str(caught.value)
    assert "good.docx" not in str(caught.value)
    assert verify_pdf(tmp_path / "good.pdf", title="Good") == 1
    assert not (tmp_path / "stuck.pdf").exists()


@needs_soffice
def test_verify_pdf_rejects_plain_damaged_and_empty_pdfs(tmp_path: Path) -> None:
    paper = make_docx(tmp_path / "plain.docx", "Plain")
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [
            SOFFICE or "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "out"),
            str(paper),
        ],
        capture_output=True,
        check=True,
        timeout=600,
    )
    plain = tmp_path / "out" / "plain.pdf"
    with pytest.raises(ConversionError, match=r"plain\.pdf: not PDF/A"):
        verify_pdf(plain)

    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(plain.read_bytes()[:200])
    with pytest.raises(ConversionError, match=r"damaged\.pdf: not a readable PDF"):
        verify_pdf(damaged)
    empty = tmp_path / "empty.pdf"
    empty.touch()
    with pytest.raises(ConversionError, match=r"empty\.pdf: the PDF is empty"):
        verify_pdf(empty)
    with pytest.raises(ConversionError, match=r"missing\.pdf: no PDF was written"):
        verify_pdf(tmp_path / "missing.pdf")
    # A build checks and finishes LibreOffice's PDFs in one open of each; it says the same.
    for path, said in (
        (plain, "not PDF/A"),
        (damaged, "not a readable PDF"),
        (empty, "the PDF is empty"),
        (tmp_path / "missing.pdf", "no PDF was written"),
    ):
        finished = pdf_finish.finish(path)
        assert (finished.problem or "").startswith(said) and finished.data == b"", path.name


def test_missing_docx_is_reported_without_running_libreoffice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(tmp_path / "no-such-soffice"))
    garbage = tmp_path / "garbage.docx"
    garbage.write_bytes(b"not a zip package")  # LibreOffice would print these bytes as text
    with pytest.raises(BatchConversionError) as caught:
        convert_to_pdf([tmp_path / "ghost.docx", garbage])
    assert caught.value.converted == {}
    message = str(caught.value)
    assert "ghost.docx: file not found" in message
    assert "garbage.docx: not a Word document" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.docx"]


def test_find_soffice_without_libreoffice_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("BOARDPACK_SOFFICE", raising=False)
    monkeypatch.setattr(pdf, "_candidate_locations", lambda: [tmp_path / "nowhere" / "soffice"])

    with pytest.raises(ConversionError) as caught:
        find_soffice()

    message = str(caught.value)
    assert "apt-get install libreoffice-writer-nogui" in message
    assert "brew install --cask libreoffice" in message
    assert "libreoffice.org/download" in message
    assert "--no-pdf" in message and "BOARDPACK_SOFFICE" in message


def test_find_soffice_prefers_the_environment_then_path_then_standard_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def program(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
        return path

    standard = program(tmp_path / "opt" / "soffice")
    on_path = program(tmp_path / "bin" / "libreoffice")
    chosen = program(tmp_path / "chosen" / "soffice")
    monkeypatch.setattr(pdf, "_candidate_locations", lambda: [tmp_path / "no", standard])
    monkeypatch.delenv("BOARDPACK_SOFFICE", raising=False)

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_soffice() == standard
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_soffice() == on_path
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(chosen))
    assert find_soffice() == chosen
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(tmp_path / "missing"))
    with pytest.raises(ConversionError, match="BOARDPACK_SOFFICE is set to"):
        find_soffice()


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timeout"):
        convert_to_pdf([tmp_path / "a.docx"], timeout=0)
    with pytest.raises(ValueError, match="jobs"):
        convert_to_pdf([tmp_path / "a.docx"], jobs=0)
    assert convert_to_pdf([]) == {}
    assert os.listdir(tmp_path) == []


@needs_soffice
@pytest.mark.libreoffice
def test_later_conversions_start_from_the_profile_the_first_one_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(lo_profile.CACHE_ENV, str(tmp_path / "cache"))
    template = lo_profile.template_for(find_soffice())
    first = make_docx(tmp_path / "first.docx", "First")
    second = make_docx(tmp_path / "second.docx", "Second")

    convert_to_pdf([first])
    kept = template / "user" / "registrymodifications.xcu"
    assert kept.is_file()
    # A mark only a copy of the template carries: the second conversion's profile has it.
    (template / "user" / "boardpack-mark").write_text("seeded")
    profiles: list[Path] = []
    real_popen = pdf.subprocess.Popen

    def spy(args: list[str], **kwargs: Any) -> Any:
        option = next(a for a in args if a.startswith("-env:UserInstallation="))
        profile = Path(urllib.parse.urlparse(option.split("=", 1)[1]).path)
        profiles.append(profile)
        assert (profile / "user" / "boardpack-mark").read_text() == "seeded"
        return real_popen(args, **kwargs)

    monkeypatch.setattr(pdf.subprocess, "Popen", spy)
    convert_to_pdf([second])

    assert len(profiles) == 1 and not profiles[0].exists()  # the copy went with its work folder
    assert verify_pdf(tmp_path / "second.pdf", title="Second") == 1
    assert kept.is_file()


@needs_soffice
@pytest.mark.libreoffice
def test_a_template_that_fails_is_thrown_away_and_the_retry_starts_fresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(lo_profile.CACHE_ENV, str(tmp_path / "real-cache"))
    reference = make_docx(tmp_path / "reference.docx", "Paper")
    convert_to_pdf([reference])
    # A stand-in LibreOffice that fails whenever its profile came from the template, as a damaged
    # template might make the real one do, and otherwise converts (writes a PDF/A stand-in).
    standin = tmp_path / "bin" / "soffice"
    standin.parent.mkdir()
    standin.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do case "$a" in -env:UserInstallation=file://*) '
        'p="${a#-env:UserInstallation=file://}" ;; --outdir) o=1 ;; *) '
        '[ "${o:-}" = 1 ] && { out="$a"; o=2; } ; last="$a" ;; esac; done\n'
        '[ -f "$p/user/damaged" ] && exit 1\n'
        f'cp "{tmp_path / "reference.pdf"}" "$out/$(basename "$last" .docx).pdf"\n'
        'mkdir -p "$p/user" && echo fresh > "$p/user/registrymodifications.xcu"\n'
    )
    standin.chmod(0o755)
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(standin))
    monkeypatch.setenv(lo_profile.CACHE_ENV, str(tmp_path / "cache"))
    template = lo_profile.template_for(standin)
    (template / "user").mkdir(parents=True)
    (template / "user" / "registrymodifications.xcu").write_text("old")
    (template / "user" / "damaged").write_text("")
    paper = make_docx(tmp_path / "paper.docx", "Paper")

    assert convert_to_pdf([paper]) == {paper: tmp_path / "paper.pdf"}

    # The damaged template is gone, and the fresh profile of the retry took its place.
    assert (template / "user" / "registrymodifications.xcu").read_text() == "fresh\n"
    assert not (template / "user" / "damaged").exists()


def test_template_key_changes_with_the_libreoffice_it_came_from(tmp_path: Path) -> None:
    soffice = tmp_path / "program" / "soffice"
    registry = tmp_path / "share" / "registry" / "main.xcd"
    soffice.parent.mkdir()
    registry.parent.mkdir(parents=True)
    soffice.write_text("#!/bin/sh\n")
    registry.write_text("<value>7.4</value>")
    before = lo_profile.template_for(soffice)
    assert lo_profile.template_for(soffice) == before
    # An upgrade that keeps the launcher script as it was still changes the registry.
    registry.write_text("<value>24.2</value>")
    upgraded = lo_profile.template_for(soffice)
    assert upgraded != before
    soffice.write_text("#!/bin/sh\n# moved to another launcher\n")
    assert lo_profile.template_for(soffice) not in (before, upgraded)


def test_keep_never_replaces_a_template_and_ignores_an_unfinished_profile(
    tmp_path: Path,
) -> None:
    template = tmp_path / "cache" / "template"
    unfinished = tmp_path / "unfinished"
    (unfinished / "user").mkdir(parents=True)
    lo_profile.keep(unfinished, template, tmp_path / "soffice")
    assert not template.exists()

    for name, text in (("one", "first"), ("two", "second")):
        profile = tmp_path / name
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(text)
        lo_profile.keep(profile, template, tmp_path / "soffice")
    assert (template / "user" / "registrymodifications.xcu").read_text() == "first"
    assert [p.name for p in template.parent.iterdir()] == ["template"]  # no staging left
    assert lo_profile.seed(tmp_path / "copy", template)
    assert (tmp_path / "copy" / "user" / "registrymodifications.xcu").read_text() == "first"
    lo_profile.discard(template)
    assert not template.exists() and list(template.parent.iterdir()) == []
    assert not lo_profile.seed(tmp_path / "copy2", template)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_cancelling_stops_libreoffice_at_once_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = tmp_path / "pids.txt"
    standin = tmp_path / "bin" / "soffice"
    standin.parent.mkdir()
    standin.write_text(f"#!/bin/sh\n{RECORD_GROUP} >> '{pids}'\nsleep 600\n")
    standin.chmod(0o755)
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(standin))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    paper = make_docx(tmp_path / "papers" / "paper.docx", "Paper")
    cancel = threading.Event()

    def cancel_once_converting() -> None:
        deadline = time.monotonic() + 300  # a bound, not what is tested
        while not (pids.exists() and pids.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        cancel.set()

    threading.Thread(target=cancel_once_converting, daemon=True).start()
    # The timeout is far beyond the bound above: only cancelling can stop the converter.
    with pytest.raises(ConversionError, match="the build was interrupted"):
        convert_to_pdf([paper], timeout=3600, cancel=cancel)

    assert [int(line) for line in pids.read_text().split()] != []
    assert groups_end([int(g) for g in pids.read_text().split()])
    assert list((tmp_path / "tmp").iterdir()) == []  # its work folder is gone
    assert [p.name for p in paper.parent.iterdir()] == ["paper.docx"]


def test_the_template_records_the_version_as_seen_as_an_interactive_start_would(
    tmp_path: Path,
) -> None:
    soffice = tmp_path / "libreoffice" / "program" / "soffice"
    registry = tmp_path / "libreoffice" / "share" / "registry" / "main.xcd"
    soffice.parent.mkdir(parents=True)
    registry.parent.mkdir(parents=True)
    soffice.write_text("#!/bin/sh\n")
    registry.write_text(
        '<oor:component-data oor:name="Setup"><node oor:name="Product">'
        '<prop oor:name="ooSetupVersion">\n  <value>7.4</value>\n</prop></node>'
    )
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text("<oor:items>\n</oor:items>\n")

    lo_profile.keep(profile, tmp_path / "template", soffice)

    kept = (tmp_path / "template" / "user" / "registrymodifications.xcu").read_text()
    assert (
        '<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion"'
        ' oor:op="fuse"><value>7.4</value></prop></item>'
    ) in kept
    assert kept.endswith("</oor:items>\n")
    # The profile being converted with is left as LibreOffice wrote it.
    assert "ooSetupLastVersion" not in (profile / "user" / "registrymodifications.xcu").read_text()
    assert lo_profile.product_version(tmp_path / "elsewhere" / "soffice") is None


@needs_soffice
@pytest.mark.libreoffice
def test_libreoffice_skips_its_graphics_self_test_when_started_from_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(lo_profile.CACHE_ENV, str(tmp_path / "cache"))
    convert_to_pdf([make_docx(tmp_path / "first.docx", "First")])
    template = lo_profile.template_for(find_soffice())
    assert lo_profile.product_version(find_soffice()) is not None
    log = Path("user") / "GraphicsRenderTests.log"
    fresh, seeded = tmp_path / "fresh", tmp_path / "seeded"
    assert lo_profile.seed(seeded, template)
    (seeded / log).unlink(missing_ok=True)
    for profile in (fresh, seeded):
        subprocess.run(
            [
                str(find_soffice()),
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(profile / "out"),
                str(tmp_path / "first.docx"),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        assert (profile / "out" / "first.pdf").is_file()
    assert (fresh / log).is_file()  # the self-test ran and wrote its log
    assert not (seeded / log).exists()  # and did not, from the template


@needs_soffice
@pytest.mark.libreoffice
def test_a_pdf_that_cannot_be_put_in_place_is_named_and_leaves_no_temporary(
    tmp_path: Path,
) -> None:
    paper = make_docx(tmp_path / "paper.docx", "Paper")
    (tmp_path / "paper.pdf").mkdir()  # something in the way that cannot be replaced

    with pytest.raises(BatchConversionError) as caught:
        convert_to_pdf([paper])

    message = str(caught.value)
    assert f"paper.docx: {tmp_path / 'paper.pdf'}: could not write" in message
    assert "no PDF viewer holds the PDF open" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paper.docx", "paper.pdf"]


def test_only_unlocked_pdfs_of_a_steady_size_count_as_finished(tmp_path: Path) -> None:
    # What LibreOffice's output folder holds while it writes big.pdf, having finished small.pdf.
    (tmp_path / ".~lock.big.pdf#").write_text("1,user,host,01.12.2026 21:00,")
    (tmp_path / "lu1234abc.tmp").write_bytes(b"%PDF-1.7 half written")
    (tmp_path / "big.pdf").write_bytes(b"%PDF-1.7 an older copy")
    (tmp_path / "small.pdf").write_bytes(b"%PDF-1.7 done")
    (tmp_path / "empty.pdf").touch()
    sizes: dict[str, int] = {}

    assert pdf._finished_pdfs(tmp_path, sizes) == 0  # sizes are not known to be steady yet
    assert pdf._finished_pdfs(tmp_path, sizes) == 1  # small.pdf
    (tmp_path / "small.pdf").write_bytes(b"%PDF-1.7 done, and then some more")
    assert pdf._finished_pdfs(tmp_path, sizes) == 0  # it grew: not finished after all
    (tmp_path / ".~lock.big.pdf#").unlink()
    assert pdf._finished_pdfs(tmp_path, sizes) == 1  # big.pdf is new to it, unlocked
    assert pdf._finished_pdfs(tmp_path, sizes) == 2
    assert pdf._finished_pdfs(tmp_path / "missing", {}) == 0


@needs_soffice
@pytest.mark.libreoffice
def test_a_pdf_still_locked_by_libreoffice_is_waited_for_until_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = make_docx(tmp_path / "reference.docx", "Paper")
    convert_to_pdf([reference])
    # A converter that writes as LibreOffice does: a lock file beside a PDF that grows, then
    # the lock removed, then a pause while it "shuts down".
    standin = tmp_path / "bin" / "soffice"
    standin.parent.mkdir()
    standin.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do case "$a" in --outdir) o=1 ;; *) '
        '[ "${o:-}" = 1 ] && { out="$a"; o=2; } ; last="$a" ;; esac; done\n'
        'name="$(basename "$last" .docx).pdf"\n'
        f'ref="{tmp_path / "reference.pdf"}"\n'
        'size=$(wc -c < "$ref")\n'
        'touch "$out/.~lock.$name#"\n'
        'head -c $((size / 2)) "$ref" > "$out/$name"\n'
        "sleep 2\n"
        'tail -c +$((size / 2 + 1)) "$ref" >> "$out/$name"\n'
        'rm "$out/.~lock.$name#"\n'
        "sleep 600\n"  # stuck quitting: stopped after the exit grace, its PDF kept
    )
    standin.chmod(0o755)
    monkeypatch.setenv("BOARDPACK_SOFFICE", str(standin))
    # The grace for quitting once the PDFs are finished is cut to nothing: counting the lock
    # file or the half-written PDF as finished would stop the converter mid-paper.
    monkeypatch.setattr(pdf, "_EXIT_GRACE", 0.01)
    paper = make_docx(tmp_path / "paper.docx", "Paper")

    assert convert_to_pdf([paper], timeout=600) == {paper: tmp_path / "paper.pdf"}
    # The whole PDF was kept, not the half the lock was still on (boardpack finishes each PDF
    # it is handed, so the bytes are the reference's once more rewritten: compare its text).
    made, reference = (PdfReader(tmp_path / n) for n in ("paper.pdf", "reference.pdf"))
    assert [p.extract_text() for p in made.pages] == [p.extract_text() for p in reference.pages]
    verify_pdf(tmp_path / "paper.pdf")


@needs_soffice
@needs_poppler
@pytest.mark.libreoffice
def test_a_4000_risk_paper_is_converted_within_its_timeout(tmp_path: Path) -> None:
    # A large legal paper: LibreOffice takes from about 50 s (idle machine) to 90 s (busy
    # 2-core machine) over it, far longer than the exit grace that used to cut it short.
    from boardpack.pipeline import build
    from tests.conftest import EXAMPLE, edit_workbook

    risks: dict[str, object] = {}
    for number in range(1, 4001):
        row = number + 1
        likelihood, impact = 1 + number % 4, 1 + (number // 4) % 4
        risks[f"Risks!A{row}"] = f"Risk {number}: legal challenge to contract lot {number % 37}"
        risks[f"Risks!B{row}"] = likelihood
        risks[f"Risks!C{row}"] = impact
        risks[f"Risks!D{row}"] = likelihood * impact
        risks[f"Risks!E{row}"] = "Take legal advice before the award; keep an audit trail"
        risks[f"Risks!F{row}"] = "Head of Legal"
    workbook = edit_workbook(EXAMPLE, tmp_path / "legal.xlsx", risks)
    report = build([workbook], tmp_path / "out", pdf=False)
    assert report.ok, [str(p.error) for p in report.papers]
    paper = tmp_path / "out" / "legal.docx"

    assert convert_to_pdf([paper], timeout=900) == {paper: tmp_path / "out" / "legal.pdf"}

    pages = verify_pdf(tmp_path / "out" / "legal.pdf", title="Procurement highlight report")
    assert pages > 100
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "out" / "legal.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Risk 1: legal challenge" in text and "Risk 4000: legal challenge" in text


def test_keeping_a_template_sweeps_what_killed_builds_left_in_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    # A build killed while it copied a template into place, and one killed while deleting one.
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, threading\n"
            "from pathlib import Path\n"
            "from boardpack.outputs import scratch\n"
            "with scratch.work_folder('.incoming-', Path(sys.argv[1])) as folder:\n"
            "    (folder / 'profile').mkdir()\n"
            "    print(folder, flush=True)\n"
            "    threading.Event().wait()\n",
            str(cache),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    staging = Path(owner.stdout.readline().strip())
    owner.kill()
    owner.wait()
    owner.stdout.close()
    (cache / ".discarded-123-libreoffice-profile-0123").mkdir()
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text("<oor:items>\n</oor:items>\n")
    assert staging.is_dir()

    lo_profile.keep(profile, cache / "template", tmp_path / "soffice")

    assert [p.name for p in cache.iterdir()] == ["template"]
