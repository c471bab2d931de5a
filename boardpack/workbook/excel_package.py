"""A workbook openpyxl saved, made into the package Excel itself writes, so that Excel opens it
as it is instead of repairing or rewriting it on its next save.

openpyxl 3.1 writes every text cell as an inline string, and a font's properties in an order of
its own; the Open XML SDK's validator (openxml-audit, in the tests) predicts Excel rewrites the
first and rejects the second. Here the strings move to a shared-strings table, as Excel keeps
them, and each font's properties are put in the schema's order (ECMA-376 part 1, CT_Font).
Only boardpack's own output passes through here, never a workbook from outside.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_SHARED_STRINGS_TYPE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)
_SHARED_STRINGS_CONTENT = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
_SHARED_STRINGS = "xl/sharedStrings.xml"
_FONT_ORDER = {
    f"{{{_MAIN}}}{name}": rank
    for rank, name in enumerate(
        "b i strike condense extend outline shadow u vertAlign sz color name family charset"
        " scheme".split()
    )
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def as_excel_writes(xlsx: bytes) -> bytes:
    """The package with shared strings and fonts in schema order; the same cells and styles."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    by_name = {info.filename: data for info, data in entries}
    if _SHARED_STRINGS in by_name:  # openpyxl wrote one itself: nothing to move
        return xlsx
    strings: dict[bytes, int] = {}
    items: list[etree._Element] = []
    changed: dict[str, bytes] = {}
    for name, data in by_name.items():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            changed[name] = _share_strings(data, strings, items)
        elif name == "xl/styles.xml":
            changed[name] = _fonts_in_order(data)
    if items:
        changed["[Content_Types].xml"] = _with_override(by_name["[Content_Types].xml"])
        changed["xl/_rels/workbook.xml.rels"] = _with_relationship(
            by_name["xl/_rels/workbook.xml.rels"]
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            target.writestr(info, changed.get(info.filename, data))
            if info.filename == "xl/workbook.xml" and items:
                shared = zipfile.ZipInfo(_SHARED_STRINGS, date_time=info.date_time)
                shared.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(shared, _shared_strings_part(items))
    return buffer.getvalue()


def _share_strings(data: bytes, strings: dict[bytes, int], items: list[etree._Element]) -> bytes:
    root = etree.fromstring(data, _PARSER)
    for cell in root.iter(f"{{{_MAIN}}}c"):
        if cell.get("t") != "inlineStr":
            continue
        inline = cell.find(f"{{{_MAIN}}}is")
        if inline is None:
            continue
        key = etree.tostring(inline)
        if key not in strings:
            strings[key] = len(items)
            item = etree.Element(f"{{{_MAIN}}}si", nsmap={None: _MAIN})
            item.extend(list(inline))
            items.append(item)
        value = etree.Element(f"{{{_MAIN}}}v")
        value.text = str(strings[key])
        inline.addprevious(value)
        cell.remove(inline)
        cell.set("t", "s")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _shared_strings_part(items: list[etree._Element]) -> bytes:
    table = etree.Element(f"{{{_MAIN}}}sst", nsmap={None: _MAIN})
    table.set("count", str(len(items)))
    table.set("uniqueCount", str(len(items)))
    table.extend(items)
    return etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _fonts_in_order(data: bytes) -> bytes:
    root = etree.fromstring(data, _PARSER)
    last = len(_FONT_ORDER)
    for font in root.iter(f"{{{_MAIN}}}font"):
        children = list(font)
        ordered = sorted(children, key=lambda child: _FONT_ORDER.get(child.tag, last))
        if ordered != children:
            for child in children:
                font.remove(child)
            font.extend(ordered)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _with_override(data: bytes) -> bytes:
    root = etree.fromstring(data, _PARSER)
    override = etree.SubElement(root, f"{{{_CONTENT_TYPES}}}Override")
    override.set("PartName", f"/{_SHARED_STRINGS}")
    override.set("ContentType", _SHARED_STRINGS_CONTENT)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _with_relationship(data: bytes) -> bytes:
    root = etree.fromstring(data, _PARSER)
    taken = {r.get("Id") for r in root}
    number = 1
    while f"rId{number}" in taken:
        number += 1
    relationship = etree.SubElement(root, f"{{{_PACKAGE_RELS}}}Relationship")
    relationship.set("Id", f"rId{number}")
    relationship.set("Type", _SHARED_STRINGS_TYPE)
    relationship.set("Target", "sharedStrings.xml")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
