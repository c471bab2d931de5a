"""Long tables cut into runs of rows, each under the table's own header rows.

LibreOffice lays out one table of thousands of rows in time that grows faster than the rows:
measured on a 2-core machine (bench/bench_scale.py), a register of 2,000 risks took 52 s to
convert as one table and 23 s as tables of 100 rows, and 5,000 risks came close to the 120 s
time-out. A paper reads the same either way: each run starts with the header rows (which Word
and LibreOffice also repeat at the top of each page), and the runs are kept apart by an empty
paragraph one point high, as Word would otherwise join tables that touch.
"""

from __future__ import annotations

import copy

from docx.oxml.ns import qn
from lxml import etree

ROWS_PER_TABLE = 100  # body rows; a paper's tables are rarely this long, so most are untouched


def split_long_tables(body: etree._Element, rows: int = ROWS_PER_TABLE) -> int:
    """Cut each table of the document `body` that has more than `rows` body rows into tables of
    at most `rows`, each repeating the header rows; returns how many tables were cut. A table
    with vertically merged cells is left whole, as a cut could fall inside a merge."""
    cut = 0
    for table in list(body.iterchildren(qn("w:tbl"))):
        all_rows = table.findall(qn("w:tr"))
        headers = [r for r in all_rows if _is_header(r)]
        leading = all_rows[: len(headers)]
        if leading != headers:  # header rows must lead, as Word repeats only those
            continue
        body_rows = all_rows[len(headers) :]
        if len(body_rows) <= rows or table.find(f".//{qn('w:vMerge')}") is not None:
            continue
        previous = table
        for start in range(rows, len(body_rows), rows):
            part = _shell(table)
            for header in headers:
                part.append(copy.deepcopy(header))
            for row in body_rows[start : start + rows]:
                part.append(row)  # moved out of the first table
            gap = _gap(table)
            previous.addnext(gap)
            gap.addnext(part)
            previous = part
        cut += 1
    return cut


def _is_header(row: etree._Element) -> bool:
    header = row.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}")
    return header is not None and header.get(qn("w:val"), "true") not in ("0", "false", "off")


def _shell(table: etree._Element) -> etree._Element:
    """A table like `table` (its properties and column grid) without its rows."""
    shell = table.makeelement(table.tag, dict(table.attrib))
    for child in table:
        if child.tag != qn("w:tr"):
            shell.append(copy.deepcopy(child))
    return shell


def _gap(table: etree._Element) -> etree._Element:
    """An empty paragraph one point high that keeps two tables apart."""
    paragraph = table.makeelement(qn("w:p"), {})
    properties = etree.SubElement(paragraph, qn("w:pPr"))
    etree.SubElement(
        properties,
        qn("w:spacing"),
        {qn("w:before"): "0", qn("w:after"): "0", qn("w:line"): "20", qn("w:lineRule"): "exact"},
    )
    marks = etree.SubElement(properties, qn("w:rPr"))
    etree.SubElement(marks, qn("w:sz"), {qn("w:val"): "2"})
    return paragraph
