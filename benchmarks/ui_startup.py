"""UI start-up: how long a fresh kernel takes from ``import optwidgets`` to the Explorer
on screen, and until it is ready to train.

Each repeat starts a new IPython kernel (jupyter_client, the ``python3`` kernel of this
environment) and runs, as a notebook would, one cell::

    import optwidgets as ow
    explorer = ow.Explorer(ow.RunConfig(dataset="digits", model="mlp", epochs=10), store=...)
    display(explorer)

timed from the moment the cell is sent. ``first_display_s`` is when the kernel sends the
Explorer's ``display_data`` (its widget view: from then on the browser draws the
dashboard); ``import_s`` the ``import optwidgets`` alone (the package imports its UI
lazily); ``ready_s`` when the dashboard's background work is done (its FigureWidgets
made, plotly's bundle sent, the first optimizer's ``torch._dynamo`` import paid: see
``Explorer.ready``), so the first Train pays nothing more. Also counted: the bytes of
widget messages sent until the display and until ready (``display_bytes``,
``ready_bytes``). Medians over the repeats; each repeat is a fresh process, so nothing
is warm but the operating system's file cache.

    python benchmarks/ui_startup.py [--repeats 5] [--json]

Target (issue 10): ``first_display_s`` <= 3.0.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"first_display_s": 3.0}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

CELL = """\
import time as _time
_t0 = _time.perf_counter()
import optwidgets as ow
_import_s = _time.perf_counter() - _t0
explorer = ow.Explorer(ow.RunConfig(dataset="digits", model="mlp", epochs=10), store={store!r})
display(explorer)
"""
READY = "explorer.ready(300); print('ready')"


def _size(msg: dict) -> int:
    content = json.dumps(msg.get("content", {}), default=str)
    return len(content) + sum(memoryview(b).nbytes for b in msg.get("buffers") or ())


REPO = Path(__file__).resolve().parents[1]


def one_start(store: str, timeout: float = 300) -> dict:
    from jupyter_client.manager import start_new_kernel

    # this checkout first on the kernel's path (an editable install may point elsewhere)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p))  # fmt: skip
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(REPO), env=env)
    try:
        # the kernel is up and has imported nothing of ours
        kc.execute_interactive("import sys", timeout=60, output_hook=lambda m: None)
        out: dict = {"display_bytes": 0, "ready_bytes": 0}
        t0 = time.perf_counter()
        msg_id = kc.execute(CELL.format(store=store))
        shown = False
        while True:
            msg = kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind.startswith("comm"):
                out["display_bytes" if not shown else "ready_bytes"] += _size(msg)
            if kind == "error":
                raise RuntimeError("\n".join(msg["content"]["traceback"]))
            if kind == "display_data" and WIDGET_VIEW in msg["content"]["data"] and not shown:
                out["first_display_s"] = time.perf_counter() - t0
                shown = True
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                out["cell_s"] = time.perf_counter() - t0
                break
        texts: list[str] = []

        def hook(m: dict) -> None:
            if m["msg_type"] == "stream":
                texts.append(m["content"]["text"])
            elif m["msg_type"].startswith("comm"):
                out["ready_bytes"] += _size(m)

        kc.execute_interactive("print(round(_import_s, 4))", timeout=60, output_hook=hook)
        out["import_s"] = float("".join(texts).strip() or "nan")
        # ready: the background thread's comm messages arrive with no cell running
        msg_id = kc.execute(READY)
        while True:
            msg = kc.get_iopub_msg(timeout=timeout)
            kind = msg["msg_type"]
            if kind.startswith("comm"):
                out["ready_bytes"] += _size(msg)
            if msg["parent_header"].get("msg_id") == msg_id and kind == "stream":
                out["ready_s"] = time.perf_counter() - t0
            if (msg["parent_header"].get("msg_id") == msg_id and kind == "status"
                    and msg["content"]["execution_state"] == "idle"):  # fmt: skip
                break
        out["ready_bytes"] += out["display_bytes"]
        return out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="fresh kernels started")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    runs = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="ui-startup-") as store:
            runs.append(one_start(store))
    med = statistics.median
    out = {
        "repeats": args.repeats,
        "first_display_s": round(med(r["first_display_s"] for r in runs), 3),
        "first_display_s_max": round(max(r["first_display_s"] for r in runs), 3),
        "import_s": round(med(r["import_s"] for r in runs), 3),
        "cell_s": round(med(r["cell_s"] for r in runs), 3),
        "ready_s": round(med(r["ready_s"] for r in runs), 3),
        "display_bytes": int(med(r["display_bytes"] for r in runs)),
        "ready_bytes": int(med(r["ready_bytes"] for r in runs)),
        "runs": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                 for r in runs],  # fmt: skip
        "targets": TARGETS,
    }
    out["pass"] = out["first_display_s"] <= TARGETS["first_display_s"]
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(
            f"{args.repeats} fresh kernels: first display {out['first_display_s']} s "
            f"(max {out['first_display_s_max']}), import {out['import_s']} s, "
            f"ready {out['ready_s']} s; {out['display_bytes']:,} bytes to the display, "
            f"{out['ready_bytes']:,} until ready"
        )
        print("  pass" if out["pass"] else "  FAIL")
    return out


if __name__ == "__main__":
    sys.exit(0 if main()["pass"] else 1)
