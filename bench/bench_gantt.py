"""Benchmark: CPU time to draw one Gantt chart, for the example and for a long plan.

    python bench/bench_gantt.py                # 20 charts a round, best of 5 rounds
    python bench/bench_gantt.py --charts 50 --rounds 3

Prints milliseconds per chart for the bundled example's plan (six rows) and for a 30-item plan
spanning three years (32 rows). The best round is reported, as the least disturbed by whatever
else the machine is doing; process CPU time is used, so waiting on other processes is not counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

from boardpack.outputs import gantt
from boardpack.outputs.gantt import default_plan
from boardpack.paper.models import Milestone
from boardpack.workbook.validate import load_paper

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "procurement.xlsx"


def long_plan(items: int = 30, years: int = 3) -> list[Milestone]:
    """A plan of bars and diamonds in every status, spread over some years, in both scopes."""
    statuses = [state.name for state in default_plan().states]
    plan = []
    for i in range(items):
        start = dt.date(2006, 1, 1) + dt.timedelta(days=i * 365 * years // items)
        plan.append(
            Milestone(
                text=f"Workstream item {i}",
                label=f"Item {i}: deliver phase {i % 5}",
                scope="Within project" if i < items * 2 // 3 else "Outside project",
                start=None if i % 4 == 3 else start,
                due=start + dt.timedelta(days=40 + i * 37 % 200),
                status=statuses[i % 4],
            )
        )
    return plan


def ms_per_chart(
    milestones: Sequence[Milestone], report_date: dt.date, charts: int, rounds: int
) -> float:
    """The best round's CPU milliseconds per chart."""
    gantt.draw_gantt(milestones, report_date)  # fonts and caches loaded outside the timing
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(charts):
            gantt.draw_gantt(milestones, report_date)
        best = min(best, (time.process_time() - start) / charts * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--charts", type=int, default=20, help="charts drawn per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, the best is reported")
    args = parser.parse_args()
    paper = load_paper(EXAMPLE).paper
    assert paper is not None, f"{EXAMPLE} is not a valid paper"
    cases = [
        ("example", paper.milestones, paper.details.report_date or dt.date(2008, 1, 14)),
        ("30 items", long_plan(), dt.date(2007, 3, 14)),
    ]
    for name, milestones, report_date in cases:
        ms = ms_per_chart(milestones, report_date, args.charts, args.rounds)
        print(f"{name:10} {ms:6.1f} ms per chart")


if __name__ == "__main__":
    main()
