import io
import time

import torch
import torch.nn.utils.prune as tprune
from torch import nn

from optwidgets.compress.measure import (
    count_nonzero,
    count_params,
    deployable_state,
    latency_ms,
    measure,
    size_bytes,
)


def test_size_bytes_is_saved_state_dict_length(mlp):
    buf = io.BytesIO()
    torch.save(mlp.state_dict(), buf)
    assert size_bytes(mlp) == len(buf.getvalue())


def test_params_and_nonzero(mlp):
    expected = sum(p.numel() for p in mlp.parameters())
    assert count_params(mlp) == expected
    with torch.no_grad():
        mlp[1].weight[:5].zero_()
    assert count_nonzero(mlp) == expected - 5 * 64


def test_masks_are_folded_not_saved_twice(mlp):
    dense = size_bytes(mlp)
    tprune.l1_unstructured(mlp[1], "weight", amount=0.5)
    state = deployable_state(mlp)
    assert "1.weight" in state and "1.weight_orig" not in state and "1.weight_mask" not in state
    assert torch.equal(state["1.weight"], mlp[1].weight)
    assert size_bytes(mlp) == dense  # dense storage: unstructured zeros cost the same
    assert count_params(mlp) == sum(p.numel() for p in mlp.parameters())
    assert count_nonzero(mlp) == count_params(mlp) - 48 * 64 // 2


def test_latency_restores_mode_and_uses_model_dtype(cnn):
    cnn.train()
    assert latency_ms(cnn, (1, 8, 8), batch=2) > 0
    assert cnn.training
    half = nn.Linear(8, 2).to(torch.bfloat16)
    assert latency_ms(half, (8,), batch=4) > 0  # would fail on float32 input


def test_latency_respects_repeats():
    calls = []

    class Count(nn.Module):
        def forward(self, x):
            calls.append(1)
            return x

    latency_ms(Count(), (2,), batch=1, warmup=2, min_repeats=3, max_repeats=7, budget_s=10)
    assert len(calls) == 2 + 7
    calls.clear()
    latency_ms(Count(), (2,), batch=1, warmup=0, min_repeats=4, max_repeats=50, budget_s=0)
    assert len(calls) == 4


def test_measure_small_cnn_is_cheap(cnn):
    t0 = time.perf_counter()
    r = measure(cnn, (1, 8, 8))
    # 0.3 s measured on 2 idle cores; the latency budget is wall-clock, so a loaded
    # machine stretches only the few minimum repeats: generous slack here
    assert time.perf_counter() - t0 < 3.0
    assert set(r) == {"params", "nonzero_params", "size_bytes", "latency_ms", "latency_ms_b256"}
    assert r["params"] == sum(p.numel() for p in cnn.parameters())


def test_threads_set_for_measurement_only(mlp):
    before = torch.get_num_threads()
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(torch.get_num_threads())
            return x

    latency_ms(Probe(), (2,), batch=1, threads=1, max_repeats=5)
    assert set(seen) == {1} and torch.get_num_threads() == before
    assert measure(mlp, (1, 8, 8), threads=1)["latency_ms"] > 0
