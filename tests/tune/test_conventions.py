"""Optuna's conventions (issue #12 item 7) and trials on their effective settings (issue
#11 item 7): a user's study and sampler, the method the sampler really is, storages that
Optuna's own API opens, unknown storages refused, flat spaces with settings only some
trials use."""

from __future__ import annotations

import json
import subprocess
import sys

import optuna
import pytest
from optuna.storages.journal import JournalFileBackend, JournalStorage

import optwidgets as ow
from optwidgets.tune import load_search, parse_space
from optwidgets.tune._objective import TrialRunner

from .helpers import TINY

SPACE = {"lr": ("log", 1e-3, 1e-1), "optimizer": ["adam", "sgd"]}


def test_the_method_is_what_the_sampler_really_is(store):
    res = ow.search(
        TINY,
        space=SPACE,
        sampler=optuna.samplers.RandomSampler(seed=0),  # method left at its default
        n_trials=2,
        store=store,
    )
    assert res.method == "random" and res.sampler_name == "RandomSampler"
    assert res.study_name.startswith("random-")
    assert res.to_dict()["method"] == "random"
    # sampler names too: "cmaes" is an evolution search whatever method says
    res = ow.search(TINY, space=SPACE, sampler="cmaes", n_trials=2, store=store)
    assert (res.method, res.sampler_name) == ("evolution", "CmaEsSampler")
    assert res.study_name.startswith("evolution-")


def test_a_users_study_is_continued_with_its_storage_name_and_sampler(tmp_path, store):
    url = f"sqlite:///{tmp_path / 'mine.db'}"
    mine = optuna.create_study(
        study_name="mine",
        storage=url,
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=5),
    )
    res = ow.search(TINY, space=SPACE, study=mine, n_trials=2, store=store)
    assert res.study is mine and res.study_name == "mine" and res.method == "random"
    again = ow.search(TINY, space=SPACE, study=mine, n_trials=1, store=store)
    assert len(again.study.trials) == 3
    # a plain Optuna study: Optuna's own API reads what the search wrote
    back = optuna.load_study(study_name="mine", storage=url)
    assert [t.state.name for t in back.trials] == ["COMPLETE"] * 3
    assert {t.user_attrs["ow"]["run_id"] for t in back.trials} == set(store.run_ids())
    assert load_search(url, "mine").best.number == back.best_trial.number
    with pytest.raises(ow.ConfigError) as err:
        ow.search(TINY, space=SPACE, study=mine, storage=url, n_trials=1, store=store)
    assert err.value.field == "study"


def test_journal_and_sqlite_storages_open_with_optunas_own_api(tmp_path, store):
    journal = tmp_path / "study.log"
    res = ow.search(
        TINY, space=SPACE, method="random", n_trials=2, storage=journal, study_name="j", store=store
    )
    study = optuna.load_study(
        study_name="j", storage=JournalStorage(JournalFileBackend(str(journal)))
    )
    assert [t.params for t in study.trials] == [t.params for t in res.study.trials]
    assert [t.value for t in study.trials] == res.trials_frame()["value"].tolist()
    url = f"sqlite:///{tmp_path / 'study.db'}"
    res = ow.search(TINY, space=SPACE, method="grid", n_trials=3, storage=url, store=store)
    study = optuna.load_study(study_name=res.study_name, storage=url)
    assert len(study.trials) == 3 and all(t.state.name == "COMPLETE" for t in study.trials)
    assert all("grid_id" in t.system_attrs for t in study.trials)  # as GridSampler's own


@pytest.mark.parametrize("bad", ["bogus://x", "nosuchdb+driver://host/db"])
def test_an_unknown_storage_url_is_refused_before_anything_runs(bad, store):
    for n_workers in (1, 2):
        with pytest.raises(ow.ConfigError) as err:
            ow.search(TINY, space=SPACE, method="random", n_trials=1, storage=bad, store=store,
                      n_workers=n_workers)  # fmt: skip
        assert err.value.field == "storage" and err.value.value == bad
        assert err.value.allowed == (
            "a journal file path or a database URL such as sqlite:///study.db"
        )
    assert len(store) == 0


def test_the_cli_turns_an_unknown_storage_into_a_message_and_exit_2(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "optwidgets", "search", "--dataset", "xor", "--model", "mlp",
         "--space", "lr=log:1e-3:1e-1", "--method", "random", "--n-trials", "1",
         "--storage", "bogus://x", "--store", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "storage='bogus://x'" in out.stderr
    assert "sqlite:///study.db" in out.stderr


# -- effective settings ------------------------------------------------------------------
TRADEOFF_SPACE = {  # the space of notebooks/09_tradeoffs.ipynb
    "prune_method": ["none", "neuron"],
    "prune_ratio": ("float", 0, 0.8),
    "quant_mode": ["none", "int8", "fp16"],
}


def test_a_flat_space_runs_every_trial_on_its_effective_settings(store):
    base = TINY.replace(finetune_epochs=1, device="cpu")  # fine-tuning: only when pruning
    res = ow.search(base, space=TRADEOFF_SPACE, method="grid", n_trials=6, seed=0, store=store)
    frame = res.trials_frame()
    assert (frame["state"] == "COMPLETE").all(), frame["error"].tolist()
    runs = store.to_frame().set_index("run_id")
    for t, row in zip(res.study.trials, frame.itertuples()):
        cfg = store.load(row.run_id).config
        if t.params["prune_method"] == "none":  # the sampled ratio had no effect
            assert row.inactive_params == "prune_ratio" and row.params_prune_ratio == 0.0
            assert cfg.prune_ratio == 0.0 and cfg.finetune_epochs == 0
            assert t.user_attrs["ow"]["inactive_params"] == {"prune_ratio": t.params["prune_ratio"]}
            assert runs.loc[row.run_id, "search_inactive"] == "prune_ratio"
        else:
            assert row.inactive_params == "" and cfg.finetune_epochs == 1
            assert cfg.prune_ratio == t.params["prune_ratio"] == row.params_prune_ratio
        assert cfg == cfg.without_unused()  # every setting it ran with applied
    assert res.best.config == store.load(res.best.run_id).config
    json.dumps(res.to_dict())  # plain data still


def test_a_trial_config_is_the_base_with_values_and_nothing_that_does_not_apply():
    runner = TrialRunner(
        TINY.replace(finetune_epochs=1, quant_bits=4).to_dict(),
        parse_space({"quant_mode": ["none", "simulated"], "prune_ratio": ("float", 0, 0.5)}),
        ("test_acc",),
        "s",
    )
    cfg, inactive = runner.effective({"quant_mode": "simulated", "prune_ratio": 0.3})
    assert (cfg.quant_bits, cfg.prune_ratio, cfg.finetune_epochs) == (4, 0.0, 0)
    assert inactive == {"prune_ratio": 0.3}
    cfg, inactive = runner.effective({"quant_mode": "none", "prune_ratio": 0.3})
    assert cfg.quant_bits == 8 and inactive == {"prune_ratio": 0.3}  # base's bits unused
