"""The layer contract in pyproject.toml holds, and it would catch a breach.

``lint-imports`` checks three contracts: layers only point down (core -> data, models ->
config -> train -> compress -> runs -> tune -> export -> viz -> ui -> cli), the engine
never imports UI libraries, and no two sibling modules import each other in a cycle.
The breach test copies the package under another name, adds one upward import, and
runs the same contracts on the copy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
LINT = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))


def _lint(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([LINT, "--config", "pyproject.toml"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_contracts_hold():
    out = _lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 kept, 0 broken" in out.stdout


def _copy_as(tmp_path: Path, name: str) -> Path:
    """The package copied as ``name`` (imports renamed), with the project's contracts."""
    dest = tmp_path / name
    for src in (ROOT / "optwidgets").rglob("*.py"):
        target = dest / src.relative_to(ROOT / "optwidgets")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(re.sub(r"\boptwidgets\b", name, src.read_text()))
    config = (ROOT / "pyproject.toml").read_text()
    start = config.index("[tool.importlinter]")
    (tmp_path / "pyproject.toml").write_text(
        re.sub(r"\boptwidgets\b", name, config[start:]))
    tomllib.loads((tmp_path / "pyproject.toml").read_text())  # still valid TOML
    return dest


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("core/errors.py", "import {pkg}.runs.store", "Layers only point down"),
    ("train/trainer.py", "from {pkg}.compress import distill", "Layers only point down"),
    ("compress/measure.py", "import plotly", "The engine never imports UI libraries"),
])
def test_an_upward_import_breaks_the_contract(tmp_path, module, line, broken):
    pkg = "owlayercheck"
    dest = _copy_as(tmp_path, pkg)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    assert _lint(tmp_path, env).returncode == 0  # the copy is as clean as the original
    path = dest / module
    path.write_text(path.read_text() + "\n" + line.format(pkg=pkg) + "  # noqa\n")
    out = _lint(tmp_path, env)
    assert out.returncode != 0
    assert f"{broken} BROKEN" in out.stdout, out.stdout
