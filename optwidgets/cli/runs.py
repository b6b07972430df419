"""``optwidgets runs list | show ID | export FILE.csv | delete ID`` and ``export-script``.

Example
-------
``optwidgets runs list --json`` prints the store's runs as one JSON object
``{"runs": [{"run_id": ..., "status": ..., "test_acc": ..., ...}, ...]}``;
``optwidgets export-script 20261201-101500-a1b2c3 -o train.py`` writes the plain PyTorch
script that reproduces that run.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from optwidgets.cli.flags import read_config_file
from optwidgets.core.errors import ConfigError
from optwidgets.core.io import json_safe
from optwidgets.export import write_script
from optwidgets.runs import RunStore, as_store

__all__ = ["add_runs_parser", "add_export_script_parser", "LIST_COLUMNS"]

# what `runs list` shows in a terminal (every column goes to --json and the CSV)
LIST_COLUMNS = ("run_id", "status", "dataset", "model", "technique", "test_acc", "size_bytes",
                "size_encoding", "latency_ms", "train_seconds")


def _store_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", help="RunStore folder (default: the data home's results)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def add_runs_parser(subparsers: Any) -> Any:
    """Add ``runs list | show | export | delete`` to ``optwidgets``' subparsers."""
    p = subparsers.add_parser("runs", help="list, show, export or delete stored runs")
    sub = p.add_subparsers(dest="runs_command", required=True, parser_class=type(p))
    p_list = sub.add_parser("list", help="one line per stored run")
    _store_flags(p_list)
    p_show = sub.add_parser("show", help="one run's summary (its whole record with --json)")
    p_show.add_argument("run_id")
    _store_flags(p_show)
    p_export = sub.add_parser("export", help="every run's row to a CSV file")
    p_export.add_argument("file", help="the CSV file to write")
    _store_flags(p_export)
    p_delete = sub.add_parser("delete", help="remove a run's record, weights and artefact")
    p_delete.add_argument("run_id")
    _store_flags(p_delete)
    p.set_defaults(func=_cmd_runs)
    return p


def add_export_script_parser(subparsers: Any) -> Any:
    """Add ``export-script ID|--config F -o FILE`` to ``optwidgets``' subparsers."""
    p = subparsers.add_parser("export-script",
                              help="write a plain PyTorch script that reproduces a run")
    p.add_argument("run_id", nargs="?", help="a stored run's id")
    p.add_argument("--config", help="or a RunConfig JSON file")
    p.add_argument("-o", "--output", default="train.py", help="the script to write")
    _store_flags(p)
    p.set_defaults(func=_cmd_export_script)
    return p


def _store(args: argparse.Namespace) -> RunStore:
    store = as_store(args.store or None)
    assert store is not None
    return store


def _print(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if args.json:
        sys.stdout.write(json.dumps(json_safe(payload)) + "\n")
    else:
        print(text)


def _cmd_runs(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.runs_command == "list":
        frame = store.to_frame()
        cols = [c for c in LIST_COLUMNS if c in frame.columns]
        text = frame[cols].to_string(index=False) if len(frame) else "no runs in " + str(
            store.path)
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        _print(args, {"store": str(store.path), "runs": rows}, text)
    elif args.runs_command == "show":
        result = store.load(args.run_id)
        d = result.to_dict()
        d.get("extras", {}).pop("traceback", None)
        _print(args, d, result.summary())
    elif args.runs_command == "export":
        frame = store.to_frame()
        try:
            frame.to_csv(args.file, index=False)
        except OSError as exc:
            raise ConfigError("file", args.file, "a CSV path this user can write",
                              exc.strerror or type(exc).__name__) from None
        _print(args, {"file": args.file, "runs": len(frame)},
               f"wrote {len(frame)} runs to {args.file}")
    else:
        store.load(args.run_id)  # refuses an unknown id, naming the close ones
        store.delete(args.run_id)
        _print(args, {"deleted": args.run_id}, f"deleted {args.run_id}")
    return 0


def _cmd_export_script(args: argparse.Namespace) -> int:
    if (args.run_id is None) == (args.config is None):
        raise ConfigError("run_id", args.run_id, "a stored run id or --config FILE (one of them)")
    cfg = read_config_file(args.config) if args.config else _store(args).load(args.run_id).config
    path = write_script(cfg, args.output)
    _print(args, {"script": str(path)}, f"wrote {path}: run it with python {path}")
    return 0
