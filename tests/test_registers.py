"""Registers as boards keep them (the register parts of paper/profile.py, paper/models.py,
paper/context.py and outputs/word/tables.py): rated in words with no score, the key only when
declared, codes that are codes, grouped headers, a board's own trend words and date forms, rows
kept whole under repeated headers; and the examples, read back from their PDFs, printing
nothing they do not have."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from boardpack.errors import InvalidWorkbook, ProfileError
from boardpack.outputs.render import render_paper
from boardpack.paper.context import build_context
from boardpack.paper.page import PageArea
from boardpack.paper.profile import load_profile, parse_profile
from boardpack.pipeline import build
from boardpack.workbook.validate import load_paper
from tests.conftest import ROOT, edit_workbook, pdf_text
from tests.docx_audit import audit

EXAMPLES = ROOT / "examples"
RATED = EXAMPLES / "rated-in-words"
CODED = EXAMPLES / "letter-number"
WIDE = EXAMPLES / "five-by-five-a3"


def _rows(document: Path) -> list[list[str]]:
    table = docx.Document(str(document)).tables[-1]
    return [[c.text for c in row.cells] for row in table.rows]


def _faults(source: str) -> list[str]:
    with pytest.raises(ProfileError) as raised:
        parse_profile(source, "test.toml")
    return [str(p) for p in raised.value.problems]


# -- the examples, read back from their PDFs ---------------------------------------------------


@pytest.mark.libreoffice
def test_a_register_rated_in_words_prints_no_score_no_key_and_its_own_words(
    tmp_path: Path,
) -> None:
    report = build([RATED], tmp_path)
    assert report.ok, [(p.name, p.error) for p in report.papers]
    text = pdf_text(tmp_path / "strategic-risks.pdf")
    assert "Score" not in text and "key:" not in text and "No action recorded" not in text
    for said in ("Improving", "Stable", "Worsening", "17/11/2011", "09/01/2012"):
        assert said in text, said
    assert "17 November 2011" not in text  # the review dates in the column's short form
    rows = _rows(tmp_path / "strategic-risks.docx")
    # Two header rows: the groups (merged over their columns), then each column's own header,
    # "Likelihood" and "Impact" once under Inherent and once under Residual.
    assert rows[0] == ["Ref", *["Description"] * 3, "Inherent", "Inherent", "Controls",
                       "Residual", "Residual", "Direction", "Owner", "Next review"]  # fmt: skip
    assert rows[1][1:10] == ["Cause", "Event", "Effect", "Likelihood", "Impact", "Controls",
                             "Likelihood", "Impact", "Direction"]  # fmt: skip
    assert rows[3][4:6] == ["High", "High"] and rows[3][9] == "Stable"
    assert audit(tmp_path / "strategic-risks.docx").clean


@pytest.mark.libreoffice
def test_a_letter_by_number_register_prints_its_codes_and_no_undeclared_key(
    tmp_path: Path,
) -> None:
    report = build([CODED], tmp_path)
    assert report.ok, [(p.name, p.error) for p in report.papers]
    text = pdf_text(tmp_path / "library-risks.pdf")
    assert "key" not in text.casefold().replace("keep", "")
    rows = _rows(tmp_path / "library-risks.docx")
    assert [r[4] for r in rows[2:]] == ["C1", "D2", "E3"]
    for code in ("C1", "D2", "E3"):
        assert code in text.split()
    assert rows[4][5] == ""  # no response, and no action demanded: nothing printed for it


@pytest.mark.libreoffice
def test_the_16_column_register_prints_its_quarters_grouped_and_no_key(tmp_path: Path) -> None:
    report = build([WIDE], tmp_path)
    assert report.ok, [(p.name, p.error) for p in report.papers]
    text = pdf_text(tmp_path / "corporate-risks.pdf")
    assert "key:" not in text
    rows = _rows(tmp_path / "corporate-risks.docx")
    assert rows[0][11:15] == ["RAG 2024/25"] * 4
    assert rows[1][11:15] == ["Q1", "Q2", "Q3", "Q4"]
    assert rows[3][11:15] == ["Amber", "Amber", "Red", "Amber"]


# -- the key, the score and the codes -----------------------------------------------------------


def test_the_key_is_printed_only_when_the_profile_declares_it() -> None:
    paper = load_paper(EXAMPLES / "corporate-risk" / "corporate-risks.xlsx").paper
    assert paper.profile.risk is not None and paper.profile.risk.print_key
    turning = PageArea(turned_width_cm=24.7)  # the bundled template's, which can turn pages
    assert build_context(paper, turning)["register"]["key"].startswith("Score key: 1-4 low")
    quiet = paper.model_copy(
        update={
            "profile": paper.profile.model_copy(
                update={"risk": paper.profile.risk.model_copy(update={"print_key": False})}
            )
        }
    )
    assert build_context(quiet, turning)["register"]["key"] == ""


RATED_SOURCE = (RATED / "rated-in-words.toml").read_text(encoding="utf-8")


def test_a_register_rated_in_words_refuses_bands_a_key_and_a_score_column() -> None:
    with_bands = RATED_SOURCE.replace(
        'scoring = "none"\n',
        'scoring = "none"\nbands = [{ name = "all", colour = "FFFFFF", scores = [1, 9] }]\n',
    )
    (fault,) = _faults(with_bands)
    assert "risk: scoring = 'none' rates risks in words with no score, so it has no bands" in fault
    keyed = RATED_SOURCE.replace('scoring = "none"\n', 'scoring = "none"\nprint_key = true\n')
    assert "so it has no print_key" in _faults(keyed)[0]
    scored = RATED_SOURCE.replace('header = "Controls"\n', 'header = "Controls"\ntype = "score"\n'
                                  'assessment = "inherent"\n')  # fmt: skip
    assert "column 'controls' is a score but scoring = 'none'" in _faults(scored)[0]
    unbanded = RATED_SOURCE.replace('scoring = "none"', 'scoring = "product"')
    assert "bands are required to shade scores" in _faults(unbanded)[0]


def test_code_scoring_of_words_is_refused_rather_than_printing_highhigh() -> None:
    source = RATED_SOURCE.replace('scoring = "none"', 'scoring = "code"').replace(
        "min_font_size = 8\n",
        'min_font_size = 8\nbands = [{ name = "all", colour = "FFFFFF", codes = ["LOWLOW"] }]\n',
    )
    fault = next(f for f in _faults(source) if "scoring = 'code'" in f)
    assert "Likelihood's 'Low' would print 'LOWLOW'" in fault
    assert "or scoring = 'none' to print ratings in words" in fault


# -- headers, words and forms --------------------------------------------------------------------


def test_two_columns_may_share_a_header_under_different_groups_but_not_under_one() -> None:
    profile = parse_profile(RATED_SOURCE, "rated.toml")
    assert profile.risk is not None
    headers = [c.sheet_header for c in profile.risk.columns]
    assert "Inherent: Likelihood" in headers and "Residual: Likelihood" in headers
    same_group = RATED_SOURCE.replace('group = "Residual"', 'group = "Inherent"')
    fault = _faults(same_group)[0]
    assert "'Inherent: Likelihood' reads as 'Inherent: Likelihood'" in fault
    assert fault.endswith("make it different")


def test_a_trend_column_takes_the_boards_own_words_and_refuses_others(tmp_path: Path) -> None:
    workbook = edit_workbook(
        RATED / "strategic-risks.xlsx", tmp_path / "strategic-risks.xlsx", {"Risks!J2": "Up"}
    )
    (tmp_path / "rated-in-words.toml").write_text(RATED_SOURCE, encoding="utf-8")
    with pytest.raises(InvalidWorkbook) as raised:
        load_paper(workbook)
    (problem,) = raised.value.problems
    assert str(problem) == (
        "Risks!J2: direction must be one of: Improving, Stable, Worsening (got 'Up')"
    )


def test_text_under_a_blank_column_header_is_a_warning_at_its_cell(tmp_path: Path) -> None:
    workbook = edit_workbook(
        RATED / "strategic-risks.xlsx",
        tmp_path / "strategic-risks.xlsx",
        {"Risks!N3": "Escalated to Cabinet"},
    )
    (tmp_path / "rated-in-words.toml").write_text(RATED_SOURCE, encoding="utf-8")
    warnings = [str(w) for w in load_paper(workbook).warnings]
    assert (
        "Risks!N3: 'Escalated to Cabinet' is in a column with no header, so it is not printed;"
        " give the column its header or move the text into a column that has one"
    ) in warnings


# -- rows on pages -------------------------------------------------------------------------------


def test_header_rows_repeat_and_rows_are_kept_whole_unless_taller_than_a_page(
    tmp_path: Path,
) -> None:
    checked = load_paper(RATED / "strategic-risks.xlsx")
    target = tmp_path / "rated.docx"
    target.write_bytes(render_paper(checked.paper))
    table = docx.Document(str(target)).tables[-1]._tbl
    rows = table.findall(qn("w:tr"))
    flags = [
        (r.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None,
         r.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None)
        for r in rows
    ]  # fmt: skip
    assert flags[:3] == [(True, True)] * 3  # groups, headers, level ranges: on every page
    assert flags[3:] == [(False, True)] * 3  # each risk on one page
    # A risk taller than a page may break, so that it runs on rather than being cut off.
    long = "A cause described at great length " * 120
    risk = checked.paper.risks[0].model_copy(update={"cause": long})
    paper = checked.paper.model_copy(update={"risks": (risk, *checked.paper.risks[1:])})
    register = build_context(paper, PageArea(turned_width_cm=24.7))["register"]
    assert [r["whole"] for r in register["risks"]] == [False, True, True]


# -- profile faults a council can act on ------------------------------------------------------


def test_a_report_date_that_is_not_a_date_is_refused_by_profile_check() -> None:
    source = RATED_SOURCE.replace(
        'key = "report_date"\nlabel = "Report date"\ntype = "date"',
        'key = "report_date"\nlabel = "Report date"\ntype = "id"',
    )
    (fault,) = _faults(source)
    assert "a field with role 'report_date' must have type 'date' or 'month' (got 'id')" in fault
    assert fault.startswith("line 26: header[3].type")


def test_profile_faults_are_worded_for_a_council_not_for_a_programmer() -> None:
    empty_header = RATED_SOURCE.replace('header = "Ref"', 'header = ""', 1)
    (fault,) = _faults(empty_header)
    assert fault.endswith(
        "risk.columns[0].header: is empty; write it, or leave the key out where it may be left out"
    )
    bad_key = RATED_SOURCE.replace('key = "ref"', 'key = "Ref ID"', 1)
    assert "must be a key of lower-case letters, digits and _" in _faults(bad_key)[0]
    assert "String should" not in " ".join(_faults(empty_header) + _faults(bad_key))


def test_every_example_profile_loads() -> None:
    for name in ("rated-in-words", "letter-number", "five-by-five-a3"):
        assert load_profile(str(EXAMPLES / name / f"{name}.toml")).risk is not None


def test_a_register_rated_in_words_says_which_way_each_risk_moved_by_its_words() -> None:
    from boardpack.paper.changes import compare, snapshot_of
    from boardpack.paper.context import changes

    now = load_paper(RATED / "strategic-risks.xlsx").paper
    moved = now.risks[0].model_copy(update={"residual_l": "High"})  # Medium/High before
    before = now.model_copy(update={"risks": (moved, now.risks[1])})  # SR3 was not listed
    was = snapshot_of(before)
    history = compare(now, was, was, "committee/2011-10-20/strategic-risks/v1", {}, [])
    assert [(r.trend, r.was, r.now) for r in history.risks] == [
        ("down", "High/High", "Medium/High"),
        ("same", "Low/High", "Low/High"),
        ("new", None, "Low/Medium"),
    ]
    lines = changes(now, history)["lines"]
    assert lines == [
        "Risk down: SR1 The Council cannot meet its statutory duties within its\u2026, from"
        " High/High to Medium/High.",
        "New risk: SR3 Contract award delayed beyond March 2012 (rated Low/Medium).",
    ]


def test_a_date_form_or_choices_on_a_column_that_cannot_use_them_is_refused() -> None:
    misplaced = RATED_SOURCE.replace(
        'header = "Owner"\n', 'header = "Owner"\ndate_form = "dd/mm/yyyy"\n'
    )
    assert "date_form is for date columns" in _faults(misplaced)[0]
    unknown = RATED_SOURCE.replace('date_form = "dd/mm/yyyy"', 'date_form = "17/11/2011"')
    assert (
        "must be one of 'long', 'short', 'dd/mm/yyyy', 'yyyy-mm-dd', 'month', 'quarter', 'year'"
        in _faults(unknown)[0]
    )
    choices = RATED_SOURCE.replace('header = "Owner"\n', 'header = "Owner"\nchoices = ["A"]\n')
    assert "choices are for choice and trend columns, not short_text" in _faults(choices)[0]


@pytest.mark.parametrize("name", ["rated-in-words", "letter-number", "five-by-five-a3"])
def test_the_bundled_template_checks_clean_for_each_example_profile(name: str) -> None:
    from boardpack.outputs.bundled import REPORT_TEMPLATE
    from boardpack.outputs.render import check_template

    profile = load_profile(str(EXAMPLES / name / f"{name}.toml"))
    assert check_template(REPORT_TEMPLATE, profile=profile) == []


# A register rated by one word for each assessment: "Inherent risk: High", "Residual: Medium".
RATING_ONLY = (
    RATED_SOURCE.replace(
        'likelihood = { label = "Likelihood", levels = ["Low", "Medium", "High"] }\n'
        'impact = { label = "Impact", levels = ["Low", "Medium", "High"] }\n',
        'rating = { label = "Rating", levels = ["Low", "Medium", "High"] }\n',
    )
    .replace('type = "likelihood"', 'type = "rating"')
    .replace('header = "Likelihood"', 'header = "Rating"')
    .replace(
        '[[risk.columns]]\nkey = "inherent_i"\nheader = "Impact"\ngroup = "Inherent"\n'
        'type = "impact"\nassessment = "inherent"\nrequired = true\n\n',
        "",
    )
    .replace(
        '[[risk.columns]]\nkey = "residual_i"\nheader = "Impact"\ngroup = "Residual"\n'
        'type = "impact"\nassessment = "residual"\nrequired = true\n\n',
        "",
    )
)


def test_a_register_may_rate_each_assessment_by_one_word_with_no_axes(tmp_path: Path) -> None:
    from boardpack.paper.changes import compare, snapshot_of

    profile = parse_profile(RATING_ONLY, "rating.toml")
    assert profile.risk is not None and profile.risk.likelihood is None
    (tmp_path / "rating.toml").write_text(RATING_ONLY, encoding="utf-8")
    workbook = tmp_path / "ratings.xlsx"
    from boardpack.workbook.writer import write_workbook

    rows = [
        ["SR1", "Demand grows", "Duties unmet", "Intervention", "High", "Budget plan", "Medium",
         "Stable", "Director of Resources", None],
        ["SR2", "Partners unsure", "Harm to a child", "Review", "Medium", "Training", "Low",
         "Improving", "Director of Children's Services", None],
    ]  # fmt: skip
    details = {"Register": "Strategic Risk Register", "Committee": "Audit Committee",
               "Meeting date": "24/11/2011", "Report date": "10/11/2011"}  # fmt: skip
    sections = [("Purpose of the report", "Paragraph", "To report the strategic risks.")]
    tables = {"Sections": sections, "Risks": rows}
    write_workbook(workbook, details, tables, profile, profile_name="rating.toml")
    paper = load_paper(workbook).paper
    target = tmp_path / "ratings.docx"
    target.write_bytes(render_paper(paper))
    table = _rows(target)
    assert table[1][4:7] == ["Rating", "Controls", "Rating"]
    assert table[2][4] == "Low-High"  # the rating's range, as a level column's is
    assert [(r[0], r[4], r[6]) for r in table[3:]] == [("SR1", "High", "Medium"),
                                                       ("SR2", "Medium", "Low")]  # fmt: skip
    worse = paper.risks[0].model_copy(update={"residual_l": "Low"})
    before = paper.model_copy(update={"risks": (worse, paper.risks[1])})
    was = snapshot_of(before)
    history = compare(paper, was, was, "a/2011-10-20/ratings/v1", {}, [])
    assert [(r.trend, r.was, r.now) for r in history.risks] == [
        ("up", "Low", "Medium"),
        ("same", "Low", "Low"),
    ]
    assert audit(target).clean


def test_a_rating_column_needs_its_words_and_a_score_needs_both_axes() -> None:
    no_words = RATING_ONLY.replace(
        'rating = { label = "Rating", levels = ["Low", "Medium", "High"] }\n', ""
    )
    assert (
        "column 'inherent_l' is a rating but the scheme gives no rating levels"
        in (_faults(no_words)[0])
    )
    scored = RATING_ONLY.replace('scoring = "none"', 'scoring = "product"').replace(
        "min_font_size = 8\n",
        'min_font_size = 8\nbands = [{ name = "all", colour = "FFFFFF", scores = [1, 9] }]\n',
    )
    assert "likelihood is required to score risks" in _faults(scored)[0]
