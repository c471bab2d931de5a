"""boardpack.toml is untrusted too: its text cleaned as cell text is, every fault located, and
whatever is wrong with it, the papers are still built and only the pack reports the fault."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from boardpack.cli import main
from boardpack.errors import BoardpackError
from boardpack.meeting.settings import load_settings, read_settings
from boardpack.pipeline import BuildReport, Status, build
from tests.conftest import EXAMPLE, edit_workbook

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on Windows")


def meeting_folder(tmp_path: Path, settings: str | bytes | None = None) -> Path:
    """A folder holding the example workbook and, when given, this boardpack.toml."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    edit_workbook(EXAMPLE, inputs / "procurement.xlsx", {})
    if isinstance(settings, str):
        (inputs / "boardpack.toml").write_text(settings, encoding="utf-8")
    elif isinstance(settings, bytes):
        (inputs / "boardpack.toml").write_bytes(settings)
    return inputs


def build_command(inputs: Path, out: Path) -> tuple[int, str]:
    """`boardpack build --no-pdf` of a folder: its exit code and what it printed, on one line."""
    # Wide enough that no message is wrapped, mid-path, by the terminal's width.
    result = CliRunner().invoke(
        main, ["build", str(inputs), "--out", str(out), "--no-pdf"], env={"COLUMNS": "1000"}
    )
    return result.exit_code, " ".join(result.output.split())


def cover_lines(pack: Path) -> list[str]:
    """The pack's first paragraphs: the cover, board first."""
    return [p.text for p in docx.Document(str(pack)).paragraphs[:3]]


def test_a_control_character_in_board_is_removed_with_a_warning_and_the_pack_built(
    tmp_path: Path,
) -> None:
    inputs = meeting_folder(
        tmp_path, 'board = "Joint Improvement\\u0007 Board"\nvenue = "County\\u0000 Hall"\n'
    )
    out = tmp_path / "out"
    code, said = build_command(inputs, out)
    assert code == 0, said
    settings = inputs / "boardpack.toml"
    for key in ("board", "venue"):
        assert (
            f"warning pack: {settings}: {key}: removed 1 control character that Word cannot"
            " show; check the text reads as intended"
        ) in said
    assert cover_lines(out / "board-pack.docx")[0] == "Joint Improvement Board"
    assert (out / "procurement.docx").exists()


def test_an_agenda_name_with_a_control_character_still_orders_the_pack(tmp_path: Path) -> None:
    inputs = meeting_folder(tmp_path, 'agenda = ["housing", "procure\\u001fment"]\n')
    edit_workbook(EXAMPLE, inputs / "housing.xlsx", {"Paper!B2": "Housing"})
    report = build([inputs], tmp_path / "out", pdf=False)
    assert report.pack is not None and report.pack.error is None
    assert report.pack.papers == ["housing", "procurement"]
    assert [str(w).split(": ")[1] for w in report.pack.warnings] == ["agenda item 2"]


def fifo(inputs: Path) -> None:
    os.mkfifo(inputs / "boardpack.toml")


def folder(inputs: Path) -> None:
    (inputs / "boardpack.toml").mkdir()


def device(inputs: Path) -> None:
    (inputs / "boardpack.toml").symlink_to("/dev/zero")


def huge(inputs: Path) -> None:
    # Valid TOML, all comment: read whole, it would be accepted.
    (inputs / "boardpack.toml").write_bytes(b"#" * (2 * 1024 * 1024))


def write(text: str | bytes) -> Callable[[Path], None]:
    def make(inputs: Path) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        (inputs / "boardpack.toml").write_bytes(data)

    return make


@pytest.mark.parametrize(
    ("make", "says"),
    [
        pytest.param(
            fifo, "boardpack.toml: is a named pipe (FIFO), not a file", marks=posix_only, id="pipe"
        ),
        pytest.param(
            device, "boardpack.toml: is a device, not a file", marks=posix_only, id="device"
        ),
        pytest.param(folder, "boardpack.toml: is a folder, not a file", id="folder"),
        pytest.param(huge, "boardpack.toml: is over 1 MB", id="huge"),
        pytest.param(
            write(b"board = '\xff'\n"), "boardpack.toml: is not UTF-8 text", id="not-utf8"
        ),
        pytest.param(
            write("agenda = " + "[" * 50_000), "boardpack.toml: not valid TOML", id="nested-deep"
        ),
        pytest.param(
            write('board = "A"\nvenue = \n'),
            "boardpack.toml: not valid TOML (Invalid value (at line 2, column 9))",
            id="syntax-line",
        ),
        pytest.param(
            write('board = "\\u0007"\n'),
            "boardpack.toml: board: is empty",
            id="empty-after-cleaning",
        ),
        pytest.param(
            write('meeting_date = "next Thursday"\n'),
            "boardpack.toml: meeting_date: must be a date, written without quotes as 2008-01-24"
            " (got 'next Thursday')",
            id="bad-date",
        ),
        pytest.param(
            write("board = [1, 2]\n"),
            'boardpack.toml: board: must be text in quotes, e.g. "',
            id="board-not-text",
        ),
        pytest.param(
            write('agenda = ["procurement", ""]\n'),
            "boardpack.toml: agenda item 2: is empty",
            id="agenda-empty-item",
        ),
        pytest.param(
            write('agenda = ["procurement", 2]\n'),
            "boardpack.toml: agenda item 2: must be a workbook name in quotes",
            id="agenda-number",
        ),
        pytest.param(
            write('agenda = "procurement"\n'),
            "boardpack.toml: agenda: must be a list of workbook",
            id="agenda-not-list",
        ),
    ],
)
def test_whatever_is_wrong_with_the_settings_the_papers_are_built(
    tmp_path: Path, make: Callable[[Path], None], says: str
) -> None:
    inputs = meeting_folder(tmp_path)
    make(inputs)
    report: BuildReport = build([inputs], tmp_path / "out", pdf=False)
    [paper] = report.papers
    assert paper.status is Status.BUILT and paper.docx is not None and paper.docx.exists()
    assert report.pack is not None and report.pack.error is not None and not report.ok
    assert f"{inputs}{os.sep}{says}" in str(report.pack.error)


@posix_only
def test_a_settings_pipe_is_reported_by_the_command_without_waiting(tmp_path: Path) -> None:
    inputs = meeting_folder(tmp_path)
    os.mkfifo(inputs / "boardpack.toml")
    out = tmp_path / "out"
    code, said = build_command(inputs, out)
    assert code == 1
    assert f"error pack: {inputs / 'boardpack.toml'}: is a named pipe (FIFO), not a file" in said
    assert "Internal error" not in said and "Traceback" not in said
    assert (out / "procurement.docx").exists() and not (out / "board-pack.docx").exists()


def test_settings_saved_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    inputs = meeting_folder(tmp_path, "\ufeffboard = 'Cabinet'\n")
    report = build([inputs], tmp_path / "out", pdf=False)
    assert report.pack is not None and report.pack.docx is not None, report.pack
    assert cover_lines(report.pack.docx)[0] == "Cabinet"


def test_a_mistyped_nested_setting_is_named_where_it_is(tmp_path: Path) -> None:
    settings = tmp_path / "boardpack.toml"
    settings.write_text(
        'board = "JIB"\n[deadline]\nworking_days = 5\ntime = "soon"\n'
        '[email]\nfrom = "clerk@council.gov.uk"\n'
        '[[email.recipients]]\nname = "Ann"\nadress = "ann@council.gov.uk"\ngets = ["pdf"]\n',
        encoding="utf-8",
    )
    read = read_settings(settings)
    message = "; ".join(str(p) for p in read.faults_in(["deadline", "email"]))
    assert "deadline.time: must be a time of day such as 10:00" in message
    assert "email.recipients item 1.adress: is not a setting here; check its spelling" in message
    assert "email.recipients item 1.address: " in message


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "agenda = [" + ", ".join(f'"p{i}"' for i in range(5000)) + "]\n",
            "line 1: agenda: lists 5,000 items; the limit is 200 (more than any meeting needs)",
        ),
        (
            "[appendices]\ncover = [" + ", ".join(f'"a{i}"' for i in range(60)) + "]\n",
            "line 2: appendices.cover: lists 60 items; the limit is 50 (more than any meeting"
            " needs)",
        ),
        (
            "[templates]\n" + "".join(f'p{i} = "t.docx"\n' for i in range(600)),
            "line 1: templates: has 600 keys; the limit is 500 (more than any meeting needs)",
        ),
        (
            "x = " + "[" * 300 + "]" * 300 + "\n",
            "line 1: x[0][0][0][0]: is nested 6 deep or more; boardpack.toml nests tables and"
            " lists at most 5 deep (email.recipients[1].gets)",
        ),
    ],
)
def test_counts_and_nesting_in_the_settings_are_bounded_before_any_work(
    tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "boardpack.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BoardpackError) as caught:
        load_settings(path)
    assert str(caught.value) == f"{path}: {said}"
