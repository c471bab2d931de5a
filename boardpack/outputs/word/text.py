"""A Word document's text as it is printed, read from its body's XML as a stream, so that a
large paper need not be held in memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO
from xml.etree import ElementTree

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def printed_paragraphs(body: IO[bytes]) -> Iterator[str]:
    """The text of each paragraph of a document body (word/document.xml) as it is printed, in
    order: hidden runs left out, a tab after text as a space. Raises ElementTree.ParseError
    for XML that cannot be read."""
    pieces: list[str] = []
    hidden = False
    for event, element in ElementTree.iterparse(body, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _W + "r":
                hidden = False
            continue
        if tag == _W + "vanish" and element.get(_W + "val", "true") not in ("0", "false"):
            hidden = True  # hidden text is in the .docx but never in its PDF
        elif tag == _W + "t" and not hidden and element.text:
            pieces.append(element.text)
        elif tag == _W + "tab" and pieces:
            pieces.append(" ")
        elif tag == _W + "p":
            yield "".join(pieces)
            pieces = []
            element.clear()  # the body of a large paper need not stay in memory
