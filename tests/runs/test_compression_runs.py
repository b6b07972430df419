"""End to end through ``ow.run``: train -> distill -> low-rank -> prune -> quantize -> measure.

Each check compares the compressed model with the dense model of the same run
(``RunResult.before``), on digits with 1-2 epochs so the file stays fast.
"""

from __future__ import annotations

import pytest
import torch

import optwidgets as ow
from optwidgets import compress
from optwidgets.core.errors import ConfigError


def digits(model: str = "mlp", **changes) -> ow.RunConfig:
    base = dict(dataset="digits", model=model, epochs=2, device="cpu", seed=0)
    base.update(changes)
    return ow.RunConfig(**base)


@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_filter_pruning_removes_channels_shrinks_the_saved_model_and_keeps_accuracy():
    res = ow.run(
        digits("cnn", prune_method="filter", prune_ratio=0.5, finetune_epochs=1), store=False
    )
    assert res.status == "done" and res.technique == "prune-filter"
    before = res.before
    assert res.params < 0.4 * before["params"]  # channels physically gone
    assert res.size_bytes < 0.4 * before["size_bytes"]  # and so are their bytes
    assert res.metrics["test_acc"] > before["test_acc"] - 0.1
    convs = [m for m in res.model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32]


def test_weight_pruning_saves_a_csr_artefact_and_reports_latency(tmp_path):
    store = ow.RunStore(tmp_path)
    res = ow.run(digits("mlp", prune_method="weight", prune_ratio=0.8), store=store)
    assert res.status == "done" and res.technique == "prune-weight"
    assert res.params == res.before["params"]  # masks: nothing removed
    assert res.nonzero_params < 0.25 * res.params
    assert res.size_encoding == "csr" and res.size_bytes < 0.6 * res.before["size_bytes"]
    assert res.size_bytes == store.artefact_path(res.run_id).stat().st_size  # the saved file
    assert res.dense_bytes >= res.before["size_bytes"] * 0.98
    assert res.latency_ms > 0 and res.latency_ms_b256 > 0  # measured either way
    assert res.latency_iqr_ms is not None and res.latency_iqr_ms >= 0
    assert res.before["latency_ms_b256"] > 0


def test_int8_is_smaller_and_close_in_accuracy():
    res = ow.run(digits("cnn", quant_mode="int8"), store=False)
    assert res.status == "done" and res.technique == "int8"
    assert res.size_bytes < 0.4 * res.before["size_bytes"]
    # BatchNorm folded: its scale and shift (2 x 96) go, the convs gain a bias (96)
    assert res.params == res.before["params"] - (32 + 64)
    assert res.metrics["test_acc"] > res.before["test_acc"] - 0.05
    assert res.latency_ms > 0 and res.latency_ms_b256 > 0


def test_simulated_bits_save_packed_codes_that_load_back(tmp_path):
    store = ow.RunStore(tmp_path)
    res = ow.run(digits("mlp", quant_mode="simulated", quant_bits=4), store=store)
    assert res.status == "done" and res.size_encoding == "packed-4bit"
    assert res.size_bytes < 0.25 * res.before["size_bytes"]  # ~4/32 of the weights, + scales
    assert res.size_bytes == store.artefact_path(res.run_id).stat().st_size
    row = store.to_frame().iloc[0]
    assert row["size_bytes"] == res.size_bytes and row["quant_bits"] == 4
    assert row["size_encoding"] == "packed-4bit"
    data = ow.runs.prepare_data(res.config)
    loaded = store.load_model(res.run_id)
    with torch.inference_mode():
        assert torch.equal(loaded(data.X_test).argmax(1), res.model(data.X_test).argmax(1))


def test_bf16_halves_the_saved_size():
    res = ow.run(digits("mlp", quant_mode="bf16"), store=False)
    assert res.status == "done" and res.technique == "bf16"
    assert 0.45 < res.size_bytes / res.before["size_bytes"] < 0.6
    assert res.metrics["test_acc"] > res.before["test_acc"] - 0.05


def test_low_rank_reduces_parameters():
    res = ow.run(digits("mlp", hidden=(64, 64), lowrank_rank=0.25), store=False)
    assert res.status == "done" and res.technique == "lowrank"
    assert res.params < res.before["params"] and res.size_bytes < res.before["size_bytes"]


def test_distillation_records_its_teacher(tmp_path):
    store = ow.RunStore(tmp_path)
    teacher = ow.run(digits("mlp", hidden=(128,)), store=store)
    student = ow.run(
        digits("mlp", distill_student="mlp_small", distill_teacher=teacher.run_id), store=store
    )
    assert student.status == "done" and student.technique == "distill"
    assert student.teacher_run_id == teacher.run_id
    assert student.params < teacher.params and student.before["params"] == teacher.params
    row = store.to_frame().set_index("run_id").loc[student.run_id]
    assert row["teacher_run_id"] == teacher.run_id
    # without a stored teacher, the run distills from the model it trains itself
    own = ow.run(digits("mlp", epochs=1, distill_student="mlp_small"), store=False)
    assert own.teacher_run_id == own.run_id


def test_a_student_larger_than_its_teacher_is_allowed_with_a_warning():
    cfg = digits("mlp_small", epochs=1, distill_student="mlp")
    with pytest.warns(UserWarning, match="distill_student"):
        res = ow.run(cfg, store=False)
    assert res.status == "done" and res.params > res.before["params"]


# ---- bad input: each names the field and the value -------------------------------------


@pytest.mark.parametrize("ratio", [1.0, -0.1, 1.5])
def test_prune_ratio_outside_0_1_is_refused(ratio):
    with pytest.raises(ConfigError) as err:
        digits("mlp", prune_method="weight", prune_ratio=ratio)
    assert err.value.field == "prune_ratio" and f"prune_ratio={ratio}" in str(err.value)
    assert "[0, 1)" in str(err.value)


@pytest.mark.parametrize("bits", [1, 17, 0])
def test_bits_outside_2_16_are_refused(bits):
    with pytest.raises(ConfigError) as err:
        digits("mlp", quant_mode="simulated", quant_bits=bits)
    assert err.value.field == "quant_bits" and f"quant_bits={bits}" in str(err.value)
    assert "[2, 16]" in str(err.value)


def test_filter_pruning_on_an_mlp_is_refused():
    with pytest.raises(ConfigError) as err:
        digits("mlp", prune_method="filter", prune_ratio=0.5)
    assert err.value.field == "prune_method" and "'filter'" in str(err.value)
    assert "no conv layers" in str(err.value)


def test_a_pruning_that_leaves_a_layer_without_units_is_refused():
    cfg = digits("mlp", hidden=(4,), epochs=1, prune_method="neuron", prune_ratio=0.9)
    model = ow.runs.build_model_for(cfg, (1, 8, 8), 10)
    # the preflight refuses it before any work, on the model's structure alone
    with pytest.raises(ConfigError) as err:
        compress.preflight(model, cfg, example_input=torch.zeros(1, 1, 8, 8), device="cpu")
    assert err.value.field == "prune_ratio" and "prune_ratio=0.9" in str(err.value)
    assert "at least one unit" in str(err.value)
    # through ow.run: refused, or the run fails with that same message (never a traceback)
    try:
        res = ow.run(cfg, store=False)
    except ConfigError as exc:
        assert exc.field == "prune_ratio"
    else:
        assert res.status == "failed" and "prune_ratio=0.9" in res.error
        assert "at least one unit" in res.error


def test_int8_on_a_device_that_cannot_run_it_is_refused():
    cfg = digits("cnn", quant_mode="int8")
    for check in (
        lambda: cfg.check_device("cuda"),  # what ow.run checks first
        lambda: compress.preflight(
            ow.runs.build_model_for(cfg, (1, 8, 8), 10),
            cfg,
            example_input=torch.zeros(1, 1, 8, 8),
            device="cuda",
        ),
    ):
        with pytest.raises(ConfigError) as err:
            check()
        assert err.value.field == "quant_mode" and "quant_mode='int8'" in str(err.value)
        assert "cpu" in str(err.value).lower()
    cfg.check_device("cpu")  # and on the CPU it is allowed


# ---- the trade-off plot marks each technique by colour and symbol -----------------------

FAMILY = {
    "baseline": "circle",
    "prune-filter": "square",
    "prune-weight-agp": "square",
    "int8": "diamond",
    "bf16": "diamond",
    "distill": "triangle-up",
    "lowrank": "cross",
    "distill+prune-neuron+int8": "star",
}


@pytest.mark.parametrize("changes", [
    {},
    {"model": "cnn", "prune_method": "filter", "prune_ratio": 0.5},
    {"prune_method": "weight", "prune_ratio": 0.5, "prune_schedule": "agp", "prune_steps": 3},
    {"quant_mode": "int8"},
    {"quant_mode": "bf16"},
    {"distill_student": "mlp_small"},
    {"lowrank_rank": 0.5},
    {"distill_student": "mlp_small", "prune_method": "neuron", "prune_ratio": 0.5,
     "quant_mode": "int8"},
])  # fmt: skip
def test_technique_labels_of_runs_get_their_family_symbol(changes):
    label = compress.technique_label(digits(**{"model": "mlp", **changes}))
    assert ow.viz.technique_symbol(label) == FAMILY[label]
    if "+" not in label and not label.endswith("-agp"):  # single techniques: a listed colour
        assert label in ow.viz.style.TECHNIQUE_COLORS


def test_simulated_runs_get_the_simulated_family_symbol():
    label = compress.technique_label(digits(quant_mode="simulated", quant_bits=4))
    assert ow.viz.technique_symbol(label) == "diamond-wide"
    assert ow.viz.technique_color(label) == ow.viz.style.TECHNIQUE_COLORS["sim-4bit"]
