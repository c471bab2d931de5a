"""What the web front keeps: boards and who does what on them, meetings, the papers owed to
them, every workbook uploaded, and an audit trail. The papers themselves are files: uploads in
the data folder, and each meeting's folder of workbooks that the library builds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class Board(models.Model):
    """A board or committee, whose papers follow one report profile."""

    name = models.CharField(max_length=200, unique=True)
    profile = models.CharField(
        max_length=100, default="jib", help_text="A bundled report profile: jib, prince2, ..."
    )
    requires_approval = models.BooleanField(
        default=True, help_text="Only papers approved by their approver go into the pack"
    )
    deadline_days = models.PositiveSmallIntegerField(
        default=5, help_text="Papers are due this many working days before the meeting, at 10:00"
    )
    reminder_days = models.PositiveSmallIntegerField(
        default=2,
        help_text="Managers who still owe a paper are reminded this many working days before"
        " its deadline (0: no reminders)",
    )
    email = models.TextField(
        blank=True,
        help_text="Who the papers go to, as boardpack.toml's [email] table (from, recipients,"
        " and [email.smtp] to send from here); reminders go through its server too",
    )

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            email_settings(self.email)
        except ValueError as exc:
            raise ValidationError({"email": str(exc)}) from exc


def email_settings(text: str) -> Any:
    """The board's [email] table as the engine reads it (a Distribution), None when it has none;
    ValueError saying what is wrong, by setting."""
    import tomllib

    from pydantic import ValidationError

    from boardpack.meeting.settings import PackSettings

    if not text.strip():
        return None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"this is not TOML: {exc}") from exc
    if set(table) != {"email"}:
        raise ValueError("give only the [email] table (and its [email.smtp]), as boardpack.toml")
    try:
        return PackSettings.model_validate(table).email
    except ValidationError as exc:
        said = "; ".join(
            ".".join(str(part) for part in error["loc"]) + ": " + error["msg"]
            for error in exc.errors()
        )
        raise ValueError(said) from exc


class Role(models.TextChoices):
    CLERK = "clerk", "Clerk"
    MANAGER = "manager", "Manager"
    APPROVER = "approver", "Approver"
    READER = "reader", "Reader"


class Membership(models.Model):
    """A person's role on a board; a person may hold several."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "board", "role"], name="one_role_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}, {self.board})"


class Meeting(models.Model):
    """A meeting of a board, with its papers on the agenda."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField()
    time = models.TimeField(null=True, blank=True)
    venue = models.CharField(max_length=200, blank=True)
    deadline_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Papers are due this many working days before (empty: the board's rule)",
    )
    deadline_time = models.TimeField(default=dt.time(10, 0), help_text="At this time of day")
    published = models.BooleanField(
        default=False, help_text="Once published, its readers see the pack and every paper"
    )

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["board", "date"], name="one_a_day")]

    def __str__(self) -> str:
        return f"{self.board}, {self.date.day} {self.date:%B %Y}"  # 4 March, not 04 March

    def folder(self) -> Path:
        """The meeting's folder of workbooks, as `boardpack build` reads one."""
        return Path(settings.DATA) / "meetings" / str(self.pk)

    def deadline(self) -> dt.datetime:
        """When its papers are due, in UK time, working days counted as the CLI counts them."""
        from boardpack.meeting.meetings import DeadlineRule, paper_deadline

        days = self.deadline_days if self.deadline_days is not None else self.board.deadline_days
        return paper_deadline(self.date, DeadlineRule(working_days=days, time=self.deadline_time))


class State(models.TextChoices):
    OWED = "owed", "Owed"
    CHECKED = "checked", "Uploaded, not submitted"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned"
    APPROVED = "approved", "Approved"


class Paper(models.Model):
    """A paper a manager owes a meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="papers")
    name = models.SlugField(
        max_length=80, help_text="Its workbook's name, without .xlsx: procurement"
    )
    title = models.CharField(max_length=200)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="papers_owed"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="papers_to_approve",
    )
    position = models.PositiveSmallIntegerField(default=1, help_text="Its place on the agenda")
    state = models.CharField(max_length=20, choices=State.choices, default=State.OWED)
    comment = models.TextField(blank=True, help_text="The approver's comment when returned")
    approved_sha256 = models.CharField(
        max_length=64, blank=True, help_text="The workbook its approver last approved"
    )

    class Meta:
        ordering = ["meeting", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["meeting", "name"], name="one_name")]

    def __str__(self) -> str:
        return f"{self.title} ({self.meeting})"

    def latest(self) -> Upload | None:
        return self.uploads.order_by("-pk").first()

    def submitted_upload(self) -> Upload | None:
        return self.uploads.filter(submitted=True).order_by("-pk").first()

    def late(self) -> bool:
        return self.state in (State.OWED, State.CHECKED, State.RETURNED) and (
            timezone.now() > self.meeting.deadline()
        )


class Upload(models.Model):
    """A workbook a manager uploaded, stored as a file, with what checking it found."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="uploads")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255, help_text="As the manager's computer named it")
    sha256 = models.CharField(max_length=64)
    valid = models.BooleanField(default=False)
    problems = models.JSONField(default=list)  # [{"where": "Risks!B2", "message": "..."}]
    warnings = models.JSONField(default=list)
    submitted = models.BooleanField(default=False)

    def problem_rows(self) -> list[dict[str, str]]:
        """Its problems, each with its place in words: "sheet Risks, cell B2"."""
        return [{"where": place_in_words(p), "message": p["message"]} for p in self.problems]

    def warning_rows(self) -> list[dict[str, str]]:
        return [{"where": place_in_words(p), "message": p["message"]} for p in self.warnings]

    def markable(self) -> bool:
        """Whether its problems are at cells that a marked copy can show (not a file refused
        as a whole: not a workbook, damaged, too big when opened)."""
        return not any(p.get("file") for p in self.problems)

    def path(self) -> Path:
        """Where its bytes are kept: by paper and hash, never by the name it came with."""
        return Path(settings.DATA) / "uploads" / str(self.paper_id) / f"{self.sha256}.xlsx"


def place_in_words(problem: dict[str, Any]) -> str:
    """Where a problem is, as a manager reads it: "sheet Risks, cell B2" for Risks!B2, "sheet
    Risks, row 5" for Risks!A5:F5, "sheet Paper, column A" for Paper!A:A, "sheet Sections" for
    a sheet, and the file's own name for a file refused as a whole."""
    import re

    where = str(problem.get("where", ""))
    if problem.get("file"):
        return f"{where} (the whole file)"
    sheet, bang, cell = where.rpartition("!")
    if not bang:
        return f"sheet {where}" if where else "the workbook"
    if match := re.fullmatch(r"([A-Z]+):\1", cell):
        return f"sheet {sheet}, column {match.group(1)}"
    if match := re.fullmatch(r"[A-Z]+(\d+):[A-Z]+\1", cell):
        return f"sheet {sheet}, row {match.group(1)}"
    return f"sheet {sheet}, {'cells' if ':' in cell else 'cell'} {cell}"


class Build(models.Model):
    """A build of a meeting's pack, recorded before it starts and again when it ends, so one a
    stopped server never finished is known as such (its `boot` is not this server's)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="builds")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    boot = models.CharField(max_length=32, help_text="The server process that ran it")
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-started", "-pk"]


class Reminder(models.Model):
    """A reminder sent to a paper's manager before a deadline: once per paper and deadline."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="reminders")
    deadline = models.DateTimeField()
    to = models.CharField(max_length=254)
    sent = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "deadline"], name="one_reminder_a_deadline")
        ]


class Notice(models.Model):
    """An email telling someone a paper waits for them: its approver when it is submitted, its
    manager when it is returned or approved. Made with the step itself, so a server stopped
    before sending it sends it later; once sent (or found unsendable), never sent again."""

    class Kind(models.TextChoices):
        TO_APPROVE = "to approve", "To its approver: waiting for approval"
        RETURNED = "returned", "To its manager: returned"
        APPROVED = "approved", "To its manager: approved"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    link = models.URLField(max_length=500, help_text="The paper's page, where sign-in is asked")
    comment = models.TextField(blank=True, help_text="The approver's comment, when there is one")
    made = models.DateTimeField(auto_now_add=True)
    sent = models.DateTimeField(null=True, blank=True)
    given_up = models.TextField(blank=True, help_text="Why it can never be sent, when so")

    class Meta:
        ordering = ["pk"]


class Event(models.Model):
    """One line of the audit trail: who did what, when."""

    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(max_length=40)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, null=True, blank=True)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user}: {self.action}"


def record(
    user: Any, action: str, *, paper: Paper | None = None, detail: str = "", **more: Any
) -> None:
    """Add a line to the audit trail."""
    meeting = more.get("meeting") or (paper.meeting if paper is not None else None)
    Event.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        meeting=meeting,
        paper=paper,
        detail=detail,
    )
