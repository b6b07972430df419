"""Bad input at every entry point: RunConfig, ow.run, the CLI, the data loaders, the store.

Each case asserts the error type, that the message names the field (or file) and the
value, and that the store is byte-for-byte unchanged afterwards (nothing half-starts).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import optwidgets as ow
from optwidgets.cli import main as cli_main
from optwidgets.core.errors import ConfigError, DataError

# ----------------------------------------------------------------- RunConfig fields ----
FIELD_CASES = [
    # (field, bad value)
    ("dataset", "digitz"), ("dataset", 3), ("dataset", ""),
    ("model", "cnnn"), ("model", None),
    ("n_samples", 5), ("n_samples", 10**9), ("n_samples", 3.5), ("n_samples", "many"),
    ("noise", -0.1), ("noise", float("nan")),
    ("val_fraction", 0), ("val_fraction", 0.6), ("test_fraction", -0.2),
    ("preprocess", "zscore"), ("classes", "a,b"), ("classes", [-1]),
    ("train_fraction", 0), ("train_fraction", 1.5), ("labels_per_class", -1),
    ("hidden", ()), ("hidden", "0"), ("hidden", [16, -4]), ("hidden", "x"),
    ("activation", "swish"), ("width", 0), ("width", 10**6), ("dropout", 1.0),
    ("dropout", -0.5), ("seed", -1), ("seed", 2**40), ("seed", 1.5), ("device", "tpu"),
    ("optimizer", "adamm"), ("optimizer", 1), ("lr", 0), ("lr", -1), ("lr", 11),
    ("lr", True), ("lr", float("inf")), ("lr", "fast"), ("momentum", 1.0),
    ("momentum", -0.1), ("nesterov", "maybe"), ("nesterov", 2), ("schedule", "linear"),
    ("step_size", 0), ("gamma", 0), ("gamma", 2), ("batch_size", 0),
    ("batch_size", True), ("batch_size", 10**7), ("epochs", 0), ("epochs", False),
    ("epochs", 2.5), ("amp", "fp8"), ("weight_decay", -1e-4), ("weight_decay", 2),
    ("l1", -1), ("patience", -1), ("grad_clip", -1), ("augment", "rotate"),
    ("augment", {"spin": 10}), ("augment", {"rotate": 500}), ("augment", {"hflip": "sure"}),
    ("transfer", "partial"), ("backbone_lr_scale", 2), ("distill_student", "tiny"),
    ("distill_temperature", 0), ("distill_alpha", 1.5), ("lowrank_rank", -1),
    ("lowrank_rank", 2.5), ("prune_method", "random"), ("prune_ratio", 1.0),
    ("prune_ratio", -0.1), ("prune_scope", "net"), ("prune_schedule", "linear"),
    ("prune_steps", 0), ("finetune_epochs", -1), ("quant_mode", "int4"),
    ("quant_bits", 1), ("quant_bits", 33), ("quant_activations", "yes please"),
    ("qat_epochs", -2),
]


@pytest.mark.parametrize(("field", "value"), FIELD_CASES,
                         ids=[f"{f}={v!r}"[:40] for f, v in FIELD_CASES])
def test_a_bad_field_value_is_refused_naming_field_and_value(field, value):
    cfg = ow.RunConfig()
    with pytest.raises(ConfigError) as err:
        ow.RunConfig(**{field: value})
    assert err.value.field.startswith(field) or field in str(err.value)
    assert f"{field}" in str(err.value)
    with pytest.raises(ConfigError):
        setattr(cfg, field, value)  # assignment refuses it too, and the config keeps
    assert cfg == ow.RunConfig()


# ----------------------------------------------------------------- across fields ----
CROSS_CASES = [
    # (settings, the field the error names)
    ({"model": "cnn", "dataset": "moons"}, "model"),
    ({"dataset": "moons", "model": "mlp", "augment": {"rotate": 10}}, "augment['rotate']"),
    ({"model": "mlp", "prune_method": "filter", "prune_ratio": 0.5}, "prune_method"),
    ({"transfer": "fine_tune"}, "source"),
    ({"val_fraction": 0.45, "test_fraction": 0.45}, "test_fraction"),
    ({"dataset": "moons", "model": "mlp", "distill_student": "cnn_small"}, "distill_student"),
]


@pytest.mark.parametrize(("settings", "field"), CROSS_CASES)
def test_settings_that_contradict_each_other_are_refused(settings, field):
    with pytest.raises(ConfigError) as err:
        ow.RunConfig(**settings)
    assert err.value.field == field


IGNORED_CASES = [
    # settings a run would silently ignore, and the field the refusal names
    ({"optimizer": "adam", "nesterov": True}, "nesterov"),
    ({"optimizer": "sgd", "momentum": 0.0, "nesterov": True}, "nesterov"),
    ({"optimizer": "adam", "momentum": 0.5}, "momentum"),
    ({"source": "digits_0_4_cnn"}, "source"),
    ({"distill_teacher": "20260101-000000-abcdef"}, "distill_teacher"),
    ({"distill_temperature": 2.0}, "distill_temperature"),
    ({"distill_alpha": 0.2}, "distill_alpha"),
    ({"prune_ratio": 0.5}, "prune_ratio"),
    ({"prune_method": "neuron", "prune_ratio": 0.5, "prune_scope": "global"}, "prune_scope"),
    ({"prune_schedule": "agp"}, "prune_schedule"),
    ({"prune_method": "weight", "prune_ratio": 0.5, "prune_steps": 4}, "prune_steps"),
    ({"finetune_epochs": 2}, "finetune_epochs"),
    ({"finetune_epochs": 2, "quant_mode": "int8"}, "finetune_epochs"),
    ({"qat_epochs": 2}, "qat_epochs"),
    ({"quant_mode": "int8", "qat_epochs": 2}, "qat_epochs"),
    ({"quant_bits": 4}, "quant_bits"),
    ({"quant_mode": "fp16", "quant_bits": 4}, "quant_bits"),
    ({"quant_activations": True}, "quant_activations"),
    ({"step_size": 3}, "step_size"),
    ({"schedule": "cosine", "gamma": 0.5}, "gamma"),
    ({"transfer": "feature_extraction", "source": "digits_0_4_cnn",
      "backbone_lr_scale": 0.5}, "backbone_lr_scale"),
]


@pytest.fixture
def store(tmp_path):
    """A store holding one finished run; tests check it is unchanged afterwards."""
    s = ow.RunStore(tmp_path / "store")
    ow.run(dataset="xor", model="mlp", hidden=(4,), epochs=1, n_samples=100, store=s)
    return s


def _snapshot(store: ow.RunStore) -> dict[str, bytes]:
    return {str(p.relative_to(store.path)): p.read_bytes() for p in sorted(store.path.rglob("*"))
            if p.is_file() and not p.name.startswith("index.sqlite")}


@pytest.mark.parametrize(("settings", "field"), IGNORED_CASES,
                         ids=[f for _, f in IGNORED_CASES])
def test_a_setting_that_would_be_ignored_is_refused_when_the_run_starts(store, settings, field):
    before = _snapshot(store)
    cfg = ow.RunConfig(dataset="digits", model="cnn", epochs=1, **settings)
    with pytest.raises(ConfigError) as err:
        ow.run(cfg, store=store)
    assert err.value.field == field and repr(settings[field]) in str(err.value)
    assert "applies only with" in str(err.value)
    assert _snapshot(store) == before


def test_a_device_that_is_not_there_is_refused(store):
    import torch

    missing = [d for d, ok in (("cuda", torch.cuda.is_available()),
                               ("mps", torch.backends.mps.is_available())) if not ok]
    before = _snapshot(store)
    for device in missing:
        with pytest.raises(ConfigError) as err:
            ow.run(dataset="xor", model="mlp", epochs=1, device=device, store=store)
        assert err.value.field == "device" and repr(device) in str(err.value)
    assert _snapshot(store) == before


def test_the_unknown_keyword_gets_a_suggestion():
    with pytest.raises(ConfigError, match="did you mean 'lr'"):
        ow.RunConfig(lrr=0.1)
    with pytest.raises(ConfigError, match="did you mean 'lr'"):
        ow.run(lrr=0.1, store=False)
    with pytest.raises(ConfigError, match="did you mean 'store'"):
        ow.run(stor=False)


# ----------------------------------------------------------------- ow.run ----
RUN_CASES = [
    (lambda s: ow.run(dataset="xor", model="mlp", epochs=1, store=3), "store"),
    (lambda s: ow.run(dataset="xor", model="mlp", epochs=1, store=s, callbacks=[print]),
     "callbacks"),
    (lambda s: ow.run(dataset="xor", model="mlp", epochs=1, store=s, run_id="../x"), "run_id"),
    (lambda s: ow.run(dataset="xor", model="mlp", epochs=1, store=s, run_id="a b"), "run_id"),
    (lambda s: ow.run(dataset="xor", model="mlp", epochs=1, n_samples=100, batch_size=5000,
                      store=s), "batch_size"),
    (lambda s: ow.run(dataset="xor", model="mlp", epochs=1, amp="fp16", device="cpu",
                      store=s), "amp"),
    (lambda s: ow.run(dataset="digits", model="cnn", epochs=1, distill_student="cnn_small",
                      distill_teacher="20990101-000000-ffffff", store=s), "run_id"),
    (lambda s: ow.run(dataset="digits", model="cnn", epochs=1, transfer="fine_tune",
                      source="no_such_source", store=s), "source"),
    (lambda s: ow.run(dataset="digits", model="cnn", epochs=1, transfer="fine_tune",
                      source="/nonexistent/weights.pt", store=s), "source"),
    (lambda s: ow.run(ow.RunConfig(dataset="xor", model="mlp"), cancel="stop", store=s),
     "cancel"),
]


@pytest.mark.parametrize(("call", "field"), RUN_CASES, ids=[f for _, f in RUN_CASES])
def test_a_bad_run_argument_is_refused_before_anything_starts(store, call, field):
    before = _snapshot(store)
    with pytest.raises(ConfigError) as err:
        call(store)
    assert err.value.field == field
    assert _snapshot(store) == before


# ----------------------------------------------------------------- CLI ----
CLI_CASES = [
    (["run", "--lr", "-1"], "lr"),
    (["run", "--lr", "abc"], "lr"),
    (["run", "--epochs", "0"], "epochs"),
    (["run", "--optimizer", "adamm"], "optimizer"),
    (["run", "--hidden", "a,b"], "hidden"),
    (["run", "--augment", "[1]"], None),
    (["run", "--quant-bits", "33", "--quant-mode", "simulated"], "quant_bits"),
    (["run", "--prune-ratio", "0.5"], "prune_ratio"),
    (["run", "--config", "/nonexistent.json"], "config"),
    (["runs", "show", "20990101-000000-ffffff"], "run_id"),
    (["runs", "delete", "../../etc"], "run_id"),
    (["export-script"], "run_id"),
    (["sweep", "--knob", "prune_ratio", "--values", "0.5"], "prune_method"),
    (["sweep", "--knob", "quant_bits", "--values", "two"], "values"),
    (["search", "--method", "annealing", "--space", "lr=log:1e-3:1e-1"], "method"),
    (["run", "--unknown-flag", "1"], None),
]


@pytest.mark.parametrize(("argv", "field"), CLI_CASES, ids=[" ".join(a)[:40] for a, _ in CLI_CASES])
def test_the_cli_refuses_with_a_message_and_exit_2(store, capsys, argv, field):
    before = _snapshot(store)
    code = cli_main([*argv, "--store", str(store.path), "--json"])
    out = capsys.readouterr()
    assert code == 2, out
    import json

    err = json.loads(out.out)
    assert "Traceback" not in out.err and err["error"]
    if field is not None:
        assert err["field"] == field and field in err["error"]
    assert _snapshot(store) == before


# ----------------------------------------------------------------- your own data ----
DATA_CASES = [
    (lambda: ow.data.from_arrays(np.zeros((10, 2)), np.zeros(9)), "9"),
    (lambda: ow.data.from_arrays(np.zeros((10, 2)), np.zeros(10)), "single class"),
    (lambda: ow.data.from_arrays(np.full((10, 2), np.nan), np.arange(10) % 2), "NaN"),
    (lambda: ow.data.from_arrays(np.array([["a", "b"]] * 10), np.arange(10) % 2), "numeric"),
    (lambda: ow.data.from_arrays(np.zeros((10, 2, 2, 2, 2)), np.arange(10) % 2), "shape"),
    (lambda: ow.data.from_dataframe(pd.DataFrame({"x": [1.0, None] * 5,
                                                  "y": [0, 1] * 5}), "y"), "x"),
    (lambda: ow.data.from_dataframe(pd.DataFrame({"x": range(10)}), "label"), "label"),
    (lambda: ow.data.from_dataframe(pd.DataFrame({"y": [0, 1] * 5}), "y"), "feature"),
    (lambda: ow.data.from_dataframe([[1, 2]], "y"), "DataFrame"),
    (lambda: ow.data.from_csv("/nonexistent/file.csv", "y"), "/nonexistent/file.csv"),
    (lambda: ow.data.load_dataset("no_such_set"), "no_such_set"),
]


@pytest.mark.parametrize("call_and_text", DATA_CASES, ids=[t for _, t in DATA_CASES])
def test_your_own_data_is_refused_naming_what_is_wrong(call_and_text):
    call, text = call_and_text
    with pytest.raises((DataError, ConfigError)) as err:
        call()
    assert text in str(err.value)


def test_a_csv_that_is_not_a_csv(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises((DataError, ConfigError)) as err:
        ow.data.from_csv(bad, "y")
    assert str(bad) in str(err.value) or "y" in str(err.value)


# ----------------------------------------------------------------- the store ----
STORE_CASES = [
    (lambda s: s.load("20990101-000000-ffffff"), "run_id"),
    (lambda s: s.load("../x"), "run_id"),
    (lambda s: s.load_model("20990101-000000-ffffff"), "run_id"),
    (lambda s: s.load_model(".."), "run_id"),
    (lambda s: s.delete("../../x"), "run_id"),
    (lambda s: s.history("nope/../../x"), "run_id"),
    (lambda s: s.load_trained("20990101-000000-ffffff"), "run_id"),
    (lambda s: ow.runs.as_store(42), "store"),
    (lambda s: ow.runs.as_store(threading.Event()), "store"),
]


@pytest.mark.parametrize(("call", "field"), STORE_CASES, ids=[f"store-{i}" for i in range(len(STORE_CASES))])
def test_the_store_refuses_bad_ids_and_arguments(store, call, field):
    before = _snapshot(store)
    with pytest.raises(ConfigError) as err:
        call(store)
    assert err.value.field == field
    assert _snapshot(store) == before


def test_there_are_at_least_120_bad_inputs():
    n = (len(FIELD_CASES) + len(CROSS_CASES) + len(IGNORED_CASES) + len(RUN_CASES)
         + len(CLI_CASES) + len(DATA_CASES) + len(STORE_CASES) + 4)
    assert n >= 120, n
