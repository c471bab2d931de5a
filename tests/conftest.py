"""Shared test helpers: real workbooks edited cell by cell, and LibreOffice's view of a paper."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from boardpack.outputs.lo_profile import CACHE_ENV

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "procurement.xlsx"
SEED = Path(__file__).resolve().parent / "fixtures" / "seed-procurement-highlight-report.txt"

EditWorkbook = Callable[..., Path]


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """boardpack's cache (LibreOffice's profile template) in a folder of the test run's own,
    so the tests neither use nor leave anything in the user's cache."""
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        del os.environ[CACHE_ENV]
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(autouse=True, scope="session")
def _wide_terminal() -> Iterator[None]:
    """Tables printed as wide as they need: rich wraps at the terminal's width, and a path in a
    test's temporary folder (longer under pytest-xdist) would otherwise break inside a word."""
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "1000"
    yield
    if before is None:
        del os.environ["COLUMNS"]
    else:
        os.environ["COLUMNS"] = before


def edit_workbook(source: Path, target: Path, edits: dict[str, Any]) -> Path:
    """Copy a workbook, setting cells given as {"Risks!B2": 7}; None empties a cell."""
    book = openpyxl.load_workbook(source)
    for ref, value in edits.items():
        sheet, cell = ref.split("!")
        book[sheet][cell] = value
    book.save(target)
    return target


@pytest.fixture
def example_copy(tmp_path: Path) -> EditWorkbook:
    """The bundled example, copied into tmp_path with some cells changed."""

    def make(edits: dict[str, Any] | None = None, name: str = "procurement.xlsx") -> Path:
        return edit_workbook(EXAMPLE, tmp_path / name, edits or {})

    return make


def soffice_text(document: Path) -> str:
    """The document as LibreOffice's plain-text export shows it, list numbers included."""
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        profile = (work_dir / "profile").as_uri()
        subprocess.run(
            [
                # As boardpack finds it, so that a run without LibreOffice fails here too.
                os.environ.get("BOARDPACK_SOFFICE") or shutil.which("soffice") or "soffice",
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                "txt:Text (encoded):UTF8",
                "--outdir",
                str(work_dir),
                str(document),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return (work_dir / f"{document.stem}.txt").read_text(encoding="utf-8-sig")


def pdf_text(pdf: Path) -> str:
    """The PDF's text in reading order, as pdftotext reads it."""
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def reader_items(text: str, *, split_tabs: bool) -> list[str]:
    """Lines as a reader takes them: bullet marks dropped, spacing collapsed, cells apart."""
    items = []
    for line in text.splitlines():
        for part in line.split("\t") if split_tabs else [line]:
            part = re.sub(r"^\s*(?:[-•]\s+)+", "", part)
            part = " ".join(part.split())
            if part:
                items.append(part)
    return items


def seed_items() -> list[str]:
    """The seed report's non-empty lines as reader items; its table rows are tab-separated."""
    return reader_items(SEED.read_text(encoding="utf-8"), split_tabs=True)


# -- a real SMTP server on this machine (aiosmtpd, STARTTLS and a password) ---------------------

SMTP_PASSWORD = "correct horse battery staple"  # the test server's password for the user "jim"


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; refuses addresses at nowhere.example."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.endswith("@nowhere.example"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = (
        isinstance(data, LoginPassword)
        and data.login == b"jim"
        and data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # False: aiosmtpd sends the 535 reply


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, made with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test server's certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (a closed port, once the probe is gone)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server on 127.0.0.1 requiring STARTTLS, then the user jim's password."""
    from aiosmtpd.controller import Controller

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    """A fresh SMTP server for one test: (what it received, its port)."""
    with smtp_server(certificate) as running:
        yield running
