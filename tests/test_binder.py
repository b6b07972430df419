"""binder/ (what mybinder.org builds) agrees with pyproject.toml."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _lines(path: Path) -> list[str]:
    lines = (
        re.split(r"(^|\s)#", line, maxsplit=1)[0].strip() for line in path.read_text().splitlines()
    )
    return [line for line in lines if line]


def _binder_requirements() -> tuple[dict[str, Requirement], list[str], list[str]]:
    """(named requirements, local paths with extras, option lines) of binder/requirements.txt."""
    named: dict[str, Requirement] = {}
    local, options = [], []
    for line in _lines(BINDER / "requirements.txt"):
        editable = re.match(r"(-e|--editable)[\s=]+(.+)", line)
        if editable or line.startswith("."):
            local.append(editable.group(2) if editable else line)
        elif line.startswith("-"):
            options.append(line)
        else:
            req = Requirement(line)
            named[canonicalize_name(req.name)] = req
    return named, local, options


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _pinned(req: Requirement) -> Version | None:
    pins = [s.version for s in req.specifier if s.operator == "=="]
    return Version(pins[0]) if len(pins) == 1 else None


def test_binder_installs_this_package_with_known_extras():
    _, local, _ = _binder_requirements()
    assert len(local) == 1, f"binder/requirements.txt should install the repo once: {local}"
    path, _, extras = local[0].partition("[")
    assert (REPO / path / "pyproject.toml").resolve() == (REPO / "pyproject.toml").resolve()
    project = _pyproject()
    assert project["name"] == "optwidgets"
    wanted = {e.strip() for e in extras.rstrip("]").split(",") if e.strip()}
    assert wanted <= set(project.get("optional-dependencies", {})), wanted
    assert "lab" in wanted, "Binder opens JupyterLab: install the [lab] extra"


def test_binder_pins_satisfy_pyproject_dependencies():
    named, local, _ = _binder_requirements()
    project = _pyproject()
    extras = re.findall(r"[\w-]+", local[0].partition("[")[2])
    deps = list(project["dependencies"])
    for extra in extras:
        deps += project["optional-dependencies"][extra]
    checked = 0
    for dep in map(Requirement, deps):
        req = named.get(canonicalize_name(dep.name))
        if req is None or (pin := _pinned(req)) is None:
            continue
        assert dep.specifier.contains(pin, prereleases=True), (
            f"binder pins {req} outside pyproject's {dep}"
        )
        checked += 1
    assert checked >= 2, "expected binder to pin at least torch and jupyterlab"


def test_binder_torch_is_a_cpu_build_inside_pyproject_range():
    named, _, options = _binder_requirements()
    pin = _pinned(named["torch"])
    assert pin is not None and pin.local == "cpu", "pin torch==X.Y.Z+cpu"
    torch_dep = next(Requirement(d) for d in _pyproject()["dependencies"] if d.startswith("torch"))
    assert torch_dep.specifier.contains(pin)
    assert f"--extra-index-url {CPU_INDEX}" in options
    # Same torch release as CI installs (.ci/constraints.txt).
    ci_pin = Requirement(_lines(REPO / ".ci" / "constraints.txt")[0])
    assert ci_pin.specifier.contains(pin)


def test_binder_python_is_allowed_by_requires_python():
    (runtime,) = _lines(BINDER / "runtime.txt")
    version = Version(runtime.removeprefix("python-"))
    assert SpecifierSet(_pyproject()["requires-python"]).contains(version)


def test_binder_start_caps_threads_and_execs():
    probe = [sys.executable, "-c", "import os; print(os.environ['OMP_NUM_THREADS'])"]
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run(
        ["bash", str(BINDER / "start"), *probe], env=env, capture_output=True, text=True, check=True
    )
    assert int(out.stdout) >= 1
    env["OMP_NUM_THREADS"] = "3"
    out = subprocess.run(
        ["bash", str(BINDER / "start"), *probe], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "3"


def test_binder_post_build_writes_lab_overrides(tmp_path):
    env = dict(os.environ, NB_PYTHON_PREFIX=str(tmp_path))
    subprocess.run(["bash", str(BINDER / "postBuild")], env=env, check=True)
    overrides = json.loads((tmp_path / "share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_binder_scripts_are_executable():
    for name in ("start", "postBuild"):
        assert os.access(BINDER / name, os.X_OK), f"binder/{name} must be executable"


def test_binder_launch_link_opens_an_existing_notebook():
    urlpaths = set(
        re.findall(r"urlpath=lab/tree/([\w./-]+\.ipynb)", (BINDER / "README.md").read_text())
    )
    assert urlpaths == {"notebooks/00_quickstart.ipynb"}
    if not (REPO / "notebooks" / "00_quickstart.ipynb").exists():
        pytest.skip("notebooks/00_quickstart.ipynb is not written yet")
