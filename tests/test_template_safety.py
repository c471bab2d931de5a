"""A Word template is untrusted input: its tags run nothing, reach nothing and end quickly, and a
template that would reach outside the paper is refused, naming each thing, by check-template and
by build alike."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from boardpack.cli import main
from boardpack.errors import TemplateProblem
from boardpack.outputs import sandbox
from boardpack.outputs.bundled import DEFAULT_TEMPLATE
from boardpack.outputs.render import check_template, render_paper
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE

DOCUMENT = "word/document.xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
ATTACHED = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"

Edit = Callable[[bytes], bytes]


def with_paragraph(tmp_path: Path, text: str, name: str = "council.docx") -> Path:
    """The bundled template with one more paragraph, typed in Word as `text`."""
    restyled = docx.Document(str(DEFAULT_TEMPLATE))
    restyled.add_paragraph(text)
    path = tmp_path / name
    restyled.save(str(path))
    return path


def rezipped(tmp_path: Path, edits: dict[str, Edit], name: str = "council.docx") -> Path:
    """The bundled template with some parts edited, or added when it lacks them."""
    path = tmp_path / name
    with zipfile.ZipFile(DEFAULT_TEMPLATE) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            edit = edits.get(info.filename)
            target.writestr(info, edit(data) if edit else data, zipfile.ZIP_DEFLATED)
        for part, edit in edits.items():
            if part not in source.namelist():
                target.writestr(part, edit(b""), zipfile.ZIP_DEFLATED)
    return path


def in_body(markup: str) -> Edit:
    """Adds WordprocessingML markup at the end of the document's body."""

    def edit(xml: bytes) -> bytes:
        at = xml.rindex(b"<w:sectPr")
        return xml[:at] + markup.encode() + xml[at:]

    return edit


def relationship(rid: str, kind: str, target: str, external: bool = True) -> Edit:
    mode = ' TargetMode="External"' if external else ""
    line = f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"{mode}/>'

    def edit(xml: bytes) -> bytes:
        if not xml:
            xml = (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships'
                b' xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b"</Relationships>"
            )
        return xml.replace(b"</Relationships>", line.encode() + b"</Relationships>")

    return edit


def paragraph(runs: str, text: str = "Logo") -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r>{runs}</w:p>"


def linked_picture(rid: str) -> str:
    return paragraph(f'<w:r><w:drawing><a:blip xmlns:a="{A}" r:link="{rid}"/></w:drawing></w:r>')


def refused_everywhere(tmp_path: Path, template: Path, *expected: str) -> str:
    """Run check-template and build with `template`; both must refuse it, exit 1, show no
    traceback and write no paper. Returns check-template's output."""
    out = tmp_path / "refused"
    outputs = []
    for args in (
        ["check-template", str(template)],
        ["build", str(EXAMPLE), "--template", str(template), "--out", str(out), "--no-pdf"],
    ):
        # Wide enough that the build's table never wraps a path inside a word.
        result = CliRunner().invoke(main, args, env={"COLUMNS": "1000"})
        output = " ".join(result.output.split())
        assert result.exit_code == 1, output
        assert "Traceback" not in output and "Internal error" not in output, output
        assert "every tag is complete" not in output
        for text in expected:
            assert text in output, output
        outputs.append(output)
    assert not out.exists() or not list(out.glob("*.docx"))
    return outputs[0]


# Tags run nothing and print no internals


@pytest.mark.parametrize(
    "tag",
    [
        "{{ lipsum.__globals__.__builtins__.open(MARK, 'w').close() }}",
        "{{ cycler.__init__.__globals__.__builtins__.open(MARK, 'w').close() }}",
        "{{ joiner.__init__.__globals__.__builtins__.open(MARK, 'w').close() }}",
        "{{ namespace.__init__.__globals__.__builtins__.open(MARK, 'w').close() }}",
        "{{ gantt.tpl.docx.save(MARK) }}",
        "{{ status.add('x') }}",
    ],
)
def test_a_tag_that_would_run_code_is_refused_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tag: str
) -> None:
    monkeypatch.chdir(tmp_path)  # a short name for the file the tag would make
    mark = tmp_path / "ran"
    text = tag.replace("MARK", "'ran'")
    template = with_paragraph(tmp_path, f"Chair: {text} attends")
    output = refused_everywhere(tmp_path, template, "council.docx", text, 'Near: "Chair:')
    assert not mark.exists()
    assert "is refused" in output or "a value boardpack does not supply" in output


def test_python_internals_are_refused_not_printed(tmp_path: Path) -> None:
    tag = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    output = refused_everywhere(
        tmp_path,
        with_paragraph(tmp_path, f"Classes: {tag}"),
        f"council.docx, word/document.xml: the tag {tag} is refused: it reads '__class__', a"
        " name starting with an underscore",
    )
    assert "<class" not in output


def test_internals_in_a_branch_the_sample_paper_skips_are_refused_too(tmp_path: Path) -> None:
    tag = "{% if project == 'Real' %}{{ risks.__class__ }}{% endif %}"
    refused_everywhere(
        tmp_path,
        with_paragraph(tmp_path, tag),
        "the tag {{ risks.__class__ }} is refused: it reads '__class__'",
    )


def test_a_method_is_not_printed_with_its_address(tmp_path: Path) -> None:
    refused_everywhere(
        tmp_path,
        with_paragraph(tmp_path, "{{ project.upper }}"),
        "the tag {{ project.upper }} is refused: it prints upper, which is not one of boardpack's",
    )


# Bounded work


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        (
            "{% for x in range(10**12) %}{% endfor %}",
            "the tag {% for x in range(10**12) %} is refused: it asks for a range of more than"
            " 10,000 numbers",
        ),
        (
            "{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}",
            "is refused: it does more work than any paper needs (over 1,000,000 loop turns",
        ),
        (
            "{{ 'x' * 10**9 }}",
            "the tag {{ 'x' * 10**9 }} is refused: it would make a value of 1,000,000,000"
            " characters or items",
        ),
        (
            "{{ risks * 10**7 }}",
            "the tag {{ risks * 10**7 }} is refused: it would make a value of",
        ),
        (
            "{% for a in range(9000) %}{% for b in range(100) %}" + "x" * 80 + "{% endfor %}"
            "{% endfor %}",
            "is refused: it writes more than 67,108,864 characters",
        ),
        (
            "{% macro twice(n) %}{{ twice(n) }}{{ twice(n) }}{% endmacro %}{{ twice(1) }}",
            "fails (RecursionError",
        ),
        ("{{ 'x'|center(10**9) }}", "it would make a centred text of 1,000,000,000 characters"),
        ("{{ '%0999999999d' % 1 }}", "it would make a formatted field of 999,999,999 characters"),
        ("{{ 2**99999999 }}", "it would make a number of 199,999,998 bits"),
        ("{{ 1 / 0 }}", "the tag {{ 1 / 0 }} fails (ZeroDivisionError: division by zero)"),
    ],
)
def test_a_tag_that_would_work_for_ever_is_stopped_with_its_place(
    tmp_path: Path, tag: str, expected: str
) -> None:
    refused_everywhere(tmp_path, with_paragraph(tmp_path, f"Bomb: {tag}"), expected, "Near:")


def test_the_wall_clock_stops_a_slow_template(monkeypatch: pytest.MonkeyPatch) -> None:
    # A limit already passed stands for a template that ran too long, without waiting for one.
    monkeypatch.setattr(sandbox, "MAX_SECONDS", -1.0)
    with pytest.raises(TemplateProblem, match="ran for more than -1 seconds"):
        render_paper(load_paper(EXAMPLE).paper)


# No other files


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("{% include 'secrets.docx' %}", "a template may not include another file"),
        ("{% import 'macros.xml' as m %}", "a template may not import another file"),
        ("{% from 'macros.xml' import m %}", "a template may not import from another file"),
        ("{% extends 'other.docx' %}", "a template may not extend another file"),
        (
            "{% autoescape false %}{{ project }}{% endautoescape %}",
            "a template may not turn escaping off",
        ),
    ],
)
def test_tags_that_read_other_files_are_refused(tmp_path: Path, tag: str, expected: str) -> None:
    keyword = tag.split()[1]
    refused_everywhere(
        tmp_path,
        with_paragraph(tmp_path, f"See {tag}"),
        f"council.docx, word/document.xml: the tag {{% {keyword}",
        f"is refused: {expected}.",
    )


def test_what_a_template_may_do_still_works(tmp_path: Path) -> None:
    tags = (
        "{{ project|upper }}; {{ 'Board: ' ~ board }}; {{ risks|length }} risks;"
        " {% for n in range(3) %}{{ n }}{% endfor %};"
        " {% for risk in risks %}{{ loop.index }}{{ loop.cycle('a', 'b') }} {% endfor %};"
        " {{ sections[1][0].text.split()[0] }}; {{ (highest_risk * 2) + 1 }}"
    )
    template = with_paragraph(tmp_path, f"Extra: {tags}")
    check_template(template)
    paper = docx.Document(io.BytesIO(render_paper(load_paper(EXAMPLE).paper, template)))
    extra = [p.text for p in paper.paragraphs if p.text.startswith("Extra:")]
    assert extra == [
        "Extra: PROCUREMENT; Board: Joint Improvement Board; 4 risks; 012; 1a 2b 3a 4b ; To; 19"
    ]


# The zip, checked like a workbook's


def test_a_zip_bomb_template_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(DEFAULT_TEMPLATE) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            if info.filename != DOCUMENT:
                target.writestr(info, source.read(info), zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo(DOCUMENT)
        info.compress_type = zipfile.ZIP_DEFLATED
        with target.open(info, "w") as part:
            for _ in range(314):
                part.write(b" " * (1024 * 1024))  # 314 MB unpacked, a few hundred KB packed
    assert path.stat().st_size < 2 * 1024 * 1024
    refused_everywhere(
        tmp_path,
        path,
        "bomb.docx: would expand to 314 MB when opened, far beyond any paper's Word template, so"
        " it is refused (the limit is 50 MB)",
    )
    tracemalloc.start()
    try:
        with pytest.raises(TemplateProblem):
            check_template(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30 * 1024 * 1024, f"took {peak / 2**20:.0f} MB to refuse"


def test_a_part_that_expands_too_far_is_refused(tmp_path: Path) -> None:
    template = rezipped(tmp_path, {"word/padding.xml": lambda _: b"<a>" + b" " * 4_000_000})
    refused_everywhere(tmp_path, template, "part word/padding.xml would expand")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "is a PNG image, not a Word document (.docx)"),
        (b"{\\rtf1 hello}", "is an RTF document, not a Word document (.docx)"),
        (b"PK\x03\x04 broken", "is damaged: it is incomplete or corrupt"),
    ],
)
def test_a_file_of_another_kind_is_named(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "council.docx"
    path.write_bytes(data)
    refused_everywhere(tmp_path, path, f"council.docx: {expected}")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_a_pipe_or_a_folder_is_refused_without_waiting_for_it(tmp_path: Path) -> None:
    pipe = tmp_path / "council.docx"
    os.mkfifo(pipe)  # opening it to read would wait for a writer for ever
    refused_everywhere(
        tmp_path, pipe, "council.docx: is not a file but a device or pipe; give the path of a Word"
    )
    folder = tmp_path / "folder.docx"
    folder.mkdir()
    refused_everywhere(tmp_path, folder, "folder.docx: is a folder, not a Word template")


def test_a_template_declaring_entities_is_refused(tmp_path: Path) -> None:
    def laughs(xml: bytes) -> bytes:
        head, _, rest = xml.partition(b"?>")
        return head + b'?><!DOCTYPE w:document [<!ENTITY lol "lol">]>' + rest

    refused_everywhere(
        tmp_path,
        rezipped(tmp_path, {DOCUMENT: laughs}),
        "is refused: part word/document.xml holds an XML document type declaration, which Word"
        " never writes",
    )


# Nothing reaches outside


@pytest.mark.parametrize(
    "target", ["http://tracker.example/logo.png", "file:///etc/passwd", "\\\\server\\share\\x.png"]
)
def test_a_linked_picture_is_refused_naming_its_address(tmp_path: Path, target: str) -> None:
    template = rezipped(
        tmp_path,
        {
            DOCUMENT_RELS: relationship("rIdLogo", IMAGE, target),
            DOCUMENT: in_body(linked_picture("rIdLogo")),
        },
    )
    refused_everywhere(
        tmp_path,
        template,
        f"word/_rels/document.xml.rels: relationship rIdLogo: a picture linked to '{target}',"
        " outside the document",
        "word/document.xml: a picture or media linked to relationship rIdLogo",
        'near "Logo"',
    )


def test_an_attached_template_is_refused(tmp_path: Path) -> None:
    template = rezipped(
        tmp_path,
        {
            "word/_rels/settings.xml.rels": relationship(
                "rId1", ATTACHED, "file:///C:/Templates/Council.dotm"
            ),
            "word/settings.xml": lambda xml: xml.replace(
                b"<w:defaultTabStop", b'<w:attachedTemplate r:id="rId1"/><w:defaultTabStop'
            ),
        },
    )
    refused_everywhere(
        tmp_path,
        template,
        "word/_rels/settings.xml.rels: relationship rId1: the attached template"
        " 'file:///C:/Templates/Council.dotm', outside the document",
    )


FIELD = 'INCLUDEPICTURE "http://tracker.example/pixel.png" \\d'


def complex_field(*code: str) -> str:
    pieces = "".join(
        f"<w:r><w:instrText xml:space='preserve'>{c}</w:instrText></w:r>" for c in code
    )
    return paragraph(
        "<w:r><w:fldChar w:fldCharType='begin'/></w:r>"
        + pieces
        + "<w:r><w:fldChar w:fldCharType='separate'/></w:r><w:r><w:t>pic</w:t></w:r>"
        "<w:r><w:fldChar w:fldCharType='end'/></w:r>",
        "Pixel",
    )


@pytest.mark.parametrize(
    ("part", "markup"),
    [
        (DOCUMENT, paragraph(f"<w:fldSimple w:instr='{FIELD}'/>", "Pixel")),
        (DOCUMENT, complex_field(FIELD)),
        (DOCUMENT, complex_field("INCLUDE", 'PICTURE "http://tracker.example/pixel.png" \\d')),
        ("word/header1.xml", complex_field(FIELD)),
    ],
)
def test_a_field_that_fetches_is_refused_in_any_part(
    tmp_path: Path, part: str, markup: str
) -> None:
    def add(xml: bytes) -> bytes:
        if part == DOCUMENT:
            return in_body(markup)(xml)
        return xml.replace(b"</w:hdr>", markup.encode() + b"</w:hdr>")

    refused_everywhere(
        tmp_path,
        rezipped(tmp_path, {part: add}),
        f"{part}: the field {{ {FIELD} }} fetches a picture from a file or web address; near"
        ' "Pixel',
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('LINK Excel.Sheet.8 "C:\\\\budget.xlsx" "Sheet1"', "fetches an object from another file"),
        ('DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"', "fetches data from another"),
        ('INCLUDETEXT "C:\\\\secret.docx"', "fetches text from another file"),
        ('HYPERLINK "file:///C:/secret.docx"', "links to 'file:///C:/secret.docx'; only web"),
    ],
)
def test_other_fields_that_reach_outside_are_refused(
    tmp_path: Path, code: str, expected: str
) -> None:
    template = rezipped(tmp_path, {DOCUMENT: in_body(complex_field(code))})
    refused_everywhere(tmp_path, template, expected)


def test_every_problem_is_named_at_once(tmp_path: Path) -> None:
    template = rezipped(
        tmp_path,
        {
            DOCUMENT_RELS: relationship("rIdLogo", IMAGE, "http://tracker.example/logo.png"),
            DOCUMENT: in_body(linked_picture("rIdLogo") + complex_field(FIELD)),
        },
    )
    output = refused_everywhere(tmp_path, template, "council.docx: is refused, 3 problems")
    assert "rIdLogo" in output and "INCLUDEPICTURE" in output


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (
            # Jinja would drop the comment's ends and leave a field no check saw.
            paragraph("<!-- {% if 0 %} --><w:r><w:t>x</w:t></w:r><!-- {% endif %} -->"),
            "holds an XML comment, which Word never writes",
        ),
        (paragraph("<w:r><w:rPr><w:color w:val='{{ x }}'/></w:rPr></w:r>"), "a template tag in a"),
        (
            complex_field("PAGE {% if project %}", "{% endif %}"),
            "a template tag other than a {{ value }} inside a field's code",
        ),
        (complex_field("{{ kind }} x"), "has its kind set by a tag"),
    ],
)
def test_tags_outside_ordinary_text_are_refused(tmp_path: Path, markup: str, expected: str) -> None:
    refused_everywhere(tmp_path, rezipped(tmp_path, {DOCUMENT: in_body(markup)}), expected)


def test_a_web_link_is_kept_and_a_file_link_refused(tmp_path: Path) -> None:
    def linked(target: str, name: str) -> Path:
        return rezipped(
            tmp_path,
            {
                DOCUMENT_RELS: relationship("rIdWeb", HYPERLINK, target),
                DOCUMENT: in_body(
                    '<w:p><w:hyperlink r:id="rIdWeb"><w:r><w:t>Council site</w:t></w:r>'
                    "</w:hyperlink></w:p>"
                ),
            },
            name,
        )

    web = linked("https://www.example.gov.uk/board", "web.docx")
    result = CliRunner().invoke(main, ["check-template", str(web)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    build = ["build", str(EXAMPLE), "--template", str(web), "--out", str(out), "--no-pdf"]
    assert CliRunner().invoke(main, build).exit_code == 0
    paper = docx.Document(str(out / "procurement.docx"))
    links = [r.target_ref for r in paper.part.rels.values() if r.is_external]
    assert links == ["https://www.example.gov.uk/board"]

    refused_everywhere(
        tmp_path,
        linked("file:///C:/Users/clerk/secret.docx", "file.docx"),
        "relationship rIdWeb: a link to 'file:///C:/Users/clerk/secret.docx'; only web (http,"
        " https) and e-mail (mailto) links are allowed",
    )


def test_the_bundled_templates_pass_every_check() -> None:
    check_template(DEFAULT_TEMPLATE)
    check_template(DEFAULT_TEMPLATE.parent / "board-pack.docx", pack=True)


def test_a_refused_template_fails_every_paper_of_a_build_and_writes_nothing(
    tmp_path: Path,
) -> None:
    from boardpack.pipeline import Status, build

    folder = tmp_path / "inputs"
    folder.mkdir()
    for name in ("alpha.xlsx", "beta.xlsx", "gamma.xlsx"):
        (folder / name).write_bytes(EXAMPLE.read_bytes())
    template = rezipped(
        tmp_path,
        {
            DOCUMENT_RELS: relationship("rIdLogo", IMAGE, "http://tracker.example/logo.png"),
            DOCUMENT: in_body(linked_picture("rIdLogo")),
        },
    )
    report = build([folder], tmp_path / "out", pdf=False, template=template)
    assert [p.status for p in report.papers] == [Status.FAILED] * 3
    assert all("http://tracker.example/logo.png" in str(p.error) for p in report.papers)
    assert not list((tmp_path / "out").glob("*.docx"))
