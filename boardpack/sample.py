"""A small paper that uses every part of a template, for checking a restyled template."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from boardpack.models import (
    BudgetLine,
    Details,
    Milestone,
    MilestoneStatus,
    Paper,
    Paragraph,
    ParagraphStyle,
    Rag,
    Risk,
    Scope,
)


def sample_paper() -> Paper:
    """A paper with every paragraph style, both plan scopes, a budget and an owned risk."""
    day = dt.date(2008, 1, 14)
    return Paper(
        details=Details(
            project="Sample project",
            sponsor="A Sponsor",
            manager="A Manager",
            board="Joint Improvement Board",
            meeting_date=dt.date(2008, 1, 24),
            report_date=day,
            status=Rag.AMBER,
        ),
        paragraphs=(
            Paragraph(section=1, text="To note progress."),
            Paragraph(section=2, style=ParagraphStyle.NUMBERED, text="A numbered paragraph."),
            Paragraph(section=2, style=ParagraphStyle.BULLET, text="A bullet."),
            Paragraph(section=3, style=ParagraphStyle.SUB_HEADING, text="A sub-heading"),
            Paragraph(section=6, text="Budget narrative."),
        ),
        milestones=(
            Milestone(
                text="Board set up",
                scope=Scope.WITHIN,
                start=dt.date(2007, 9, 3),
                due=dt.date(2007, 11, 30),
                status=MilestoneStatus.COMPLETE,
            ),
            Milestone(
                text="Links with partners",
                scope=Scope.OUTSIDE,
                due=dt.date(2008, 3, 31),
                status=MilestoneStatus.NOT_STARTED,
            ),
        ),
        budget=(BudgetLine(line="Advice", original=Decimal(50000), revised=Decimal(30000)),),
        risks=(Risk(event="A risk", likelihood=3, impact=3, action="An action", owner="Someone"),),
    )
