"""Compression on digits ``cnn``: what each technique buys, measured, several seeds, medians.

Every case is one ``ow.run`` (train, then compress, then measure); its ratios compare the
compressed model with the dense model *of the same run* (``RunResult.before``). Sizes and
accuracies come from the run itself. Latencies are measured again here, because a shared
2-core CPU is noisy: the dense model (rebuilt from the weights the run stored before
compressing) and the compressed one are timed alternately, ``--repeats`` times each, on one
thread, and the medians are compared.

    python benchmarks/compression.py [--seeds 3] [--epochs 4] [--repeats 7] [--json]

Prints one JSON object with keys ``filter50``, ``weight80``, ``int8``, ``bits``,
``distill``, ``lowrank`` (medians over seeds) and ``machine``. All sizes are the kit's own:
``size_bytes`` (the saved deployable state; lean for int8 layers, see
``compress.measure.deployable_state``) and ``sparse_bytes`` (CSR with the narrowest index
types). ``int8`` also carries what its saved state holds (``saved_state``) and
``roundtrip_exact``: those saved bytes, loaded with ``load_deployable_state`` into a copy
whose weights and qparams were wiped, give bit-identical test outputs.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import warnings
from collections import defaultdict
from typing import Any

import torch

import optwidgets as ow
from optwidgets.compress.measure import (
    _int8_layers,
    deployable_state,
    latency_ms,
    load_deployable_state,
    size_bytes,
)

BOUNDS = {  # the acceptance bounds
    "filter50": {"size_ratio": 0.35, "latency_ratio_b256": 0.70, "acc_drop": 0.02},
    "weight80": {"sparse_size_ratio": 0.45},
    "int8": {"size_ratio": 0.30, "acc_drop": 0.01},
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


def latency_ratios(store: ow.RunStore, res: ow.RunResult, repeats: int) -> dict[str, float]:
    dense = store.load_model(res.run_id).eval()  # weights stored before compressing
    out = {}
    for batch in (1, 256):
        d, s = paired_latency(dense, res.model, batch=batch, repeats=repeats)
        out[f"latency_ms_dense_b{batch}"] = d
        out[f"latency_ms_b{batch}"] = s
        out[f"latency_ratio_b{batch}"] = s / d
    return out


def run(store: ow.RunStore, cfg: ow.RunConfig, **changes: Any) -> ow.RunResult:
    res = ow.run(cfg.replace(**changes), store=store)
    if res.status != "done":
        raise RuntimeError(f"{res.technique}: {res.status}: {res.error}")
    return res


def basic(res: ow.RunResult) -> dict[str, float]:
    b = res.before
    return {
        "size_ratio": res.size_bytes / b["size_bytes"],
        "params_ratio": res.params / b["params"],
        "acc": res.metrics["test_acc"],
        "acc_dense": b["test_acc"],
        "acc_drop": b["test_acc"] - res.metrics["test_acc"],
        "size_bytes": res.size_bytes,
        "size_bytes_dense": b["size_bytes"],
    }


# -- what an int8 save holds, and that it loads back ------------------------------------


def _nbytes(obj: Any) -> int:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getbuffer().nbytes


def saved_state(model: torch.nn.Module) -> dict[str, Any]:
    """Bytes of the int8 deployable state by kind: tensor data, and torch.save framing."""
    kinds: dict[str, int] = defaultdict(int)
    dtypes: dict[str, str] = {}
    n_tensors = n_numbers = 0
    layers = {f"{n}." for n, _ in _int8_layers(model)}
    for key, v in deployable_state(model).items():
        if not isinstance(v, torch.Tensor):
            n_numbers += 1  # scalar qparams, axes, None: pickled inline (framing)
            continue
        n_tensors += 1
        base = key.rpartition(".")[0] + "." if "." in key else ""
        field = key.rpartition(".")[2]
        kind = (f"int8_layer_{field}" if base in layers
                else "bias" if field == "bias" else "other_tensors")
        kinds[kind] += v.numel() * v.element_size()
        dtypes[kind] = str(v.dtype).removeprefix("torch.")
    total = _nbytes(deployable_state(model))
    data = sum(kinds.values())
    return {
        **kinds,
        "dtypes": dtypes,
        "tensor_data": data,
        "framing": total - data,
        "tensor_records": n_tensors,
        "python_numbers": n_numbers,
        "total": total,
    }


def roundtrip_exact(model: torch.nn.Module, x: torch.Tensor) -> bool:
    """Save the deployable state, wipe a copy of the model, load it back: same outputs?"""
    data = io.BytesIO()
    torch.save(deployable_state(model), data)
    assert data.getbuffer().nbytes == size_bytes(model)
    clone = copy.deepcopy(model)
    for _, m in _int8_layers(clone):  # wipe the copy's weights and output qparams
        w, b = m.weight(), m.bias()
        zero = torch._make_per_channel_quantized_tensor(
            torch.zeros_like(w.int_repr()),
            torch.ones_like(w.q_per_channel_scales()),
            torch.zeros_like(w.q_per_channel_zero_points()),
            w.q_per_channel_axis(),
        )
        m.set_weight_bias(zero, None if b is None else torch.zeros_like(b))
        m.scale, m.zero_point = 1.0, 0
    with torch.inference_mode():
        scrambled = torch.equal(clone(x), model(x))
        data.seek(0)
        load_deployable_state(clone, torch.load(data, weights_only=True))
        return not scrambled and torch.equal(clone(x), model(x))


# -- the cases --------------------------------------------------------------------------


def one_seed(cfg: ow.RunConfig, store: ow.RunStore, repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    res = run(store, cfg, prune_method="filter", prune_ratio=0.5, finetune_epochs=2)
    out["filter50"] = {**basic(res), **latency_ratios(store, res, repeats)}

    res = run(store, cfg, prune_method="weight", prune_ratio=0.8, finetune_epochs=2)
    out["weight80"] = {
        **basic(res),
        "sparse_size_ratio": res.extras["sparse_bytes"] / res.before["size_bytes"],
        "sparse_bytes": res.extras["sparse_bytes"],
        "nonzero_ratio": res.nonzero_params / res.before["params"],
        **latency_ratios(store, res, repeats),
    }

    res = run(store, cfg, quant_mode="int8")
    x = ow.runs.prepare_data(cfg).X_test
    out["int8"] = {
        **basic(res),
        **latency_ratios(store, res, repeats),
        "roundtrip_exact": roundtrip_exact(res.model, x),
        "saved_state": saved_state(res.model),
    }

    out["bits"] = {}
    for k in BITS:
        for qat in (0, 1):
            r = run(store, cfg, quant_mode="simulated", quant_bits=k, qat_epochs=qat)
            out["bits"][(k, qat)] = (
                r.metrics["test_acc"],
                r.extras["packed_bytes"],
                r.before["size_bytes"],
                r.before["test_acc"],
            )

    student = run(store, cfg, distill_student="cnn_small")
    alone = run(store, cfg, model="cnn_small")  # the same student, trained alone
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
        r = run(store, cfg, lowrank_rank=rank, finetune_epochs=1)
        out["lowrank"][rank] = {**basic(r)}
    return out


def summarize(per_seed: list[dict[str, Any]], seeds: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for case in ("filter50", "weight80", "int8", "distill"):
        keys = [
            k
            for k, v in per_seed[0][case].items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        ]
        out[case] = {k: med([s[case][k] for s in per_seed]) for k in keys}
        out[case]["per_seed_acc"] = {
            str(seed): s[case].get("acc", s[case].get("acc_distilled"))
            for seed, s in zip(seeds, per_seed)
        }
    out["int8"]["roundtrip_exact"] = all(s["int8"]["roundtrip_exact"] for s in per_seed)
    out["int8"]["saved_state"] = per_seed[0]["int8"]["saved_state"]  # same layout each seed
    out["int8"]["scheme"] = "FX static (torch.ao, x86 engine): per-channel int8 weights, BN folded"
    for case, bounds in BOUNDS.items():
        out[case]["meets"] = {f"{k}<={v}": bool(out[case][k] <= v) for k, v in bounds.items()}
    out["bits"] = {
        str(k): {
            "acc": med([s["bits"][(k, 0)][0] for s in per_seed]),
            "acc_qat1": med([s["bits"][(k, 1)][0] for s in per_seed]),
            "packed_size_ratio_computed": med(
                [s["bits"][(k, 0)][1] / s["bits"][(k, 0)][2] for s in per_seed]
            ),
        }
        for k in BITS
    }
    out["bits"]["acc_dense"] = med([s["bits"][(BITS[0], 0)][3] for s in per_seed])
    out["lowrank"] = {
        str(rank): {
            k: med([s["lowrank"][rank][k] for s in per_seed])
            for k in ("size_ratio", "params_ratio", "acc", "acc_dense", "acc_drop")
        }
        for rank in RANKS
    }
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
        store = ow.RunStore(tmp)
        for seed in seeds:
            cfg = ow.RunConfig(
                dataset="digits", model="cnn", epochs=args.epochs, seed=seed, device="cpu"
            )
            per_seed.append(one_seed(cfg, store, args.repeats))
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
    }
    print(json.dumps(out, indent=None if args.json else 2))
    return out


if __name__ == "__main__":
    main()
