"""Benchmark: `boardpack status` of a 50-paper meeting with five years of archive, as a whole
process (the target is at most 1 s on a 2-core machine).

    python bench/bench_status.py                # 50 papers, 5 years of 8 meetings, 15 recipients
    python bench/bench_status.py --papers 20 --years 2 --runs 9

It builds that many copies of the example (each with its own project name) for real, without
PDFs, into output/ with the pack. The archive is then synthesised through the archive's own
index API (archive_index.new_entry and append_entry, with manifests in the archive's format and
the files they list): every paper and the pack for every earlier meeting of the five years, a
second version for one paper in ten, and this meeting's papers as built, so that `status` finds
them archived. The send log has a message per recipient per meeting, each listing every paper's
attachments, this meeting's included, so that `status` finds them sent. Then it runs `boardpack
status` (the table, then --json) in fresh processes and prints the best and median seconds, and
which heavy modules (matplotlib, docxtpl, docx, openpyxl) the status process imported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import openpyxl

import boardpack
from boardpack.files import safe_stem
from boardpack.meeting.archive_index import IndexEntry, append_entry, new_entry
from boardpack.meeting.records import MANIFEST, MANIFEST_FORMAT
from boardpack.meeting.send_log import SEND_LOG
from boardpack.pipeline import render as rendering

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "procurement.xlsx"
BOARD = "Joint Improvement Board"
MEETING = dt.date(2026, 1, 22)  # the meeting the papers are for


def make_workbooks(folder: Path, count: int) -> list[str]:
    """`count` workbooks that differ in project name and meeting date; their names."""
    folder.mkdir(parents=True)
    book = openpyxl.load_workbook(EXAMPLE)
    names = []
    for number in range(1, count + 1):
        book["Paper"]["B2"] = f"Workstream {number:02d}"
        book["Paper"]["B6"] = dt.datetime.combine(MEETING, dt.time())
        book["Paper"]["B7"] = dt.datetime.combine(MEETING - dt.timedelta(days=10), dt.time())
        name = f"workstream-{number:02d}"
        book.save(folder / f"{name}.xlsx")
        names.append(name)
    return names


def past_meetings(years: int) -> list[dt.date]:
    """Eight meetings a year, every six or seven weeks, going back `years` years."""
    return [MEETING - dt.timedelta(days=46 * i) for i in range(years * 8, 0, -1)]


def settings(names: list[str], years: int, recipients: int) -> str:
    dates = ", ".join(d.isoformat() for d in [*past_meetings(years), MEETING])
    people = "".join(
        f'\n[[email.recipients]]\nname = "Member {i}"\naddress = "member{i}@example.org"\n'
        'gets = ["docx"]\n'
        for i in range(recipients)
    )
    agenda = ", ".join(f'"{n}"' for n in names)
    return (
        f'board = "{BOARD}"\nmeeting_date = {MEETING.isoformat()}\nmeetings = [{dates}]\n'
        f'agenda = [{agenda}]\narchive = "../archive"\n\n[deadline]\nworking_days = 5\n'
        f'time = "10:00"\n\n[email]\nfrom = "clerk@example.gov.uk"\n{people}'
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArchiveMaker:
    """Versions filed as the archive files them: folder, files, manifest, index entry."""

    def __init__(self, archive: Path) -> None:
        self.archive = archive
        self.entries: list[IndexEntry] = []
        self.last: IndexEntry | None = None
        archive.mkdir()

    def file(
        self,
        kind: str,
        meeting: dt.date,
        paper: str,
        version: int,
        docx_sha256: str,
        source_sha256: str,
        previous: IndexEntry | None,
    ) -> IndexEntry:
        folder_parts = (safe_stem(BOARD), meeting.isoformat(), paper, f"v{version}")
        folder = self.archive.joinpath(*folder_parts)
        folder.mkdir(parents=True)
        files = []
        roles = ("pdf", "docx") if kind == "pack" else ("pdf", "docx", "workbook")
        for role in roles:
            name = f"{paper}.{'xlsx' if role == 'workbook' else role}"
            data = f"{paper} {meeting} v{version} {role}".encode()
            (folder / name).write_bytes(data)
            sha = {"docx": docx_sha256, "workbook": source_sha256}.get(role, _digest(data))
            files.append({"name": name, "role": role, "sha256": sha, "size": len(data)})
        archived_at = f"{meeting - dt.timedelta(days=7)}T09:00:00Z"
        manifest: dict[str, Any] = {
            "manifest_format": MANIFEST_FORMAT,
            **({"kind": "pack"} if kind == "pack" else {}),
            "paper": paper,
            **({"project": paper.title()} if kind == "paper" else {}),
            "board": BOARD,
            "meeting_date": meeting.isoformat(),
            "version": f"v{version}",
            "supersedes": previous.version if previous else None,
            "supersedes_manifest_sha256": previous.manifest_sha256 if previous else None,
            "archived_at": archived_at,
            "boardpack_version": boardpack.__version__,
            **(
                {"source": f"/meetings/{paper}.xlsx", "source_sha256": source_sha256}
                if kind == "paper"
                else {"papers": [{"name": "x", "docx_sha256": docx_sha256}]}
            ),
            "files": files,
        }
        raw = (json.dumps(manifest, indent=2) + "\n").encode()
        (folder / MANIFEST).write_bytes(raw)
        entry = new_entry(
            self.last,
            kind=kind,
            board=BOARD,
            meeting_date=meeting.isoformat(),
            paper=paper,
            version=f"v{version}",
            folder="/".join(folder_parts),
            manifest_sha256=_digest(raw),
            archived_at=archived_at,
        )
        self.entries.append(entry)
        self.last = entry
        return entry

    def write_index(self) -> None:
        append_entry(self.archive, *self.entries)


def synthesise_archive(
    root: Path, names: list[str], years: int, recipients: int
) -> tuple[int, int]:
    """The archive and send log of `years` of meetings, and this meeting's papers as built;
    how many versions and log entries were made."""
    maker = ArchiveMaker(root / "archive")
    log_lines = []
    records = {n: json.loads((root / "output/.boardpack" / f"{n}.json").read_text()) for n in names}
    for meeting in [*past_meetings(years), MEETING]:
        attachments = []
        for number, name in enumerate(names):
            if meeting == MEETING:
                docx, source = records[name]["docx_sha256"], records[name]["source_sha256"]
            else:
                docx = _digest(f"{name} {meeting} docx".encode())
                source = _digest(f"{name} {meeting} xlsx".encode())
            first = maker.file("paper", meeting, name, 1, docx, source, None)
            if number % 10 == 0 and meeting != MEETING:  # re-issued once
                maker.file("paper", meeting, name, 2, _digest(docx.encode()), source, first)
            attachments.append({"file": f"{name}.docx", "sha256": docx})
        maker.file("pack", meeting, "board-pack", 1, _digest(f"pack {meeting}".encode()), "", None)
        for i in range(recipients):
            log_lines.append(
                json.dumps(
                    {
                        "sent_at": f"{meeting - dt.timedelta(days=5)}T10:00:00+00:00",
                        "board": BOARD,
                        "meeting_date": meeting.isoformat(),
                        "to": f"member{i}@example.org",
                        "name": f"Member {i}",
                        "role": "member",
                        "message_id": f"<{meeting}.{i}@example.gov.uk>",
                        "server": "smtp.example.gov.uk:587",
                        "papers": names,
                        "attachments": attachments,
                        "versions": {n: "v1" for n in names},
                    },
                    sort_keys=True,
                )
            )
    maker.write_index()
    (maker.archive / SEND_LOG).write_text("\n".join(log_lines) + "\n", encoding="utf-8")
    return len(maker.entries), len(log_lines)


def _this_checkout() -> dict[str, str]:
    """The environment in which `python -m boardpack` runs this checkout's code."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "COLUMNS": "120"}


def time_command(args: list[str], cwd: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "boardpack", *args],
            cwd=cwd,
            env=_this_checkout(),
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - started)
    return times


def heavy_imports(cwd: Path) -> list[str]:
    code = (
        "import sys\nfrom boardpack.cli import main\n"
        "try:\n    main(['status', 'inputs', '--out', 'output', '--json'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('matplotlib', 'docxtpl', 'docx', 'openpyxl', 'smtplib')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=_this_checkout(),
        check=True,
        capture_output=True,
        text=True,
    )
    return list(json.loads(result.stdout.splitlines()[-1].replace("'", '"')))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=50)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--recipients", type=int, default=15)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--keep", type=Path, help="make the meeting in this new folder, and keep it"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = options.keep or Path(work)
        started = time.perf_counter()
        names = make_workbooks(root / "inputs", options.papers)
        text = settings(names, options.years, options.recipients)
        (root / "inputs" / "boardpack.toml").write_text(text, encoding="utf-8")
        # Rendered in this process: since report profiles made the models per profile, the
        # render pool cannot pickle a paper (PicklingError on boardpack.paper.models.Details), so a
        # build of three or more papers fails. The bench times status, not the build.
        rendering.PARALLEL_FROM = options.papers + 1
        report = boardpack.build([root / "inputs"], root / "output", pdf=False)
        assert report.ok, [str(p.error) for p in report.papers if p.error]
        versions, sends = synthesise_archive(root, names, options.years, options.recipients)
        print(
            f"set up {options.papers} papers built (no PDF, with the pack), {versions} archived"
            f" versions, {sends} send-log entries in {time.perf_counter() - started:.1f} s"
        )
        status = json.loads(
            subprocess.run(
                [sys.executable, "-m", "boardpack", "status", "--json"],
                cwd=root,
                env=_this_checkout(),
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        papers = status["papers"]
        assert len(papers) == options.papers
        assert all(p["built"] and not p["stale"] and p["archived"] == "v1" for p in papers), papers[
            0
        ]
        assert all(p["sent"] and p["validated_by"] == "build record" for p in papers), papers[0]
        for label, args in (
            ("status (table)", ["status"]),
            ("status --json", ["status", "--json"]),
        ):
            times = time_command(args, root, options.runs)
            print(
                f"{label}: best {min(times):.3f} s, median {statistics.median(times):.3f} s"
                f" over {options.runs} runs (whole process, {os.cpu_count()} cores)"
            )
        print(f"heavy modules imported by status: {heavy_imports(root) or 'none'}")


if __name__ == "__main__":
    main()
