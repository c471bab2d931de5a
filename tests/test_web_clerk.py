"""`boardpack serve` for the clerk, through Django's test client: a meeting set up from its own
pages (date, time, venue, deadline rule, the papers owed and the agenda's order), its dashboard
as papers move, the pack built, and the covering emails written as drafts and sent to a real
SMTP server on 127.0.0.1, each step in the audit trail with who did it; what changed since the
manager's last paper; reminders before the deadline, each sent once."""

# ruff: noqa: F811 - the fixtures of test_web.py are imported, and named as parameters
from __future__ import annotations

import contextlib
import datetime as dt
import email
import io
import zipfile
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, Mailbox, edit_workbook, free_port
from tests.test_web import Cast, _upload, cast, client_for, web  # noqa: F401 - fixtures

MEMBER = "member@example.org"


@contextlib.contextmanager
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A plain SMTP server on 127.0.0.1 (as a relay on the council's own network)."""
    from aiosmtpd.controller import Controller

    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def email_table(port: int | None) -> str:
    text = f"""[email]
from = "clerk@council.example.gov.uk"
recipients = [{{ name = "A Member", address = "{MEMBER}", gets = ["pdf"] }}]
"""
    if port is not None:
        text += f'\n[email.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
    return text


def _page(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def test_a_clerk_sets_up_a_meeting_its_papers_and_agenda_from_the_pages(cast: Cast) -> None:
    from boardpack.web.models import Event, Meeting

    clerk = client_for(cast.clerk)
    home = _page(clerk.get("/"))
    assert f"set up a meeting of the {cast.board.name}" in home
    new = f"/boards/{cast.board.pk}/meetings/new"
    # A day the board meets already is refused, said beside the field.
    page = _page(clerk.post(new, {"date": "2008-01-24", "deadline_time": "10:00"}))
    assert "The board has a meeting that day already" in page
    answer = clerk.post(
        new,
        {
            "date": "2008-03-13",
            "time": "14:00",
            "venue": "Room 2, County Hall",
            "deadline_days": "3",
            "deadline_time": "12:00",
        },
    )
    meeting = Meeting.objects.get(board=cast.board, date=dt.date(2008, 3, 13))
    assert answer["Location"] == f"/meetings/{meeting.pk}/"
    dashboard = _page(clerk.get(f"/meetings/{meeting.pk}/"))
    # Three working days before Thursday 13 March 2008, at noon.
    assert "Papers due Monday 10 March 2008 at 12:00" in dashboard
    assert "At 14:00, Room 2, County Hall." in dashboard

    # Papers owed: only the board's managers may owe one, only its approvers approve.
    add = f"/meetings/{meeting.pk}/papers/new"
    refused = _page(
        clerk.post(
            add, {"name": "roads", "title": "Roads", "position": 1, "manager": cast.stranger.pk}
        )
    )
    assert "Select a valid choice" in refused
    for name, title, manager in (
        ("roads", "Roads", cast.manager),
        ("housing", "Housing", cast.other_manager),
    ):
        answer = clerk.post(
            add,
            {
                "name": name,
                "title": title,
                "position": 1,
                "manager": manager.pk,
                "approver": cast.approver.pk,
            },
        )
        assert answer.status_code == 302, answer.content.decode()
    housing = meeting.papers.get(name="housing")
    roads = meeting.papers.get(name="roads")
    # The agenda's order, saved together: housing first.
    clerk.post(
        f"/meetings/{meeting.pk}/agenda",
        {f"place-{roads.pk}": "2", f"place-{housing.pk}": "1"},
    )
    page = _page(clerk.get(f"/meetings/{meeting.pk}/"))
    assert "The agenda&#x27;s order is saved." in page
    table = page[page.index("The agenda's papers") : page.index("</table>")]
    assert table.index("Housing") < table.index("Roads")
    # The manager now owes it, and sees its deadline.
    assert "Roads" in _page(client_for(cast.manager).get("/"))
    # Changed: the meeting moves a week on, and the paper to another manager.
    clerk.post(
        f"/meetings/{meeting.pk}/edit",
        {"date": "2008-03-20", "time": "14:00", "venue": "Room 2", "deadline_time": "10:00"},
    )
    meeting.refresh_from_db()
    assert meeting.date == dt.date(2008, 3, 20) and meeting.deadline_days is None
    assert "Papers due Thursday 13 March 2008 at 10:00" in _page(
        clerk.get(f"/meetings/{meeting.pk}/")
    )  # the board's rule: five working days
    clerk.post(
        f"/papers/{roads.pk}/edit",
        {"name": "roads", "title": "Roads", "position": 2, "manager": cast.other_manager.pk},
    )
    roads.refresh_from_db()
    assert roads.manager == cast.other_manager and roads.approver is None
    # Published: its readers see it, and its managers can no longer change their papers.
    reader = client_for(cast.reader)
    assert reader.get(f"/meetings/{meeting.pk}/").status_code == 404
    clerk.post(
        f"/meetings/{meeting.pk}/edit",
        {"date": "2008-03-20", "venue": "Room 2", "deadline_time": "10:00", "published": "on"},
    )
    assert "Roads" in _page(reader.get(f"/meetings/{meeting.pk}/"))
    assert "Upload the workbook" not in _page(
        client_for(cast.other_manager).get(f"/papers/{roads.pk}/")
    )
    trail = list(
        Event.objects.filter(meeting=meeting).order_by("pk").values_list("user__username", "action")
    )
    who = cast.clerk.username
    assert trail == [
        (who, "set up the meeting"),
        (who, "owed"),
        (who, "owed"),
        (who, "agenda"),
        (who, "changed the meeting"),
        (who, "changed who owes it"),
        (who, "changed the meeting"),
    ]
    assert Event.objects.filter(meeting=meeting).order_by("pk").last().detail == (
        f"{meeting}, published"
    )


@pytest.mark.libreoffice
def test_the_dashboard_follows_each_paper_and_the_clerk_builds_and_sends(
    cast: Cast, tmp_path: Path
) -> None:
    from boardpack.web.models import Event

    manager, approver, clerk = (client_for(u) for u in (cast.manager, cast.approver, cast.clerk))
    paper, meeting = cast.paper, cast.meeting
    board = f"/meetings/{meeting.pk}/"

    def row(title: str) -> str:
        page = _page(clerk.get(board))
        start = page.index(f">{title}</a>")
        return page[start : page.index("</tr>", start)]

    # The meeting (24 January 2008) is long past its deadline: an owed paper is late.
    assert "Late: </span>Owed" in row("Housing")
    _upload(manager, paper, EXAMPLE)
    manager.post(f"/papers/{paper.pk}/submit")
    assert "Submitted" in row("Procurement") and "Late" not in row("Procurement")
    approver.post(f"/papers/{paper.pk}/decide", {"action": "approve"})
    assert "Approved" in row("Procurement")

    # No mail settings yet: the clerk is told where to give them.
    built = _page(clerk.post(f"{board}build", follow=True))
    assert "The pack is built: 1 paper(s)." in built
    said = _page(clerk.post(f"{board}send", {"how": "drafts"}, follow=True))
    assert "the board names nobody to send the papers to" in said

    with smtp() as (mailbox, port):
        cast.board.email = email_table(port)
        cast.board.save()
        said = _page(clerk.post(f"{board}send", {"how": "drafts"}, follow=True))
        assert f"1 draft(s) written: to {MEMBER}." in said, said[said.index("<main") :]
        drafts = clerk.get(f"{board}drafts.zip")
        assert drafts["Content-Type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(drafts.content)) as package:
            (name,) = package.namelist()
            draft = email.message_from_bytes(package.read(name), policy=policy.default)
        assert name == "01 A Member.eml" and draft["To"] == f"A Member <{MEMBER}>"
        (attached,) = draft.iter_attachments()
        assert attached.get_content_type() == "application/pdf"
        assert mailbox.received == []  # drafts are only written

        said = _page(clerk.post(f"{board}send", {"how": "smtp"}, follow=True))
        assert f"1 sent through 127.0.0.1:{port}: sent to {MEMBER}." in said
        ((to, sent),) = mailbox.received
        assert to == [MEMBER]
        message = email.message_from_bytes(sent, policy=policy.default)
        assert len(list(message.iter_attachments())) == 1
        # Sent already: not again.
        said = _page(clerk.post(f"{board}send", {"how": "smtp"}, follow=True))
        assert f"already sent to {MEMBER}" in said and len(mailbox.received) == 1

    # The manager changes the approved paper: the dashboard says so, and that the built pack
    # no longer holds the paper as it will be.
    changed = edit_workbook(EXAMPLE, tmp_path / "procurement.xlsx", {"Paper!B2": "Procurement 2"})
    _upload(manager, paper, changed)
    assert "Changed after approval" in row("Procurement")
    manager.post(f"/papers/{paper.pk}/submit")
    approver.post(f"/papers/{paper.pk}/decide", {"action": "approve"})
    assert "Stale in the built pack: build again" in row("Procurement")
    assert "Changed after approval" not in row("Procurement")

    trail = list(
        Event.objects.filter(meeting=meeting).order_by("pk").values_list("user__username", "action")
    )
    m, a, c = cast.manager.username, cast.approver.username, cast.clerk.username
    assert trail == [
        (m, "upload"), (m, "submit"), (None, "notice not sent"),
        (a, "approve"), (None, "notice not sent"), (c, "build"),
        (c, "send"), (c, "send"), (c, "send"),
        (m, "upload"), (m, "submit"), (None, "notice not sent"),
        (a, "approve"), (None, "notice not sent"),
    ]  # fmt: skip
    sends = Event.objects.filter(meeting=meeting, action="send").order_by("pk")
    assert next(e.detail for e in sends) == f"1 draft(s) written: to {MEMBER}"
    assert all(e.at is not None for e in sends)


def test_the_manager_sees_what_changed_since_the_paper_they_last_submitted(
    cast: Cast, tmp_path: Path
) -> None:
    manager = client_for(cast.manager)
    paper = cast.paper
    _upload(manager, paper, EXAMPLE)
    first = _page(manager.get(f"/papers/{paper.pk}/"))
    assert "What changed since the last paper" not in first  # nothing submitted before it
    manager.post(f"/papers/{paper.pk}/submit")
    # The next version: a risk more likely (1 to 2, so 4 to 8), a milestone three weeks later.
    later = dt.date(2007, 11, 30) + dt.timedelta(days=21)
    edited = edit_workbook(
        EXAMPLE,
        tmp_path / "procurement.xlsx",
        {"Risks!B2": 2, "Risks!D2": 8, "Plan!E2": dt.datetime(2007, 12, 21)},
    )
    page = _upload(manager, paper, edited).content.decode()
    assert "What changed since the last paper you submitted" in page
    assert "Compared with procurement.xlsx" in page
    risk_table = page[page.index("Risks, against the last paper") :]
    body = risk_table[risk_table.index("<tbody>") :]
    first_risk = body[: body.index("</tr>")]
    assert "Unwillingness of authorities" in first_risk
    assert "<td>4</td><td>8</td><td>up</td>" in first_risk
    slips = page[page.index("Milestones due later than in the last paper") :]
    assert f"{later:%-d %B %Y}" in slips[: slips.index("</table>")]


def test_managers_who_still_owe_a_paper_are_reminded_once_before_the_deadline(
    cast: Cast,
) -> None:
    from boardpack.web import reminders
    from boardpack.web.models import Event, Reminder

    cast.manager.email = "manager@example.org"
    cast.manager.save()
    cast.other_manager.email = "other@example.org"
    cast.other_manager.save()
    # The meeting is on Thursday 24 January 2008; papers due five working days before, on
    # Thursday 17 January at 10:00; the board reminds two working days before that.
    _only_this_board_reminds(cast)
    before, on_time, after = (  # UTC, as London's time is in January
        dt.datetime(2008, 1, 15, 9, 59, tzinfo=dt.UTC),
        dt.datetime(2008, 1, 15, 10, 0, tzinfo=dt.UTC),
        dt.datetime(2008, 1, 17, 10, 0, tzinfo=dt.UTC),
    )
    cast.paper.state = "submitted"  # the first manager has done it: no reminder
    cast.paper.save()
    with smtp() as (mailbox, port):
        cast.board.email = email_table(port)
        cast.board.save()
        assert reminders.send_reminders(before).sent == []
        done = reminders.send_reminders(on_time)
        assert [r.to for r in done.sent] == ["other@example.org"], done.not_sent
        ((to, sent),) = mailbox.received
        assert to == ["other@example.org"]
        message = email.message_from_bytes(sent, policy=policy.default)
        assert message["Subject"] == "Reminder: Housing is due Thursday 17 January at 10:00"
        assert message["From"] == "clerk@council.example.gov.uk"
        body = message.get_content()
        assert (
            f"Your paper Housing for the {cast.meeting} is due by Thursday 17 January 2008" in body
        )
        # Once: the next look sends nothing, nor does one after the deadline.
        assert reminders.send_reminders(on_time + dt.timedelta(hours=1)).sent == []
        assert reminders.send_reminders(after).sent == []
        assert len(mailbox.received) == 1
    assert Reminder.objects.filter(paper__meeting=cast.meeting).count() == 1
    (event,) = Event.objects.filter(meeting=cast.meeting, action="reminder")
    assert event.paper == cast.other_paper and event.detail == "to other@example.org"


def test_a_reminder_the_server_refuses_is_reported_and_tried_again(cast: Cast) -> None:
    from boardpack.web import reminders

    _only_this_board_reminds(cast)
    cast.other_manager.email = "other@nowhere.example"  # the test server refuses these
    cast.other_manager.save()
    when = dt.datetime(2008, 1, 15, 12, 0, tzinfo=dt.UTC)
    with smtp() as (mailbox, port):
        cast.board.email = email_table(port)
        cast.board.save()
        done = reminders.send_reminders(when)
        assert done.sent == []
        assert any("other@nowhere.example" in why for why in done.not_sent), done.not_sent
        assert any("Procurement: its manager" in why for why in done.not_sent), done.not_sent
        cast.other_manager.email = "other@example.org"
        cast.other_manager.save()
        again = reminders.send_reminders(when)
        assert [r.to for r in again.sent] == ["other@example.org"]
    assert len(mailbox.received) == 1


def _only_this_board_reminds(cast: Cast) -> None:
    """Other tests' boards meet the same day; their servers are gone."""
    from boardpack.web.models import Board

    Board.objects.exclude(pk=cast.board.pk).update(reminder_days=0)
