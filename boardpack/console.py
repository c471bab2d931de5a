"""What `boardpack build` shows: a progress bar while it works, then a summary table."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from boardpack.pipeline import BuildReport, PaperResult, Status
from boardpack.text import printable

_STATUS_STYLE = {Status.BUILT: "green", Status.INVALID: "red", Status.FAILED: "red"}


class BuildDisplay:
    """A progress bar of steps finished (one per paper per output), shown only on a terminal."""

    def __init__(self, total: int | None = None) -> None:
        self.console = Console(highlight=False)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=not self.console.is_terminal,
        )
        self.task = self.progress.add_task("Building papers", total=total)

    def __enter__(self) -> BuildDisplay:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def advance(self, stage: str, paper: PaperResult) -> None:
        described = f"{_shown(paper.name)}: {stage} done"
        self.progress.update(self.task, advance=1, description=described)

    def summary(self, report: BuildReport) -> None:
        """The table of papers and the pack, then every error and warning in full."""
        if not report.papers:
            return
        table = Table(
            title=f"Papers built into {_shown(str(report.out_dir))}", title_justify="left"
        )
        for heading in ("Paper", "Status", "Warnings", "Outputs", "Seconds"):
            table.add_column(heading, justify="right" if heading == "Seconds" else "left")
        for paper in report.papers:
            table.add_row(
                _shown(paper.source.name),
                f"[{_STATUS_STYLE[paper.status]}]{paper.status.value}[/]",
                str(len(paper.warnings)) if paper.warnings else "",
                _outputs(paper.docx, paper.pdf),
                f"{paper.seconds:.2f}",
            )
        pack = report.pack
        if pack is not None:
            status = "[green]built[/]" if pack.ok else "[red]failed[/]"
            if pack.error is None and pack.problems:
                status = "[yellow]incomplete[/]"
            table.add_row(
                f"pack of {len(pack.papers)}",
                status,
                str(len(pack.warnings)) if pack.warnings else "",
                _outputs(pack.docx, pack.pdf),
                f"{pack.seconds:.2f}",
            )
        self.console.print(table)
        for paper in report.papers:
            if paper.error is not None:
                self.console.print(f"[red]error[/] {_shown(_with_source(paper))}")
            if paper.note:
                self.console.print(
                    f"[yellow]note[/] {_shown(paper.source.name)}: {_shown(paper.note)}"
                )
            for warning in paper.warnings:
                self.console.print(
                    f"[yellow]warning[/] {_shown(paper.source.name)}: {_shown(str(warning))}"
                )
        if pack is not None:
            for warning in pack.warnings:
                self.console.print(f"[yellow]warning[/] pack: {_shown(str(warning))}")
            for problem in pack.problems:
                self.console.print(f"[red]error[/] pack: {_shown(str(problem))}")
            if pack.error is not None:
                self.console.print(f"[red]error[/] pack: {_shown(str(pack.error))}")
            if pack.note:
                self.console.print(f"[yellow]note[/] pack: {_shown(pack.note)}")
        for warning in report.warnings:
            self.console.print(f"[yellow]warning[/] meeting: {_shown(str(warning))}")
        for stale in report.stale:
            self.console.print(f"[yellow]stale[/] {_shown(str(stale))}")


def _shown(text: str) -> str:
    """Text from outside (a file name, a cell, a message quoting one) as the terminal shows it:
    control characters as escapes, never acted on, and no rich markup."""
    return escape(printable(text))


def _outputs(*paths: Path | None) -> str:
    return _shown(", ".join(p.name for p in paths if p is not None)) or "-"


def _with_source(paper: PaperResult) -> str:
    """The paper's error, naming its workbook once."""
    message = str(paper.error)
    return message if message.startswith(paper.source.name) else f"{paper.source.name}: {message}"
