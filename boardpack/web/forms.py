"""The clerk's forms: a meeting and its deadline rule, and a paper owed to it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from boardpack.web.models import Board, Meeting, Paper, Role


class MeetingForm(forms.ModelForm):
    """A meeting's date, time, venue and deadline rule."""

    class Meta:
        model = Meeting
        fields = ["date", "time", "venue", "deadline_days", "deadline_time", "published"]
        labels = {
            "date": "Date of the meeting",
            "time": "Time it starts",
            "venue": "Venue",
            "deadline_days": "Papers due, in working days before the meeting",
            "deadline_time": "Papers due at (time of day)",
            "published": "Published",
        }
        help_texts = {
            "published": "The board's readers see its papers and pack; managers can no longer"
            " change their papers",
        }
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "deadline_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, board: Board, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.board = board
        self.fields[
            "deadline_days"
        ].help_text = f"Empty: the board's rule, {board.deadline_days} working days"

    def clean_date(self) -> Any:
        date = self.cleaned_data.get("date")
        others = Meeting.objects.filter(board=self.instance.board, date=date)
        if date is not None and others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("the board has a meeting that day already")
        return date

    def clean_deadline_days(self) -> int | None:
        days: int | None = self.cleaned_data.get("deadline_days")
        if days is not None and days > 60:
            raise forms.ValidationError("at most 60 working days")
        return days


def _members(board: Board, role: Any) -> Any:
    return (
        get_user_model()
        .objects.filter(membership__board=board, membership__role=role)
        .order_by("last_name", "first_name", "username")
        .distinct()
    )


class _Person(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.username)


class PaperForm(forms.ModelForm):
    """A paper owed to a meeting: its workbook name, title, place, manager and approver."""

    class Meta:
        model = Paper
        fields = ["name", "title", "position", "manager", "approver"]
        labels = {
            "name": "Workbook name (letters, digits and hyphens)",
            "title": "Title on the agenda",
            "position": "Place on the agenda",
            "manager": "Manager who writes it",
            "approver": "Approver (sponsor or director)",
        }

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.meeting = meeting
        self.fields["manager"] = _Person(
            _members(meeting.board, Role.MANAGER), label=self.Meta.labels["manager"]
        )
        self.fields["approver"] = _Person(
            _members(meeting.board, Role.APPROVER),
            label=self.Meta.labels["approver"],
            required=False,
            empty_label="None: it needs no approval",
        )
        self.fields["name"].help_text = "Its .xlsx is kept under this name: procurement"

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        manager, approver = cleaned.get("manager"), cleaned.get("approver")
        if manager is not None and approver is not None and manager == approver:
            # Approval is a second person's word on the paper, as an authoriser's is.
            self.add_error("approver", "the approver must be someone other than its manager")
        return cleaned

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        others = Paper.objects.filter(meeting=self.instance.meeting, name=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("the meeting has a paper of that name already")
        return name
