"""The studies behind the article's twelve tables: documented columns, a spread over seeds,
and a few of the article's claims checked against what is measured (on a micro budget)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from optwidgets import studies
from optwidgets.core.errors import ConfigError
from optwidgets.studies import Budget

MICRO = Budget("micro", seeds=(0, 1), epochs=1, width=4, hidden=16, rounds=2, trials=2,
               es_epochs=(2, 4), transfer_labels=5, workload=2, time_epochs=1)

# table number -> (grouping columns, measured values that carry a mean and a std)
COLUMNS = {
    1: (["hyperparameter", "value"], ["val_acc", "test_acc"]),
    2: (["optimizer", "lr"], ["train_seconds", "val_acc", "test_acc"]),
    3: (["features", "technique"], ["val_acc", "test_acc"]),
    4: (["model", "technique", "size_encoding"],
        ["size_bytes", "size_reduction_pct", "saved_dense_reduction_pct",
         "nonzero_reduction_pct", "val_acc", "test_acc"]),
    5: (["early_stopping", "epochs"], ["val_loss", "epochs_run", "test_acc"]),
    6: (["model", "params"], ["size_mb", "val_acc", "test_acc", "train_seconds"]),
    7: (["format", "bits"], ["size_bytes", "test_acc"]),
    8: (["parallelism", "kind", "level"], ["seconds"]),
    9: (["approach"], ["val_acc", "test_acc", "train_seconds"]),
    10: (["technique"], ["val_acc", "test_acc"]),
    11: (["method", "trials"], ["best_val_acc", "test_acc_of_best", "seconds_to_best",
                                "search_seconds"]),
    12: (["hardware", "workers", "threads_per_worker"], ["seconds"]),
}
SLOW = {1, 8, 9, 11, 12}  # many runs, worker processes, Optuna searches: tens of seconds

_cache: dict[int, pd.DataFrame] = {}


def micro(number: int) -> pd.DataFrame:
    if number not in _cache:
        _cache[number] = studies.TABLES[number - 1].study(MICRO, "cpu")
    return _cache[number]


@pytest.mark.parametrize("number", [
    pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in COLUMNS])
def test_each_table_has_its_columns_and_a_spread_over_seeds(number):
    table = micro(number)
    keys, values = COLUMNS[number]
    expected = keys + [f"{v}_{s}" for v in values for s in ("mean", "std")] + ["n_seeds"]
    assert set(expected) <= set(table.columns), set(expected) - set(table.columns)
    assert len(table) >= 3 and (table["n_seeds"] == len(MICRO.seeds)).all()
    for v in values:
        measured = table[f"{v}_mean"].notna()
        assert measured.any()
        assert (table.loc[measured, f"{v}_std"] >= 0).all()
    assert table.attrs["budget"] == "micro" and table.attrs["seeds"] == [0, 1]
    assert table.attrs["notes"]
    json.dumps(studies.table_record(number, table))  # JSON-safe (NaN -> null)


def test_a_spread_comes_from_different_seeds():
    t = micro(1)
    assert (t["val_acc_std"] > 0).any()  # the seeds change splits and weights


def test_weight_pruning_saves_as_large_as_dense_unless_stored_sparse():
    t = micro(4).set_index(["model", "technique"])
    for model in ("mlp", "cnn"):
        w = t.loc[(model, "weight")]
        # the pruned weights saved dense (what a masked model is): not one byte smaller
        assert w["saved_dense_reduction_pct_mean"] == 0.0
        if w["size_encoding"] == "dense-fp32":
            assert w["size_bytes_mean"] == t.loc[(model, "dense"), "size_bytes_mean"]
        else:
            assert "csr" in w["size_encoding"] and w["size_reduction_pct_mean"] > 0
        assert w["nonzero_reduction_pct_mean"] > 40  # half the weights are zeros
    for model, kind in (("mlp", "neuron"), ("cnn", "filter")):
        s = t.loc[(model, kind)]  # structured: the saved model is smaller, dense
        assert s["size_reduction_pct_mean"] > 20
        assert s["size_reduction_pct_mean"] == pytest.approx(s["saved_dense_reduction_pct_mean"])
    assert (t["latency_ms"] > 0).all() and (t["latency_rounds"] == MICRO.rounds).all()


def test_fewer_bits_make_a_smaller_file_whatever_the_latency():
    t = micro(7).set_index("format")
    sizes = t.loc[["fp32", "fp16", "int8", "4-bit (simulated)", "2-bit (simulated)"],
                  "size_bytes_mean"]
    assert sizes.is_monotonic_decreasing and sizes.iloc[0] > 2 * sizes.iloc[2]
    assert (t["latency_ms"] > 0).all() and t.loc["fp32", "latency_vs_fp32"] == 1.0


def test_early_stopping_stops_and_the_plain_run_reads_every_count():
    t = micro(5)
    plain = t[~t["early_stopping"]]
    assert plain["epochs"].tolist() == list(MICRO.es_epochs)
    assert (plain["epochs_run_mean"] == plain["epochs"]).all()
    stopped = t[t["early_stopping"]]
    assert (stopped["epochs_run_mean"] <= stopped["epochs"]).all()


def test_the_pretrained_model_as_it_is_never_saw_the_target_digits():
    t = micro(9).set_index("approach")
    assert t.loc["pretrained as it is", "test_acc_mean"] < 0.5  # five classes: chance 0.2
    assert pd.isna(t.loc["pretrained as it is", "val_acc_mean"])
    assert t.loc["fine tune", "test_acc_mean"] > t.loc["pretrained as it is", "test_acc_mean"]


@pytest.mark.slow
def test_gpu_rows_are_left_out_without_a_gpu_never_filled():
    t = micro(8)
    if torch.cuda.is_available():
        assert "gpu" in set(t["kind"])
    else:
        assert "gpu" not in set(t["kind"])
        assert any("no CUDA GPU" in n for n in t.attrs["left_out"])
    assert set(t["kind"]) >= {"threads", "search workers"}


def test_the_registry_lists_twelve_tables_with_claims_and_the_articles_numbers():
    assert [t.number for t in studies.TABLES] == list(range(1, 13))
    for t in studies.TABLES:
        assert t.claim.endswith(".") and t.claim.count(". ") == 0  # one sentence
        art = studies.article(t.number)
        assert len(art) >= 3 and art.shape[1] >= 2
    assert studies.article(4).set_index("technique").loc["weight", "size_reduction_pct"] == 40


@pytest.mark.parametrize(("call", "field", "value"), [
    (lambda: studies.check_budget("huge"), "budget", "huge"),
    (lambda: studies.check_only(0), "only", 0),
    (lambda: studies.check_only("4x"), "only", "4x"),
    (lambda: studies.check_only(True), "only", True),
    (lambda: studies.pruning(budget="slow"), "budget", "slow"),
    (lambda: studies.pruning(device="tpu"), "device", "tpu"),
    (lambda: studies.run_table(13), "only", 13),
])
def test_bad_budget_only_and_device_are_refused_naming_field_value_allowed(call, field, value):
    with pytest.raises(ConfigError) as err:
        call()
    assert err.value.field == field and err.value.value == value and err.value.allowed
    assert str(value) in str(err.value)


def test_save_csv_writes_date_and_hardware_first(tmp_path):
    t = micro(1)
    path = studies.save_csv(1, t, tmp_path, studies.hardware())
    back = pd.read_csv(path)
    assert list(back.columns[:7]) == ["measured_at", "cpu", "cpu_threads", "gpu", "torch",
                                      "budget", "device"]
    assert len(back) == len(t) and (back["budget"] == "micro").all()
