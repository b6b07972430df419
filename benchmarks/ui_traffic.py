"""UI traffic: what the Explorer sends to the browser during a ~2,000-step run, and what
the live curves cost the training loop.

Headless, in a plain Python process (no kernel, no browser). How the traffic is counted:
every ipywidget opens a comm through ``comm.create_comm``; without a kernel that returns
``comm.DummyComm``, which drops messages. This script replaces ``comm.create_comm``
*before any widget exists* with :class:`RecordingComm`, a DummyComm whose
``publish_msg`` counts each message and its size: the JSON of the message data (what
ipykernel would serialize) plus the bytes of its binary buffers (numpy arrays of
plotly traces travel as buffers). Messages sent while the Explorer is built and made
ready (the widgets' ``comm_open``: plotly's ~5 MB bundle once, carried by the page bridge
for all the figures, and itables' grid code) are reported apart as ``setup_*``;
``messages`` and ``bytes`` count from the Train click to the end of the run (live
curves, progress line, status line, and the trade-off plot and runs grid refreshed at
the end), median over the repeats, after a warm-up run (``first_run_*``).

Throughput: ``train_seconds`` of the same config run by plain ``ow.run(cfg)`` (no
callbacks) and by the Explorer (live curves attached), repeats alternating which side
goes first; ``throughput_ratio`` = median plain seconds / median Explorer seconds
(1.0 = free). On a machine shared with other jobs wall time mostly measures the
neighbours, so ``throughput_ratio_cpu`` does the same with the CPU time of the training
thread (``time.thread_time`` between the ``train`` and ``measure`` phases: what the
live curves take from training, whoever else is running).

``redraws_per_s`` is redraws / ``train_seconds`` of the run; ``redraws_max_in_1s`` the
most redraws that started within any one second.

    python benchmarks/ui_traffic.py [--steps 2000] [--repeats 5] [--threads 1] [--json]

Targets (issue 3): ``bytes`` <= 1,000,000, ``redraws_per_s`` <= 10, ``throughput_ratio``
>= 0.90. ``--threads 1`` (default) pins torch to one thread: on a small shared machine
torch's default thread pool oversubscribes the cores and a tiny mlp runs ~10x slower,
which would measure the machine, not the UI.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections import Counter

import comm

TARGETS = {"bytes": 1_000_000, "redraws_per_s": 10.0, "throughput_ratio": 0.90}


class RecordingComm(comm.DummyComm):
    """A comm that counts what it would send: messages, bytes, and per widget model."""

    messages = 0
    bytes = 0
    by_model: Counter = Counter()

    def __init__(self, *args, **kwargs):
        state = (kwargs.get("data") or {}).get("state") or {}
        self.model_name = state.get("_model_name", "?")
        super().__init__(*args, **kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        size = len(json.dumps({"data": data, "metadata": metadata}, default=str))
        size += sum(memoryview(b).nbytes for b in buffers or ())
        cls = RecordingComm
        cls.messages += 1
        cls.bytes += size
        cls.by_model[self.model_name] += size

    @classmethod
    def reset(cls) -> tuple[int, int]:
        out = (cls.messages, cls.bytes)
        cls.messages, cls.bytes, cls.by_model = 0, 0, Counter()
        return out


class CpuClock:
    """CPU seconds of the training thread between the ``train`` and ``measure`` phases."""

    def __new__(cls):
        import optwidgets as ow

        class _Clock(ow.Callback):
            seconds = 0.0

            def on_phase(self, run, phase):
                now = time.thread_time()
                if phase == "train":
                    self._t0 = now
                elif phase == "measure":
                    self.seconds = now - self._t0

        return _Clock()


def _install() -> None:
    comm.create_comm = RecordingComm  # ipywidgets calls comm.create_comm(...) in Widget.open


def config_for(steps: int):
    import optwidgets as ow
    from optwidgets.runs import prepare_data

    cfg = ow.RunConfig(dataset="digits", model="mlp", batch_size=16, epochs=1, device="cpu")
    n_train = len(prepare_data(cfg).X_train)
    cfg.epochs = math.ceil(steps / math.ceil(n_train / cfg.batch_size))
    return cfg


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=2000, help="optimizer steps of the run")
    ap.add_argument("--repeats", type=int, default=7, help="runs of each side (alternating)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (0 = torch default)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)

    _install()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    import optwidgets as ow

    store = tempfile.mkdtemp(prefix="ui-traffic-")
    cfg = config_for(args.steps)
    ui_clock = CpuClock()
    explorer = ow.Explorer(cfg, store=store, export_dir=store, callbacks=[ui_clock])
    assert explorer.ready(300)  # its figures are made on a background thread
    setup_messages, setup_bytes = RecordingComm.reset()

    def ui_run() -> dict:
        RecordingComm.reset()
        t0 = time.perf_counter()
        assert explorer.train(block=True)
        wall = time.perf_counter() - t0
        res = explorer.last_result
        assert res is not None and res.status == "done", explorer.status
        live = explorer.live
        times = live.redraw_times
        in_1s = max((sum(1 for u in times if t <= u < t + 1.0) for t in times), default=0)
        return {
            "train_seconds": res.train_seconds,
            "cpu_seconds": ui_clock.seconds,
            "wall_seconds": wall,
            "redraws_max_in_1s": in_1s,
            "messages": RecordingComm.messages,
            "bytes": RecordingComm.bytes,
            "by_model": dict(RecordingComm.by_model),
            "redraws": live.redraws,
            "redraw_seconds": live.redraw_seconds,
            "steps": int(res.history["step"].max()),
        }

    def plain_run() -> tuple[float, float]:
        clock = CpuClock()
        res = ow.run(cfg, store=False, callbacks=[clock])
        assert res.status == "done", res.error
        return res.train_seconds, clock.seconds

    plain_run()  # warm-up: imports, allocator, data cache
    first = ui_run()  # also opens the confusion-matrix figure (once per Explorer)
    ui, plain = [], []
    for i in range(args.repeats):
        if i % 2 == 0:
            plain.append(plain_run())
            ui.append(ui_run())
        else:
            ui.append(ui_run())
            plain.append(plain_run())

    med = statistics.median
    per_run = [{k: v for k, v in u.items() if k != "by_model"} for u in ui]
    worst = max(ui, key=lambda u: u["bytes"])
    redraws_per_s = max(u["redraws"] / u["train_seconds"] for u in ui)
    out = {
        "config": {
            k: getattr(cfg, k) for k in ("dataset", "model", "batch_size", "epochs", "device")
        },
        "torch_threads": torch.get_num_threads(),
        "steps": ui[0]["steps"],
        "repeats": args.repeats,
        "messages": int(med(u["messages"] for u in ui)),
        "bytes": int(med(u["bytes"] for u in ui)),
        "bytes_max": worst["bytes"],
        "bytes_by_widget_max": worst["by_model"],
        "redraws": int(med(u["redraws"] for u in ui)),
        "redraws_per_s": round(redraws_per_s, 2),
        "redraws_max_in_1s": max(u["redraws_max_in_1s"] for u in ui),
        "redraw_ms_mean": round(
            1000 * sum(u["redraw_seconds"] for u in ui) / max(sum(u["redraws"] for u in ui), 1), 3
        ),
        "train_seconds_plain": [round(p[0], 3) for p in plain],
        "train_seconds_ui": [round(u["train_seconds"], 3) for u in ui],
        "throughput_ratio": round(
            med(p[0] for p in plain) / med(u["train_seconds"] for u in ui), 3
        ),
        "cpu_seconds_plain": [round(p[1], 3) for p in plain],
        "cpu_seconds_ui": [round(u["cpu_seconds"], 3) for u in ui],
        "throughput_ratio_cpu": round(
            med(p[1] for p in plain) / med(u["cpu_seconds"] for u in ui), 3
        ),
        "setup_messages": setup_messages,
        "setup_bytes": setup_bytes,
        "first_run_messages": first["messages"],
        "first_run_bytes": first["bytes"],
        "runs": per_run,
        "targets": TARGETS,
    }
    out["pass"] = (
        out["bytes_max"] <= TARGETS["bytes"]
        and out["redraws_per_s"] <= TARGETS["redraws_per_s"]
        and out["throughput_ratio"] >= TARGETS["throughput_ratio"]
    )
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"{out['steps']} steps, {args.repeats} repeats, torch threads {out['torch_threads']}")
        print(
            f"  messages {out['messages']}, bytes {out['bytes']:,} (max {out['bytes_max']:,})"
            f", redraws {out['redraws']} ({out['redraws_per_s']}/s, "
            f"{out['redraw_ms_mean']} ms each)"
        )
        print(
            f"  throughput ratio {out['throughput_ratio']} "
            f"(plain {out['train_seconds_plain']} s, UI {out['train_seconds_ui']} s)"
        )
        print(f"  throughput ratio, CPU time of the training thread {out['throughput_ratio_cpu']}")
        print("  pass" if out["pass"] else "  FAIL")
    return out


if __name__ == "__main__":
    sys.exit(0 if main()["pass"] else 1)
