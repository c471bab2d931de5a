"""An installed boardpack (a wheel, not this checkout) carries its templates and builds a paper."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import EXAMPLE, ROOT


def test_an_installed_wheel_carries_the_templates_and_builds_a_paper(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("boardpack-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for name in ("highlight-report.docx", "board-pack.docx"):
            bundled = archive.read(f"boardpack/templates/{name}")
            assert bundled == (ROOT / "templates" / name).read_bytes()

    installed = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(installed), str(wheel)],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "out"
    code = (
        "import boardpack, boardpack.outputs.render as r\n"
        f"assert r.__file__.startswith({str(installed)!r}), r.__file__\n"
        f"report = boardpack.build([{str(EXAMPLE)!r}], {str(out)!r}, pdf=False)\n"
        "assert report.ok, [str(p.error) for p in report.papers]\n"
        "from boardpack.paper.profile import load_profile\n"
        "assert load_profile('jib').name == 'JIB highlight report'\n"
    )
    # Run from elsewhere, with the installed copy first on the path, as a user's would be.
    env = {**os.environ, "PYTHONPATH": str(installed)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, env=env)
    assert (out / "procurement.docx").stat().st_size > 10_000
