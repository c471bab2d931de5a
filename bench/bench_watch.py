"""Benchmark: how soon `boardpack watch` has a saved paper and its proven PDF in place.

    python bench/bench_watch.py                  # 10 edits of one paper in a 5-paper folder
    python bench/bench_watch.py --edits 20 --papers 20 --rounds 3

Starts `boardpack watch` on a folder of copies of the example, waits for its first build, then
saves one workbook `--edits` times as Excel does (written to a temporary file, renamed over the
workbook) and times each from the rename to the moment the new PDF is in place (the watch puts
the .docx first, then the proven PDF, each by an atomic rename). Between edits it waits for the
pack to follow, so no edit waits behind the pack. Prints the median and the worst, per round and
the best round's (the machine may be shared: the quietest round is the fairest figure).

It then times, each as a whole process after a warm-up, one cold paper with its PDF (`boardpack
build one.xlsx`) and `boardpack check one.xlsx`, `--runs` times each (median and least). The
20-paper pack against the naive pipeline is bench/bench_build.py's figure, and every figure
against an earlier release bench/bench_compare.py's.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import openpyxl
from bench_build import make_copies  # this folder's: the benches run as scripts

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "procurement.xlsx"
_PATIENCE = 300.0  # seconds to wait for any one line of the watch before giving up


def edited(workbook: Path, number: int) -> bytes:
    """The workbook's bytes with a new project name, as a manager's edit."""
    book = openpyxl.load_workbook(workbook)
    book["Paper"]["B2"] = f"Workstream edit {number}"
    staging = workbook.with_name(f"~bench-{number}.tmp")
    book.save(staging)
    data = staging.read_bytes()
    staging.unlink()
    return data


class Watch:
    """A `boardpack watch` process and the lines it prints."""

    def __init__(self, inputs: Path, out: Path, cache: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BOARDPACK_CACHE": str(cache)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "boardpack", "watch", str(inputs), "--out", str(out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str) -> str:
        """The next line that holds `text`; raises if the watch prints none in time."""
        while True:
            line = self.lines.get(timeout=_PATIENCE)
            if text in line:
                return line
            if "invalid" in line or "failed" in line or "Error" in line:
                raise RuntimeError(f"the watch reported: {line}")

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(timeout=_PATIENCE)


def tree_cpu(root: int) -> float:
    """CPU seconds (user and system) used so far by a process and its descendants (Linux)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        total += times.get(pid, 0.0)
        pending.extend(children.get(pid, []))
    return total


def one_round(base: Path, papers: int, edits: int) -> tuple[list[float], list[float]]:
    """The seconds from each save to its PDF in place, over `edits` saves, and the CPU seconds
    the watch and its LibreOffice spent on each rebuild (on a busy machine, the wall time a
    quiet one would take, less waits for the disk)."""
    inputs, out = base / "in", base / "out"
    workbook = make_copies(inputs, papers)[0]
    watch = Watch(inputs, out, base / "cache")
    try:
        watch.wait_for("pack: built")
        pdf = out / f"{workbook.stem}.pdf"
        latencies: list[float] = []
        cpu: list[float] = []
        for number in range(edits):
            data = edited(workbook, number)
            before = os.stat(pdf).st_ino
            staging = inputs / f"~$bench-{number}.xlsx"  # a name the watch passes over
            staging.write_bytes(data)
            used = tree_cpu(watch.proc.pid)
            saved = time.perf_counter()
            os.replace(staging, workbook)
            while True:  # the PDF is renamed into place whole: a new file id
                try:
                    if os.stat(pdf).st_ino != before:
                        break
                except FileNotFoundError:
                    pass  # the earlier PDF is moved aside just before the new one comes
                if time.perf_counter() - saved > _PATIENCE:
                    raise RuntimeError("the PDF was not rebuilt")
                time.sleep(0.002)
            latencies.append(time.perf_counter() - saved)
            line = watch.wait_for(f"{workbook.name}: built")
            cpu.append(tree_cpu(watch.proc.pid) - used)
            if os.environ.get("BENCH_VERBOSE"):
                print(f"  {latencies[-1]:.3f} s; the watch says: {line}", flush=True)
            watch.wait_for("pack: built")
    finally:
        code = watch.stop()
    if code not in (0, 143):
        raise RuntimeError(f"the watch ended with exit code {code}")
    return latencies, cpu


def whole_process(args: list[str], cache: Path, runs: int) -> list[float]:
    """Wall seconds of `runs` runs of one boardpack command as a whole process, after one more
    run as a warm-up (it sets up LibreOffice's profile template in the cache)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BOARDPACK_CACHE": str(cache)}
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "boardpack")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    times = []
    for number in range(runs + 1):
        command = [a.replace("{n}", str(number)) for a in args]
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "boardpack", *command],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if number:
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=5)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=7, help="runs of the cold paper and check")
    args = parser.parse_args()
    rounds: list[list[float]] = []
    cpus: list[list[float]] = []
    with tempfile.TemporaryDirectory() as work:
        cache, out = Path(work) / "cache", Path(work) / "cold"
        cold = whole_process(["build", str(EXAMPLE), "--out", f"{out}-{{n}}"], cache, args.runs)
        check = whole_process(["check", str(EXAMPLE)], cache, args.runs)
        for name, figures in (("one cold paper with its PDF", cold), ("check", check)):
            print(
                f"{name}, whole process: median {statistics.median(figures):.3f} s,"
                f" least {min(figures):.3f} s ({args.runs} runs)",
                flush=True,
            )
        for number in range(args.rounds):
            base = Path(work) / f"round-{number}"
            figures, cpu = one_round(base, args.papers, args.edits)
            rounds.append(figures)
            cpus.append(cpu)
            print(
                f"round {number + 1}: median {statistics.median(figures):.3f} s,"
                f" worst {max(figures):.3f} s; all: {[round(x, 3) for x in figures]};"
                f" CPU per rebuild, median {statistics.median(cpu):.3f} s",
                flush=True,
            )
    best = min(rounds, key=statistics.median)
    print(
        f"watch, save to the paper's proven PDF in place ({args.edits} edits, {args.papers}-paper"
        f" folder, best of {args.rounds} rounds): median {statistics.median(best):.3f} s,"
        f" worst {max(best):.3f} s"
    )
    every = [x for cpu in cpus for x in cpu]
    print(
        f"CPU seconds per rebuild, the watch and its LibreOffice (all rounds): median"
        f" {statistics.median(every):.3f} s, least {min(every):.3f} s"
    )


if __name__ == "__main__":
    main()
