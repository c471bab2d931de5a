"""Benchmark: how long boardpack takes to build a meeting's papers, against the naive way.

    python bench/bench_build.py                 # 1, 10, 20 and 50 papers; naive way for 20
    python bench/bench_build.py --sizes 1,20 --naive 20

For each size it builds that many copies of the example (each with its own project name) with
PDFs and the combined pack, in a fresh process, and prints total seconds, seconds per paper and
the peak memory of the whole process tree (boardpack, its workers and LibreOffice). The naive
way is a fresh `boardpack build --no-pdf` process per paper and then one `soffice` per paper,
all sharing one LibreOffice profile (as a manager's own LibreOffice would; it is set up once).
It also times `boardpack check` on one workbook as a whole process.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import openpyxl

from boardpack.outputs import lo_profile
from boardpack.outputs.pdf import find_soffice

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "procurement.xlsx"


def make_copies(folder: Path, count: int) -> list[Path]:
    """`count` workbooks that differ only in project name, like a programme's papers."""
    folder.mkdir(parents=True, exist_ok=True)
    book = openpyxl.load_workbook(EXAMPLE)
    paths = []
    for number in range(1, count + 1):
        book["Paper"]["B2"] = f"Workstream {number:02d}"
        path = folder / f"workstream-{number:02d}.xlsx"
        book.save(path)
        paths.append(path)
    return paths


class PeakMemory:
    """Samples the memory of a process and all its descendants, keeping the peaks.

    `peak` sums each process's resident set (RSS), which counts libraries that several
    LibreOffice processes share once per process; `peak_pss` sums proportional set sizes, which
    count a shared page once in all, so it is the physical memory the build really took."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.peak_pss, self._stop = pid, 0, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = _tree(self.pid)
            self.peak = max(self.peak, sum(_memory(p, "/status", "VmRSS:") for p in tree))
            self.peak_pss = max(
                self.peak_pss, sum(_memory(p, "/smaps_rollup", "Pss:") for p in tree)
            )
            time.sleep(0.05)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def _memory(pid: int, file: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}{file}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def timed_run(command: list[str], *, memory: bool = False) -> tuple[float, int, int]:
    """Seconds of one command, which must succeed, and with `memory` the peak memory of its
    process tree (RSS, PSS; bytes). Sampling /proc costs CPU, so timings are taken without it."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = PeakMemory(process.pid)
    if memory:
        sampler.__enter__()
    try:
        _, err = process.communicate()
    finally:
        if memory:
            sampler.__exit__()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{err.decode()[-2000:]}")
    return elapsed, sampler.peak, sampler.peak_pss


def boardpack_build(
    inputs: Path, out: Path, *options: str, memory: bool = False
) -> tuple[float, int, int]:
    command = [sys.executable, "-m", "boardpack", "build", str(inputs), "--out", str(out)]
    return timed_run([*command, *options], memory=memory)


def naive_build(workbooks: list[Path], out: Path, profile_from: Path | None = None) -> float:
    """A fresh process per paper for the .docx, then one LibreOffice per paper; with
    `profile_from`, LibreOffice's profile starts as a copy of that one."""
    soffice = shutil.which("soffice") or "soffice"
    started = time.perf_counter()
    for workbook in workbooks:
        timed_run(
            [
                sys.executable,
                "-m",
                "boardpack",
                "build",
                str(workbook),
                "--no-pdf",
                "--out",
                str(out),
            ]
        )
    # One profile for all of them, as a manager's own LibreOffice has: set up by the first run,
    # reused by the rest (one at a time, so they never share it at once).
    with tempfile.TemporaryDirectory() as profile:
        if profile_from is not None:
            shutil.copytree(profile_from, profile, dirs_exist_ok=True)
        for workbook in workbooks:
            timed_run(
                [
                    soffice,
                    f"-env:UserInstallation={Path(profile).as_uri()}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(out),
                    str(out / f"{workbook.stem}.docx"),
                ]
            )
    return time.perf_counter() - started


def check_seconds(runs: int = 7) -> float:
    """Median wall time of `boardpack check` on the example as a whole process, its bytecode
    compiled first as installing it does (PYTHONDONTWRITEBYTECODE would otherwise have every
    run compile every module)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "boardpack")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "boardpack", "check", str(EXAMPLE)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,20,50", help="paper counts to build")
    parser.add_argument("--naive", type=int, default=20, help="paper count for the naive way")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"boardpack check, one workbook, whole process: {check_seconds():.2f} s (median of 7)")
    print()
    print("Each size: a folder of copies built whole (papers, PDFs and the pack), and built")
    print("again with --no-pdf; 'PDF s/paper' is the difference, PDFs and pack, per paper.")
    print(
        f"{'papers':>6} {'total s':>8} {'s/paper':>8} {'docx s/paper':>13} {'PDF s/paper':>12}"
        f" {'peak RSS MB':>12} {'peak PSS MB':>12}"
    )
    results: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as work:
        base = Path(work)
        # A cache of boardpack's own for this run: the first build sets up the LibreOffice
        # profile the later ones copy, as the first build on a new machine does.
        os.environ["BOARDPACK_CACHE"] = str(base / "cache")
        for size in sizes:
            inputs = base / f"in-{size}"
            make_copies(inputs, size)
            elapsed, _, _ = boardpack_build(inputs, base / f"out-{size}")
            docx_only, _, _ = boardpack_build(inputs, base / f"docx-{size}", "--no-pdf")
            _, rss, pss = boardpack_build(inputs, base / f"mem-{size}", memory=True)
            results[size] = elapsed
            print(
                f"{size:>6} {elapsed:>8.2f} {elapsed / size:>8.3f} {docx_only / size:>13.3f}"
                f" {(elapsed - docx_only) / size:>12.3f} {rss / 2**20:>12.0f} {pss / 2**20:>12.0f}"
            )
        if len(sizes) > 1:
            low, high = min(sizes), max(sizes)
            marginal = (results[high] - results[low]) / (high - low)
            print(f"marginal cost per extra paper ({low} to {high}): {marginal:.3f} s")
            slope = statistics.linear_regression(sizes, [results[s] for s in sizes]).slope
            print(f"least-squares seconds per paper over {sizes}: {slope:.3f} s")
        if args.naive:
            workbooks = make_copies(base / "naive-in", args.naive)
            naive = naive_build(workbooks, base / "naive-out")
            ours = results.get(args.naive)
            if ours is None:
                ours, _, _ = boardpack_build(base / "naive-in", base / "ours-out")
            # the same papers named one by one: a build of the papers alone, without the pack
            command = [sys.executable, "-m", "boardpack", "build", *map(str, workbooks)]
            papers_only, _, _ = timed_run([*command, "--out", str(base / "papers-only")])
            print()
            print(
                f"naive way, {args.naive} papers: {naive:.2f} s ({naive / args.naive:.2f} s/paper)"
            )
            print(
                f"boardpack, {args.naive} papers with PDFs: {papers_only:.2f} s,"
                f" {naive / papers_only:.1f}x faster"
            )
            print(
                f"boardpack, {args.naive} papers with PDFs and the pack: {ours:.2f} s,"
                f" {naive / ours:.1f}x faster"
            )
            # The naive way's LibreOffice runs its graphics self-test at every start, as it does
            # with any profile only ever used headless; boardpack's profile template skips it.
            # The naive way again with that template, so the gain of the rest is seen apart.
            template = lo_profile.template_for(find_soffice())
            if template.is_dir():
                helped = naive_build(workbooks, base / "naive-helped", profile_from=template)
                print(
                    f"naive way with boardpack's LibreOffice profile: {helped:.2f} s;"
                    f" boardpack with the pack {helped / ours:.1f}x faster"
                )


if __name__ == "__main__":
    main()
