"""Report profiles: the bundled JIB profile is today's paper, and a profile is read strictly."""

from __future__ import annotations

import os
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from boardpack.cli import main
from boardpack.errors import ProfileError
from boardpack.outputs.bundled import DEFAULT_TEMPLATE
from boardpack.paper.profile import (
    DEFAULT_PROFILE,
    Block,
    Role,
    bundled_profiles,
    fill,
    line_of,
    load_profile,
    parse_profile,
)
from boardpack.workbook import layout

JIB = load_profile(DEFAULT_PROFILE)


# -- the JIB profile is the seed's paper ------------------------------------------------------


def test_jibs_template_types_nothing_of_the_jibs_shape() -> None:
    # Its titles, labels, bands and columns come from jib.toml through the loops.
    text = "\n".join(p.text for p in docx.Document(str(DEFAULT_TEMPLATE)).paragraphs)
    typed = [s.title for s in JIB.sections] + ["Name of Project", "LxI key", "Highlight Report"]
    assert [t for t in typed if t in text] == []
    assert "{%p for section in section_list %}" in text
    assert [s.key for s in JIB.sections if s.required] == ["recommendation"]
    blocks = {s.block: s.title for s in JIB.sections if s.block}
    assert blocks == {
        Block.PLAN: "Timescales and key milestones (See Gantt Chart Attached)",
        Block.BUDGET: "Financial update",
        Block.REGISTER: "Key Risks and issues",
    }


def test_jib_header_is_the_workbooks_paper_sheet() -> None:
    assert [(row.label, row.field) for row in layout.layout_for(JIB).paper_fields] == [
        ("Project name", "project"),
        ("Project sponsor", "sponsor"),
        ("Project manager", "manager"),
        ("Board", "board"),
        ("Meeting date", "meeting_date"),
        ("Report date", "report_date"),
        ("Overall status", "status"),
    ]


def test_jib_bands_and_colours_are_todays() -> None:
    risk = JIB.risk
    assert risk is not None
    for likelihood in range(1, 5):
        for impact in range(1, 5):
            score = risk.score(str(likelihood), str(impact))
            assert score == likelihood * impact
            band = risk.band(score)
            expected = "high" if score >= 9 else "medium" if score >= 5 else "low"
            assert band.name == expected
            assert band.colour == {"low": "B7DDB0", "medium": "FFD27F", "high": "F4A6A6"}[expected]
            assert risk.needs_action(score) is (score >= 9)
    assert risk.key_text() == "LxI key: 1-4 low (green); 5-8 medium (amber); 9-16 high (red)."
    assert JIB.status is not None
    assert {w.name: w.colour for w in JIB.status.words} == {
        "Green": "00703C",
        "Amber": "B25E00",
        "Red": "C00000",
    }


def test_jib_register_columns_are_the_workbooks() -> None:
    assert JIB.risk is not None
    risks = layout.layout_for(JIB).sheet("risks")
    assert risks is not None
    assert [(c.header, c.field, c.required) for c in risks.columns] == [
        ("Event", "event", True),
        ("Likelihood", "likelihood", True),
        ("Impact", "impact", True),
        ("LxI", "lxi", False),
        ("Action", "action", False),
        ("Owner", "owner", False),
    ]
    assert fill(JIB.risk.title, {"project": "Procurement"}) == "Procurement Project Risk Register"


def test_every_bundled_profile_loads() -> None:
    assert DEFAULT_PROFILE in bundled_profiles()
    for name in bundled_profiles():
        assert load_profile(name).name


# -- other shapes -----------------------------------------------------------------------------

FIVE_BY_FIVE = """
name = "Corporate risk register"

[[header]]
key = "project"
label = "Project name"

[[header]]
key = "board"
label = "Board"

[[header]]
key = "meeting_date"
label = "Meeting date"
type = "date"

[[header]]
key = "report_date"
label = "Report date"
type = "date"

[[sections]]
key = "purpose"
title = "Purpose"

[[sections]]
key = "register"
title = "Risk register"
block = "register"
numbered = false

[risk]
action_from = "high"
action_column = "risk"
id_column = "risk"
assessments = [{ key = "inherent", label = "Inherent" }, { key = "residual", label = "Residual" }]

[risk.likelihood]
label = "Likelihood"
levels = [1, 2, 3, 4, 5]

[risk.impact]
label = "Impact"
levels = [1, 2, 3, 4, 5]

[[risk.bands]]
name = "low"
colour = "B7DDB0"
scores = [1, 6]

[[risk.bands]]
name = "medium"
colour = "FFD27F"
scores = [7, 14]

[[risk.bands]]
name = "high"
colour = "F4A6A6"
scores = [15, 25]

[[risk.columns]]
key = "risk"
header = "Risk"
required = true

[[risk.columns]]
key = "inherent_l"
header = "Inherent likelihood"
type = "likelihood"
assessment = "inherent"

[[risk.columns]]
key = "inherent_i"
header = "Inherent impact"
type = "impact"
assessment = "inherent"

[[risk.columns]]
key = "residual_l"
header = "Residual likelihood"
type = "likelihood"
assessment = "residual"

[[risk.columns]]
key = "residual_i"
header = "Residual impact"
type = "impact"
assessment = "residual"
"""


def test_a_five_by_five_register_scores_up_to_25() -> None:
    profile = parse_profile(FIVE_BY_FIVE, "corporate.toml")
    risk = profile.risk
    assert risk is not None
    assert risk.score("5", "2") == 10  # not squeezed into 4 x 2 = 8
    assert risk.band(10).name == "medium"
    assert risk.band(25).name == "high"
    assert [a.label for a in risk.assessments] == ["Inherent", "Residual"]
    with pytest.raises(ValueError, match="'6' is not a Likelihood level"):
        risk.score("6", "1")


LETTER_CODES = FIVE_BY_FIVE.replace("levels = [1, 2, 3, 4, 5]\n", "", 1).replace(
    'label = "Likelihood"\n', 'label = "Likelihood"\nlevels = ["F", "E", "D", "C", "B", "A"]\n'
)


def _coded(bands: str) -> str:
    head, _, rest = LETTER_CODES.partition("[[risk.bands]]")
    columns = rest[rest.index("[[risk.columns]]") :]
    return (
        head.replace("[risk]\n", '[risk]\nscoring = "code"\n').replace(
            "levels = [1, 2, 3, 4, 5]", "levels = [4, 3, 2, 1]"
        )
        + bands
        + columns
    )


def test_a_letter_by_number_register_is_banded_by_code() -> None:
    # Likelihood A (most likely) to F, impact 1 (worst) to 4: "C1 or above" is red.
    red = [f"{letter}{number}" for letter in "ABC" for number in (1, 2)] + ["A3"]
    amber = ["D1", "D2", "B3", "C3", "A4", "B4"]
    green = sorted(
        {f"{a}{b}" for a in "ABCDEF" for b in "1234"} - set(red) - set(amber), reverse=True
    )
    bands = "".join(
        f'[[risk.bands]]\nname = "{name}"\ncolour = "{colour}"\ncodes = {codes!r}\n\n'.replace(
            "'", '"'
        )
        for name, colour, codes in (
            ("green", "B7DDB0", green),
            ("amber", "FFD27F", amber),
            ("red", "F4A6A6", red),
        )
    ).replace('action_from = "high"', "")
    source = _coded(bands).replace('action_from = "high"', 'action_from = "red"')
    risk = parse_profile(source, "coded.toml").risk
    assert risk is not None
    assert risk.score("c", "1") == "C1"
    assert risk.band("C1").name == "red"
    assert risk.band("F4").name == "green"
    assert risk.needs_action("C1") and not risk.needs_action("D1")


# -- a profile is user input ------------------------------------------------------------------


def _faults(source: str) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        parse_profile(source, "board.toml")
    return [str(p) for p in caught.value.problems]


def test_a_header_field_keyed_like_a_value_the_template_holds_is_refused() -> None:
    # A field keyed "plan" would be hidden by the paper's plan in the template's values.
    source = FIVE_BY_FIVE.replace(
        '[[header]]\nkey = "board"',
        '[[header]]\nkey = "plan"\nlabel = "Plan"\n\n[[header]]\nkey = "board"',
    )
    (fault,) = _faults(source)
    assert "'plan' is a name the template gives the paper's own plan; key this field" in fault


def test_the_names_refused_are_those_the_template_values_hold() -> None:
    from boardpack.paper.context import build_context, header_values
    from boardpack.paper.profile import TEMPLATE_NAMES
    from boardpack.workbook.validate import load_paper
    from tests.conftest import EXAMPLE

    paper = load_paper(EXAMPLE).paper
    assert set(build_context(paper)) - set(header_values(paper)) == set(TEMPLATE_NAMES)


def test_an_unknown_key_is_named_with_its_line() -> None:
    source = FIVE_BY_FIVE.replace('title = "Purpose"', 'titel = "Purpose"')
    line = source.splitlines().index('titel = "Purpose"') + 1
    faults = _faults(source)
    assert f"line {line}: sections[0].titel: is not a profile key; check its spelling" in "".join(
        faults
    )
    assert f"line {line - 2}: sections[0].title: is required but missing; add it" in faults


def test_a_score_no_band_covers_is_named() -> None:
    # 7 is no product of two levels from 1-5, so only 8 and 9 are missing
    source = FIVE_BY_FIVE.replace("scores = [7, 14]", "scores = [10, 14]")
    (fault,) = _faults(source)
    assert "risk: no band covers the possible score(s) 8, 9" in fault


def test_overlapping_bands_are_named() -> None:
    (fault,) = _faults(FIVE_BY_FIVE.replace("scores = [7, 14]", "scores = [6, 14]"))
    assert "score 6 is in two bands, 'low' and 'medium'" in fault


def test_a_bad_colour_is_named_with_its_line() -> None:
    source = FIVE_BY_FIVE.replace('colour = "FFD27F"', 'colour = "amber"')
    line = source.splitlines().index('colour = "amber"') + 1
    (fault,) = _faults(source)
    assert fault.startswith(f"line {line}: risk.bands[1].colour: must be a colour of six hex")


def test_a_register_section_without_a_risk_scheme_is_refused() -> None:
    source = FIVE_BY_FIVE[: FIVE_BY_FIVE.index("[risk]")]
    (fault,) = _faults(source)
    assert "section 'register' carries the register but there is no [risk]" in fault


def test_action_from_must_name_a_band_and_a_column() -> None:
    (fault,) = _faults(FIVE_BY_FIVE.replace('action_from = "high"', 'action_from = "severe"'))
    assert "action_from names no band ('severe'); use one of: low, medium, high" in fault
    (fault,) = _faults(FIVE_BY_FIVE.replace('action_column = "risk"', 'action_column = "todo"'))
    assert "action_column names no register column ('todo')" in fault


def test_a_title_may_only_name_header_keys() -> None:
    # str.format would reach attributes ({project.__class__}); a profile's text never runs code.
    source = FIVE_BY_FIVE.replace("[risk]\n", '[risk]\ntitle = "{project.__class__} register"\n')
    (fault,) = _faults(source)
    assert "risk.title: asks for {project.__class__}, which is no header key" in fault
    assert fill("{project.__class__}", {"project": "x"}) == "{project.__class__}"


def test_a_paper_needs_a_project_and_nothing_else_of_the_meeting() -> None:
    source = FIVE_BY_FIVE.replace('key = "project"', 'key = "register_name"')
    (fault,) = _faults(source)
    assert "header must have a field with key = 'project'" in fault
    # A committee field plays the board's role; no field need say the meeting date.
    profile = parse_profile(
        FIVE_BY_FIVE.replace('key = "board"', 'key = "committee"\nrole = "board"').replace(
            'key = "meeting_date"', 'key = "met"\nrequired = false'
        ),
        "board.toml",
    )
    assert profile.field("committee").role_played == "board"
    assert profile.field_for(Role.MEETING_DATE) is None


def test_a_role_is_played_once_by_a_field_of_its_type() -> None:
    twice = FIVE_BY_FIVE.replace('key = "report_date"', 'key = "as_at"\nrole = "meeting_date"')
    (fault,) = _faults(twice)
    assert "two fields have the role 'meeting_date'" in fault
    typed = FIVE_BY_FIVE.replace(
        'label = "Report date"\ntype = "date"', 'label = "Report date"\ntype = "id"'
    )
    (fault,) = _faults(typed)
    line = typed.splitlines().index('type = "id"') + 1
    assert fault.startswith(f"line {line}: header[3].type:"), fault
    assert "role 'report_date' must have type 'date' or 'month' (got 'id')" in fault


def test_a_frame_placeholder_that_is_no_field_is_named_at_its_line() -> None:
    source = FIVE_BY_FIVE + '\n[frame]\ntitle = "{perod}"\n'
    (fault,) = _faults(source)
    line = source.splitlines().index('title = "{perod}"') + 1
    assert fault.startswith(f"line {line}: frame.title: asks for {{perod}}"), fault
    good = parse_profile(source.replace("{perod}", "{project}: {board}"), "board.toml")
    assert good.frame.title == "{project}: {board}"


def test_a_date_form_is_one_of_a_small_vocabulary() -> None:
    source = FIVE_BY_FIVE.replace(
        'label = "Report date"\ntype = "date"',
        'label = "Report date"\ntype = "date"\nformat = "%d/%m"',
    )
    (fault,) = _faults(source)
    line = source.splitlines().index('format = "%d/%m"') + 1
    assert fault.startswith(f"line {line}: header[3].format:"), fault
    assert "'dd/mm/yyyy'" in fault and "'quarter'" in fault
    text = FIVE_BY_FIVE.replace('label = "Board"', 'label = "Board"\nformat = "long"')
    (fault,) = _faults(text)
    assert "format is for a date or month field" in fault


def test_appendices_are_labelled_as_the_profile_declares() -> None:
    def labels(table: str) -> list[str]:
        profile = parse_profile(FIVE_BY_FIVE + f"\n[appendices]\n{table}\n", "board.toml")
        return [profile.appendices.label_of(i) for i in range(3)]

    assert labels("") == ["Appendix A", "Appendix B", "Appendix C"]
    assert labels('numbering = "1"\nstart = 2') == ["Appendix 2", "Appendix 3", "Appendix 4"]
    assert labels('label = "Annex"\nnumbering = "1"\nstart = 2')[0] == "Annex 2"
    assert labels('start = "J"')[0] == "Appendix J"
    (fault,) = _faults(FIVE_BY_FIVE + '\n[appendices]\nnumbering = "1"\nstart = "J"\n')
    assert "start is a letter ('J') but numbering is '1'" in fault


def test_bad_toml_is_reported_with_its_line() -> None:
    (fault,) = _faults('name = "x"\n[[sections]\n')
    assert "not valid TOML" in fault and "line 2" in fault


def test_a_profile_path_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"is a folder, not a file; name a \.toml file"):
        load_profile(str(tmp_path))
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "profile.toml"
        os.mkfifo(fifo)
        with pytest.raises(ProfileError, match=r"is a named pipe \(FIFO\), not a file"):
            load_profile(str(fifo))  # refused, not read: reading a FIFO would hang
    with pytest.raises(ProfileError, match="no such profile; use a bundled one"):
        load_profile("no-such-board")


def test_a_huge_profile_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (300 * 1024))
    with pytest.raises(ProfileError, match="a profile is a few kilobytes"):
        load_profile(str(big))


def test_line_of_follows_arrays_of_tables() -> None:
    source = "[[a]]\nx = 1\n[[a]]\nx = 2\n[[a.b]]\ny = 3\n[c]\nz = 4\n"
    assert line_of(source, ("a", 1, "x")) == 4
    assert line_of(source, ("a", 1, "b", 0, "y")) == 6
    assert line_of(source, ("c", "z")) == 8
    assert line_of(source, ("a", 0)) == 1


def test_profiles_lists_the_bundled_ones() -> None:
    result = CliRunner().invoke(main, ["profiles"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("committee-report: Committee cover report.")
    assert any(line.startswith("corporate-risk: Corporate risk register") for line in lines)
    assert any(line.startswith("jib (the default): JIB highlight report.") for line in lines)
    assert any(line.startswith("prince2: PRINCE2 highlight report.") for line in lines)


def test_profile_check_names_each_fault_by_line(tmp_path: Path) -> None:
    good = tmp_path / "corporate.toml"
    good.write_text(FIVE_BY_FIVE, encoding="utf-8")
    result = CliRunner().invoke(main, ["profile", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "a valid profile, 'Corporate risk register'. Sections: Purpose, Risk register." in (
        result.output
    )
    assert "Score key: 1-6 low; 7-14 medium; 15-25 high." in result.output

    bad = tmp_path / "bad.toml"
    source = FIVE_BY_FIVE.replace('colour = "FFD27F"', 'colour = "amber"')
    bad.write_text(source, encoding="utf-8")
    line = source.splitlines().index('colour = "amber"') + 1
    result = CliRunner().invoke(main, ["profile", "check", str(bad)])
    assert result.exit_code == 1
    assert f"bad.toml: 1 problem in the profile; fix and run again:\n  line {line}:" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_an_appendix_numbering_that_is_no_form_is_named_at_its_line() -> None:
    source = FIVE_BY_FIVE + '\n[appendices]\nnumbering = "1st"\n'
    (fault,) = _faults(source)
    line = source.splitlines().index('numbering = "1st"') + 1
    assert fault.startswith(f"line {line}: appendices.numbering: must be 'A' (A, B, C)"), fault


def test_an_empty_label_is_named_at_its_line_in_a_users_words() -> None:
    source = FIVE_BY_FIVE.replace('label = "Board"', 'label = ""')
    (fault,) = _faults(source)
    line = source.splitlines().index('label = ""') + 1
    assert fault == f"line {line}: header[1].label: is empty; write it, or leave the key out" + (
        " where it may be left out"
    )
