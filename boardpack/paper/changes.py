"""What a paper says that its last paper did not: the comparison, and the values it gives.

Pure data: the two papers come from the archive (meeting/history.py reads them). A risk is the
same risk from one paper to the next when its ID (the profile's `id_column`) is the same, else
when its text is; a milestone when its text is. Two rows that answer to one identity are a
warning naming both, and neither is compared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from boardpack.errors import Problem
from boardpack.paper.models import TRENDS, Paper, Row, headline_score, trend_text
from boardpack.paper.profile import ColumnType, RiskScheme

TREND_WORDS = {word.lower(): trend_text(word.lower()) for word in TRENDS}  # "\u2191 up", "new"


@dataclass(frozen=True)
class RiskChange:
    """How one risk of this paper compares with the last paper."""

    label: str  # what the paper calls it: its ID and text, shortened
    trend: str  # up, down, same or new
    was: int | str | None  # its headline score last time; None when new
    now: int | str | None


@dataclass(frozen=True)
class Slip:
    """A milestone's due date now, in the last paper and in the first paper that listed it."""

    label: str
    due: dt.date
    previous: dt.date | None
    baseline: dt.date | None

    @property
    def weeks_since_last(self) -> int:
        return _weeks(self.due, self.previous)

    @property
    def weeks_since_baseline(self) -> int:
        return _weeks(self.due, self.baseline)


def _weeks(due: dt.date, before: dt.date | None) -> int:
    """Whole weeks from `before` to `due`, rounded to the nearest; 0 when not later."""
    if before is None or due <= before:
        return 0
    return max(1, round((due - before).days / 7))


@dataclass(frozen=True)
class History:
    """What changed since the last paper, for the context and the pack."""

    since: dt.date  # the meeting of the last paper
    previous: str  # its folder in the archive, e.g. board/2008-01-24/procurement/v1
    status_was: str | None
    status_now: str | None
    risks: tuple[RiskChange, ...]  # in the order of this paper's register
    closed: tuple[str, ...]  # risks the last paper listed that this one does not
    slips: tuple[Slip, ...]  # milestones due later than in the last paper or the baseline
    baselines: tuple[tuple[str, dt.date], ...] = ()  # (milestone text, baseline due date)

    def trend_of(self, index: int) -> str:
        return self.risks[index].trend if index < len(self.risks) else ""


@dataclass
class Found:
    """The history found for a paper, and what a manager should know about it."""

    history: History | None
    notes: list[Problem] = field(default_factory=list)


def compare(
    paper: Paper,
    previous: Paper,
    baseline: Paper,
    folder: str,
    places: dict[str, tuple[str, ...]],
    notes: list[Problem],
) -> History:
    """What `paper` says that `previous` did not; `baseline` is the first paper of it."""
    status = paper.status
    was = previous.status
    risks: list[RiskChange] = []
    closed: list[str] = []
    if paper.profile.risk is not None:
        now_keys = _keys(paper, paper.risks, "risks", places, notes, "this paper's")
        then_keys = _keys(previous, previous.risks, "risks", {}, notes, "the last paper's")
        then = {k: r for k, r in zip(then_keys, previous.risks, strict=True) if k is not None}
        for key, risk in zip(now_keys, paper.risks, strict=True):
            score = _standing(paper, risk)
            before = then.get(key) if key is not None else None
            old = _standing(previous, before) if before is not None else None
            if before is not None and old is None:
                old = ""  # listed last time, with no standing to compare: not new
            risks.append(RiskChange(_label(paper, risk), _trend(paper, old, score), old, score))
        listed = {k for k in now_keys if k is not None}
        closed = [_label(previous, r) for k, r in then.items() if k not in listed]
    slips: list[Slip] = []
    baselines: list[tuple[str, dt.date]] = []
    last_due = _dues(previous)
    first_due = _dues(baseline)
    for milestone in paper.milestones:
        key = _text_key(milestone.text)
        due_before, first = last_due.get(key), first_due.get(key, last_due.get(key))
        if first is not None and first != milestone.due:
            baselines.append((milestone.text, first))
        slip = Slip(milestone.label or milestone.text, milestone.due, due_before, first)
        if slip.weeks_since_last or slip.weeks_since_baseline:
            slips.append(slip)
    return History(
        since=previous.details.meeting_date,
        previous=folder,
        status_was=was.name if was else None,
        status_now=status.name if status else None,
        risks=tuple(risks),
        closed=tuple(closed),
        slips=tuple(slips),
        baselines=tuple(baselines),
    )


def _standing(paper: Paper, risk: Row) -> int | str | None:
    """A risk's headline score; for a register rated in words, its headline likelihood and
    impact as the register words them ("Medium/High"), None when either is blank."""
    scheme = paper.profile.risk
    if scheme is None or scheme.scored:
        return headline_score(paper, risk)
    assessment = scheme.headline_assessment
    rating = next(
        (c for c in scheme.columns if c.type is ColumnType.RATING and c.assessment == assessment),
        None,
    )
    if rating is not None:
        value = risk.value(rating.key)
        return str(value) if value is not None else None
    levels = [
        risk.value(scheme.axis_column(kind, assessment).key)
        for kind in (ColumnType.LIKELIHOOD, ColumnType.IMPACT)
    ]
    return "/".join(str(v) for v in levels) if None not in levels else None


def _rated(scheme: RiskScheme, standing: int | str) -> int:
    """How serious a standing in words is: its rating's rank, or its likelihood's and
    impact's ranks together."""
    likely, slash, impact = str(standing).partition("/")
    if not slash:
        return scheme.axis(ColumnType.RATING).rank(likely) or 0
    ranks = (
        scheme.axis(ColumnType.LIKELIHOOD).rank(likely),
        scheme.axis(ColumnType.IMPACT).rank(impact),
    )
    return sum(rank or 0 for rank in ranks)


def _trend(paper: Paper, was: int | str | None, now: int | str | None) -> str:
    if was is None:
        return "new"
    if now is None or was == now or was == "":
        return "same"
    scheme = paper.profile.risk
    assert scheme is not None
    if not scheme.scored:
        # Rated in words: up when its likelihood and impact together rank higher.
        rated_before, rated_after = _rated(scheme, was), _rated(scheme, now)
        if rated_before == rated_after:
            return "same"
        return "up" if rated_after > rated_before else "down"
    order = [str(s).upper() for s in scheme.possible_scores()]
    rank = {s: (scheme.bands.index(scheme.band(s)), i) for i, s in enumerate(order)}
    before, after = rank.get(str(was).upper()), rank.get(str(now).upper())
    if before is None or after is None or before == after:
        return "same"
    return "up" if after > before else "down"


def _keys(
    paper: Paper,
    risks: tuple[Row, ...],
    part: str,
    places: dict[str, tuple[str, ...]],
    notes: list[Problem],
    whose: str,
) -> list[str | None]:
    """Each risk's identity; None for a risk whose identity another row has too."""
    scheme = paper.profile.risk
    assert scheme is not None
    column = scheme.id_column or scheme.text_column
    keys = [_text_key(str(r.value(column) or "")) or None for r in risks]
    seen: dict[str, int] = {}
    clashes: set[str] = set()
    for index, key in enumerate(keys):
        if key is None:
            continue
        if key in seen:
            clashes.add(key)
            rows = places.get(part, ())
            first, second = seen[key], index
            named = (
                f"{rows[first]} and {rows[second]}"
                if len(rows) > second
                else f"rows {first + 1} and {second + 1} of {whose} register"
            )
            notes.append(
                Problem(
                    rows[second] if len(rows) > second else "",
                    f"{named} are both risk '{_short(str(risks[index].value(column)))}', so"
                    " neither is compared with the last paper; give each its own"
                    f" {'ID' if scheme.id_column else 'wording'}",
                )
            )
        else:
            seen[key] = index
    return [None if k in clashes else k for k in keys]


def _label(paper: Paper, risk: Row) -> str:
    scheme = paper.profile.risk
    assert scheme is not None
    text = _short(str(risk.value(scheme.text_column) or ""))
    if scheme.id_column and risk.value(scheme.id_column):
        return f"{risk.value(scheme.id_column)} {text}"
    return text


def _dues(paper: Paper) -> dict[str, dt.date]:
    dues: dict[str, dt.date] = {}
    for milestone in paper.milestones:
        dues.setdefault(_text_key(milestone.text), milestone.due)
    return dues


def _text_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "\u2026"
