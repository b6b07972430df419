"""Command line: ``optwidgets run | search | sweep | runs | export-script | lessons | lab``.

Flags mirror RunConfig field names (``--prune-ratio`` sets ``prune_ratio``); tuples take
commas (``--hidden 128,64``), ``--augment`` takes JSON. ``--json`` prints exactly one
JSON object on stdout (the RunResult's ``to_dict()``); progress goes to stderr.

A user's mistake (a bad value, a missing file, an unknown run id) never prints a
traceback: one message naming the field (or file), the value and what is allowed, and
exit code 2; with ``--json`` that message is one JSON object ``{"error": ..., "field":
..., "value": ...}`` on stdout. A run that fails or diverges exits 1.

Example
-------
>>> from optwidgets.cli import main
>>> main(["run", "--dataset", "moons", "--model", "mlp", "--epochs", "1", "--no-store",
...       "--quiet"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from optwidgets import __version__
from optwidgets.cli.flags import (
    add_config_flags,
    add_run_flags,
    config_from_args,
    loggers_from_args,
)
from optwidgets.cli.lab import add_lab_parsers
from optwidgets.cli.lr_find import add_lr_find_parser
from optwidgets.cli.runs import add_export_script_parser, add_runs_parser
from optwidgets.cli.search import add_search_parser
from optwidgets.cli.sweep import add_sweep_parser
from optwidgets.cli.tables import add_tables_parser
from optwidgets.core.errors import ConfigError, DataError
from optwidgets.runs import run
from optwidgets.train.progress import ProgressBar

__all__ = ["main", "build_parser", "UsageError"]


class UsageError(Exception):
    """A command line argparse refused (unknown flag, missing value)."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``--json`` can report the error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="optwidgets", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"optwidgets {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p_run = sub.add_parser("run", help="train, compress and measure one configuration")
    add_config_flags(p_run)
    add_run_flags(p_run)
    p_run.set_defaults(func=_cmd_run)

    add_lab_parsers(sub)  # unknown flags of `lab` go on to jupyter lab
    add_search_parser(sub)
    add_sweep_parser(sub)
    add_lr_find_parser(sub)
    add_tables_parser(sub)
    add_runs_parser(sub)
    add_export_script_parser(sub)
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    store: Any = False if args.no_store else (args.store or None)
    callbacks = [*loggers_from_args(args), *([] if args.quiet else [ProgressBar()])]
    result = run(cfg, callbacks=callbacks, store=store)
    if args.json:
        d = result.to_dict()
        d.get("extras", {}).pop("traceback", None)
        sys.stdout.write(json.dumps(d) + "\n")
    else:
        print(result.summary())
    return 0 if result.status in ("done", "stopped") else 1


def _report(exc: Exception, as_json: bool) -> int:
    """Print a user's mistake as one line (or one JSON object with --json); exit code 2."""
    field = getattr(exc, "field", None)
    value = getattr(exc, "value", None)
    if as_json:
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            value = repr(value)
        sys.stdout.write(json.dumps({"error": str(exc), "field": field, "value": value}) + "\n")
    else:
        print(f"optwidgets: error: {exc}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``optwidgets`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown and args.command != "lab":
            raise UsageError("optwidgets: unrecognized arguments: " + " ".join(unknown))
        if args.command == "lab":
            args.lab_args = unknown
        return int(args.func(args))
    except (ConfigError, DataError, UsageError) as exc:
        return _report(exc, as_json)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
