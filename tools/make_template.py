"""Writes the docxtpl templates: templates/highlight-report.docx (one paper) and
templates/board-pack.docx (the front matter of a meeting's pack: cover, contents, summary).

Run from the repository root: python tools/make_template.py
The committed .docx is the source of truth once a council restyles it in Word; this script is how
the first version was made, kept so the structure can be regenerated and reviewed as text.
Every look (fonts, sizes, numbering, colours) lives in a named Word style, so restyling needs no
code: change the style in Word and every paper follows.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from boardpack.ooxml import in_schema_order, tidy_package

FONT = "Arial"  # LibreOffice renders it with the metric-compatible Liberation Sans
NAVY = RGBColor(0x1F, 0x3A, 0x5F)
HEADING_LIST = 1  # numId of "1." / "2.1" numbering shared by headings and numbered paragraphs
BULLET_LIST = 2
SUMMARY = "boardpack_summary"  # bookmark on the programme summary, for its contents entry
CHART_STYLE = "Chart"  # not "Figure": LibreOffice tags a "Figure" paragraph as a PDF Figure
# Styles no template paragraph uses but that must be kept: the pack's papers are merged with
# their headings one level down (boardpack/pack.py), so a paper's sub-headings become Heading 3.
EXTRA_STYLES = {"highlight-report.docx": set[str](), "board-pack.docx": {"Heading3"}}

SECTIONS = (
    (1, "Recommendation"),
    (2, "Project vision/objectives"),
    (3, "Summary Progress and key highlight report"),
    (4, "Timescales and key milestones (See Gantt Chart Attached)"),
    (5, "Deliverables/quick wins"),
    (6, "Financial update"),
    (7, "Member involvement"),
    (8, "Related projects / Work streams"),
    (9, "Communications plan"),
    (10, "Key Risks and issues"),
)


def main(folder: Path) -> None:
    kept: set[str] = set()
    # the paper first: the pack keeps every style a paper uses, so that merged papers take
    # the pack's versions of them (with the pack's outline levels)
    for name, make in (("highlight-report.docx", _paper), ("board-pack.docx", _pack)):
        doc = Document()
        _page_setup(doc)
        _styles(doc)
        _numbering(doc)
        title = make(doc)
        kept |= _prune_styles(doc, kept | EXTRA_STYLES[name])
        _preserve_spaces(doc)
        _in_schema_order(doc)
        _valid_package(doc)
        props = doc.core_properties
        props.title = title
        props.author = "boardpack"
        props.language = "en-GB"
        props.comments = "boardpack template: restyle freely in Word; keep the template tags."
        doc.save(str(folder / name))
        print(f"wrote {folder / name}")


def _paper(doc) -> str:
    _header_footer(doc)
    _body(doc)
    return "Highlight report"


# -- page and styles ------------------------------------------------------------------------


def _page_setup(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    section.header_distance, section.footer_distance = Cm(1.2), Cm(1.0)


def _fonts(element, size: float | None = None) -> None:
    """Set explicit fonts on an rPr, dropping theme fonts that would otherwise win."""
    fonts = element.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        element.insert(0, fonts)
    for name in list(fonts.attrib):
        del fonts.attrib[name]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    lang = element.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        element.append(lang)
    lang.set(qn("w:val"), "en-GB")
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            node = element.find(qn(tag))
            if node is None:
                node = OxmlElement(tag)
                element.append(node)
            node.set(qn("w:val"), str(int(size * 2)))


def _style(doc, name: str, base: str = "Normal", kind=WD_STYLE_TYPE.PARAGRAPH):
    styles = doc.styles
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, kind)
        style.base_style = styles[base]
        style.quick_style = True
    return style


def _number_paragraph(paragraph, num_id: int, level: int) -> None:
    """Number a paragraph by a reference of its own, not through its style.

    Numbering linked to the Heading styles makes LibreOffice treat it as the document's one
    chapter numbering, so in a pack of papers the second paper's sections would run on from
    11. Numbered paragraph by paragraph, each paper merged into a pack gets a list of its own
    and starts again at 1; LibreOffice also only numbers a custom style's paragraphs when the
    paragraph itself says so.
    """
    _add_num_pr(paragraph._p.get_or_add_pPr(), num_id, level)


def _numbered(style, num_id: int, level: int) -> None:
    _add_num_pr(style.element.get_or_add_pPr(), num_id, level)


def _add_num_pr(ppr, num_id: int, level: int) -> None:
    # get_or_add_numPr puts w:numPr where the schema wants it, which Word insists on.
    num_pr = ppr.get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = level
    num_pr.get_or_add_numId().val = num_id


def _styles(doc) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    _fonts(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")), 11)

    normal = doc.styles["Normal"]
    _fonts(normal.element.get_or_add_rPr(), 11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1

    for name, size, before, after in (("Heading 1", 13, 14, 6), ("Heading 2", 11, 8, 4)):
        style = doc.styles[name]
        _fonts(style.element.get_or_add_rPr(), size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = NAVY
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.keep_with_next = True

    title = doc.styles["Title"]
    _fonts(title.element.get_or_add_rPr(), 20)
    title.font.color.rgb = NAVY
    title.font.bold = True
    title.paragraph_format.space_after = Pt(2)
    _no_border(title)
    subtitle = doc.styles["Subtitle"]
    _fonts(subtitle.element.get_or_add_rPr(), 12)
    subtitle.font.color.rgb = NAVY
    subtitle.font.italic = False
    subtitle.paragraph_format.space_after = Pt(12)

    _style(doc, "Numbered Paragraph")

    bullet = doc.styles["List Bullet"]
    _numbered(bullet, BULLET_LIST, 0)
    bullet.paragraph_format.space_after = Pt(3)

    field = _style(doc, "Paper Field")
    field.paragraph_format.space_after = Pt(2)
    field.paragraph_format.tab_stops.add_tab_stop(Cm(4.5), WD_TAB_ALIGNMENT.LEFT)

    register = _style(doc, "Register Title")
    _fonts(register.element.get_or_add_rPr(), 13)
    register.font.bold = True
    register.font.color.rgb = NAVY
    register.paragraph_format.space_before = Pt(12)
    register.paragraph_format.space_after = Pt(6)
    register.paragraph_format.keep_with_next = True

    table_text = _style(doc, "Table Text")
    _fonts(table_text.element.get_or_add_rPr(), 9.5)
    table_text.paragraph_format.space_after = Pt(0)
    table_text.paragraph_format.line_spacing = 1.0
    table_head = _style(doc, "Table Heading", base="Table Text")
    table_head.font.bold = True
    table_head.paragraph_format.keep_with_next = True

    key = _style(doc, "Register Key")
    _fonts(key.element.get_or_add_rPr(), 9)
    key.paragraph_format.space_before = Pt(4)

    status = _style(doc, "Status Text", kind=WD_STYLE_TYPE.CHARACTER, base="Default Paragraph Font")
    status.font.bold = True

    caption = doc.styles["Caption"]
    _fonts(caption.element.get_or_add_rPr(), 9)
    caption.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    caption.font.bold = False
    caption.font.italic = True
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    figure = _style(doc, CHART_STYLE)
    figure.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    figure.paragraph_format.keep_with_next = True
    figure.paragraph_format.space_before = Pt(6)

    for name in ("Header", "Footer"):
        style = doc.styles[name]
        _fonts(style.element.get_or_add_rPr(), 8.5)
        style.font.color.rgb = RGBColor(0x50, 0x50, 0x50)
        tabs = style.paragraph_format.tab_stops
        tabs.clear_all()
        # One stop, at the right margin: a centre stop would catch a long left part's tab and
        # push the right part ("Page X of Y") to a line of its own.
        tabs.add_tab_stop(Cm(16), WD_TAB_ALIGNMENT.RIGHT)
    _linked_colours(doc)


def _linked_colours(doc) -> None:
    """Give each linked character style ("Heading 2 Char") its paragraph style's text colour:
    python-docx's blank document leaves them a pale blue (#4F81BD, 4.0:1 on white) that Word
    applies when part of a heading is restyled."""
    for style in doc.styles:
        link = style.element.find(qn("w:link"))
        if style.type != WD_STYLE_TYPE.PARAGRAPH or link is None:
            continue
        linked = next((s for s in doc.styles if s.style_id == link.get(qn("w:val"))), None)
        if linked is not None and style.font.color.rgb is not None:
            linked.font.color.rgb = style.font.color.rgb


def _no_border(style) -> None:
    ppr = style.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)


def _numbering(doc) -> None:
    """Two lists: '1.' headings with '2.1' paragraphs under them, and bullets."""
    numbering = doc.part.numbering_part.element
    for old in numbering.findall(qn("w:num")) + numbering.findall(qn("w:abstractNum")):
        numbering.remove(old)
    numbering.append(
        _abstract(
            10,
            [
                ("decimal", "%1.", 567, 567, None),
                ("decimal", "%1.%2", 567, 567, None),
            ],
        )
    )
    numbering.append(
        _abstract(20, [("bullet", "•", 1134, 284, FONT), ("bullet", "\u2013", 1418, 284, FONT)])
    )
    for num_id, abstract_id in ((HEADING_LIST, 10), (BULLET_LIST, 20)):
        num = OxmlElement("w:num")
        num.set(qn("w:numId"), str(num_id))
        ref = OxmlElement("w:abstractNumId")
        ref.set(qn("w:val"), str(abstract_id))
        num.append(ref)
        numbering.append(num)
    # w:abstractNum must all come before w:num elements
    for abstract in numbering.findall(qn("w:abstractNum")):
        numbering.remove(abstract)
        numbering.insert(0, abstract)


def _abstract(abstract_id: int, levels: list[tuple[str, str, int, int, str | None]]):
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), str(abstract_id))
    multi = OxmlElement("w:multiLevelType")
    multi.set(qn("w:val"), "multilevel")
    abstract.append(multi)
    for level, (fmt, text, left, hanging, font) in enumerate(levels):
        lvl = OxmlElement("w:lvl")
        lvl.set(qn("w:ilvl"), str(level))
        for tag, value in (
            ("w:start", "1"),
            ("w:numFmt", fmt),
            ("w:suff", "tab"),
            ("w:lvlText", text),
            ("w:lvlJc", "left"),
        ):
            node = OxmlElement(tag)
            node.set(qn("w:val"), value)
            lvl.append(node)
        ppr = OxmlElement("w:pPr")
        tabs = OxmlElement("w:tabs")
        tab = OxmlElement("w:tab")
        tab.set(qn("w:val"), "num")
        tab.set(qn("w:pos"), str(left))
        tabs.append(tab)
        ppr.append(tabs)
        ind = OxmlElement("w:ind")
        ind.set(qn("w:left"), str(left))
        ind.set(qn("w:hanging"), str(hanging))
        ppr.append(ind)
        lvl.append(ppr)
        if font:
            rpr = OxmlElement("w:rPr")
            fonts = OxmlElement("w:rFonts")
            for attr in ("w:ascii", "w:hAnsi", "w:cs"):
                fonts.set(qn(attr), font)
            rpr.append(fonts)
            lvl.append(rpr)
        abstract.append(lvl)
    return abstract


def _valid_package(doc) -> None:
    """Leave out what python-docx's blank document carries and Word would repair: its
    stylesWithEffects.xml (145 styles styles.xml lacks, numbering that does not exist), its
    blank thumbnail, and a zoom without the percentage the schema requires."""
    tidy_package(doc)


def _in_schema_order(doc) -> None:
    """Put every run's, paragraph's and cell's properties in the order Word requires."""
    parts = [doc.part, doc.part._styles_part, doc.part.numbering_part]
    parts += [s.header.part for s in doc.sections] + [s.footer.part for s in doc.sections]
    for part in parts:
        in_schema_order(part.element)


def _preserve_spaces(doc) -> None:
    """Mark every text holding a tag to keep its spaces, so a value's own leading or trailing
    spaces come out as typed (Word drops them from text not so marked)."""
    parts = [
        doc.part,
        *(s.header.part for s in doc.sections),
        *(s.footer.part for s in doc.sections),
    ]
    for part in parts:
        for text in part.element.iter(qn("w:t")):
            if "{{" in (text.text or ""):
                text.set(qn("xml:space"), "preserve")


def _prune_styles(doc, keep: set[str]) -> set[str]:
    """Drop the styles no paragraph, table or kept style uses.

    python-docx's blank document carries ~160 styles; merging papers into a pack walks the
    style list once per paragraph, so a lean list makes packs several times faster to build
    and leaves a council a short, clear list to restyle."""
    styles = doc.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    used = {"Normal", "TableNormal", "DefaultParagraphFont", "NoList", "Header", "Footer", *keep}
    used.add("StatusText")  # applied by code (render.py), so no template text refers to it
    for part in [
        doc.part,
        *(s.header.part for s in doc.sections),
        *(s.footer.part for s in doc.sections),
    ]:
        for tag in ("w:pStyle", "w:rStyle", "w:tblStyle"):
            used.update(e.get(qn("w:val")) for e in part.element.iter(qn(tag)))
    pending = list(used)
    while pending:  # keep what the kept styles are based on or linked to
        style = by_id.get(pending.pop())
        if style is None:
            continue
        for tag in ("w:basedOn", "w:link"):
            ref = style.find(qn(tag))
            if ref is not None and ref.get(qn("w:val")) not in used:
                used.add(ref.get(qn("w:val")))
                pending.append(ref.get(qn("w:val")))
    for style_id, style in by_id.items():
        if style_id not in used:
            styles.remove(style)
        else:
            for ref in style.findall(qn("w:next")):
                if ref.get(qn("w:val")) not in used:
                    style.remove(ref)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    return used


# -- header and footer ----------------------------------------------------------------------


def _field(paragraph, code: str) -> None:
    """A complex field (PAGE, NUMPAGES) that Word and LibreOffice update when laying out."""
    for kind, text in (
        ("begin", None),
        (None, code),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == code:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {code} "
            run._r.append(instr)
        else:
            run.text = text


def _header_footer(doc, header_text: str | None = None, footer_text: str | None = None) -> None:
    """One line each: left part, a tab to the right margin, right part. header_project and
    header_board are the names shortened (context.running_heads) so that each line fits."""
    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.style = doc.styles["Header"]
    header.text = (
        header_text
        or "{{ header_project }} highlight report\t{{ header_board }}, {{ meeting_date }}"
    )
    footer = section.footer.paragraphs[0]
    footer.style = doc.styles["Footer"]
    footer.add_run(
        (footer_text or "{{ header_project }} highlight report, {{ report_date }}") + "\tPage "
    )
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


# -- body -----------------------------------------------------------------------------------


def _tag(doc, text: str) -> None:
    """A paragraph holding only a docxtpl control tag; docxtpl removes it when rendering."""
    doc.add_paragraph(text, style="Normal")


def _paragraph_loop(doc, items: str) -> None:
    """Each paragraph of a section, in the Word style its workbook row asked for."""
    _tag(doc, f"{{%p for para in {items} %}}")
    _tag(doc, '{%p if para.style == "numbered" %}')
    numbered = doc.add_paragraph("{{ para.text }}", style="Numbered Paragraph")
    _number_paragraph(numbered, HEADING_LIST, 1)
    _tag(doc, '{%p elif para.style == "bullet" %}')
    doc.add_paragraph("{{ para.text }}", style="List Bullet")
    _tag(doc, '{%p elif para.style == "sub-heading" %}')
    _number_paragraph(doc.add_paragraph("{{ para.text }}", style="Heading 2"), HEADING_LIST, 1)
    _tag(doc, "{%p else %}")
    doc.add_paragraph("{{ para.text }}", style="Normal")
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")


def _bullets(doc, items: str) -> None:
    _tag(doc, f"{{%p for item in {items} %}}")
    doc.add_paragraph("{{ item }}", style="List Bullet")
    _tag(doc, "{%p endfor %}")


def _body(doc) -> None:
    doc.add_paragraph("{{ project }}: Highlight Report", style="Title")
    doc.add_paragraph("{{ board }}, {{ meeting_date }}", style="Subtitle")
    for label, value in (
        ("Name of Project", "{{ project }}"),
        ("Project Sponsor", "{{ sponsor }}"),
        ("Project Manager", "{{ manager }}"),
        ("Report date", "{{ report_date }}"),
        ("Overall status", "{{r status }}"),
    ):
        paragraph = doc.add_paragraph(style="Paper Field")
        paragraph.add_run(label).bold = True
        paragraph.add_run("\t" + value)

    for number, title in SECTIONS:
        _number_paragraph(doc.add_paragraph(title, style="Heading 1"), HEADING_LIST, 0)
        _paragraph_loop(doc, f"sections[{number}]")
        if number == 4:
            _plan(doc)
        elif number == 6:
            _budget(doc)
        elif number == 10:
            _register(doc)


def _plan(doc) -> None:
    _number_paragraph(doc.add_paragraph("Within Project", style="Heading 2"), HEADING_LIST, 1)
    _bullets(doc, "plan.within")
    _number_paragraph(doc.add_paragraph("Outside Project", style="Heading 2"), HEADING_LIST, 1)
    _bullets(doc, "plan.outside")
    # A long plan's chart comes in parts, each fitting a page (page.chart_parts), each with
    # its caption; the parts' pictures are made by render.py.
    _tag(doc, "{%p for chart in gantt_parts %}")
    chart = doc.add_paragraph("{{ chart.image }}", style=CHART_STYLE)
    # Single spacing: Word scales a line by a multiple's factor, picture and all, and a part
    # is sized to fill the page (page.CHART_SURROUND_CM leaves room for its caption only).
    chart.style.paragraph_format.line_spacing = 1.0
    doc.add_paragraph(
        "Gantt chart: the plan at {{ report_date }}"
        "{% if chart.of > 1 %}, part {{ chart.number }} of {{ chart.of }}{% endif %}",
        style="Caption",
    )
    _tag(doc, "{%p endfor %}")


def _cell(cell, text: str, style: str = "Table Text") -> None:
    cell.paragraphs[0].text = text
    cell.paragraphs[0].style = cell.part.document.styles[style]


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tcpr.append(shading)


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    trpr.append(header)
    cant_split = OxmlElement("w:cantSplit")
    trpr.append(cant_split)


def _table(doc, headings: list[str], widths_cm: list[float]):
    table = doc.add_table(rows=1, cols=len(headings))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        _cell(cell, heading, "Table Heading")
        _shade(cell, "DCE3EC")
    _repeat_header(table.rows[0])
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)
    return table


def _loop_rows(table, tag_open: str, cells: list[str], tag_close: str, widths) -> None:
    for texts in (
        [tag_open] + [""] * (len(cells) - 1),
        cells,
        [tag_close] + [""] * (len(cells) - 1),
    ):
        row = table.add_row()
        for cell, text, width in zip(row.cells, texts, widths, strict=True):
            _cell(cell, text)
            cell.width = Cm(width)


def _budget(doc) -> None:
    _tag(doc, "{%p if budget.rows %}")
    widths = [7.0, 3.0, 3.0, 3.0]
    table = _table(doc, ["Budget line", "Original", "Revised", "Spent to date"], widths)
    _loop_rows(
        table,
        "{%tr for line in budget.rows %}",
        ["{{ line.line }}", "{{ line.original }}", "{{ line.revised }}", "{{ line.spent }}"],
        "{%tr endfor %}",
        widths,
    )
    total = table.add_row()
    for cell, text, width in zip(
        total.cells,
        ["Total", "{{ budget.original }}", "{{ budget.revised }}", "{{ budget.spent }}"],
        widths,
        strict=True,
    ):
        _cell(cell, text, "Table Heading")
        cell.width = Cm(width)
    for row in table.rows:
        for cell in row.cells[1:]:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _tag(doc, "{%p endif %}")


def _register(doc) -> None:
    doc.add_paragraph("{{ register_title }}", style="Register Title")
    widths = [4.3, 2.1, 1.6, 1.2, 6.8]
    table = _table(doc, ["Event", "Likelihood", "Impact", "LxI", "Action"], widths)
    descriptor = table.add_row()
    for cell, text in zip(
        descriptor.cells,
        ["Which may or may not occur", "1-4", "1-4", "1-16", "To mitigate the risk"],
        strict=True,
    ):
        _cell(cell, text)
        _shade(cell, "F2F2F2")
        for run in cell.paragraphs[0].runs:
            run.italic = True
    _repeat_header(descriptor)
    _loop_rows(
        table,
        "{%tr for risk in risks %}",
        [
            "{{ risk.event }}",
            "{{ risk.likelihood }}",
            "{{ risk.impact }}",
            "{% cellbg risk.band_colour %}{{ risk.lxi }}",
            "{{ risk.action }}",
        ],
        "{%tr endfor %}",
        widths,
    )
    for row in table.rows:
        for cell in row.cells[1:4]:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(
        "LxI key: 1-4 low (green); 5-8 medium (amber); 9-16 high (red).", style="Register Key"
    )


# -- the board pack's front matter ------------------------------------------------------------


def _pack_headings(doc) -> None:
    """The pack's heading styles, one level below a paper's: Title is the pack's own (the
    cover), Heading 1 the Contents, the Programme summary and each paper's title, Heading 2 a
    paper's sections and Heading 3 its sub-headings. pack.py moves each merged paper's headings
    down a level; these styles give them the look they had in the paper. Real heading styles
    at their own outline levels, so readers that go by style (pandoc, mammoth, screen readers)
    and the PDF's bookmarks see the same headings."""
    title = doc.styles["Title"]
    _fonts(title.element.get_or_add_rPr(), 28)
    title.paragraph_format.space_before = Pt(180)
    title.paragraph_format.space_after = Pt(6)
    _no_outline(title)
    looks = (("Heading 1", 20, 0, 6), ("Heading 2", 13, 14, 6), ("Heading 3", 11, 8, 4))
    for name, size, before, after in looks:
        style = doc.styles[name]
        _fonts(style.element.get_or_add_rPr(), size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = NAVY
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.keep_with_next = True
    _linked_colours(doc)  # Heading 3 is new here; its "Char" twin must match it too


def _no_outline(style) -> None:
    """Take a style off the outline, so it is neither a bookmark nor a heading level."""
    ppr = style.element.get_or_add_pPr()
    for old in ppr.findall(qn("w:outlineLvl")):
        ppr.remove(old)


def _page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _bookmark(paragraph, name: str) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), "0")
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), "0")
    paragraph._p.insert(1, start)
    paragraph._p.append(end)


def _pageref(paragraph, bookmark: str, cached: str) -> None:
    """A PAGEREF field: the page a bookmark is on, worked out when the pack is laid out."""
    for kind, text in (
        ("begin", None),
        ("instr", f" PAGEREF {bookmark} \\h "),
        ("separate", None),
        ("text", cached),
        ("end", None),
    ):
        run = paragraph.add_run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind == "text":
            run.text = text
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)


def _pack(doc) -> str:
    """Cover, contents and programme summary; the papers are appended after these by code.

    In the pack each paper's title is a first-level heading and bookmark, and its sections sit
    under it (see _pack_headings).
    """
    _pack_headings(doc)
    cover_text = _style(doc, "Cover Text", base="Normal")
    _fonts(cover_text.element.get_or_add_rPr(), 16)
    cover_text.font.color.rgb = NAVY
    contents = _style(doc, "Contents Entry", base="Normal")
    contents.paragraph_format.tab_stops.add_tab_stop(Cm(1.0), WD_TAB_ALIGNMENT.LEFT)
    contents.paragraph_format.tab_stops.add_tab_stop(
        Cm(16), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
    )
    _header_footer(doc, " ", "{{ header_board }}, {{ meeting_date }}: agenda papers")
    doc.sections[0].different_first_page_header_footer = True  # a cover has no page number

    doc.add_paragraph("{{ board }}", style="Title")
    doc.add_paragraph("{{ meeting_date }}", style="Cover Text")
    _tag(doc, "{%p if venue %}")
    doc.add_paragraph("{{ venue }}", style="Cover Text")
    _tag(doc, "{%p endif %}")
    doc.add_paragraph("Agenda papers", style="Cover Text")
    _page_break(doc)

    doc.add_paragraph("Contents", style="Heading 1")
    _pageref(doc.add_paragraph("\tProgramme summary\t", style="Contents Entry"), SUMMARY, "3")
    _tag(doc, "{%p for paper in papers %}")
    entry = doc.add_paragraph("{{ paper.number }}.\t{{ paper.project }}\t", style="Contents Entry")
    _pageref(entry, "{{ paper.bookmark }}", "{{ paper.start_page }}")
    _tag(doc, "{%p endfor %}")
    _page_break(doc)

    _bookmark(doc.add_paragraph("Programme summary", style="Heading 1"), SUMMARY)
    widths = [3.0, 2.3, 2.3, 1.6, 1.7, 2.9, 2.2]
    table = _table(
        doc,
        ["Project", "Sponsor", "Manager", "Status", "Highest risk", "Next milestone", "Due"],
        widths,
    )
    _loop_rows(
        table,
        "{%tr for paper in papers %}",
        [
            "{{ paper.project }}",
            "{{ paper.sponsor }}",
            "{{ paper.manager }}",
            "{% cellbg paper.status_fill %}{{ paper.status }}",
            "{% cellbg paper.risk_fill %}{{ paper.highest_risk }}",
            "{{ paper.next_milestone }}",
            "{{ paper.next_due }}",
        ],
        "{%tr endfor %}",
        widths,
    )
    for row in table.rows:
        for cell in row.cells[3:5]:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(
        "Status is the project's overall RAG status; highest risk is the largest LxI on its"
        " register (1-4 low, 5-8 medium, 9-16 high).",
        style="Register Key",
    )
    return "Agenda papers"


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("templates"))
