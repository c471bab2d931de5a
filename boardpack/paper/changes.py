"""What a paper says that its last paper did not: the comparison, and the values it gives.

Pure data. This paper is compared with its last paper as data (a Snapshot: what history needs
of a paper, as that paper's own profile read it), which the archive keeps beside each version
(paper_data writes it), so an old paper is compared whatever today's profile would make of its
workbook. A risk is the same risk from one paper to the next when its ID (the profile's
`id_column`) is the same, else when its text is; a milestone when its text is. Rows that answer
to one identity, on either side, are a warning naming them once, and are left out of the
comparison on both sides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from boardpack.errors import Problem
from boardpack.paper.models import TRENDS, Paper, Row, headline_score, trend_text
from boardpack.paper.profile import ColumnType, RiskScheme

TREND_WORDS = {word.lower(): trend_text(word.lower()) for word in TRENDS}  # "\u2191 up", "new"
DATA_FORMAT = 1  # of paper_data: the archive's paper.json


# --- a paper as data ------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskFacts:
    """One risk as history sees it: its ID (if its register has one), its text, its score."""

    id: str | None
    text: str
    score: int | str | None


@dataclass(frozen=True)
class MilestoneFacts:
    """One milestone as history sees it."""

    text: str
    label: str | None
    due: dt.date


@dataclass(frozen=True)
class Snapshot:
    """What history compares of one paper, in that paper's own terms."""

    meeting_date: dt.date | None  # None for a paper whose profile has no meeting date
    status: str | None
    has_register: bool
    by_id: bool  # its risks are identified by an ID column
    risks: tuple[RiskFacts, ...]
    milestones: tuple[MilestoneFacts, ...]


def snapshot_of(paper: Paper) -> Snapshot:
    """The facts history compares, of a paper read now."""
    scheme = paper.profile.risk
    risks: tuple[RiskFacts, ...] = ()
    if scheme is not None:
        risks = tuple(
            RiskFacts(
                _plain(r.value(scheme.id_column)) if scheme.id_column else None,
                _plain(r.value(scheme.text_column)) or "",
                _standing(paper, r),
            )
            for r in paper.risks
        )
    status = paper.status
    return Snapshot(
        meeting_date=paper.details.meeting_date,
        status=status.name if status else None,
        has_register=scheme is not None,
        by_id=scheme is not None and scheme.id_column is not None,
        risks=risks,
        milestones=tuple(MilestoneFacts(m.text, m.label, m.due) for m in paper.milestones),
    )


def paper_data(paper: Paper) -> dict[str, Any]:
    """A validated paper as JSON data: everything it says, and the facts history compares, so
    that it can be compared later whatever profile is in use then."""
    facts = snapshot_of(paper)
    return {
        "format": DATA_FORMAT,
        "profile": paper.profile.name,
        "paper": {
            # Each value dumped by its own model, which its profile made: every field it has.
            "details": paper.details.model_dump(mode="json"),
            "paragraphs": [p.model_dump(mode="json") for p in paper.paragraphs],
            "milestones": [m.model_dump(mode="json") for m in paper.milestones],
            "budget": [b.model_dump(mode="json") for b in paper.budget],
            "risks": [r.model_dump(mode="json") for r in paper.risks],
            "tables": {
                key: [r.model_dump(mode="json") for r in rows] for key, rows in paper.tables
            },
        },
        "history": {
            "meeting_date": facts.meeting_date.isoformat() if facts.meeting_date else None,
            "status": facts.status,
            "register": ("id" if facts.by_id else "text") if facts.has_register else None,
            "risks": [{"id": r.id, "text": r.text, "score": r.score} for r in facts.risks],
            "milestones": [
                {"text": m.text, "label": m.label, "due": m.due.isoformat()}
                for m in facts.milestones
            ],
        },
    }


def snapshot_from_data(data: object) -> Snapshot:
    """The facts history compares, from a paper's data (paper_data) read back from a file
    anyone could have edited; ValueError saying what is wrong with it."""
    if not isinstance(data, dict) or data.get("format") != DATA_FORMAT:
        raise ValueError(f"not boardpack paper data of format {DATA_FORMAT}")
    facts = data.get("history")
    if not isinstance(facts, dict):
        raise ValueError("it holds no history facts")
    register = facts.get("register")
    if register not in ("id", "text", None):
        raise ValueError("register is neither id, text nor null")
    risks, milestones = facts.get("risks"), facts.get("milestones")
    if not isinstance(risks, list) or not isinstance(milestones, list):
        raise ValueError("risks or milestones is not a list")
    return Snapshot(
        meeting_date=_date(facts.get("meeting_date"), "meeting_date"),
        status=_optional_text(facts.get("status"), "status"),
        has_register=register is not None,
        by_id=register == "id",
        risks=tuple(_risk_facts(r) for r in risks),
        milestones=tuple(_milestone_facts(m) for m in milestones),
    )


def _risk_facts(data: object) -> RiskFacts:
    if not isinstance(data, dict):
        raise ValueError("a risk is not a JSON object")
    score = data.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | str)):
        raise ValueError("a risk's score is neither a number nor text")
    return RiskFacts(
        _optional_text(data.get("id"), "a risk's id"),
        _optional_text(data.get("text"), "a risk's text") or "",
        score,
    )


def _milestone_facts(data: object) -> MilestoneFacts:
    if not isinstance(data, dict):
        raise ValueError("a milestone is not a JSON object")
    return MilestoneFacts(
        _optional_text(data.get("text"), "a milestone's text") or "",
        _optional_text(data.get("label"), "a milestone's label"),
        _date(data.get("due"), "a milestone's due date"),
    )


def _optional_text(value: object, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{what} is not text")
    return value


def _date(value: object, what: str) -> dt.date:
    try:
        if isinstance(value, str):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"{what} is not a date written as YYYY-MM-DD")


def _plain(value: object) -> str | None:
    """A cell's value as the text an identity is made of; None when blank."""
    return None if value is None or value == "" else str(value)


# --- the comparison -------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskChange:
    """How one risk of this paper compares with the last paper."""

    label: str  # what the paper calls it: its ID and text, shortened
    trend: str  # up, down, same or new; "" when it could not be compared
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
class Part:
    """An appendix of a cover report: its history, or why it has none (`why`)."""

    name: str  # as the cover's changes name it, e.g. "Appendix A (alpha)"
    history: History | None
    why: str = ""


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
    parts: tuple[Part, ...] = ()  # a cover report's appendices, in order
    uncompared: tuple[str, ...] = ()  # what was left out of the comparison, in words
    revision: int = 1  # this paper's version for its meeting: 2 and on when it is reissued

    def trend_of(self, index: int) -> str:
        return self.risks[index].trend if index < len(self.risks) else ""

    @property
    def complete(self) -> bool:
        """Whether every part of the paper (its appendices too) was compared."""
        return not self.uncompared and all(
            p.history is not None and p.history.complete for p in self.parts
        )


@dataclass
class Found:
    """The history found for a paper, and what a manager should know about it."""

    history: History | None
    notes: list[Problem] = field(default_factory=list)


def compare(
    paper: Paper,
    previous: Snapshot,
    baseline: Snapshot,
    folder: str,
    places: dict[str, tuple[str, ...]],
    notes: list[Problem],
) -> History:
    """What `paper` says that `previous` did not; `baseline` is the first paper of it."""
    now = snapshot_of(paper)
    risks: list[RiskChange] = []
    closed: list[str] = []
    uncompared: list[str] = []
    if paper.profile.risk is not None:
        by_id = now.by_id and previous.by_id
        now_keys = [_identity(r, by_id) for r in now.risks]
        then_keys = [_identity(r, by_id) for r in previous.risks]
        word = "ID" if by_id else "wording"
        left_out = _ambiguous(now_keys, then_keys, now, previous, places.get("risks", ()), word)
        notes.extend(problem for _, problem in left_out.values())
        then = {
            k: r for k, r in zip(then_keys, previous.risks, strict=True) if k and k not in left_out
        }
        for key, risk in zip(now_keys, now.risks, strict=True):
            if key is not None and key in left_out:
                risks.append(RiskChange(_label(risk), "", None, risk.score))
                continue
            before = then.get(key) if key is not None else None
            old = before.score if before is not None else None
            if before is not None and old is None:
                old = ""  # listed last time, with no standing to compare: not new
            trend = "new" if before is None else _trend(paper, old, risk.score)
            risks.append(RiskChange(_label(risk), trend, old, risk.score))
        listed = {k for k in now_keys if k is not None}
        closed = [_label(r) for k, r in then.items() if k not in listed]
        uncompared.extend(
            f"risk '{shown}', as more than one row has its {word}" for shown, _ in left_out.values()
        )
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
        # The archive files a paper only with its meeting date, so an earlier one has it.
        since=previous.meeting_date or dt.date.min,
        previous=folder,
        status_was=previous.status,
        status_now=now.status,
        risks=tuple(risks),
        closed=tuple(closed),
        slips=tuple(slips),
        baselines=tuple(baselines),
        uncompared=tuple(uncompared),
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


def _identity(risk: RiskFacts, by_id: bool) -> str | None:
    """What makes a risk the same risk in the next paper; None when it has nothing to go by."""
    return _text_key((risk.id if by_id else risk.text) or "") or None


def _ambiguous(
    now_keys: list[str | None],
    then_keys: list[str | None],
    now: Snapshot,
    then: Snapshot,
    places: tuple[str, ...],
    word: str,
) -> dict[str, tuple[str, Problem]]:
    """Each identity more than one row gives, on either side, as shown and with the warning
    that names it once: this paper's rows where it has them, else the last paper's."""
    found: dict[str, tuple[str, Problem]] = {}
    for side, keys, snapshot in (("this", now_keys, now), ("last", then_keys, then)):
        rows: dict[str, list[int]] = {}
        for index, key in enumerate(keys):
            if key is not None:
                rows.setdefault(key, []).append(index)
        for key, indexes in rows.items():
            if len(indexes) < 2 or key in found:
                continue
            risk = snapshot.risks[indexes[0]]
            shown = _short((risk.id if word == "ID" else risk.text) or "")
            both = "both" if len(indexes) == 2 else "all"
            if side == "this" and len(places) > max(indexes):
                named = _and([places[i] for i in indexes])
                found[key] = (
                    shown,
                    Problem(
                        places[indexes[-1]],
                        f"{named} are {both} risk '{shown}', so"
                        f" {'neither' if both == 'both' else 'none'} is compared with the last"
                        f" paper; give each its own {word}",
                    ),
                )
                continue
            whose = "this paper's" if side == "this" else "the last paper's"
            named = "rows " + _and([str(i + 1) for i in indexes]) + f" of {whose} register"
            found[key] = (
                shown,
                Problem(
                    "",
                    f"{named} are {both} risk '{shown}', so risk '{shown}' is not compared with"
                    f" the last paper; give each its own {word}",
                ),
            )
    return found


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _label(risk: RiskFacts) -> str:
    text = _short(risk.text)
    return f"{risk.id} {text}" if risk.id else text


def _dues(paper: Snapshot) -> dict[str, dt.date]:
    dues: dict[str, dt.date] = {}
    for milestone in paper.milestones:
        dues.setdefault(_text_key(milestone.text), milestone.due)
    return dues


def _text_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "\u2026"
