"""Convert: each rendered paper's .docx (and the pack's) made a PDF/A by LibreOffice and proven to
be that paper's, the first papers converting while the rest still render."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from boardpack.errors import BatchConversionError, ConversionError
from boardpack.files import sha256_of, write_atomic
from boardpack.pipeline.report import Converter, OnProgress, PackResult, PaperResult


class Background:
    """A function run in a thread; `wait` re-raises what it raised."""

    def __init__(self, work: Callable[[], None]) -> None:
        self._error: BaseException | None = None

        def run() -> None:
            try:
                work()
            except BaseException as exc:  # handed to the waiting thread, which re-raises it
                self._error = exc

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def join(self) -> None:
        """Wait for the function to end, whatever it raised."""
        self._thread.join()

    def wait(self) -> None:
        """Wait for the function to end, and raise what it raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error


# Measured on a 2-core machine: LibreOffice converts a paper in ~0.1 s and the pack in ~0.035 s
# a paper. The LibreOffice that converts the pack takes this share of the papers too, so that
# both finish together.
_PACK_SHARE = 0.25


def early_share(count: int, *, with_pack: bool) -> int:
    """How many of `count` papers the first LibreOffice converts, starting while the rest render:
    half without a pack, all but the pack's share with one; none of a lone paper."""
    if count < 2:
        return 0
    return count - int(count * _PACK_SHARE) if with_pack else count // 2


def make_pdfs(
    papers: list[PaperResult],
    timeout: float,
    jobs: int | None,
    notify: OnProgress,
    out: Path,
    pack: PackResult | None = None,
    *,
    stop: threading.Event | None = None,
    converter: Converter | None = None,
) -> None:
    """Convert papers (and the pack, if given and made) to PDF in one call, and prove each PDF
    is its paper's; errors name the files as they will be in `out`."""
    # Here, not at the top: they load pypdf and pikepdf, which a build without PDFs never needs.
    from boardpack.outputs.pdf import convert_to_pdf
    from boardpack.outputs.proof import prove_pdf

    by_docx = {p.docx: p for p in papers if p.docx is not None}
    documents = list(by_docx)
    if pack is not None and pack.docx is not None:
        documents.append(pack.docx)
    if not documents:
        return
    started = time.perf_counter()

    def done(docx: Path) -> None:
        if docx in by_docx:
            paper = by_docx[docx]
            made = docx.with_suffix(".pdf")
            try:
                # convert_to_pdf has just checked it is a PDF/A; what is left is whose it is.
                prove_pdf(made, docx, shown_in=out, checked=True)
                paper.pdf_sha256 = sha256_of(made)  # this build's bytes, in its own folder
            except ConversionError as exc:
                paper.fail(exc)
                made.unlink(missing_ok=True)  # never put in place as the paper's PDF
            else:
                paper.pdf = made
            notify("pdf", paper)

    converted: dict[Path, Path] = {}
    try:
        convert = converter or convert_to_pdf
        converted = convert(documents, timeout=timeout, jobs=jobs, on_done=done, cancel=stop)
    except ConversionError as exc:
        # Some papers may have converted before others failed; none did if LibreOffice is missing.
        converted = exc.converted if isinstance(exc, BatchConversionError) else {}
        for docx, paper in by_docx.items():
            if docx not in converted:
                paper.fail(exc)
        if pack is not None and pack.docx not in converted:
            pack.error = exc
    share = (time.perf_counter() - started) / len(documents)
    for paper in by_docx.values():
        paper.seconds += share
    if pack is not None and pack.docx in converted:
        pack.seconds += share
        _prove_pack(pack, timeout, out)


def _prove_pack(pack: PackResult, timeout: float, out: Path) -> None:
    """Prove the pack's converted PDF is its .docx's, with the contents' page numbers right."""
    from boardpack.outputs.proof import prove_pdf

    assert pack.docx is not None
    made = pack.docx.with_suffix(".pdf")
    started = time.perf_counter()
    try:
        prove_pdf(made, pack.docx, shown_in=out, checked=True)
        _finish_pack_pdf(pack, made, timeout, out)
    except ConversionError as exc:
        pack.error = exc
        made.unlink(missing_ok=True)
    else:
        pack.pdf = made
    pack.seconds += time.perf_counter() - started


def _finish_pack_pdf(pack: PackResult, made: Path, timeout: float, out: Path) -> None:
    """Give the pack's .docx contents the pages its proven PDF shows each paper starting on;
    when that changes the .docx, its PDF is made and proven again, so that nothing is
    rewritten after its PDF is proven."""
    from boardpack.meeting.pack import destination_pages
    from boardpack.outputs.pdf import convert_to_pdf
    from boardpack.outputs.proof import prove_pdf
    from boardpack.outputs.word.fields import pageref_pages, with_pageref_pages

    assert pack.docx is not None
    # LibreOffice worked out where each paper starts; Word shows the contents' last results.
    shown = pageref_pages(pack.docx)
    pages = destination_pages(made, list(shown), len(pack.papers))
    if all(shown[bookmark] == str(pages[bookmark]) for bookmark in shown if bookmark in pages):
        return
    made.unlink()
    write_atomic(pack.docx, with_pageref_pages(pack.docx, pages))
    convert_to_pdf([pack.docx], timeout=timeout, jobs=1)
    prove_pdf(made, pack.docx, shown_in=out, checked=True)
    if destination_pages(made, list(shown), len(pack.papers)) != pages:
        raise ConversionError(
            f"{out / made.name}: the papers moved to other pages when the pack's contents were"
            " given their page numbers; build again"
        )
