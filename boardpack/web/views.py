"""The pages: what each role sees and may do. Each view asks access.py first; the work is done
by store.py over the library. Every form works without JavaScript and posts back to a page
(post, redirect, get), so reloading never repeats an action."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from boardpack.errors import BoardpackError
from boardpack.meeting.meetings import time_left
from boardpack.web import access, clerk, notices, store
from boardpack.web.models import (
    Board,
    Meeting,
    Membership,
    Notice,
    Paper,
    Role,
    State,
    record,
)

MAX_COMMENT = 4000  # an approver's comment: a few paragraphs, not a document
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _paper(request: HttpRequest, pk: int) -> Paper:
    paper = get_object_or_404(Paper.objects.select_related("meeting__board"), pk=pk)
    if not access.can_see_paper(request.user, paper):
        raise Http404("no such paper")
    return paper


def _meeting(request: HttpRequest, pk: int, *, clerk: bool = False) -> Meeting:
    meeting = get_object_or_404(Meeting.objects.select_related("board"), pk=pk)
    allowed = (
        access.is_clerk(request.user, meeting.board)
        if clerk
        else access.can_see_meeting(request.user, meeting)
    )
    if not allowed:
        raise Http404("no such meeting")
    return meeting


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    owed = Paper.objects.filter(manager=user).select_related("meeting__board")
    to_approve = Paper.objects.filter(approver=user, state=State.SUBMITTED)
    clerk_of = Membership.objects.filter(user=user, role=Role.CLERK).values_list("board", flat=True)
    meetings = (
        Meeting.objects.all() if user.is_superuser else Meeting.objects.filter(board__in=clerk_of)
    ).select_related("board")
    boards = Board.objects.all() if user.is_superuser else Board.objects.filter(pk__in=clerk_of)
    readable = Membership.objects.filter(user=user, role=Role.READER).values_list(
        "board", flat=True
    )
    published = Meeting.objects.filter(board__in=list(readable), published=True)
    now = timezone.now()
    rows = [
        {
            "paper": p,
            "deadline": p.meeting.deadline(),
            "left": time_left(p.meeting.deadline(), now),
            "next": next_step(p) if access.can_upload(user, p) else "Nothing: it is published",
        }
        for p in owed
    ]
    return render(
        request,
        "boardpack/home.html",
        {
            "owed": rows,
            "to_approve": to_approve,
            "meetings": meetings,
            "boards": boards,
            "published": published,
        },
    )


def next_step(paper: Paper, *, on_its_page: bool = False) -> str:
    """What the paper's manager does next, in their words."""
    if paper.state == State.OWED:
        return "Download the blank workbook, fill it in, and upload it"
    if paper.state == State.CHECKED:
        latest = paper.latest()
        if latest is not None and latest.valid:
            return "Preview it, then submit it"
        listed = "listed below" if on_its_page else "its page lists"
        return f"Fix the problems {listed} in the workbook, and upload it again"
    if paper.state == State.SUBMITTED:
        approver = paper.approver
        who = (approver.get_full_name() or approver.username) if approver else "its approver"
        return f"Nothing for now: it waits for {who} to approve it"
    if paper.state == State.RETURNED:
        return "Read the approver's comment, change the workbook, upload it and submit it again"
    return "Nothing: it is approved and goes into the pack"


@login_required
@require_GET
def paper_page(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _paper(request, pk)
    latest = paper.latest()
    deadline = paper.meeting.deadline()
    return render(
        request,
        "boardpack/paper.html",
        {
            "paper": paper,
            "latest": latest,
            "deadline": deadline,
            "left": time_left(deadline, timezone.now()),
            "can_upload": access.can_upload(request.user, paper),
            "next": (
                next_step(paper, on_its_page=True) if access.can_upload(request.user, paper) else ""
            ),
            "can_submit": access.can_upload(request.user, paper)
            and latest is not None
            and latest.valid
            and paper.state in (State.CHECKED, State.RETURNED),
            "can_approve": access.can_approve(request.user, paper),
            "approver_note": _approver_note(request.user, paper),
            # A reader of the published meeting sees where the paper is, not its uploads.
            "sees_uploads": request.user.pk in (paper.manager_id, paper.approver_id)
            or access.is_clerk(request.user, paper.meeting.board),
            "can_see_meeting": access.can_see_meeting(request.user, paper.meeting),
            "history": paper.event_set.all()[:20],
            "changes": store.changes(paper) if access.can_upload(request.user, paper) else None,
        },
    )


@login_required
@require_GET
def starter(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _paper(request, pk)
    if not access.can_upload(request.user, paper):
        raise Http404("no such paper")
    response = HttpResponse(store.starter_workbook(paper), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{paper.name}.xlsx"'
    return response


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _paper(request, pk)
    if not access.can_upload(request.user, paper):
        return HttpResponse("Only the paper's manager may upload it.", status=403)
    pause = store.upload_pause(request.user)
    if pause:
        messages.error(request, pause)
        return redirect("paper", pk=pk)
    sent = request.FILES.get("workbook")
    if sent is None:
        messages.error(request, "Choose the workbook to upload first.")
        return redirect("paper", pk=pk)
    if sent.size is not None and sent.size > store.MAX_UPLOAD_BYTES:  # refused unread
        messages.error(request, store.too_big(store.upload_name(sent.name or "")))
        return redirect("paper", pk=pk)
    try:
        with transaction.atomic():
            done = store.check_upload(
                paper, sent.name or "workbook.xlsx", sent.read(), request.user
            )
            state = "no problems" if done.valid else _problems(len(done.problems))
            record(request.user, "upload", paper=paper, detail=f"{done.file_name}: {state}")
    except store.WebError as exc:
        messages.error(request, str(exc))
        return redirect("paper", pk=pk)
    if done.valid:
        messages.success(
            request, "The workbook has no problems. Preview the paper, then submit it."
        )
    else:
        messages.error(
            request,
            f"The workbook has {_problems(len(done.problems))} to fix, listed below with where"
            " each one is. Nothing is submitted until it has none.",
        )
    return redirect("paper", pk=pk)


def _problems(count: int) -> str:
    return f"{count} problem{'s' if count != 1 else ''}"


@login_required
@require_GET
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _paper(request, pk)
    latest = paper.latest() if access.can_upload(request.user, paper) else None
    chosen = latest if latest is not None and latest.valid else paper.submitted_upload()
    if chosen is None or not chosen.valid:
        raise Http404("no valid workbook to preview yet")
    # A reader of the published meeting reads what its pack holds, not a paper returned or
    # still waiting for approval.
    involved = request.user.pk in (paper.manager_id, paper.approver_id)
    if not (involved or access.is_clerk(request.user, paper.meeting.board)) and (
        paper not in store.papers_for_pack(paper.meeting)
    ):
        raise Http404("not in the meeting's pack")
    try:
        pdf = store.preview(chosen)
    except store.WebError as exc:
        return HttpResponse(str(exc), status=500, content_type="text/plain")
    return FileResponse(
        pdf.open("rb"), content_type="application/pdf", filename=f"{paper.name}.pdf"
    )


@login_required
@require_GET
def annotated(request: HttpRequest, pk: int) -> HttpResponse:
    """The last upload with each problem marked on its cell, to fix in Excel."""
    paper = _paper(request, pk)
    latest = paper.latest()
    if latest is None or not access.can_upload(request.user, paper):
        raise Http404("no upload")
    if not latest.problems and not latest.warnings:
        raise Http404("nothing to mark")
    try:
        name, data = store.annotated_copy(latest)
    except BoardpackError as exc:  # a file that is no workbook has no cells to mark
        return HttpResponse(f"No marked copy: {exc}", status=404, content_type="text/plain")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _paper(request, pk)
    latest = paper.latest()
    if not access.can_upload(request.user, paper) or latest is None or not latest.valid:
        return HttpResponse("Only a checked workbook can be submitted, by its manager.", status=403)
    with transaction.atomic():
        # Looked at again inside the transaction: a second click, or a second tab, finds the
        # paper submitted already and changes nothing (its approver is not asked twice).
        paper = Paper.objects.select_for_update().select_related("meeting__board").get(pk=pk)
        if paper.state not in (State.CHECKED, State.RETURNED) or paper.latest() != latest:
            messages.info(
                request, f"It is {paper.get_state_display().lower()} already; nothing changed."
            )
            return redirect("paper", pk=pk)
        paper.uploads.update(submitted=False)
        latest.submitted = True
        latest.save(update_fields=["submitted"])
        needs = paper.meeting.board.requires_approval and paper.approver_id is not None
        paper.state = State.SUBMITTED if needs else State.APPROVED
        paper.comment = ""
        paper.save(update_fields=["state", "comment"])
        record(request.user, "submit", paper=paper, detail=latest.sha256)
        if needs:
            notices.make(paper, Notice.Kind.TO_APPROVE, paper.approver, _link(request, paper))
    if not needs:
        messages.success(request, "Submitted. It needs no approval: it goes into the pack.")
        return redirect("paper", pk=pk)
    approver = paper.approver
    who = (approver.get_full_name() or approver.username) if approver is not None else ""
    messages.success(request, f"Submitted. It now waits for {who} to approve it.")
    _tell(request, paper, who)
    return redirect("paper", pk=pk)


def _approver_note(user: Any, paper: Paper) -> str:
    """What the paper's approver is told when it does not wait for them (they may come from
    an email sent before its manager changed it)."""
    if paper.approver_id != user.pk or paper.state == State.SUBMITTED:
        return ""
    if paper.state == State.APPROVED:
        return "It is approved. Nothing waits for you."
    if paper.state == State.RETURNED:
        return "You returned it to its manager. You will be emailed when they submit it again."
    return (
        "It does not wait for your approval yet: its manager has not submitted it (or has"
        " changed it since). You will be emailed when they submit it."
    )


def _not_waiting(paper: Paper) -> str:
    """What an approver is told when the paper no longer waits for them."""
    return (
        f"It does not wait for your approval now (it is {paper.get_state_display().lower()});"
        " nothing changed."
    )


def _link(request: HttpRequest, paper: Paper) -> str:
    """The paper's page as an address to put in an email: it asks for sign-in, holds no key."""
    here = request.build_absolute_uri(reverse("paper", args=[paper.pk]))
    return notices.paper_address(paper) or here


def _tell(request: HttpRequest, paper: Paper, who: str) -> None:
    """Send the paper's notices now, and say on the page whether they went."""
    done = notices.send_pending(paper)
    if done.sent:
        messages.info(request, f"{who} has been sent an email with a link to the paper.")
    elif done.not_sent:
        messages.warning(
            request,
            f"{who} could not be emailed ({'; '.join(done.not_sent)}); they see it on their"
            " boardpack home page.",
        )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    paper = _paper(request, pk)
    if paper.approver_id != request.user.pk:
        return HttpResponse("Only the paper's approver may approve or return it.", status=403)
    if not access.can_approve(request.user, paper):  # a second click, or a new upload since
        messages.info(request, _not_waiting(paper))
        return redirect("paper", pk=pk)
    action = request.POST.get("action")
    comment = request.POST.get("comment", "").strip()
    if len(comment) > MAX_COMMENT:
        messages.error(
            request,
            f"The comment is {len(comment)} characters long; shorten it to {MAX_COMMENT} or"
            " fewer (nothing was approved or returned).",
        )
        return redirect("paper", pk=pk)
    if action == "return" and not comment:
        messages.error(request, "Say what the manager should change before returning it.")
        return redirect("paper", pk=pk)
    if action not in ("approve", "return"):
        return HttpResponse("Approve or return.", status=400)
    with transaction.atomic():
        paper = Paper.objects.select_for_update().select_related("meeting__board").get(pk=pk)
        if not access.can_approve(request.user, paper):  # changed since the check above
            messages.info(request, _not_waiting(paper))
            return redirect("paper", pk=pk)
        paper.state = State.APPROVED if action == "approve" else State.RETURNED
        paper.comment = comment if action == "return" else ""
        if action == "approve":
            approved = paper.submitted_upload()
            paper.approved_sha256 = approved.sha256 if approved is not None else ""
        paper.save(update_fields=["state", "comment", "approved_sha256"])
        record(request.user, action, paper=paper, detail=comment)
        kind = Notice.Kind.APPROVED if action == "approve" else Notice.Kind.RETURNED
        notices.make(paper, kind, paper.manager, _link(request, paper), comment)
    messages.success(request, "Approved." if action == "approve" else "Returned to its manager.")
    manager = paper.manager
    _tell(request, paper, manager.get_full_name() or manager.username)
    return redirect("paper", pk=pk)


@login_required
@require_GET
def meeting_page(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    is_clerk = access.is_clerk(request.user, meeting.board)
    pack = meeting.folder() / "output" / "board-pack.pdf"
    return render(
        request,
        "boardpack/meeting.html",
        {
            "meeting": meeting,
            "clerk": is_clerk,
            "rows": clerk.dashboard(meeting),
            "deadline": meeting.deadline(),
            "left": time_left(meeting.deadline(), timezone.now()),
            "has_pack": pack.is_file(),
            "events": meeting.event_set.all()[:50] if is_clerk else [],
            "interrupted": clerk.interrupted(meeting) if is_clerk else [],
            "running": clerk.running(meeting) if is_clerk else [],
            "smtp": is_clerk and clerk.can_send_by_smtp(meeting),
            "has_drafts": is_clerk and clerk.has_drafts(meeting),
        },
    )


@login_required
@require_POST
def build_pack(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, clerk=True)
    try:
        _, faults = clerk.run_build(meeting, request.user)
    except store.WebError as exc:
        said = str(exc)
        messages.error(request, said[:1].upper() + said[1:] + ".")
        return redirect("meeting", pk=pk)
    except BoardpackError as exc:
        messages.error(request, str(exc))
        return redirect("meeting", pk=pk)
    if faults:
        messages.error(request, "Not everything was built: " + "; ".join(faults))
    else:
        count = len(store.papers_for_pack(meeting))
        messages.success(request, f"The pack is built: {count} paper(s).")
    return redirect("meeting", pk=pk)


@login_required
@require_GET
def pack_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    pack = meeting.folder() / "output" / "board-pack.pdf"
    if not pack.is_file():
        raise Http404("the pack is not built yet")
    name = f"{meeting.board.name} {meeting.date.isoformat()}.pdf"
    return FileResponse(pack.open("rb"), content_type="application/pdf", filename=name)


@login_required
@require_POST
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, clerk=True)
    try:
        report = store.archive(meeting)
    except store.WebError as exc:
        messages.error(request, f"Not archived: {exc}.")
        return redirect("meeting", pk=pk)
    except BoardpackError as exc:  # the library's own errors, said for the page
        messages.error(request, f"Not archived: {exc}")
        return redirect("meeting", pk=pk)
    filed = ", ".join(f"{p.name} {p.outcome}" for p in report.papers)
    record(request.user, "archive", meeting=meeting, detail=filed)
    (messages.success if report.ok else messages.error)(request, f"Archive: {filed}.")
    return redirect("meeting", pk=pk)


def page_not_found(request: HttpRequest, exception: Any) -> HttpResponse:
    return render(request, "boardpack/404.html", status=404)
