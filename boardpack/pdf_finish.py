"""Finishing LibreOffice's PDFs: the tagging and metadata fixes no export option asks for.

LibreOffice 7.4 writes a page's tab order as the string (S) where PDF/UA needs the name /S (and
none on pages without links); tags the empty paragraphs that carry page breaks; tags a paragraph
whose style is named "Figure" as a Figure, without alternative text, around the chart's own; and
escapes a title's ' or & twice in XMP (dc:title "children&apos;s" for the document info's
"children's"), where PDF/A requires the two to agree. No export option changes these
(PDFUACompliance leaves them all, and remaps the standard type /Figure to /P, which PDF/UA
forbids), so they are mended here with pikepdf. Page content, fonts and the document info stay as
LibreOffice wrote them, so the file stays the PDF/A-2b it was verified to be.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterator
from pathlib import Path

import pikepdf

from boardpack.errors import ConversionError

__all__ = ["finished"]


def finished(path: Path) -> bytes:
    """The PDF at `path` with its page tab order, figures and empty paragraphs mended."""
    try:
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                # Tab order follows the structure tree (PDF/UA-1 7.18.3), for every page.
                page.obj.Tabs = pikepdf.Name.S
            _mend_metadata(pdf)
            tree = pdf.Root.get("/StructTreeRoot")
            if isinstance(tree, pikepdf.Dictionary):
                _mend(tree)
            out = io.BytesIO()
            # Without object streams the file also stays checkable as PDF/A-1, which forbids
            # them (PDFBox Preflight, the one free validator, knows only PDF/A-1).
            pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        raise ConversionError(f"cannot finish the PDF LibreOffice made: {exc}") from exc
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


def _mend(tree: pikepdf.Dictionary) -> None:
    """Retag wrapper figures and drop empty paragraphs throughout a structure tree."""
    role_map = tree.get("/RoleMap")
    roles = role_map if isinstance(role_map, pikepdf.Dictionary) else pikepdf.Dictionary()
    for parent in list(_elements(tree)):
        kids = _kids(parent)
        keep = [kid for kid in kids if not _is_empty_paragraph(kid, roles)]
        if len(keep) != len(kids):
            parent.K = pikepdf.Array(keep)
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


def _standard(element: pikepdf.Object, roles: pikepdf.Dictionary) -> str | None:
    """The standard structure type of an element, following the role map."""
    if not _is_element(element):
        return None
    kind = str(element.S)
    seen = set()
    while kind in roles and kind not in seen and str(roles[kind]) != kind:
        seen.add(kind)
        kind = str(roles[kind])
    return kind


def _is_empty_paragraph(element: pikepdf.Object, roles: pikepdf.Dictionary) -> bool:
    """Whether an element is a paragraph with no content: LibreOffice's page-break paragraphs."""
    return (
        _standard(element, roles) == "/P"
        and not _kids(element)
        and "/ActualText" not in element
        and "/Alt" not in element
    )


def _is_wrapper(figure: pikepdf.Dictionary, roles: pikepdf.Dictionary) -> bool:
    """Whether a Figure without alternative text only wraps other, described figures."""
    if "/Alt" in figure or "/ActualText" in figure:
        return False
    inner = list(_elements(figure))[1:]
    return any(_standard(kid, roles) == "/Figure" for kid in inner)
