"""Compression on digits ``cnn``: what each technique buys, measured, several seeds, medians.

Every case is one ``ow.run`` (train, then compress, then measure); its ratios compare the
compressed model with the dense model *of the same run* (``RunResult.before``). Sizes are
the run's ``size_bytes``: the bytes of the saved artefact (``compress.artefact.encode``:
CSR for pruned weights where smaller, bit-packed codes for k-bit weights, lean int8, ...).
Accuracies come from the run itself. Every case's artefact is also saved to a file,
rebuilt from a fresh model with ``load_deployed`` and checked to give bit-identical test
logits (``roundtrip_exact``). Latencies are measured again here, because a shared 2-core
CPU is noisy: the dense model (the baseline run of the same seed, trained identically)
and the compressed one are timed alternately, ``--repeats`` times each, on one thread,
and the medians are compared.

    python benchmarks/compression.py [--seeds 3] [--epochs 4] [--repeats 7] [--json]

Prints one JSON object with keys ``filter50``, ``weight80``, ``int8``, ``bits``,
``distill``, ``lowrank`` (medians over seeds) and ``machine``; each bounded case has
``meets``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch

import optwidgets as ow
from optwidgets.compress.artefact import encode
from optwidgets.compress.measure import latency_ms
from optwidgets.compress.pipeline import load_deployed
from optwidgets.runs.prepare import build_model_for

BOUNDS = {  # the acceptance bounds; every size is the saved artefact's size_bytes
    "filter50": {"size_ratio": 0.35, "latency_ratio_b256": 0.70, "acc_drop": 0.02},
    "weight80": {"size_ratio": 0.45},
    "int8": {"size_ratio": 0.30, "acc_drop": 0.01},
    "bits4": {"size_ratio": 0.20},
}
BITS = (2, 3, 4, 6, 8, 16)
RANKS = (0.25, 0.5)
INPUT = (1, 8, 8)


def med(values: list[float]) -> float:
    return round(float(statistics.median(values)), 4)


def paired_latency(
    dense: torch.nn.Module, small: torch.nn.Module, *, batch: int, repeats: int
) -> tuple[float, float]:
    """Median ms of each model, timed alternately (dense, small, dense, ...) on one thread."""
    a, b = [], []
    for _ in range(repeats):
        a.append(latency_ms(dense, INPUT, batch=batch, threads=1, budget_s=0.2))
        b.append(latency_ms(small, INPUT, batch=batch, threads=1, budget_s=0.2))
    return statistics.median(a), statistics.median(b)


def latency_ratios(dense: torch.nn.Module, res: ow.RunResult, repeats: int) -> dict[str, float]:
    out = {}
    for batch in (1, 256):
        d, s = paired_latency(dense, res.model, batch=batch, repeats=repeats)
        out[f"latency_ms_dense_b{batch}"] = d
        out[f"latency_ms_b{batch}"] = s
        out[f"latency_ratio_b{batch}"] = s / d
    return out


def run(cfg: ow.RunConfig, **changes: Any) -> ow.RunResult:
    res = ow.run(cfg.replace(**changes), store=False)
    if res.status != "done":
        raise RuntimeError(f"{res.technique}: {res.status}: {res.error}")
    return res


def roundtrip_exact(res: ow.RunResult, x: torch.Tensor, folder: Path) -> bool:
    """Save the artefact, rebuild a fresh model of the run's config, load: same logits?"""
    art = encode(res.model)
    assert art.nbytes == res.size_bytes
    path = art.save(folder / f"{res.run_id}.pt")
    cfg = res.config
    fresh = build_model_for(cfg, INPUT, 10, name=cfg.distill_student or None)
    back = load_deployed(path, fresh, cfg, torch.zeros(1, *INPUT))
    with torch.inference_mode():
        return bool(torch.equal(back(x), res.model.eval()(x)))


def artefact_layout(res: ow.RunResult) -> dict[str, Any]:
    """What the saved file holds: tensor data by dtype, and the rest (framing, index)."""
    obj = torch.load(io.BytesIO(encode(res.model).payload), weights_only=True)
    data = {k: v.numel() * v.element_size() for k, v in obj["data"].items()}
    kinds: dict[str, int] = defaultdict(int)
    for entry in obj["entries"].values():
        kinds[entry["kind"]] += 1
    return {"encoding": obj["encoding"], "tensor_data": data, "entries": dict(kinds),
            "framing_and_index": res.size_bytes - sum(data.values()),
            "total": res.size_bytes}


def basic(res: ow.RunResult) -> dict[str, Any]:
    b = res.before
    return {
        "size_ratio": res.size_bytes / b["size_bytes"],
        "params_ratio": res.params / b["params"],
        "acc": res.metrics["test_acc"],
        "acc_dense": b["test_acc"],
        "acc_drop": b["test_acc"] - res.metrics["test_acc"],
        "size_bytes": res.size_bytes,
        "size_bytes_dense": b["size_bytes"],
        "size_encoding": encode(res.model).encoding,
    }


# -- the cases --------------------------------------------------------------------------


def one_seed(cfg: ow.RunConfig, repeats: int, folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    x = ow.runs.prepare_data(cfg).X_test
    dense = run(cfg).model.eval()  # the same seed trains the same dense model every run
    exact = []

    def case(**changes: Any) -> ow.RunResult:
        res = run(cfg, **changes)
        exact.append(roundtrip_exact(res, x, folder))
        return res

    res = case(prune_method="filter", prune_ratio=0.5, finetune_epochs=2)
    out["filter50"] = {**basic(res), **latency_ratios(dense, res, repeats)}

    res = case(prune_method="weight", prune_ratio=0.8, finetune_epochs=2)
    out["weight80"] = {
        **basic(res),
        "nonzero_ratio": res.nonzero_params / res.before["params"],
        **latency_ratios(dense, res, repeats),
    }

    res = case(quant_mode="int8")
    out["int8"] = {**basic(res), **latency_ratios(dense, res, repeats),
                   "layout": artefact_layout(res)}

    out["bits"] = {}
    for k in BITS:
        for qat in (0, 1):
            r = case(quant_mode="simulated", quant_bits=k, qat_epochs=qat)
            out["bits"][(k, qat)] = {**basic(r)}
            if k == 4 and qat == 0:
                out["bits4"] = {**basic(r), "layout": artefact_layout(r)}

    student = case(distill_student="cnn_small")
    alone = run(cfg, model="cnn_small")  # the same student, trained alone
    out["distill"] = {
        "student_params": student.params,
        "teacher_params": student.before["params"],
        "params_ratio": student.params / student.before["params"],
        "size_ratio": student.size_bytes / student.before["size_bytes"],
        "acc_distilled": student.metrics["test_acc"],
        "acc_student_alone": alone.metrics["test_acc"],
        "acc_teacher": student.before["test_acc"],
    }

    out["lowrank"] = {}
    for rank in RANKS:
        r = case(lowrank_rank=rank, finetune_epochs=1)
        out["lowrank"][rank] = {**basic(r)}
    out["roundtrip_exact"] = all(exact)
    return out


def summarize(per_seed: list[dict[str, Any]], seeds: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for case in ("filter50", "weight80", "int8", "bits4", "distill"):
        keys = [
            k
            for k, v in per_seed[0][case].items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        ]
        out[case] = {k: med([s[case][k] for s in per_seed]) for k in keys}
        if "size_encoding" in per_seed[0][case]:
            out[case]["size_encoding"] = per_seed[0][case]["size_encoding"]
        if "layout" in per_seed[0][case]:
            out[case]["layout"] = per_seed[0][case]["layout"]  # same layout each seed
        out[case]["per_seed_acc"] = {
            str(seed): s[case].get("acc", s[case].get("acc_distilled"))
            for seed, s in zip(seeds, per_seed)
        }
    out["int8"]["scheme"] = "FX static (torch.ao, x86 engine): per-channel int8 weights, BN folded"
    for case, bounds in BOUNDS.items():
        out[case]["meets"] = {f"{k}<={v}": bool(out[case][k] <= v) for k, v in bounds.items()}
    out["bits"] = {
        str(k): {
            "acc": med([s["bits"][(k, 0)]["acc"] for s in per_seed]),
            "acc_qat1": med([s["bits"][(k, 1)]["acc"] for s in per_seed]),
            "size_ratio": med([s["bits"][(k, 0)]["size_ratio"] for s in per_seed]),
            "size_bytes": med([s["bits"][(k, 0)]["size_bytes"] for s in per_seed]),
        }
        for k in BITS
    }
    out["bits"]["acc_dense"] = med([s["bits"][(BITS[0], 0)]["acc_dense"] for s in per_seed])
    out["lowrank"] = {
        str(rank): {
            k: med([s["lowrank"][rank][k] for s in per_seed])
            for k in ("size_ratio", "params_ratio", "acc", "acc_dense", "acc_drop")
        }
        for rank in RANKS
    }
    out["roundtrip_exact"] = all(s["roundtrip_exact"] for s in per_seed)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=4, help="training epochs of every run")
    ap.add_argument("--repeats", type=int, default=7, help="alternating latency repeats")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # steady timings and the same numbers each time
    warnings.filterwarnings("ignore", category=UserWarning)
    seeds = list(range(args.seeds))
    load0 = os.getloadavg()
    per_seed = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            cfg = ow.RunConfig(
                dataset="digits", model="cnn", epochs=args.epochs, seed=seed, device="cpu"
            )
            per_seed.append(one_seed(cfg, args.repeats, Path(tmp)))
            if not args.json:
                print(f"seed {seed} done", file=sys.stderr)
    out = summarize(per_seed, seeds)
    out["machine"] = {
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "threads": 1,
        "seeds": seeds,
        "epochs": args.epochs,
        "latency_repeats": args.repeats,
        "loadavg_start": [round(v, 2) for v in load0],
        "loadavg_end": [round(v, 2) for v in os.getloadavg()],
        "cuda": "not measured: no GPU",
    }
    print(json.dumps(out, indent=None if args.json else 2))
    return out


if __name__ == "__main__":
    main()
