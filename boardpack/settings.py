"""A meeting's settings: boardpack.toml beside the workbooks, read and validated."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from boardpack.errors import BoardpackError
from boardpack.models import PackSettings

SETTINGS_FILE = "boardpack.toml"


def find_settings(paths: list[Path]) -> Path | None:
    """The settings file in the first folder given (or the folder of the first workbook)."""
    for path in paths:
        folder = path if path.is_dir() else path.parent
        candidate = folder / SETTINGS_FILE
        if candidate.is_file():
            return candidate
    return None


def load_settings(path: Path | None) -> PackSettings:
    """Settings from a boardpack.toml; defaults when there is none."""
    if path is None:
        return PackSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BoardpackError(f"{path}: not valid TOML ({exc}); see the README's example") from exc
    try:
        return PackSettings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'} {e['msg']}"
            if e["type"] != "extra_forbidden"
            else f"unknown setting '{e['loc'][0]}' (known: board, meeting_date, venue, agenda)"
            for e in exc.errors(include_url=False)
        )
        raise BoardpackError(f"{path}: {problems}") from exc
