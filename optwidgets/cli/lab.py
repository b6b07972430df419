"""``optwidgets lessons`` and ``optwidgets lab``: the lessons, wherever the kit came from.

The lessons ship inside the package (``optwidgets/lessons/*.ipynb`` in the wheel, built
from the checkout's ``notebooks/``). From a checkout they are opened in place; from an
install they are copied to a working folder first (files already there are kept, so a
learner's edits survive), and JupyterLab starts there.

Example
-------
>>> from optwidgets.cli.lab import lessons_source
>>> sorted(p.name for p in lessons_source().iterdir() if p.suffix == ".ipynb")[0]
'00_quickstart.ipynb'
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import shutil
import subprocess
import sys
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from optwidgets.core.errors import ConfigError

__all__ = ["lessons_source", "copy_lessons", "add_lab_parsers", "QUICKSTART"]

QUICKSTART = "00_quickstart.ipynb"
_CHECKOUT_LESSONS = Path(__file__).resolve().parents[2] / "notebooks"


def lessons_source() -> Traversable:
    """Where the lessons are: the checkout's ``notebooks/``, else the installed package's."""
    if (_CHECKOUT_LESSONS / QUICKSTART).is_file():
        return _CHECKOUT_LESSONS
    return importlib.resources.files("optwidgets") / "lessons"


def copy_lessons(dest: str | os.PathLike) -> Path:
    """Copy every lesson (and the course index) into ``dest``; existing files are kept."""
    dest = Path(dest).expanduser()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("dir", str(dest), "a folder this user can create",
                          exc.strerror or type(exc).__name__) from None
    for item in lessons_source().iterdir():
        if item.name.endswith((".ipynb", ".md")) and not (dest / item.name).exists():
            (dest / item.name).write_bytes(item.read_bytes())
    return dest


def add_lab_parsers(subparsers: Any) -> None:
    """Add ``lessons`` and ``lab`` to ``optwidgets``' subparsers."""
    p = subparsers.add_parser("lessons", help="copy the lessons to a folder (print its path)")
    p.add_argument("--dir", default="optwidgets-lessons", help="where to copy them")
    p.set_defaults(func=_cmd_lessons)
    p = subparsers.add_parser(
        "lab", help="open JupyterLab on the lessons (in place in a checkout, else copied to "
        "--dir); other flags go on to jupyter lab")
    p.add_argument("--dir", default="optwidgets-lessons",
                   help="where an installed kit copies the lessons (default: %(default)s)")
    p.add_argument("--notebook", default=QUICKSTART, help="the lesson to open first")
    p.set_defaults(func=_cmd_lab, lab_args=[])


def _cmd_lessons(args: argparse.Namespace) -> int:
    print(copy_lessons(args.dir))
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    if shutil.which("jupyter") is None:
        raise ConfigError("command", "lab", "an installed JupyterLab",
                          "pip install 'optwidgets[lab]'")
    source = lessons_source()
    folder = source if isinstance(source, Path) else copy_lessons(args.dir)
    notebook = folder / args.notebook
    if not notebook.is_file():
        raise ConfigError("notebook", args.notebook, "one of " + ", ".join(
            sorted(p.name for p in folder.glob("*.ipynb"))))
    extra = list(args.lab_args)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        extra.append("--allow-root")  # containers and Binder-like boxes often run as root
    print(f"optwidgets: lessons in {folder}", file=sys.stderr)
    return subprocess.call(["jupyter", "lab", str(notebook), *extra], cwd=folder)
