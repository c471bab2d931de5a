"""A small paper that uses every part of a profile's template, for checking a restyled template."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from boardpack.paper.models import BudgetLine, Paper, ParagraphStyle, models_for
from boardpack.paper.profile import Block, ColumnType, FieldType, Profile, Role

_DAY = dt.date(2008, 1, 14)
_SAMPLE_TEXT = {
    FieldType.DATE: _DAY,
    FieldType.MONTH: _DAY,
    FieldType.PERIOD: "Q3 2007",
    FieldType.ID: "P-001",
    FieldType.PERSON: "A Person",
}


def sample_paper(profile: Profile) -> Paper:
    """A paper of `profile` with every paragraph style, each plan scope, a budget, and a risk
    scored at its register's highest level with an owner."""
    models = models_for(profile)
    details: dict[str, Any] = {}
    for field in profile.header:
        if field.type is FieldType.STATUS and profile.status is not None:
            details[field.key] = profile.status.words[min(1, len(profile.status.words) - 1)].name
        else:
            details[field.key] = _SAMPLE_TEXT.get(field.type, f"Sample {field.label.lower()}")
    samples = {
        Role.BOARD: "Joint Improvement Board",
        Role.MEETING_DATE: dt.date(2008, 1, 24),
        Role.REPORT_DATE: _DAY,
    }
    for role, value in samples.items():
        if (played := profile.field_for(role)) is not None:
            details[played.key] = value
    paragraphs = []
    styles = list(ParagraphStyle)
    for index, section in enumerate(profile.sections):
        style = styles[index % len(styles)]
        paragraphs.append(
            models.paragraph(section=section.key, style=style, text=f"{section.title} text.")
        )
    milestones = []
    if profile.plan is not None:
        states = profile.plan.states
        for index, scope in enumerate(profile.plan.scopes):
            milestones.append(
                models.milestone(
                    text=f"A {scope.name.lower()} milestone",
                    scope=scope.name,
                    start=dt.date(2007, 9, 3) if index == 0 else None,
                    due=dt.date(2007, 11, 30) if index == 0 else dt.date(2008, 3, 31),
                    status=states[index % len(states)].name,
                )
            )
    risks = []
    if profile.risk is not None and models.risk is not None:
        scheme = profile.risk
        row: dict[str, Any] = {}
        for column in scheme.columns:
            if column.type in (ColumnType.LIKELIHOOD, ColumnType.IMPACT, ColumnType.RATING):
                row[column.key] = scheme.axis(column.type).levels[-1].value
            elif column.type is ColumnType.SCORE:
                continue
            else:
                row[column.key] = _cell_sample(column.type, column.choices, profile)
        risks.append(models.risk(**row))
    tables = []
    for table in profile.tables:
        model = models.tables[table.key]
        values = {c.key: _cell_sample(c.type, c.choices, profile) for c in table.columns}
        tables.append((table.key, (model(**values),)))
    has_budget = any(s.block is Block.BUDGET for s in profile.sections)
    return Paper(
        profile=profile,
        details=models.details(**details),
        paragraphs=tuple(paragraphs),
        milestones=tuple(milestones),
        budget=(
            (BudgetLine(line="Advice", original=Decimal(50000), revised=Decimal(30000)),)
            if has_budget
            else ()
        ),
        risks=tuple(risks),
        tables=tuple(tables),
    )


def _cell_sample(kind: ColumnType, choices: tuple[str, ...], profile: Profile) -> Any:
    if kind is ColumnType.DATE:
        return _DAY
    if kind in (ColumnType.NUMBER, ColumnType.MONEY):
        return Decimal(1000)
    if kind is ColumnType.CHOICE:
        return choices[0]
    if kind is ColumnType.STATUS and profile.status is not None:
        return profile.status.words[0].name
    if kind is ColumnType.TREND:
        return choices[0] if choices else "Up"  # the board's own trend words, when it has them
    return "Sample text"
