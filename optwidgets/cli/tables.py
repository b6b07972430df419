"""``optwidgets tables``: the article's twelve tables, measured on this machine.

Example
-------
``optwidgets tables --only 4 --json`` prints a list with one object ``{"number": 4,
"title": ..., "claim": ..., "article": [...], "rows": [...], "budget": "quick", "device":
"cpu", "seeds": [...], "notes": [...], "left_out": [...]}``; without ``--only``, all
twelve. Without ``--json`` each table is printed as text. A progress bar (one step per
table) goes to stderr. ``--csv DIR`` also writes each table as a CSV file with the date
and hardware in its first columns, and ``DIR/machine.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from optwidgets.core.errors import ConfigError
from optwidgets.core.io import atomic_write
from optwidgets.studies import (
    BUDGETS,
    TABLES,
    check_budget,
    check_device,
    check_only,
    hardware,
    run_table,
    save_csv,
    table_record,
)

__all__ = ["add_tables_parser"]


def add_tables_parser(subparsers: Any) -> Any:
    """Add ``tables`` to ``optwidgets``' subparsers."""
    p = subparsers.add_parser("tables", help="measure the article's twelve tables here")
    p.add_argument("--only", default=None,
                   help=f"one table, a number from 1 to {len(TABLES)} (default: all)")
    p.add_argument("--budget", default="quick",
                   help="one of " + ", ".join(map(repr, BUDGETS))
                   + " (quick: minutes on two cores; full: larger, five seeds)")
    p.add_argument("--device", default="cpu", help="'cpu', 'cuda', 'mps' or 'auto'")
    p.add_argument("--csv", default=None, metavar="DIR",
                   help="also write each table as DIR/tableNN_<name>.csv (date, hardware)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of the tables (title, claim, rows) on stdout")
    p.set_defaults(func=_cmd_tables)
    return p


def _text(record: dict[str, Any], table: Any) -> str:
    import pandas as pd  # for printing only

    lines = [f"Table {record['number']}: {record['title']}",
             f"  the article claims: {record['claim']}",
             "  the article's (invented) numbers:",
             pd.DataFrame(record["article"]).to_string(index=False),
             f"  measured ({record['budget']} budget, {record['device']}, seeds "
             f"{record['seeds']}):",
             table.to_string(index=False, float_format=lambda v: f"{v:.4g}")]
    lines += [f"  note: {n}" for n in record["notes"]]
    lines += [f"  left out: {n}" for n in record["left_out"]]
    return "\n".join(lines) + "\n"


def _cmd_tables(args: argparse.Namespace) -> int:
    # every setting is checked before anything runs
    numbers = [check_only(args.only)] if args.only is not None else [t.number for t in TABLES]
    budget = check_budget(args.budget)
    device = check_device(args.device)
    folder = Path(args.csv) if args.csv else None
    machine = hardware()
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError("csv", str(folder), "a folder that can be created",
                              str(exc)) from None
    records = []
    bar = tqdm(numbers, desc="tables", unit="table", file=sys.stderr, leave=False,
               dynamic_ncols=True)
    for n in bar:
        bar.set_postfix_str(TABLES[n - 1].key)
        table = run_table(n, budget, device)
        record = table_record(n, table)
        records.append(record)
        if folder is not None:
            save_csv(n, table, folder, machine)
        if not args.json:
            tqdm.write(_text(record, table), file=sys.stdout)
    bar.close()
    if folder is not None:
        atomic_write(folder / "machine.json",
                     (json.dumps({**machine, "budget": budget.name, "device": device,
                                  "tables": numbers}, indent=2) + "\n").encode())
    if args.json:
        sys.stdout.write(json.dumps(records) + "\n")
    return 0
