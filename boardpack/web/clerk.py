"""The clerk's work on a meeting, done by the library: where each paper stands, building the
pack (recorded before it starts, so a build a stopped server never finished is known), and
sending the built papers as drafts or through the board's mail server, as `boardpack email`
does."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from boardpack.errors import BoardpackError
from boardpack.web import store
from boardpack.web.models import Build, Meeting, Paper, Upload, email_settings, record

# This server process: a build left unfinished by another one was stopped with its server.
BOOT = uuid.uuid4().hex


@dataclass(frozen=True)
class Standing:
    """Where one paper stands, as the clerk's dashboard shows it."""

    paper: Paper
    latest: Upload | None
    late: bool
    stale: bool  # the built pack holds another version of it than the one now chosen
    changed_after_approval: bool  # a workbook uploaded since its approver approved one

    @property
    def words(self) -> list[str]:
        """What the clerk should know about it, beyond its state."""
        said = []
        if self.late:
            said.append("late")
        if self.stale:
            said.append("stale in the built pack: build again")
        if self.changed_after_approval:
            said.append("changed after approval")
        return said


def dashboard(meeting: Meeting) -> list[Standing]:
    """Every paper of the meeting, in agenda order, with what the clerk should know."""
    built = _built_sources(meeting)
    rows = []
    for paper in meeting.papers.select_related("manager", "approver"):
        latest = paper.latest()
        chosen = paper.submitted_upload()
        in_pack = built.get(paper.name)
        rows.append(
            Standing(
                paper=paper,
                latest=latest,
                late=paper.late(),
                stale=in_pack is not None and (chosen is None or chosen.sha256 != in_pack),
                changed_after_approval=bool(paper.approved_sha256)
                and latest is not None
                and latest.sha256 != paper.approved_sha256,
            )
        )
    return rows


def _built_sources(meeting: Meeting) -> dict[str, str]:
    """Each paper in the meeting's built output and the SHA-256 of the workbook it was built
    from, as its build record says; a record that is not as built counts as no version."""
    from boardpack.meeting.status import built_papers

    out = meeting.folder() / "output"
    if not out.is_dir():
        return {}
    try:
        papers = built_papers(out)
    except BoardpackError:
        return {}
    return {
        p.name: ("" if p.stale else p.record.source_sha256) for p in papers if p.record is not None
    }


def run_build(meeting: Meeting, user: Any) -> tuple[Build, list[str]]:
    """Build the meeting's pack, recorded as started first (committed) and as finished after;
    the build and the faults it met (empty: all built). WebError when nothing is ready."""
    build = Build.objects.create(meeting=meeting, by=user, boot=BOOT)
    try:
        report = store.gather(meeting)
    except BoardpackError as exc:
        build.finished, build.outcome = timezone.now(), f"not built: {exc}"
        build.save(update_fields=["finished", "outcome"])
        record(user, "build", meeting=meeting, detail=build.outcome)
        raise
    faults = [f"{p.name}: {p.error}" for p in report.papers if p.error is not None]
    if report.pack is not None and report.pack.error is not None:
        faults.append(f"the pack: {report.pack.error}")
    build.finished = timezone.now()
    build.outcome = "; ".join(faults) or f"built: {len(report.papers)} paper(s) and the pack"
    build.save(update_fields=["finished", "outcome"])
    record(user, "build", meeting=meeting, detail=build.outcome)
    return build, faults


def interrupted(meeting: Meeting) -> list[Build]:
    """Builds of the meeting that a server stopped before they finished, since the last one
    that finished (which did what they did not)."""
    unfinished = meeting.builds.filter(finished__isnull=True).exclude(boot=BOOT)
    last = meeting.builds.filter(finished__isnull=False).order_by("-finished").first()
    if last is not None and last.finished is not None:
        unfinished = unfinished.filter(started__gt=last.finished)
    return list(unfinished)


def running(meeting: Meeting) -> list[Build]:
    """Builds of the meeting this server is running now."""
    return list(meeting.builds.filter(finished__isnull=True, boot=BOOT))


def drafts_folder(meeting: Meeting) -> Path:
    return store.data() / "drafts" / str(meeting.pk)


def can_send_by_smtp(meeting: Meeting) -> bool:
    """Whether the board's settings name a mail server."""
    try:
        settings = email_settings(meeting.board.email)
    except ValueError:
        return False
    return settings is not None and settings.smtp is not None


def send(meeting: Meeting, user: Any, how: str) -> str:
    """Write the covering emails of the built papers as drafts, or send them through the
    board's mail server ("smtp"), with the engine `boardpack email` uses; what was done, in
    words. BoardpackError (MailError among them) saying what is wrong."""
    from boardpack.meeting.sending import send_papers, write_email_drafts

    out = meeting.folder() / "output"
    if not meeting.board.email.strip():
        raise store.WebError(
            "the board names nobody to send the papers to: add its [email] table in the"
            " board's settings (the admin's Boards page)"
        )
    if not out.is_dir():
        raise store.WebError("build the pack first: there is nothing built to send")
    store.write_settings(meeting)
    if how == "drafts":
        _, done = write_email_drafts(out, drafts_folder(meeting), replace=True)
        said = f"{len(done.written)} draft(s) written: " + ", ".join(
            f"to {recipient.address}" for _, recipient, _ in done.written
        )
        record(user, "send", meeting=meeting, detail=said)
        return said
    if how != "smtp":
        raise store.WebError("send as drafts or by the mail server")
    report = send_papers(out, archive_dir=store.data() / "archive")
    parts = [f"sent to {s.recipient.address}" for s in report.sent]
    parts += [f"not sent to {r}" for r in report.refused]
    parts += [f"already sent to {r.address}" for r, _ in report.skipped]
    said = f"{len(report.sent)} sent through {report.server}: " + ", ".join(parts)
    record(user, "send", meeting=meeting, detail=said)
    if not report.ok:
        raise store.WebError(said)
    return said


def has_drafts(meeting: Meeting) -> bool:
    folder = drafts_folder(meeting)
    return folder.is_dir() and any(folder.glob("*.eml"))


def drafts_zip(meeting: Meeting) -> bytes | None:
    """The meeting's drafts (.eml) in one .zip, None when none are written."""
    folder = drafts_folder(meeting)
    drafts = sorted(folder.glob("*.eml")) if folder.is_dir() else []
    if not drafts:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for draft in drafts:
            archive.write(draft, draft.name)
    return buffer.getvalue()
