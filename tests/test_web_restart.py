"""`boardpack serve` stopped dead in the middle of building a pack, as a power cut or a killed
process would stop it, and started again: every submission is still there, the build is shown
as not finished, and it can be run again. The real server, over HTTP, as a clerk would use it."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT, free_port

PASSWORD = "a long pass phrase 4 tests"

# Two papers submitted: one approved (it goes into the pack), one waiting for its approver.
SETUP = """
import datetime as dt, sys
from pathlib import Path
from boardpack.web import server
server.prepare(Path(sys.argv[1]))
from boardpack.web import store
from django.contrib.auth import get_user_model
from boardpack.web.models import Board, Meeting, Membership, Paper, Role, State, record
users = get_user_model()
manager = users.objects.create_user("manager", password="x" * 20)
approver = users.objects.create_user("approver", password="x" * 20)
board = Board.objects.create(name="Joint Improvement Board")
meeting = Meeting.objects.create(board=board, date=dt.date(2008, 1, 24))
for name, state in (("procurement", State.APPROVED), ("housing", State.SUBMITTED)):
    paper = Paper.objects.create(
        meeting=meeting, name=name, title=name.title(), manager=manager, approver=approver
    )
    upload = store.check_upload(paper, f"{name}.xlsx", Path(sys.argv[2]).read_bytes(), manager)
    assert upload.valid, upload.problems
    upload.submitted = True
    upload.save()
    paper.state = state
    paper.save()
    record(manager, "submit", paper=paper, detail=upload.sha256)
"""

# A LibreOffice that never answers (neither the server's warm one nor a build's own): a build
# started cannot finish until the server is killed. Each says it was started, so the test can
# stop it after.
HANGING_SOFFICE = """#!/bin/sh
echo $$ >> "{marker}"
exec sleep 600
"""


@contextmanager
def serving(data: Path, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    log = (data.parent / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "boardpack", "serve", str(data), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to a minute on a busy machine; no timing is asserted
            try:
                with urllib.request.urlopen(f"{address}/login/", timeout=5):
                    break
            except OSError:
                assert process.poll() is None, log.name
                time.sleep(0.1)
        yield address, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


class Browser:
    """A signed-in visitor over plain HTTP: cookies kept, forms posted with their CSRF token."""

    def __init__(self, address: str, user: str | None) -> None:
        self.address = address
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.get("/login/")
        if user is not None:
            self.post("/login/", {"username": user, "password": PASSWORD})

    def get(self, path: str) -> str:
        with self.opener.open(self.address + path, timeout=60) as response:
            return str(response.read().decode())

    def status(self, path: str) -> int:
        """The status of the page at `path` (after redirects), which may be an error's."""
        try:
            with self.opener.open(self.address + path, timeout=60) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code)

    def post(self, path: str, fields: dict[str, str], timeout: float = 600) -> str:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token or ""}).encode()
        with self.opener.open(self.address + path, body, timeout=timeout) as response:
            return str(response.read().decode())


def _building(data: Path) -> bool:
    """Whether the database records a build started and not finished."""
    with sqlite3.connect(data / "boardpack.sqlite3") as db:
        ((count,),) = db.execute("select count(*) from boardpack_build where finished is null")
    return bool(count)


def _uploads(data: Path) -> list[tuple[str, str, int, str]]:
    with sqlite3.connect(data / "boardpack.sqlite3") as db:
        return list(
            db.execute(
                "select p.name, p.state, u.submitted, u.sha256 from boardpack_upload u"
                " join boardpack_paper p on p.id = u.paper_id order by p.name"
            )
        )


@pytest.mark.libreoffice
def test_a_server_killed_mid_build_loses_no_submission_and_the_build_can_run_again(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "BOARDPACK_WEB_PASSWORD": PASSWORD, "PYTHONPATH": str(ROOT)}
    for name in ("DJANGO_SETTINGS_MODULE", "BOARDPACK_WEB_DATA", "BOARDPACK_SOFFICE"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "-m", "boardpack", "serve", str(data), "--create-clerk", "clerk"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-c", SETUP, str(data), str(EXAMPLE)], env=env, check=True, cwd=ROOT
    )
    before = _uploads(data)
    assert [(n, s, bool(u)) for n, s, u, _ in before] == [
        ("housing", "submitted", True),
        ("procurement", "approved", True),
    ]

    marker = tmp_path / "soffice-started"
    hanging = tmp_path / "soffice"
    hanging.write_text(HANGING_SOFFICE.format(marker=marker), encoding="utf-8")
    hanging.chmod(0o755)
    held: list[BaseException] = []
    with serving(data, {**env, "BOARDPACK_SOFFICE": str(hanging)}) as (address, process):
        clerk = Browser(address, "clerk")

        def build() -> None:
            try:
                clerk.post("/meetings/1/build", {})
            except (OSError, urllib.error.URLError) as exc:  # the server died under it
                held.append(exc)

        builder = threading.Thread(target=build, daemon=True)
        builder.start()
        for _ in range(6000):  # until the build is under way; no timing is asserted
            if _building(data) and marker.is_file() and marker.read_text().strip():
                break
            assert builder.is_alive() and process.poll() is None
            time.sleep(0.05)
        process.kill()  # dead, as a power cut leaves it: no clean-up of its own
        process.wait(timeout=30)
        builder.join(timeout=60)
    for pid in marker.read_text().split():
        with suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    assert held, "the build was answered although the server was killed during it"

    # Started again: every submission is there, as it was; the build is said not finished.
    assert _uploads(data) == before
    for name, _, _, sha256 in before:
        assert any((data / "uploads").glob(f"*/{sha256}.xlsx")), name
    with serving(data, env) as (address, _):
        clerk = Browser(address, "clerk")
        page = clerk.get("/meetings/1/")
        assert "did not finish: the server stopped during it" in page
        rows = re.findall(r"<tr>\s*<td><a href=\"/papers/\d+/\">(\w+)</a>.*?</tr>", page, re.S)
        assert rows == ["Housing", "Procurement"]
        assert "Approved" in page and "Submitted" in page
        built = clerk.post("/meetings/1/build", {})
        assert "The pack is built: 1 paper(s)." in built
        assert "did not finish" not in built  # built since: nothing is left to do again
    assert (data / "meetings" / "1" / "output" / "board-pack.pdf").is_file()
    with sqlite3.connect(data / "boardpack.sqlite3") as db:
        builds = list(db.execute("select finished is not null from boardpack_build order by id"))
    assert builds == [(0,), (1,)]
