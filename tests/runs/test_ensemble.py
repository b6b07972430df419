"""Ensembles: k members on seeds seed..seed+k-1, probabilities averaged, measured as one
deployed model (size = the members' saved files), reloaded bit for bit, distilled."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import optwidgets as ow
from optwidgets.compress.artefact import encode
from optwidgets.core.errors import ConfigError
from optwidgets.models.ensemble import Ensemble
from optwidgets.runs.ensemble import (
    MEMBER_KEY,
    bootstrap_indices,
    member_config,
    member_data,
)
from optwidgets.runs.prepare import prepare_data
from optwidgets.train.callbacks import Callback, StopRun
from optwidgets.viz.style import FAMILY_COLORS, technique_color, technique_family


def tiny(**changes) -> ow.RunConfig:
    base = dict(dataset="moons", model="mlp", hidden=(32,), n_samples=240, epochs=2,
                batch_size=32, device="cpu", seed=3)
    base.update(changes)
    return ow.RunConfig(**base)


@pytest.fixture
def store(tmp_path):
    return ow.RunStore(tmp_path / "store")


@pytest.fixture
def ens(store):
    return ow.run(tiny(ensemble=3), store=store)


def _first_linear(model):
    return next(m for m in model.modules() if isinstance(m, torch.nn.Linear)).weight


def test_k_members_train_on_their_own_seeds(ens):
    assert ens.status == "done", ens.error
    assert isinstance(ens.model, Ensemble) and len(ens.model) == 3
    assert ens.technique == "ensemble-3"
    weights = [_first_linear(m) for m in ens.model.members]
    assert not torch.equal(weights[0], weights[1]) and not torch.equal(weights[1], weights[2])
    # member 0 is exactly the run one model with the same seed makes
    single = ow.run(tiny(), store=False)
    assert torch.equal(_first_linear(single.model), weights[0])
    assert ens.extras["member_steps"][0][0] == 1
    assert ens.extras["member_steps"][1][0] == ens.extras["member_steps"][0][1] + 1


def test_accuracy_is_that_of_the_averaged_probabilities(ens, store):
    data = prepare_data(ens.config)
    loaded = store.load_model(ens.run_id)
    with torch.no_grad():
        probs = [F.softmax(m(data.X_test), dim=1) for m in loaded.members]
        mean_p = torch.stack(probs).mean(0)
    hand = int((mean_p.argmax(1) == data.y_test).sum()) / len(data.y_test)
    assert ens.metrics["test_acc"] == pytest.approx(hand, abs=1e-12)
    members = [int((p.argmax(1) == data.y_test).sum()) / len(data.y_test) for p in probs]
    assert ens.extras["member_test_acc"] == pytest.approx(members, abs=1e-12)
    # the module's output is the log of the averaged probabilities
    assert torch.allclose(loaded(data.X_test).exp(), mean_p, atol=1e-6)
    # validation: the last logged val rows are the ensemble's, not the last member's
    val = ens.history[(ens.history["split"] == "val") & (ens.history["metric"] == "acc")]
    assert val["phase"].iloc[-1] == "ensemble"
    with torch.no_grad():
        val_p = torch.stack([F.softmax(m(data.X_val), 1) for m in loaded.members]).mean(0)
    assert val["value"].iloc[-1] == int((val_p.argmax(1) == data.y_val).sum()) / len(data.y_val)


def test_size_is_the_sum_of_the_members_saved_files(ens, store):
    paths = store.member_artefact_paths(ens.run_id)
    assert [p.name for p in paths] == ["member-0.pt", "member-1.pt", "member-2.pt"]
    assert store.artefact_path(ens.run_id) is None
    assert ens.size_bytes == sum(p.stat().st_size for p in paths)
    assert ens.size_bytes == sum(encode(m).nbytes for m in ens.model.members)
    one = encode(ens.model.members[0]).nbytes
    assert ens.size_bytes == 3 * one  # same architecture, same encoding
    assert ens.params == 3 * sum(p.numel() for p in ens.model.members[0].parameters())
    row = store.to_frame().set_index("run_id").loc[ens.run_id]
    assert row["technique"] == "ensemble-3" and row["size_bytes"] == ens.size_bytes
    store.delete(ens.run_id)
    assert not paths[0].parent.exists()


def test_reload_gives_identical_logits(ens, store):
    data = prepare_data(ens.config)
    loaded = store.load_model(ens.run_id)
    assert isinstance(loaded, Ensemble) and len(loaded) == 3
    ens.model.eval()
    with torch.no_grad():
        assert torch.equal(loaded(data.X_test), ens.model(data.X_test))


def test_compression_applies_to_each_member_and_reloads(store):
    res = ow.run(tiny(ensemble=2, hidden=(128,), quant_mode="simulated", quant_bits=4,
                      prune_method="weight", prune_ratio=0.5), store=store)
    assert res.status == "done", res.error
    assert res.technique == "ensemble-2+prune-weight+sim-4bit"
    assert technique_family(res.technique) == "combined"
    assert "packed-4bit" in res.size_encoding
    assert res.before["size_bytes"] > res.size_bytes  # both sums of two members' files
    paths = store.member_artefact_paths(res.run_id)
    assert res.size_bytes == sum(p.stat().st_size for p in paths)
    data = prepare_data(res.config)
    loaded = store.load_model(res.run_id)
    with torch.no_grad():
        assert torch.equal(loaded(data.X_test), res.model.eval()(data.X_test))


def test_bootstrap_changes_the_members_data(ens):
    cfg = tiny(ensemble=3, ensemble_bootstrap=True)
    data = prepare_data(cfg)
    samples = [member_data(data, cfg, i) for i in range(3)]
    n = len(data.y_train)
    assert all(len(s.y_train) == n for s in samples)
    idx = [bootstrap_indices(n, seed=cfg.seed + i) for i in range(3)]
    assert all(torch.equal(s.X_train, data.X_train[i]) for s, i in zip(samples, idx))
    assert not torch.equal(idx[0], idx[1])
    distinct = [len(set(i.tolist())) / n for i in idx]
    assert all(0.5 < d < 0.75 for d in distinct)  # about 1 - 1/e: drawn with replacement
    assert member_data(data, tiny(ensemble=3), 1) is data  # without bootstrap: the split
    res = ow.run(cfg, store=False)
    assert res.status == "done", res.error
    # same seeds, other samples: other weights than the ensemble trained on the split
    for a, b in zip(res.model.members, ens.model.members):
        assert not torch.equal(_first_linear(a), _first_linear(b))


def test_progress_says_which_member_trains():
    seen = []

    class Phases(Callback):
        def on_phase(self, run, phase):
            seen.append((phase, run.extra.get(MEMBER_KEY)))

    res = ow.run(tiny(ensemble=3), callbacks=[Phases()], store=False)
    assert [m for p, m in seen if p == "train"] == ["1/3", "2/3", "3/3"]
    assert MEMBER_KEY not in res.extras  # only while training


def test_distilling_a_stored_ensemble(ens, store):
    cfg = tiny(distill_student="mlp_small", distill_teacher=ens.run_id, epochs=3)
    res = ow.run(cfg, store=store)
    assert res.status == "done", res.error
    assert res.teacher_run_id == ens.run_id and res.technique == "distill"
    # the teacher measured is the stored ensemble: its accuracy and summed size
    assert res.before["test_acc"] == pytest.approx(ens.metrics["test_acc"])
    assert res.before["size_bytes"] == ens.size_bytes
    assert res.before["params"] == ens.params
    assert res.size_bytes == store.artefact_path(res.run_id).stat().st_size
    student = store.load_model(res.run_id)
    assert not isinstance(student, Ensemble)
    # an ensemble that distills itself in the same run deploys the student
    same = ow.run(tiny(ensemble=2, distill_student="mlp_small"), store=store)
    assert same.status == "done", same.error
    assert same.technique == "distill" and same.teacher_run_id == same.run_id
    assert same.before["size_bytes"] == 2 * encode(ens.model.members[0]).nbytes
    assert not isinstance(same.model, Ensemble)


def test_member_settings_and_palette():
    cfg = tiny(ensemble=4, ensemble_bootstrap=True, seed=10)
    assert [member_config(cfg, i).seed for i in range(4)] == [10, 11, 12, 13]
    assert all(member_config(cfg, i).ensemble == 1 for i in range(4))
    assert technique_family("ensemble-4") == "ensemble"
    assert technique_color("ensemble-4") == FAMILY_COLORS["ensemble"]
    assert len(set(FAMILY_COLORS.values())) == len(FAMILY_COLORS)


@pytest.mark.parametrize("value", [0, 17, 2.5, True, "many"])
def test_bad_ensemble_sizes_are_refused(value):
    with pytest.raises(ConfigError) as err:
        tiny(ensemble=value)
    assert err.value.field == "ensemble"
    assert "ensemble=" in str(err.value)


def test_settings_that_do_not_apply_are_refused(store, ens):
    with pytest.raises(ConfigError) as err:
        tiny(ensemble_bootstrap="sometimes")
    assert err.value.field == "ensemble_bootstrap" and "True or False" in str(err.value)
    assert tiny().inactive_reason("ensemble_bootstrap") == "applies only with ensemble > 1"
    with pytest.raises(ConfigError) as err:  # bootstrap without an ensemble: ignored, refused
        ow.run(tiny(ensemble_bootstrap=True), store=False)
    assert err.value.field == "ensemble_bootstrap"
    with pytest.raises(ConfigError) as err:  # a stored teacher: this run trains no ensemble
        ow.run(tiny(ensemble=3, distill_student="mlp_small", distill_teacher=ens.run_id),
               store=store)
    assert err.value.field == "ensemble"
    with pytest.raises(ConfigError) as err:
        ow.run(tiny(ensemble=2), model=torch.nn.Sequential(torch.nn.Linear(2, 2)),
               store=False)
    assert err.value.field == "ensemble" and "model of your own" in str(err.value)
    with pytest.raises(ConfigError) as err:
        tiny(ensemble=3, seed=2**32 - 2)
    assert err.value.field == "ensemble" and "at most 2" in str(err.value)
    assert ow.RunConfig.from_dict(tiny(ensemble=5).to_dict()).ensemble == 5


def test_a_stopped_ensemble_keeps_its_members_and_says_where(store):
    class StopInMember2(Callback):
        def on_batch_end(self, run, loss):
            if run.extra.get(MEMBER_KEY) == "2/3":
                raise StopRun("enough")

    res = ow.run(tiny(ensemble=3), callbacks=[StopInMember2()], store=store)
    assert res.status == "stopped" and res.extras[MEMBER_KEY] == "2/3"
    assert len(store.member_artefact_paths(res.run_id)) == 3  # all saved, as measured
    data = prepare_data(res.config)
    with torch.no_grad():
        assert torch.equal(store.load_model(res.run_id)(data.X_test), res.model(data.X_test))
