"""Tests of the sample document a new LibreOffice converts before the first paper."""

from __future__ import annotations

import io
from pathlib import Path

import docx

from boardpack.outputs.pdf import convert_to_pdf
from boardpack.outputs.word.sample import sample_document
from tests.docx_audit import audit
from tests.test_pdf import needs_poppler, needs_soffice
from tests.test_watch import pdf_text


def test_the_sample_is_a_word_document_with_bold_text_and_a_table(tmp_path: Path) -> None:
    data = sample_document()
    document = docx.Document(io.BytesIO(data))

    assert [p.text for p in document.paragraphs] == ["Sample"]
    assert document.paragraphs[0].runs[0].bold
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == [["Risk", "Score"]]
    sample = tmp_path / "sample.docx"
    sample.write_bytes(data)
    found = audit(sample)
    assert found.clean, str(found)


@needs_soffice
@needs_poppler
def test_libreoffice_converts_the_sample(tmp_path: Path) -> None:
    sample = tmp_path / "sample.docx"
    sample.write_bytes(sample_document())

    convert_to_pdf([sample])

    assert pdf_text(sample.with_suffix(".pdf")).split() == ["Sample", "Risk", "Score"]
