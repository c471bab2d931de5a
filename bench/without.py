"""Run the boardpack command line with some steps replaced by ones that do nothing, to measure
what they cost (bench/bench_compare.py): `python bench/without.py proof,finish build ...`."""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    steps = set(sys.argv[1].split(","))
    del sys.argv[1]
    if "proof" in steps:
        import boardpack.outputs.proof

        boardpack.outputs.proof.prove_pdf = lambda *args, **kwargs: None
    if "finish" in steps:
        import boardpack.outputs.pdf_finish
        from boardpack.outputs.pdf import _inspect

        def unfinished(path: Path) -> boardpack.outputs.pdf_finish.Finished:
            # Checked as before finishing was added (pypdf), and placed as LibreOffice made it.
            pages, problem = _inspect(Path(path), None)
            data = Path(path).read_bytes() if problem is None else b""
            return boardpack.outputs.pdf_finish.Finished(data, pages, problem)

        boardpack.outputs.pdf_finish.finish = unfinished
    from boardpack.cli import run

    run()


if __name__ == "__main__":
    main()
