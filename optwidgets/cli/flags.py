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

from optwidgets.config import RunConfig

__all__ = ["add_config_flags", "config_from_args"]


def add_config_flags(p: argparse.ArgumentParser) -> None:
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
