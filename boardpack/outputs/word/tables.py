"""The register's and declared tables' layout in Word XML, as the context fitted them.

docxtpl makes every looped column the same width and can neither merge a header cell across
columns nor change a table's text size, so after rendering each table a template marks with a
caption (`boardpack-register`, `boardpack-table`) is given: its columns' widths, its text size
when it stepped down to fit, the first of two header rows when its columns are grouped
("Impact" over "Inherent | Residual"), header rows that repeat on every page, and rows kept
whole on one page (a row taller than a page is let break, so it runs on rather than being cut
off at the foot).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from docx.oxml.ns import qn

from boardpack.outputs.word.schema import in_schema_order
from boardpack.paper.context import TABLE_PT
from boardpack.paper.profile import Block

TWIPS_PER_CM = 1440 / 2.54
# The captions the bundled report.docx gives the tables whose columns a profile decides.
_SIZED_TABLES = {"boardpack-register": "register", "boardpack-table": "tables"}


def shape_tables(document: Any, context: dict[str, Any]) -> None:
    """Lay out each captioned table of a rendered python-docx document as its spec in the
    context says. The bundled template prints declared tables where their sections are, so
    they are met in the sections' order."""
    for table, spec in _captioned(document, context):
        widths = [round(c["width_cm"] * TWIPS_PER_CM) for c in spec["columns"]]
        rows = table.findall(qn("w:tr"))
        headers = [r for r in rows if r.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None]
        body = [r for r in rows if r not in headers]
        if spec.get("groups") and headers:
            headers.insert(0, _group_row(headers[0], spec["groups"]))
        _set_grid(table, widths)
        for row in headers:
            _row_property(row, "tblHeader", True)
        for row, entry in zip(body, _entries(spec), strict=False):
            # Kept whole unless it is taller than a page: Word would cut it off at the foot.
            _row_property(row, "cantSplit", bool(entry.get("whole", True)))
        if spec.get("font_pt", TABLE_PT) < TABLE_PT:
            _set_text_size(table, spec["font_pt"])
        in_schema_order(table)


def sizes_columns(document: Any) -> bool:
    """Whether a python-docx template has a table boardpack lays out (one with a caption it
    knows); a template without sets its tables' widths itself."""
    for caption in document.element.body.iter(qn("w:tblCaption")):
        if caption.get(qn("w:val"), "") in _SIZED_TABLES:
            return True
    return False


def _captioned(document: Any, context: dict[str, Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
    body = document.element.body
    tables = iter(
        s["table"] for s in context.get("section_list", []) if s["block"] == Block.TABLE.value
    )
    for table in body.iter(qn("w:tbl")):
        caption = table.find(f"{qn('w:tblPr')}/{qn('w:tblCaption')}")
        kind = _SIZED_TABLES.get(caption.get(qn("w:val"), "")) if caption is not None else None
        if kind is None:
            continue
        spec = context.get("register") if kind == "register" else next(tables, None)
        if spec and spec["columns"]:
            yield table, spec


def _entries(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec["risks"] if "risks" in spec else spec["rows"])


def _set_grid(table: Any, widths: list[int]) -> None:
    """The table's grid and each cell's width; a merged cell is as wide as the columns it
    spans."""
    grid = table.find(qn("w:tblGrid"))
    for column in list(grid):
        grid.remove(column)
    for width in widths:
        grid.append(grid.makeelement(qn("w:gridCol"), {qn("w:w"): str(width)}))
    for row in table.iter(qn("w:tr")):
        at = 0
        for cell in row.findall(qn("w:tc")):
            count = _span(cell)
            size = cell.find(f"{qn('w:tcPr')}/{qn('w:tcW')}")
            if size is not None and at < len(widths):
                size.set(qn("w:w"), str(sum(widths[at : at + count])))
                size.set(qn("w:type"), "dxa")
            at += count


def _span(cell: Any) -> int:
    span = cell.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
    value = span.get(qn("w:val"), "1") if span is not None else "1"
    return int(value) if value.isdigit() else 1


def _group_row(header: Any, groups: list[dict[str, Any]]) -> Any:
    """A row above `header` (a copy of it) with a cell for each group spanning its columns;
    a column in no group has its header moved up into a cell spanning both rows."""
    row = copy.deepcopy(header)
    cells = row.findall(qn("w:tc"))
    below = header.findall(qn("w:tc"))
    for cell in cells[len(groups) :]:
        row.remove(cell)
    at = 0
    for cell, group in zip(cells, groups, strict=False):
        properties = _properties(cell, "w:tcPr")
        for old in properties.findall(qn("w:gridSpan")) + properties.findall(qn("w:vMerge")):
            properties.remove(old)
        if group["span"] > 1:
            properties.append(
                properties.makeelement(qn("w:gridSpan"), {qn("w:val"): str(group["span"])})
            )
        if group["text"]:
            _set_text(cell, group["text"])
        elif at < len(below):
            # Its header spans both rows: the cell below continues this one.
            _set_text(cell, _text(below[at]))
            properties.append(properties.makeelement(qn("w:vMerge"), {qn("w:val"): "restart"}))
            under = _properties(below[at], "w:tcPr")
            under.append(under.makeelement(qn("w:vMerge"), {}))
            _set_text(below[at], "")
        at += group["span"]
    header.addprevious(row)
    return row


def _properties(element: Any, tag: str) -> Any:
    properties = element.find(qn(tag))
    if properties is None:
        properties = element.makeelement(qn(tag), {})
        element.insert(0, properties)
    return properties


def _text(cell: Any) -> str:
    return "".join(t.text or "" for t in cell.iter(qn("w:t")))


def _set_text(cell: Any, text: str) -> None:
    """A cell's text replaced by `text`, in its first run's formatting."""
    paragraphs = cell.findall(qn("w:p"))
    for extra in paragraphs[1:]:
        cell.remove(extra)
    paragraph = paragraphs[0]
    runs = paragraph.findall(qn("w:r"))
    run = runs[0] if runs else paragraph.makeelement(qn("w:r"), {})
    for other in [c for c in paragraph if c.tag != qn("w:pPr")]:
        paragraph.remove(other)
    for child in [c for c in run if c.tag != qn("w:rPr")]:
        run.remove(child)
    if text:
        t = run.makeelement(qn("w:t"), {})
        t.text = text
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.append(t)
    paragraph.append(run)


def _row_property(row: Any, name: str, on: bool) -> None:
    properties = row.find(qn("w:trPr"))
    present = properties.findall(qn(f"w:{name}")) if properties is not None else []
    if on and not present:
        properties = _row_properties(row)
        properties.append(properties.makeelement(qn(f"w:{name}"), {}))
    elif not on:
        for element in present:
            properties.remove(element)


def _row_properties(row: Any) -> Any:
    properties = row.find(qn("w:trPr"))
    if properties is None:
        properties = row.makeelement(qn("w:trPr"), {})
        before = row.find(qn("w:tblPrEx"))
        row.insert(1 if before is not None else 0, properties)
    return properties


def _set_text_size(table: Any, points: float) -> None:
    """Every run (and paragraph mark) of the table at `points`."""
    half_points = str(round(points * 2))
    for paragraph in table.iter(qn("w:p")):
        marks = _properties(paragraph, "w:pPr")
        targets = [_properties(marks, "w:rPr")]
        targets += [_properties(run, "w:rPr") for run in paragraph.iter(qn("w:r"))]
        for properties in targets:
            for tag in ("w:sz", "w:szCs"):
                for old in properties.findall(qn(tag)):
                    properties.remove(old)
                properties.append(properties.makeelement(qn(tag), {qn("w:val"): half_points}))
