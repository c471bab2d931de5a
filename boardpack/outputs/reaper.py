"""A watchdog that runs one LibreOffice and ends it, children and all, when its build goes.

    python -I -S reaper.py STATUS_FILE PROGRAM [ARGUMENT ...]

The build starts this script (by path, standard library only, so it starts in milliseconds)
instead of LibreOffice itself, holding the only write end of the script's stdin. Whatever
happens to the build, `kill -9` included, the operating system closes that pipe, the read here
sees end-of-file, and the whole of LibreOffice is ended. The build itself must not be what does
the ending: a killed process runs no clean-up.

LibreOffice's `soffice` is a launcher (a shell script that execs oosplash, which forks
soffice.bin, the process doing the work), so ending the program started is not enough:
- POSIX (Linux, macOS): the build starts this script as the leader of a new session, and
  LibreOffice inherits its process group; ending means SIGKILL to the whole group, this script
  included. The build ends a call the same way (`os.killpg`), never by killing one process.
- Windows: this script puts itself in a Job object that kills every process in it when its last
  handle closes; LibreOffice and all it starts are born in the job. This script holds the only
  handle, so its end, by any means, ends them all.

When LibreOffice exits by itself its exit status is written to STATUS_FILE (atomically), and
the script waits to be ended by the build, which then ends any process LibreOffice left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path


def _end_everything() -> None:
    """End LibreOffice, every process it started, and this script."""
    if sys.platform == "win32":
        os._exit(1)  # the job's last handle closes with this process, which ends the rest
    else:
        os.killpg(os.getpgrp(), signal.SIGKILL)


def _kill_with_me_on_windows() -> None:
    """Put this process, and so every process it starts, in a job that ends with it."""
    if sys.platform != "win32":
        return
    import ctypes
    from ctypes import wintypes

    class _BasicLimits(ctypes.Structure):
        _fields_ = [
            ("PerProcessUserTimeLimit", ctypes.c_int64),
            ("PerJobUserTimeLimit", ctypes.c_int64),
            ("LimitFlags", wintypes.DWORD),
            ("MinimumWorkingSetSize", ctypes.c_size_t),
            ("MaximumWorkingSetSize", ctypes.c_size_t),
            ("ActiveProcessLimit", wintypes.DWORD),
            ("Affinity", ctypes.c_size_t),
            ("PriorityClass", wintypes.DWORD),
            ("SchedulingClass", wintypes.DWORD),
        ]

    class _IoCounters(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint64) for name in ("r", "w", "o", "rb", "wb", "ob")]

    class _ExtendedLimits(ctypes.Structure):
        _fields_ = [
            ("BasicLimitInformation", _BasicLimits),
            ("IoInfo", _IoCounters),
            ("ProcessMemoryLimit", ctypes.c_size_t),
            ("JobMemoryLimit", ctypes.c_size_t),
            ("PeakProcessMemoryUsed", ctypes.c_size_t),
            ("PeakJobMemoryUsed", ctypes.c_size_t),
        ]

    kill_on_job_close = 0x2000
    extended_limit_information = 9
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    job = kernel32.CreateJobObjectW(None, None)
    limits = _ExtendedLimits()
    limits.BasicLimitInformation.LimitFlags = kill_on_job_close
    ok = job and kernel32.SetInformationJobObject(
        wintypes.HANDLE(job),
        extended_limit_information,
        ctypes.byref(limits),
        ctypes.sizeof(limits),
    )
    ok = ok and kernel32.AssignProcessToJobObject(
        wintypes.HANDLE(job), wintypes.HANDLE(kernel32.GetCurrentProcess())
    )
    if not ok:
        raise OSError(ctypes.get_last_error(), "could not make a Job object for LibreOffice")
    # The handle is deliberately never closed: it closes when this process ends, however.


def _watch_the_build() -> None:
    """Block until the build's end of stdin closes, then end everything."""
    try:
        while sys.stdin.buffer.read(4096):
            pass  # the build never writes; read on until the pipe closes
    finally:
        _end_everything()


def main(argv: list[str]) -> int:
    """Run the program given, report its exit status, and end it all when the build goes."""
    status_file, command = Path(argv[1]), argv[2:]
    if sys.platform != "win32" and os.getpgrp() != os.getpid():
        os.setsid()  # the group ended below must be ours alone, however this was started
    _kill_with_me_on_windows()
    # Watching starts before LibreOffice does, so there is no moment it could be orphaned.
    threading.Thread(target=_watch_the_build, daemon=True).start()
    try:
        program = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    except OSError as exc:
        print(f"could not start {command[0]}: {exc.strerror or exc}", file=sys.stderr, flush=True)
        status = 127
    else:
        status = program.wait()
    partial = status_file.with_name(status_file.name + ".part")
    partial.write_text(str(status), encoding="ascii")
    os.replace(partial, status_file)
    threading.Event().wait()  # until the build ends this process group (or goes)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
