import time

import pytest
import torch
import torch.nn.utils.prune as tprune
from torch import nn

from optwidgets.compress.artefact import encode
from optwidgets.compress.measure import (
    count_nonzero,
    count_params,
    deployable_state,
    latency,
    latency_ms,
    measure,
    paired_latency,
    size_bytes,
)

MEASURE_KEYS = {"params", "nonzero_params", "size_bytes", "size_encoding", "dense_bytes",
                "latency_ms", "latency_iqr_ms", "latency_ms_b256", "latency_iqr_ms_b256"}


def test_size_bytes_is_the_saved_artefact(mlp, tmp_path):
    art = encode(mlp)
    path = art.save(tmp_path / "m.pt")
    assert size_bytes(mlp) == art.nbytes == path.stat().st_size
    assert art.encoding == "dense-fp32" and art.dense_bytes == art.nbytes


def test_params_and_nonzero(mlp):
    expected = sum(p.numel() for p in mlp.parameters())
    assert count_params(mlp) == expected
    with torch.no_grad():
        mlp[1].weight[:5].zero_()
    assert count_nonzero(mlp) == expected - 5 * 64


def test_masks_are_folded_and_pruned_weights_saved_sparse(mlp):
    dense = size_bytes(mlp)
    tprune.l1_unstructured(mlp[1], "weight", amount=0.5)
    state = deployable_state(mlp)
    assert "1.weight" in state and "1.weight_orig" not in state and "1.weight_mask" not in state
    assert torch.equal(state["1.weight"], mlp[1].weight)
    art = encode(mlp)
    # 64 columns: one-byte column indices, so half the values plus their indices is smaller
    assert art.encoding == "csr" and size_bytes(mlp) < dense
    assert art.dense_bytes == dense  # the same model saved dense
    assert count_params(mlp) == sum(p.numel() for p in mlp.parameters())
    assert count_nonzero(mlp) == count_params(mlp) - 48 * 64 // 2


def test_latency_restores_mode_and_uses_model_dtype(cnn):
    cnn.train()
    assert latency_ms(cnn, (1, 8, 8), batch=2, budget_s=0.02) > 0
    assert cnn.training
    half = nn.Linear(8, 2).to(torch.bfloat16)
    assert latency_ms(half, (8,), batch=4, budget_s=0.02) > 0  # would fail on float32 input


def test_latency_is_torch_benchmark_blocks_with_spread():
    calls = []

    class Count(nn.Module):
        def forward(self, x):
            calls.append(torch.is_inference_mode_enabled())
            return x

    lat = latency(Count(), (2,), batch=1, warmup=2, budget_s=0.02)
    assert lat.blocks >= 2 and lat.passes_per_block >= 1
    assert lat.iqr_ms >= 0 and lat.median_ms > 0
    assert len(calls) >= 2 + lat.blocks * lat.passes_per_block and all(calls)


def test_measure_small_cnn_is_cheap(cnn):
    t0 = time.perf_counter()
    r = measure(cnn, (1, 8, 8))
    # about 0.3 s on 2 idle cores; the timing budget is wall-clock, so a loaded machine
    # stretches only the few passes a block needs: generous slack here
    assert time.perf_counter() - t0 < 3.0
    assert set(r) == MEASURE_KEYS
    assert r["params"] == sum(p.numel() for p in cnn.parameters())
    assert r["size_encoding"] == "dense-fp32" and r["size_bytes"] == r["dense_bytes"]
    assert r["latency_iqr_ms"] >= 0 and r["latency_iqr_ms_b256"] >= 0


def test_threads_set_for_measurement_only(mlp):
    before = torch.get_num_threads()
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(torch.get_num_threads())
            return x

    latency_ms(Probe(), (2,), batch=1, threads=1, budget_s=0.01)
    assert set(seen) == {1} and torch.get_num_threads() == before
    assert measure(mlp, (1, 8, 8), threads=1)["latency_ms"] > 0


class _Counting(nn.Module):
    """A model that records the order in which it ran (to check the rotation)."""

    def __init__(self, name: str, log: list[str], width: int) -> None:
        super().__init__()
        self.name, self.log = name, log
        self.net = nn.Sequential(nn.Linear(32, width), nn.Linear(width, 4))

    def forward(self, x):
        self.log.append(self.name)
        return self.net(x)


def test_paired_latency_warms_all_rotates_the_order_and_orders_by_cost():
    log: list[str] = []
    models = {"small": _Counting("small", log, 4), "big": _Counting("big", log, 4096)}
    table = paired_latency(models, torch.zeros(8, 32), rounds=4, budget_s=0.01)
    assert list(table["name"]) == ["small", "big"] and set(table["rounds"]) == {4}
    assert table.loc[0, "ratio"] == 1.0
    # a 1000x bigger matrix product is slower in every pairing, whatever the load
    assert table.loc[1, "ratio"] > 3 and table.loc[1, "min_ms"] > table.loc[0, "max_ms"]
    assert (table["iqr_ms"] >= 0).all() and (table["min_ms"] <= table["median_ms"]).all()
    # both were warmed before the first timed round, and "big" went first in rounds 1, 3
    runs = [name for i, name in enumerate(log) if i == 0 or log[i - 1] != name]
    assert runs[:2] == ["small", "big"] and runs.count("big") >= 3


def test_paired_latency_refuses_nothing_to_compare():
    with pytest.raises(ValueError, match="at least one model"):
        paired_latency({}, (4,))
    with pytest.raises(ValueError, match="rounds"):
        paired_latency({"a": nn.Linear(4, 2)}, (4,), rounds=0)
