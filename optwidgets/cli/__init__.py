"""The ``optwidgets`` command: ``run | search | sweep | lab``.

Example
-------
>>> from optwidgets.cli import build_parser
>>> sorted(build_parser()._subparsers._group_actions[0].choices)[:3]
['lab', 'run', 'search']
"""

from optwidgets.cli.main import build_parser, main

__all__ = ["main", "build_parser"]
