"""RunConfig flags for every command: ``--prune-ratio`` sets ``prune_ratio``.

Example
-------
>>> import argparse
>>> p = argparse.ArgumentParser()
>>> add_config_flags(p)
>>> config_from_args(p.parse_args(["--lr", "0.01", "--model", "mlp"])).lr
0.01
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from optwidgets.config import RunConfig, allowed
from optwidgets.core.errors import ConfigError
from optwidgets.train.callbacks import Callback
from optwidgets.train.loggers import parse_log_spec

__all__ = ["add_config_flags", "config_from_args", "read_config_file", "add_log_flag",
           "add_run_flags", "loggers_from_args"]


def add_config_flags(p: argparse.ArgumentParser) -> None:
    """One flag per RunConfig field, named like the field; default None = keep the config's.

    Each flag's help says what the field allows and its default.
    """
    group = p.add_argument_group("run settings (RunConfig fields)")
    for f in dataclasses.fields(RunConfig):
        flag = "--" + f.name.replace("_", "-")
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING \
            else f.default
        shown = json.dumps(default) if isinstance(default, dict) else default
        help_text = f"{allowed(f.name)} (default: {shown})".replace("%", "%%")
        if isinstance(default, bool):
            group.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction,
                               default=None, help=help_text)
        elif isinstance(default, dict):
            group.add_argument(flag, dest=f.name, type=_json_dict, default=None, help=help_text)
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


def read_config_file(path: str) -> RunConfig:
    """The RunConfig in a JSON file (a RunConfig's ``to_dict()`` or a run's ``to_dict()``).

    Raises ConfigError naming ``config`` for a missing or unreadable file, text that is not
    JSON, or JSON that is not an object.
    """
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError("config", path, "a readable RunConfig JSON file", reason) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError("config", path, "a RunConfig JSON file",
                          f"not JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(data, dict) and isinstance(data.get("config"), dict) and "run_id" in data:
        data = data["config"]  # a stored run's JSON: its config
    if not isinstance(data, dict):
        raise ConfigError("config", path, "a JSON object of RunConfig fields",
                          f"the file holds a JSON {type(data).__name__}")
    return RunConfig.from_dict(data)


def config_from_args(args: argparse.Namespace, base: RunConfig | None = None) -> RunConfig:
    """The RunConfig the flags describe (fields not given keep ``base``'s values)."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(RunConfig)
             if getattr(args, f.name, None) is not None}
    if getattr(args, "config", None):
        base = read_config_file(args.config)
    return (base or RunConfig()).replace(**given) if given or base else RunConfig()


def add_run_flags(p: argparse.ArgumentParser) -> None:
    """What every command that runs (``run``, ``search``, ``sweep``) takes besides the
    RunConfig fields: ``--config``, ``--json``, ``--store`` / ``--no-store``, ``--quiet``
    and ``--log``."""
    p.add_argument("--config", help="start from a RunConfig JSON file (or a stored run's)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--store", help="RunStore folder (default: the data home's results)")
    p.add_argument("--no-store", action="store_true", help="do not save the runs")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    add_log_flag(p)


def add_log_flag(p: argparse.ArgumentParser) -> None:
    """``--log tensorboard:DIR`` / ``--log mlflow[:URI]``, repeatable."""
    p.add_argument("--log", action="append", default=[], metavar="SPEC",
                   help="log each run to tensorboard:DIR or mlflow[:URI] (repeatable)")


def loggers_from_args(args: argparse.Namespace) -> list[Callback]:
    """The logger callbacks ``--log`` asks for (ConfigError for a bad spec or a missing
    library, naming ``log``)."""
    out: list[Callback] = []
    for spec in getattr(args, "log", []) or []:
        try:
            out.append(parse_log_spec(spec))
        except ImportError as exc:
            raise ConfigError("log", spec, "a logger whose library is installed",
                              str(exc)) from None
    return out
