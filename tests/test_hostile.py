"""Hostile and unusual input: nothing executed, nothing expanded, nothing written outside its
folder, the workbook never changed; limits refused fast; damage of any kind a clear message."""

from __future__ import annotations

import os
import shutil
import tempfile
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import boardpack.guard
from boardpack.cli import main
from boardpack.errors import BoardpackError, InvalidWorkbook
from boardpack.files import safe_stem
from boardpack.workbook.read import read_workbook
from boardpack.workbook.validate import load_paper
from tests.conftest import EXAMPLE, EditWorkbook
from tests.corpus import make_corpus
from tests.corpus.make_corpus import CASES, RISKS_PART, rezipped


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InvalidWorkbook) as caught:
        load_paper(path)
    return [str(p) for p in caught.value.problems]


# XML entities


def test_openpyxl_parses_with_defusedxml() -> None:
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML is True
    assert functions.iterparse.__module__.startswith("defusedxml")


def test_reading_is_refused_without_defusedxml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(BoardpackError, match="without the defusedxml package") as caught:
        read_workbook(EXAMPLE)
    assert not isinstance(caught.value, InvalidWorkbook)  # the machine is at fault, not the file
    result = CliRunner().invoke(main, ["check", str(EXAMPLE)])
    assert result.exit_code == 1
    assert "pip install defusedxml" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_entity_payload_is_refused_at_once(tmp_path: Path, encoding: str) -> None:
    def hostile(xml: bytes) -> bytes:
        text = xml.decode().replace("<t>Event</t>", "<t>&lol9;</t>")
        body = make_corpus.BILLION_LAUGHS.replace(
            'version="1.0"', f'version="1.0" encoding="{encoding}"'
        )
        return (body + text).encode(encoding)

    path = write(tmp_path / "laughs.xlsx", rezipped(make_corpus.example(), {RISKS_PART: hostile}))
    tracemalloc.start()
    try:
        messages = problems_of(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024, f"took {peak / 2**20:.0f} MB to refuse"  # not expanded
    assert messages == [
        "laughs.xlsx: is refused: part xl/worksheets/sheet6.xml holds an XML document type"
        " declaration, which Excel never writes and which can be used to attack the computer"
        " reading it; ask whoever sent it for a fresh copy saved from Excel"
    ]


def test_declaration_after_a_long_comment_is_still_found(tmp_path: Path) -> None:
    def hostile(xml: bytes) -> bytes:
        laughs = make_corpus.BILLION_LAUGHS.split("\n", 1)[1]  # after the XML declaration
        return b"<!--" + b"-" * 100_000 + b"x-->" + laughs.encode() + xml

    path = write(tmp_path / "late.xlsx", rezipped(make_corpus.example(), {RISKS_PART: hostile}))
    assert problems_of(path)[0].startswith(
        "late.xlsx: is refused: part xl/worksheets/sheet6.xml holds an XML document type"
    )


def test_openpyxl_alone_also_refuses_entities(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: without boardpack's own check, defusedxml still stops the payload."""
    monkeypatch.setattr(boardpack.guard, "_DOCTYPE", ())
    path = write(tmp_path / "laughs.xlsx", CASES["billion-laughs.xlsx"]())
    tracemalloc.start()
    try:
        assert problems_of(path) == [
            "laughs.xlsx: is refused: it declares XML entities, which Excel never writes and"
            " which can be used to attack the computer reading it; ask whoever sent it for a"
            " fresh copy saved from Excel"
        ]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Expanded, the entities would take gigabytes; refused, a few megabytes at most.
    assert peak < 50 * 1024 * 1024, f"took {peak / 2**20:.0f} MB to refuse"


def test_external_entity_leaks_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boardpack.guard, "_DOCTYPE", ())
    path = write(tmp_path / "xxe.xlsx", CASES["external-entity.xlsx"]())
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert "is refused" in result.output and "root:" not in result.output


# Size limits: refused from the zip's directory, before anything is decompressed


@pytest.mark.parametrize(
    "name", ["bomb-size.xlsx", "bomb-part.xlsx", "bomb-ratio.xlsx", "false-dimension.xlsx"]
)
def test_bombs_are_refused_fast_and_small(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / name, CASES[name]())
    # Work is counted in bytes unpacked and memory held, not seconds, which a busy machine
    # would stretch: a bomb refused before it is unpacked costs little of either.
    unpacked = _count_unpacked(monkeypatch)
    tracemalloc.start()
    try:
        with pytest.raises(InvalidWorkbook):
            load_paper(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sum(unpacked) < 2 * 1024 * 1024, f"{name}: unpacked {sum(unpacked):,} bytes"
    assert peak < 20 * 1024 * 1024, f"{name} took {peak / 2**20:.0f} MB to refuse"


def _count_unpacked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record how many bytes are read out of any zip from now on."""
    counts: list[int] = []
    for method in ("read", "read1"):
        original = getattr(zipfile.ZipExtFile, method)

        def counting(self: Any, n: int = -1, _original: Any = original) -> bytes:
            data: bytes = _original(self, n)
            counts.append(len(data))
            return data

        monkeypatch.setattr(zipfile.ZipExtFile, method, counting)
    return counts


def test_a_sheet_without_a_stated_size_is_read_in_full(tmp_path: Path) -> None:
    """Some writers state no size, or a wrong one; openpyxl alone would then lose rows."""

    def no_size(xml: bytes) -> bytes:
        return xml.replace(b'<dimension ref="A1:F5"/>', b'<dimension ref="A1"/>')

    path = write(tmp_path / "sizeless.xlsx", rezipped(make_corpus.example(), {RISKS_PART: no_size}))
    assert [r.lxi for r in load_paper(path).paper.risks] == [4, 8, 9, 8]


# Macros, formulas, merged cells


def test_macro_workbook_is_read_and_its_macros_never_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "macros.xlsm", make_corpus.macro_workbook())
    calls: list[dict[str, Any]] = []
    load = openpyxl.load_workbook

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return load(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    assert len(load_paper(path).paper.risks) == 4
    assert calls and all(c.get("keep_vba") is False for c in calls)
    assert all(c.get("keep_links") is False for c in calls)

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out / "macros.docx") as docx:
        assert not [n for n in docx.namelist() if "vba" in n.lower()]


def test_lxi_formulas_written_by_openpyxl_are_worked_out(tmp_path: Path) -> None:
    path = write(tmp_path / "lxi.xlsx", make_corpus.lxi_formulas_workbook())
    checked = load_paper(path)
    assert [r.lxi for r in checked.paper.risks] == [4, 8, 9, 8]
    assert checked.warnings == ()


def test_lxi_formulas_below_the_table_are_not_rows(example_copy: EditWorkbook) -> None:
    path = example_copy({f"Risks!D{row}": f"=B{row}*C{row}" for row in range(2, 200)})
    assert len(load_paper(path).paper.risks) == 4


def test_formula_with_an_empty_text_result_is_a_blank_cell(tmp_path: Path) -> None:
    def owner_formula(xml: bytes) -> bytes:
        return xml.replace(
            b'<c r="F2" s="3" t="n"></c>', b'<c r="F2" s="3" t="str"><f>""</f><v></v></c>'
        )

    data = rezipped(make_corpus.example(), {RISKS_PART: owner_formula})
    path = write(tmp_path / "empty-text.xlsx", data)
    assert load_paper(path).paper.risks[0].owner is None


def test_title_row_above_a_header_is_read_and_an_extra_sheet_warned_of(tmp_path: Path) -> None:
    path = write(tmp_path / "titled.xlsx", make_corpus.titled_workbook())
    checked = load_paper(path)
    assert [r.value("lxi") for r in checked.paper.risks] == [4, 8, 9, 8]
    # Nothing in the Notes sheet is printed, and the manager is told so rather than left to
    # find it missing from the paper.
    assert [str(w) for w in checked.warnings] == [
        "Notes: the sheet is not part of a paper of the profile 'JIB highlight report', so"
        " nothing in it is printed; delete it, or move what the board should see to the sheets"
        " Paper, Sections, Plan, Budget, Risks"
    ]


def test_merge_over_a_blank_row_reads_the_top_left_cell(example_copy: EditWorkbook) -> None:
    path = example_copy()
    book = openpyxl.load_workbook(path)
    book["Sections"].insert_rows(6)
    book["Sections"].merge_cells("C5:C6")
    book.save(path)
    before = load_paper(EXAMPLE).paper.paragraphs
    assert load_paper(path).paper.paragraphs == before


def test_header_merged_across_columns_names_the_missing_column(
    example_copy: EditWorkbook,
) -> None:
    path = example_copy()
    book = openpyxl.load_workbook(path)
    book["Risks"].merge_cells("B1:C1")
    book.save(path)
    assert problems_of(path) == [
        "Risks!1:1: column 'Impact' is missing from the header row (found: Event, Likelihood,"
        " LxI, Action, Owner); add it or correct its spelling"
    ]


# Files that are not workbooks at all


def test_a_pipe_named_like_a_workbook_is_refused_without_waiting(tmp_path: Path) -> None:
    path = tmp_path / "pipe.xlsx"
    os.mkfifo(path)
    assert problems_of(path) == [
        "pipe.xlsx: is not a file but a device or pipe; give the path of a workbook"
    ]


@given(
    st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
        min_size=1,
        max_size=8,
    )
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_damaged_bytes_are_a_clear_problem_never_a_crash(damage: list[tuple[int, int]]) -> None:
    data = bytearray(EXAMPLE.read_bytes())
    for offset, value in damage:
        data[offset % len(data)] = value
    _read_or_refuse(bytes(data))


@given(st.integers(min_value=0), st.binary(max_size=12), st.integers(min_value=0, max_value=40))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_damaged_sheet_xml_is_a_clear_problem_never_a_crash(
    offset: int, inserted: bytes, removed: int
) -> None:
    def damage(xml: bytes) -> bytes:
        at = offset % len(xml)
        return xml[:at] + inserted + xml[at + removed :]

    _read_or_refuse(rezipped(make_corpus.example(), {RISKS_PART: damage}))


def _read_or_refuse(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.xlsx"
        path.write_bytes(data)
        try:
            load_paper(path)
        except InvalidWorkbook as exc:
            assert exc.problems and all(p.where and p.message for p in exc.problems)


# Output names and the workbook itself


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("../x", "_x"),
        ("../../evil", "___evil"),
        ("..", "paper"),
        ("CON", "_CON"),
        ("con.draft", "_con.draft"),
        ("LPT1", "_LPT1"),
        ("a:b", "a_b"),
        ("a\x00b\x1fc\x7f", "a_b_c_"),
        ('a<b>c"d|e?f*g\\h', "a_b_c_d_e_f_g_h"),
        ("  trailing. ", "trailing"),
        ("con .txt", "_con .txt"),
        ("invoice\u202efdp.exe", "invoice_fdp.exe"),  # right-to-left override: no disguise
    ],
)
def test_output_names_are_safe(name: str, stem: str) -> None:
    assert safe_stem(name) == stem
    assert "/" not in stem and "\\" not in stem and ".." not in stem


def test_a_workbook_named_con_builds_a_safe_name_inside_the_output_folder(tmp_path: Path) -> None:
    source = tmp_path / "in" / "CON.xlsx"
    source.parent.mkdir()
    shutil.copy(EXAMPLE, source)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(source), "--out", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert (out / "_CON.docx").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["CON.xlsx"]


@pytest.mark.parametrize("name", ["procurement.xlsx", "macros.xlsm", "unsaved-formula.xlsx"])
def test_the_workbook_is_only_ever_read(tmp_path: Path, name: str) -> None:
    data = EXAMPLE.read_bytes() if name == "procurement.xlsx" else None
    if name == "macros.xlsm":
        data = make_corpus.macro_workbook()
    elif data is None:
        data = CASES[name]()
    path = write(tmp_path / name, data)
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = path.stat()
    runner = CliRunner()
    runner.invoke(main, ["check", str(path)])
    runner.invoke(main, ["build", str(path), "--out", str(tmp_path / "out"), "--no-pdf"])
    after = path.stat()
    assert path.read_bytes() == data
    assert (after.st_mtime_ns, after.st_size, after.st_mode) == (
        before.st_mtime_ns,
        before.st_size,
        before.st_mode,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "out"])


def test_escaped_characters_read_as_excel_shows_them(tmp_path: Path) -> None:
    def escaped(xml: bytes) -> bytes:
        return xml.replace(
            b"<t>Procurement</t>", b"<t>Procurement_x000A_2008 _x005F_x0041_ _xD800_</t>", 1
        )

    path = write(
        tmp_path / "escaped.xlsx",
        rezipped(make_corpus.example(), {make_corpus.PAPER_PART: escaped}),
    )
    assert load_paper(path).paper.details.project == "Procurement\n2008 _x0041_ _xD800_"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on Windows")
def test_a_pipe_named_like_a_workbook_in_a_folder_is_named_not_skipped(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "procurement.xlsx")
    os.mkfifo(tmp_path / "housing.xlsx")
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "housing.xlsx: is not a file but a device or pipe" in result.output
    assert "procurement.xlsx" in result.output and "Traceback" not in result.output


# Profiles asking for unbounded work: refused by their key and line before any model is made

JIB = Path(boardpack.guard.__file__).parent / "paper" / "profiles" / "jib.toml"


def jib_with(old: str, new: str) -> str:
    text = JIB.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def _line(needle: str) -> int:
    """The line of the bundled JIB profile where `needle` is written, as messages count."""
    text = JIB.read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


BAND = _line("scores = [9, 16]")
LEVELS = _line('label = "Likelihood"') + 1
FIRST_TITLE = _line('title = "Recommendation"')


def _levels(count: int) -> str:
    return "levels = [" + ", ".join(f'"L{i}"' for i in range(count)) + "]"


def _columns(count: int) -> str:
    return "".join(
        f'\n[[risk.columns]]\nkey = "extra{i}"\nheader = "Extra {i}"\n' for i in range(count)
    )


def _nested(depth: int) -> str:
    return "\nnested = " + "[" * depth + "]" * depth + "\n"


HOSTILE_PROFILES = {
    "a band up to 2**63": (
        jib_with("scores = [9, 16]", "scores = [9, 9223372036854775807]"),
        f"line {BAND}: risk.bands[2].scores[1]: is 9,223,372,036,854,775,807; numbers in a profile"
        " are at most 1000 either side of 0 (a score, a matrix cell, a width)",
    ),
    "a band up to 1e300": (
        jib_with("scores = [9, 16]", "scores = [9, 1e300]"),
        f"line {BAND}: risk.bands[2].scores[1]: is 1e+300; numbers in a profile are at most 1000",
    ),
    "a band up to inf": (
        jib_with("scores = [9, 16]", "scores = [9, inf]"),
        f"line {BAND}: risk.bands[2].scores[1]: is inf; numbers in a profile are at most 1000",
    ),
    "a band of three numbers": (
        jib_with("scores = [9, 16]", "scores = [9, 12, 16]"),
        f"line {BAND}: risk.bands[2].scores: lists 3 items; the limit is 2",
    ),
    "18,000 levels": (
        jib_with(
            'label = "Likelihood"\nlevels = [', f'label = "Likelihood"\n{_levels(18_000)}\nx = ['
        ),
        f"line {LEVELS}: risk.likelihood.levels: lists 18,000 items; the limit is 10",
    ),
    "66 register columns": (
        JIB.read_text(encoding="utf-8") + _columns(60),
        "risk.columns: lists 66 items; the limit is 50 (a sheet's columns beyond that are not"
        " read, so the workbook `new` writes could never be valid)",
    ),
    "1,000 sections": (
        JIB.read_text(encoding="utf-8")
        + "".join(f'\n[[sections]]\nkey = "s{i}"\ntitle = "S {i}"\n' for i in range(1000)),
        "sections: lists 1,010 items; the limit is 40",
    ),
    "1,000 header fields": (
        JIB.read_text(encoding="utf-8")
        + "".join(f'\n[[header]]\nkey = "h{i}"\nlabel = "H {i}"\n' for i in range(1000)),
        "header: lists 1,007 items; the limit is 60",
    ),
    "20,000 keys in a table": (
        JIB.read_text(encoding="utf-8")
        + "\n[junk]\n"
        + "".join(f"k{i} = 1\n" for i in range(20_000)),
        "junk: has 20,000 keys; the limit is 40 (more than any board's report needs)",
    ),
    "lists nested 300 deep": (
        _nested(300) + JIB.read_text(encoding="utf-8"),
        "line 2: nested[0][0][0][0][0]: is nested 7 deep or more; a profile nests tables and"
        " lists at most 6 deep",
    ),
    "lists nested 500 deep": (
        _nested(500) + JIB.read_text(encoding="utf-8"),
        "lists are nested too deeply to read; a profile nests at most 6",
    ),
    "tables nested 500 deep": (
        JIB.read_text(encoding="utf-8") + "\n[" + ".".join(["t"] * 500) + "]\nx = 1\n",
        "is nested 7 deep or more",
    ),
    "an escape in a title": (
        jib_with(
            'title = "Recommendation"', 'title = "Recommendation\\u001b[2J\\u001b]0;pwned\\u0007"'
        ),
        f"line {FIRST_TITLE}: sections[0].title: holds the control character U+001B at"
        " character 15; a"
        " profile's text must be printable: remove it",
    ),
    "a right-to-left override in a name": (
        jib_with('name = "Green"', 'name = "Gr\\u202eeen"'),
        "status.words[0].name: holds the control character U+202E at character 3",
    ),
}


@pytest.mark.parametrize("case", HOSTILE_PROFILES)
def test_a_profile_asking_for_unbounded_work_is_refused_at_once_by_key_and_line(
    tmp_path: Path, case: str
) -> None:
    text, said = HOSTILE_PROFILES[case]
    path = tmp_path / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size < 256 * 1024  # under the size limit: the counts must stop it
    tracemalloc.start()
    try:
        result = CliRunner().invoke(main, ["profile", "check", str(path)], env={"COLUMNS": "1000"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024, f"took {peak / 2**20:.0f} MB to refuse"
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "Internal error" not in result.output
    assert said in " ".join(result.output.split())
    assert not any(c in result.output for c in "\x1b\x07\u202e")  # nothing raw reaches the terminal


PRINCE2 = JIB.parent / "prince2.toml"


@pytest.mark.parametrize(
    ("sheet", "said"),
    [
        ("A sheet name of thirty-two chars", "is 32 characters long; Excel names a sheet in at"),
        ("Costs/Benefits", "holds '/', which Excel does not allow in a sheet's name"),
        ("risks", "is the name of the workbook's Risks sheet already"),
        (" Tolerances", "must be a sheet name without spaces or ' at either end"),
    ],
)
def test_a_table_sheet_new_could_not_write_or_would_misread_is_refused(
    tmp_path: Path, sheet: str, said: str
) -> None:
    text = PRINCE2.read_text(encoding="utf-8")
    path = tmp_path / "p.toml"
    path.write_text(text.replace('sheet = "Tolerances"', f'sheet = "{sheet}"'), encoding="utf-8")
    for command in (
        ["profile", "check", str(path)],
        ["new", str(tmp_path / "w.xlsx"), "--profile", str(path)],
    ):
        result = CliRunner().invoke(main, command, env={"COLUMNS": "1000"})
        assert result.exit_code == 1 and "Internal error" not in result.output
        line = text[: text.index('sheet = "Tolerances"')].count("\n") + 1
        assert f"line {line}: tables[0].sheet: {said}" in " ".join(result.output.split())
    assert not (tmp_path / "w.xlsx").exists()


def test_the_sheets_a_table_may_not_take_are_the_workbooks_own() -> None:
    from boardpack.paper.limits import FIXED_SHEETS
    from boardpack.workbook import layout

    named = {
        layout.PAPER_SHEET,
        layout.HELP_SHEET,
        layout.SECTIONS_SHEET,
        layout.PLAN_SHEET,
        layout.BUDGET_SHEET,
        layout.RISKS_SHEET,
    }
    assert set(FIXED_SHEETS) == named


# File names that are not UTF-8 or hold control characters


@pytest.mark.skipif(os.name == "nt", reason="Windows file names are always Unicode")
def test_a_file_name_that_is_not_utf8_is_named_and_skipped_and_no_name_reaches_the_terminal_raw(
    tmp_path: Path,
) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "procurement.xlsx")
    try:
        shutil.copy(EXAMPLE, os.fsencode(folder) + b"/caf\xe9.xlsx")
    except OSError:
        pytest.skip("this file system takes only UTF-8 names")
    shutil.copy(EXAMPLE, folder / "esc\x1b[2Jred.xlsx")
    said = (
        "the file name is not UTF-8 text (the \\x bytes shown), so no paper can be named after"
        " it; the workbook is skipped: rename it, and run again"
    )
    runs = {
        "check": (["check", str(folder)], 1),
        "build": (["build", str(folder), "--out", str(out), "--no-pdf"], 1),
        "status": (["status", str(folder), "--out", str(out)], 0),
    }
    for command, (args, code) in runs.items():
        result = CliRunner().invoke(main, args, env={"COLUMNS": "1000"})
        flat = " ".join(result.output.split())
        assert result.exit_code == code, (command, result.output)
        assert "Traceback" not in flat and "Internal error" not in flat
        assert "caf\\xe9.xlsx" in flat and said in flat, (command, flat)
        assert "\x1b" not in result.output and "\udce9" not in result.output, command
        if command == "check":
            assert "procurement.xlsx: OK" in flat and "esc\\x1b[2Jred.xlsx: OK" in flat
        if command == "build":  # the other papers are built
            assert sorted(p.name for p in out.glob("*.docx")) == [
                "board-pack.docx",
                "esc_[2Jred.docx",
                "procurement.docx",
            ]
            assert "esc\\x1b[2Jred.xlsx" in flat


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            'header = "Action"',
            'header = "Event (what is done)"',
            "risk.columns[4].header: 'Event (what is done)' reads as 'Event' (the reader ignores"
            " case, spacing and what is in brackets): make it different",
        ),
        (
            'header = "Action"',
            'header = "(£)"',
            "risk.columns[4].header: '(£)' reads as nothing (the reader ignores what is in"
            " brackets): give it words before any bracket",
        ),
        (
            'label = "Project name"',
            'label = "profile (ours)"',
            "header[0].label: 'profile (ours)' reads as the Profile row",
        ),
    ],
)
def test_headers_the_reader_cannot_tell_apart_are_refused_so_new_writes_a_readable_workbook(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    path = tmp_path / "alike.toml"
    path.write_text(jib_with(old, new), encoding="utf-8")
    result = CliRunner().invoke(main, ["profile", "check", str(path)], env={"COLUMNS": "1000"})
    assert result.exit_code == 1 and "Internal error" not in result.output
    assert said in " ".join(result.output.split())


def test_the_profile_limits_read_headers_as_the_workbook_reader_does() -> None:
    from boardpack.paper.limits import PROFILE_ROW, read_as
    from boardpack.workbook.layout import PROFILE_LABEL, normalise_header

    assert PROFILE_ROW == PROFILE_LABEL
    for text in ("Cost (£)", "  Risk   owner ", "(a)", "Likelihood", "Due (date) x", "ÉVÉNEMENT"):
        assert read_as(text) == normalise_header(text)
