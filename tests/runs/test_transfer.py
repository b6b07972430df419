"""Transfer learning: built-in sources made once, weights files, backbone loading, frozen
backbone, parameter groups, refusals, and the done-when check (fine-tuning from digits 0-4
beats training from scratch on digits 5-9 with 5 labels per class)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.runs import build_model_for, prepare_data, transfer
from optwidgets.train.optim import make_optimizer

DIGITS_5_9 = (5, 6, 7, 8, 9)


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # steady timings on a shared CPU, same numbers everywhere
    yield
    torch.set_num_threads(before)


def target(**changes) -> ow.RunConfig:
    """Digits 5-9 with 5 labels per class: the few-label task of the lesson."""
    base = dict(dataset="digits", model="cnn", classes=DIGITS_5_9, labels_per_class=5,
                batch_size=16, epochs=3, lr=1e-2, device="cpu", seed=0)
    base.update(changes)
    return ow.RunConfig(**base)


def backbone(state: dict, head: str) -> dict:
    return {k: v for k, v in state.items() if not k.startswith(head + ".")}


# ----------------------------------------------------------------- built-in sources ----
def test_builtin_source_is_made_once_with_config_and_sha256(monkeypatch):
    info = transfer.ensure_source("digits_0_4_cnn")
    meta = json.loads(info.path.with_suffix(".json").read_text())
    assert info.path == ow.data.data_home() / "sources" / "digits_0_4_cnn.pt"
    assert meta["config"]["classes"] == [0, 1, 2, 3, 4] and meta["config"]["model"] == "cnn"
    assert meta["sha256"] == info.sha256 and len(info.sha256) == 64
    assert (info.input_shape, info.num_classes) == ((1, 8, 8), 5)
    assert info.test_acc > 0.95  # the source is good at its own task
    # cached: asking again trains nothing
    monkeypatch.setattr(transfer, "_train_source", lambda *a, **k: pytest.fail("retrained"))
    assert transfer.ensure_source("digits_0_4_cnn").sha256 == info.sha256


def test_a_damaged_or_outdated_source_is_made_anew():
    info = transfer.ensure_source("digits_0_4_mlp")
    good = info.path.read_bytes()
    info.path.write_bytes(good[: len(good) // 2])  # truncated: the hash no longer matches
    again = transfer.ensure_source("digits_0_4_mlp")
    assert again.path.read_bytes() == good  # seeded: made the same way, same bytes
    meta_path = info.path.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta["config"]["epochs"] = 1  # a recipe that is not the current one
    meta_path.write_text(json.dumps(meta))
    assert transfer._read_cached(transfer.SOURCES["digits_0_4_mlp"]) is None
    assert transfer.ensure_source("digits_0_4_mlp").sha256 == info.sha256


def test_making_a_source_leaves_the_callers_random_streams_alone():
    torch.manual_seed(123)
    np.random.seed(5)
    expected = torch.rand(3), np.random.rand(2)
    torch.manual_seed(123)
    np.random.seed(5)
    transfer.ensure_source("digits_0_4_mlp", remake=True)
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(2), expected[1])


# ------------------------------------------------------------------- loading weights ----
def test_fine_tune_loads_the_backbone_and_keeps_a_new_head():
    cfg = target(transfer="fine_tune", source="digits_0_4_cnn", backbone_lr_scale=0.25)
    fresh = build_model_for(cfg, (1, 8, 8), 5)
    model, groups = transfer.prepare_transfer(build_model_for(cfg, (1, 8, 8), 5), cfg)
    state, _ = transfer.load_source("digits_0_4_cnn")
    head = transfer.head_name(model)
    got = model.state_dict()
    for k, v in backbone(state, head).items():
        assert torch.equal(got[k], v), k
    for k in (f"{head}.weight", f"{head}.bias"):  # the head is the run's own, seeded
        assert torch.equal(got[k], fresh.state_dict()[k])
        assert not torch.equal(got[k], state[k])
    assert [(g["name"], g["lr"]) for g in groups] == [("backbone", 0.0025), ("head", 0.01)]
    opt = make_optimizer(groups, cfg)
    assert [g["lr"] for g in opt.param_groups] == [0.0025, 0.01]
    n_params = sum(len(g["params"]) for g in groups)
    assert n_params == len(list(model.parameters()))


def test_the_head_may_have_another_class_count():
    cfg = target(classes=(5, 6, 7), transfer="fine_tune", source="digits_0_4_cnn")
    model, _ = transfer.prepare_transfer(build_model_for(cfg, (1, 8, 8), 3), cfg)
    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 3)


def test_feature_extraction_trains_only_the_head():
    cfg = target(transfer="feature_extraction", source="digits_0_4_cnn", epochs=2)
    res = ow.run(cfg, store=False)
    assert res.status == "done"
    state, _ = transfer.load_source("digits_0_4_cnn")
    head = transfer.head_name(res.model)
    after = res.model.state_dict()
    # weights *and* BatchNorm running statistics are exactly the source's: BN stayed in
    # eval mode during training, so the backbone computes what it computed before
    for k, v in backbone(state, head).items():
        assert torch.equal(after[k], v), k
    assert not any(p.requires_grad for n, p in res.model.named_parameters()
                   if not n.startswith(head + "."))
    fresh = build_model_for(cfg, (1, 8, 8), 5)
    assert not torch.equal(after[f"{head}.weight"], fresh.state_dict()[f"{head}.weight"])
    res.model.train()
    assert not res.model[1].training  # a frozen BatchNorm ignores model.train()


def test_fine_tune_trains_the_backbone_too():
    cfg = target(transfer="fine_tune", source="digits_0_4_cnn", epochs=2)
    res = ow.run(cfg, store=False)
    state, _ = transfer.load_source("digits_0_4_cnn")
    assert not torch.equal(res.model.state_dict()["0.weight"], state["0.weight"])


def test_a_weights_file_and_a_stored_run_are_sources(tmp_path):
    store = ow.RunStore(tmp_path / "store")
    src = ow.run(target(classes=(0, 1, 2), labels_per_class=0, epochs=1), store=store)
    path = tmp_path / "mine.pt"
    torch.save(src.model.state_dict(), path)
    for source in (str(path), src.run_id):
        cfg = target(transfer="feature_extraction", source=source, epochs=1)
        res = ow.run(cfg, store=store)
        assert res.status == "done", res.error
        assert torch.equal(res.model.state_dict()["0.weight"], src.model.state_dict()["0.weight"])
    wrapped = tmp_path / "checkpoint.pt"  # {"state_dict": ...} checkpoints are read too
    torch.save({"state_dict": src.model.state_dict(), "epoch": 3}, wrapped)
    state, info = transfer.load_source(str(wrapped))
    assert info.kind == "file" and "0.weight" in state


def test_same_transfer_config_same_result():
    cfg = target(transfer="fine_tune", source="digits_0_4_cnn", epochs=2)
    a, b = ow.run(cfg, store=False), ow.run(cfg, store=False)
    assert a.metrics["test_acc"] == b.metrics["test_acc"]
    assert torch.equal(a.model.state_dict()["0.weight"], b.model.state_dict()["0.weight"])


# -------------------------------------------------------------------------- refusals ----
def refused(cfg: ow.RunConfig, store=False) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        ow.run(cfg, store=store)
    return info.value


def test_unknown_builtin_name_suggests_the_closest():
    err = refused(target(transfer="fine_tune", source="digits_04_cnn"))
    assert err.field == "source" and "did you mean 'digits_0_4_cnn'" in str(err)


def test_missing_file_is_named(tmp_path):
    err = refused(target(transfer="fine_tune", source=str(tmp_path / "nope.pt")))
    assert err.field == "source" and "no file at" in str(err)


def test_a_pickled_module_is_refused_not_unpickled(tmp_path):
    path = tmp_path / "whole_model.pt"
    torch.save(build_model_for(target(), (1, 8, 8), 5), path)  # the whole nn.Module
    err = refused(target(transfer="fine_tune", source=str(path)))
    assert err.field == "source"
    assert "plain weights" in str(err) and "weights_only" in str(err)
    assert "\x1b" not in str(err)  # torch's bold terminal codes are stripped
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a torch file")
    assert refused(target(transfer="fine_tune", source=str(garbage))).field == "source"
    tensor = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), tensor)
    err = refused(target(transfer="fine_tune", source=str(tensor)))
    assert err.field == "source" and "state dict" in str(err)


def test_a_source_whose_input_does_not_fit_says_so(tmp_path):
    rgb = ow.models.build_model("cnn", (3, 8, 8), 5)  # three input channels, digits has one
    path = tmp_path / "rgb.pt"
    torch.save(rgb.state_dict(), path)
    err = refused(target(transfer="fine_tune", source=str(path)))
    assert err.field == "source"
    assert "'0.weight' has shape (32, 3, 3, 3)" in str(err) and "(32, 1, 3, 3)" in str(err)
    assert "the input must fit" in str(err) and "class count may differ" in str(err)
    mlp = ow.models.build_model("mlp", (16,), 5)
    torch.save(mlp.state_dict(), path)
    err = refused(target(model="mlp", transfer="fine_tune", source=str(path)))
    assert "'1.weight' has shape (128, 16)" in str(err) and "(128, 64)" in str(err)


def test_a_builtin_source_for_another_architecture_is_refused_before_it_is_made(monkeypatch):
    monkeypatch.setattr(transfer, "ensure_source", lambda *a, **k: pytest.fail("made"))
    err = refused(target(model="mlp", transfer="fine_tune", source="digits_0_4_cnn"))
    assert err.field == "source" and "'digits_0_4_mlp'" in str(err)
    err = refused(target(width=16, transfer="fine_tune", source="digits_0_4_cnn"))
    assert err.field == "width" and "32" in str(err)


def test_a_refused_source_starts_nothing(tmp_path):
    store = ow.RunStore(tmp_path / "store")
    refused(target(transfer="fine_tune", source="nope"), store=store)
    assert store.run_ids() == []


def test_mnist_source_needs_its_files(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTWIDGETS_DATA", str(tmp_path))
    assert "mnist_cnn" not in transfer.available_sources()
    with pytest.raises(ConfigError) as info:
        transfer.ensure_source("mnist_cnn")
    assert info.value.field == "source" and "load_dataset('mnist')" in str(info.value)


def test_feature_extraction_without_source_and_too_many_labels_are_refused():
    with pytest.raises(ConfigError, match="source"):
        target(transfer="feature_extraction")
    with pytest.raises((ConfigError, ow.DataError), match="labels_per_class|per class"):
        prepare_data(target(labels_per_class=10_000))


def test_mnist_to_fashion_mnist_with_small_local_files(tmp_path, monkeypatch):
    """The MNIST source is made from files already in the data home (written here, tiny,
    in the official IDX format); nothing is downloaded."""
    from optwidgets.data import clear_cache, download
    from optwidgets.data.idx import IDX_FILES, write_idx

    monkeypatch.setenv("OPTWIDGETS_DATA", str(tmp_path))
    monkeypatch.setattr(download, "MIRRORS", {})  # any download attempt fails at once
    rng = np.random.default_rng(0)
    for name in ("mnist", "fashion_mnist"):
        folder = tmp_path / name
        folder.mkdir()
        sizes = {"train": 120, "test": 40}
        hashes = {}
        for key, fname in IDX_FILES.items():
            split, what = key.split("_")
            n = sizes[split]
            arr = (rng.integers(0, 256, (n, 28, 28)) if what == "images"
                   else np.arange(n) % 10)
            write_idx(folder / fname, arr.astype(np.uint8))
            hashes[fname] = download.sha256_of(folder / fname)
        monkeypatch.setitem(download.CHECKSUMS, name, hashes)
    clear_cache()
    try:
        assert "mnist_cnn" in transfer.available_sources()
        info = transfer.ensure_source("mnist_cnn")
        assert info.input_shape == (1, 28, 28) and info.num_classes == 10
        res = ow.run(ow.RunConfig(dataset="fashion_mnist", model="cnn", transfer="fine_tune",
                                  source="mnist_cnn", epochs=1, device="cpu"), store=False)
        assert res.status == "done", res.error
    finally:
        clear_cache()


# ------------------------------------------------------------------------ done when ----
def test_fine_tune_from_digits_0_4_beats_scratch_on_digits_5_9_with_5_labels():
    """Done-when of issue 5, over seeds 0, 1, 2 with the lesson's settings (notebook 07).

    The measured gain is small (about 2 points of test accuracy at lr 0.01; none at
    lr 0.003, where scratch is as good): 8x8 digits are easy enough that a random
    convolutional backbone already gives ~90% from 25 labelled images.
    """
    settings = dict(epochs=30, batch_size=16, lr=1e-2, backbone_lr_scale=0.3)
    scratch, fine = [], []
    for seed in (0, 1, 2):
        scratch_cfg = target(seed=seed, **settings).without_unused()  # no backbone to scale
        scratch.append(ow.run(scratch_cfg, store=False).metrics["test_acc"])
        fine.append(ow.run(target(seed=seed, transfer="fine_tune", source="digits_0_4_cnn",
                                  **settings), store=False).metrics["test_acc"])
    assert np.mean(fine) > np.mean(scratch), (scratch, fine)
