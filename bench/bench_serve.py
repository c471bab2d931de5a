"""Benchmark: `boardpack serve`'s answer to an upload, through the whole Django stack.

    python bench/bench_serve.py            # 5 rounds
    python bench/bench_serve.py --runs 9

For a fresh data folder it times, per round, from the upload's request to its answer:
- upload to errors: a workbook with one problem, checked and its page rendered (the goal is
  0.5 s);
- upload to preview: a valid workbook's upload and then its PDF preview, a new workbook each
  round so that nothing is cached (the goal is 1 s), through LibreOffice kept running as
  `boardpack serve` keeps it (--cold: a LibreOffice started for each preview, as before);
and prints the best and median of each, in seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import EXAMPLE, edit_workbook  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="Start LibreOffice for each preview.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        from boardpack.web import server

        server.prepare(work / "data", hosts="testserver")
        from django.contrib.auth import get_user_model
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import Client

        from boardpack.web.models import Board, Meeting, Paper

        manager = get_user_model().objects.create_user("manager", password="x" * 20)
        board = Board.objects.create(name="Joint Improvement Board")
        meeting = Meeting.objects.create(board=board, date=dt.date(2008, 1, 24))
        paper = Paper.objects.create(
            meeting=meeting, name="procurement", title="Procurement", manager=manager
        )
        client = Client()
        client.force_login(manager)
        from boardpack.web import store

        warm = contextlib.nullcontext() if args.cold else store.warm_previews()

        def upload(path: Path) -> None:
            sent = SimpleUploadedFile(path.name, path.read_bytes())
            answer = client.post(f"/papers/{paper.pk}/upload", {"workbook": sent}, follow=True)
            assert answer.status_code == 200

        errors: list[float] = []
        previews: list[float] = []

        def time_round(run: int) -> None:
            bad = edit_workbook(EXAMPLE, work / f"bad{run}.xlsx", {"Risks!B2": 7})
            good = edit_workbook(EXAMPLE, work / f"good{run}.xlsx", {"Paper!B2": f"Run {run}"})
            started = time.perf_counter()
            upload(bad)
            checked = time.perf_counter() - started
            started = time.perf_counter()
            upload(good)
            pdf = client.get(f"/papers/{paper.pk}/preview.pdf")
            body = b"".join(pdf.streaming_content)
            pdf.close()
            assert body.startswith(b"%PDF")
            previewed = time.perf_counter() - started
            if run:
                errors.append(checked)
                previews.append(previewed)

        with warm:
            for run in range(args.runs + 1):  # the first round warms up, and is dropped
                time_round(run)
    for name, times in (("upload to errors", errors), ("upload to preview", previews)):
        print(f"{name}: best {min(times):.2f} s, median {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()
