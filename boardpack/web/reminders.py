"""Reminders before the deadline: each manager who still owes a paper is emailed once, a
board's number of working days before its meeting's deadline, through the board's mail server
and the engine's mail code (meeting/mail.py), and each reminder sent is recorded."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from django.db import close_old_connections
from django.utils import timezone
from filelock import FileLock

from boardpack.errors import BoardpackError
from boardpack.web import notices, store
from boardpack.web.mailing import BoardMail, board_mail, new_message, send_through
from boardpack.web.models import Board, Meeting, Paper, Reminder, State, record

STILL_OWED = (State.OWED, State.CHECKED, State.RETURNED)
EVERY = 15 * 60  # seconds between the server's looks for reminders due
log = logging.getLogger(__name__)


@dataclass
class Reminded:
    """What one run did: reminders sent, and papers whose manager could not be reminded."""

    sent: list[Reminder] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)


def reminder_time(meeting: Meeting) -> dt.datetime:
    """When a meeting's managers are reminded: the board's working days before the deadline,
    at the deadline's time of day."""
    from boardpack.meeting.meetings import is_working_day

    deadline = meeting.deadline()
    day, counted = deadline.date(), 0
    while counted < meeting.board.reminder_days:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return deadline.replace(year=day.year, month=day.month, day=day.day)


def due(now: dt.datetime) -> list[Paper]:
    """Papers whose manager should be reminded at `now` and has not been for this deadline."""
    papers = []
    meetings = Meeting.objects.filter(
        date__gte=now.date(), published=False, board__reminder_days__gt=0
    ).select_related("board")
    for meeting in meetings:
        deadline = meeting.deadline()
        if not reminder_time(meeting) <= now < deadline:
            continue
        for paper in meeting.papers.filter(state__in=STILL_OWED).select_related("manager"):
            if not paper.reminders.filter(deadline=deadline).exists():
                papers.append(paper)
    return papers


def send_reminders(now: dt.datetime | None = None) -> Reminded:
    """Remind each manager who still owes a paper whose reminder time has come; one run at a
    time (a file lock in the data folder), so each reminder goes once."""
    now = now or timezone.now()
    done = Reminded()
    with FileLock(str(store.data() / "reminders.lock"), timeout=600):
        by_board: dict[int, list[Paper]] = {}
        for paper in due(now):
            by_board.setdefault(paper.meeting.board_id, []).append(paper)
        for papers in by_board.values():
            _remind(papers[0].meeting.board, papers, now, done)
    return done


def _remind(board: Board, papers: list[Paper], now: dt.datetime, done: Reminded) -> None:
    from boardpack.meeting.distribution import Deliverable, Recipient
    from boardpack.meeting.mail import Draft, Sent

    try:
        mail = board_mail(board)
    except BoardpackError as exc:
        done.not_sent.append(str(exc))
        return
    drafts = []
    for paper in papers:
        manager = paper.manager
        try:
            recipient = Recipient(
                name=manager.get_full_name() or manager.username,
                address=manager.email,
                role="manager",
                gets=(Deliverable.PDF,),
            )
        except ValueError:
            done.not_sent.append(f"{paper.title}: its manager {manager} has no email address")
            continue
        message = _message(paper, recipient.name, recipient.address, mail, now)
        drafts.append(Draft(recipient, message, (), (str(paper.pk),)))
    by_pk = {str(p.pk): p for p in papers}

    def sent(accepted: Sent) -> None:
        paper = by_pk[accepted.papers[0]] if accepted.papers else None
        if paper is None:
            return
        reminder = Reminder.objects.create(
            paper=paper, deadline=paper.meeting.deadline(), to=accepted.recipient.address
        )
        record(None, "reminder", paper=paper, detail=f"to {reminder.to}")
        done.sent.append(reminder)

    send_through(board, mail, drafts, sent, done.not_sent)


def _message(
    paper: Paper, name: str, address: str, mail: BoardMail, now: dt.datetime
) -> EmailMessage:
    deadline = timezone.localtime(paper.meeting.deadline())
    # The day of the month by itself: strftime's %-d is not there on Windows.
    day = f"{deadline:%A} {deadline.day} {deadline:%B}"
    subject = f"Reminder: {paper.title} is due {day} at {deadline:%H:%M}"
    link = notices.paper_address(paper)
    message = new_message(mail, name, address, subject, now)
    message.set_content(
        f"Dear {name},\n\n"
        f"Your paper {paper.title} for the {paper.meeting} is due by"
        f" {day} {deadline:%Y at %H:%M}, and it is not submitted yet.\n\n"
        "Sign in to boardpack, upload the workbook, check it and submit it"
        + (f":\n\n{link}\n" if link else ".\n")
    )
    return message


def start_periodic() -> threading.Thread:
    """Look for reminders due every EVERY seconds in a thread of the server, until it stops."""

    def run() -> None:
        stop = threading.Event()
        while True:
            close_old_connections()
            try:
                done = send_reminders()
            except Exception:  # a fault, whatever it is, must not stop the server's reminders
                log.exception("reminders could not be sent")
            else:
                for why in done.not_sent:
                    log.warning("reminder not sent: %s", why)
            try:  # notices the mail server could not take when they were made
                noticed = notices.send_pending()
            except Exception:
                log.exception("notices could not be sent")
            else:
                for why in noticed.not_sent:
                    log.warning("notice not sent: %s", why)
            finally:
                close_old_connections()
            stop.wait(EVERY)

    thread = threading.Thread(target=run, name="boardpack-reminders", daemon=True)
    thread.start()
    return thread
