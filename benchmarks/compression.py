"""Compression on digits ``cnn``: what each technique buys, measured, several seeds, medians.

Every case is one ``ow.run`` (train, then compress, then measure); its ratios compare the
compressed model with the dense model *of the same run* (``RunResult.before``). Sizes and
accuracies come from the run itself. Latencies are measured again here, because a shared
2-core CPU is noisy: the dense model (rebuilt from the weights the run stored before
compressing) and the compressed one are timed alternately, ``--repeats`` times each, on one
thread, and the medians are compared.

    python benchmarks/compression.py [--seeds 3] [--epochs 4] [--repeats 7] [--json]

Prints one JSON object with keys ``filter50``, ``weight80``, ``int8``, ``bits``,
``distill``, ``lowrank`` (medians over seeds) and ``machine``. ``int8`` also carries what
its saved state holds (``saved_state``) and the size of a leaner lossless encoding of the
same int8 model (``lean_size_ratio``; see :func:`lean_int8_state`), which is *not* what the
kit reports as ``size_bytes``.
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
from optwidgets.compress.measure import deployable_state, latency_ms

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


# -- what an int8 save holds, and a leaner lossless encoding of it -----------------------


def _nbytes(obj: Any) -> int:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getbuffer().nbytes


def _quantized_layers(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    """Quantized Conv/Linear modules: ``weight()`` is a method and weights can be set."""
    return [
        (n, m)
        for n, m in model.named_modules()
        if callable(getattr(m, "set_weight_bias", None))
        and callable(getattr(m, "weight", None))
        and not isinstance(getattr(m, "weight", None), (torch.Tensor, torch.nn.Module))
    ]


def saved_state(model: torch.nn.Module) -> dict[str, int]:
    """Bytes of the int8 save by kind: tensor data, and torch.save framing around it."""
    kinds: dict[str, int] = defaultdict(int)
    n_records = 0

    def add(kind: str, t: torch.Tensor) -> None:
        nonlocal n_records
        kinds[kind] += t.numel() * t.element_size()
        n_records += 1

    for key, v in deployable_state(model).items():
        if isinstance(v, torch.Tensor) and v.is_quantized:
            add("int8_weights", v.int_repr())
            add("per_channel_scales_float64", v.q_per_channel_scales())
            add("per_channel_zero_points_int64", v.q_per_channel_zero_points())
        elif isinstance(v, tuple):  # a quantized Linear's packed (weight, bias)
            w, b = v
            add("int8_weights", w.int_repr())
            add("per_channel_scales_float64", w.q_per_channel_scales())
            add("per_channel_zero_points_int64", w.q_per_channel_zero_points())
            if b is not None:
                add("biases_float32", b)
        elif isinstance(v, torch.Tensor) and v.dim() == 0:
            add("scalar_qparams_0d_tensors", v)
        elif isinstance(v, torch.Tensor):
            add("biases_float32" if key.endswith("bias") else "other_tensors", v)
    total = _nbytes(deployable_state(model))
    data = sum(kinds.values())
    return {
        **kinds,
        "tensor_data": data,
        "framing": total - data,
        "records": n_records,
        "total": total,
    }


def lean_int8_state(model: torch.nn.Module) -> dict[str, Any]:
    """The same int8 model, encoded without waste: a candidate deployable state.

    Per quantized layer: the int8 weights (``int_repr``), per-channel scales as float32
    (the observers compute them in float32; torch stores them as float64, so the cast is
    exact, checked here), zero points as int8 (they lie in the int8 range), the float32
    bias, and the output scale / zero point as Python numbers. Scalar activation qparams
    of the graph become Python numbers too. Everything else is kept as saved.
    """
    sd = model.state_dict()
    lean: dict[str, Any] = {}
    done: set[str] = set()
    for name, m in _quantized_layers(model):
        w, b = m.weight(), m.bias()
        scales, zps = w.q_per_channel_scales(), w.q_per_channel_zero_points()
        assert torch.equal(scales.float().double(), scales), "float32 scales would not be exact"
        assert int(zps.min()) >= -128 and int(zps.max()) <= 127
        lean[f"{name}.w_int8"] = w.int_repr()
        lean[f"{name}.w_scale"] = scales.float()
        lean[f"{name}.w_zero_point"] = zps.to(torch.int8)
        lean[f"{name}.w_axis"] = int(w.q_per_channel_axis())
        lean[f"{name}.bias"] = None if b is None else b.detach().float()
        lean[f"{name}.scale"] = float(m.scale)
        lean[f"{name}.zero_point"] = int(m.zero_point)
        done.update(k for k in sd if k.startswith(f"{name}."))
    for key, v in sd.items():
        if key in done:
            continue
        lean[key] = v.item() if isinstance(v, torch.Tensor) and v.dim() == 0 else v
    return lean


def load_lean_int8_state(model: torch.nn.Module, lean: dict[str, Any]) -> None:
    """Write a :func:`lean_int8_state` back into an int8 model of the same structure."""
    for name, m in _quantized_layers(model):
        w = torch._make_per_channel_quantized_tensor(
            lean[f"{name}.w_int8"],
            lean[f"{name}.w_scale"].double(),
            lean[f"{name}.w_zero_point"].long(),
            lean[f"{name}.w_axis"],
        )
        m.set_weight_bias(w, lean[f"{name}.bias"])
        m.scale, m.zero_point = lean[f"{name}.scale"], lean[f"{name}.zero_point"]
    for key, v in lean.items():
        owner, _, attr = key.rpartition(".")
        target = model.get_submodule(owner) if owner else model
        if attr in ("w_int8", "w_scale", "w_zero_point", "w_axis") or not hasattr(target, attr):
            continue
        old = getattr(target, attr)
        if isinstance(old, torch.Tensor) and not isinstance(v, torch.Tensor):
            setattr(target, attr, torch.tensor(v, dtype=old.dtype))


def lean_roundtrip_exact(model: torch.nn.Module, x: torch.Tensor) -> bool:
    """Save the lean state, scramble a copy of the model, load it back: same outputs?"""
    buf = io.BytesIO()
    torch.save(lean_int8_state(model), buf)
    buf.seek(0)
    lean = torch.load(buf, weights_only=True)
    clone = copy.deepcopy(model)
    for _, m in _quantized_layers(clone):  # wipe the copy's weights and output qparams
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
        load_lean_int8_state(clone, lean)
        return not scrambled and torch.equal(clone(x), model(x))


def _narrow(t: torch.Tensor, limit: int) -> torch.Tensor:
    for dtype in (torch.uint8, torch.int16, torch.int32):
        if limit <= torch.iinfo(dtype).max:
            return t.to(dtype)
    return t.to(torch.int64)


def sparse_bytes_narrow(model: torch.nn.Module) -> int:
    """``compress.sparse_bytes`` with the narrowest index type that fits each layer.

    The kit's CSR stores column indices and row pointers as int32. A layer whose rows are
    at most 255 (or 32,767) wide can index them with uint8 (int16) instead: the same
    information, as sparse formats for deployment do. Float Linear/Conv weights only.
    """
    state = dict(deployable_state(model))
    for name, m in model.named_modules():
        if not isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            continue
        prefix = f"{name}." if name else ""
        w = state.pop(prefix + "weight").reshape(m.weight.shape[0], -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            csr = w.to_sparse_csr()
        state[prefix + "weight.values"] = csr.values()
        state[prefix + "weight.col_indices"] = _narrow(csr.col_indices(), w.shape[1] - 1)
        state[prefix + "weight.crow_indices"] = _narrow(csr.crow_indices(), csr.values().numel())
    return _nbytes(state)


# -- the cases --------------------------------------------------------------------------


def one_seed(cfg: ow.RunConfig, store: ow.RunStore, repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    res = run(store, cfg, prune_method="filter", prune_ratio=0.5, finetune_epochs=2)
    out["filter50"] = {**basic(res), **latency_ratios(store, res, repeats)}

    res = run(store, cfg, prune_method="weight", prune_ratio=0.8, finetune_epochs=2)
    out["weight80"] = {
        **basic(res),
        "sparse_size_ratio": res.extras["sparse_bytes"] / res.before["size_bytes"],
        "sparse_size_ratio_narrow_indices": sparse_bytes_narrow(res.model)
        / res.before["size_bytes"],
        "nonzero_ratio": res.nonzero_params / res.before["params"],
        **latency_ratios(store, res, repeats),
    }

    res = run(store, cfg, quant_mode="int8")
    x = ow.experiment.prepare_data(cfg).X_test
    state = saved_state(res.model)
    lean = _nbytes(lean_int8_state(res.model))
    out["int8"] = {
        **basic(res),
        **latency_ratios(store, res, repeats),
        "lean_size_bytes": lean,
        "lean_size_ratio": lean / res.before["size_bytes"],
        "lean_roundtrip_exact": lean_roundtrip_exact(res.model, x),
        "saved_state": state,
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
    out["int8"]["lean_roundtrip_exact"] = all(s["int8"]["lean_roundtrip_exact"] for s in per_seed)
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
