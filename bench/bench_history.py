"""Benchmark: what history from the archive adds to a meeting's build.

    python bench/bench_history.py                # 20 papers, 3 rounds
    python bench/bench_history.py --papers 20 --rounds 5 --no-pdf

It builds a 20-paper meeting (copies of the example) with PDFs and files it in an archive, then
makes the next meeting's papers (a risk up, a milestone later, the status Amber) and builds them
in turns without and with `--archive`, each as a whole `boardpack build` process, printing the
median seconds of each and the difference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "procurement.xlsx"
SETTINGS = ROOT / "inputs" / "boardpack.toml"


def meeting(folder: Path, count: int, *, later: bool) -> None:
    """`count` papers for the January meeting, or (`later`) their March versions."""
    folder.mkdir(parents=True)
    book = openpyxl.load_workbook(EXAMPLE)
    paper = book["Paper"]
    for row in paper.iter_rows():
        if later and row[0].value == "Meeting date":
            row[1].value = dt.datetime(2008, 3, 20)
        if later and row[0].value == "Report date":
            row[1].value = dt.datetime(2008, 3, 10)
        if later and row[0].value == "Overall status":
            row[1].value = "Amber"
    if later:
        book["Risks"]["B2"], book["Risks"]["D2"] = 3, None
        book["Plan"]["E3"] = dt.datetime(2008, 5, 21)
    for number in range(1, count + 1):
        for row in paper.iter_rows():
            if row[0].value == "Project name":
                row[1].value = f"Workstream {number:02d}"
        book.save(folder / f"workstream-{number:02d}.xlsx")
    settings = SETTINGS.read_text(encoding="utf-8").replace('agenda = ["procurement"]', "")
    if later:
        settings = settings.replace("2008-01-24", "2008-03-20")
    (folder / "boardpack.toml").write_text(settings, encoding="utf-8")


def run(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "boardpack", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-pdf", action="store_true", help="time the .docx build only")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-history-"))
    try:
        meeting(work / "january", options.papers, later=False)
        run(["build", str(work / "january"), "--out", str(work / "out-january")])
        run(["archive", str(work / "out-january"), "--to", str(work / "archive")])
        meeting(work / "march", options.papers, later=True)
        extra = ["--no-pdf"] if options.no_pdf else []
        without: list[float] = []
        with_history: list[float] = []
        history_args = ["--archive", str(work / "archive")]
        for round_ in range(options.rounds):
            for timings, more in ((without, []), (with_history, history_args)):
                out = work / f"out-{round_}-{len(more)}"
                command = ["build", str(work / "march"), "--out", str(out), *extra, *more]
                timings.append(run(command))
        plain, history = statistics.median(without), statistics.median(with_history)
        kind = ".docx only" if options.no_pdf else "with PDFs and the pack"
        print(f"{options.papers} papers, {kind}, median of {options.rounds} rounds:")
        print(f"  without history  {plain:6.2f} s")
        print(f"  with history     {history:6.2f} s  ({(history / plain - 1) * 100:+.1f}%)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
