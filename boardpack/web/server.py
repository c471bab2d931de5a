"""Starting the web front: the database brought up to date, then Waitress on one port."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from boardpack.errors import BoardpackError
from boardpack.web import configure

PASSWORD_ENV = "BOARDPACK_WEB_PASSWORD"  # a new clerk's password, for scripts


def prepare(data: Path, *, database: str | None = None, hosts: str | None = None) -> None:
    """Set Django up on `data` and apply every migration (a new data folder gets its tables)."""
    from django.core.management import call_command

    configure(data, database=database, hosts=hosts)
    call_command("migrate", interactive=False, verbosity=0)


def create_clerk(username: str, password: str | None = None) -> None:
    """A clerk who may set up every board in the admin: the first account of a new server."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    users = get_user_model()
    if users.objects.filter(username=username).exists():
        raise BoardpackError(f"there is already an account called {username!r}; choose another")
    password = password or os.environ.get(PASSWORD_ENV) or _ask_password()
    try:
        validate_password(password)
    except ValidationError as exc:
        raise BoardpackError("that password will not do: " + " ".join(exc.messages)) from exc
    users.objects.create_superuser(username=username, email="", password=password)


def _ask_password() -> str:
    first = getpass.getpass("Password for the new clerk: ")
    if first != getpass.getpass("The same again: "):
        raise BoardpackError("the two passwords differ; run again")
    return first


def serve(host: str, port: int, threads: int = 8) -> None:
    """Serve until stopped, with Waitress (pure Python: Windows, macOS and Linux alike)."""
    from django.core.wsgi import get_wsgi_application
    from waitress import serve as waitress_serve

    from boardpack.web import reminders, store

    application = get_wsgi_application()
    reminders.start_periodic()  # managers who still owe a paper are reminded before it is due
    with store.warm_previews():  # a preview in about a second, not a cold LibreOffice
        # A request body larger than any workbook is refused before it is read to the end.
        limit = store.MAX_UPLOAD_BYTES + 1024 * 1024
        waitress_serve(
            application, host=host, port=port, threads=threads, max_request_body_size=limit
        )
