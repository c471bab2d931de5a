"""Emails that tell someone a paper waits for them, as Infocouncil's authorisers are told: the
approver when a paper is submitted for their approval, the manager when their paper is returned
(with the approver's comment) or approved. Each carries a link to the paper's page, which asks
the reader to sign in: the link holds no secret, so a forwarded email lets nobody in.

A notice is made in the same transaction as the step it tells of, then sent at once through the
board's mail server and the engine's mail code (meeting/mail.py); one the server could not take
is tried again by the server's periodic look (reminders.py). Each is sent once, under a file
lock, and recorded in the audit trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from django.utils import timezone
from filelock import FileLock

from boardpack.errors import BoardpackError
from boardpack.web import store
from boardpack.web.mailing import BoardMail, board_mail, new_message, send_through
from boardpack.web.models import Notice, Paper, record


@dataclass
class Noticed:
    """What one run did: notices sent, and why others were not (yet)."""

    sent: list[Notice] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)


def paper_address(paper: Paper) -> str:
    """The paper's page at the address the council set (BOARDPACK_WEB_ADDRESS), "" if none."""
    from django.conf import settings
    from django.urls import reverse

    site = str(getattr(settings, "SITE_ADDRESS", ""))
    return f"{site}{reverse('paper', args=[paper.pk])}" if site else ""


def make(paper: Paper, kind: Any, to: Any, link: str, comment: str = "") -> Notice:
    """A notice to send, made with the step it tells of (inside its transaction)."""
    return Notice.objects.create(paper=paper, kind=kind, to=to, link=link, comment=comment)


def send_pending(paper: Paper | None = None, now: dt.datetime | None = None) -> Noticed:
    """Send every notice not yet sent (of `paper` only, when given), grouped by board; one run at
    a time, so each goes once. A notice that can never go (no mail server, no address) is
    settled as such and recorded; one the server refused or could not take waits for the next
    run."""
    now = now or timezone.now()
    done = Noticed()
    with FileLock(str(store.data() / "notices.lock"), timeout=600):
        pending = Notice.objects.filter(sent__isnull=True, given_up="").select_related(
            "paper__meeting__board", "to", "paper__manager"
        )
        if paper is not None:
            pending = pending.filter(paper=paper)
        by_board: dict[int, list[Notice]] = {}
        for notice in pending:
            by_board.setdefault(notice.paper.meeting.board_id, []).append(notice)
        for notices in by_board.values():
            _send(notices, now, done)
    return done


def _still_so(notice: Notice) -> bool:
    """Whether what the notice tells is still true of its paper."""
    from boardpack.web.models import State

    paper = notice.paper
    if notice.kind == Notice.Kind.TO_APPROVE:
        return paper.state == State.SUBMITTED and paper.approver_id == notice.to_id
    if notice.kind == Notice.Kind.RETURNED:
        return paper.state == State.RETURNED
    return paper.state == State.APPROVED


def _give_up(notice: Notice, why: str, done: Noticed) -> None:
    notice.given_up = why
    notice.save(update_fields=["given_up"])
    record(None, "notice not sent", paper=notice.paper, detail=f"{notice.kind}: {why}")
    done.not_sent.append(f"{notice.paper.title}: {why}")


def _send(notices: list[Notice], now: dt.datetime, done: Noticed) -> None:
    from boardpack.meeting.distribution import Deliverable, Recipient
    from boardpack.meeting.mail import Draft, Sent

    board = notices[0].paper.meeting.board
    try:
        mail = board_mail(board)
    except BoardpackError as exc:
        for notice in notices:
            _give_up(notice, str(exc), done)
        return
    drafts = []
    for notice in notices:
        if not _still_so(notice):  # waited for a mail server while the paper moved on
            state = notice.paper.get_state_display().lower()
            _give_up(notice, f"no longer so: the paper is {state} now", done)
            continue
        person = notice.to
        name = person.get_full_name() or person.username
        try:
            recipient = Recipient(
                name=name, address=person.email, role=notice.kind, gets=(Deliverable.PDF,)
            )
        except ValueError:
            _give_up(notice, f"{name} has no usable email address", done)
            continue
        message = _message(notice, recipient.name, recipient.address, mail, now)
        drafts.append(Draft(recipient, message, (), (str(notice.pk),)))
    by_pk = {str(n.pk): n for n in notices}

    def sent(accepted: Sent) -> None:
        notice = by_pk[accepted.papers[0]]
        notice.sent = timezone.now()
        notice.save(update_fields=["sent"])
        said = f"{notice.get_kind_display()}, to {accepted.recipient.address}"
        record(None, "notice", paper=notice.paper, detail=said)
        done.sent.append(notice)

    send_through(board, mail, drafts, sent, done.not_sent)


def _message(
    notice: Notice, name: str, address: str, mail: BoardMail, now: dt.datetime
) -> EmailMessage:
    paper = notice.paper
    deadline = timezone.localtime(paper.meeting.deadline())
    due = f"{deadline:%A} {deadline.day} {deadline:%B %Y at %H:%M}"
    manager = paper.manager.get_full_name() or paper.manager.username
    if notice.kind == Notice.Kind.TO_APPROVE:
        subject = f"Please approve: {paper.title}, for the {paper.meeting}"
        said = (
            f"{manager} has submitted the paper {paper.title} for the {paper.meeting}, and it"
            " waits for your approval.\n\n"
            f"Open it here, read it, and approve it or return it to {manager} with a comment:"
        )
    elif notice.kind == Notice.Kind.RETURNED:
        subject = f"Returned: {paper.title}, for the {paper.meeting}"
        said = (
            f"Your paper {paper.title} for the {paper.meeting} was returned by its approver,"
            " who says:\n\n"
            + "\n".join(f"    {line}" for line in notice.comment.splitlines())
            + f"\n\nChange the workbook, upload it and submit it again by {due}:"
        )
    else:
        subject = f"Approved: {paper.title}, for the {paper.meeting}"
        said = f"Your paper {paper.title} for the {paper.meeting} is approved for its pack."
        if notice.comment:
            said += "\n\nIts approver says:\n\n" + "\n".join(
                f"    {line}" for line in notice.comment.splitlines()
            )
        said += "\n\nThe paper:"
    message = new_message(mail, name, address, subject, now)
    message.set_content(
        f"Dear {name},\n\n{said}\n\n{notice.link}\n\n"
        "You will be asked to sign in to boardpack first.\n"
    )
    return message
