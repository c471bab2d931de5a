"""`boardpack serve`, through Django's test client: who may see and do what, every page tried by
every role and by nobody; a manager's workbook from its problems to an approved paper in the
meeting's pack, built and archived by the real library; and the server started as a council
would start it."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, ROOT, edit_workbook, free_port

PASSWORD = "a long pass phrase 4 tests"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Django set up on a data folder of the test run's own, its tables made."""
    from boardpack.web import server

    data = tmp_path_factory.mktemp("web-data")
    server.prepare(data, hosts="testserver,127.0.0.1")  # Django's test client is testserver
    from django.conf import settings

    return Path(settings.DATA)  # the first one set up, when another module asks again


@dataclass
class Cast:
    """A board with one person in each role, a meeting, and two managers' papers."""

    clerk: Any
    manager: Any
    other_manager: Any
    approver: Any
    reader: Any
    stranger: Any
    board: Any
    meeting: Any
    paper: Any
    other_paper: Any


@pytest.fixture
def cast(web: Path) -> Cast:
    import datetime as dt

    from django.contrib.auth import get_user_model

    from boardpack.web.models import Board, Meeting, Membership, Paper, Role

    n = next(_numbers)
    users = get_user_model()

    def person(role: str) -> Any:
        return users.objects.create_user(f"{role}{n}", password=PASSWORD, first_name=role.title())

    people = {r: person(r) for r in ("clerk", "manager", "other", "approver", "reader", "nobody")}
    board = Board.objects.create(name=f"Joint Improvement Board {n}", profile="jib")
    for role, who in (
        (Role.CLERK, "clerk"),
        (Role.MANAGER, "manager"),
        (Role.MANAGER, "other"),
        (Role.APPROVER, "approver"),
        (Role.READER, "reader"),
    ):
        Membership.objects.create(user=people[who], board=board, role=role)
    meeting = Meeting.objects.create(
        board=board, date=dt.date(2008, 1, 24), venue="Council Chamber, County Hall"
    )
    paper = Paper.objects.create(
        meeting=meeting,
        name="procurement",
        title="Procurement",
        manager=people["manager"],
        approver=people["approver"],
    )
    other = Paper.objects.create(
        meeting=meeting,
        name="housing",
        title="Housing",
        manager=people["other"],
        approver=people["approver"],
        position=2,
    )
    return Cast(
        people["clerk"],
        people["manager"],
        people["other"],
        people["approver"],
        people["reader"],
        people["nobody"],
        board,
        meeting,
        paper,
        other,
    )


def client_for(user: Any | None, **options: Any) -> Any:
    from django.test import Client

    client = Client(**options)
    if user is not None:
        client.force_login(user)
    return client


def test_passwords_are_kept_as_argon2_hashes(cast: Cast) -> None:
    assert cast.manager.password.startswith("argon2")
    assert PASSWORD not in cast.manager.password


# -- who may see what ------------------------------------------------------------------------

ROLES = ("anonymous", "manager", "other_manager", "approver", "reader", "stranger", "clerk")


def _who(cast: Cast, role: str) -> Any:
    return None if role == "anonymous" else getattr(cast, role)


def test_every_page_answers_each_role_as_it_should(cast: Cast) -> None:
    paper, meeting = cast.paper.pk, cast.meeting.pk
    # Pages that read: (address, roles that may) -- anyone else gets "not found", and a
    # visitor who has not signed in is sent to sign in.
    board = cast.board.pk
    reads = {
        f"/papers/{paper}/": {"manager", "approver", "clerk"},
        f"/papers/{paper}/starter.xlsx": {"manager"},
        f"/meetings/{meeting}/": {"clerk"},
        f"/boards/{board}/meetings/new": {"clerk"},
        f"/meetings/{meeting}/edit": {"clerk"},
        f"/meetings/{meeting}/papers/new": {"clerk"},
        f"/meetings/{meeting}/agenda": {"clerk"},
        f"/papers/{paper}/edit": {"clerk"},
    }
    # Downloads that exist only once something is made: nobody else gets even that far.
    made_later = [
        f"/papers/{paper}/preview.pdf",
        f"/papers/{paper}/problems.xlsx",
        f"/meetings/{meeting}/pack.pdf",
        f"/meetings/{meeting}/drafts.zip",
    ]
    for address in made_later:
        for role in ROLES:
            response = client_for(_who(cast, role)).get(address)
            expected = 302 if role == "anonymous" else 404
            assert response.status_code == expected, (address, role)
    for address, allowed in reads.items():
        for role in ROLES:
            response = client_for(_who(cast, role)).get(address)
            if role == "anonymous":
                assert response.status_code == 302, (address, role)
                assert response["Location"].startswith("/login/"), (address, role)
            elif role in allowed:
                assert response.status_code == 200, (address, role)
            else:
                assert response.status_code == 404, (address, role)
    # Actions: nobody but the one role may, and a wrong role changes nothing.
    actions = {
        f"/papers/{paper}/upload": "manager",
        f"/papers/{paper}/submit": "manager",
        f"/papers/{paper}/decide": "approver",
        f"/meetings/{meeting}/build": "clerk",
        f"/meetings/{meeting}/archive": "clerk",
        f"/meetings/{meeting}/send": "clerk",
        f"/boards/{board}/meetings/new": "clerk",
        f"/meetings/{meeting}/edit": "clerk",
        f"/meetings/{meeting}/papers/new": "clerk",
        f"/meetings/{meeting}/agenda": "clerk",
        f"/papers/{paper}/edit": "clerk",
    }
    forms = {
        "action": "approve",
        "how": "drafts",
        "date": "2008-02-21",
        "deadline_time": "10:00",
        "name": "stolen",
        "title": "Stolen",
        "position": "1",
        "manager": str(cast.other_manager.pk),
        f"place-{paper}": "9",
    }
    for address, allowed in actions.items():
        for role in ROLES:
            if role == allowed:
                continue
            response = client_for(_who(cast, role)).post(address, forms)
            assert response.status_code in (302, 403, 404), (address, role)
            if role != "anonymous":
                assert response.status_code in (403, 404), (address, role)
    cast.paper.refresh_from_db()
    assert (cast.paper.state, cast.paper.position, cast.paper.name) == ("owed", 1, "procurement")
    from boardpack.web.models import Build, Event, Meeting

    assert not Event.objects.filter(paper=cast.paper).exists()
    assert not Event.objects.filter(meeting__board=cast.board).exists()
    assert Meeting.objects.filter(board=cast.board).count() == 1
    assert not Build.objects.filter(meeting=cast.meeting).exists()


def test_a_reader_sees_a_meeting_only_once_it_is_published(cast: Cast) -> None:
    reader = client_for(cast.reader)
    assert reader.get(f"/meetings/{cast.meeting.pk}/").status_code == 404
    cast.meeting.published = True
    cast.meeting.save()
    page = reader.get(f"/meetings/{cast.meeting.pk}/")
    assert page.status_code == 200
    assert "Procurement" in page.content.decode() and "Build the pack" not in page.content.decode()
    # Published, a manager can no longer change their paper.
    assert client_for(cast.manager).get(f"/papers/{cast.paper.pk}/starter.xlsx").status_code == 404


def test_a_form_posted_without_its_csrf_token_is_refused(cast: Cast) -> None:
    client = client_for(cast.approver, enforce_csrf_checks=True)
    response = client.post(f"/papers/{cast.paper.pk}/decide", {"action": "approve"})
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()


def test_five_wrong_passwords_pause_signing_in_to_that_account_from_that_address(
    cast: Cast,
) -> None:
    def sign_in(password: str, address: str) -> Any:
        client = client_for(None, REMOTE_ADDR=address)
        return client.post("/login/", {"username": cast.manager.username, "password": password})

    for _ in range(4):
        wrong = sign_in("not the password", "192.0.2.10")
        assert wrong.status_code == 200
        assert "did not match" in wrong.content.decode()
    assert sign_in("not the password", "192.0.2.10").status_code == 429  # the fifth
    paused = sign_in(PASSWORD, "192.0.2.10")  # even the right one, for a quarter of an hour
    assert paused.status_code == 429
    page = paused.content.decode()
    assert "Signing in is paused" in page and "ask your committee clerk" in page
    assert "_auth_user_id" not in paused.client.session
    # The manager at another desk, and another person at this one, still sign in.
    assert sign_in(PASSWORD, "192.0.2.11").status_code == 302
    other = client_for(None, REMOTE_ADDR="192.0.2.10").post(
        "/login/", {"username": cast.other_manager.username, "password": PASSWORD}
    )
    assert other.status_code == 302


def test_pages_carry_the_security_headers(cast: Cast) -> None:
    response = client_for(cast.manager).get(f"/papers/{cast.paper.pk}/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# -- a paper's whole way ---------------------------------------------------------------------


def _upload(client: Any, paper: Any, path: Path, name: str | None = None) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    sent = SimpleUploadedFile(name or path.name, path.read_bytes())
    return client.post(f"/papers/{paper.pk}/upload", {"workbook": sent}, follow=True)


def test_an_upload_that_is_no_workbook_is_refused_and_never_served_as_a_page(
    cast: Cast, tmp_path: Path
) -> None:
    fake = tmp_path / "evil.xlsx"
    fake.write_text("<html><script>alert(1)</script></html>", encoding="utf-8")
    manager = client_for(cast.manager)
    page = _upload(manager, cast.paper, fake).content.decode()
    assert "1 problem" in page and "evil.xlsx" in page
    assert "<script>alert(1)</script>" not in page  # escaped, never run
    download = manager.get(f"/papers/{cast.paper.pk}/problems.xlsx")
    assert download.status_code == 404  # no cells to mark in what is no workbook
    assert download["Content-Type"] == "text/plain"
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_manager_who_uploads_too_often_is_told_when_to_upload_again(
    cast: Cast, tmp_path: Path, web: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boardpack.web import store
    from boardpack.web.models import Upload

    monkeypatch.setattr(store, "MAX_UPLOADS_PER_HOUR", 2)
    manager = client_for(cast.manager)
    for number in range(2):
        fake = tmp_path / f"draft-{number}.xlsx"
        fake.write_bytes(b"not yet a workbook %d" % number)
        assert "draft-" in _upload(manager, cast.paper, fake).content.decode()
    third = tmp_path / "draft-2.xlsx"
    third.write_bytes(b"a third try")
    page = _upload(manager, cast.paper, third).content.decode()
    assert "You have uploaded 2 workbooks in the last hour" in page
    assert re.search(r"upload again after \d\d:\d\d\. Nothing was uploaded", page)
    uploads = Upload.objects.filter(paper=cast.paper)
    assert sorted(u.file_name for u in uploads) == ["draft-0.xlsx", "draft-1.xlsx"]
    assert len(list((web / "uploads" / str(cast.paper.pk)).glob("*.xlsx"))) == 2  # kept
    # Another manager, uploading their own paper, is not held up by it.
    other = tmp_path / "housing.xlsx"
    other.write_bytes(b"housing draft")
    page = _upload(client_for(cast.other_manager), cast.other_paper, other).content.decode()
    assert "housing.xlsx" in page and "You have uploaded" not in page


@pytest.mark.libreoffice
def test_a_paper_goes_from_its_problems_to_the_meetings_archived_pack(
    cast: Cast, tmp_path: Path, web: Path
) -> None:
    from boardpack.web.models import Event

    manager, approver, clerk = (client_for(u) for u in (cast.manager, cast.approver, cast.clerk))
    paper = cast.paper

    # Errors first, each at its sheet and cell.
    bad = edit_workbook(EXAMPLE, tmp_path / "Procurement v1.xlsx", {"Risks!B2": 7})
    page = _upload(manager, paper, bad).content.decode()
    assert "1 problem to fix in the workbook" in page
    assert "sheet Risks, cell B2" in page
    assert "likelihood must be a whole number from 1 to 4 (got 7)" in page
    assert "Submit this paper" not in page
    marked = manager.get(f"/papers/{paper.pk}/problems.xlsx")
    assert marked["Content-Disposition"] == 'attachment; filename="procurement (problems).xlsx"'
    (tmp_path / "marked.xlsx").write_bytes(marked.content)
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "marked.xlsx")
    assert book.sheetnames[0] == "Problems"
    assert "likelihood must be a whole number" in book["Risks"]["B2"].comment.text

    # Fixed: no problems, a preview of the real paper, then submitted.
    page = _upload(manager, paper, EXAMPLE, "Procurement v2.xlsx").content.decode()
    assert "It has no problems" in page and "Submit this paper" in page
    preview = manager.get(f"/papers/{paper.pk}/preview.pdf")
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    pdf = tmp_path / "preview.pdf"
    pdf.write_bytes(b"".join(preview.streaming_content))
    preview.close()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Procurement: Highlight Report" in text
    manager.post(f"/papers/{paper.pk}/submit")
    paper.refresh_from_db()
    assert paper.state == "submitted"

    # Returned with a comment the manager reads; submitted again; approved.
    approver.post(f"/papers/{paper.pk}/decide", {"action": "return", "comment": "Add the costs."})
    assert "Add the costs." in manager.get(f"/papers/{paper.pk}/").content.decode()
    manager.post(f"/papers/{paper.pk}/submit")
    approver.post(f"/papers/{paper.pk}/decide", {"action": "approve"})
    paper.refresh_from_db()
    assert paper.state == "approved"

    # The clerk's dashboard, the pack (only the approved paper), the archive.
    dashboard = clerk.get(f"/meetings/{cast.meeting.pk}/").content.decode()
    assert "Approved" in dashboard and "Owed" in dashboard  # housing is still owed
    built = clerk.post(f"/meetings/{cast.meeting.pk}/build", follow=True).content.decode()
    assert "The pack is built: 1 paper(s)." in built
    pack = clerk.get(f"/meetings/{cast.meeting.pk}/pack.pdf")
    (tmp_path / "pack.pdf").write_bytes(b"".join(pack.streaming_content))
    pack.close()
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "pack.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Procurement" in text and "Housing" not in text
    filed = clerk.post(f"/meetings/{cast.meeting.pk}/archive", follow=True).content.decode()
    assert "procurement archived" in filed
    assert (web / "archive" / "index.jsonl").is_file()
    actions = list(
        Event.objects.filter(meeting=cast.meeting).order_by("pk").values_list("action", flat=True)
    )
    # The board names no mail server: each notice that would have gone is recorded as not sent.
    assert actions == [
        "upload", "upload", "submit", "notice not sent", "return", "notice not sent",
        "submit", "notice not sent", "approve", "notice not sent", "build", "archive"
    ]  # fmt: skip


# -- the server, started as a council would ---------------------------------------------------


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data = tmp_path / "data"
    env = {**os.environ, "BOARDPACK_WEB_PASSWORD": PASSWORD, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("BOARDPACK_WEB_DATA", None)
    made = subprocess.run(
        [sys.executable, "-m", "boardpack", "serve", str(data), "--create-clerk", "clerk"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert "created the clerk 'clerk'" in made.stdout
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "boardpack", "serve", str(data), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to a minute on a busy machine; no timing is asserted
            try:
                with urllib.request.urlopen(f"{address}/login/", timeout=5):
                    break
            except OSError:
                if process.poll() is not None:
                    said = process.stderr.read().decode() if process.stderr else ""
                    raise AssertionError(said) from None
                time.sleep(0.1)
        yield address, data
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def test_one_command_serves_a_new_data_folder_with_its_clerk(running: tuple[str, Path]) -> None:
    address, data = running
    with urllib.request.urlopen(f"{address}/login/", timeout=10) as response:
        page = response.read().decode()
        cookies = response.headers.get_all("Set-Cookie") or []
    assert "<h1>Sign in</h1>" in page and 'lang="en-GB"' in page
    assert any("csrftoken" in c and "SameSite=Lax" in c for c in cookies)
    assert (data / "boardpack.sqlite3").is_file()
    assert (data / "secret-key").stat().st_mode & 0o077 == 0  # its owner's alone
    # A page for the signed-in only sends a visitor to sign in first.
    with urllib.request.urlopen(f"{address}/meetings/1/", timeout=10) as response:
        assert response.url == f"{address}/login/?next=/meetings/1/"


# -- in a real browser -----------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# Chromium's own connections are refused on a closed network; these keep it to the page.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def live(web: Path) -> Iterator[str]:
    """The web front served by Waitress on 127.0.0.1, in this process, for the browser."""
    import threading

    from django.core.wsgi import get_wsgi_application
    from waitress import create_server

    server = create_server(get_wsgi_application(), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=30)


def _accessible(page: Any) -> None:
    """axe-core finds nothing against WCAG 2.2 AA on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    assert found.violations_count == 0, found.generate_report()


def _follow(control: Any) -> None:
    """Click a link or a form's button and wait for the page it leads to.

    Playwright's click returns once the click is dispatched; reading or checking
    the page before the next one has arrived would read the old one.
    """
    with control.page.expect_navigation():
        control.click()


def _sign_in(browser: Any, address: str, user: Any) -> Any:
    page = browser.new_context().new_page()
    page.goto(f"{address}/")
    _accessible(page)
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    _follow(page.get_by_role("button", name="Sign in"))
    return page


@pytest.mark.libreoffice
def test_in_a_browser_a_paper_is_uploaded_fixed_returned_approved_and_packed(
    cast: Cast, live: str, tmp_path: Path
) -> None:
    if not CHROMIUM.is_file():
        pytest.skip("the browser tests need Debian's chromium (tools/setup.sh --dev installs it)")
    from playwright.sync_api import expect, sync_playwright

    bad = edit_workbook(EXAMPLE, tmp_path / "procurement.xlsx", {"Risks!B2": 7})
    good = tmp_path / "fixed" / "procurement.xlsx"
    good.parent.mkdir()
    good.write_bytes(EXAMPLE.read_bytes())
    revised = tmp_path / "revised" / "procurement.xlsx"
    revised.parent.mkdir()
    edit_workbook(EXAMPLE, revised, {"Risks!B2": 2, "Risks!D2": 8})  # a risk more likely
    paper = f"{live}/papers/{cast.paper.pk}/"
    cast.board.email = (
        '[email]\nfrom = "clerk@council.example.gov.uk"\nrecipients = [{ name = "A Member",'
        ' address = "member@example.org", gets = ["pdf"] }]\n'
    )
    cast.board.save()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        manager = _sign_in(browser, live, cast.manager)
        expect(manager.get_by_role("heading", name="Your papers")).to_be_visible()
        _follow(manager.get_by_role("link", name="Procurement"))
        _accessible(manager)

        manager.get_by_label("Workbook (.xlsx)").set_input_files(str(bad))
        _follow(manager.get_by_role("button", name="Upload and check"))
        problems = manager.get_by_role("table", name="1 problem to fix in the workbook")
        expect(problems).to_contain_text("sheet Risks, cell B2")
        expect(problems).to_contain_text("must be a whole number from 1 to 4 (got 7)")
        _accessible(manager)

        manager.get_by_label("Workbook (.xlsx)").set_input_files(str(good))
        _follow(manager.get_by_role("button", name="Upload and check"))
        expect(manager.get_by_text("It has no problems.")).to_be_visible()
        preview = manager.request.get(f"{paper}preview.pdf")
        assert preview.ok and preview.body().startswith(b"%PDF")
        _follow(manager.get_by_role("button", name="Submit this paper for the meeting"))
        waits = manager.get_by_text("Submitted. It now waits for Approver to approve it.")
        expect(waits).to_be_visible()
        _accessible(manager)  # with the warning that the approver could not be emailed

        approver = _sign_in(browser, live, cast.approver)
        _follow(approver.get_by_role("link", name="Procurement"))
        _accessible(approver)
        approver.get_by_label("Comment for the manager").fill("Say what the revised budget is.")
        _follow(approver.get_by_role("button", name="Return to the manager"))

        manager.goto(paper)
        expect(manager.get_by_text("Say what the revised budget is.")).to_be_visible()
        manager.get_by_label("Workbook (.xlsx)").set_input_files(str(revised))
        _follow(manager.get_by_role("button", name="Upload and check"))
        changes = manager.get_by_role("table", name="Risks, against the last paper")
        expect(changes).to_contain_text("up")
        _accessible(manager)
        _follow(manager.get_by_role("button", name="Submit this paper for the meeting"))
        approver.goto(paper)
        _follow(approver.get_by_role("button", name="Approve"))
        expect(approver.get_by_text("Approved.", exact=True)).to_be_visible()

        clerk = _sign_in(browser, live, cast.clerk)
        _follow(clerk.get_by_role("link", name=str(cast.meeting)))
        agenda = clerk.get_by_role("table", name="The agenda's papers")
        expect(agenda).to_contain_text("Approved")
        expect(agenda).to_contain_text("Owed")
        _accessible(clerk)
        _follow(clerk.get_by_role("button", name="Build the pack from the approved papers"))
        expect(clerk.get_by_text("The pack is built: 1 paper(s).")).to_be_visible()
        expect(clerk.get_by_role("link", name="The meeting's pack (PDF)")).to_be_visible()
        _accessible(clerk)
        _follow(clerk.get_by_role("button", name="Write the covering emails as drafts"))
        expect(clerk.get_by_text("1 draft(s) written: to member@example.org.")).to_be_visible()
        with clerk.expect_download() as drafts:
            clerk.get_by_role("link", name="The covering emails as drafts").click()
        assert drafts.value.suggested_filename.endswith("drafts.zip")
        _accessible(clerk)

        # The clerk's own pages: the agenda's order, a paper owed, a meeting, each checked.
        _follow(clerk.get_by_role("link", name="Put the agenda in order"))
        clerk.get_by_label("Place of Housing").fill("1")
        clerk.get_by_label("Place of Procurement").fill("2")
        _accessible(clerk)
        _follow(clerk.get_by_role("button", name="Save the order"))
        agenda = clerk.get_by_role("table", name="The agenda's papers")
        expect(agenda).to_contain_text(re.compile("Housing.*Procurement", re.DOTALL))
        _follow(clerk.get_by_role("link", name="Add a paper owed to this meeting"))
        _follow(clerk.get_by_role("button", name="Add the paper"))  # nothing filled in
        expect(clerk.get_by_text("things to put right")).to_be_visible()
        _accessible(clerk)
        clerk.get_by_label("Workbook name").fill("roads")
        clerk.get_by_label("Title on the agenda").fill("Roads")
        clerk.get_by_label("Manager who writes it").select_option(label="Manager")
        _follow(clerk.get_by_role("button", name="Add the paper"))
        expect(clerk.get_by_text("Roads is owed by")).to_be_visible()
        _follow(clerk.get_by_role("link", name="Change the meeting's date"))
        _accessible(clerk)
        clerk.goto(f"{live}/")
        _follow(clerk.get_by_role("link", name=f"set up a meeting of the {cast.board.name}"))
        clerk.get_by_label("Date of the meeting").fill("2008-03-13")
        _follow(clerk.get_by_role("button", name="Set up the meeting"))
        clerk.get_by_text("The meeting is set up.").wait_for()  # the next page, once it is there
        _accessible(clerk)

        # The other manager, signed in, cannot open the first manager's paper.
        other = _sign_in(browser, live, cast.other_manager)
        response = other.goto(paper)
        assert response is not None and response.status == 404
        expect(other.get_by_role("heading", name="Not found")).to_be_visible()
        browser.close()


def test_twenty_managers_uploading_at_once_each_get_their_own_result(
    cast: Cast, tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.contrib.auth import get_user_model

    from boardpack.web.models import Paper

    papers = []
    for number in range(20):
        manager = get_user_model().objects.create_user(
            f"m{cast.board.pk}-{number}", password=PASSWORD
        )
        papers.append(
            Paper.objects.create(
                meeting=cast.meeting,
                name=f"paper-{number}",
                title=f"Paper {number}",
                manager=manager,
            )
        )
    books = []
    for number in range(len(papers)):
        edits: dict[str, Any] = {"Paper!B2": f"Project {number}"}
        if number % 2:
            edits["Risks!B2"] = 7  # half of them with a problem
        books.append(edit_workbook(EXAMPLE, tmp_path / f"{number}.xlsx", edits))

    def upload(number: int) -> tuple[int, str]:
        client = client_for(papers[number].manager)
        page = _upload(client, papers[number], books[number]).content.decode()
        return number, page

    with ThreadPoolExecutor(max_workers=20) as pool:
        pages = dict(pool.map(upload, range(20)))
    for number, paper in enumerate(papers):
        latest = paper.latest()
        assert latest is not None and latest.sha256 == _sha256(books[number]), number
        assert latest.valid is (number % 2 == 0), (number, latest.problems)
        assert ("sheet Risks, cell B2" in pages[number]) is (number % 2 == 1), number
        assert paper.uploads.count() == 1


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
