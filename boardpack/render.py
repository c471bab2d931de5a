"""Render stage: a paper and a Word template become the bytes of a .docx.

Only this module knows docxtpl. Cell text is data: every value is escaped for XML before docxtpl
sees it, including the brace sequences docxtpl itself would rewrite, so `&`, `<`, `{{` and the rest
come out exactly as typed. The result is deterministic: the same paper and template give the same
bytes, so an archive can prove what was sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
from docx.opc.oxml import serialize_part_xml
from docx.oxml.ns import nsmap
from docx.oxml.parser import parse_xml
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, RichText
from markupsafe import Markup, escape

from boardpack.context import build_context
from boardpack.errors import TemplateProblem
from boardpack.gantt import describe_gantt, draw_gantt
from boardpack.models import Paper
from boardpack.ooxml import in_schema_order


def _bundled_templates() -> Path:
    """The bundled templates: templates/ in a source checkout, else those installed with
    boardpack (pyproject.toml maps templates/ to boardpack.templates)."""
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if checkout.is_dir():
        return checkout
    return Path(__file__).resolve().parent / "templates"


TEMPLATES = _bundled_templates()
DEFAULT_TEMPLATE = TEMPLATES / "highlight-report.docx"
PACK_TEMPLATE = TEMPLATES / "board-pack.docx"
CHART_WIDTH = Mm(160)  # the A4 text width with 2.5 cm margins
STATUS_STYLE = "StatusText"  # the template's "Status Text" character style

# docxtpl turns these back into template braces after rendering; character references survive.
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;", "%": "&#37;"})


def render_paper(paper: Paper, template: Path = DEFAULT_TEMPLATE) -> bytes:
    """The .docx of one paper, rendered from `template`."""
    document = _load(template)
    context: dict[str, Any] = build_context(paper)
    # A character style for the boldness: docxtpl writes bold after colour, an order Word
    # does not accept in a run's properties.
    context["status"] = RichText(
        context["status"], style=STATUS_STYLE, color=context["status_colour"]
    )
    chart = draw_gantt(paper.milestones, paper.details.report_date)
    context["gantt"] = InlineImage(document, io.BytesIO(chart), width=CHART_WIDTH)
    _render(document, template, context)

    alt_text = describe_gantt(paper.milestones, paper.details.report_date)
    for shape in document.docx.inline_shapes:
        shape._inline.docPr.set("descr", alt_text)
        shape._inline.docPr.set("title", "Gantt chart")
    details = paper.details
    return _save(
        document,
        title=f"{details.project} highlight report",
        subject=f"{details.board}, {details.meeting_date:%d/%m/%Y}",
        author=details.manager,
        made=document_timestamp(details.report_date),
    )


def render_front_matter(
    context: dict[str, Any], meeting_date: dt.date, template: Path = PACK_TEMPLATE
) -> bytes:
    """The .docx of a pack's cover, contents and programme summary; papers are added after."""
    document = _load(template)
    _render(document, template, context)
    return _save(
        document,
        title=f"{context['board']}, {context['meeting_date']}: agenda papers",
        subject=context["board"],
        author="boardpack",
        made=document_timestamp(meeting_date),
    )


def _render(document: DocxTemplate, template: Path, context: dict[str, Any]) -> None:
    try:
        document.render(context, jinja_env=_environment(), autoescape=True)
    except jinja2.TemplateError as exc:
        raise TemplateProblem(_describe_template_error(template, exc)) from exc
    in_schema_order(document.docx.element.body)


def _save(
    document: DocxTemplate, *, title: str, subject: str, author: str, made: dt.datetime
) -> bytes:
    with _core_prefix():
        properties = document.docx.core_properties
        properties.title = title
        properties.subject = subject
        properties.author = author
        properties.last_modified_by = author
        properties.language = "en-GB"
        properties.created = made
        properties.modified = made
        properties.revision = 1
        properties.comments = ""
        # The keywords are the one core property LibreOffice carries into the PDF (as /Keywords
        # and XMP pdf:Keywords; dc:identifier and custom properties are dropped), so they hold
        # the identifier that proves which .docx a PDF was made from (boardpack.proof).
        properties.keywords = _PENDING_IDENTIFIER
    buffer = io.BytesIO()
    document.save(buffer)
    return deterministic_zip(buffer.getvalue(), made, identify=True)


def _load(template: Path) -> DocxTemplate:
    if not template.is_file():
        raise TemplateProblem(f"{template}: template not found; pass --template with a .docx")
    try:
        document = DocxTemplate(template)
        document.init_docx()
    except Exception as exc:  # python-docx raises several unrelated types for a damaged file
        raise TemplateProblem(
            f"{template}: cannot be opened as a Word document ({type(exc).__name__}: {exc});"
            " save it again from Word as .docx"
        ) from exc
    return document


def _xml_text(value: Any) -> Any:
    """Escape a value for the document XML; objects that make their own XML pass through."""
    if isinstance(value, Markup) or hasattr(value, "__html__"):
        return value
    if isinstance(value, str):
        return Markup(str(escape(value)).translate(_BRACES))
    return value


class _CachingEnvironment(jinja2.Environment):
    """A Jinja environment that compiles each distinct template source once per process.

    docxtpl hands Jinja the whole document XML of the template for every paper it renders;
    compiling it again each time was a third of a paper's render time."""

    _LIMIT = 64  # a template has a body, headers, footers and properties; a few templates

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        compiled = self._compiled.get(source)
        if compiled is None:
            if len(self._compiled) >= self._LIMIT:
                self._compiled.clear()
            compiled = self._compiled[source] = super().from_string(source)
        return compiled


_ENVIRONMENT = _CachingEnvironment(
    autoescape=True, undefined=jinja2.StrictUndefined, finalize=_xml_text
)


def _environment() -> jinja2.Environment:
    return _ENVIRONMENT


def _describe_template_error(template: Path, exc: jinja2.TemplateError) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        name = re.search(r"'(\w+)' is undefined|has no attribute '(\w+)'", exc.message or "")
        word = next((g for g in name.groups() if g), "") if name else ""
        tag, near = _find_tag(template, word)
        return (
            f"{template.name}: the tag {tag or '?'} asks for '{word}', a value boardpack does"
            f" not supply.{near} Check its spelling against the README's list of template values."
        )
    near = " ".join(
        " ".join(line.split()) for line in getattr(exc, "docx_context", []) if line.strip()
    )
    near = f' Near: "{near[-200:]}".' if near else ""
    return (
        f"{template.name}: a template tag is broken ({exc.message}).{near} Each tag must be"
        " complete within one paragraph, e.g. {{ project }} or {%p for para in sections[2] %}."
    )


def _find_tag(template: Path, word: str) -> tuple[str, str]:
    """The first tag in the template that mentions `word`, and the text of its paragraph."""
    import docx

    document = docx.Document(str(template))
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        paragraphs += [p for row in table.rows for cell in row.cells for p in cell.paragraphs]
    for section in document.sections:
        paragraphs += section.header.paragraphs + section.footer.paragraphs
    pattern = re.compile(r"\{[{%][^{}]*\b" + re.escape(word) + r"\b[^{}]*[}%]\}")
    for paragraph in paragraphs:
        found = pattern.search(paragraph.text)
        if found:
            return found.group(0), f' Near: "{" ".join(paragraph.text.split())[:200]}".'
    return "", ""


def check_template(template: Path, *, pack: bool = False) -> None:
    """Render a template with a sample paper; raise TemplateProblem naming any bad tag."""
    from boardpack.context import build_pack_context
    from boardpack.sample import sample_paper

    paper = sample_paper()
    if pack:
        details = paper.details
        context = build_pack_context(details.board, details.meeting_date, "A venue", [paper], [4])
        render_front_matter(context, details.meeting_date, template)
    else:
        render_paper(paper, template)


def document_timestamp(day: dt.date) -> dt.datetime:
    """When a document is said to be made: SOURCE_DATE_EPOCH if set, else the given day."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if re.fullmatch(r"\d+", epoch):
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    return dt.datetime.combine(day, dt.time())


def deterministic_zip(data: bytes, when: dt.datetime, *, identify: bool = False) -> bytes:
    """The same zip with fixed entry times, so equal documents are equal bytes; with `identify`,
    the pending identifier in the core properties becomes a hash of every other part."""
    stamp = max(when, dt.datetime(1980, 1, 1)).timetuple()[:6]
    source = zipfile.ZipFile(io.BytesIO(data))
    entries = [(entry.filename, source.read(entry.filename)) for entry in source.infolist()]
    if identify:
        entries = _with_identifier(entries)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, content)
    return out.getvalue()


IDENTIFIER_PREFIX = "boardpack-"  # LibreOffice splits keywords at ":" and ",", not at "-"
_PENDING_IDENTIFIER = IDENTIFIER_PREFIX + "pending"
_CORE_PART = "docProps/core.xml"
_CORE_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_KEYWORDS = f"{{{_CORE_NAMESPACE}}}keywords"


def _with_identifier(entries: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The entries with the core properties' pending keywords replaced by the document's
    identifier: a SHA-256 of every other part, names and bytes."""
    digest = hashlib.sha256()
    for name, content in entries:
        if name != _CORE_PART:
            digest.update(f"{name}\0{len(content)}\0".encode())
            digest.update(content)
    stamped = []
    for name, content in entries:
        if name == _CORE_PART:
            core = parse_xml(content)
            for keywords in core.iter(_KEYWORDS):
                if keywords.text == _PENDING_IDENTIFIER:
                    keywords.text = IDENTIFIER_PREFIX + digest.hexdigest()
            content = serialize_part_xml(core)
        stamped.append((name, content))
    return stamped


@contextlib.contextmanager
def _core_prefix() -> Iterator[None]:
    """python-docx's `cp` prefix meaning the core-properties namespace while the properties are
    set: docxcompose rebinds it, for the whole process, to the custom-properties namespace, and
    python-docx then writes keywords, lastModifiedBy and revision as elements Word ignores."""
    saved = nsmap["cp"]
    nsmap["cp"] = _CORE_NAMESPACE
    try:
        yield
    finally:
        nsmap["cp"] = saved
