"""A walk of a tagged PDF's structure tree with pikepdf: what a screen reader is handed.

Each check returns the problems it finds as sentences naming the page, so a failing test reads
as a list of what is wrong; an empty list is a pass.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf

__all__ = [
    "Element",
    "bookmark_problems",
    "bookmarks",
    "catalog_problems",
    "contents_entries",
    "elements",
    "empty_paragraph_problems",
    "figure_problems",
    "heading_problems",
    "iter_problems",
    "structure_problems",
    "tab_order_problems",
    "table_problems",
]

_HEADING = re.compile(r"/H([1-6])?")


@dataclass(frozen=True)
class Element:
    """One structure element: its standard type, where it is, and what it holds."""

    kind: str  # the standard type, through the role map: /P, /H1, /Figure ...
    tag: str  # the type as written, often a Word style's name
    page: int | None  # from 1; None when the element names no page
    depth: int
    alt: str | None
    content: int  # marked-content ids and object references directly under it
    children: tuple[str, ...]  # the standard types of the elements directly under it
    inside: tuple[str, ...]  # the standard types of the elements it is inside, outermost first


def elements(pdf: pikepdf.Pdf) -> list[Element]:
    """Every structure element of a PDF in reading (tree) order."""
    tree = pdf.Root.get("/StructTreeRoot")
    if not isinstance(tree, pikepdf.Dictionary):
        return []
    role_map = tree.get("/RoleMap")
    roles = role_map if isinstance(role_map, pikepdf.Dictionary) else pikepdf.Dictionary()
    pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    found: list[Element] = []

    def walk(node: pikepdf.Dictionary, inside: tuple[str, ...], page: int | None) -> None:
        kids = _kids(node)
        kind = _standard(str(node.S), roles)
        where = node.get("/Pg")
        if isinstance(where, pikepdf.Dictionary):
            page = pages.get(where.objgen, page)
        alt = node.get("/Alt", node.get("/ActualText"))
        subs = [kid for kid in kids if _is_element(kid)]
        found.append(
            Element(
                kind=kind,
                tag=str(node.S),
                page=page,
                depth=len(inside),
                alt=None if alt is None else str(alt),
                content=len(kids) - len(subs),
                children=tuple(_standard(str(sub.S), roles) for sub in subs),
                inside=inside,
            )
        )
        for sub in subs:
            walk(sub, (*inside, kind), page)

    for top in _kids(tree):
        if _is_element(top):
            walk(top, (), None)
    return found


def _kids(node: pikepdf.Dictionary) -> list[pikepdf.Object]:
    """A node's /K as a list."""
    kids = node.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _is_element(node: object) -> bool:
    """Whether a /K entry is a structure element rather than content."""
    return isinstance(node, pikepdf.Dictionary) and "/S" in node


def _standard(kind: str, roles: pikepdf.Dictionary) -> str:
    """A structure type followed through the role map to a standard one."""
    seen: set[str] = set()
    while kind in roles and kind not in seen and str(roles[kind]) != kind:
        seen.add(kind)
        kind = str(roles[kind])
    return kind


def _where(element: Element) -> str:
    return f"page {element.page}" if element.page is not None else "no page"


def heading_problems(found: list[Element]) -> list[str]:
    """Headings start at H1, never skip a level going down, and run in page order; a document
    using numbered headings uses no plain /H (PDF/UA-1 7.4.4 allows one kind or the other)."""
    problems = []
    level = 0
    last_page = 0
    numbered = any(re.fullmatch(r"/H[1-6]", element.kind) for element in found)
    for element in found:
        match = _HEADING.fullmatch(element.kind)
        if match is None:
            continue
        if match.group(1) is None:
            if numbered:
                problems.append(f"{_where(element)}: a plain /H ({element.tag}) among H1-H6")
            continue
        new = int(match.group(1))
        if new > level + 1:
            problems.append(
                f"{_where(element)}: heading H{new} ({element.tag}) follows "
                + (f"H{level}" if level else "no heading")
                + f", skipping H{level + 1}"
            )
        level = new
        if element.page is not None:
            if element.page < last_page:
                problems.append(f"{_where(element)}: a heading after one on page {last_page}")
            last_page = element.page
    return problems


def figure_problems(found: list[Element]) -> list[str]:
    """Every Figure has alternative text and marks its image; none holds another Figure."""
    problems = []
    for element in found:
        if element.kind != "/Figure":
            continue
        if "/Figure" in element.children:
            problems.append(f"{_where(element)}: a Figure ({element.tag}) holding another Figure")
        if not (element.alt or "").strip():
            problems.append(f"{_where(element)}: a Figure ({element.tag}) without /Alt")
        if element.content == 0 and not element.children:
            problems.append(f"{_where(element)}: a Figure ({element.tag}) marking no content")
    return problems


def table_problems(found: list[Element]) -> list[str]:
    """Every table has header (TH) cells."""
    problems = []
    for index, element in enumerate(found):
        if element.kind != "/Table":
            continue
        cells = []
        for inner in found[index + 1 :]:
            if inner.depth <= element.depth:
                break
            cells.append(inner.kind)
        if "/TH" not in cells:
            problems.append(f"{_where(element)}: a table with no TH header cells")
    return problems


def empty_paragraph_problems(found: list[Element]) -> list[str]:
    """No paragraph or heading is tagged that holds nothing."""
    return [
        f"{_where(e)}: an empty tagged {'paragraph' if e.kind == '/P' else 'heading'} ({e.tag})"
        for e in found
        if (e.kind == "/P" or _HEADING.fullmatch(e.kind))
        and e.content == 0
        and not e.children
        and e.alt is None
    ]


def catalog_problems(pdf: pikepdf.Pdf, language: str = "en-GB") -> list[str]:
    """The document states its language and asks viewers to show its title."""
    problems = []
    lang = pdf.Root.get("/Lang")
    if lang is None or str(lang) != language:
        problems.append(f"the catalog's /Lang is {lang if lang is None else str(lang)!r}, "
                        f"not {language!r}")  # fmt: skip
    preferences = pdf.Root.get("/ViewerPreferences")
    shown = preferences.get("/DisplayDocTitle") if preferences is not None else None
    if shown is not True:
        problems.append(f"/ViewerPreferences /DisplayDocTitle is {shown!r}, not true")
    return problems


def tab_order_problems(pdf: pikepdf.Pdf) -> list[str]:
    """Every page's /Tabs is the name /S: keys move in structure order."""
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        tabs = page.obj.get("/Tabs")
        if not (isinstance(tabs, pikepdf.Name) and tabs == pikepdf.Name.S):
            problems.append(f"page {number}: /Tabs is {tabs!r}, not the name /S")
    return problems


def bookmarks(pdf: pikepdf.Pdf) -> list[tuple[str, int | None]]:
    """The top-level bookmarks: each title and the page (from 1) it opens at."""
    pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    found = []
    with pdf.open_outline() as outline:
        for item in outline.root:
            dest = item.destination
            if isinstance(dest, (pikepdf.String, pikepdf.Name)):
                dest = pdf.Root.get("/Dests", {}).get(str(dest))
            page = None
            if isinstance(dest, pikepdf.Array) and isinstance(dest[0], pikepdf.Dictionary):
                page = pages.get(dest[0].objgen)
            found.append((item.title, page))
    return found


def contents_entries(path: Path, page: int) -> list[tuple[str, int]]:
    """The entries of a contents page as pdftotext reads them: (title, page named)."""
    text = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-raw", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    entries = []
    wrapped: list[str] = []  # the lines of a long title before the one with its page number
    for line in text.splitlines()[1:]:  # the first line is the page's heading
        match = re.fullmatch(r"\s*(?:\d+\.\s+)?(.+?)\s*\.{3,}\s*(\d+)\s*", line)
        if match is None:
            wrapped.append(line.strip())
            continue
        title = " ".join([*wrapped, match.group(1)])
        entries.append((re.sub(r"^\d+\.\s+", "", title), int(match.group(2))))
        wrapped = []
    return entries


def bookmark_problems(pdf: pikepdf.Pdf, path: Path, contents_page: int) -> list[str]:
    """Each contents entry has a bookmark, titled as it is, opening at the page it names."""
    marks = bookmarks(pdf)
    entries = contents_entries(path, contents_page)
    if not entries:
        return [f"page {contents_page}: no contents entries found"]
    problems = []
    unused = list(marks)  # matched in order, so two papers of the same name each get theirs
    for title, page in entries:
        matching = [m for m in unused if m[0] == title or m[0].startswith(f"{title}: ")]
        if not matching:
            problems.append(f"contents entry {title!r} (page {page}) has no bookmark")
            continue
        mark, opens = matching[0]
        del unused[: unused.index(matching[0]) + 1]
        if opens != page:
            problems.append(
                f"contents entry {title!r} names page {page}; its bookmark {mark!r} opens page "
                f"{opens}"
            )
    return problems


def structure_problems(path: Path, *, contents_page: int | None = None) -> dict[str, list[str]]:
    """Every check on one PDF, by name; the bookmark check only when it has a contents page."""
    with pikepdf.open(path) as pdf:
        found = elements(pdf)
        problems = {
            "headings": heading_problems(found),
            "figures": figure_problems(found),
            "tables": table_problems(found),
            "empty paragraphs": empty_paragraph_problems(found),
            "catalog": catalog_problems(pdf),
            "tab order": tab_order_problems(pdf),
        }
        if contents_page is not None:
            problems["bookmarks"] = bookmark_problems(pdf, path, contents_page)
    return problems


def iter_problems(problems: dict[str, list[str]]) -> Iterator[str]:
    """Every problem as one line prefixed with its check's name."""
    for check, found in problems.items():
        for problem in found:
            yield f"{check}: {problem}"
