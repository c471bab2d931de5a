"""A LibreOffice kept running, converting Word papers to PDF on request, under the reaper's watch.

    python -I uno_worker.py PIPE_NAME OPTIONS_JSON TEMPLATE PROFILE SOFFICE [ARGUMENT ...]

Run by path with LibreOffice's own Python (the one that can `import uno`), standard library and
uno only: boardpack itself may be installed in another Python. It fills the folder PROFILE
from the profile template TEMPLATE (none when empty; lo_profile.py), then starts SOFFICE (with
the arguments given, which name PROFILE as its private profile) listening on a named pipe,
connects to it over UNO, prints `{"ready": true}` and then reads requests from stdin, one JSON
line each, `{"docx": PATH, "pdf": PATH}`, answering each on stdout with `{"ok": true}` or
`{"ok": false, "error": TEXT, "alive": BOOL}` (alive: whether LibreOffice is still usable).
OPTIONS_JSON holds the PDF export options, `{name: [type, value]}`, the same as the one-off
conversions use.

Ending is the reaper's (reaper.py): this script is the leader of its own process group, started
by the build holding the only write end of its stdin; when that closes, however the build
ended, everything in the group, LibreOffice included, is killed. The build ends a worker the
same way, with `os.killpg`, never by killing one process; a conversion that hangs is ended so.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # reaper.py, run here without boardpack

import reaper  # type: ignore[import-not-found]

_CONNECT_SECONDS = 120.0  # a first start on a fresh profile can take many seconds on a busy machine


def _read_requests(requests: queue.Queue[dict[str, Any]]) -> None:
    """Hand each request line to the converter; end everything when the build's end closes."""
    try:
        for line in sys.stdin:
            if line.strip():
                requests.put(json.loads(line))
    finally:
        reaper._end_everything()


def _reply(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def _property(name: str, value: Any) -> Any:
    from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _typed(kind: str, value: str) -> Any:
    """An export option's value as the type LibreOffice's typed JSON options name."""
    if kind == "boolean":
        return value == "true"
    if kind == "long":
        return int(value)
    return value


def _connect(pipe: str, office: subprocess.Popen[bytes]) -> Any:
    """LibreOffice's desktop, once LibreOffice accepts connections on the pipe."""
    import uno  # type: ignore[import-not-found]
    from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + _CONNECT_SECONDS
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if office.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)


def _seed(template: str, profile: str) -> None:
    """Fill the profile folder from the template, as lo_profile.seed does; LibreOffice makes a
    fresh profile where there is no template or the copy fails."""
    if not template:
        return
    try:
        shutil.copytree(template, profile)
    except OSError:
        shutil.rmtree(profile, ignore_errors=True)


def _responds(desktop: Any) -> bool:
    """Whether LibreOffice still answers over UNO (its launcher outlives a crashed soffice.bin)."""
    try:
        desktop.getComponents()
    except Exception:  # UNO's DisposedException and RuntimeException, not importable here
        return False
    return True


def main(argv: list[str]) -> None:
    """Start LibreOffice, then convert each requested paper until the build goes."""
    pipe, options, template, profile, command = (
        argv[1],
        json.loads(argv[2]),
        argv[3],
        argv[4],
        argv[5:],
    )
    if sys.platform != "win32" and os.getpgrp() != os.getpid():
        os.setsid()  # the group ended must be ours alone, however this was started
    reaper._kill_with_me_on_windows()
    requests: queue.Queue[dict[str, Any]] = queue.Queue()
    # Watching starts before LibreOffice does, so there is no moment it could be orphaned.
    threading.Thread(target=_read_requests, args=(requests,), daemon=True).start()
    try:
        import uno
    except ImportError as exc:
        _reply(ready=False, error=f"this Python cannot use LibreOffice (import uno: {exc})")
        reaper._end_everything()
    _seed(template, profile)
    office = subprocess.Popen(
        [*command, f"--accept=pipe,name={pipe};urp;"],
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,  # stdout carries the replies, and nothing else
    )
    try:
        desktop = _connect(pipe, office)
    except Exception as exc:  # UNO raises its own exception types, none of them importable here
        _reply(ready=False, error=f"LibreOffice did not start ({type(exc).__name__}: {exc})")
        reaper._end_everything()
    filter_data = uno.Any(
        "[]com.sun.star.beans.PropertyValue",
        tuple(_property(name, _typed(kind, value)) for name, (kind, value) in options.items()),
    )
    store = (_property("FilterName", "writer_pdf_Export"), _property("FilterData", filter_data))
    # Hidden: no window even in svp; ReadOnly: no lock file beside the paper.
    load = (_property("Hidden", True), _property("ReadOnly", True))
    _reply(ready=True)
    while True:
        request = requests.get()
        document = None
        try:
            source = uno.systemPathToFileUrl(str(Path(request["docx"]).resolve()))
            target = uno.systemPathToFileUrl(str(Path(request["pdf"]).resolve()))
            document = desktop.loadComponentFromURL(source, "_blank", 0, load)
            if document is None:
                raise ValueError("LibreOffice could not open it")
            uno.invoke(document, "storeToURL", (target, store))
            _reply(ok=True)
        except Exception as exc:  # UNO raises its own exception types, none of them importable
            alive = office.poll() is None and _responds(desktop)
            _reply(ok=False, error=f"{type(exc).__name__}: {exc}".strip(), alive=alive)
            if not alive:
                reaper._end_everything()  # the build starts a new worker in its place
        finally:
            if document is not None:
                with contextlib.suppress(Exception):  # one LibreOffice has already dropped
                    document.close(True)


if __name__ == "__main__":
    main(sys.argv)
