"""Place: each paper's .docx, PDF and build record moved from the staging folder into the output
folder together, all or none; then what in the folder this build did not renew and no longer
shows its workbook.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from boardpack.errors import ArchiveError, OutputError
from boardpack.files import (
    PACK_NAME,
    RECORD_FOLDER,
    ensure_folder,
    sha256_of,
    write_synced,
)
from boardpack.meeting.records import (
    check_built,
    pack_record,
    paper_record,
    read_record,
    record_path,
)
from boardpack.outputs.proof import docx_identity, pdf_identifier
from boardpack.paper.changes import paper_data
from boardpack.pipeline.report import BuildReport, PaperResult, StaleOutput, Status

# --- putting outputs in place ---------------------------------------------------------------
#
# Each paper's files and its build record move from the staging folder into the output folder
# together, once both files are made and the PDF is proven. Everything that takes room on the
# disk (the files, the record) is written in the staging folder first; putting in place is then
# only renames within one folder. The earlier files and record are moved aside into the staging
# folder first, and moved back should any rename fail (Word holds the file open), so the output
# folder holds the whole new paper with its record or the whole earlier one with its record.
# A build killed in between leaves a .docx without its PDF, never one beside an older PDF.
# When the PDF cannot be made, the earlier .docx and PDF (if there was a PDF) stay as they were;
# without an earlier PDF, the new .docx is put in place on its own, to be checked in Word.
# The pack is put in place only when every paper in it was: never beside papers it does not hold.


_NO_PDF_HINT = "--no-pdf makes the .docx alone"


class _NotPlaced(Exception):
    """A file could not be put in place; everything moved so far has been moved back."""

    def __init__(self, target: Path, error: OSError, restored: bool) -> None:
        super().__init__(str(target))
        self.target, self.error, self.restored = target, error, restored


def put_papers_in_place(papers: list[PaperResult], out: Path, *, pdf: bool) -> None:
    """Move each rendered paper's files and its record from the staging folder into `out`."""
    for paper in papers:
        staged = paper.docx
        if staged is None or staged.parent == out or paper.status is Status.INVALID:
            continue  # never rendered, or already in place
        stage = staged.parent
        docx, old_pdf = out / staged.name, out / f"{paper.name}.pdf"
        try:
            moves: list[tuple[Path | None, Path]]
            if paper.status is Status.BUILT and paper.pdf is not None:
                moves = [(staged, docx), (paper.pdf, old_pdf)]
                placed: tuple[Path, Path | None, str] = (docx, old_pdf, "")
            elif paper.status is Status.BUILT and not pdf:
                moves, placed = _without_pdf(staged, docx, old_pdf)
                paper.pdf_sha256 = sha256_of(old_pdf) if placed[1] is not None else ""
            elif _is_file(old_pdf):
                paper.docx, paper.pdf = None, None
                paper.note = (
                    f"{docx.name} and {old_pdf.name} are left as an earlier build made them"
                    + ("" if _is_file(docx) else f" ({docx.name} is missing)")
                    + f"; the new paper is not put in place without its PDF ({_NO_PDF_HINT})"
                )
                continue
            else:
                moves, placed = [(staged, docx), (None, old_pdf)], (docx, None, "")
            staged_pdf, paper.docx, paper.pdf = paper.pdf, placed[0], placed[1]
            record = _write_record(paper, out)  # naming the files as they will be in `out`
            paper.docx, paper.pdf = staged, staged_pdf
            moves.append((_staged_copy(stage, record), out / RECORD_FOLDER / record[0]))
            _move_in(moves, stage)
            paper.docx, paper.pdf, paper.note = placed
        except _NotPlaced as exc:
            paper.docx, paper.pdf = None, None
            paper.fail(_not_placed(exc, f"{paper.name}.docx and its PDF"))
        except OSError as exc:  # before anything was moved: the record could not be written
            paper.docx, paper.pdf = None, None
            paper.fail(_not_placed(_NotPlaced(docx, exc, True), f"{paper.name}.docx and its PDF"))


def _without_pdf(
    staged_docx: Path, docx: Path, pdf: Path
) -> tuple[list[tuple[Path | None, Path]], tuple[Path, Path | None, str]]:
    """The moves that put a .docx built with --no-pdf in place, and what is there after them:
    an earlier PDF stays only if it was made from exactly this .docx (the same identifier)."""
    if not _is_file(pdf):
        return [(staged_docx, docx)], (docx, None, "")
    regular = pdf.is_file() and not pdf.is_symlink()  # never read through a link or a FIFO
    if regular and pdf_identifier(pdf) == docx_identity(staged_docx)[1]:
        return [(staged_docx, docx)], (docx, pdf, "")
    removed = f"removed {pdf.name}: it was made from an earlier version of the paper"
    return [(staged_docx, docx), (None, pdf)], (docx, None, removed)


def put_pack_in_place(report: BuildReport, out: Path, *, pdf: bool) -> None:
    """Move the pack's files and its record from the staging folder into `out`, by the papers'
    rules, once every paper in it is in place; else the earlier pack stays with its record."""
    pack = report.pack
    assert pack is not None
    staged = pack.docx
    if staged is None or staged.parent == out:
        _write_pack_record(report, out)
        return
    stage = staged.parent
    docx, old_pdf = out / staged.name, out / staged.with_suffix(".pdf").name
    placed_papers = {p.name for p in report.papers if p.docx is not None and p.docx.parent == out}
    missing = [name for name in pack.papers if name not in placed_papers]
    left = f"{docx.name} and {old_pdf.name} are left as an earlier build made them"
    if missing:
        pack.docx, pack.pdf = None, None
        pack.error = OutputError(
            f"{docx}: not put in place, as {', '.join(f'{n}.docx' for n in missing)} in it"
            f" could not be; {left}, with their build record. Free some space or close the"
            " program holding the files, and build again"
        )
        pack.note = left
        return
    try:
        moves: list[tuple[Path | None, Path]]
        if pack.pdf is not None:
            moves = [(staged, docx), (pack.pdf, old_pdf)]
            placed: tuple[Path, Path | None, str] = (docx, old_pdf, "")
        elif not pdf:
            moves, placed = _without_pdf(staged, docx, old_pdf)
        elif _is_file(old_pdf):
            pack.docx = None
            pack.note = f"{left}; the new pack is not put in place without its PDF ({_NO_PDF_HINT})"
            _write_pack_record(report, out)
            return
        else:
            moves, placed = [(staged, docx), (None, old_pdf)], (docx, None, "")
        # The PDF in place after the moves: the new one, or an earlier one made from this .docx.
        kept_pdf = pack.pdf if pack.pdf is not None else placed[1]
        record = _pack_record(report, staged, kept_pdf)
        moves.append((_staged_copy(stage, record), out / RECORD_FOLDER / record[0]))
        _move_in(moves, stage)
        pack.docx, pack.pdf, pack.note = placed
    except (_NotPlaced, OSError) as exc:
        failure = exc if isinstance(exc, _NotPlaced) else _NotPlaced(docx, exc, True)
        pack.docx, pack.pdf = None, None
        pack.error = _not_placed(failure, f"{PACK_NAME}.docx and its PDF")


def _move_in(moves: list[tuple[Path | None, Path]], stage: Path) -> None:
    """Put each staged file in place of its target (None: the target is removed), all or none.

    Each earlier target is moved aside into `stage` first; should any rename fail, the new files
    are taken out again and the earlier ones moved back. _NotPlaced says which target failed."""
    aside: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for folder in {target.parent for _, target in moves}:
            ensure_folder(folder)  # the record folder, made before anything is moved
        for index, (_, target) in enumerate(moves):
            if _is_file(target):
                moved = stage / f"{index}.{target.name}.earlier"
                os.replace(target, moved)
                aside.append((moved, target))
        for new, target in moves:
            if new is not None:
                os.replace(new, target)
                placed.append(target)
    except (OSError, OutputError) as exc:
        error = exc if isinstance(exc, OSError) else OSError(str(exc))
        restored = True
        for target in placed:
            try:
                target.unlink()
            except OSError:
                restored = False
        for moved, target in aside:
            try:
                os.replace(moved, target)
            except OSError:
                restored = False
        failed = next((t for n, t in moves if t not in placed), moves[0][1])
        raise _NotPlaced(failed, error, restored) from exc


def _staged_copy(stage: Path, record: tuple[str, bytes]) -> Path:
    """The record written (and flushed to the disk) in the staging folder, to be moved in."""
    name, data = record
    path = stage / name
    write_synced(path, data)
    return path


def _is_file(path: Path) -> bool:
    return path.is_file() or path.is_symlink()


def _not_placed(failure: _NotPlaced, what: str) -> OutputError:
    """The error of a paper or pack not put in place, saying truthfully what the folder holds."""
    exc = failure.error
    reason = exc.strerror or str(exc)
    outcome = (
        f"the earlier {what}, if any, are left as they were, with their build record"
        if failure.restored
        else f"the earlier {what} could not all be put back"
    )
    hint = (
        "free some space on the disk"
        if exc.errno == errno.ENOSPC
        else "check that no program (Word, a PDF viewer) holds it open"
    )
    return OutputError(
        f"{failure.target}: could not be put in place ({reason}); {outcome}; {hint},"
        " and build again"
    )


def _write_record(paper: PaperResult, out: Path) -> tuple[str, bytes]:
    """The build record's name and bytes: what `boardpack archive` needs to file the paper
    without reading the workbook again, its files named as they are in `out`."""
    assert paper.checked is not None and paper.docx is not None
    details = paper.checked.paper.details
    return paper_record(
        out,
        name=paper.name,
        project=details.project,
        # None when the paper has none: archive then says it cannot file it, and why.
        board=details.board,
        meeting_date=details.meeting_date,
        source=paper.source,
        # The bytes the paper was built from: the manager may have saved the workbook since.
        source_sha256=paper.checked.source_sha256,
        # The bytes this build wrote, kept from the render and the conversion.
        docx=paper.docx,
        docx_sha256=paper.docx_sha256,
        pdf=paper.pdf,
        pdf_sha256=paper.pdf_sha256 or None,
        # The paper as data, which the archive keeps beside its workbook for history.
        paper_data=paper_data(paper.checked.paper),
        appendices=[
            (a.source, a.checked.source_sha256, paper_data(a.checked.paper))
            for a in paper.appendices
            if a.checked is not None
        ],
    ).dump()


def _pack_record(report: BuildReport, docx: Path, pdf: Path | None) -> tuple[str, bytes]:
    """The pack's build record's name and bytes: what `boardpack archive` needs to file the
    pack, its files (read from the staging folder) and the papers in it."""
    pack = report.pack
    assert pack is not None
    by_name = {p.name: p for p in report.papers}
    return pack_record(docx, pdf, [(n, by_name[n].docx_sha256) for n in pack.papers]).dump()


def _write_pack_record(report: BuildReport, out: Path) -> None:
    """Remove the record of an earlier pack when this build made none, or left the new pack out
    for want of its PDF, so the archive never files a pack other than the one this build made."""
    path = record_path(out, PACK_NAME)
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        pack = report.pack
        if pack is not None and pack.error is None:
            pack.error = OutputError(
                f"{path}: the earlier pack's build record could not be removed ({exc.strerror});"
                " remove it, so that `archive` does not file the earlier pack as this one"
            )


# --- what is stale --------------------------------------------------------------------------


def stale_outputs(report: BuildReport) -> list[StaleOutput]:
    """The papers and PDFs in the output folder that this build did not make and that no
    longer match their build record or their workbook."""
    out = report.out_dir
    renewed = {
        path.name
        for paper in report.papers
        for path in (paper.docx, paper.pdf)
        if path is not None and paper.note == ""
    }
    pack = report.pack
    if pack is not None and pack.note == "":
        renewed.update(p.name for p in (pack.docx, pack.pdf) if p is not None)
    changed_papers = any(p.docx is not None and p.note == "" for p in report.papers)
    stale: list[StaleOutput] = []
    sources: dict[Path, str | None] = {}
    for path in sorted(out.iterdir()):
        if (
            path.name in renewed
            or path.name.startswith((".", "~$"))
            or path.suffix.lower() not in (".docx", ".pdf")
        ):
            continue
        if path.is_symlink() or not path.is_file():
            stale.append(StaleOutput(path, "not a regular file; boardpack did not make it"))
            continue
        if path.stem.casefold() == PACK_NAME:
            if changed_papers and (pack is None or pack.note or pack.docx is None):
                stale.append(
                    StaleOutput(
                        path,
                        "made before this build changed its papers; build the"
                        " whole folder of workbooks to make the pack again",
                    )
                )
            continue
        reason = _record_fault(path, out / RECORD_FOLDER / f"{path.stem}.json", sources)
        if reason:
            stale.append(StaleOutput(path, reason))
    return stale


def _record_fault(path: Path, record_file: Path, sources: dict[Path, str | None]) -> str:
    """Why an output no longer shows its workbook, or "" if it still does: the one staleness
    rule (records.check_built) that status, email and archive say too."""
    if not record_file.exists():
        return "no build record: boardpack did not make it in this folder, or its record is gone"
    try:
        record = read_record(record_file, data=False)
    except ArchiveError:
        return f"its build record {record_file.name} cannot be read; build the paper again"
    if path.name not in (record.docx, record.pdf):
        return "not the file its build record names; build the paper again"
    if record.source not in sources:
        sources[record.source] = _hash_if_there(record.source)
    faults = check_built(record, path.parent, sources[record.source], outputs=[path.name])
    if not faults:
        return ""
    # A paper whose workbook is gone (withdrawn from the meeting) cannot be built again.
    gone = sources[record.source] is None and not record.source.exists()
    return "; ".join(faults) + ("" if gone else "; build it again")


def _hash_if_there(path: Path) -> str | None:
    """The SHA-256 of a workbook, or None when it is not there to be read (check_built then
    looks for itself, and says so)."""
    try:
        return sha256_of(path) if path.is_file() else None
    except OSError:
        return None
