"""The ``optwidgets`` command: ``run | search | sweep | runs | export-script | lr-find |
lessons | lab``.

Example
-------
>>> from optwidgets.cli import build_parser
>>> commands = build_parser()._subparsers._group_actions[0].choices
>>> [c in commands for c in ("run", "search", "sweep", "runs", "lr-find", "lab")]
[True, True, True, True, True, True]
"""

from optwidgets.cli.main import build_parser, main

__all__ = ["main", "build_parser"]
