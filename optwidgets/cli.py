"""Command line: ``optwidgets run | sweep | lab``.

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
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optwidgets.config import RunConfig
from optwidgets.errors import ConfigError, DataError

__all__ = ["main", "build_parser", "config_from_args"]


def _add_config_flags(p: argparse.ArgumentParser) -> None:
    """One flag per RunConfig field, named like the field; default None = keep the config's."""
    defaults = RunConfig.__dataclass_fields__
    group = p.add_argument_group("run settings (RunConfig fields)")
    for f in dataclasses.fields(RunConfig):
        flag = "--" + f.name.replace("_", "-")
        default = defaults[f.name].default
        if default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        help_text = f"default: {json.dumps(default) if isinstance(default, dict) else default}"
        if isinstance(default, bool):
            group.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction,
                               default=None, help=help_text)
        elif isinstance(default, dict):
            group.add_argument(flag, dest=f.name, type=_json_dict, default=None,
                               help=help_text + " (JSON, e.g. '{\"rotate\": 15}')")
        else:  # numbers are parsed and range-checked by RunConfig, naming the field
            group.add_argument(flag, dest=f.name, default=None, help=help_text)


def _json_dict(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object like {\"rotate\": 15}")
    return value


def config_from_args(args: argparse.Namespace, base: RunConfig | None = None) -> RunConfig:
    """The RunConfig the flags describe (fields not given keep ``base``'s values)."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(RunConfig)
             if getattr(args, f.name, None) is not None}
    if getattr(args, "config", None):
        base = RunConfig.from_dict(json.loads(Path(args.config).read_text()))
    return (base or RunConfig()).replace(**given) if given or base else RunConfig()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="optwidgets", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p_run = sub.add_parser("run", help="train, compress and measure one configuration")
    _add_config_flags(p_run)
    p_run.add_argument("--config", help="start from a RunConfig JSON file")
    p_run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p_run.add_argument("--store", help="RunStore folder (default: the data home's results)")
    p_run.add_argument("--no-store", action="store_true", help="do not save the run")
    p_run.add_argument("--quiet", action="store_true", help="no progress bar")

    p_lab = sub.add_parser("lab", help="open JupyterLab on the quickstart notebook")
    p_lab.add_argument("--notebook", default="notebooks/00_quickstart.ipynb")
    p_lab.set_defaults(lab_args=[])  # unknown flags (--port 8899 ...) go on to jupyter lab

    try:
        from optwidgets.search.cli import add_sweep_parser
    except ImportError:  # the search package is optional at this layer
        pass
    else:
        add_sweep_parser(sub, _add_config_flags)
    return parser


def _error(message: str, code: int = 2) -> int:
    print(f"optwidgets: error: {message}", file=sys.stderr)
    return code


def _cmd_run(args: argparse.Namespace) -> int:
    from optwidgets.experiment import run
    from optwidgets.train.progress import ProgressBar

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
