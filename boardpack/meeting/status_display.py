"""What `boardpack status` shows: the meeting and its deadline, then a table of the papers."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape as escape_markup
from rich.table import Table

from boardpack.meeting.status import FolderStatus, PackStatus, PaperStatus
from boardpack.text import printable


def escape(text: str) -> str:
    """A name or message from outside as the terminal shows it: no markup, no control codes."""
    return escape_markup(printable(text))


_YES, _NO = "[green]yes[/]", "no"


def show_status(status: FolderStatus, console: Console | None = None) -> None:
    """Print the meeting, the deadline and the time left, a row per paper, and any notes."""
    console = console or Console(highlight=False)
    meeting = status.meeting
    board = f"{escape(status.board)}: " if status.board else ""
    if meeting.date is not None:
        console.print(f"{board}meeting on {meeting.date:%A %d %B %Y}")
    if meeting.deadline is not None and meeting.time_left is not None:
        style = "red" if meeting.deadline_passed else "bold"
        console.print(
            f"Papers due {meeting.deadline:%A %d %B %Y at %H:%M} (UK time):"
            f" [{style}]{escape(meeting.time_left)}{'' if meeting.deadline_passed else ' left'}[/]"
        )
    if meeting.note:
        console.print(f"[yellow]{escape(meeting.note)}[/]")
    table = Table(title=f"Papers in {escape(str(status.folder))}", title_justify="left")
    for heading in ("Paper", "Valid", "Built", "Stale", "Archived", "Sent"):
        table.add_column(heading)
    for paper in status.papers:
        table.add_row(escape(paper.name), *_paper_cells(paper))
    if status.pack is not None:
        table.add_row(escape(status.pack.name), "", *_pack_cells(status.pack))
    if status.papers or status.pack is not None:
        console.print(table)
    else:
        console.print(f"no workbooks (.xlsx) in {escape(str(status.folder))}")
    for paper in status.papers:
        if paper.error:
            console.print(f"[red]{escape(paper.name)}[/]: {escape(paper.error)}")
        for reason in paper.stale:
            console.print(f"[yellow]{escape(paper.name)}[/] is stale: {escape(reason)}")
        if paper.appendix_of:
            console.print(
                f"{escape(paper.name)} is an appendix of {escape(paper.appendix_of)}:"
                " built, archived and sent with it"
            )
    if status.pack is not None:
        for reason in status.pack.stale:
            console.print(f"[yellow]{escape(status.pack.name)}[/] is stale: {escape(reason)}")
    for note in status.notes:
        console.print(f"note: {escape(note)}")


def _paper_cells(paper: PaperStatus) -> list[str]:
    noun = "problem" if paper.problems == 1 else "problems"
    valid = _YES if paper.valid else f"[red]no, {paper.problems} {noun}[/]"
    if paper.appendix_of:  # built, archived and sent as part of its cover report
        return [valid, "in its cover", "", "", ""]
    built = (_YES + ("" if paper.pdf else " (no PDF)")) if paper.built else "no"
    return [valid, built, *_common(paper.built, paper.stale, paper.archived, paper)]


def _pack_cells(pack: PackStatus) -> list[str]:
    built = (_YES + ("" if pack.pdf else " (no PDF)")) if pack.built else "no"
    return [built, *_common(pack.built, pack.stale, pack.archived, pack)]


def _common(
    built: bool, stale: tuple[str, ...], archived: str | None, item: PaperStatus | PackStatus
) -> list[str]:
    if not built and not stale:
        return ["", "", ""]
    stale_cell = "[red]yes[/]" if stale else "no"
    archived_cell = f"[green]{archived}[/]" if archived else "no"
    if item.sent:
        sent = _YES
    elif item.sent_to:
        sent = f"[yellow]{len(item.sent_to)} of {item.recipients}[/]"
    else:
        sent = "no"
    return [stale_cell, archived_cell, sent]
