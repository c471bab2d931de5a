"""Before docxtpl: is this Word template safe to render, and safe to send on in every paper?

A template comes by email from anyone. Its zip is checked as a workbook's is (guard.py), then
every part is read, with lxml and no DTDs, for what would reach outside the paper when Word or
LibreOffice opens it: pictures and objects linked rather than stored, an attached template,
frames, sub-documents, chunks of other documents, mail-merge sources, and fields that fetch
files or data. Only web and e-mail hyperlinks may point outside. Template tags may sit only in a
paragraph's text, never in an attribute, a field's code or a comment, so that nothing a tag
does can write a field or a link these checks did not see. A template's bytes are checked once
per process.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from boardpack.errors import BoardpackError, TemplateProblem
from boardpack.guard import Kind, checked_bytes, detail, local_name, open_archive


def _template_problem(source: str, message: str, where: str | None) -> BoardpackError:
    return TemplateProblem(f"{where or source}: {message}")


TEMPLATE = Kind(
    noun="template",
    a_noun="a Word template",
    typical="paper's Word template",
    slimmer="make its pictures smaller",
    app="Word",
    expected="a Word document (.docx)",
    resave="open it in Word and save it as a Word Document (.docx)",
    fresh_copy="ask whoever sent it for a fresh copy saved from Word",
    old_format="an old Word 97-2003 document (.doc)",
    encryption="Protect Document",
    xml_2003=(b"urn:schemas-microsoft-com:office:word", "a Word 2003 XML document"),
    others=(
        ("xl/workbook.xml", "an Excel workbook"),
        ("xl/workbook.bin", "an Excel Binary Workbook (.xlsb)"),
        ("ppt/presentation.xml", "a PowerPoint presentation"),
        ("content.xml", "an OpenDocument file (.odt)"),
    ),
    refuse=_template_problem,
)

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_O = "urn:schemas-microsoft-com:office:office"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_FLD_SIMPLE, _FLD_CHAR, _T = f"{{{_W}}}fldSimple", f"{{{_W}}}fldChar", f"{{{_W}}}t"
_INSTR = (f"{{{_W}}}instrText", f"{{{_W}}}delInstrText")
_INSTR_ATTR, _FLD_CHAR_TYPE = f"{{{_W}}}instr", f"{{{_W}}}fldCharType"
_LINK = f"{{{_R}}}link"
_HYPERLINK_ELEMENTS = frozenset({"hyperlink", "hlinkClick", "hlinkHover", "hlinkMouseOver"})
_SCHEMES = ("http", "https", "mailto")  # the only places a link may lead
_TAG_MARKS = ("{{", "{%", "{#", "}}", "%}", "#}")  # Jinja's delimiters, opening and closing

# The parts docxtpl hands to Jinja as markup: the body, headers, footers and footnotes.
_RENDERED = tuple(
    f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml"
    for kind in ("document.main", "header", "footer", "footnotes")
)

# Fields whose result comes from outside the document (ECMA-376 part 1, 17.16.5, and Word's own
# DDE and IMPORT), or that run something.
_FETCHING_FIELDS = {
    "INCLUDEPICTURE": "fetches a picture from a file or web address",
    "IMPORT": "fetches a picture from a file or web address",
    "INCLUDETEXT": "fetches text from another file",
    "INCLUDE": "fetches text from another file",
    "LINK": "fetches an object from another file",
    "DDE": "fetches data from another program (DDE)",
    "DDEAUTO": "fetches data from another program (DDE)",
    "DATABASE": "fetches data from a database",
    "RD": "brings another file into the contents or index",
    "AUTOTEXT": "fetches text from the attached template",
    "AUTOTEXTLIST": "fetches text from the attached template",
    "GLOSSARY": "fetches text from the attached template",
    "MACROBUTTON": "runs a macro",
    "PRINT": "sends commands to the printer",
}

# Relationships that reach outside whatever their target: names for a manager.
_RELATIONSHIP_NAMES = {
    "image": "a picture linked to",
    "attachedTemplate": "the attached template",
    "subDocument": "a sub-document",
    "frame": "a frame showing",
    "oleObject": "an object linked to",
    "package": "an object linked to",
    "aFChunk": "a chunk of another document",
    "mailMergeSource": "a mail-merge data source",
    "mailMergeHeaderSource": "a mail-merge data source",
    "recipientData": "a mail-merge data source",
    "hyperlink": "a link to",
    "video": "a video linked to",
    "audio": "a sound linked to",
    "media": "media linked to",
}
_ALWAYS_REFUSED = {
    "aFChunk": "a chunk of another document (altChunk), which boardpack cannot check",
    "vbaProject": "macros",
    "control": "an ActiveX control",
    "activeXControlBinary": "an ActiveX control",
}
_ELEMENTS_REFUSED = {
    "altChunk": "a chunk of another document (altChunk), which boardpack cannot check",
    "subDoc": "a sub-document",
    "mailMerge": "mail-merge settings, which connect to a data source",
}

ADVICE = (
    "A template must hold everything it shows: in Word, insert pictures with Insert > Pictures >"
    " This Device (not Link to File), remove linked objects and fields that fetch (Alt+F9 shows"
    " field codes), clear the attached template (Developer > Document Template), keep template"
    " tags in ordinary text, then save and check again"
)

_VETTED: set[bytes] = set()  # digests of template bytes already found safe in this process
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_LINKED = etree.XPath("//*[@r:link]", namespaces={"r": _R})


def vetted_bytes(path: Path) -> bytes:
    """The template's bytes, once its zip and every part are known to be safe."""
    source = path.name
    data = checked_bytes(path, source, TEMPLATE)
    digest = hashlib.sha256(data).digest()
    if digest not in _VETTED:
        with open_archive(data, source, TEMPLATE) as archive:
            problems = _problems(archive, source)
        if problems:
            raise refusal(source, problems)
        _VETTED.add(digest)
    return data


def refusal(source: str, problems: list[str]) -> TemplateProblem:
    """One error naming every problem found in a template."""
    noun = "problem" if len(problems) == 1 else "problems"
    lines = "\n".join(f"  {p}" for p in problems)
    return TemplateProblem(
        f"{source}: is refused, {len(problems)} {noun}; nothing was built from it:\n{lines}\n"
        f"{ADVICE}"
    )


def _problems(archive: zipfile.ZipFile, source: str) -> list[str]:
    content_types = _content_types(archive, source)
    external: dict[str, set[str]] = {}  # part -> ids of its relationships that point outside
    problems: list[str] = []
    names = archive.namelist()
    for name in names:
        if name.endswith(".rels"):
            owner, ids = _relationship_problems(archive, name, source, problems)
            external[owner] = ids
    for name in names:
        if name.endswith(".rels") or name == "[Content_Types].xml":
            continue
        extension = name.rpartition(".")[2].casefold()
        kind = content_types.get(name) or content_types.get(f".{extension}", "")
        if not (kind.endswith("xml") or extension == "xml"):
            continue  # pictures, fonts, embedded binaries: never parsed as markup
        data = archive.read(name)
        rendered = kind in _RENDERED
        if rendered and b"<![CDATA[" in data:
            problems.append(f"{name}: holds a CDATA section, which Word never writes")
        root = _parse(data, name, source)
        problems += tree_problems(root, name, external.get(name, set()), rendered=rendered)
    return problems


def _parse(data: bytes, name: str, source: str) -> Any:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise TemplateProblem(
            f"{source}: is damaged: part {name} cannot be read ({detail(exc)}); open it in"
            " Word and save it as a Word Document (.docx)"
        ) from exc


def _content_types(archive: zipfile.ZipFile, source: str) -> dict[str, str]:
    """Content types by part name, and by ".extension" for the defaults."""
    root = _parse(archive.read("[Content_Types].xml"), "[Content_Types].xml", source)
    types: dict[str, str] = {}
    for element in root:
        if local_name(element.tag) == "Default":
            types["." + element.get("Extension", "").casefold()] = element.get("ContentType", "")
        elif local_name(element.tag) == "Override":
            types[element.get("PartName", "").lstrip("/")] = element.get("ContentType", "")
    return types


def _relationship_problems(
    archive: zipfile.ZipFile, name: str, source: str, problems: list[str]
) -> tuple[str, set[str]]:
    """The part a .rels part belongs to and the ids of its external relationships; appends a
    problem for each relationship that reaches outside other than a web or e-mail link."""
    folder, _, file = name.rpartition("/")
    owner = posixpath.join(posixpath.dirname(folder), file.removesuffix(".rels"))
    external: set[str] = set()
    for element in _parse(archive.read(name), name, source).iter(f"{{{_RELS}}}Relationship"):
        rid, target = element.get("Id", ""), element.get("Target", "")
        kind = element.get("Type", "").rpartition("/")[2]
        where = f"{name}: relationship {rid}"
        if kind in _ALWAYS_REFUSED:
            problems.append(f"{where} brings in {_ALWAYS_REFUSED[kind]}")
        elif element.get("TargetMode") == "External":
            external.add(rid)
            if kind != "hyperlink":
                what = _RELATIONSHIP_NAMES.get(kind, f"an outside {kind} at")
                problems.append(
                    f"{where}: {what} '{target}', outside the document, which Word or"
                    " LibreOffice would fetch when the paper is opened"
                )
            elif not _allowed_link(target):
                problems.append(
                    f"{where}: a link to '{target}'; only web (http, https) and e-mail (mailto)"
                    " links are allowed"
                )
        elif _has_scheme(target) or target.startswith("\\\\"):
            problems.append(f"{where}: a part at '{target}', which is not inside the document")
    return owner, external


def tree_problems(root: Any, part: str, external: set[str], *, rendered: bool) -> list[str]:
    """What in one part's markup reaches outside, or hides from these checks if `rendered`."""
    problems = _field_problems(root, part, rendered=rendered)
    for element in root.iter(tag=etree.Element):
        name = local_name(element.tag)
        if name in _ELEMENTS_REFUSED:
            problems.append(f"{part}: holds {_ELEMENTS_REFUSED[name]}{_near(element)}")
        if name == "OLEObject" and element.get("Type") == "Link":
            problems.append(f"{part}: holds an object linked to another file{_near(element)}")
        for attribute, value in element.attrib.items():
            problem = _attribute_problem(element, name, attribute, value, external, rendered)
            if problem:
                problems.append(f"{part}: {problem}{_near(element)}")
    if rendered:
        for other in root.iter(etree.Comment, etree.ProcessingInstruction):
            kind = "an XML comment" if other.tag is etree.Comment else "a processing instruction"
            problems.append(
                f"{part}: holds {kind}, which Word never writes and which could hide markup"
                f" from these checks{_near(other)}"
            )
    return problems


def _attribute_problem(
    element: Any, name: str, attribute: str, value: str, external: set[str], rendered: bool
) -> str | None:
    short = local_name(attribute) if attribute.startswith("{") else attribute
    if attribute == _LINK:
        return f"a picture or media linked to relationship {value}, not stored in the document"
    if attribute.startswith(f"{{{_R}}}") and value in external and name not in _HYPERLINK_ELEMENTS:
        return f"{name} takes its content from outside the document (relationship {value})"
    if short == "src" and value.strip():
        return f"{name} is linked to '{value}', outside the document"
    if short == "href" and value.strip() and not _allowed_link(value):
        return f"a link to '{value}'; only web (http, https) and e-mail (mailto) links are allowed"
    if rendered and any(mark in value for mark in _TAG_MARKS):
        return f"a template tag in a setting of the text ('{value}'); keep tags in ordinary text"
    return None


class _Field:
    """A complex field being read: its code, until its separator."""

    def __init__(self, start: Any) -> None:
        self.start = start
        self.code: list[str] = []
        self.in_code = True


def _field_problems(root: Any, part: str, *, rendered: bool) -> list[str]:
    """Fields that fetch, in w:fldSimple and in complex fields (w:fldChar ... w:instrText)."""
    problems: list[str] = []
    open_fields: list[_Field] = []
    tags = (_FLD_SIMPLE, _FLD_CHAR, *_INSTR, *((_T,) if rendered else ()))
    for element in root.iter(*tags):
        if element.tag == _FLD_SIMPLE:
            problems += _code_problems(element.get(_INSTR_ATTR, ""), element, part)
        elif element.tag == _FLD_CHAR:
            kind = element.get(_FLD_CHAR_TYPE)
            if kind == "begin":
                open_fields.append(_Field(element))
            elif kind == "separate" and open_fields:
                open_fields[-1].in_code = False
            elif kind == "end" and open_fields:
                field = open_fields.pop()
                problems += _code_problems("".join(field.code), field.start, part)
        else:
            text = element.text or ""
            in_code = any(field.in_code for field in open_fields)
            if rendered and (in_code or element.tag != _T) and not _placing_only(text):
                problems.append(
                    f"{part}: a template tag other than a {{{{ value }}}} inside a field's code"
                    f" ('{text.strip()}'); keep other tags in ordinary text{_near(element)}"
                )
            if element.tag == _T:
                continue
            if open_fields and open_fields[-1].in_code:
                open_fields[-1].code.append(text)
            else:
                problems += _code_problems(text, element, part)
    for field in open_fields:
        problems += _code_problems("".join(field.code), field.start, part)
    return problems


def _code_problems(code: str, element: Any, part: str) -> list[str]:
    words = re.findall(r'"[^"]*"|\S+', code)  # a field code's words; quotes keep spaces
    if not words:
        return []
    keyword = words[0].upper()
    shown = " ".join(code.split())[:120]
    if _has_tag(keyword):
        return [f"{part}: the field {{ {shown} }} has its kind set by a tag{_near(element)}"]
    if keyword in _FETCHING_FIELDS:
        why = _FETCHING_FIELDS[keyword]
        return [f"{part}: the field {{ {shown} }} {why}{_near(element)}"]
    if keyword == "HYPERLINK":
        arguments = [w for w in words[1:] if not w.startswith("\\")]
        local = any(w.lower() == "\\l" for w in words[1:])
        target = arguments[0].strip('"') if arguments and not local else ""
        if target and not _allowed_link(target):
            return [
                f"{part}: the field {{ {shown} }} links to '{target}'; only web (http, https) and"
                f" e-mail (mailto) links are allowed{_near(element)}"
            ]
    return []


def _has_tag(text: str) -> bool:
    return any(mark in text for mark in _TAG_MARKS)


def _placing_only(text: str) -> bool:
    """Whether a field code's text holds only whole {{ value }} tags, which print escaped text
    and so cannot change the field's markup (a PAGEREF to a paper's bookmark, say)."""
    if any(mark in text for mark in ("{%", "{#", "%}", "#}")):
        return False
    return all(piece.count("}}") == 1 for piece in text.split("{{")[1:]) and (
        text.split("{{")[0].count("}}") == 0
    )


def _has_scheme(target: str) -> bool:
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target) is not None


def _allowed_link(target: str) -> bool:
    scheme = target.strip().partition(":")[0].casefold()
    return _has_scheme(target.strip()) and scheme in _SCHEMES


def _near(element: Any) -> str:
    """The text of the paragraph holding `element`, to find it by in Word."""
    paragraph = element
    while paragraph is not None and local_name(paragraph.tag) != "p":
        paragraph = paragraph.getparent()
    if paragraph is None:
        return ""
    text = " ".join("".join(paragraph.itertext(_T)).split())
    return f'; near "{text[:120]}"' if text else ""


def rendered_problems(parts: list[tuple[str, Any]]) -> list[str]:
    """Fields that fetch and linked pictures in rendered parts (name, root element): a last
    look at what docxtpl made, which the checks of the template itself should already rule out."""
    problems: list[str] = []
    for part, root in parts:
        problems += _field_problems(root, part, rendered=False)
        for element in _LINKED(root):
            problems.append(f"{part}: a picture or media linked from outside{_near(element)}")
    return problems
