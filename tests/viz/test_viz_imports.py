"""optwidgets.viz stays light: no torch, no ipywidgets (checked in fresh interpreters)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import optwidgets.viz as viz

PACKAGE_DIR = Path(viz.__file__).resolve().parents[1]  # .../optwidgets
HEAVY = ("torch", "ipywidgets", "anywidget", "optuna")

# Makes `import torch` fail, so a test that passes proves torch is never even tried
# (and we do not pay seconds importing it just to see it in sys.modules).
BLOCK_TORCH = textwrap.dedent(
    """
    import sys
    class _BlockTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError("torch is blocked in this test")
            return None
    sys.meta_path.insert(0, _BlockTorch())
    """
)


def _run(code: str) -> subprocess.CompletedProcess:
    probe = (
        BLOCK_TORCH
        + textwrap.dedent(code)
        + f"\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)


def test_viz_itself_imports_no_heavy_module():
    # Load optwidgets.viz under an empty stand-in for the parent package, so only the
    # viz modules (and what they import) are measured, whatever optwidgets/__init__ does.
    out = _run(
        f"""
        import types
        parent = types.ModuleType("optwidgets")
        parent.__path__ = [{str(PACKAGE_DIR)!r}]
        sys.modules["optwidgets"] = parent
        import optwidgets.viz
        assert optwidgets.viz.loss_curves
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_import_optwidgets_viz_imports_no_heavy_module():
    out = _run("import optwidgets.viz\n")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ""


def test_all_names_exist():
    for name in viz.__all__:
        assert hasattr(viz, name), name
    assert len(viz.__all__) == len(set(viz.__all__))
