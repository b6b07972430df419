"""``optwidgets lr-find``: the learning-rate range test from the command line.

Example
-------
``optwidgets lr-find --dataset digits --model mlp --optimizer sgd --json`` prints
``{"suggestion": ..., "min_lr": ..., "rule": ..., "curve": [{"step":..., "lr":...,
"loss":..., "smoothed":...}, ...]}``; without ``--json``, the suggestion and a coarse curve.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from optwidgets.cli.flags import add_config_flags, config_from_args
from optwidgets.runs.lr_find import lr_find

__all__ = ["add_lr_find_parser"]


def add_lr_find_parser(subparsers: Any) -> Any:
    """Add ``lr-find`` to ``optwidgets``' subparsers."""
    p = subparsers.add_parser("lr-find", help="ramp the learning rate and suggest one")
    add_config_flags(p)
    g = p.add_argument_group("ramp")
    g.add_argument("--start-lr", type=float, default=1e-6)
    g.add_argument("--end-lr", type=float, default=10.0)
    g.add_argument("--steps", type=int, default=200)
    p.add_argument("--config", help="start from a RunConfig JSON file (or a stored run's)")
    p.add_argument("--json", action="store_true", help="print the curve as one JSON object")
    p.set_defaults(func=_cmd_lr_find)
    return p


def _cmd_lr_find(args: argparse.Namespace) -> int:
    found = lr_find(config_from_args(args), start_lr=args.start_lr, end_lr=args.end_lr,
                    steps=args.steps)
    if args.json:
        sys.stdout.write(json.dumps({"suggestion": found.suggestion, "min_lr": found.min_lr,
                                     "rule": found.rule, "stopped_early": found.stopped_early,
                                     "curve": found.curve.to_dict("records")}) + "\n")
        return 0
    every = max(1, len(found.curve) // 12)
    print(found.curve.iloc[::every].to_string(index=False, float_format="%.4g"))
    print(f"suggested lr: {found.suggestion:.3g}  ({found.rule})")
    return 0
