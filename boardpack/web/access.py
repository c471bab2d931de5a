"""Who may see and do what: every view asks here, and nowhere else.

A manager sees their own papers; an approver the papers they are named to approve; a clerk
everything of their boards; a reader a meeting's papers and pack once it is published. A paper
someone may not see is answered as if it did not exist (404), so its name is not given away.
"""

from __future__ import annotations

from typing import Any

from boardpack.web.models import Board, Meeting, Membership, Paper, Role, State


def roles(user: Any, board: Board) -> set[str]:
    """The roles `user` holds on `board` (a superuser is a clerk of every board)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    held = set(Membership.objects.filter(user=user, board=board).values_list("role", flat=True))
    if user.is_superuser:
        held.add(Role.CLERK)
    return held


def is_clerk(user: Any, board: Board) -> bool:
    return Role.CLERK in roles(user, board)


def can_see_meeting(user: Any, meeting: Meeting) -> bool:
    held = roles(user, meeting.board)
    return Role.CLERK in held or (Role.READER in held and meeting.published)


def can_see_paper(user: Any, paper: Paper) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if paper.manager_id == user.pk or paper.approver_id == user.pk:
        return True
    return can_see_meeting(user, paper.meeting)


def can_upload(user: Any, paper: Paper) -> bool:
    """Only the paper's manager, and only before the clerk publishes the meeting."""
    return paper.manager_id == user.pk and not paper.meeting.published


def can_approve(user: Any, paper: Paper) -> bool:
    """Only the approver the paper names, once it is submitted."""
    return (
        paper.approver_id is not None
        and paper.approver_id == user.pk
        and paper.state == State.SUBMITTED
    )


def uncounted_sign_in(request: Any, credentials: dict[str, Any] | None) -> bool:
    """Whether a failed sign-in is left out of django-axes's count: any but a user name and
    password, since the council's provider keeps its own count, and a refused provider answer
    names no account (counted, the whole council's address would be locked out)."""
    return not (credentials or {}).get("username")
