"""Studies of how a model is trained: hyperparameters, optimizers, preprocessing, early
stopping, transfer learning and augmentation (tables 1, 2, 3, 5, 9 and 10).

Every run is an ``ow.run`` with ``store=False`` on one torch thread, once per seed; each
table holds the mean and the standard deviation over the seeds. Selection-like numbers
(``val_acc``, ``val_loss``) come from the validation split; ``test_acc`` only reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from optwidgets.config import RunConfig
from optwidgets.data import from_arrays, from_dataframe
from optwidgets.runs import build_model_for, prepare_data
from optwidgets.runs import transfer as _transfer
from optwidgets.studies._common import (
    Budget,
    alternated,
    check_budget,
    check_device,
    frame,
    run_one,
    spread,
    val_acc,
)
from optwidgets.train.trainer import evaluate

__all__ = ["hyperparameters", "optimizers", "preprocessing", "early_stopping", "transfer",
           "augmentation"]


def _digits_mlp(b: Budget, device: str, **kw: Any) -> RunConfig:
    return RunConfig(**{"dataset": "digits", "model": "mlp", "hidden": (b.hidden,),
                        "epochs": b.epochs, "lr": 3e-3, "batch_size": 64, "device": device,
                        **kw})


def _digits_cnn(b: Budget, device: str, **kw: Any) -> RunConfig:
    return RunConfig(**{"dataset": "digits", "model": "cnn", "width": b.width,
                        "epochs": b.epochs, "lr": 3e-3, "batch_size": 64, "device": device,
                        **kw})


# ---------------------------------------------------------------------------------------
# 1. hyperparameter impact

HYPERPARAMETERS: dict[str, tuple[float, ...]] = {
    "lr": (1e-4, 1e-3, 1e-2, 1e-1),  # Adam learning rate, around the default 3e-3
    "batch_size": (16, 64, 256),  # samples per step (digits trains on ~1150 images)
    "dropout": (0.0, 0.25, 0.5),  # probability, before the classifier
}


def hyperparameters(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 1: accuracy as one hyperparameter moves and the others stay at the base
    (digits, mlp, Adam lr 3e-3, batch 64, no dropout).

    Columns: ``hyperparameter``, ``value``, ``val_acc_mean``, ``val_acc_std``,
    ``test_acc_mean``, ``test_acc_std``, ``n_seeds``.
    """
    b, dev = check_budget(budget), check_device(device)
    rows = []
    for name, values in HYPERPARAMETERS.items():
        for value in values:
            for seed in b.seeds:
                cast = int(value) if name == "batch_size" else float(value)
                res = run_one(_digits_mlp(b, dev, seed=seed, **{name: cast}))
                rows.append({"hyperparameter": name, "value": float(value), "seed": seed,
                             "val_acc": val_acc(res), "test_acc": res.metrics["test_acc"]})
    table = spread(pd.DataFrame(rows), by=["hyperparameter", "value"],
                   values=["val_acc", "test_acc"])
    return frame(table, b, dev, notes=[
        f"digits, mlp hidden ({b.hidden},), {b.epochs} epochs; one knob at a time around "
        "Adam lr 3e-3, batch 64, dropout 0"])


# ---------------------------------------------------------------------------------------
# 2. optimizers

OPTIMIZER_SETTINGS: dict[str, dict[str, Any]] = {
    "adam": {"lr": 3e-3},
    "sgd": {"lr": 5e-2, "momentum": 0.9},  # SGD needs a larger step, with momentum
    "adagrad": {"lr": 5e-2},  # AdaGrad's accumulated squares shrink its step: start large
    "rmsprop": {"lr": 1e-3, "momentum": 0.0},  # PyTorch's own default momentum
}


def optimizers(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 2: training time and accuracy of Adam, SGD, AdaGrad and RMSprop, each at a
    learning rate that suits it (digits, cnn). Runs alternate their order from seed to
    seed after one untimed warm-up run, so a change in load is shared.

    Columns: ``optimizer``, ``lr``, ``train_seconds_mean/std``, ``val_acc_mean/std``,
    ``test_acc_mean/std``, ``n_seeds``.
    """
    b, dev = check_budget(budget), check_device(device)
    run_one(_digits_cnn(b, dev, epochs=1))  # warm-up: first-use costs are not charged
    rows = []
    for seed, opt in alternated(list(OPTIMIZER_SETTINGS), b.seeds):
        res = run_one(_digits_cnn(b, dev, seed=seed, optimizer=opt, **OPTIMIZER_SETTINGS[opt]))
        rows.append({"optimizer": opt, "lr": OPTIMIZER_SETTINGS[opt]["lr"], "seed": seed,
                     "train_seconds": res.train_seconds, "val_acc": val_acc(res),
                     "test_acc": res.metrics["test_acc"]})
    order = pd.DataFrame(rows).set_index("optimizer").loc[list(OPTIMIZER_SETTINGS)]
    table = spread(order.reset_index(), by=["optimizer", "lr"],
                   values=["train_seconds", "val_acc", "test_acc"])
    return frame(table, b, dev, notes=[
        f"digits, cnn width {b.width}, {b.epochs} epochs, batch 64, one thread; "
        "train_seconds is the run's training clock (steps and validation only)"])


# ---------------------------------------------------------------------------------------
# 3. preprocessing

def _wine() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_wine  # ships with scikit-learn: offline

    bunch = load_wine()
    return bunch.data.astype(np.float32), bunch.target


def _register_wine() -> dict[str, str]:
    """``wine`` as numbers, and binned into quartile categories: as integer codes and as
    pandas categories (one-hot encoded by ``from_dataframe``). Returns label -> name."""
    X, y = _wine()
    from_arrays(X, y, name="studies_wine")
    codes = np.stack([np.searchsorted(np.quantile(col, [0.25, 0.5, 0.75]), col, side="right")
                      for col in X.T], axis=1)  # 0..3 per feature: which quartile
    cols = [f"f{i}" for i in range(codes.shape[1])]
    ordinal = pd.DataFrame(codes.astype(np.float32), columns=cols).assign(label=y)
    from_dataframe(ordinal, "label", name="studies_wine_codes", one_hot=False)
    cats = pd.DataFrame({c: pd.Categorical(codes[:, i]) for i, c in enumerate(cols)})
    from_dataframe(cats.assign(label=y), "label", name="studies_wine_onehot", one_hot=True)
    return {"numbers": "studies_wine", "quartile codes": "studies_wine_codes",
            "quartile one-hot": "studies_wine_onehot"}


PREPROCESSING = (  # (features, technique shown, dataset label, RunConfig.preprocess)
    ("numbers", "none", "numbers", "none"),
    ("numbers", "min-max", "numbers", "minmax"),
    ("numbers", "standardize", "numbers", "standardize"),
    ("categories", "integer codes", "quartile codes", "standardize"),
    ("categories", "one-hot", "quartile one-hot", "none"),
)


def preprocessing(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 3: accuracy with no scaling, min-max, standardization, and, where it applies
    (categorical features), one-hot encoding against integer codes.

    scikit-learn's ``wine`` (13 features from about 0.1 to about 1,700, offline) for the
    scalings; the same features binned into quartiles, a categorical version, for
    one-hot. Columns: ``features``, ``technique``, ``val_acc_mean/std``,
    ``test_acc_mean/std``, ``n_seeds``.
    """
    b, dev = check_budget(budget), check_device(device)
    names = _register_wine()
    rows = []
    for features, technique, label, pre in PREPROCESSING:
        for seed in b.seeds:
            cfg = RunConfig(dataset=names[label], model="mlp", hidden=(32,),
                            epochs=5 * b.epochs, batch_size=16, lr=3e-3, preprocess=pre,
                            seed=seed, device=dev)
            res = run_one(cfg)
            rows.append({"features": features, "technique": technique, "seed": seed,
                         "val_acc": val_acc(res), "test_acc": res.metrics["test_acc"]})
    table = spread(pd.DataFrame(rows), by=["features", "technique"],
                   values=["val_acc", "test_acc"])
    return frame(table, b, dev, notes=[
        f"wine (178 samples), mlp hidden (32,), {5 * b.epochs} epochs, batch 16; one-hot "
        "applies only to categorical features, so it is measured on wine binned into "
        "quartile categories (against the same categories as standardized integer codes)"])


# ---------------------------------------------------------------------------------------
# 5. early stopping

def early_stopping(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 5: validation loss after several epoch counts, without early stopping and
    with it (patience 3, the best epoch's weights restored).

    Without early stopping the loss at each count is read from one run of the largest
    count (a constant learning rate: the first ``n`` epochs of a longer run are the run of
    ``n`` epochs). With it, one run per count. The mlp is wide and the training split
    a quarter of digits, so it overfits within the counts. Columns: ``epochs``,
    ``early_stopping``, ``val_loss_mean/std``, ``epochs_run_mean/std``,
    ``test_acc_mean/std`` (without early stopping: a run of exactly that many epochs
    would have it; only the longest is reported), ``n_seeds``.
    """
    b, dev = check_budget(budget), check_device(device)

    def cfg(seed: int, epochs: int, patience: int) -> RunConfig:
        return RunConfig(dataset="digits", model="mlp", hidden=(256,), epochs=epochs,
                         lr=1e-2, batch_size=32, train_fraction=0.25, patience=patience,
                         seed=seed, device=dev)

    rows = []
    top = max(b.es_epochs)
    for seed in b.seeds:
        res = run_one(cfg(seed, top, 0))
        h = res.history
        losses = h[(h["split"] == "val") & (h["metric"] == "loss")].set_index("epoch")["value"]
        for n in b.es_epochs:
            rows.append({"epochs": n, "early_stopping": False, "seed": seed,
                         "val_loss": float(losses.loc[n]), "epochs_run": n,
                         "test_acc": res.metrics["test_acc"] if n == top else np.nan})
        for n in b.es_epochs:
            es = run_one(cfg(seed, n, 3))
            hist = es.history
            es_losses = hist[(hist["split"] == "val") & (hist["metric"] == "loss")]
            best = int(es.extras.get("best_epoch") or hist["epoch"].max())
            rows.append({"epochs": n, "early_stopping": True, "seed": seed,
                         # the restored weights are the best epoch's: its validation loss
                         "val_loss": float(es_losses.set_index("epoch")["value"].loc[best]),
                         "epochs_run": int(hist["epoch"].max()),
                         "test_acc": es.metrics["test_acc"]})
    table = spread(pd.DataFrame(rows), by=["early_stopping", "epochs"],
                   values=["val_loss", "epochs_run", "test_acc"])
    return frame(table, b, dev, notes=[
        "digits (a quarter of the training split), mlp hidden (256,), Adam lr 1e-2, "
        "batch 32; early stopping: patience 3 on the validation loss, best weights "
        "restored, val_loss is the restored model's"])


# ---------------------------------------------------------------------------------------
# 9. transfer learning

TARGET_CLASSES = (5, 6, 7, 8, 9)
SOURCE = "digits_0_4_cnn"  # the zoo cnn (width 32) trained on digits 0-4, made offline


def _as_it_is(seed: int, b: Budget) -> float:
    """Test accuracy of the source, unchanged, on the target task: its five outputs read
    as the target's five labels in order (digit 0 -> 5, ...). It never saw these digits."""
    cfg = RunConfig(dataset="digits", model="cnn", classes=TARGET_CLASSES,
                    labels_per_class=b.transfer_labels, seed=seed, device="cpu")
    data = prepare_data(cfg)
    state, _ = _transfer.load_source(SOURCE)
    model = build_model_for(cfg, data.input_shape, data.num_classes)
    model.load_state_dict(state)
    with torch.no_grad():
        _, acc, _ = evaluate(model, data.X_test, data.y_test)
    return float(acc)


def transfer(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 9: feature extraction, fine-tuning and the pretrained model as it is, against
    training from scratch, on digits 5-9 with few labels from a cnn trained on digits 0-4.

    Columns: ``approach``, ``val_acc_mean/std`` (NaN for the model as it is: nothing is
    trained or selected), ``test_acc_mean/std``, ``train_seconds_mean/std``, ``n_seeds``.
    """
    b, dev = check_budget(budget), check_device(device)
    _transfer.ensure_source(SOURCE)  # made once (seconds), then read from the data home
    epochs = 6 * b.epochs  # few labels: many short epochs
    rows = []
    for seed in b.seeds:
        rows.append({"approach": "pretrained as it is", "seed": seed, "val_acc": np.nan,
                     "test_acc": _as_it_is(seed, b), "train_seconds": 0.0})
        for mode in ("scratch", "feature_extraction", "fine_tune"):
            cfg = RunConfig(dataset="digits", model="cnn", classes=TARGET_CLASSES,
                            labels_per_class=b.transfer_labels, epochs=epochs, batch_size=16,
                            lr=1e-2, seed=seed, device=dev, transfer=mode,
                            source="" if mode == "scratch" else SOURCE,
                            backbone_lr_scale=0.3 if mode == "fine_tune" else 0.1)
            res = run_one(cfg)
            rows.append({"approach": mode.replace("_", " "), "seed": seed,
                         "val_acc": val_acc(res), "test_acc": res.metrics["test_acc"],
                         "train_seconds": res.train_seconds})
    table = spread(pd.DataFrame(rows), by=["approach"],
                   values=["val_acc", "test_acc", "train_seconds"])
    return frame(table, b, dev, notes=[
        f"target: digits 5-9 with {b.transfer_labels} labelled images per class, cnn "
        f"width 32, {epochs} epochs, batch 16, Adam lr 1e-2 (fine-tune: backbone at 0.3x); "
        f"source {SOURCE}; 'pretrained as it is' reads the source's outputs for digits "
        "0-4 as labels 5-9: it never saw them"])


# ---------------------------------------------------------------------------------------
# 10. augmentation

AUGMENTATIONS: dict[str, dict[str, Any]] = {
    "none": {},
    "rotation": {"rotate": 15.0},  # degrees, uniform in [-15, 15]
    "random crop (translate)": {"translate": 1.0},  # pixels: a shifted 8x8 crop
    "flip": {"hflip": True},  # left-right, probability 0.5
}


def augmentation(budget: str | Budget = "quick", device: str = "cpu") -> pd.DataFrame:
    """Table 10: accuracy with no augmentation, rotation, random crop (a random shift of
    up to one pixel, which is what a random crop of an 8x8 image is) and flips (digits,
    cnn). Columns: ``technique``, ``val_acc_mean/std``, ``test_acc_mean/std``,
    ``n_seeds``.
    """
    b, dev = check_budget(budget), check_device(device)
    rows = []
    for technique, aug in AUGMENTATIONS.items():
        for seed in b.seeds:
            res = run_one(_digits_cnn(b, dev, seed=seed, augment=aug,
                                      epochs=2 * b.epochs))
            rows.append({"technique": technique, "seed": seed, "val_acc": val_acc(res),
                         "test_acc": res.metrics["test_acc"]})
    table = spread(pd.DataFrame(rows), by=["technique"], values=["val_acc", "test_acc"])
    return frame(table, b, dev, notes=[
        f"digits, cnn width {b.width}, {2 * b.epochs} epochs, batch 64; validation and "
        "test images are never augmented"])
