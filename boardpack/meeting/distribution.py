"""Who a meeting's papers go to and how: the distribution in boardpack.toml, as data.

Kept apart from mail.py, which sends, so that reading boardpack.toml (as `check` does)
does not load the mail and TLS modules.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

PASSWORD_ENV = "BOARDPACK_SMTP_PASSWORD"
# What a mail server can deliver to: a dot-atom local part (letters outside ASCII allowed, as
# SMTPUTF8 carries them), and a domain of letters, digits and hyphens, as a name or in IDNA form.
_LOCAL = re.compile(r"^[^\s@<>\"(),;:\[\]\\.]+(?:\.[^\s@<>\"(),;:\[\]\\.]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
MAX_LOCAL_BYTES, MAX_ADDRESS_BYTES = 64, 254  # RFC 5321's limits


def _address(value: str) -> str:
    """An address a mail server can deliver to, its domain in the ASCII form servers use."""
    text = value.strip()
    example = "such as clerk@council.gov.uk"
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"must be an email address {example} (got {value!r})")
    if not _LOCAL.match(local) or any(unicodedata.category(c)[0] in "CZ" for c in local):
        raise ValueError(
            f"must be an email address {example}: the part before @ cannot hold spaces, control"
            f" characters, quotes or brackets, or begin, end or double a dot (got {value!r})"
        )
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError as exc:
        raise ValueError(f"must be an email address {example}: {domain!r} is not a domain") from exc
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(
            f"must be an email address {example}: {domain!r} is not a domain name (letters,"
            f" digits and hyphens, in parts joined by dots) (got {value!r})"
        )
    address = f"{local}@{ascii_domain}"
    if len(local.encode()) > MAX_LOCAL_BYTES or len(address.encode()) > MAX_ADDRESS_BYTES:
        raise ValueError(
            f"must be an email address {example}: it is longer than mail servers take"
            f" ({MAX_LOCAL_BYTES} bytes before @, {MAX_ADDRESS_BYTES} in all) (got {value!r})"
        )
    return address


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
