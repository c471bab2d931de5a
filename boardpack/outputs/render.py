"""Render stage: a paper and a Word template become the bytes of a .docx.

Only this module knows docxtpl. A template is untrusted: its zip and parts are checked first
(template_guard.py) and its tags run in a bounded sandbox (sandbox.py). Cell text is data: every
value is escaped for XML before docxtpl sees it, including the brace sequences docxtpl itself
would rewrite, so `&`, `<`, `{{` and the rest come out exactly as typed. The result is
deterministic: the same paper and template give the same bytes, so an archive can prove what was
sent.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, RichText
from markupsafe import Markup, escape

from boardpack.errors import Problem, TemplateProblem
from boardpack.files import OutsideFolder, inside
from boardpack.outputs.bundled import PACK_TEMPLATE, REPORT_TEMPLATE, TEMPLATES
from boardpack.outputs.gantt import MIN_WIDTH_CM, describe_gantt, draw_gantt
from boardpack.outputs.sandbox import Refused, RefusedTag, SandboxEnvironment, TagFailed, bounded
from boardpack.outputs.template_guard import refusal, rendered_problems, vetted_bytes
from boardpack.outputs.word.long_tables import split_long_tables
from boardpack.outputs.word.package import (
    document_timestamp,
    identified_bytes,
    set_core_properties,
    tidy_package,
)
from boardpack.outputs.word.schema import in_schema_order
from boardpack.outputs.word.sections import set_page, turn_pages, turns_pages
from boardpack.outputs.word.styles import default_font_size
from boardpack.outputs.word.tables import shape_tables, sizes_columns
from boardpack.paper.changes import History
from boardpack.paper.context import build_context, pack_running_heads
from boardpack.paper.models import Paper
from boardpack.paper.page import A4, ChartParts, PageArea, chart_parts
from boardpack.paper.profile import Page, Profile


def template_for(profile: Profile) -> Path:
    """The template a profile's papers are rendered with unless another is given: the one it
    names (a bundled template's file name, or a path from the profile's folder), else the
    bundled template that loops over any profile's sections, blocks and columns."""
    if profile.template is None:
        return REPORT_TEMPLATE
    bundled = TEMPLATES / profile.template
    if Path(profile.template).name == profile.template and bundled.is_file():
        return bundled
    # A profile is written by others too: its template is read from beside it, never from
    # wherever its path would lead.
    try:
        return inside(profile.folder, profile.template, setting="template")
    except OutsideFolder as exc:
        raise TemplateProblem(f"the profile {profile.name!r}: {exc}") from exc


STATUS_STYLE = "StatusText"  # the template's "Status Text" character style

# docxtpl turns these back into template braces after rendering; character references survive.
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;", "%": "&#37;"})


def render_paper(
    paper: Paper,
    template: Path | None = None,
    history: History | None = None,
    chart: ChartParts | None = None,
) -> bytes:
    """The .docx of one paper, rendered from `template` (its profile's unless told); with
    `history`, it says what changed since the last paper. `chart` is the plan already cut into
    parts for this template's page (CheckedPaper.chart); it is cut here when not given."""
    template = template or template_for(paper.profile)
    document = _load(template)
    if paper.profile.page is not None:
        set_page(document.docx, paper.profile.page)
    area = page_area(document)
    if chart is None and paper.profile.plan is not None:
        chart = chart_parts(paper.milestones, area, paper.profile.plan)
    context: dict[str, Any] = build_context(paper, area, history, chart)
    # A character style for the boldness: docxtpl writes bold after colour, an order Word
    # does not accept in a run's properties.
    status = RichText(context["status"], style=STATUS_STYLE, color=context["status_colour"])
    context["status"] = status
    for field in context["header"]:
        if field["status"]:
            field["value"] = status
    alt_texts = (
        _add_charts(document, paper, area, context["gantt_parts"], chart, history)
        if chart is not None
        else {}
    )
    _render(document, template, context)
    shape_tables(document.docx, context)
    turn_pages(document, [s["page"] for s in context["section_list"] if s["landscape"]])
    split_long_tables(document.docx.element.body)  # LibreOffice is slow on one long table

    for shape in document.docx.inline_shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        image = document.docx.part.related_parts.get(blip.embed) if blip is not None else None
        # Two parts drawn alike share one picture; each shape takes the next part's text.
        waiting = alt_texts.get(image.blob, []) if image is not None else []
        alt_text = waiting.pop(0) if waiting else None
        if alt_text is not None:
            shape._inline.docPr.set("descr", alt_text)
            shape._inline.docPr.set("title", "Gantt chart")
    details = paper.details
    author = next(
        (str(v) for k in ("manager", "report_of", "contact") if (v := details.value(k))), ""
    )
    return _save(
        document,
        title=f"{details.project} {paper.profile.title.lower()}",
        subject=", ".join(
            part
            for part in (details.board, details.meeting_date and f"{details.meeting_date:%d/%m/%Y}")
            if part
        ),
        author=author,
        made=document_timestamp(made_on(paper)),
    )


# The day a paper with no date of its own is said to be made: the zip format's first day.
NO_DATE = dt.date(1980, 1, 1)


def made_on(paper: Paper) -> dt.date:
    """The day a paper is said to be made: its report date, else its meeting date, else a
    fixed day (never the day it is built, so that two builds give the same bytes)."""
    details = paper.details
    return details.report_date or details.meeting_date or NO_DATE


def _add_charts(
    document: DocxTemplate,
    paper: Paper,
    area: PageArea,
    parts: list[dict[str, Any]],
    drawn: ChartParts,
    history: History | None = None,
) -> dict[bytes, list[str]]:
    """Draw each part of the paper's Gantt chart (`drawn`, the milestones of each part) into
    its entry of the context's gantt_parts, as a picture the text width wide; returns the
    pictures' alt texts in order, by their bytes."""
    report_date = paper.details.report_date
    assert report_date is not None  # a profile with a plan has a required report date
    width_cm = min(max(area.width_cm, MIN_WIDTH_CM), 100.0)
    alt_texts: dict[bytes, list[str]] = {}
    scheme = paper.profile.plan
    assert scheme is not None  # only a profile with a plan has a chart
    for entry, milestones in zip(parts, drawn, strict=True):
        png = draw_gantt(
            milestones,
            report_date,
            width_cm=width_cm,
            plan=paper.milestones,
            scheme=scheme,
            baselines=dict(history.baselines) if history else None,
        )
        entry["image"] = InlineImage(document, io.BytesIO(png), width=Mm(width_cm * 10))
        alt_texts.setdefault(png, []).append(
            describe_gantt(
                paper.milestones,
                report_date,
                part=(entry["number"], entry["of"], milestones),
                scheme=scheme,
            )
        )
    return alt_texts


def template_page_area(template: Path, page: Page | None = None) -> PageArea:
    """The text area of a template's page, given `page` (a profile's) where it says; A4's if the
    template cannot be opened (rendering it will then say why)."""
    try:
        document = _load(template)
    except TemplateProblem:
        return A4
    if page is not None:
        set_page(document.docx, page)
    return page_area(document)


def page_area(document: DocxTemplate) -> PageArea:
    """The text area of the template's first page and its header's font size; A4's where the
    template leaves one unset."""
    section = document.docx.sections[0]
    cm = 360000  # EMU per centimetre

    def length(value: int | None, default_cm: float) -> float:
        return value / cm if value is not None else default_cm

    width = length(section.page_width, 21.0)
    height = length(section.page_height, 29.7)
    sides = length(section.left_margin, 2.5) + length(section.right_margin, 2.5)
    turned = round(height - sides, 2) if turns_pages(document) else None
    width -= sides
    height -= length(section.top_margin, 2.5) + length(section.bottom_margin, 2.2)
    size = None
    style = _style_named(document, "Header")
    while style is not None and size is None:
        size = style.font.size
        style = style.base_style
    if size is None:
        size = default_font_size(document.docx)
    # Word keeps lengths in twentieths of a point: 16 cm comes back as 16.002 cm. To 0.1 mm,
    # so the bundled A4 page draws the same chart as a width of exactly 16 cm.
    width, height = round(width, 2), round(height, 2)
    return PageArea(
        width_cm=width if width > 0 else A4.width_cm,
        height_cm=height if height > 0 else A4.height_cm,
        header_pt=size.pt if size is not None and size.pt > 0 else A4.header_pt,
        turned_width_cm=turned if turned is not None and turned > width else None,
        sizes_columns=sizes_columns(document.docx),
        page_cm=(
            round(length(section.page_width, 21.0), 2),
            round(length(section.page_height, 29.7), 2),
        ),
        sides_cm=round(sides, 2),
    )


def _style_named(document: DocxTemplate, name: str) -> Any:
    try:
        return document.docx.styles[name]
    except KeyError:
        return None


def render_front_matter(
    context: dict[str, Any], meeting_date: dt.date, template: Path = PACK_TEMPLATE
) -> bytes:
    """The .docx of a pack's cover, contents and programme summary; papers are added after."""
    document = _load(template)
    context = {**context, **pack_running_heads(context["board"], meeting_date, page_area(document))}
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
        with bounded():
            document.render(context, jinja_env=_environment(), autoescape=True)
    except jinja2.TemplateError as exc:
        raise TemplateProblem(_describe_template_error(document, template, exc, context)) from exc
    problems = rendered_problems(_rendered_parts(document))
    if problems:
        raise refusal(template.name, problems)
    in_schema_order(document.docx.element.body)


def _rendered_parts(document: DocxTemplate) -> list[tuple[str, Any]]:
    """The parts docxtpl rendered, by name, as element trees: body, headers and footers."""
    main = document.docx.part
    parts = [(main.partname.lstrip("/"), main.element)]
    for relationship in main.rels.values():
        if relationship.reltype in (document.HEADER_URI, document.FOOTER_URI):
            part = relationship.target_part
            parts.append((part.partname.lstrip("/"), part.element))
    return parts


def _save(
    document: DocxTemplate, *, title: str, subject: str, author: str, made: dt.datetime
) -> bytes:
    """A rendered document's .docx bytes, described in its core properties and identified."""
    set_core_properties(document.docx, title=title, subject=subject, author=author, made=made)
    return identified_bytes(document.docx, made, saver=document)


def _load(template: Path) -> DocxTemplate:
    if not template.exists():
        raise TemplateProblem(f"{template}: template not found; pass --template with a .docx")
    data = vetted_bytes(template)
    try:
        document = DocxTemplate(io.BytesIO(data))
        document.init_docx()
    except Exception as exc:  # python-docx raises several unrelated types for a damaged file
        raise TemplateProblem(
            f"{template}: cannot be opened as a Word document ({type(exc).__name__}: {exc});"
            " save it again from Word as .docx"
        ) from exc
    tidy_package(document.docx)
    return document


def _xml_text(value: Any) -> Any:
    """Escape a value for the document XML; objects that make their own XML pass through."""
    if isinstance(value, Markup) or hasattr(value, "__html__"):
        return value
    if isinstance(value, str):
        return Markup(str(escape(value)).translate(_BRACES))
    return value


class _CachingEnvironment(SandboxEnvironment):
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


def _describe_template_error(
    document: DocxTemplate,
    template: Path,
    exc: jinja2.TemplateError,
    context: dict[str, Any] | None = None,
) -> str:
    context = context or {}
    if isinstance(exc, (Refused, RefusedTag, TagFailed)):
        return _describe_refusal(document, template, exc)
    if isinstance(exc, jinja2.UndefinedError):
        element = re.search(r"has no element (\S+)", exc.message or "")
        line = _failing_line(exc)
        if element is not None and line:
            # sections[11]: an item the template asks for that the paper does not have.
            index = element.group(1).strip("'\"")
            tags = re.findall(r"\{[{%].*?[}%]\}", line)
            tag = next((t for t in tags if f"[{index}]" in t), tags[0] if tags else "?")
            count = len(context.get("sections", {}))
            return (
                f"{template.name}: the tag {tag} asks for item {index}, which boardpack does not"
                f" supply (a paper of this profile has sections 1 to {count})."
                f' Near: "{line[:200]}". Remove the tag or correct the number.'
            )
        name = re.search(r"'(\w+)' is undefined|has no attribute '(\w+)'", exc.message or "")
        word = next((g for g in name.groups() if g), "") if name else ""
        tag, near = _find_tag(document, word)
        hint = " Check its spelling against the README's list of template values."
        if word == "gantt":  # the tag of templates made before the chart came in parts
            hint = (
                " The Gantt chart is now a list of parts, one per page: replace the tag with"
                " {%p for chart in gantt_parts %}, {{ chart.image }} and {%p endfor %}, each in"
                " a paragraph of its own."
            )
        return (
            f"{template.name}: the tag {tag or '?'} asks for '{word}', a value boardpack does"
            f" not supply.{near}{hint}"
        )
    near = " ".join(
        " ".join(line.split()) for line in getattr(exc, "docx_context", []) if line.strip()
    )
    near = f' Near: "{near[-200:]}".' if near else ""
    return (
        f"{template.name}: a template tag is broken ({exc.message}).{near} Each tag must be"
        " complete within one paragraph, e.g. {{ project }} or {%p for para in sections[2] %}."
    )


def _describe_refusal(
    document: DocxTemplate, template: Path, exc: Refused | RefusedTag | TagFailed
) -> str:
    """A refused or failing tag: the template, its part, the tag and its paragraph's text."""
    line = _failing_line(exc)
    if line is None:  # docxtpl renders the document's properties without markup lines
        where, line = "the document's properties (File > Info)", ""
    else:
        part = getattr(document, "current_rendering_part", None)
        where = part.partname.lstrip("/") if part is not None else "the document"
    word = getattr(exc, "word", "")
    tags = re.findall(r"\{[{%].*?[}%]\}", line)
    tag = next((t for t in tags if word and word in t), tags[0] if len(tags) == 1 else "")
    near = f' Near: "{line[:200]}".' if line else ""
    what = f"fails ({exc.message})" if isinstance(exc, TagFailed) else f"is refused: {exc.reason}"
    return (
        f"{template.name}, {where}: {f'the tag {tag}' if tag else 'a tag in this paragraph'}"
        f" {what}.{near} A template"
        " only places boardpack's values (the README lists them); nothing was built from it."
    )


def _failing_line(exc: jinja2.TemplateError) -> str | None:
    """The text of the template line (a paragraph, as docxtpl lays the markup out) where `exc`
    was raised, or None when it was not raised in a part's markup."""
    lineno = getattr(exc, "lineno", None)
    context = list(getattr(exc, "docx_context", None) or [])
    if lineno is None or not context:
        return None
    index = (lineno - 1) - max(lineno - 4, 0)  # docxtpl keeps three lines either side
    return " ".join(context[min(index, len(context) - 1)].split())


def _find_tag(document: DocxTemplate, word: str) -> tuple[str, str]:
    """The first tag in the template that mentions `word`, and the text of its paragraph."""
    import docx

    parsed = docx.Document(document.template_file)  # the template's bytes, as vetted
    paragraphs = list(parsed.paragraphs)
    for table in parsed.tables:
        paragraphs += [p for row in table.rows for cell in row.cells for p in cell.paragraphs]
    for section in parsed.sections:
        paragraphs += section.header.paragraphs + section.footer.paragraphs
    pattern = re.compile(r"\{[{%][^{}]*\b" + re.escape(word) + r"\b[^{}]*[}%]\}")
    for paragraph in paragraphs:
        found = pattern.search(paragraph.text)
        if found:
            return found.group(0), f' Near: "{" ".join(paragraph.text.split())[:200]}".'
    return "", ""


def vet_template(template: Path) -> None:
    """Check a template's file and what it reaches outside, before any paper is rendered."""
    _load(template)


def check_template(
    template: Path, *, pack: bool = False, profile: Profile | None = None
) -> list[Problem]:
    """Check a template as a build does (its file, what it reaches outside, its tags) by
    rendering it with a sample paper of `profile` (the default one unless told); raise
    TemplateProblem naming what is wrong, and return warnings: sections of the profile it does
    not print, text colours below WCAG's contrast, meaning carried by colour alone."""
    import docx

    from boardpack.outputs.contrast import template_contrast
    from boardpack.paper.context import build_pack_context, highest_risk
    from boardpack.paper.profile import load_profile
    from boardpack.paper.sample import sample_paper

    profile = profile or load_profile()
    paper = sample_paper(profile)
    if pack:
        # A pack's board and meeting: the sample's, else the bundled one's (a sample of a
        # profile with neither still shows where the pack prints them).
        board = paper.details.board or "Joint Improvement Board"
        day = paper.details.meeting_date or dt.date(2008, 1, 24)
        context = build_pack_context(board, day, "A venue", [paper], [4])
        rendered = render_front_matter(context, day, template)
    else:
        rendered = render_paper(paper, template)
    warnings = template_contrast(_load(template).docx, template.name, profile)
    document = docx.Document(io.BytesIO(rendered))
    cells = {
        " ".join(cell.text.split())
        for table in document.tables
        for row in table.rows
        for cell in row.cells
    }
    paragraphs = [" ".join(p.text.split()) for p in document.paragraphs]
    words = " ".join(paragraphs) + " ".join(cells)
    if not pack:
        warnings.extend(_unprinted_sections(template, paper, paragraphs))
    status = paper.status
    if status is not None and status.name not in words:
        warnings.append(
            Problem(
                template.name,
                f"the overall status is shown by colour alone: the sample paper's '{status.name}'"
                " is not printed; keep the {{r status }} tag's word",
            )
        )
    scheme = profile.risk
    score = highest_risk(paper)
    if scheme is not None and score is not None and not pack:
        band = scheme.band(score).name
        if not any(cell in {str(score), band} or band in cell for cell in cells):
            warnings.append(
                Problem(
                    template.name,
                    f"the risk register's {scheme.score_label} bands are shown by colour alone:"
                    f" the sample risk's score {score} ({band}) is in no cell; keep the score"
                    " or {{ risk.band }} in the shaded cell",
                )
            )
    return warnings


def _unprinted_sections(template: Path, paper: Paper, paragraphs: list[str]) -> list[Problem]:
    """A warning for each section of the profile whose title the rendered sample does not
    print: a template made for another shape drops it silently."""
    printed = {p.casefold() for p in paragraphs}
    return [
        Problem(
            template.name,
            f"the profile's section '{section.title}' is not printed by this template; its text"
            " would be left out of every paper. Use a template that loops over section_list"
            " (the bundled report.docx), or add the section",
        )
        for section in paper.profile.sections
        if section.title.casefold() not in printed and not section.omit_if_empty
    ]
