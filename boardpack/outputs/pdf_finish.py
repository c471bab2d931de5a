"""Finishing LibreOffice's PDFs: the tagging and metadata fixes no export option asks for.

LibreOffice 7.4 writes a page's tab order as the string (S) where PDF/UA needs the name /S (and
none on pages without links); tags the empty paragraphs that carry page breaks; tags a paragraph
whose style is named "Figure" as a Figure, without alternative text, around the chart's own;
draws the chart itself as an Artifact, so the described Figure marks nothing on the page; and
escapes a title's ' or & twice in XMP (dc:title "children&apos;s" for the document info's
"children's"), where PDF/A requires the two to agree. No export option changes these
(PDFUACompliance leaves them all, and remaps the standard type /Figure to /P, which PDF/UA
forbids), so they are mended here with pikepdf. Fonts, images and the document info stay as
LibreOffice wrote them, and page content changes only where an image's Artifact becomes its
Figure's marked content, so the file stays the PDF/A-2b it was verified to be.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from boardpack.errors import ConversionError

__all__ = ["Finished", "finish", "finished"]

_READ_ERRORS = (pikepdf.PdfError, OSError, ValueError, KeyError, TypeError, AttributeError)


@dataclass(frozen=True)
class Finished:
    """A PDF LibreOffice made, checked and mended in one open of the file."""

    data: bytes  # the mended PDF ("" when it is not an archival PDF)
    pages: int
    problem: str | None = None  # why it is not an archival PDF/A-2b, as pdf.verify_pdf says


def finished(path: Path) -> bytes:
    """The PDF at `path` with its tab order, figures, empty paragraphs and XMP text mended."""
    try:
        with pikepdf.open(path) as pdf:
            return _mended(pdf)
    except _READ_ERRORS as exc:
        raise ConversionError(f"cannot finish the PDF LibreOffice made: {exc}") from exc


def finish(path: Path) -> Finished:
    """The PDF at `path` checked as an archival PDF/A-2b with pages and, when it is one, mended
    (as `finished` does), from one open of the file: the check LibreOffice's PDFs need before
    they are placed, without reading the file again for it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return Finished(b"", 0, "no PDF was written")
    except OSError as exc:
        return Finished(b"", 0, f"cannot read the PDF ({exc.strerror})")
    if size == 0:
        return Finished(b"", 0, "the PDF is empty (0 bytes)")
    try:
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
            if pages < 1:
                return Finished(b"", 0, "the PDF has no pages")
            meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
            part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
            if part is None:
                problem = "not PDF/A: its XMP metadata has no PDF/A identification (pdfaid:part)"
                return Finished(b"", pages, problem)
            if str(part).strip() != "2" or str(conformance or "").strip().upper() != "B":
                shown = f"{str(part).strip()}{str(conformance or '?').strip().lower()}"
                return Finished(b"", pages, f"PDF/A-{shown}, not PDF/A-2b")
            return Finished(_mended(pdf), pages)
    except _READ_ERRORS as exc:  # pikepdf's own, and what a damaged object tree gives
        return Finished(b"", 0, f"not a readable PDF ({type(exc).__name__}: {exc})")


def _mended(pdf: pikepdf.Pdf) -> bytes:
    """The open PDF's bytes with its tab order, figures, empty paragraphs and XMP text mended."""
    for page in pdf.pages:
        # Tab order follows the structure tree (PDF/UA-1 7.18.3), for every page.
        page.obj.Tabs = pikepdf.Name.S
    _mend_metadata(pdf)
    tree = pdf.Root.get("/StructTreeRoot")
    if isinstance(tree, pikepdf.Dictionary):
        elements = _walk(tree)  # once, for both mendings: a pack's tree has thousands
        _mend(elements, _roles(tree))
        _link_figures(pdf, tree, elements)
    out = io.BytesIO()
    # Without object streams the file also stays checkable as PDF/A-1, which forbids
    # them (PDFBox Preflight, the one free validator, knows only PDF/A-1).
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


# Document info entries and the XMP properties that must hold the same text (ISO 19005-2 6.6.3).
_INFO_IN_XMP = {
    "/Title": "dc:title",
    "/Subject": "dc:description",
    "/Keywords": "pdf:Keywords",
    "/Author": "dc:creator",
}


def _mend_metadata(pdf: pikepdf.Pdf) -> None:
    """Give XMP the document info's text where LibreOffice escaped it twice."""
    info = pdf.docinfo
    xmp = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
    fixes: dict[str, str | list[str]] = {}
    for key, name in _INFO_IN_XMP.items():
        if key not in info or name not in xmp:
            continue
        wanted = str(info[key])
        have = xmp[name]
        if isinstance(have, str):
            if have != wanted and html.unescape(have) == wanted:
                fixes[name] = wanted
        elif have != [wanted] and [html.unescape(str(item)) for item in have] == [wanted]:
            fixes[name] = [wanted]  # dc:creator, a list of one author
    if fixes:
        # Not marked as edited, so XMP's dates and producer still match the document info.
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as editing:
            for name, value in fixes.items():
                editing[name] = value


Roles = dict[str, str]  # the structure tree's role map, read once into Python


def _roles(tree: pikepdf.Dictionary) -> Roles:
    # Read once: looking each element's type up in pikepdf's own dictionary, for every element
    # of a pack's tree, was most of the time this module took.
    role_map = tree.get("/RoleMap")
    if not isinstance(role_map, pikepdf.Dictionary):
        return {}
    return {str(key): str(value) for key, value in role_map.items()}


Element = tuple[pikepdf.Dictionary, list[pikepdf.Object]]  # a structure element and its /K


def _walk(tree: pikepdf.Dictionary) -> list[Element]:
    """Every structure element under the root, depth first, each with its /K as a list."""
    found: list[Element] = []
    stack: list[pikepdf.Object] = [tree]
    while stack:
        current = stack.pop()
        if not isinstance(current, pikepdf.Dictionary):
            continue
        kids = _kids(current)
        if "/S" in current:
            found.append((current, kids))
        stack.extend(reversed([kid for kid in kids if _is_element(kid)]))
    return found


def _mend(elements: list[Element], roles: Roles) -> None:
    """Retag wrapper figures and drop empty paragraphs throughout a structure tree."""
    for index, (parent, kids) in enumerate(elements):
        keep = [kid for kid in kids if not _is_empty_paragraph(kid, roles)]
        if len(keep) != len(kids):
            parent.K = pikepdf.Array(keep)
            elements[index] = (parent, keep)
        if _standard(parent, roles) == "/Figure" and _is_wrapper(parent, roles):
            # The paragraph holding the chart: a paragraph, as any other style gives.
            parent.S = pikepdf.Name.P


def _elements(node: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    """The structure elements under a node (the node too, unless it is the root), depth first."""
    stack: list[pikepdf.Object] = [node]
    while stack:
        current = stack.pop()
        if not isinstance(current, pikepdf.Dictionary):
            continue
        if "/S" in current:
            yield current
        stack.extend(reversed([kid for kid in _kids(current) if _is_element(kid)]))


def _is_element(node: object) -> bool:
    """Whether a /K entry is a structure element (not a marked-content id or reference)."""
    return isinstance(node, pikepdf.Dictionary) and "/S" in node


def _kids(node: pikepdf.Object) -> list[pikepdf.Object]:
    """A node's /K as a list: structure elements, marked-content ids and references."""
    kids = node.get("/K") if isinstance(node, pikepdf.Dictionary) else None
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _standard(element: pikepdf.Object, roles: Roles) -> str | None:
    """The standard structure type of an element, following the role map."""
    if not _is_element(element):
        return None
    kind = str(element.S)
    seen = set()
    while kind in roles and kind not in seen and roles[kind] != kind:
        seen.add(kind)
        kind = roles[kind]
    return kind


def _is_empty_paragraph(element: pikepdf.Object, roles: Roles) -> bool:
    """Whether an element is a paragraph with no content: LibreOffice's page-break paragraphs."""
    if not isinstance(element, pikepdf.Dictionary):
        return False
    content = element.get("/K")  # first: most elements have content, and this is cheap
    if content is not None and not (isinstance(content, pikepdf.Array) and len(content) == 0):
        return False
    return (
        _standard(element, roles) == "/P" and "/ActualText" not in element and "/Alt" not in element
    )


def _is_wrapper(figure: pikepdf.Dictionary, roles: Roles) -> bool:
    """Whether a Figure without alternative text only wraps other, described figures."""
    if "/Alt" in figure or "/ActualText" in figure:
        return False
    inner = list(_elements(figure))[1:]
    return any(_standard(kid, roles) == "/Figure" for kid in inner)


def _link_figures(pdf: pikepdf.Pdf, tree: pikepdf.Dictionary, elements: list[Element]) -> None:
    """Make each page's images the content of the described Figures LibreOffice left empty."""
    # LibreOffice 7.4 draws an inline picture as an Artifact, so its Figure (with the Alt)
    # points at nothing on the page; retagging the Artifact as the Figure's marked content
    # links the two, as a screen reader walking the page expects.
    nums = _parent_nums(tree)
    if nums is None:
        return
    roles = _roles(tree)
    empty: dict[tuple[int, int], list[pikepdf.Dictionary]] = {}
    for element, kids in elements:
        if kids or not element.is_indirect or _standard(element, roles) != "/Figure":
            continue
        where = element.get("/Pg")
        if isinstance(where, pikepdf.Dictionary):
            empty.setdefault(where.objgen, []).append(element)
    for page in pdf.pages:
        figures = empty.get(page.obj.objgen, [])
        if not figures:
            continue
        instructions = list(pikepdf.parse_content_stream(page))
        images = _artifact_images(page, instructions)
        if len(images) != len(figures):
            continue  # pairing them would be a guess; leave the page as it is
        marks = _page_marks(pdf, tree, nums, page)
        if marks is None:
            continue
        for index, figure in zip(images, figures, strict=True):
            mcid = len(marks)
            instructions[index] = pikepdf.ContentStreamInstruction(
                [pikepdf.Name.Figure, pikepdf.Dictionary(MCID=mcid)], pikepdf.Operator("BDC")
            )
            marks.append(figure)
            figure.K = mcid
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))


def _parent_nums(tree: pikepdf.Dictionary) -> pikepdf.Array | None:
    """The parent tree's /Nums, when the tree is that one flat array, as LibreOffice writes it."""
    parent_tree = tree.get("/ParentTree")
    if not isinstance(parent_tree, pikepdf.Dictionary) or "/Kids" in parent_tree:
        return None
    nums = parent_tree.get("/Nums")
    return nums if isinstance(nums, pikepdf.Array) else None


def _page_marks(
    pdf: pikepdf.Pdf, tree: pikepdf.Dictionary, nums: pikepdf.Array, page: pikepdf.Page
) -> pikepdf.Array | None:
    """The parent-tree array of a page's marked content (by MCID), made if the page had none."""
    pairs = list(nums)
    keys = [int(key) for key in pairs[::2]]
    key = page.obj.get("/StructParents")
    if key is not None:
        if int(key) not in keys:
            return None
        found = pairs[2 * keys.index(int(key)) + 1]
        return found if isinstance(found, pikepdf.Array) else None
    # A page holding only the chart had no tagged content, so no entry; keys stay in order.
    new_key = max(keys, default=-1) + 1
    marks = pdf.make_indirect(pikepdf.Array())
    nums.append(new_key)
    nums.append(marks)
    tree.ParentTreeNextKey = new_key + 1
    page.obj.StructParents = new_key
    return marks


def _artifact_images(page: pikepdf.Page, instructions: list[Any]) -> list[int]:
    """Where each /Artifact marked-content sequence holding just one image (and no text) opens."""
    found = []
    stack: list[tuple[int, bool]] = []  # (opening instruction, is a candidate artifact)
    images: dict[int, int] = {}
    spoiled: set[int] = set()
    resources = page.obj.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return []
    for index, instruction in enumerate(instructions):
        if not isinstance(instruction, pikepdf.ContentStreamInstruction):
            continue
        operator = str(instruction.operator)
        if operator in ("BMC", "BDC"):
            artifact = operator == "BMC" and instruction.operands[0] == pikepdf.Name.Artifact
            stack.append((index, artifact))
        elif operator == "EMC" and stack:
            start, artifact = stack.pop()
            if artifact and images.get(start) == 1 and start not in spoiled:
                found.append(start)
        elif stack and stack[-1][1]:
            start = stack[-1][0]
            if operator == "Do":
                xobject = xobjects.get(str(instruction.operands[0]))
                if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Image":
                    images[start] = images.get(start, 0) + 1
                else:
                    spoiled.add(start)
            elif operator in ("BT", "BI"):
                spoiled.add(start)
    return sorted(found)
