"""`boardpack serve`'s emails that tell someone a paper waits for them: the approver when it is
submitted (with a link that asks for sign-in and holds no key), the manager when it is returned
with a comment or approved; each sent once through a real SMTP server on 127.0.0.1, recorded in
the audit trail, tried again later when the server could not take it; the board's [email.smtp]
used in full (STARTTLS, a password, the council's own certificate authority)."""

# ruff: noqa: F811 - the fixtures of test_web.py are imported, and named as parameters
from __future__ import annotations

import email
import re
import shutil
from email import policy
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, SMTP_PASSWORD, Mailbox, free_port
from tests.test_web import Cast, _upload, cast, client_for, web  # noqa: F401 - fixtures
from tests.test_web_clerk import email_table, smtp


def _messages(mailbox: Mailbox) -> list[tuple[list[str], Any]]:
    return [
        (to, email.message_from_bytes(data, policy=policy.default)) for to, data in mailbox.received
    ]


def _addresses(cast: Cast) -> None:
    cast.manager.email = "manager@example.org"
    cast.manager.save()
    cast.approver.email = "approver@example.org"
    cast.approver.save()


def _submitted(cast: Cast) -> str:
    manager = client_for(cast.manager)
    assert "It has no problems" in _upload(manager, cast.paper, EXAMPLE).content.decode()
    return str(manager.post(f"/papers/{cast.paper.pk}/submit", follow=True).content.decode())


def test_the_approver_gets_a_link_that_asks_for_sign_in_and_the_manager_hears_back(
    cast: Cast,
) -> None:
    from boardpack.web import notices
    from boardpack.web.models import Event

    _addresses(cast)
    with smtp() as (mailbox, port):
        cast.board.email = email_table(port)
        cast.board.save()
        page = _submitted(cast)
        assert "It now waits for Approver to approve it." in page
        assert "Approver has been sent an email with a link to the paper." in page
        ((to, asked),) = _messages(mailbox)
        assert to == ["approver@example.org"]
        assert asked["Subject"].strip() == f"Please approve: Procurement, for the {cast.meeting}"
        body = asked.get_content()
        assert "Manager has submitted the paper Procurement" in body
        (link,) = re.findall(r"http\S+", body)
        assert link == f"http://testserver/papers/{cast.paper.pk}/"

        # The link alone lets nobody in: it asks for sign-in, then shows the paper.
        nobody = client_for(None).get(link)
        assert nobody.status_code == 302
        assert nobody["Location"] == f"/login/?next=/papers/{cast.paper.pk}/"
        stranger = client_for(cast.stranger).get(link)
        assert stranger.status_code == 404
        approver = client_for(cast.approver)
        assert "Approve or return" in approver.get(link).content.decode()

        page = approver.post(
            f"/papers/{cast.paper.pk}/decide",
            {"action": "return", "comment": "The risk scores need a second look.\nSee R3."},
            follow=True,
        ).content.decode()
        assert "Manager has been sent an email with a link to the paper." in page
        (_, returned) = _messages(mailbox)[1]
        assert returned["To"] == "Manager <manager@example.org>"
        # (a long Subject is folded after its name; the reader's mail program unfolds it)
        assert returned["Subject"].strip() == f"Returned: Procurement, for the {cast.meeting}"
        body = returned.get_content().replace("\r\n", "\n")
        assert "returned by its approver, who says:" in body
        assert "    The risk scores need a second look.\n    See R3." in body
        assert link in body

        _submitted(cast)
        approver.post(f"/papers/{cast.paper.pk}/decide", {"action": "approve", "comment": "Good."})
        subjects = [m["Subject"].strip() for _, m in _messages(mailbox)]
        assert subjects[2:] == [
            f"Please approve: Procurement, for the {cast.meeting}",
            f"Approved: Procurement, for the {cast.meeting}",
        ]
        assert "Its approver says:\n\n    Good." in _messages(mailbox)[3][1].get_content().replace(
            "\r\n", "\n"
        )
        # Each once: another look sends nothing more.
        assert notices.send_pending().sent == []
        assert len(mailbox.received) == 4
    # The clerk's trail says the server sent them, and the workbook submitted, shortly.
    trail = client_for(cast.clerk).get(f"/meetings/{cast.meeting.pk}/").content.decode()
    assert "<td>boardpack</td><td>notice: Procurement</td>" in trail
    assert re.search(r"<td>the workbook [0-9a-f]{12}…</td>", trail)
    told = Event.objects.filter(paper=cast.paper, action="notice").order_by("pk")
    assert [e.detail for e in told] == [
        "To its approver: waiting for approval, to approver@example.org",
        "To its manager: returned, to manager@example.org",
        "To its approver: waiting for approval, to approver@example.org",
        "To its manager: approved, to manager@example.org",
    ]


def test_a_notice_the_mail_server_could_not_take_is_sent_later_once(cast: Cast) -> None:
    from boardpack.web import notices
    from boardpack.web.models import Notice

    _addresses(cast)
    cast.board.email = email_table(free_port())  # nothing listens there
    cast.board.save()
    page = _submitted(cast)
    assert "Approver could not be emailed" in page
    assert "they see it on their boardpack home page" in page
    (waiting,) = Notice.objects.filter(paper=cast.paper)
    assert waiting.sent is None and waiting.given_up == ""
    with smtp() as (mailbox, port):
        cast.board.email = email_table(port)
        cast.board.save()
        assert [n.pk for n in notices.send_pending().sent] == [waiting.pk]
        assert notices.send_pending().sent == []
    ((to, _),) = mailbox.received
    assert to == ["approver@example.org"]


def test_a_notice_that_can_never_go_is_said_and_recorded_not_retried(cast: Cast) -> None:
    from boardpack.web import notices
    from boardpack.web.models import Event, Notice

    _addresses(cast)
    cast.board.email = ""  # no mail server named
    cast.board.save()
    page = _submitted(cast)
    assert "Approver could not be emailed" in page
    assert "names no mail server ([email.smtp]) to send through" in page
    (notice,) = Notice.objects.filter(paper=cast.paper)
    assert "names no mail server" in notice.given_up
    assert notices.send_pending().not_sent == []  # settled: not tried again
    (event,) = Event.objects.filter(paper=cast.paper, action="notice not sent")
    assert event.detail.startswith("to approve: ")


def test_an_over_long_comment_is_refused_not_cut(cast: Cast) -> None:
    from boardpack.web.models import Paper

    cast.board.email = ""
    cast.board.save()
    _submitted(cast)
    approver = client_for(cast.approver)
    page = approver.post(
        f"/papers/{cast.paper.pk}/decide",
        {"action": "return", "comment": "x" * 4001},
        follow=True,
    ).content.decode()
    assert "The comment is 4001 characters long; shorten it to 4000 or fewer" in page
    assert Paper.objects.get(pk=cast.paper.pk).state == "submitted"
    assert 'maxlength="4000"' in page


@pytest.mark.parametrize("trusted", [True, False])
def test_notices_and_reminders_use_the_boards_security_password_and_ca_file(
    cast: Cast,
    web: Path,
    server: tuple[Mailbox, int],
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    trusted: bool,
) -> None:
    """The test server asks for STARTTLS and a password, with a certificate no system trusts:
    only the board's ca_file (in the data folder) lets a message through."""
    import datetime as dt

    from boardpack.web import notices, reminders
    from boardpack.web.models import Board

    mailbox, port = server
    _addresses(cast)
    cast.other_manager.email = "other@example.org"
    cast.other_manager.save()
    name = f"council-ca-{cast.board.pk}.pem"
    if trusted:
        shutil.copyfile(certificate[0], web / name)
    monkeypatch.setenv("BOARDPACK_SMTP_PASSWORD", SMTP_PASSWORD)
    cast.board.email = (
        '[email]\nfrom = "clerk@council.example.gov.uk"\n'
        'recipients = [{ name = "A Member", address = "m@example.org", gets = ["pdf"] }]\n'
        f'[email.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "starttls"\n'
        f'username = "jim"\nca_file = "{name}"\n'
    )
    cast.board.save()
    Board.objects.exclude(pk=cast.board.pk).update(reminder_days=0)
    page = _submitted(cast)
    reminded = reminders.send_reminders(dt.datetime(2008, 1, 15, 12, 0, tzinfo=dt.UTC))
    if trusted:
        assert "Approver has been sent an email" in page
        assert [r.to for r in reminded.sent] == ["other@example.org"]
        assert sorted(to for to, _ in mailbox.received) == [
            ["approver@example.org"],
            ["other@example.org"],
        ]
    else:
        assert "Approver could not be emailed" in page
        assert f"{name} is not in the data folder" in page
        assert reminded.sent == [] and mailbox.received == []
        assert any(f"{name} is not in the data folder" in w for w in reminded.not_sent)
    assert notices.send_pending().sent == []


def test_a_new_approver_of_a_paper_waiting_for_approval_is_told(cast: Cast) -> None:
    from django.contrib.auth import get_user_model

    from boardpack.web.models import Membership

    _addresses(cast)
    deputy = get_user_model().objects.create_user(
        f"deputy{cast.board.pk}", email="deputy@example.org", first_name="Deputy"
    )
    Membership.objects.create(user=deputy, board=cast.board, role="approver")
    with smtp() as (mailbox, port):
        cast.board.email = email_table(port)
        cast.board.save()
        _submitted(cast)
        page = client_for(cast.clerk).post(
            f"/papers/{cast.paper.pk}/edit",
            {
                "name": "procurement",
                "title": "Procurement",
                "position": "1",
                "manager": str(cast.manager.pk),
                "approver": str(deputy.pk),
            },
            follow=True,
        )
        assert "Deputy has been sent an email with a link to the paper." in page.content.decode()
        assert [to for to, _ in mailbox.received] == [
            ["approver@example.org"],
            ["deputy@example.org"],
        ]
    assert (
        "Approve or return" in client_for(deputy).get(f"/papers/{cast.paper.pk}/").content.decode()
    )


def test_a_notice_that_waited_while_the_paper_moved_on_is_not_sent(cast: Cast) -> None:
    from boardpack.web import notices
    from boardpack.web.models import Event

    _addresses(cast)
    cast.board.email = email_table(free_port())  # nothing listens there
    cast.board.save()
    _submitted(cast)
    _upload(client_for(cast.manager), cast.paper, EXAMPLE)  # changed: no longer waiting
    with smtp() as (mailbox, port):
        cast.board.email = email_table(port)
        cast.board.save()
        done = notices.send_pending()
    assert done.sent == [] and mailbox.received == []
    (event,) = Event.objects.filter(paper=cast.paper, action="notice not sent")
    assert event.detail == "to approve: no longer so: the paper is uploaded, not submitted now"


def test_a_notice_is_from_the_boards_sender_to_one_mailbox_whatever_the_name(
    cast: Cast,
) -> None:
    _addresses(cast)
    cast.approver.first_name, cast.approver.last_name = "Pat", "O'Brien, MBE"
    cast.approver.save()
    with smtp() as (mailbox, port):
        cast.board.email = email_table(port).replace(
            'from = "clerk@council.example.gov.uk"\n',
            'from = "clerk@council.example.gov.uk"\nsender_name = "Committee Services"\n'
            'reply_to = "committees@council.example.gov.uk"\n',
        )
        cast.board.save()
        _submitted(cast)
    ((to, message),) = _messages(mailbox)
    assert to == ["approver@example.org"]
    (mailbox_to,) = message["To"].addresses  # one mailbox, its name with a comma quoted
    assert (mailbox_to.display_name, mailbox_to.addr_spec) == (
        "Pat O'Brien, MBE",
        "approver@example.org",
    )
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Committee Services",
        "clerk@council.example.gov.uk",
    )
    assert message["Reply-To"] == "committees@council.example.gov.uk"


def test_with_the_councils_address_set_reminders_and_notices_link_to_it(cast: Cast) -> None:
    import datetime as dt

    from django.test import override_settings

    from boardpack.web import reminders
    from boardpack.web.models import Board

    _addresses(cast)
    cast.other_manager.email = "other@example.org"
    cast.other_manager.save()
    Board.objects.exclude(pk=cast.board.pk).update(reminder_days=0)
    site = "https://boardpack.council.example.gov.uk"
    with smtp() as (mailbox, port), override_settings(SITE_ADDRESS=site):
        cast.board.email = email_table(port)
        cast.board.save()
        _submitted(cast)  # from the test client's own host, testserver
        reminders.send_reminders(dt.datetime(2008, 1, 15, 12, 0, tzinfo=dt.UTC))
    bodies = {to[0]: m.get_content().replace("\r\n", "\n") for to, m in _messages(mailbox)}
    assert f"\n{site}/papers/{cast.paper.pk}/\n" in bodies["approver@example.org"]
    assert (
        f"upload the workbook, check it and submit it:\n\n{site}/papers/{cast.other_paper.pk}/\n"
        in bodies["other@example.org"]
    )
