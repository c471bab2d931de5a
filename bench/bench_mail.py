"""Benchmark: `boardpack email` to many recipients, as a whole process: time and peak memory
beside the recipient count, for drafts and for sending (the target: memory that does not grow
with the recipients, as each message is made and sent in turn).

    python bench/bench_mail.py                       # 200 and 2,000 recipients
    python bench/bench_mail.py --recipients 50 500 5000

It builds the example paper for real (the .docx, no PDF) into a meeting folder whose
boardpack.toml lists that many recipients, each getting the paper's .docx; then runs
`boardpack email --drafts` and `boardpack email --send` in fresh processes, sending to an SMTP
server on 127.0.0.1 (aiosmtpd, in this process, which counts messages and keeps none). Each
row gives the seconds the command took and its peak resident memory (the child's ru_maxrss).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "procurement.xlsx"


class Counter:
    """An aiosmtpd handler that accepts every message and keeps only a count."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def settings(recipients: int, port: int) -> str:
    """boardpack.toml for the example's meeting, `recipients` on the list."""
    listed = "".join(
        f'\n[[email.recipients]]\nname = "Member {n:05d}"\naddress = "member{n:05d}@example.org"'
        '\ngets = ["docx"]\n'
        for n in range(1, recipients + 1)
    )
    return (
        'board = "Joint Improvement Board"\nmeeting_date = 2008-01-24\narchive = "../archive"\n'
        '\n[email]\nfrom = "clerk@example.gov.uk"\n'
        f'{listed}\n[email.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
    )


def run(command: list[str]) -> tuple[float, float]:
    """Seconds and peak resident MB of `boardpack COMMAND` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "boardpack", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        assert process.stderr is not None
        raise SystemExit(f"boardpack {' '.join(command)} failed: {process.stderr.read()!r}")
    return seconds, usage.ru_maxrss / 1024  # KB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, nargs="+", default=[200, 2000])
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    import boardpack

    sys.path.insert(0, str(ROOT))
    from tests.conftest import free_port

    counter = Counter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as work:
            root = Path(work)
            inputs = root / "inputs"
            inputs.mkdir()
            shutil.copy(EXAMPLE, inputs / "procurement.xlsx")
            (inputs / "boardpack.toml").write_text(settings(1, port), encoding="utf-8")
            assert boardpack.build([inputs], root / "output", pdf=False, pack=False).ok
            size = (root / "output" / "procurement.docx").stat().st_size
            print(f"each message attaches a {size // 1024} KB .docx")
            heads = ("recipients", "drafts s", "drafts MB", "send s", "send MB")
            print("  ".join(f"{h:>10}" for h in heads))
            for count in args.recipients:
                (inputs / "boardpack.toml").write_text(settings(count, port), encoding="utf-8")
                shutil.rmtree(root / "archive", ignore_errors=True)
                shutil.rmtree(root / "drafts", ignore_errors=True)
                drafts = run(["email", str(root / "output"), "--drafts", str(root / "drafts")])
                before = counter.count
                sent = run(["email", str(root / "output"), "--send"])
                assert counter.count - before == count, "not every message reached the server"
                row = (f"{count}", f"{drafts[0]:.1f}", f"{drafts[1]:.0f}", f"{sent[0]:.1f}")
                print("  ".join(f"{v:>10}" for v in (*row, f"{sent[1]:.0f}")))
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
