"""A .docx package as boardpack writes it: its core properties, fixed entry times, and an
identifier that is a hash of its own final parts.

The same paper and template give the same bytes, so an archive can prove what was sent; the
identifier goes into the keywords, the one core property LibreOffice carries into the PDF, so a
PDF can be proved to be of this .docx (boardpack.outputs.proof). Parts that python-docx's blank
document carries and Word would repair (a stylesWithEffects that contradicts styles.xml, a zoom
without its percentage, a blank thumbnail) are tidied here, for the bundled templates and for a
council's restyled one alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import zipfile
from collections.abc import Iterable
from typing import Any

import docxcompose.utils  # noqa: F401  (imported first so the repair below comes after it)
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.oxml import serialize_part_xml
from docx.oxml.ns import nsmap, qn
from docx.oxml.parser import parse_xml

from boardpack.outputs.word.styles import rename_figure_style

CORE_PROPERTIES = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

# docxcompose.utils, imported by docxcompose and docxtpl, rebinds python-docx's "cp" prefix to
# the custom-properties namespace; python-docx resolves "cp:lastModifiedBy" and "cp:revision"
# through it when writing core properties, so they came out twice, the set ones in the wrong
# namespace. docxcompose resolves its own "cp" through a map of its own, so this is safe for it.
nsmap["cp"] = CORE_PROPERTIES

IDENTIFIER_PREFIX = "boardpack-"  # LibreOffice splits keywords at ":" and ",", not at "-"
PENDING_IDENTIFIER = IDENTIFIER_PREFIX + "pending"  # replaced by the identifier on saving
CORE_PART = "docProps/core.xml"
_KEYWORDS = f"{{{CORE_PROPERTIES}}}keywords"


def tidy_package(document: Any) -> None:
    """Remove or complete, in place, the parts of a python-docx Document that Word repairs.

    stylesWithEffects.xml (written by Word 2010 only, and by python-docx's blank document with
    160 styles and numbering that styles.xml lacks) is dropped: Word rebuilds it from
    styles.xml when it needs it. The thumbnail is dropped: a picture of a blank page is worse
    than none, and Word makes a real one when it saves. A zoom gets the percentage the schema
    requires of it."""
    part = document.part
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            del part.rels[rel_id]
    package = part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            del package.rels[rel_id]
    zoom = document.settings.element.find(qn("w:zoom"))
    if zoom is not None and zoom.get(qn("w:percent")) is None:
        zoom.set(qn("w:percent"), "100")
    rename_figure_style(document)


def document_timestamp(day: dt.date) -> dt.datetime:
    """When a document is said to be made: SOURCE_DATE_EPOCH if set, else the given day."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if re.fullmatch(r"\d+", epoch):
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    return dt.datetime.combine(day, dt.time())


def set_core_properties(
    document: Any, *, title: str, subject: str, author: str, made: dt.datetime
) -> None:
    """Give a python-docx Document's core properties (File > Info) what boardpack says of it."""
    # The `cp` prefix repaired above makes these real core properties.
    properties = document.core_properties
    properties.title = title
    properties.subject = subject
    properties.author = author
    properties.last_modified_by = author
    properties.language = "en-GB"
    properties.created = made
    properties.modified = made
    properties.revision = 1
    properties.comments = ""


def identified_bytes(document: Any, made: dt.datetime, *, saver: Any = None) -> bytes:
    """A python-docx Document's .docx bytes, its entries dated `made` and its keywords its
    identifier: a hash of its own final parts. `saver` saves it instead (a DocxTemplate)."""
    # The keywords are the one core property LibreOffice carries into the PDF (as /Keywords
    # and XMP pdf:Keywords; dc:identifier and custom properties are dropped), so they hold
    # the identifier that proves which .docx a PDF was made from (boardpack.outputs.proof).
    document.core_properties.keywords = PENDING_IDENTIFIER
    buffer = io.BytesIO()
    (saver if saver is not None else document).save(buffer)
    return deterministic_zip(buffer.getvalue(), made, identify=True)


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


def parts_identifier(entries: Iterable[tuple[str, bytes]]) -> str:
    """A package's identifier: a SHA-256 of every part but the core properties, names and
    bytes, in the package's order."""
    digest = hashlib.sha256()
    for name, content in entries:
        if name != CORE_PART:
            digest.update(f"{name}\0{len(content)}\0".encode())
            digest.update(content)
    return IDENTIFIER_PREFIX + digest.hexdigest()


def package_identifier(data: bytes) -> str:
    """The identifier a .docx's own parts give it, whatever its keywords say."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return parts_identifier((i.filename, package.read(i.filename)) for i in package.infolist())


def _with_identifier(entries: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The entries with the core properties' pending keywords replaced by the document's
    identifier (parts_identifier)."""
    identifier = parts_identifier(entries)
    stamped = []
    for name, content in entries:
        if name == CORE_PART:
            core = parse_xml(content)
            for keywords in core.iter(_KEYWORDS):
                if keywords.text == PENDING_IDENTIFIER:
                    keywords.text = identifier
            content = serialize_part_xml(core)
        stamped.append((name, content))
    return stamped
