"""Command line: ``optwidgets run | search | sweep | lab``.

Flags mirror RunConfig field names (``--prune-ratio`` sets ``prune_ratio``); tuples take
commas (``--hidden 128,64``), ``--augment`` takes JSON. ``--json`` prints exactly one
JSON object on stdout (the RunResult's ``to_dict()``); progress goes to stderr.

Example
-------
>>> from optwidgets.cli import main
>>> main(["run", "--dataset", "moons", "--model", "mlp", "--epochs", "1", "--no-store",
...       "--quiet"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optwidgets.cli.flags import add_config_flags, config_from_args
from optwidgets.cli.search import add_search_parser
from optwidgets.cli.sweep import add_sweep_parser
from optwidgets.core.errors import ConfigError, DataError
from optwidgets.runs import run
from optwidgets.train.progress import ProgressBar

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="optwidgets", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p_run = sub.add_parser("run", help="train, compress and measure one configuration")
    add_config_flags(p_run)
    p_run.add_argument("--config", help="start from a RunConfig JSON file")
    p_run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p_run.add_argument("--store", help="RunStore folder (default: the data home's results)")
    p_run.add_argument("--no-store", action="store_true", help="do not save the run")
    p_run.add_argument("--quiet", action="store_true", help="no progress bar")

    p_lab = sub.add_parser("lab", help="open JupyterLab on the quickstart notebook")
    p_lab.add_argument("--notebook", default="notebooks/00_quickstart.ipynb")
    p_lab.set_defaults(lab_args=[])  # unknown flags (--port 8899 ...) go on to jupyter lab

    add_search_parser(sub)
    add_sweep_parser(sub)
    return parser


def _error(message: str, code: int = 2) -> int:
    print(f"optwidgets: error: {message}", file=sys.stderr)
    return code


def _cmd_run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    store: Any = False if args.no_store else (args.store or None)
    callbacks = [] if args.quiet else [ProgressBar()]
    result = run(cfg, callbacks=callbacks, store=store)
    if args.json:
        d = result.to_dict()
        d.get("extras", {}).pop("traceback", None)
        sys.stdout.write(json.dumps(d) + "\n")
    else:
        print(result.summary())
    return 0 if result.status in ("done", "stopped") else 1


def _cmd_lab(args: argparse.Namespace) -> int:
    import shutil
    import subprocess

    if shutil.which("jupyter") is None:
        return _error("JupyterLab is not installed: pip install 'optwidgets[lab]'")
    nb = Path(args.notebook)
    if not nb.exists():
        return _error(f"notebook={str(nb)!r} does not exist: run from the optwidgets checkout "
                      "or pass --notebook PATH")
    extra = list(args.lab_args)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        extra.append("--allow-root")  # containers and Binder-like boxes often run as root
    return subprocess.call(["jupyter", "lab", str(nb), *extra])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``optwidgets`` command; returns the exit code."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command != "lab":
        parser.error("unrecognized arguments: " + " ".join(unknown))
    if args.command == "lab":
        args.lab_args = unknown
    try:
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "lab":
            return _cmd_lab(args)
        return args.func(args)
    except (ConfigError, DataError) as exc:
        return _error(str(exc))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
