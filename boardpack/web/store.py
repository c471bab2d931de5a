"""The web front's work, done by the library: checking an upload, previewing its paper, and
gathering a meeting's folder to build its pack and archive it, as the CLI would."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from filelock import FileLock

from boardpack.errors import BoardpackError, InvalidWorkbook
from boardpack.web.models import Meeting, Paper, State, Upload

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the guard refuses larger workbooks anyway
# Every upload is kept, for the audit trail: a manager fixing a workbook uploads it a few dozen
# times in an hour at most, and this bounds what a runaway script can fill the disk with.
MAX_UPLOADS_PER_HOUR = 60
log = logging.getLogger(__name__)
# LibreOffice kept running for previews while the server serves (warm_previews), as `boardpack
# watch` keeps it; None: each preview starts LibreOffice afresh.
_warm: Any = None


class WebError(BoardpackError):
    """Something a user asked for that could not be done, said for the page."""


def data() -> Path:
    return Path(settings.DATA)


def upload_name(name: str) -> str:
    """The name a manager's computer gave an upload, as it may be shown: its last part only
    (a browser may send C:\\Users\\...\\x.xlsx), control characters shown as escapes, never
    acted on, and not too long to show."""
    from boardpack.text import printable

    shown = printable(re.split(r"[\\/]", name)[-1]).strip() or "workbook.xlsx"
    if len(shown) > 200:  # cut in the middle, so that its .xlsx is still seen
        shown = shown[:180] + "\u2026" + shown[-19:]
    return shown


def check_upload(paper: Paper, name: str, content: bytes, user: Any) -> Upload:
    """Keep the workbook's bytes and check them as `boardpack check` does, recording every
    problem and warning at its sheet and cell, and whether it is for this paper's meeting."""
    from boardpack.files import write_atomic
    from boardpack.paper.profile import load_profile
    from boardpack.workbook.read import read_workbook
    from boardpack.workbook.validate import validate

    name = upload_name(name)
    if len(content) > MAX_UPLOAD_BYTES:
        raise WebError(too_big(name))
    if not name.lower().endswith(".xlsx"):
        raise WebError(f"{name} is not an Excel workbook (.xlsx); save it as one and upload it")
    digest = hashlib.sha256(content).hexdigest()
    upload = Upload(paper=paper, by=user, file_name=name, sha256=digest)
    path = upload.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write_atomic(path, content)
    # Checked under the paper's own name, so messages about its cells name the workbook the
    # clerk and the pack know; a fault of the file as a whole names the file as it was sent.
    with tempfile.TemporaryDirectory(dir=data()) as work:
        copy = Path(work) / f"{paper.name}.xlsx"
        shutil.copyfile(path, copy)

        def said(p: Any) -> dict[str, Any]:
            if p.where in (copy.name, str(copy), ""):
                return {"where": name, "message": p.message.replace(str(copy), name), "file": 1}
            return {"where": p.where, "message": p.message}

        meeting: list[Any] = []
        try:
            raw = read_workbook(copy, load_profile(paper.meeting.board.profile))
            meeting = for_another_meeting(raw, paper.meeting)
            checked = validate(raw, copy)
        except InvalidWorkbook as exc:
            upload.problems = [said(p) for p in exc.problems]
            upload.warnings = [said(p) for p in [*meeting, *exc.warnings]]
        except BoardpackError as exc:  # refused unread: damaged, a bomb, not a workbook
            message = str(exc).replace(str(copy), name).replace(copy.name, name)
            upload.problems = [{"where": name, "message": message, "file": 1}]
        else:
            upload.valid = True
            upload.warnings = [said(p) for p in [*meeting, *checked.warnings]]
    upload.save()
    if paper.state in (State.OWED, State.RETURNED, State.APPROVED, State.SUBMITTED):
        # A new upload replaces what was submitted or approved: it must be submitted again.
        paper.state = State.CHECKED
        paper.save(update_fields=["state"])
    return upload


def upload_pause(user: Any) -> str:
    """Why `user` may not upload just now ("": they may): they uploaded MAX_UPLOADS_PER_HOUR
    workbooks in the last hour, and when they may upload again."""
    import datetime as dt

    from django.utils import timezone

    hour_ago = timezone.now() - dt.timedelta(hours=1)
    recent = Upload.objects.filter(by=user, at__gt=hour_ago).order_by("-at")
    times = list(recent.values_list("at", flat=True)[:MAX_UPLOADS_PER_HOUR])
    if len(times) < MAX_UPLOADS_PER_HOUR:
        return ""
    again = timezone.localtime(times[-1] + dt.timedelta(hours=1))
    return (
        f"You have uploaded {MAX_UPLOADS_PER_HOUR} workbooks in the last hour, as many as"
        f" boardpack keeps in an hour; upload again after {again:%H:%M}. Nothing was uploaded."
    )


def too_big(name: str) -> str:
    """What a manager is told of a file too big to be a workbook."""
    return (
        f"{name} is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB, far more than a paper's"
        " workbook; check it is the right file (pictures pasted into it make it large)"
    )


def for_another_meeting(raw: Any, meeting: Meeting) -> list[Any]:
    """Warnings, each at its cell, when the workbook's Paper sheet names another board or
    another meeting date than the meeting it is uploaded for (as `boardpack check` warns of a
    meeting folder's papers): last quarter's paper uploaded again, not yet updated."""
    import datetime as dt

    from boardpack.errors import Problem
    from boardpack.paper.models import parse_date
    from boardpack.paper.profile import Role

    found = []
    board_field = raw.profile.field_for(Role.BOARD)
    date_field = raw.profile.field_for(Role.MEETING_DATE)
    if board_field is not None:
        board = raw.details.values.get(board_field.key)
        if isinstance(board, str) and board.strip() and _words(board) != _words(meeting.board.name):
            found.append(
                Problem(
                    raw.details.cells.get(board_field.key, "Paper"),
                    f"the workbook says the board is '{board.strip()}', but this paper is for"
                    f" the {meeting.board.name}; type {meeting.board.name} there",
                )
            )
    if date_field is not None:
        try:
            day: dt.date | None = parse_date(raw.details.values.get(date_field.key))
        except ValueError:  # blank or not a date: the cell's own problem says so
            day = None
        if day is not None and day != meeting.date:
            found.append(
                Problem(
                    raw.details.cells.get(date_field.key, "Paper"),
                    f"the workbook is for a meeting on {day:%d/%m/%Y}, but this paper is for"
                    f" the meeting on {meeting.date:%d/%m/%Y}: update the paper for this"
                    " meeting",
                )
            )
    return found


def _words(text: str) -> str:
    return " ".join(text.casefold().split())


def preview(upload: Upload) -> Path:
    """The PDF of an uploaded workbook's paper, built once per workbook's bytes."""
    import boardpack

    paper = upload.paper
    folder = data() / "previews" / upload.sha256
    pdf = folder / f"{paper.name}.pdf"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock", timeout=300):
        if pdf.is_file():
            return pdf
        with tempfile.TemporaryDirectory(dir=data()) as work:
            copy = Path(work) / f"{paper.name}.xlsx"
            shutil.copyfile(upload.path(), copy)
            report = boardpack.build(
                [copy], Path(work) / "out", pack=False, converter=preview_converter()
            )
            (result,) = report.papers
            if result.pdf is None or not result.pdf.is_file():
                raise WebError(f"the preview could not be made: {result.error}")
            folder.mkdir(exist_ok=True)
            shutil.copyfile(result.pdf, pdf)
    return pdf


def preview_converter() -> Any:
    """The warm converter's `convert` while the server keeps LibreOffice running, else None."""
    warm = _warm
    return warm.convert if warm is not None and not warm.closed else None


@contextlib.contextmanager
def warm_previews(workers: int | None = None) -> Iterator[Any]:
    """Keep LibreOffice running for previews while in the block, started in the background
    (as `boardpack watch` starts it), so that a preview is a conversion, not a cold start;
    yields the WarmConverter, or None when it cannot be kept running here (previews then start
    LibreOffice each time, as `boardpack build` does)."""
    global _warm
    from boardpack.outputs.warm import WarmConverter

    try:
        warm = WarmConverter(workers)
    except BoardpackError as exc:
        log.warning("previews start LibreOffice each time: %s", exc)
        yield None
        return

    def start() -> None:
        try:
            warm.start()
        except BoardpackError as exc:
            if not warm.closed:
                log.warning("LibreOffice could not be kept running for previews: %s", exc)

    with warm:
        starting = threading.Thread(target=start, name="boardpack-warm", daemon=True)
        starting.start()
        _warm = warm
        try:
            yield warm
        finally:
            _warm = None
            warm.close()  # before the join: a start still waiting is cut short
            starting.join()


def papers_for_pack(meeting: Meeting) -> list[Paper]:
    """The papers that go into the pack: approved ones, or submitted ones where the board asks
    for no approval, in agenda order."""
    wanted = (
        {State.APPROVED}
        if meeting.board.requires_approval
        else {
            State.SUBMITTED,
            State.APPROVED,
        }
    )
    return [p for p in meeting.papers.all() if p.state in wanted]


def gather(meeting: Meeting) -> Any:
    """Lay out the meeting's folder (each paper's submitted workbook and a boardpack.toml) and
    build it with the pack, as `boardpack build FOLDER` does; the BuildReport."""
    from filelock import Timeout

    try:
        # One build of a meeting at a time: a second (a double click, another clerk) would
        # empty the folder while the first reads it.
        with FileLock(str(building_lock(meeting)), timeout=0):
            return _gather(meeting)
    except Timeout as exc:
        raise WebError(
            "the pack is being built already (another click, or another clerk); wait for it"
            " to finish and reload the page"
        ) from exc


def building_lock(meeting: Meeting) -> Path:
    """The file locked while the meeting's pack is built."""
    folder = data() / "meetings"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{meeting.pk}.building.lock"


def _gather(meeting: Meeting) -> Any:
    import boardpack

    folder = meeting.folder()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.xlsx"):
        old.unlink()
    chosen = papers_for_pack(meeting)
    if not chosen:
        raise WebError(
            "nothing to build yet: no paper is approved"
            + ("" if meeting.board.requires_approval else " or submitted")
        )
    for paper in chosen:
        upload = paper.submitted_upload()
        assert upload is not None  # submitted and approved papers have one
        shutil.copyfile(upload.path(), folder / f"{paper.name}.xlsx")
    write_settings(meeting)
    return boardpack.build([folder], folder / "output", pack=True, converter=preview_converter())


def archive(meeting: Meeting) -> Any:
    """File the meeting's built papers and pack in the data folder's archive."""
    from boardpack.meeting.archive import archive_papers

    if not (meeting.folder() / "output").is_dir():  # said for the page, not as a server path
        raise WebError("nothing is built to file yet: build the pack first")
    return archive_papers(meeting.folder() / "output", data() / "archive")


def write_settings(meeting: Meeting) -> None:
    """The meeting folder's boardpack.toml, from the meeting and its board as they are now, for
    the workbooks laid out in it (a board's new [email] table reaches a pack built before)."""
    folder = meeting.folder()
    laid_out = {p.stem for p in folder.glob("*.xlsx")}
    papers = [p for p in meeting.papers.all() if p.name in laid_out]
    (folder / "boardpack.toml").write_text(_settings_text(meeting, papers), encoding="utf-8")
    _place_ca_file(meeting)


def _place_ca_file(meeting: Meeting) -> None:
    """The board's `ca_file` is kept in the data folder, as reminders and notices read it; the
    meeting folder gets a copy where its boardpack.toml names it, so that sending the papers
    (meeting/sending.py, which reads it beside boardpack.toml) trusts the same authority."""
    from boardpack.files import write_atomic
    from boardpack.web.mailing import ca_data
    from boardpack.web.models import email_settings

    try:
        settings = email_settings(meeting.board.email)
    except ValueError:
        return  # the engine reads the settings again and says what is wrong with them
    ca_file = settings.smtp.ca_file if settings is not None and settings.smtp else None
    if ca_file is None or ca_file.is_absolute() or ".." in ca_file.parts:
        return  # the engine refuses a name outside the meeting folder, and says so
    try:
        text = ca_data(meeting.board, ca_file)
    except BoardpackError:
        return  # a build needs no certificate; sending says what is wrong with it
    if text is not None:
        target = meeting.folder() / ca_file
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text.encode("ascii", "replace"))


def _settings_text(meeting: Meeting, papers: list[Paper]) -> str:
    import json

    lines = [
        f"board = {json.dumps(meeting.board.name)}",
        f"meeting_date = {meeting.date.isoformat()}",
        f"profile = {json.dumps(meeting.board.profile)}",
        "agenda = [" + ", ".join(json.dumps(p.name) for p in papers) + "]",
        # The data folder's archive: papers say what changed since their last one there, and
        # the send log is kept beside it, as for a meeting folder the CLI builds.
        'archive = "../../archive"',
    ]
    if meeting.venue:
        lines.append(f"venue = {json.dumps(meeting.venue)}")
    if meeting.time:
        lines.append(f'meeting_time = "{meeting.time:%H:%M}"')
    text = "\n".join(lines) + "\n"
    if meeting.board.email.strip():  # checked when the clerk saved it; the engine checks again
        text += "\n" + meeting.board.email.strip() + "\n"
    return text


def annotated_copy(upload: Upload) -> tuple[str, bytes]:
    """The uploaded workbook with each problem a note on its marked cell and listed, linked, on
    a first sheet, as `boardpack check --annotate` writes it: its file name and bytes."""
    from boardpack.errors import Problem
    from boardpack.workbook.annotate import annotate_workbook

    name = upload.paper.name
    with tempfile.TemporaryDirectory(dir=data()) as work:
        copy = Path(work) / f"{name}.xlsx"
        shutil.copyfile(upload.path(), copy)
        problems = [Problem(p["where"], p["message"]) for p in upload.problems]
        warnings = [Problem(p["where"], p["message"]) for p in upload.warnings]
        written = annotate_workbook(copy, problems, warnings)
        return written.path.name, written.path.read_bytes()


def starter_workbook(paper: Paper) -> bytes:
    """A blank workbook of the paper's board's profile, as `boardpack new` writes it."""
    from boardpack.paper.profile import load_profile
    from boardpack.workbook.writer import write_workbook

    with tempfile.TemporaryDirectory(dir=data()) as work:
        path = Path(work) / f"{paper.name}.xlsx"
        write_workbook(path, profile=load_profile(paper.meeting.board.profile))
        return path.read_bytes()


def _read(upload: Upload) -> Any:
    """The uploaded workbook's paper, read and validated as `boardpack check` reads it."""
    from boardpack.paper.profile import load_profile
    from boardpack.workbook.validate import load_paper

    paper = upload.paper
    with tempfile.TemporaryDirectory(dir=data()) as work:
        copy = Path(work) / f"{paper.name}.xlsx"
        shutil.copyfile(upload.path(), copy)
        return load_paper(copy, profile=load_profile(paper.meeting.board.profile))


def changes(paper: Paper) -> tuple[Upload, Any] | None:
    """What the paper's last good workbook says that the workbook last submitted before it did
    not, compared as the build compares a paper with its last one in the archive
    (paper/changes.py): that earlier upload and the History; None when there is none."""
    from boardpack.paper.changes import compare, snapshot_of
    from boardpack.web.models import Event

    latest = paper.latest()
    if latest is None or not latest.valid:
        return None
    submitted = Event.objects.filter(paper=paper, action="submit").order_by("-pk")
    earlier = next((e.detail for e in submitted if e.detail != latest.sha256), None)
    previous = paper.uploads.filter(sha256=earlier, valid=True).order_by("-pk").first()
    if previous is None:
        return None
    try:
        then, now = _read(previous), _read(latest)
    except BoardpackError:
        return None  # checked when uploaded: only a changed profile could refuse them now
    then_snapshot = snapshot_of(then.paper)
    history = compare(now.paper, then_snapshot, then_snapshot, previous.file_name, now.places, [])
    return previous, history
