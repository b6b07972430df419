"""Studies of the deployed model: pruning kinds, model size vs accuracy, quantization bits
vs inference time (tables 4, 6 and 7).

Sizes are the bytes of the saved artefact (``RunResult.size_bytes``, the file a run ships);
latencies come from :func:`optwidgets.compress.measure.paired_latency` (warmed, alternated,
repeated; median and interquartile range over rounds, batch 1, one thread) on the deployed
models of the first seed, never from the ``latency_ms`` of separate runs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from torch import nn

from optwidgets.compress.measure import paired_latency
from optwidgets.config import RunConfig
from optwidgets.studies._common import (
    Budget,
    check_budget,
    check_device,
    frame,
    run_one,
    spread,
    val_acc,
)

__all__ = ["pruning", "model_size", "quantization"]


def _latencies(models: dict[str, nn.Module], shape: tuple[int, ...], b: Budget,
               device: str | None = None) -> pd.DataFrame:
    """Paired latency of ``models`` (batch 1): name, latency_ms (median), latency_iqr_ms."""
    t = paired_latency(models, tuple(shape), rounds=b.rounds, device=device)
    return t.rename(columns={"median_ms": "latency_ms", "iqr_ms": "latency_iqr_ms",
                             "rounds": "latency_rounds"})[
        ["name", "latency_ms", "latency_iqr_ms", "latency_rounds"]]


# ---------------------------------------------------------------------------------------
# 4. pruning kinds

PRUNE_RATIO = 0.5  # the equal budget: half the weights, hidden units or conv filters


def pruning(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 4: weight (unstructured), neuron and filter pruning at the same ratio, against
    the dense model: measured size reduction, accuracy and latency.

    Neuron pruning removes hidden units of Linear layers (the mlp); filter pruning removes
    conv channels (the cnn); weight pruning runs on both. Each pruned model is fine-tuned
    one epoch. ``size_reduction_pct`` is ``1 - size_bytes / dense model's size_bytes``
    (the saved files); ``saved_dense_reduction_pct`` the same for the pruned model saved
    dense, as a masked model is: weight pruning's zeros are still stored there, so it is
    0. ``nonzero_reduction_pct`` counts non-zero parameters (computed, not saved).
    Columns: ``model``, ``technique``, ``size_encoding``, those three percentages and
    ``size_bytes`` (``_mean``/``_std``), ``val_acc``, ``test_acc`` (``_mean``/``_std``),
    ``n_seeds``, ``latency_ms``, ``latency_iqr_ms``, ``latency_rounds`` (first seed).
    """
    b, dev = check_budget(budget), check_device(device)
    bases = {"mlp": RunConfig(dataset="digits", model="mlp", hidden=(2 * b.hidden,),
                              epochs=b.epochs, device=dev),
             "cnn": RunConfig(dataset="digits", model="cnn", width=b.width, epochs=b.epochs,
                              device=dev)}
    kinds = {"mlp": ("dense", "weight", "neuron"), "cnn": ("dense", "weight", "filter")}
    rows, lat_parts, encodings = [], [], {}
    for model, base in bases.items():
        for seed in b.seeds:
            deployed: dict[str, nn.Module] = {}
            dense_size = dense_nonzero = None
            for kind in kinds[model]:
                kw: dict[str, Any] = {} if kind == "dense" else {
                    "prune_method": kind, "prune_ratio": PRUNE_RATIO, "finetune_epochs": 1}
                res = run_one(base.replace(seed=seed, **kw))
                if kind == "dense":
                    dense_size, dense_nonzero = res.size_bytes, res.nonzero_params
                assert dense_size is not None and dense_nonzero is not None
                assert res.size_bytes is not None and res.dense_bytes is not None
                encodings[(model, kind)] = res.size_encoding
                rows.append({
                    "model": model, "technique": kind, "seed": seed,
                    "size_bytes": res.size_bytes,
                    "size_reduction_pct": 100.0 * (1 - res.size_bytes / dense_size),
                    "saved_dense_reduction_pct": 100.0 * (1 - res.dense_bytes / dense_size),
                    "nonzero_reduction_pct": 100.0 * (1 - (res.nonzero_params or 0)
                                                      / dense_nonzero),
                    "val_acc": val_acc(res), "test_acc": res.metrics["test_acc"]})
                deployed[kind] = res.model
            if seed == b.seeds[0]:
                lat = _latencies(deployed, tuple(res.input_shape), b)
                lat_parts.append(lat.rename(columns={"name": "technique"}).assign(model=model))
    table = spread(pd.DataFrame(rows), by=["model", "technique"],
                   values=["size_bytes", "size_reduction_pct", "saved_dense_reduction_pct",
                           "nonzero_reduction_pct", "val_acc", "test_acc"])
    table.insert(2, "size_encoding", [encodings[(m, k)] for m, k in
                                      zip(table["model"], table["technique"])])
    table = table.merge(pd.concat(lat_parts), on=["model", "technique"], how="left")
    return frame(table, b, dev, notes=[
        f"digits; mlp hidden ({2 * b.hidden},) and cnn width {b.width}, {b.epochs} epochs, "
        f"pruning ratio {PRUNE_RATIO}, one fine-tune epoch; sizes are saved-file bytes "
        "(size_encoding says how the file stores the weights: csr where sparse storage is "
        "smaller than dense); latency: paired, batch 1, one thread, first seed's models"])


# ---------------------------------------------------------------------------------------
# 6. model size vs accuracy

def model_size(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 6: the zoo's models on digits: saved size in MB and accuracy.

    Columns: ``model``, ``params``, ``size_mb`` (saved file, 10^6 bytes), ``val_acc``,
    ``test_acc``, ``train_seconds`` (``_mean``/``_std``), ``n_seeds``.
    """
    b, dev = check_budget(budget), check_device(device)
    models: dict[str, dict[str, Any]] = {"mlp_small": {}, "mlp": {}, "cnn_small": {},
                                         "cnn": {},
              # resnet_tiny at its default width 32 trains for ~6 s an epoch on one core:
              # the budgets use narrower ones (the table says which)
              "resnet_tiny": {"width": 16 if b.name == "full" else 8}}
    rows = []
    for name, kw in models.items():
        for seed in b.seeds:
            res = run_one(RunConfig(dataset="digits", model=name, epochs=b.epochs, seed=seed,
                                    device=dev, **kw))
            assert res.size_bytes is not None
            rows.append({"model": name + (f" (width {kw['width']})" if kw else ""),
                         "params": res.params, "seed": seed, "size_mb": res.size_bytes / 1e6,
                         "val_acc": val_acc(res), "test_acc": res.metrics["test_acc"],
                         "train_seconds": res.train_seconds})
    table = spread(pd.DataFrame(rows), by=["model", "params"],
                   values=["size_mb", "val_acc", "test_acc", "train_seconds"])
    return frame(table, b, dev, notes=[
        f"digits, {b.epochs} epochs, Adam lr 3e-3, batch 64; each zoo model at its default "
        "size (resnet_tiny's width as shown)"])


# ---------------------------------------------------------------------------------------
# 7. quantization bits vs inference time

QUANT_ROWS: dict[str, tuple[int, dict[str, Any]]] = {  # label -> (bits, RunConfig fields)
    "fp32": (32, {}),
    "fp16": (16, {"quant_mode": "fp16"}),
    "bf16": (16, {"quant_mode": "bf16"}),
    "int8": (8, {"quant_mode": "int8", "device": "cpu"}),  # int8 kernels run on the CPU
    "4-bit (simulated)": (4, {"quant_mode": "simulated", "quant_bits": 4}),
    "2-bit (simulated)": (2, {"quant_mode": "simulated", "quant_bits": 2}),
}


def quantization(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 7: bits per weight against inference time, saved size and accuracy.

    fp16 and bf16 cast the model; int8 is PyTorch's static int8 (CPU kernels); 4 and
    2 bits are simulated: the weights are stored bit-packed (the size is real) but the
    model computes in float, so their latency is a float model's. Every latency is
    measured on the CPU (int8 runs only there, and times are compared on one device),
    paired, batch 1, one thread. Columns: ``format``, ``bits``, ``size_bytes``,
    ``test_acc`` (``_mean``/``_std``), ``n_seeds``, ``latency_ms``,
    ``latency_iqr_ms``, ``latency_rounds``, ``latency_vs_fp32`` (ratio of medians). No
    ``val_acc``: nothing is selected here, and the validation accuracy a run logs is the
    float model's, before quantization.
    """
    b, dev = check_budget(budget), check_device(device)
    base = RunConfig(dataset="digits", model="mlp", hidden=(4 * b.hidden,), epochs=b.epochs,
                     device=dev)
    rows: list[dict[str, Any]] = []
    deployed: dict[str, nn.Module] = {}
    shape: tuple[int, ...] = (1, 8, 8)
    for seed in b.seeds:
        for label, (bits, kw) in QUANT_ROWS.items():
            res = run_one(base.replace(seed=seed, **kw))
            rows.append({"format": label, "bits": bits, "seed": seed,
                         "size_bytes": res.size_bytes, "test_acc": res.metrics["test_acc"]})
            if seed == b.seeds[0]:
                deployed[label], shape = res.model.to("cpu"), tuple(res.input_shape)
    table = spread(pd.DataFrame(rows), by=["format", "bits"],
                   values=["size_bytes", "test_acc"])
    lat = _latencies(deployed, shape, b, device="cpu").rename(columns={"name": "format"})
    table = table.merge(lat, on="format", how="left")
    table["latency_vs_fp32"] = table["latency_ms"] / float(
        table.loc[table["format"] == "fp32", "latency_ms"].iloc[0])
    return frame(table, b, dev, notes=[
        f"digits, mlp hidden ({4 * b.hidden},), {b.epochs} epochs; latency on the CPU, "
        "paired (warmed, alternated, repeated), batch 1, one thread, first seed's models; "
        "simulated 4/2-bit models compute in float (their size is the bit-packed file)"])
