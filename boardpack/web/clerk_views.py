"""The clerk's pages beyond the admin: setting up a meeting, its agenda and who owes which
paper, building, and sending. Each asks access.py first (a clerk of the meeting's board); the
work is done by clerk.py over the library. Every form works without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from boardpack.errors import BoardpackError
from boardpack.web import access, clerk, notices
from boardpack.web.forms import MeetingForm, PaperForm
from boardpack.web.models import Board, Notice, Paper, State, record
from boardpack.web.views import _link, _meeting, _tell


def _board(request: HttpRequest, pk: int) -> Board:
    board = get_object_or_404(Board, pk=pk)
    if not access.is_clerk(request.user, board):
        raise Http404("no such board")
    return board


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, pk: int) -> HttpResponse:
    board = _board(request, pk)
    form = MeetingForm(request.POST or None, board=board)
    if request.method == "POST" and form.is_valid():
        meeting = form.save()
        record(request.user, "set up the meeting", meeting=meeting, detail=str(meeting))
        messages.success(request, "The meeting is set up. Now add the papers it is owed.")
        return redirect("meeting", pk=meeting.pk)
    return render(
        request, "boardpack/meeting_form.html", {"form": form, "board": board, "meeting": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, clerk=True)
    form = MeetingForm(request.POST or None, instance=meeting, board=meeting.board)
    if request.method == "POST" and form.is_valid():
        form.save()
        said = f"{meeting}{', published' if meeting.published else ''}"
        record(request.user, "changed the meeting", meeting=meeting, detail=said)
        messages.success(request, "The meeting is changed.")
        return redirect("meeting", pk=meeting.pk)
    return render(
        request,
        "boardpack/meeting_form.html",
        {"form": form, "board": meeting.board, "meeting": meeting},
    )


@login_required
@require_http_methods(["GET", "POST"])
def paper_new(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, clerk=True)
    initial = {"position": meeting.papers.count() + 1}
    form = PaperForm(request.POST or None, meeting=meeting, initial=initial)
    if request.method == "POST" and form.is_valid():
        paper = form.save()
        record(request.user, "owed", paper=paper, detail=f"by {paper.manager}")
        messages.success(request, f"{paper.title} is owed by {paper.manager}.")
        return redirect("meeting", pk=meeting.pk)
    return render(
        request, "boardpack/paper_form.html", {"form": form, "meeting": meeting, "paper": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def paper_edit(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(Paper.objects.select_related("meeting__board"), pk=pk)
    if not access.is_clerk(request.user, paper.meeting.board):
        raise Http404("no such paper")
    was_approver = paper.approver_id
    form = PaperForm(request.POST or None, instance=paper, meeting=paper.meeting)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record(request.user, "changed who owes it", paper=paper, detail=f"by {paper.manager}")
            # A paper waiting for approval waits for its new approver now: they are told.
            asks = paper.state == State.SUBMITTED and paper.approver_id not in (None, was_approver)
            if asks:
                notices.make(paper, Notice.Kind.TO_APPROVE, paper.approver, _link(request, paper))
        messages.success(request, f"{paper.title} is changed.")
        if asks and paper.approver is not None:
            _tell(request, paper, paper.approver.get_full_name() or paper.approver.username)
        return redirect("meeting", pk=paper.meeting.pk)
    return render(
        request,
        "boardpack/paper_form.html",
        {"form": form, "meeting": paper.meeting, "paper": paper},
    )


@login_required
@require_http_methods(["GET", "POST"])
def agenda(request: HttpRequest, pk: int) -> HttpResponse:
    """The agenda's order: each paper's place, as numbers, saved together."""
    meeting = _meeting(request, pk, clerk=True)
    papers = list(meeting.papers.all())
    if request.method == "POST":
        places: dict[int, int] = {}
        for paper in papers:
            given = request.POST.get(f"place-{paper.pk}", "").strip()
            if not given.isdigit() or not 1 <= int(given) <= 999:
                messages.error(request, f"{paper.title}: give its place as a number from 1.")
                return redirect("agenda", pk=pk)
            places[paper.pk] = int(given)
        with transaction.atomic():
            for paper in papers:
                paper.position = places[paper.pk]
                paper.save(update_fields=["position"])
            order = ", ".join(p.name for p in meeting.papers.all())
            record(request.user, "agenda", meeting=meeting, detail=order)
        messages.success(request, "The agenda's order is saved.")
        return redirect("meeting", pk=pk)
    return render(request, "boardpack/agenda.html", {"meeting": meeting, "papers": papers})


@login_required
@require_POST
def send(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, clerk=True)
    how = request.POST.get("how", "")
    try:
        said = clerk.send(meeting, request.user, how)
    except BoardpackError as exc:  # the engine's own words: stale papers, a refused server
        messages.error(request, f"Not sent: {exc}")
        return redirect("meeting", pk=pk)
    messages.success(request, said[:1].upper() + said[1:] + ".")
    return redirect("meeting", pk=pk)


@login_required
@require_GET
def drafts(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, clerk=True)
    data = clerk.drafts_zip(meeting)
    if data is None:
        raise Http404("no drafts written")
    response = HttpResponse(data, content_type="application/zip")
    name = f"{meeting.board.name} {meeting.date.isoformat()} drafts.zip".replace('"', "")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
