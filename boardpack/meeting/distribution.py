"""Who a meeting's papers go to and how: the distribution in boardpack.toml, as data.

Kept apart from mail.py, which sends, so that reading boardpack.toml (as `check` does)
does not load the mail and TLS modules.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

PASSWORD_ENV = "BOARDPACK_SMTP_PASSWORD"
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def _address(value: str) -> str:
    text = value.strip()
    if not _ADDRESS.match(text):
        raise ValueError(f"must be an email address such as clerk@council.gov.uk (got {value!r})")
    return text


def _one_line(value: str) -> str:
    if any(ch in value for ch in "\r\n\x00"):
        raise ValueError("must be on one line")
    return value.strip()


EmailAddress = Annotated[str, AfterValidator(_address)]
OneLine = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line)]


class Deliverable(StrEnum):
    """A file a recipient gets."""

    DOCX = "docx"  # each paper's Word document
    PDF = "pdf"  # each paper's PDF
    PACK = "pack"  # the meeting's combined pack, as PDF
    PACK_DOCX = "pack-docx"  # the pack as a Word document


class Recipient(BaseModel):
    """Someone on the distribution and what they get."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: OneLine
    address: EmailAddress
    role: OneLine = "member"  # clerk, member, officer: for the reader of the send log
    gets: tuple[Deliverable, ...] = Field(min_length=1)
    papers: tuple[OneLine, ...] = ()  # only these papers (workbook names); all when empty


class Security(StrEnum):
    """How the connection to the SMTP server is protected."""

    STARTTLS = "starttls"  # port 587: plain, then upgraded before anything is sent
    TLS = "tls"  # port 465: TLS from the start
    NONE = "none"  # only for a relay on this machine; never sends a password


class SmtpSettings(BaseModel):
    """The council's outgoing mail server; the password comes from an environment variable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: OneLine
    port: int = Field(default=587, ge=1, le=65535)
    security: Security = Security.STARTTLS
    username: OneLine | None = None
    password_env: OneLine = PASSWORD_ENV
    ca_file: Path | None = None  # the council's own certificate authority, if it has one
    timeout: float = Field(default=60.0, gt=0, le=600)


class Distribution(BaseModel):
    """Who the papers go to, from whom, and through which server."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    sender: EmailAddress = Field(alias="from")
    sender_name: OneLine | None = None
    reply_to: EmailAddress | None = None
    recipients: tuple[Recipient, ...] = Field(min_length=1)
    note: Path | None = None  # a covering note of the council's own, relative to boardpack.toml
    smtp: SmtpSettings | None = None
