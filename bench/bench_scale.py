"""Benchmark: where the time goes as a paper's risk register grows.

    python bench/bench_scale.py                  # 500, 1000, 2500 and 4,999 risks
    python bench/bench_scale.py --sizes 100,4999  # 4,999: the most a sheet holds

For each size it writes a copy of the example with that many risks (each worded differently,
at every likelihood and impact), then times each stage of making its paper in this process:
reading and validating the workbook, rendering the .docx, and LibreOffice converting it to a
PDF/A (with the proof that the PDF is the paper's). It prints each stage's seconds beside the
size, and the .docx's and PDF's bytes and pages, so a stage that grows faster than the register
shows itself. The default time-out for a conversion is 120 s.

Measured on the shared 2-core machine (other builds running), 4,999 risks, 253 pages: read
3.0 s, render 6.4 s, PDF 69-77 s, of which 10 s is our PDF finishing (pdf_finish.py) and 2.4 s
its verification; LibreOffice took 583 s for the same register printed as one table, before it
was cut into tables of 100 rows (outputs/word/long_tables.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from boardpack.outputs.pdf import convert_to_pdf  # noqa: E402
from boardpack.outputs.render import render_paper  # noqa: E402
from boardpack.workbook.validate import load_paper  # noqa: E402

EXAMPLE = ROOT / "inputs" / "procurement.xlsx"
OWNERS = ("Head of Procurement", "Programme Manager", "Finance Lead", "Chief Executive")


def make_register(path: Path, risks: int) -> Path:
    """The example with `risks` rows in its register."""
    book = openpyxl.load_workbook(EXAMPLE)
    sheet = book["Risks"]
    sheet.delete_rows(2, sheet.max_row)
    for number in range(1, risks + 1):
        likelihood, impact = number % 4 + 1, (number // 4) % 4 + 1
        sheet.append(
            [
                f"Risk {number}: suppliers may not meet the revised timetable for lot {number}",
                likelihood,
                impact,
                likelihood * impact,
                f"Agree a recovery plan for lot {number} with the supplier and report monthly",
                OWNERS[number % len(OWNERS)],
            ]
        )
    book.save(path)
    return path


def pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,1000,2500,4999", help="risks, comma-separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'risks':>6} {'read s':>7} {'render s':>9} {'pdf s':>7} {'docx KB':>8} {'pages':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            workbook = make_register(Path(folder) / f"risks-{size}.xlsx", size)
            started = time.perf_counter()
            checked = load_paper(workbook)
            read = time.perf_counter() - started
            started = time.perf_counter()
            docx = Path(folder) / f"risks-{size}.docx"
            docx.write_bytes(render_paper(checked.paper))
            render = time.perf_counter() - started
            started = time.perf_counter()
            convert_to_pdf([docx], timeout=600)
            pdf = time.perf_counter() - started
            made = docx.with_suffix(".pdf")
            size_kb = docx.stat().st_size // 1024
            print(
                f"{size:>6} {read:>7.2f} {render:>9.2f} {pdf:>7.2f} {size_kb:>8} {pages(made):>6}",
                flush=True,
            )


if __name__ == "__main__":
    main()
