"""The `boardpack` command: a thin layer over the library that prints results and sets exit codes.

Exit codes: 0 success, 1 invalid input or a paper that could not be made, 2 wrong usage,
130 stopped by Ctrl-C (SIGINT), 143 stopped by SIGTERM.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from types import FrameType
from typing import Any

import click

from boardpack import __version__
from boardpack.errors import BoardpackError
from boardpack.text import printable

DEFAULT_INPUTS = Path("inputs")
DEFAULT_OUT = Path("output")
DEFAULT_SCHEMA = Path("schemas") / "paper.schema.json"


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn boardpack's errors into one clear message and exit code 1, not a traceback."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except BoardpackError as exc:
            if debug:
                raise
            click.echo(f"Error: {printable(str(exc))}", err=True)  # names quoted as escapes
            sys.exit(1)
        except Terminated:
            click.echo(
                "Stopped (SIGTERM); finished outputs are kept, unfinished ones discarded.",
                err=True,
            )
            sys.exit(143)
        except BrokenPipeError:
            # The reader went away (`boardpack status | head`): nothing more can be said to it.
            # Output goes nowhere from here, so Python's own flush at exit cannot fail again.
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo(
                "Interrupted; finished outputs are kept, unfinished ones discarded.", err=True
            )
            sys.exit(130)
        except Exception as exc:
            if debug:
                raise
            click.echo(
                f"Internal error: {type(exc).__name__}: {printable(str(exc))}\nThis is a bug"
                " in boardpack, not in your workbook. Run again with --debug for details and"
                " report it.",
                err=True,
            )
            sys.exit(1)

    return run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="boardpack")
@click.option("--debug", is_flag=True, help="Show a full traceback when something goes wrong.")
def main(debug: bool) -> None:
    """Turn project workbooks into board highlight reports (Word and PDF)."""


_profile_option = click.option(
    "--profile",
    "profile_name",
    default=None,
    help="A report profile: a bundled name (see `boardpack profiles`) or a .toml file.",
)


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by SIGTERM; every stage stops on it as on Ctrl-C."""


def _stop_cleanly_on_sigterm() -> None:
    """Make SIGTERM (a service manager's or `kill`'s stop) take the same path as Ctrl-C."""
    # A KeyboardInterrupt subclass, so every clean-up written for Ctrl-C (LibreOffice stopped,
    # work folders removed, unfinished outputs discarded) runs for SIGTERM too.
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        if stopping.is_set():  # a second SIGTERM must not cut the clean-up short
            return
        if _in_finaliser(frame):
            # Raised inside a __del__ (a ZipFile collected just then), the exception would be
            # printed and dropped, and the build would go on waiting: deliver it again from
            # outside, a moment later.
            threading.Timer(0.05, _signal_main_thread, (signum,)).start()
            return
        stopping.set()
        raise Terminated

    signal.signal(signal.SIGTERM, stop)


def _signal_main_thread(signum: int) -> None:
    """Send the signal to the main thread, so that a wait it is blocked in is interrupted
    (sent to the process, another thread may take it, and the main thread waits on)."""
    if hasattr(signal, "pthread_kill"):
        signal.pthread_kill(threading.main_thread().ident or 0, signum)
    else:  # Windows: signals are raised in the process, and handled by its main thread
        signal.raise_signal(signum)


def _in_finaliser(frame: FrameType | None) -> bool:
    """Whether Python is running an object's __del__ at `frame`, where an exception is dropped."""
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def run() -> None:
    """The process entry point: the `boardpack` program and `python -m boardpack`."""
    _stop_cleanly_on_sigterm()
    # pydantic looks through every installed package for plugins the first time it validates
    # (0.01 s): a plugin installed for another program must not watch boardpack's models.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # Start-up imports pydantic and openpyxl: hundreds of thousands of objects that live until
    # exit. The cyclic garbage collector would walk them over and over while they load, and once
    # more at exit, for nothing: a third of the time a `check` takes. Commands that go on to do
    # long work switch it back on (_collect_garbage_from_now_on).
    gc.disable()
    try:
        main()
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            _exit_now(done.code or 0)
        raise
    finally:
        gc.freeze()


def _exit_now(code: int) -> None:
    """End the process with `code` once what must happen at exit has happened, without Python
    taking apart every module it imported, object by object (0.015 s of a `check`).

    What must happen: every atexit function (temporary folders, logging, multiprocessing's
    children) and the output written out. While a thread other than a daemon's is still
    running, Python's own exit waits for it instead, as it should."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone, or a stream closed
            stream.flush()
    os._exit(code)


def _collect_garbage_from_now_on() -> None:
    """Switch the collector back on for new objects, leaving the imported ones out of its walks."""
    gc.freeze()
    gc.enable()


def _collect_garbage_for(workbooks: int) -> None:
    """Switch the collector back on for more than one workbook: each read leaves reference
    cycles behind. One workbook's garbage is bounded, and collecting it cost more than keeping
    it (0.06 s of a one-paper build, for 7 MB: matplotlib and docxtpl make many objects to walk
    and few to free)."""
    if workbooks > 1:
        _collect_garbage_from_now_on()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--annotate",
    is_flag=True,
    help="Also write a copy of each workbook with problems, NAME (problems).xlsx beside it,"
    " each problem a note on its marked cell and listed on a first sheet, for Excel.",
)
@_reports_errors
def check(paths: tuple[Path, ...], annotate: bool) -> None:
    """Validate workbooks without building anything; list every problem and warning.

    PATHS are workbooks or folders of them. A folder is a meeting: its boardpack.toml is
    checked, and the papers against it (the agenda's papers all there, each for that board
    and meeting, the meeting not past). Exit code 1 if any workbook is invalid, boardpack.toml
    is faulty, an agenda paper is missing or invalid, or an annotated copy asked for could
    not be written; warnings alone exit 0.
    """
    from boardpack.files import find_workbooks
    from boardpack.meeting.meeting_check import check_meeting

    _collect_garbage_for(len(find_workbooks(paths)))
    result = check_meeting(paths)
    for line in result.lines():
        click.echo(line)
    written = True
    if annotate:
        from boardpack.workbook.annotate import annotate_all

        lines, written = annotate_all(
            [(w.source, w.error.problems if w.error else (), w.warnings) for w in result.workbooks]
        )
        for line in lines:
            click.echo(line)
    if not result.ok or not written:
        sys.exit(1)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    default=DEFAULT_OUT,
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the built papers.",
)
@click.option("--no-pdf", is_flag=True, help="Build the .docx only; skip the PDF.")
@click.option(
    "--pack/--no-pack",
    default=None,
    help="Build the meeting's combined pack (default: when a folder is given).",
)
@click.option(
    "--pdf-timeout",
    default=120.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds LibreOffice may take over one paper before it is stopped and retried.",
)
@click.option(
    "--template",
    type=click.Path(path_type=Path),
    default=None,
    help="A restyled Word template for every paper, instead of each profile's.",
)
@click.option(
    "--pack-template",
    type=click.Path(path_type=Path),
    default=None,
    help="A restyled template for the pack's cover, contents and summary.",
)
@click.option(
    "--archive",
    "archive_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The archive whose last papers say what changed (default: boardpack.toml's archive).",
)
@click.option(
    "--annotate",
    is_flag=True,
    help="For each workbook that cannot be built, write NAME (problems).xlsx beside it, as"
    " check --annotate does.",
)
@_reports_errors
def build(
    paths: tuple[Path, ...],
    out_dir: Path,
    no_pdf: bool,
    pack: bool | None,
    pdf_timeout: float,
    template: Path | None,
    pack_template: Path | None,
    archive_dir: Path | None,
    annotate: bool,
) -> None:
    """Build a paper from each workbook: NAME.docx and NAME.pdf in the output folder.

    PATHS are workbooks or folders of them (default: inputs/). One bad workbook does not stop
    the others. Exit code 1 if any paper could not be built.
    """
    from boardpack.files import find_workbooks
    from boardpack.outputs.warm import EarlyConverter

    sources = list(paths) or [DEFAULT_INPUTS]
    workbooks = len(find_workbooks(sources))
    # LibreOffice starts first, so that its start-up overlaps importing the build as well as
    # reading and rendering: it is ready sooner, and a one-paper build waits on it less.
    starting: contextlib.AbstractContextManager[EarlyConverter | None] = contextlib.nullcontext()
    if workbooks and not no_pdf:
        starting = EarlyConverter.for_papers(workbooks)
    with starting as early:
        from boardpack.console import BuildDisplay
        from boardpack.pipeline import build as build_papers

        _collect_garbage_for(workbooks)
        with BuildDisplay(total=workbooks * (1 if no_pdf else 2)) as display:
            report = build_papers(
                sources,
                out_dir,
                pdf=not no_pdf,
                pack=pack,
                template=template,
                pack_template=pack_template,
                archive=archive_dir,
                pdf_timeout=pdf_timeout,
                on_progress=display.advance,
                converter=early.convert if early is not None else None,
            )
    display.summary(report)
    if annotate:
        _annotate_failed(report.papers)
    if not report.papers:
        raise BoardpackError(f"no workbooks (.xlsx) found in {', '.join(map(str, sources))}")
    if not report.ok:
        sys.exit(1)


def _annotate_failed(papers: list[Any]) -> None:
    """An annotated copy beside each workbook that could not become a paper, for Excel."""
    from boardpack.errors import InvalidWorkbook
    from boardpack.workbook.annotate import annotate_all

    failed = [p for p in papers if isinstance(p.error, InvalidWorkbook) and p.error.problems]
    lines, _ = annotate_all([(p.source, p.error.problems, p.error.warnings) for p in failed])
    for line in lines:
        click.echo(line)


@main.command()
@click.argument("folder", required=False, default=DEFAULT_INPUTS, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    default=DEFAULT_OUT,
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the built papers.",
)
@click.option(
    "--poll",
    default=0.05,
    show_default=True,
    type=click.FloatRange(min=0.01, max=60),
    help="Seconds between looks at the folder (longer on a slow network share).",
)
@click.option(
    "--pdf-timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds LibreOffice may take over one paper before it is restarted and retried.",
)
@_reports_errors
def watch(folder: Path, out_dir: Path, poll: float, pdf_timeout: float) -> None:
    """Build FOLDER (default: inputs/), then rebuild each paper as soon as its workbook is saved.

    Prints a line per rebuild with its time, or the workbook's errors by cell; the pack is
    rebuilt once the saves pause. LibreOffice is kept running meanwhile. Stop it with Ctrl-C
    (exit code 130) or SIGTERM (143): it ends with everything it started.
    """
    from boardpack.watch import watch as watch_folder

    if not folder.is_dir():
        raise BoardpackError(f"{folder}: not a folder of workbooks; give the meeting's folder")
    _collect_garbage_from_now_on()

    def show(event: Any) -> None:
        for line in event.lines():
            click.echo(line)

    click.echo(f"Watching {folder} (Ctrl-C to stop); papers go to {out_dir}", err=True)
    watch_folder(folder, out_dir, on_event=show, poll=poll, pdf_timeout=pdf_timeout)


@main.command()
@click.option(
    "--out",
    default=DEFAULT_SCHEMA,
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where to write the JSON Schema.",
)
@_profile_option
@_reports_errors
def schema(out: Path, profile_name: str | None) -> None:
    """Write the JSON Schema of a paper's data, generated from the profile's models."""
    from boardpack.files import ensure_folder, write_atomic
    from boardpack.paper.models import json_schema
    from boardpack.paper.profile import DEFAULT_PROFILE, load_profile

    schema = json_schema(load_profile(profile_name or DEFAULT_PROFILE))
    ensure_folder(out.parent)
    write_atomic(out, (json.dumps(schema, indent=2, ensure_ascii=False) + "\n").encode())
    click.echo(f"wrote {out}")


@main.command()
@click.argument("folder", required=False, default=DEFAULT_INPUTS, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "target",
    required=True,
    type=click.Path(path_type=Path),
    help="The .ics file to write, for Outlook or any calendar.",
)
@_reports_errors
def calendar(folder: Path, target: Path) -> None:
    """Write the board's meetings and paper deadlines (from FOLDER's boardpack.toml, default
    inputs/) to a calendar file that Outlook imports."""
    from boardpack.meeting.cycle import write_calendar

    if target.suffix.lower() != ".ics":
        raise BoardpackError(f"{target}: name the calendar file with .ics at the end")
    written = write_calendar(folder, target)
    for warning in written.warnings:
        click.echo(f"Warning: {warning}", err=True)
    deadlines = sum(m.deadline is not None for m in written.meetings)
    click.echo(
        f"wrote {target}: {len(written.meetings)} meetings of the {written.board},"
        f" {deadlines} paper deadlines"
    )


@main.command()
@_reports_errors
def profiles() -> None:
    """List the report profiles that come with boardpack."""
    from boardpack.paper.profile import DEFAULT_PROFILE, bundled_profiles, load_profile

    for name in bundled_profiles():
        profile = load_profile(name)
        default = " (the default)" if name == DEFAULT_PROFILE else ""
        click.echo(f"{name}{default}: {profile.name}. {profile.description}")


@main.group()
def profile() -> None:
    """Work with a report profile: the shape of a board's paper, in a TOML file."""


@profile.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@_reports_errors
def profile_check(path: Path) -> None:
    """Validate a profile file (or a bundled profile's name) and name each fault by its line."""
    from boardpack.paper.profile import load_profile

    loaded = load_profile(str(path))
    sections = ", ".join(s.title for s in loaded.sections)
    click.echo(f"{path}: a valid profile, {loaded.name!r}. Sections: {sections}.")
    if loaded.risk is not None and loaded.risk.key_text():
        click.echo(loaded.risk.key_text())


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@_profile_option
@_reports_errors
def new(path: Path, profile_name: str | None) -> None:
    """Write a blank workbook, laid out and explained, ready to fill in for a new paper."""
    from boardpack.paper.profile import load_profile
    from boardpack.workbook.writer import write_workbook

    if path.suffix.lower() != ".xlsx":
        raise BoardpackError(f"{path}: name the new workbook with .xlsx at the end")
    if path.exists():
        raise BoardpackError(f"{path} already exists; choose another name or delete it first")
    chosen = load_profile(profile_name) if profile_name else load_profile()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BoardpackError(f"{path.parent}: cannot create the folder ({exc.strerror})") from exc
    named = _profile_from(path, profile_name)
    write_workbook(path, profile=chosen, profile_name=named)
    click.echo(f"wrote {path}; fill it in, then run: boardpack check {path}")
    if named is not None and profile_name is not None and named != profile_name:
        _warn_if_outside(path.parent, named, Path(profile_name))


def _warn_if_outside(folder: Path, named: str, profile: Path) -> None:
    """A warning when a workbook's Profile row names a file it will not be allowed to read."""
    from boardpack.files import SHARED_ENV, OutsideFolder, inside

    try:
        inside(folder, named, setting="profile")
    except OutsideFolder:
        click.echo(
            f"Warning: {profile} is outside {folder}, and a workbook may only name a profile in"
            " its own folder or in a shared folder: copy the profile beside the workbook, or"
            f" set {SHARED_ENV}={profile.resolve().parent}",
            err=True,
        )


def _profile_from(workbook: Path, profile_name: str | None) -> str | None:
    """How the new workbook's Profile row names its profile: a bundled name as it is, a path
    from the workbook's folder (where `check` and `build` look for it), with forward slashes
    so that it reads the same on Windows, macOS and Linux."""
    import os

    from boardpack.paper.profile import bundled_profiles

    if profile_name is None or profile_name in bundled_profiles():
        return profile_name
    target = Path(profile_name).resolve()
    try:
        return Path(os.path.relpath(target, workbook.resolve().parent)).as_posix()
    except ValueError:  # on another drive (Windows): only the whole path reaches it
        return target.as_posix()


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option(
    "--to",
    "archive_dir",
    default=None,
    type=click.Path(path_type=Path),
    help="The archive folder; papers go under BOARD/MEETING-DATE/PAPER/vN. Default: the"
    " `archive` boardpack.toml names beside the workbooks.",
)
@_reports_errors
def archive(out_dir: Path, archive_dir: Path | None) -> None:
    """File every paper built in OUT_DIR (PDF, .docx and workbook), and the meeting's pack,
    in the archive, each entered in its index.

    Nothing archived is ever overwritten: a changed paper becomes a new version, an unchanged
    one is not stored twice. Exit code 1 if any paper could not be archived.
    """
    from boardpack.meeting.archive import archive_papers

    report = archive_papers(out_dir, archive_dir)
    for note in report.notes:
        click.echo(f"Warning: {note}", err=True)
    for paper in report.papers:
        click.echo(str(paper))
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("archive_dir", type=click.Path(path_type=Path))
@click.option(
    "--expect",
    metavar="HASH",
    default=None,
    help="A head hash verify printed earlier (recorded in the minutes): fail unless the"
    " archive still holds it; versions filed since are listed.",
)
@click.option(
    "--adopt",
    is_flag=True,
    help="Index an archive made before boardpack kept an index, once every version in it is"
    " shown whole (check it against your backup first).",
)
@_reports_errors
def verify(archive_dir: Path, expect: str | None, adopt: bool) -> None:
    """Prove the archive (or one board's, meeting's or paper's part of it) whole against its
    index: name every missing, added, changed or swapped version, paper, meeting or file.

    Prints the index's head hash, to record in the minutes. Exit code 1 if anything is wrong.
    """
    from boardpack.meeting.archive import adopt_archive, verify_archive

    if adopt:
        adopted = adopt_archive(archive_dir)
        click.echo(f"{archive_dir}: indexed {adopted.versions} versions already archived")
    result = verify_archive(archive_dir, expect=expect)
    for problem in result.problems:
        click.echo(str(problem))
    if expect is not None and result.filed_since:
        count = len(result.filed_since)
        click.echo(f"{count} version{'s' * (count > 1)} filed since {expect}:")
        for entry in result.filed_since:
            click.echo(f"  {entry.folder} (filed {entry.archived_at})")
    click.echo(f"index head: {result.head or 'none (nothing archived)'}")
    if not result.ok:
        sys.exit(1)
    part = f" in {result.scope}" if result.scope else ""
    noun = "version" if result.versions == 1 else "versions"
    click.echo(
        f"{archive_dir}: every archived version{part} is present and unchanged"
        f" ({result.versions} {noun}); record the index head in the minutes to prove it later"
    )


@main.command("check-template")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--pack", is_flag=True, help="PATH is a board pack's front matter template.")
@_profile_option
@_reports_errors
def check_template(path: Path, pack: bool, profile_name: str | None) -> None:
    """Check a restyled Word template: render it with a sample paper of the profile and name
    any bad tag; warn of sections it leaves out, text colours with too little contrast and
    meaning shown by colour alone."""
    from boardpack.outputs.render import check_template as check
    from boardpack.paper.profile import load_profile

    warnings = check(path, pack=pack, profile=load_profile(profile_name) if profile_name else None)
    click.echo(f"{path}: every tag is complete and names a value boardpack supplies")
    for warning in warnings:
        click.echo(f"  warning: {warning}")


@main.command()
@click.argument("folder", required=False, default=DEFAULT_INPUTS, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    default=DEFAULT_OUT,
    show_default=True,
    type=click.Path(path_type=Path),
    help="The folder the papers are built into.",
)
@click.option(
    "--archive",
    "archive_dir",
    default=None,
    type=click.Path(path_type=Path),
    help="The archive folder (default: archive in boardpack.toml); its send log says what was"
    " sent.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON, for scripts.")
@_reports_errors
def status(folder: Path, out_dir: Path, archive_dir: Path | None, as_json: bool) -> None:
    """Show the next meeting, its paper deadline and the time left, and for each paper in
    FOLDER (default inputs/): valid, built, stale, archived and sent.

    Stale means its workbook changed since the build, an output is not what the build wrote,
    or it was built for another meeting.
    """
    from boardpack.meeting.status import folder_status

    result = folder_status(folder, out_dir, archive_dir=archive_dir)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return
    from boardpack.meeting.status_display import show_status

    show_status(result)


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option(
    "--drafts",
    "drafts_dir",
    default=None,
    type=click.Path(path_type=Path),
    help="Write one .eml draft per message into this folder, to open and send from Outlook.",
)
@click.option("--send", "send_now", is_flag=True, help="Send through boardpack.toml's SMTP server.")
@click.option("--again", is_flag=True, help="With --send: send files already sent, once more.")
@click.option(
    "--replace",
    is_flag=True,
    help="With --drafts: replace boardpack's earlier drafts in that folder (never one edited"
    " since) and remove those for people no longer on the list.",
)
@click.option(
    "--archive",
    "archive_dir",
    default=None,
    type=click.Path(path_type=Path),
    help="The archive folder whose send log records what was sent (default: archive in"
    " boardpack.toml).",
)
def email(
    out_dir: Path,
    drafts_dir: Path | None,
    send_now: bool,
    again: bool,
    replace: bool,
    archive_dir: Path | None,
) -> None:
    """Email the papers built in OUT_DIR to the distribution in boardpack.toml: as drafts
    (--drafts DIR) or sent (--send).

    A paper whose workbook or outputs changed since the build is never sent: build it first.
    Every recipient is tried; each message the server accepts is recorded in the send log
    beside the archive, and sending the same files to someone again needs --again. Exit code
    1 if any message could not be sent (the others are), 130 or 143 when stopped by Ctrl-C or
    SIGTERM (after the message being sent is recorded).
    """
    # Checked here, outside _reports_errors, so that a wrong usage exits 2 as click's own do.
    if (drafts_dir is None) == (not send_now):
        raise click.UsageError("give one of --drafts DIR or --send")
    if again and not send_now:
        raise click.UsageError("--again goes with --send")
    if replace and drafts_dir is None:
        raise click.UsageError("--replace goes with --drafts")
    _email(out_dir, drafts_dir, again, replace, archive_dir)


@_reports_errors
def _email(
    out_dir: Path, drafts_dir: Path | None, again: bool, replace: bool, archive_dir: Path | None
) -> None:
    # Each message leaves reference cycles behind (its headers and parts): without the
    # collector, mail for thousands would grow with every message made.
    _collect_garbage_from_now_on()
    if drafts_dir is not None:
        from boardpack.meeting.sending import write_email_drafts

        outbox, done = write_email_drafts(out_dir, drafts_dir, replace=replace)
        _warn(outbox.warnings)
        for path, recipient, names in done.written:
            click.echo(f"wrote {path}: to {recipient.address}, {', '.join(names)}")
        for path, address in done.removed:
            click.echo(f"removed {path}: {address} is no longer on the list")
        return
    from boardpack.meeting.mail import Refused, Sent
    from boardpack.meeting.sending import send_papers

    def sent(done: Sent) -> None:
        click.echo(f"sent to {done.recipient.address}: {_attached(done)}")

    def refused(why: Refused) -> None:
        click.echo(f"not sent to {why}", err=True)

    def stopping() -> None:
        click.echo(
            "Stopping: the message with the server is finished and recorded first.", err=True
        )

    report = send_papers(
        out_dir,
        archive_dir=archive_dir,
        again=again,
        on_sent=sent,
        on_refused=refused,
        on_stopping=stopping,
    )
    _warn(report.warnings)
    for recipient, entry in report.skipped:
        click.echo(
            f"not sent again to {recipient.address}: these files went on"
            f" {entry.sent_at} (add --again to send them again)"
        )
    if report.sent or report.refused:
        click.echo(f"{len(report.sent)} sent through {report.server}; recorded in {report.log}")
    else:
        click.echo(f"nothing new to send: every message went already (see {report.log})")
    if not report.ok:
        noun = "message was" if len(report.refused) == 1 else "messages were"
        raise BoardpackError(
            f"{len(report.refused)} {noun} not sent: " + "; ".join(str(r) for r in report.refused)
        )


def _warn(warnings: Sequence[str]) -> None:
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)


def _attached(draft: Any) -> str:
    return ", ".join(a.shown for a in draft.attachments)


@main.command()
@click.argument("data", type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to serve on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--database",
    metavar="URL",
    help="A PostgreSQL database (postgresql://user@host/name) instead of SQLite in DATA.",
)
@click.option(
    "--hosts",
    metavar="NAMES",
    help="Host names the server answers to, comma-separated (default: 127.0.0.1,localhost).",
)
@click.option(
    "--create-clerk",
    metavar="NAME",
    help="Create a clerk's account (password asked for, or from BOARDPACK_WEB_PASSWORD) and exit.",
)
@_reports_errors
def serve(
    data: Path,
    host: str,
    port: int,
    database: str | None,
    hosts: str | None,
    create_clerk: str | None,
) -> None:
    """Serve the web front from the data folder DATA (made on first use): managers upload,
    check, preview and submit papers, approvers approve them, clerks build the pack.

    Start a new server with --create-clerk NAME once, then serve; the clerk sets up boards,
    meetings and who owes which paper in its admin pages (/admin/)."""
    from boardpack.web import server

    server.prepare(data, database=database, hosts=hosts)
    if create_clerk:
        server.create_clerk(create_clerk)
        click.echo(f"created the clerk {create_clerk!r}; now run: boardpack serve {data}")
        return
    click.echo(f"serving {data} on http://{host}:{port}/ (Ctrl-C to stop)")
    server.serve(host, port)
