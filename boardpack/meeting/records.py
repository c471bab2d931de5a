"""The JSON records the meeting rests on, written and read here: a paper's and the pack's build
records, a line of the send log, and a version's manifest; and the one rule, `check_built`, by
which `build`, `status`, `email` and `archive` say a built paper is no longer what was built.

All are written by boardpack but read back from folders anyone can edit, so every field is
checked before it is used (the models forbid any field they do not know): names must be plain
file names, hashes SHA-256 in hex, dates ISO. A build record names its workbooks by the way from
its own folder, so a meeting's folder can be moved or copied whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    with_config,
)
from typing_extensions import TypedDict

from boardpack import __version__
from boardpack.errors import ArchiveError
from boardpack.files import PACK_NAME, RECORD_FOLDER, WORKBOOK_SUFFIXES, safe_stem
from boardpack.meeting.archive_fs import file_fault, read_regular

if TYPE_CHECKING:
    from boardpack.meeting.settings import PackSettings

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
VERSION_NAME = re.compile(r"v([1-9][0-9]*)")
_SHA256 = re.compile(r"[0-9a-f]{64}")
ROLES = ("pdf", "docx", "workbook")  # the files of every paper's version, in manifest order
PACK_ROLES = ("pdf", "docx")  # the files of a pack's version
# A paper's validated content as data (paper/changes.py paper_data), beside its workbook; a
# cover report's appendices, each its workbook and its data. Versions filed before these
# were kept have none of them.
DATA, APPENDIX_WORKBOOK, APPENDIX_DATA = "data", "appendix-workbook", "appendix-data"
DATA_NAME = "paper.json"
MAX_DATA_BYTES = 64 << 20  # a paper of 5,000 risks is a few megabytes as data
PAPER, PACK = "paper", "pack"  # the kinds of thing archived


@dataclass(frozen=True)
class Record:
    """A build record, checked: a paper the build made, and the workbook it made it from."""

    name: str
    project: str
    board: str
    meeting_date: str
    source: Path
    source_sha256: str
    docx: str
    docx_sha256: str
    pdf: str | None
    pdf_sha256: str | None
    boardpack_version: str
    # A cover report's appendices: each workbook and the SHA-256 it was built from.
    appendices: tuple[tuple[Path, str], ...] = ()
    # The paper as data (JSON bytes), and each appendix's, when the build recorded them.
    data: bytes | None = None
    appendix_data: tuple[bytes | None, ...] = ()


@dataclass(frozen=True)
class PackRecord:
    """The build record of a meeting's pack, checked: its files and the papers in it."""

    docx: str
    docx_sha256: str
    pdf: str | None
    pdf_sha256: str | None
    papers: tuple[tuple[str, str], ...]  # (name, SHA-256 of its .docx), in agenda order
    boardpack_version: str

    name = PACK_NAME


@dataclass(frozen=True)
class Entry:
    """One file a manifest lists."""

    name: str
    role: str
    sha256: str
    size: int


@dataclass(frozen=True)
class AppendixFiles:
    """A cover report's appendix as its version keeps it: its name, workbook and data files."""

    name: str
    workbook: str
    data: str


@dataclass(frozen=True)
class Manifest:
    """A version's manifest, checked: of a paper, or (kind "pack") of the meeting's pack."""

    kind: str
    paper: str
    project: str
    board: str
    meeting_date: str
    version: str
    supersedes: str | None
    supersedes_manifest_sha256: str | None
    source_sha256: str | None  # the workbook's; None for a pack
    files: tuple[Entry, ...]
    papers: tuple[tuple[str, str], ...] = ()  # a pack's papers: (name, SHA-256 of its .docx)
    archived_at: str = ""
    appendices: tuple[AppendixFiles, ...] = ()  # a cover report's, in order

    def digest(self, role: str) -> str:
        """The SHA-256 of the file with this role."""
        return next(entry.sha256 for entry in self.files if entry.role == role)

    def file(self, name: str) -> Entry | None:
        """The entry of the file of this name, if the manifest lists it."""
        return next((entry for entry in self.files if entry.name == name), None)

    @property
    def data(self) -> Entry | None:
        """The paper's data file, for versions filed with one."""
        return next((entry for entry in self.files if entry.role == DATA), None)


def recorded_path(path: Path, folder: Path) -> str:
    """`path` as a build record in `folder` keeps it: the way from the record's folder, with
    forward slashes, so that a meeting's folder (its workbooks and its output) can be moved or
    copied whole and still find its workbooks; the full path only when there is no way from
    one to the other (another drive, on Windows)."""
    try:
        return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()
    except ValueError:
        return str(path.resolve())


def recorded_source(text: str, folder: Path) -> Path:
    """The workbook a build record in `folder` names: by its way from the record's folder, or
    by its full path (as records kept it before a folder could move)."""
    path = Path(text)
    return path if path.is_absolute() else (folder / path).resolve()


# --- build records as they are on disk ------------------------------------------------------


def _sha256_text(value: str) -> str:
    if not _SHA256.fullmatch(value):
        raise ValueError("is not a SHA-256 in hex")
    return value


def _plain_name(value: str) -> str:
    # The stem and suffix apart: safe_stem caps a stem, so a whole name may be longer.
    stem, suffix = Path(value).stem, "x" + Path(value).suffix
    unsafe = safe_stem(stem) != stem or safe_stem(suffix) != suffix
    if value in (".", "..") or "/" in value or "\\" in value or unsafe:
        raise ValueError(f"{value!r} is not a plain file name")
    return value


def _iso_text(value: str) -> str:
    try:
        if date.fromisoformat(value).isoformat() == value:
            return value
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not a date written as YYYY-MM-DD")


def _workbook_path(value: str) -> str:
    if Path(value).suffix.lower() not in WORKBOOK_SUFFIXES:
        raise ValueError(f"{value!r} is not the path of a workbook")
    return value


_Text = Annotated[str, StringConstraints(min_length=1)]
_Sha256 = Annotated[str, AfterValidator(_sha256_text)]
_FileName = Annotated[str, StringConstraints(min_length=1), AfterValidator(_plain_name)]
_IsoDate = Annotated[str, AfterValidator(_iso_text)]
_Workbook = Annotated[str, StringConstraints(min_length=1), AfterValidator(_workbook_path)]


class _OnDisk(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class AppendixRecord(_OnDisk):
    """A cover report's appendix in its build record: the workbook it was built from."""

    source: _Workbook  # from the record's folder (a full path in records made before)
    source_sha256: _Sha256
    paper_data: dict[str, Any] | None = None


class BuildRecord(_OnDisk):
    """A paper's build record as written in the output folder's .boardpack/<name>.json: what
    `archive`, `status` and `email` need without reading the workbook again."""

    name: _Text
    project: _Text
    # None when the paper has none: archive then says it cannot file it, and why.
    board: _Text | None = None
    meeting_date: _IsoDate | None = None
    source: _Workbook  # from the record's folder, so the meeting's folder can move
    source_sha256: _Sha256  # the bytes built from: the manager may have saved it since
    docx: _FileName
    docx_sha256: _Sha256
    pdf: _FileName | None = None  # None: built with --no-pdf
    pdf_sha256: _Sha256 | None = None
    boardpack_version: _Text
    paper_data: dict[str, Any] | None = None  # the paper as data, for the archive's history
    appendices: tuple[AppendixRecord, ...] = ()

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if safe_stem(value) != value:
            raise ValueError(f"{value!r} is not a safe file name")
        return value

    def dump(self) -> tuple[str, bytes]:
        """The record's file name and bytes, as the build writes them."""
        return f"{self.name}.json", self.model_dump_json(indent=2).encode()


class PackedPaper(_OnDisk):
    """A paper in the pack, by the SHA-256 of the .docx that went into it."""

    name: _FileName
    docx_sha256: _Sha256


class PackBuildRecord(_OnDisk):
    """The pack's build record as written in .boardpack/board-pack.json."""

    kind: Literal["pack"] = "pack"
    docx: _FileName
    docx_sha256: _Sha256
    pdf: _FileName | None = None
    pdf_sha256: _Sha256 | None = None
    papers: tuple[PackedPaper, ...] = Field(min_length=1)  # in agenda order
    boardpack_version: _Text

    def dump(self) -> tuple[str, bytes]:
        """The record's file name and bytes, as the build writes them."""
        return f"{PACK_NAME}.json", self.model_dump_json(indent=2).encode()


# The send log is read whole by `status`, thousands of lines of dozens of files each: its
# fields are checked by pydantic's own patterns, at about the cost of parsing the JSON.
_QuickSha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
_QuickDate = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]


@with_config(ConfigDict(extra="forbid", strict=True))
class SentFile(TypedDict):
    """A file a sent message carried, by the SHA-256 of its bytes."""

    # A checked dict, not a model: a log holds tens of thousands, and a model each doubles the
    # time `status` takes to read them.
    file: _Text
    attached_as: NotRequired[_Text]  # the name the recipient saw (logged since names differ)
    sha256: _QuickSha256


class SendLogEntry(_OnDisk):
    """One line of the send log (ARCHIVE_DIR/sent.jsonl): a message the server accepted."""

    sent_at: _Text  # ISO 8601, with its offset
    board: str
    meeting_date: _QuickDate
    to: _Text
    name: str = ""
    role: str = ""
    message_id: str = ""
    server: str = ""
    papers: tuple[str, ...] = ()
    attachments: tuple[SentFile, ...]
    versions: dict[str, str] = Field(default_factory=dict)  # logged since versions were kept


def paper_record(
    out_dir: Path,
    *,
    name: str,
    project: str,
    board: str | None,
    meeting_date: date | None,
    source: Path,
    source_sha256: str,
    docx: Path,
    docx_sha256: str,
    pdf: Path | None,
    pdf_sha256: str | None,
    paper_data: dict[str, Any] | None,
    appendices: Sequence[tuple[Path, str, dict[str, Any] | None]] = (),
) -> BuildRecord:
    """The build record of a paper built into `out_dir`, its workbooks named from the record's
    folder; `appendices` are a cover report's, each (workbook, SHA-256, data)."""
    folder = out_dir / RECORD_FOLDER
    return BuildRecord(
        name=name,
        project=project,
        board=board,
        meeting_date=meeting_date.isoformat() if meeting_date else None,
        source=recorded_path(source, folder),
        source_sha256=source_sha256,
        docx=docx.name,
        docx_sha256=docx_sha256,
        pdf=pdf.name if pdf else None,
        pdf_sha256=pdf_sha256 if pdf else None,
        boardpack_version=__version__,
        paper_data=paper_data,
        appendices=tuple(
            AppendixRecord(source=recorded_path(a, folder), source_sha256=h, paper_data=d)
            for a, h, d in appendices
        ),
    )


def pack_record(docx: Path, pdf: Path | None, papers: Sequence[tuple[str, str]]) -> PackBuildRecord:
    """The build record of a pack: its files (hashed as they are) and its papers, each (name,
    SHA-256 of its .docx), in agenda order."""
    return PackBuildRecord(
        docx=docx.name,
        docx_sha256=_file_sha256(docx),
        pdf=pdf.name if pdf else None,
        pdf_sha256=_file_sha256(pdf) if pdf else None,
        papers=tuple(PackedPaper(name=n, docx_sha256=h) for n, h in papers),
        boardpack_version=__version__,
    )


def record_path(out_dir: Path, name: str) -> Path:
    """Where the build record of paper `name` (or the pack, PACK_NAME) is kept in `out_dir`."""
    return out_dir / RECORD_FOLDER / f"{name}.json"


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_Model = TypeVar("_Model", bound=_OnDisk)


def _read_model(path: Path, model: type[_Model]) -> _Model:
    """The record file at `path` as `model`; ValueError naming each faulty field."""
    raw = read_regular(path)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        faults = (
            f"{'.'.join(str(p) for p in e['loc'])} {str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False)
        )
        raise ValueError("; ".join(faults)) from exc


def read_record(path: Path, *, data: bool = True) -> Record:
    """A build record, checked; ArchiveError saying what to do if it cannot be used. Without
    `data`, the paper's data is left unread (None), for those that do not file it."""
    try:
        model = _read_model(path, BuildRecord)
        papers = [model.paper_data, *(a.paper_data for a in model.appendices)]
        # Made into the archive's bytes only when asked: `status` reads every record each time.
        sizes = [_data_bytes(p) if data else None for p in papers]
        return Record(
            name=model.name,
            project=model.project,
            # A paper without a board or a meeting date is recorded with none ("").
            board=model.board or "",
            meeting_date=model.meeting_date or "",
            source=recorded_source(model.source, path.parent),
            source_sha256=model.source_sha256,
            docx=model.docx,
            docx_sha256=model.docx_sha256,
            pdf=model.pdf,
            pdf_sha256=model.pdf_sha256 if model.pdf is not None else None,
            boardpack_version=model.boardpack_version,
            appendices=tuple(
                (recorded_source(a.source, path.parent), a.source_sha256) for a in model.appendices
            ),
            data=sizes[0],
            appendix_data=tuple(sizes[1:]),
        )
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArchiveError(
            f"its build record {path} cannot be used ({exc}); run boardpack build again"
            " before archiving"
        ) from exc


def read_pack_record(path: Path) -> PackRecord:
    """The pack's build record, checked; ArchiveError saying what to do if it cannot be used."""
    try:
        model = _read_model(path, PackBuildRecord)
        return PackRecord(
            docx=model.docx,
            docx_sha256=model.docx_sha256,
            pdf=model.pdf,
            pdf_sha256=model.pdf_sha256 if model.pdf is not None else None,
            papers=tuple((p.name, p.docx_sha256) for p in model.papers),
            boardpack_version=model.boardpack_version,
        )
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArchiveError(
            f"its build record {path} cannot be used ({exc}); build the meeting's folder again"
            " before archiving"
        ) from exc


def _data_bytes(paper: dict[str, Any] | None) -> bytes | None:
    """A paper's data as a build record holds it, as the bytes of the archive's paper.json."""
    if paper is None:
        return None  # recorded by a boardpack from before papers were kept as data
    raw = (json.dumps(paper, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    if len(raw) > MAX_DATA_BYTES:
        raise ValueError(f"paper_data is larger than {MAX_DATA_BYTES >> 20} MB")
    return raw


# --- one staleness rule ----------------------------------------------------------------------

CHANGED = "has changed since the build"


def check_built(
    record: Record,
    out_dir: Path,
    workbook_now: str | None = None,
    *,
    meeting: date | None = None,
    outputs: Iterable[str] | None = None,
) -> list[str]:
    """Why the paper `record` describes is no longer what its build made from its workbook, each
    reason in the words `build`, `status`, `email` and `archive` all say (empty: it still is).

    `workbook_now` is the workbook's SHA-256 as it is now, when the caller has it (None: the
    workbook is hashed where the record says it is); `meeting` is the meeting the papers are
    for (None: not checked); `outputs` the names of the outputs to check (None: all it made)."""
    made = ((record.docx, record.docx_sha256), (record.pdf, record.pdf_sha256))
    wanted = None if outputs is None else set(outputs)
    faults = check_outputs(out_dir, (f for f in made if wanted is None or f[0] in wanted))
    workbook = (
        file_fault(record.source, record.source_sha256, CHANGED)
        if workbook_now is None
        else (None if workbook_now == record.source_sha256 else CHANGED)
    )
    faults.extend(_source_fault("workbook", record.source, workbook))
    for source, sha256 in record.appendices:
        faults.extend(_source_fault("appendix", source, file_fault(source, sha256, CHANGED)))
    if meeting is not None and (other := meeting_fault(record, meeting)) is not None:
        faults.append(other)
    return faults


def filed_as(record: Record, settings: PackSettings) -> Record:
    """The record with the board and meeting date the archive files its paper under: the
    paper's own, else those of the meeting boardpack.toml names (a paper whose profile has no
    board or meeting date goes to whichever meeting it is taken to)."""
    if record.board and record.meeting_date:
        return record
    return replace(
        record,
        board=record.board or settings.board or "",
        meeting_date=record.meeting_date
        or (settings.meeting_date.isoformat() if settings.meeting_date else ""),
    )


def meeting_fault(record: Record, meeting: date) -> str | None:
    """Why the paper `record` describes is not for `meeting` (None: it is). A paper with no
    meeting date of its own is for whichever meeting it is taken to."""
    if not record.meeting_date or record.meeting_date == meeting.isoformat():
        return None
    return (
        f"it was built for the meeting of {record.meeting_date}, not {meeting.isoformat()};"
        " give its workbook that meeting's date, then build it again"
    )


def check_built_pack(record: PackRecord, out_dir: Path) -> list[str]:
    """Why the pack `record` describes is no longer the files its build wrote (empty: it is);
    whether it holds the papers as built now is the caller's to say, from their records."""
    return check_outputs(
        out_dir, ((record.docx, record.docx_sha256), (record.pdf, record.pdf_sha256))
    )


def check_outputs(out_dir: Path, files: Iterable[tuple[str | None, str | None]]) -> list[str]:
    """Why the files a build wrote in `out_dir`, each (name, SHA-256), are not those bytes;
    a file not made (a build with --no-pdf) is passed over."""
    faults = []
    for name, sha256 in files:
        if name is None or sha256 is None:
            continue
        if (fault := file_fault(out_dir / name, sha256, CHANGED)) is not None:
            faults.append(f"{name} {fault}")
    return faults


def _source_fault(what: str, source: Path, fault: str | None) -> list[str]:
    """The reason a workbook a paper was built from is not what it was built from."""
    if fault is None:
        return []
    if fault == CHANGED:
        return [f"its {what} {source.name} {CHANGED}"]
    if fault == "is missing":
        return [f"its {what} {source} is no longer there"]
    return [f"its {what} {source} {fault}"]


def read_manifest(path: Path) -> Manifest:
    """A version's manifest, checked; ValueError saying what is wrong with it."""
    try:
        data = read_regular(path)
    except FileNotFoundError as exc:
        raise ValueError(f"no {MANIFEST}") from exc
    except NotADirectoryError as exc:
        raise ValueError("not a version folder") from exc
    except OSError as exc:
        raise ValueError(f"cannot read {MANIFEST}: {exc.strerror}") from exc
    return parse_manifest(data)


def parse_manifest(raw: bytes) -> Manifest:
    """A version's manifest from its bytes, checked; ValueError saying what is wrong with it."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{MANIFEST} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{MANIFEST} is not a JSON object")
    if data.get("manifest_format") != MANIFEST_FORMAT:
        raise ValueError(f"{MANIFEST} is not a boardpack manifest of format {MANIFEST_FORMAT}")
    kind = data.get("kind", PAPER)
    if kind not in (PAPER, PACK):
        raise ValueError(f"{MANIFEST}: kind is neither {PAPER} nor {PACK}")
    entries = data.get("files")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"{MANIFEST} has no list of files")
    files = tuple(
        Entry(_file_name(e, "name"), _text(e, "role"), _digest(e, "sha256"), _size(e))
        for e in entries
    )
    names = [e.name for e in files]
    if len(set(names)) != len(names) or MANIFEST in names:
        raise ValueError(f"{MANIFEST} lists a file name twice")
    appendices = _appendix_files(data, files) if kind == PAPER else ()
    roles = list(ROLES if kind == PAPER else PACK_ROLES)
    if kind == PAPER and any(e.role == DATA for e in files):
        roles.append(DATA)
    roles += [APPENDIX_WORKBOOK, APPENDIX_DATA] * len(appendices)
    if sorted(e.role for e in files) != sorted(roles):
        listed = ", ".join(ROLES if kind == PAPER else PACK_ROLES)
        raise ValueError(
            f"{MANIFEST} must list one each of {listed}"
            + (f" (and at most one {DATA}, and its appendices' files)" if kind == PAPER else "")
        )
    supersedes = data.get("supersedes")
    if supersedes is not None and (
        not isinstance(supersedes, str) or not VERSION_NAME.fullmatch(supersedes)
    ):
        raise ValueError(f"{MANIFEST}: supersedes is not a version such as v1")
    archived_at = _text(data, "archived_at")
    try:
        datetime.fromisoformat(archived_at)
    except ValueError as exc:
        raise ValueError(f"{MANIFEST}: archived_at is not a date and time") from exc
    _text(data, "boardpack_version")
    if kind == PAPER:
        _text(data, "source")
    return Manifest(
        kind=kind,
        paper=_text(data, "paper"),
        project=_text(data, "project") if kind == PAPER else "",
        board=_text(data, "board"),
        meeting_date=_iso_date(data, "meeting_date"),
        version=_text(data, "version"),
        supersedes=supersedes,
        supersedes_manifest_sha256=(
            None if supersedes is None else _digest(data, "supersedes_manifest_sha256")
        ),
        source_sha256=_digest(data, "source_sha256") if kind == PAPER else None,
        files=files,
        papers=_pack_papers(data) if kind == PACK else (),
        archived_at=archived_at,
        appendices=appendices,
    )


def _appendix_files(data: dict[str, Any], files: tuple[Entry, ...]) -> tuple[AppendixFiles, ...]:
    """A cover's appendices as its manifest lists them, each file listed with its role."""
    listed = data.get("appendices", [])
    if not isinstance(listed, list) or not all(isinstance(a, dict) for a in listed):
        raise ValueError(f"{MANIFEST}: appendices is not a list of appendices")
    roles = {e.name: e.role for e in files}
    appendices = []
    for item in listed:
        appendix = AppendixFiles(
            _text(item, "name"), _file_name(item, "workbook"), _file_name(item, "data")
        )
        if safe_stem(appendix.name) != appendix.name:
            raise ValueError(f"{MANIFEST}: appendix {appendix.name!r} is not a paper's name")
        wanted = ((appendix.workbook, APPENDIX_WORKBOOK), (appendix.data, APPENDIX_DATA))
        if any(roles.get(name) != role for name, role in wanted):
            raise ValueError(f"{MANIFEST}: appendix {appendix.name}'s files are not listed")
        appendices.append(appendix)
    return tuple(appendices)


def _pack_papers(data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """A pack's list of papers, each with the SHA-256 of the .docx that went into it."""
    papers = data.get("papers")
    if not isinstance(papers, list) or not papers or not all(isinstance(p, dict) for p in papers):
        raise ValueError("papers is missing or not a list of papers")
    return tuple((_file_name(p, "name"), _digest(p, "docx_sha256")) for p in papers)


def _text(data: dict[str, Any], key: str) -> str:
    """A required, non-empty text field."""
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is missing or not text")
    return value


def _digest(data: dict[str, Any], key: str) -> str:
    """A required SHA-256 field, in lower-case hex."""
    value = _text(data, key)
    if not _SHA256.fullmatch(value):
        raise ValueError(f"{key} is not a SHA-256 in hex")
    return value


def _file_name(data: dict[str, Any], key: str) -> str:
    """A bare file name: one that cannot point outside its folder."""
    value = _text(data, key)
    # The stem and suffix apart: safe_stem caps a stem, so a whole name may be longer.
    stem, suffix = Path(value).stem, "x" + Path(value).suffix
    unsafe = safe_stem(stem) != stem or safe_stem(suffix) != suffix
    if value in (".", "..") or "/" in value or "\\" in value or unsafe:
        raise ValueError(f"{key} {value!r} is not a plain file name")
    return value


def _iso_date(data: dict[str, Any], key: str) -> str:
    """A required date field, written YYYY-MM-DD."""
    value = _text(data, key)
    try:
        if date.fromisoformat(value).isoformat() == value:
            return value
    except ValueError:
        pass
    raise ValueError(f"{key} {value!r} is not a date written as YYYY-MM-DD")


def _size(data: dict[str, Any]) -> int:
    """A file entry's size in bytes."""
    value = data.get("size")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("size is missing or not a whole number of bytes")
    return value
