"""What `boardpack build` shows: a progress bar while it works, then a summary table."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from boardpack.pipeline import BuildReport, PaperResult, Status

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
        self.progress.update(self.task, advance=1, description=f"{paper.name}: {stage} done")

    def summary(self, report: BuildReport) -> None:
        """The table of papers, then each paper's errors and warnings in full."""
        if not report.papers:
            return
        table = Table(
            title=f"Papers built into {escape(str(report.out_dir))}", title_justify="left"
        )
        for heading in ("Paper", "Status", "Warnings", "Outputs", "Seconds"):
            table.add_column(heading, justify="right" if heading == "Seconds" else "left")
        for paper in report.papers:
            outputs = ", ".join(p.name for p in (paper.docx, paper.pdf) if p is not None)
            table.add_row(
                escape(paper.source.name),
                f"[{_STATUS_STYLE[paper.status]}]{paper.status.value}[/]",
                str(len(paper.warnings)) if paper.warnings else "",
                escape(outputs) or "-",
                f"{paper.seconds:.2f}",
            )
        self.console.print(table)
        for paper in report.papers:
            if paper.error is not None:
                self.console.print(
                    f"[red]{escape(paper.source.name)}[/]: {escape(str(paper.error))}"
                )
            for warning in paper.warnings:
                self.console.print(
                    f"[yellow]warning[/] {escape(paper.source.name)}: {escape(str(warning))}"
                )
