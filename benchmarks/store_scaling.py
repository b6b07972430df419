"""A store of many long runs: how long the runs table takes to open, cold.

Builds a store of ``--runs`` run files (default 10,000), each with ``--history`` history
rows (default 2,000: a long run's step losses), then times, each in a fresh Python
process (so nothing is cached in memory; the files are in the OS page cache, as on a
machine that has just written them):

- ``rebuild_s``: ``RunStore(path).to_frame()`` with no index (every file parsed once,
  the index written);
- ``to_frame_s``: ``RunStore(path).to_frame()`` with the index (the cold open);
- ``explorer_s``: ``ow.Explorer(store=path)`` with the index, after the imports;
- ``explorer_empty_s``: the same on an empty store (what the Explorer costs anyway).

The goal is ``to_frame_s`` and ``explorer_s - explorer_empty_s`` at most 1 s each.

    python benchmarks/store_scaling.py [--runs 10000] [--history 2000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optwidgets as ow
from optwidgets.core.io import atomic_write
from optwidgets.runs import RunResult


def build(path: Path, runs: int, history: int) -> int:
    """Write ``runs`` run files (the store's own format), without the index; total bytes."""
    store = ow.RunStore(path)
    template = RunResult(run_id="x", config=ow.RunConfig(dataset="digits", model="mlp"),
                         metrics={"test_acc": 0.9}, size_bytes=1000, params=100,
                         nonzero_params=100, latency_ms=0.1, latency_ms_b256=1.0).to_dict()
    template["history"] = {"step": list(range(1, history + 1)), "epoch": [1] * history,
                           "phase": ["train"] * history, "split": ["train"] * history,
                           "metric": ["loss"] * history,
                           "value": [1.0 / (k + 1) for k in range(history)]}
    total = 0
    for i in range(runs):
        d = dict(template)
        d["run_id"] = f"20260101-{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}-{i:06x}"
        d["metrics"] = {"test_acc": 0.5 + (i % 500) / 1000}
        d["config"] = {**template["config"], "seed": i, "lr": 10 ** (-4 + (i % 30) / 10)}
        data = json.dumps(d).encode()
        atomic_write(store.runs_dir / f"{d['run_id']}.json", data)
        total += len(data)
    return total


def _time_in_fresh_process(code: str, setup: str = "") -> float:
    probe = (f"import time\n{setup}\nt0 = time.perf_counter()\n{code}\n"
             "print(time.perf_counter() - t0)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=10_000)
    p.add_argument("--history", type=int, default=2_000)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ow-store-scaling-"))
    try:
        big, empty = root / "big", root / "empty"
        t0 = time.perf_counter()
        nbytes = build(big, args.runs, args.history)
        build_s = time.perf_counter() - t0
        ow.RunStore(empty)
        frame = f"n = len(ow.RunStore({str(big)!r}).to_frame())"
        imports = "import optwidgets as ow, optwidgets.runs"
        rebuild_s = _time_in_fresh_process(frame, imports)
        to_frame_s = min(_time_in_fresh_process(frame, imports) for _ in range(3))
        setup = "import optwidgets as ow, optwidgets.ui"
        explorer_s = min(_time_in_fresh_process(f"ow.Explorer(store={str(big)!r})", setup)
                         for _ in range(2))
        explorer_empty_s = min(_time_in_fresh_process(f"ow.Explorer(store={str(empty)!r})",
                                                      setup) for _ in range(2))
        out = {"runs": args.runs, "history_rows": args.history,
               "store_mb": round(nbytes / 1e6, 1), "build_s": round(build_s, 1),
               "rebuild_s": round(rebuild_s, 3), "to_frame_s": round(to_frame_s, 3),
               "explorer_s": round(explorer_s, 3),
               "explorer_empty_s": round(explorer_empty_s, 3),
               "explorer_extra_s": round(explorer_s - explorer_empty_s, 3),
               "goal_s": 1.0,
               "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                           "platform": platform.platform()}}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>18}: {v}")


if __name__ == "__main__":
    main()
