"""An installed boardpack (a wheel in a fresh virtual environment, not this checkout) carries
its templates and profiles, and its `boardpack` command builds the example."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

from boardpack.paper.profile import bundled_profiles
from tests.conftest import EXAMPLE, ROOT


def test_a_wheel_installed_in_a_fresh_environment_builds_the_example(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("boardpack-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for template in (ROOT / "templates").glob("*.docx"):
            packed = archive.read(f"boardpack/templates/{template.name}")
            assert packed == template.read_bytes(), template.name
        for name, profile in bundled_profiles().items():
            packed = archive.read(f"boardpack/paper/profiles/{name}.toml")
            assert packed == profile.read_bytes(), name

    # A fresh environment of its own. Its dependencies are this test run's, reached through a
    # path file (which, unlike site-packages itself, does not bring this checkout's editable
    # install along), so the test needs no network; boardpack itself comes from the wheel.
    fresh = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # pip run for the fresh environment's Python, so the command it writes starts that Python.
    subprocess.run(
        [*pip, "--python", str(python), "install", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    command = fresh / ("Scripts/boardpack.exe" if os.name == "nt" else "bin/boardpack")
    assert command.is_file()

    where = subprocess.run(
        [str(python), "-c", "import boardpack; print(boardpack.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert where.startswith(str(site)), where
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    built = subprocess.run(
        [str(command), "build", str(EXAMPLE), "--out", str(out), "--no-pdf"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert (out / "procurement.docx").stat().st_size > 10_000
    listed = subprocess.run(
        [str(command), "profiles"], capture_output=True, text=True, env=env, check=True
    ).stdout
    for name in bundled_profiles():
        assert name in listed


def test_every_subpackage_is_in_the_wheel() -> None:
    # setuptools packs only the packages pyproject.toml lists: a new subpackage left out of the
    # list is missing from an installed boardpack, though every test of this checkout passes.
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "boardpack").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
