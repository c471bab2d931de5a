"""`boardpack serve` tried by hand as a manager and an intruder would try it, each finding kept
as a test: a file's name as it was sent (without its folders or control characters), a file
refused as a whole named as sent and offered no marked copy, a file too big refused unread (by
the page and by the server itself), a workbook for another meeting warned of at its cells, an
address for what does not exist answered "not found"."""

# ruff: noqa: F811 - the fixtures of test_web.py are imported, and named as parameters
from __future__ import annotations

import datetime as dt
import html
import io
import re
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLE, edit_workbook
from tests.test_web import (  # noqa: F401 - fixtures
    Cast,
    _upload,
    cast,
    client_for,
    running,
    web,
)


def _problems(page: str) -> list[tuple[str, str]]:
    """The rows of the page's first table of problems: (where, what)."""
    table = page.split('<table class="problems">', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<td>(.*?)</td>", table, flags=re.S)
    return [
        (html.unescape(a), html.unescape(b)) for a, b in zip(cells[::2], cells[1::2], strict=True)
    ]


def _send(client: Any, paper: Any, name: str, content: bytes) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    sent = SimpleUploadedFile(name, content)
    response = client.post(f"/papers/{paper.pk}/upload", {"workbook": sent}, follow=True)
    return str(response.content.decode())


def test_an_uploads_name_loses_its_folders_and_shows_its_control_characters(cast: Cast) -> None:
    from boardpack.web import store
    from boardpack.web.models import Upload

    done = store.check_upload(
        cast.paper, "C:\\Users\\mark\\Desktop\\hous\x1b[31ming\x07.xlsx", b"PK", cast.manager
    )
    assert done.file_name == "hous\\x1b[31ming\\x07.xlsx"
    assert done.path().parent.name == str(cast.paper.pk)  # kept by its hash, never its name
    page = _send(client_for(cast.manager), cast.paper, "../../etc/passwd.xlsx", b"PK")
    assert Upload.objects.filter(paper=cast.paper).latest("pk").file_name == "passwd.xlsx"
    assert "\x1b" not in page


def test_a_file_refused_as_a_whole_is_named_as_sent_with_no_marked_copy_offered(
    cast: Cast,
) -> None:
    manager = client_for(cast.other_manager)
    page = _send(manager, cast.other_paper, "budget.xlsx", b"<html><p>Not a workbook</p></html>")
    ((where, what),) = _problems(page)
    assert where == "budget.xlsx (the whole file)"
    assert what.startswith("is a web page (HTML), not an Excel workbook")
    assert "housing.xlsx" not in page  # the name only the server uses
    assert "problems.xlsx" not in page  # nothing to mark: no link to a copy
    assert "Upload the paper's workbook itself, saved from Excel" in page

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (200 * 1024 * 1024) + b"</a>")
    page = _send(manager, cast.other_paper, "q3.xlsx", bomb.getvalue())
    ((where, what),) = _problems(page)
    assert where == "q3.xlsx (the whole file)" and "would expand to 200 MB when opened" in what
    assert "problems.xlsx" not in page


def test_a_file_too_big_to_be_a_workbook_is_refused_unread(cast: Cast) -> None:
    from boardpack.web.models import Upload

    page = _send(client_for(cast.manager), cast.paper, "scan.xlsx", b"\0" * (21 * 1024 * 1024))
    assert "scan.xlsx is over 20 MB, far more than a paper&#x27;s workbook" in page
    assert not Upload.objects.filter(paper=cast.paper).exists()


def test_the_server_refuses_a_request_bigger_than_any_workbook(
    running: tuple[str, Path],
) -> None:
    address, _ = running
    request = urllib.request.Request(
        f"{address}/login/", data=b"x" * (30 * 1024 * 1024), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (ConnectionError, urllib.error.URLError):
        status = 413  # the server may close the connection while the body is still sent
    assert status == 413


def test_a_workbook_for_another_board_or_meeting_is_warned_of_at_its_cells(
    cast: Cast, tmp_path: Path
) -> None:
    manager = client_for(cast.manager)
    page = _upload(manager, cast.paper, EXAMPLE)
    assert "It has no problems" in page.content.decode()  # a warning does not stop it
    board = cast.board.name
    warnings = _problems(page.content.decode())  # with no problems, the warnings' table
    assert (
        "sheet Paper, cell B5",
        f"the workbook says the board is 'Joint Improvement Board', but this paper is for"
        f" the {board}; type {board} there",
    ) in warnings

    cast.board.name = "joint  improvement BOARD"  # the same words
    cast.board.save()
    last_quarter = edit_workbook(
        EXAMPLE, tmp_path / "procurement.xlsx", {"Paper!B6": dt.datetime(2007, 10, 25)}
    )
    page = _upload(manager, cast.paper, last_quarter).content.decode()
    warnings = _problems(page)
    assert not any("the workbook says the board is" in what for _, what in warnings)
    assert (
        "sheet Paper, cell B6",
        "the workbook is for a meeting on 25/10/2007, but this paper is for the meeting on"
        " 24/01/2008: update the paper for this meeting",
    ) in warnings


def test_an_address_for_what_does_not_exist_is_not_found(cast: Cast) -> None:
    clerk = client_for(cast.clerk)
    for address in ("/meetings/99999/", "/papers/99999/", "/boards/99999/meetings/new"):
        response = clerk.get(address)
        assert response.status_code == 404, address
        assert "Traceback" not in response.content.decode()
    for address in ("/meetings/99999/build", "/papers/99999/decide", "/meetings/abc/"):
        assert clerk.post(address).status_code == 404, address


def test_a_second_click_on_submit_or_approve_changes_nothing_and_asks_nobody_twice(
    cast: Cast,
) -> None:
    from boardpack.web.models import Event, Notice, Paper

    manager, approver = client_for(cast.manager), client_for(cast.approver)
    _upload(manager, cast.paper, EXAMPLE)
    submit = f"/papers/{cast.paper.pk}/submit"
    manager.post(submit)
    again = manager.post(submit, follow=True).content.decode()
    assert "It is submitted already; nothing changed." in again
    assert Notice.objects.filter(paper=cast.paper).count() == 1

    decide = f"/papers/{cast.paper.pk}/decide"
    approver.post(decide, {"action": "approve"})
    again = approver.post(decide, {"action": "return", "comment": "Late thought"}, follow=True)
    said = html.unescape(again.content.decode())
    assert "It does not wait for your approval now (it is approved); nothing changed." in said
    assert Paper.objects.get(pk=cast.paper.pk).state == "approved"
    # An approved paper is not put back to waiting by a stray submit.
    assert "It is approved already" in manager.post(submit, follow=True).content.decode()
    actions = Event.objects.filter(paper=cast.paper).values_list("action", flat=True)
    assert sorted(set(actions)) == ["approve", "notice not sent", "submit", "upload"]
    assert list(actions).count("submit") == 1 and list(actions).count("approve") == 1


def test_the_meeting_page_says_when_and_where_in_plain_words(cast: Cast) -> None:
    import datetime as dt

    clerk = client_for(cast.clerk)

    def said() -> str:
        page = clerk.get(f"/meetings/{cast.meeting.pk}/").content.decode()
        return html.unescape(page.split("<h1>", 1)[1].split("Papers due", 1)[0])

    cast.meeting.date = dt.date(2008, 1, 3)
    cast.meeting.save()
    assert said().startswith("Joint Improvement Board")
    assert f"{cast.board.name}, 3 January 2008</h1>" in said()  # not "03 January"
    assert "<p>At Council Chamber, County Hall." in said()  # no time: no stray comma
    cast.meeting.time = dt.time(14, 30)
    cast.meeting.venue = ""
    cast.meeting.save()
    assert "<p>At 14:30." in said()
    cast.meeting.time = None
    cast.meeting.save()
    assert said().endswith("</h1>\n<p>\n")  # neither: no stray full stop


def test_the_manager_is_told_what_to_do_next_at_each_step(cast: Cast, tmp_path: Path) -> None:
    manager, approver = client_for(cast.manager), client_for(cast.approver)
    cast.board.email = ""
    cast.board.save()

    def next_on_home() -> str:
        page = html.unescape(manager.get("/").content.decode())
        row = page[page.index(">Procurement</a>") :]
        return row[: row.index("</tr>")].rsplit("<td>", 1)[1].removesuffix("</td>\n    ")

    assert next_on_home().startswith("Download the blank workbook, fill it in, and upload it")
    bad = edit_workbook(EXAMPLE, tmp_path / "procurement.xlsx", {"Risks!B2": 7})
    page = html.unescape(_upload(manager, cast.paper, bad).content.decode())
    assert (
        "What to do next: Fix the problems listed below in the workbook, and upload it again."
        in page
    )
    assert next_on_home().startswith("Fix the problems its page lists in the workbook")
    _upload(manager, cast.paper, EXAMPLE)
    assert next_on_home().startswith("Preview it, then submit it")
    manager.post(f"/papers/{cast.paper.pk}/submit")
    assert next_on_home().startswith("Nothing for now: it waits for Approver to approve it")
    approver.post(f"/papers/{cast.paper.pk}/decide", {"action": "return", "comment": "Costs?"})
    assert next_on_home().startswith("Read the approver's comment, change the workbook")
    manager.post(f"/papers/{cast.paper.pk}/submit")
    approver.post(f"/papers/{cast.paper.pk}/decide", {"action": "approve"})
    assert next_on_home().startswith("Nothing: it is approved and goes into the pack")


def test_the_sign_in_page_says_why_it_is_asked_for_and_whom_to_ask(cast: Cast) -> None:
    first = client_for(None).get(f"/papers/{cast.paper.pk}/", follow=True).content.decode()
    assert "Sign in to open the page you were sent to" in first
    assert "Ask your committee clerk." in first
    plain = client_for(None).get("/login/").content.decode()
    assert "Sign in to open the page you were sent to" not in plain


def test_a_very_long_file_name_is_shortened_keeping_its_ending(cast: Cast) -> None:
    from boardpack.web import store

    name = "Procurement " + "very " * 100 + "final v3.xlsx"
    shown = store.upload_name(name)
    assert len(shown) == 200 and shown.startswith("Procurement very")
    assert shown.endswith("\u2026 very final v3.xlsx")
    done = store.check_upload(cast.paper, name, b"PK", cast.manager)
    assert done.file_name == shown  # checked as a workbook, not refused for its ending


def test_forms_posted_from_another_site_are_refused_and_change_nothing(cast: Cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from boardpack.web.models import Build, Upload

    manager = client_for(cast.manager, enforce_csrf_checks=True)
    sent = SimpleUploadedFile("procurement.xlsx", EXAMPLE.read_bytes())
    assert manager.post(f"/papers/{cast.paper.pk}/upload", {"workbook": sent}).status_code == 403
    assert manager.post(f"/papers/{cast.paper.pk}/submit").status_code == 403
    clerk = client_for(cast.clerk, enforce_csrf_checks=True)
    assert clerk.post(f"/meetings/{cast.meeting.pk}/build").status_code == 403
    assert not Upload.objects.filter(paper=cast.paper).exists()
    assert not Build.objects.filter(meeting=cast.meeting).exists()


def test_each_problem_is_placed_in_words_a_manager_reads() -> None:
    from boardpack.web.models import place_in_words

    assert place_in_words({"where": "Risks!B2"}) == "sheet Risks, cell B2"
    assert place_in_words({"where": "Risks!A5:F5"}) == "sheet Risks, row 5"
    assert place_in_words({"where": "Paper!A:A"}) == "sheet Paper, column A"
    assert place_in_words({"where": "Plan!B2:C9"}) == "sheet Plan, cells B2:C9"
    assert place_in_words({"where": "Sections"}) == "sheet Sections"
    assert place_in_words({"where": "q3.xlsx", "file": 1}) == "q3.xlsx (the whole file)"


def test_an_approver_from_an_old_email_is_told_the_paper_does_not_wait_for_them(
    cast: Cast,
) -> None:
    cast.board.email = ""
    cast.board.save()
    manager, approver = client_for(cast.manager), client_for(cast.approver)
    _upload(manager, cast.paper, EXAMPLE)
    manager.post(f"/papers/{cast.paper.pk}/submit")
    _upload(manager, cast.paper, EXAMPLE)  # changed again before the approver looked
    page = html.unescape(approver.get(f"/papers/{cast.paper.pk}/").content.decode())
    assert "It does not wait for your approval yet: its manager has not submitted it" in page
    assert "Approve or return" not in page
    manager.post(f"/papers/{cast.paper.pk}/submit")
    page = html.unescape(approver.get(f"/papers/{cast.paper.pk}/").content.decode())
    assert "Approve or return" in page and "does not wait" not in page
    approver.post(f"/papers/{cast.paper.pk}/decide", {"action": "approve"})
    page = html.unescape(approver.get(f"/papers/{cast.paper.pk}/").content.decode())
    assert "It is approved. Nothing waits for you." in page


def test_a_paper_cannot_be_approved_by_its_own_manager(cast: Cast) -> None:
    from boardpack.web.models import Membership, Paper

    Membership.objects.create(user=cast.manager, board=cast.board, role="approver")
    page = client_for(cast.clerk).post(
        f"/meetings/{cast.meeting.pk}/papers/new",
        {
            "name": "roads",
            "title": "Roads",
            "position": "3",
            "manager": str(cast.manager.pk),
            "approver": str(cast.manager.pk),
        },
    )
    assert page.status_code == 200  # the form again, saying why
    assert "The approver must be someone other than its manager" in page.content.decode()
    assert not Paper.objects.filter(meeting=cast.meeting, name="roads").exists()


def test_building_or_filing_too_early_says_what_to_do_without_server_paths(
    cast: Cast, web: Path
) -> None:
    clerk = client_for(cast.clerk)
    meeting = f"/meetings/{cast.meeting.pk}/"
    built = clerk.post(f"{meeting}build", follow=True).content.decode()
    assert "Nothing to build yet: no paper is approved." in built
    filed = clerk.post(f"{meeting}archive", follow=True).content.decode()
    assert "Not archived: nothing is built to file yet: build the pack first." in filed
    assert str(web) not in built + filed


def test_a_second_build_while_one_runs_is_refused_not_mixed_in(cast: Cast) -> None:
    from filelock import FileLock

    from boardpack.web import store

    clerk = client_for(cast.clerk)
    with FileLock(str(store.building_lock(cast.meeting))):  # a build in another thread
        page = clerk.post(f"/meetings/{cast.meeting.pk}/build", follow=True).content.decode()
    assert "The pack is being built already (another click, or another clerk)" in page
    page = clerk.post(f"/meetings/{cast.meeting.pk}/build", follow=True).content.decode()
    assert "Nothing to build yet" in page  # the lock is free again


def test_a_reader_cannot_preview_a_paper_its_pack_does_not_hold(cast: Cast) -> None:
    cast.board.email = ""
    cast.board.save()
    manager, approver = client_for(cast.manager), client_for(cast.approver)
    _upload(manager, cast.paper, EXAMPLE)
    manager.post(f"/papers/{cast.paper.pk}/submit")
    approver.post(f"/papers/{cast.paper.pk}/decide", {"action": "return", "comment": "No."})
    cast.meeting.published = True
    cast.meeting.save()
    reader = client_for(cast.reader)
    page = reader.get(f"/papers/{cast.paper.pk}/")
    assert page.status_code == 200  # where it is, not its text nor its uploads
    assert "Returned" in page.content.decode()
    assert "procurement.xlsx" not in page.content.decode()
    assert "The last workbook uploaded" not in page.content.decode()
    assert "Returned by its approver" not in page.content.decode()  # said to its manager
    assert reader.get(f"/papers/{cast.paper.pk}/preview.pdf").status_code == 404


def test_a_workbook_with_only_warnings_can_be_downloaded_with_them_marked(
    cast: Cast, tmp_path: Path
) -> None:
    import openpyxl

    manager = client_for(cast.manager)
    page = _upload(manager, cast.paper, EXAMPLE).content.decode()  # the board's name differs
    assert "Download your workbook with each warning marked on its cell" in page
    marked = manager.get(f"/papers/{cast.paper.pk}/problems.xlsx")
    assert marked.status_code == 200
    (tmp_path / "marked.xlsx").write_bytes(marked.content)
    book = openpyxl.load_workbook(tmp_path / "marked.xlsx")
    assert "the workbook says the board is" in book["Paper"]["B5"].comment.text
