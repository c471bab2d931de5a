"""The corpus of broken and hostile workbooks: each fault gets one clear message, with its place,
through the library and the command line, exit code 1, and no earlier output is touched."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from boardpack.cli import main
from boardpack.errors import InvalidWorkbook, Problem
from boardpack.files import TEMP_PREFIX, WORKBOOK_SUFFIXES, safe_stem
from boardpack.pipeline import build
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE
from tests.corpus.make_corpus import CASES, write_corpus

DAMAGED = "copy it again, or open it in Excel, which may repair it, and save it"
RESAVE = "open it in Excel and save it as an Excel Workbook (.xlsx)"
FRESH = "ask whoever sent it for a fresh copy saved from Excel"
HOSTILE = (
    "holds an XML document type declaration, which Excel never writes and which can be used to"
    f" attack the computer reading it; {FRESH}"
)


@dataclass(frozen=True)
class Fault:
    """What boardpack must say first about a case: where, and the message (a pattern when it
    quotes a library's own words, which may change between versions)."""

    where: str
    message: str | re.Pattern[str]

    def matches(self, problem: Problem) -> bool:
        if problem.where != self.where:
            return False
        if isinstance(self.message, str):
            return problem.message == self.message
        return self.message.fullmatch(problem.message) is not None

    def shown_in(self, output: str) -> bool:
        """Whether a command's output shows the fault, however its lines were wrapped."""
        pattern = self.message if isinstance(self.message, str) else self.message.pattern
        if isinstance(self.message, str):
            pattern = re.escape(pattern)
        return re.search(re.escape(f"{self.where}: ") + pattern, flat(output)) is not None


EXPECTED: dict[str, Fault] = {
    "empty.xlsx": Fault("empty.xlsx", "is empty (0 bytes); save the workbook again from Excel"),
    "text-renamed.xlsx": Fault(
        "text-renamed.xlsx", f"is a text file (perhaps CSV), not an Excel workbook; {RESAVE}"
    ),
    "image-renamed.xlsx": Fault(
        "image-renamed.xlsx", f"is a PNG image, not an Excel workbook; {RESAVE}"
    ),
    "web-export.xls": Fault(
        "web-export.xls", f"is a web page (HTML), not an Excel workbook; {RESAVE}"
    ),
    "word-renamed.xlsx": Fault(
        "word-renamed.xlsx", f"is a Word document, not an Excel workbook; {RESAVE}"
    ),
    "truncated.xlsx": Fault(
        "truncated.xlsx",
        "is damaged: it is incomplete or corrupt, perhaps a copy or download that did not"
        f" finish; {DAMAGED}",
    ),
    "corrupt.xlsx": Fault(
        "corrupt.xlsx",
        re.compile(
            r"is damaged: part xl/worksheets/sheet6\.xml cannot be unpacked \(.+\); "
            + re.escape(DAMAGED)
        ),
    ),
    "old-excel.xls": Fault(
        "old-excel.xls",
        "is an old Excel 97-2003 workbook (.xls); open it in Excel and save it as an Excel"
        " Workbook (.xlsx)",
    ),
    "old-excel-renamed.xlsx": Fault(
        "old-excel-renamed.xlsx",
        "is an old Excel 97-2003 workbook (.xls); open it in Excel and save it as an Excel"
        " Workbook (.xlsx)",
    ),
    "password.xlsx": Fault(
        "password.xlsx",
        "is protected with a password, so it cannot be read; remove the password: in Excel,"
        " File > Info > Protect Workbook > Encrypt with Password, clear the password and save",
    ),
    "bomb-size.xlsx": Fault(
        "bomb-size.xlsx",
        "would expand to 60 MB when opened, far beyond any paper's workbook, so it is refused"
        f" (the limit is 50 MB); it may be damaged or made to exhaust memory: {FRESH}",
    ),
    "bomb-part.xlsx": Fault(
        "bomb-part.xlsx",
        "part xl/styles.xml would be 6 MB when opened, far beyond any part of a paper's"
        " workbook, so it is refused (the limit is 5 MB a part); it may be damaged or made to"
        f" exhaust memory: {FRESH}",
    ),
    "bomb-ratio.xlsx": Fault(
        "bomb-ratio.xlsx",
        re.compile(
            r"part xl/worksheets/sheet6\.xml would expand [0-9,]+ times over when opened, as no"
            r" real workbook does, so it is refused \(the limit is 100 times\); it may be made"
            " to exhaust memory: " + re.escape(FRESH)
        ),
    ),
    "billion-laughs.xlsx": Fault(
        "billion-laughs.xlsx", f"is refused: part xl/worksheets/sheet6.xml {HOSTILE}"
    ),
    "external-entity.xlsx": Fault(
        "external-entity.xlsx", f"is refused: part xl/worksheets/sheet2.xml {HOSTILE}"
    ),
    "duplicate-part.xlsx": Fault(
        "duplicate-part.xlsx",
        f"is damaged: it holds part xl/worksheets/sheet6.xml twice; {RESAVE}, or {FRESH}",
    ),
    "malformed-xml.xlsx": Fault(
        "Risks",
        re.compile(
            r"the sheet cannot be read: it is damaged \(ParseError: .+\); open the workbook in"
            r" Excel, which may repair it, and save it"
        ),
    ),
    "missing-part.xlsx": Fault(
        "missing-part.xlsx",
        "is damaged: sheet 'Risks' is listed in it but its contents are missing; open it in"
        " Excel, which may repair it, and save it",
    ),
    "too-many-rows.xlsx": Fault(
        "Risks",
        "sheet is 1048576 rows by 6 columns; a paper's sheet is limited to 5000 rows and 50"
        " columns. Delete the unused rows/columns",
    ),
    "false-dimension.xlsx": Fault(
        "Risks!A5001",
        "the sheet goes on past a paper's limit of 5000 rows and 50 columns; delete the rows"
        " and columns beyond the table",
    ),
    "wide-sheet.xlsx": Fault(
        "Risks",
        "sheet is 5 rows by 78 columns; a paper's sheet is limited to 5000 rows and 50 columns."
        " Delete the unused rows/columns",
    ),
    "renamed-sheet.xlsx": Fault(
        "renamed-sheet.xlsx",
        "sheet 'Risks' is missing. Expected sheets: Paper, Sections, Plan, Budget, Risks (Budget"
        " optional); this workbook has: Help, Paper, Sections, Plan, Budget, Risk register."
        " Rename or add the sheet",
    ),
    "merged-cells.xlsx": Fault(
        "Sections!C6",
        "is merged with C5, so the value shown here belongs to C5 only; unmerge the cells"
        " (Home > Merge & Center) and type the value in each",
    ),
    "unsaved-formula.xlsx": Fault(
        "Risks!B3",
        "holds a formula whose value Excel never saved; open and save the workbook in Excel (or"
        " type the value)",
    ),
    "formula-error.xlsx": Fault(
        "Risks!A3", "shows the error #DIV/0!; correct its formula in Excel, or type the value"
    ),
    "not-a-date.xlsx": Fault(
        "Paper!B6",
        "is formatted as a date but holds 10000000000, which is no date; type the date again,"
        " e.g. 24/01/2008",
    ),
    "many-faults.xlsx": Fault(  # the first, in sheet order
        "Paper!B8", "overall status must be one of: Green, Amber, Red (got 'Purple')"
    ),
    "~$procurement.xlsx": Fault(
        "~$procurement.xlsx",
        "is the lock file Excel keeps while 'procurement.xlsx' is open, not a workbook; check"
        " 'procurement.xlsx' itself",
    ),
}


def flat(text: str) -> str:
    """Text with its spacing collapsed: the build's table wraps long messages."""
    return " ".join(text.split())


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InvalidWorkbook) as caught:
        load_paper(path)
    assert caught.value.source == path.name
    return caught.value.problems


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder)
    return folder


@pytest.fixture(scope="session")
def good_docx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The example's paper, built once: stands for the good output of an earlier build."""
    out = tmp_path_factory.mktemp("good")
    report = build([EXAMPLE], out, pdf=False)
    assert report.ok
    return (out / "procurement.docx").read_bytes()


def test_every_case_has_an_expectation() -> None:
    assert sorted(EXPECTED) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fault_is_reported_clearly(
    name: str, corpus: Path, good_docx: bytes, tmp_path: Path
) -> None:
    path = corpus / name
    fault = EXPECTED[name]

    problems = problems_of(path)
    assert fault.matches(problems[0]), str(problems[0])
    if name != "many-faults.xlsx":
        assert [p.where for p in problems] == [fault.where], problems

    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(path)])
    assert checked.exit_code == 1, checked.output
    assert f"{name}: {len(problems)} problem" in checked.output
    assert fault.shown_in(checked.output), checked.output
    assert "Traceback" not in checked.output and "Internal error" not in checked.output

    # An earlier good paper under the name this workbook would build must survive the failure.
    out = tmp_path / "out"
    out.mkdir()
    earlier = out / f"{safe_stem(path.stem)}.docx"
    earlier.write_bytes(good_docx)
    built = runner.invoke(main, ["build", str(path), "--out", str(out), "--no-pdf"])
    assert built.exit_code == 1, built.output
    assert fault.shown_in(built.output), built.output
    assert "Traceback" not in built.output and "Internal error" not in built.output
    assert earlier.read_bytes() == good_docx
    assert sorted(p.name for p in out.iterdir()) == [earlier.name]
    assert not list(out.glob(TEMP_PREFIX + "*"))


def test_many_faults_are_all_reported_in_one_run(corpus: Path) -> None:
    messages = [str(p) for p in problems_of(corpus / "many-faults.xlsx")]
    # In the workbook's order, sheet by sheet, row by row: what the reader and what the
    # validation found side by side.
    assert messages == [
        "Paper!B8: overall status must be one of: Green, Amber, Red (got 'Purple')",
        "Sections!C4: text is 4001 characters long; the limit is 4000. Shorten it or split it"
        " into several rows",
        "Sections!C6: is merged with C5, so the value shown here belongs to C5 only; unmerge the"
        " cells (Home > Merge & Center) and type the value in each",
        "Plan!C3: scope must be one of: Within project, Outside project (got 'Elsewhere')",
        "Risks!B3: holds a formula whose value Excel never saved; open and save the workbook in"
        " Excel (or type the value)",
    ]


@pytest.mark.parametrize("name", ["merged-cells.xlsx", "unsaved-formula.xlsx", "not-a-date.xlsx"])
def test_a_fault_the_reader_reports_is_not_repeated(name: str, corpus: Path) -> None:
    assert len(problems_of(corpus / name)) == 1


def test_missing_file(corpus: Path, tmp_path: Path) -> None:
    path = corpus / "missing.xlsx"
    assert [str(p) for p in problems_of(path)] == [f"{path}: file not found; check the path"]
    for args in (["check", str(path)], ["build", str(path), "--out", str(tmp_path), "--no-pdf"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert "missing.xlsx: file not found; check the path" in flat(result.output)
        assert "Traceback" not in result.output


def test_whole_corpus_at_once(corpus: Path, tmp_path: Path) -> None:
    # A folder's workbooks are its .xlsx and .xlsm files, and old .xls ones so that they are
    # named, less Excel's lock files.
    suffixes = (*WORKBOOK_SUFFIXES, ".xls")
    found = sorted(n for n in CASES if n.endswith(suffixes) and not n.startswith("~$"))
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(corpus)])
    assert checked.exit_code == 1
    assert "Traceback" not in checked.output and "Internal error" not in checked.output
    output = flat(checked.output)
    for name in found:
        assert f"{name}: " in output and EXPECTED[name].shown_in(output), name
    assert output.count(" problem") == len(found)

    out = tmp_path / "out"
    shutil.copytree(corpus, tmp_path / "copy")  # the corpus is shared; build from a copy
    built = runner.invoke(main, ["build", str(tmp_path / "copy"), "--out", str(out), "--no-pdf"])
    assert built.exit_code == 1
    assert "Traceback" not in built.output and "Internal error" not in built.output
    for name in found:
        assert EXPECTED[name].shown_in(built.output), name
    assert not [p for p in out.iterdir() if p.suffix == ".docx" or p.name.startswith(TEMP_PREFIX)]
