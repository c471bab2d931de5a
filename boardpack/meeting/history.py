"""History: each paper's last and first papers, read from the archive, compared with it.

A paper's previous version is the archive's latest version of the same paper (the same
workbook name) for the same board at the latest meeting before this one; its baseline is the
first paper the archive holds of it. Both are read from the workbook copies the archive keeps,
checked against their manifests first (the archive's files are as untrusted as any others),
with the profile the paper is built with; changes.py compares them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from boardpack.errors import BoardpackError, InvalidWorkbook, Problem
from boardpack.meeting.archive_fs import hash_regular
from boardpack.meeting.archive_index import IndexEntry, read_index
from boardpack.meeting.records import MANIFEST, read_manifest
from boardpack.paper.changes import Found, compare
from boardpack.paper.models import Paper
from boardpack.paper.profile import Profile


class ArchiveHistory:
    """The history of a build's papers from one archive, whose index is read once."""

    def __init__(self, archive_dir: Path) -> None:
        self.archive_dir = archive_dir
        self._entries: list[IndexEntry] | None = None
        self._unreadable: Problem | None = None

    def _index(self) -> list[IndexEntry] | None:
        if self._entries is None and self._unreadable is None:
            where = str(self.archive_dir)
            try:
                self._entries, _ = read_index(self.archive_dir)
            except FileNotFoundError:
                self._unreadable = Problem(
                    where,
                    "is not an archive yet, so no paper shows what changed; file this"
                    " meeting's papers with boardpack archive OUT_DIR --to ARCHIVE_DIR",
                )
            except BoardpackError as exc:
                self._unreadable = Problem(
                    where, f"cannot be read for history ({exc}); run boardpack verify on it"
                )
        return self._entries

    def of(
        self, paper: Paper, name: str, places: dict[str, tuple[str, ...]] | None = None
    ) -> Found:
        """The history of the paper named `name` (its workbook's name); a note says why there
        is none, once, or names the rows that could not be matched."""
        entries = self._index()
        if entries is None:
            assert self._unreadable is not None
            return Found(None, [self._unreadable])
        details = paper.details
        if details.board is None or details.meeting_date is None:
            missing = "board" if details.board is None else "meeting date"
            return Found(
                None,
                [
                    Problem(
                        "",
                        f"{name} has no {missing}: the archive keeps papers by board and"
                        " meeting, so it shows no changes",
                    )
                ],
            )
        earlier = _earlier_versions(entries, details.board, name, details.meeting_date)
        if not earlier:
            return Found(
                None,
                [
                    Problem(
                        "",
                        f"the archive holds no earlier paper of {name} for the {details.board}:"
                        " this is its first paper, so it shows no changes",
                    )
                ],
            )
        notes: list[Problem] = []
        previous = _read(self.archive_dir, earlier[-1], paper.profile, notes)
        if previous is None:
            return Found(None, notes)
        baseline = previous
        if earlier[0] is not earlier[-1]:
            baseline = _read(self.archive_dir, earlier[0], paper.profile, notes) or previous
        history = compare(paper, previous, baseline, earlier[-1].folder, places or {}, notes)
        return Found(history, notes)


def _earlier_versions(
    entries: list[IndexEntry], board: str, name: str, meeting: dt.date
) -> list[IndexEntry]:
    """The latest version of the paper at each earlier meeting of the board, oldest first."""
    wanted = " ".join(board.split()).casefold()
    latest: dict[str, IndexEntry] = {}
    for entry in entries:
        if entry.kind != "paper" or entry.paper.casefold() != name.casefold():
            continue
        if " ".join(entry.board.split()).casefold() != wanted:
            continue
        try:
            day = dt.date.fromisoformat(entry.meeting_date)
        except ValueError:
            continue
        if day < meeting:
            latest[entry.meeting_date] = entry  # the index is in filing order: last wins
    return [latest[day] for day in sorted(latest)]


def _read(
    archive_dir: Path, entry: IndexEntry, profile: Profile, notes: list[Problem]
) -> Paper | None:
    """The paper an archived version was built from, read from its workbook copy once that
    copy is proved to be the one its manifest lists."""
    from boardpack.workbook.validate import load_paper

    folder = archive_dir.joinpath(*entry.folder.split("/"))
    where = f"{archive_dir}/{entry.folder}"
    try:
        manifest = read_manifest(folder / MANIFEST)
        workbook = next(e for e in manifest.files if e.role == "workbook")
        digest, _ = hash_regular(folder / workbook.name)
    except (OSError, ValueError, StopIteration) as exc:
        notes.append(Problem(where, f"cannot be read for history ({exc}); run boardpack verify"))
        return None
    if digest != workbook.sha256:
        notes.append(
            Problem(
                where,
                f"its {workbook.name} is not the file its manifest lists, so it is not used for"
                " history; run boardpack verify",
            )
        )
        return None
    try:
        return load_paper(folder / workbook.name, profile=profile).paper
    except InvalidWorkbook as exc:
        notes.append(
            Problem(
                where,
                f"its workbook is not a valid paper of this profile ({len(exc.problems)}"
                " problems), so no history is shown",
            )
        )
        return None
