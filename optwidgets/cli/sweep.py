"""``optwidgets sweep``: one knob over a series of values, every other setting kept.

Example
-------
``optwidgets sweep --knob quant_bits --values 2,4,8 --quant-mode simulated --model mlp
--json`` prints one JSON object: ``{"knob": "quant_bits", "values": [2, 4, 8],
"runs": [<RunResult.to_dict()>, ...]}``. Progress goes to stderr; the exit code is 0
when every run finished ``done`` or ``stopped``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from optwidgets.cli.flags import (
    add_config_flags,
    add_run_flags,
    config_from_args,
    loggers_from_args,
)
from optwidgets.runs import RunResult
from optwidgets.tune.sweep import SWEEPABLE, default_values, parse_values, sweep_knob

__all__ = ["add_sweep_parser"]


def add_sweep_parser(subparsers: Any) -> Any:
    """Add the ``sweep`` command to ``optwidgets``' subparsers."""
    p = subparsers.add_parser(
        "sweep",
        help="run one RunConfig field over a series of values (prune ratio, bits, rank, ...)",
        description="Every flag of 'optwidgets run' sets the base config; --knob and "
        "--values say which field walks which series.",
    )
    add_config_flags(p)
    g = p.add_argument_group("sweep")
    g.add_argument("--knob", required=True,
                   help="the RunConfig field swept; with default series: " + ", ".join(SWEEPABLE))
    g.add_argument("--values", default=None,
                   help="numbers separated by commas (default: the knob's series)")
    add_run_flags(p)
    p.set_defaults(func=_cmd_sweep)
    return p


def _progress(result: RunResult) -> None:
    acc = result.metrics.get("test_acc")
    print(f"{result.run_id} {result.status:<8} test_acc={acc if acc is None else round(acc, 4)} "
          f"size_bytes={result.size_bytes}", file=sys.stderr, flush=True)


def _cmd_sweep(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    values = default_values(args.knob) if args.values is None else parse_values(args.values)
    store: Any = False if args.no_store else (args.store or None)
    runs = sweep_knob(cfg, args.knob, values, store=store, callbacks=loggers_from_args(args),
                      on_result=None if args.quiet else _progress)
    if args.json:
        out = {"knob": args.knob, "values": list(values),
               "runs": [r.to_dict() for r in runs]}
        for d in out["runs"]:
            d.get("extras", {}).pop("traceback", None)
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        for r in runs:
            print(r.summary())
    return 0 if all(r.status in ("done", "stopped") for r in runs) else 1
