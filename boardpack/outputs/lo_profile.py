"""A ready-made LibreOffice user profile, copied for each conversion instead of made anew.

Each LibreOffice process needs a profile of its own (two sharing one fail at random). A process
given an empty folder spends ~0.2 s of CPU setting the profile up and restarting itself; copying
a profile LibreOffice made earlier takes a few milliseconds.

LibreOffice also runs a graphics self-test (~0.7 s of CPU, with 1 GB of page faults) at every
start whose profile has not recorded the running version as seen. Only an interactive start
records it, so a profile made by headless conversions never does, and every conversion paid for
the test again. The template records the version, as an interactive start would.

The first good conversion keeps its profile as the template, in the user's cache folder, under
a key naming the LibreOffice it came from; a conversion that fails from a copy throws the
template away, so a damaged one costs one retry, never a wrong PDF (every PDF is verified).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from pathlib import Path

from boardpack.outputs import scratch

CACHE_ENV = "BOARDPACK_CACHE"
_STAGING_PREFIX = ".incoming-"  # a template being copied into place
_DISCARDED_PREFIX = ".discarded-"  # a template renamed away, being deleted

# What LibreOffice writes once its profile is complete; without it the profile is half made.
_COMPLETE_MARK = Path("user") / "registrymodifications.xcu"
# Where an installation keeps its version, from the folder soffice is in (Linux and Windows,
# then macOS).
_MAIN_REGISTRY = (Path("../share/registry/main.xcd"), Path("../Resources/registry/main.xcd"))
_VERSION = re.compile(r'<prop oor:name="ooSetupVersion">\s*<value>(\d+\.\d+)</value>')


def cache_root() -> Path:
    """boardpack's cache folder: $BOARDPACK_CACHE, else the platform's user cache folder."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "boardpack"


def template_for(soffice: Path) -> Path:
    """Where the profile template for this LibreOffice lives (it may not exist yet).

    The key changes when LibreOffice is upgraded or moved, so a profile is never reused by a
    different version, which could misread it: it names the program and the registry that
    carries the version (the launcher script alone may stay the same from version to version)."""
    real = Path(soffice).resolve()
    parts = [str(real)]
    for path in (real, *(real.parent / relative for relative in _MAIN_REGISTRY)):
        try:
            stat = path.stat()
        except OSError:
            continue
        parts.append(f"{path.name}|{stat.st_size}|{stat.st_mtime_ns}")
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return cache_root() / f"libreoffice-profile-{key}"


def ready(template: Path) -> bool:
    """Whether the template has been kept (by a first good one-off conversion)."""
    return (template / _COMPLETE_MARK).is_file()


def seed(profile: Path, template: Path) -> bool:
    """Fill the empty-to-be `profile` folder from the template; whether there was one to use."""
    if not (template / _COMPLETE_MARK).is_file():
        return False
    try:
        shutil.copytree(template, profile)
    except OSError:
        shutil.rmtree(profile, ignore_errors=True)  # LibreOffice makes a fresh one instead
        return False
    return True


def keep(profile: Path, template: Path, soffice: Path) -> None:
    """Keep a profile that LibreOffice completed as the template, if there is none yet, marked
    as having seen this version of LibreOffice (`soffice`).

    Copied aside and renamed into place in one step, so a reader never sees half a template and
    two builds finishing together cannot mix theirs. Failing to keep it only costs speed."""
    if (template / _COMPLETE_MARK).is_file() or not (profile / _COMPLETE_MARK).is_file():
        return
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        sweep(template.parent)
        with scratch.work_folder(_STAGING_PREFIX, template.parent) as staging:
            shutil.copytree(profile, staging / "profile")
            version = product_version(soffice)
            if version is not None:
                _mark_seen(staging / "profile" / _COMPLETE_MARK, version)
            os.replace(staging / "profile", template)
    except OSError:
        pass  # another build kept its template first, or the cache is not writable


def sweep(cache: Path) -> None:
    """Remove what builds killed while keeping or discarding a template left in the cache."""
    scratch.sweep(cache, _STAGING_PREFIX)  # only those whose build has gone
    for doomed in cache.glob(_DISCARDED_PREFIX + "*"):
        shutil.rmtree(doomed, ignore_errors=True)  # renamed away: nobody reads them


def product_version(soffice: Path) -> str | None:
    """The version of a LibreOffice installation ("7.4"), read from its registry; None if the
    installation is laid out in a way not known here (then the self-test still runs)."""
    program = Path(soffice).resolve().parent
    for relative in _MAIN_REGISTRY:
        try:
            text = (program / relative).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found = _VERSION.search(text)
        if found:
            return found.group(1)
    return None


def _mark_seen(settings: Path, version: str) -> None:
    """Record `version` as the last one started with this profile, as an interactive start does."""
    text = settings.read_text(encoding="utf-8")
    if "ooSetupLastVersion" in text or "</oor:items>" not in text:
        return
    item = (
        '<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion"'
        f' oor:op="fuse"><value>{version}</value></prop></item>\n'
    )
    settings.write_text(text.replace("</oor:items>", item + "</oor:items>"), encoding="utf-8")


def discard(template: Path) -> None:
    """Throw the template away, so that the next conversion makes a fresh profile."""
    # Renamed first so no conversion copies a half-deleted template.
    doomed = template.with_name(f"{_DISCARDED_PREFIX}{os.getpid()}-{template.name}")
    try:
        os.replace(template, doomed)
    except OSError:
        return
    shutil.rmtree(doomed, ignore_errors=True)
