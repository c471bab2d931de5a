"""Benchmark: this checkout against another (an earlier commit), on the same machine, in turns.

    python bench/bench_compare.py --base a702f8a                # 20 papers, 5 rounds
    python bench/bench_compare.py --base /tmp/base --papers 20 --rounds 7

`--base` is a commit (its files are taken into a temporary folder with `git archive`) or the
folder of another checkout (`git worktree add /tmp/base <commit>`).

It also builds with this checkout less each of two steps that every PDF now goes through, to
show what each costs: the proof that a PDF is its paper (outputs/proof.py) and the finishing of
its tagging with pikepdf (outputs/pdf_finish.py). Those runs replace the step with one that does
nothing (bench/without.py), so they measure, never ship.

Each round builds the same folder of copies of the example (PDFs and the pack, one
`boardpack build` process, each checkout's own cache folder), builds one of those workbooks
alone (one cold paper with its PDF) and times `boardpack check` on it, first with one checkout
and then the other, alternating which goes first, so that a machine growing busier or quieter
affects both alike. It prints the median wall times and what this checkout costs against the
other, in per cent. The other checkout runs with this checkout's Python and packages, its own
source first on the path. Last it prints `check`'s floor: a process that starts only the
libraries `check` cannot do without (CHECK_FLOOR), so that boardpack's own share is the rest.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
# What `boardpack check` cannot start without, as a process of its own: Python, click, pydantic
# with one model made (its first model imports most of it), openpyxl without numpy, as boardpack
# imports it, and the collector off, as boardpack runs. The rest of `check` is boardpack's.
CHECK_FLOOR = (
    "import gc, sys; gc.disable(); sys.modules['numpy'] = None\n"
    "import click, pydantic\n"
    "class One(pydantic.BaseModel):\n    a: int\n"
    "import openpyxl\n"
)


def make_copies(example: Path, folder: Path, count: int) -> None:
    """`count` workbooks that differ only in project name, like a programme's papers."""
    folder.mkdir(parents=True)
    book = openpyxl.load_workbook(example)
    for number in range(1, count + 1):
        book["Paper"]["B2"] = f"Workstream {number:02d}"
        book.save(folder / f"workstream-{number:02d}.xlsx")


def compile_tree(source: Path) -> None:
    """Byte-compile `source`'s package, as installing it does: with PYTHONDONTWRITEBYTECODE set
    (as on some CI machines) every timed process would otherwise compile every module again,
    which doubled `check`'s time in an earlier measurement."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(source / "boardpack")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def timed(source: Path, cache: Path, *args: str, without: str = "") -> float:
    """Wall seconds of one boardpack command run from `source`'s code, less the steps named."""
    env = {**os.environ, "PYTHONPATH": str(source), "BOARDPACK_CACHE": str(cache)}
    command = [sys.executable, "-m", "boardpack"]
    if without:
        command = [sys.executable, str(ROOT / "bench" / "without.py"), without]
    started = time.perf_counter()
    subprocess.run(
        [*command, *args],
        env=env,
        cwd=source,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def checkout(base: str, work: Path) -> Path:
    """The folder of the other checkout: `base` itself, or commit `base`'s files in `work`."""
    if Path(base).is_dir():
        return Path(base).resolve()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", base], check=True, capture_output=True
    ).stdout
    folder = work / "base-tree"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the other checkout: a commit or a folder")
    parser.add_argument("--papers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        base = Path(work)
        trees = {"this": ROOT, "base": checkout(args.base, base)}
        compare(trees, base, args.papers, args.rounds, args.base)


def compare(trees: dict[str, Path], base: Path, papers: int, rounds: int, named: str) -> None:
    """Time the builds, cold papers and checks of both trees in turns and print the medians."""
    # name -> (source tree, steps left out)
    runs = {
        "this": (trees["this"], ""),
        "base": (trees["base"], ""),
        "this without the proof": (trees["this"], "proof"),
        "this without finishing": (trees["this"], "finish"),
        "this without either": (trees["this"], "proof,finish"),
    }
    inputs = base / "in"
    make_copies(ROOT / "inputs" / "procurement.xlsx", inputs, papers)
    example = inputs / "workstream-01.xlsx"
    builds: dict[str, list[float]] = {name: [] for name in runs}
    checks: dict[str, list[float]] = {name: [] for name in trees}
    floors: list[float] = []
    colds: dict[str, list[float]] = {name: [] for name in trees}
    for tree in trees.values():
        compile_tree(tree)
    for name, tree in trees.items():  # a warm-up each: LibreOffice's profile template
        timed(tree, base / f"cache-{name}", "build", str(inputs), "--out", str(base / name))
    for round_ in range(rounds):
        order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
        for name in order:
            tree, without = runs[name]
            cache = base / f"cache-{'base' if tree != trees['this'] else 'this'}"
            out = base / f"out-{len(builds[name])}-{order.index(name)}-{round_}"
            builds[name].append(
                timed(tree, cache, "build", str(inputs), "--out", str(out), without=without)
            )
            if name in trees:
                cold = [
                    timed(tree, cache, "build", str(example), "--out", f"{out}-one-{n}")
                    for n in range(3)
                ]
                colds[name].append(statistics.median(cold))
                check = [timed(tree, cache, "check", str(example)) for _ in range(5)]
                checks[name].append(statistics.median(check))
        floors.append(statistics.median(check_floor() for _ in range(5)))
    print(f"this checkout against {named}, {rounds} rounds in turns (medians)")
    print(f"{papers} papers with PDFs and the pack:")
    reference = statistics.median(builds["base"])
    for name, figures in builds.items():
        median = statistics.median(figures)
        print(
            f"build, {name:>24}: {median:.2f} s (median),"
            f" {100 * (median - reference) / reference:+.1f} % against base;"
            f" all: {sorted(round(x, 2) for x in figures)}"
        )
    for what, timings in (("one cold paper with its PDF", colds), ("check, one workbook", checks)):
        this, other = (statistics.median(timings[n]) for n in ("this", "base"))
        print(
            f"{what}: this {this:.2f} s, base {other:.2f} s (medians),"
            f" {100 * (this - other) / other:+.1f} %"
        )
    floor = statistics.median(floors)
    print(f"check's floor, Python, click, pydantic and openpyxl alone: {floor:.2f} s")


def check_floor() -> float:
    """Wall seconds of a process that only starts what `check` cannot do without."""
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "__all__"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHECK_FLOOR], env=env, check=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
