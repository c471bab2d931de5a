"""`boardpack serve`: the web front, where managers upload, check, preview and submit papers,
approvers approve them and clerks gather the meeting, over the same library as the CLI.

Django (an LTS release) gives it authentication, CSRF protection, an admin and migrations;
Waitress serves it on Windows, macOS and Linux alike. Nothing here re-implements a stage: a
workbook is checked by workbook/, a paper built and a pack made by the build, an archive filed by
meeting/archive.py, into meeting folders on disk that the CLI can build as well.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "BOARDPACK_WEB_DATA"  # the data folder: database, uploads, meeting folders, secret
DATABASE_ENV = "BOARDPACK_WEB_DATABASE"  # a PostgreSQL URL instead of SQLite in the data folder
HOSTS_ENV = "BOARDPACK_WEB_HOSTS"  # host names the server answers to, comma-separated
SECURE_ENV = "BOARDPACK_WEB_HTTPS"  # "1" when served over HTTPS: cookies only go over HTTPS
# The address managers and approvers open it at, https://boardpack.council.gov.uk: the links in
# emails (reminders have one only when it is set; notices else take the request's own).
ADDRESS_ENV = "BOARDPACK_WEB_ADDRESS"


def configure(data: Path, *, database: str | None = None, hosts: str | None = None) -> None:
    """Point Django at boardpack's settings and `data`, and set it up; call once per process."""
    import django

    os.environ[DATA_ENV] = str(data.resolve())
    if database:
        os.environ[DATABASE_ENV] = database
    if hosts:
        os.environ[HOSTS_ENV] = hosts
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boardpack.web.settings")
    django.setup()


# Sign-in through the council's identity provider (OpenID Connect, as Microsoft Entra ID offers):
# on only when the issuer is set, e.g. https://login.microsoftonline.com/TENANT/v2.0.
OIDC_ISSUER_ENV = "BOARDPACK_WEB_OIDC_ISSUER"
OIDC_CLIENT_ID_ENV = "BOARDPACK_WEB_OIDC_CLIENT_ID"
OIDC_CLIENT_SECRET_ENV = "BOARDPACK_WEB_OIDC_CLIENT_SECRET"
