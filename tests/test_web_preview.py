"""`boardpack serve`'s previews through LibreOffice kept running (outputs/warm.py, as `boardpack
watch` keeps it): the manager's preview is converted by the warm workers, not a cold start."""

# ruff: noqa: F811 - the fixtures of test_web.py are imported, and named as parameters
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, edit_workbook
from tests.test_web import Cast, _upload, cast, client_for, web  # noqa: F401 - fixtures


class Counting:
    """The warm converter, counting the papers it is asked to convert."""

    def __init__(self, warm: Any) -> None:
        self.warm = warm
        self.converted: list[str] = []

    @property
    def closed(self) -> bool:
        return bool(self.warm.closed)

    def convert(self, docx_paths: Any, **options: Any) -> Any:
        self.converted.extend(Path(p).name for p in docx_paths)
        return self.warm.convert(docx_paths, **options)


@pytest.mark.libreoffice
def test_a_preview_is_converted_by_libreoffice_kept_running(
    cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boardpack.web import store

    manager = client_for(cast.manager)
    with store.warm_previews(workers=1) as warm:
        assert warm is not None, "LibreOffice could not be kept running here"
        counting = Counting(warm)
        monkeypatch.setattr(store, "_warm", counting)
        for number, title in enumerate(("Procurement", "Procurement Phase 2")):
            book = edit_workbook(EXAMPLE, tmp_path / f"{number}.xlsx", {"Paper!B2": title})
            _upload(manager, cast.paper, book)
            answer = manager.get(f"/papers/{cast.paper.pk}/preview.pdf")
            assert answer.status_code == 200
            pdf = tmp_path / f"{number}.pdf"
            pdf.write_bytes(b"".join(answer.streaming_content))
            answer.close()
            text = subprocess.run(
                ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
            assert f"{title}: Highlight Report" in text
        assert counting.converted == ["procurement.docx", "procurement.docx"]
        assert warm.restarts == 0
        # The same workbook again is the PDF made before: nothing converted.
        again = manager.get(f"/papers/{cast.paper.pk}/preview.pdf")
        again.close()
        assert len(counting.converted) == 2
    assert store.preview_converter() is None  # stopped with the block
