"""What a run needs before training: its id, seeds, its prepared data, its seeded model.

Example
-------
>>> from optwidgets.config import RunConfig
>>> cfg = RunConfig(dataset="moons", model="mlp", hidden=(8,))
>>> data = prepare_data(cfg)
>>> model = build_model_for(cfg, data.input_shape, data.num_classes)
>>> data.input_shape, data.num_classes, sum(p.numel() for p in model.parameters())
((2,), 2, 42)
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import random
import uuid
from typing import Any

import numpy as np
import torch
from torch import nn

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError
from optwidgets.data import Dataset, as_dataset, fit_preprocessor, load_dataset
from optwidgets.data.regression import standardize_targets
from optwidgets.data.splits import select_classes, thin_train
from optwidgets.models import build_model

__all__ = ["new_run_id", "seed_everything", "load_dataset_for", "prepare_data", "build_model_for"]


def new_run_id() -> str:
    """Sortable by start time, unique across processes: ``20261122-194501-1a2b3c``."""
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every GPU)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def prepare_data(cfg: RunConfig, data: Any = None, *, target: str | None = None,
                 test: Any = None) -> Dataset:
    """The run's data, preprocessed with statistics from the training split only (a
    regression target too: standardized, ``target_scale`` keeps its mean and std).

    Parameters
    ----------
    cfg : RunConfig
        Its dataset (when ``data`` is None), seed, split fractions, class subset and
        training thinning, and ``preprocess``.
    data : optional
        Your own data instead of ``cfg.dataset``, in any form of
        :func:`optwidgets.data.as_dataset`: ``(X, y)`` arrays, a DataFrame or CSV path
        (with ``target``), a torch Dataset or DataLoader of ``(x, y)``, or a Dataset.
        It is split with the config's seed and fractions; ``cfg.classes``,
        ``train_fraction`` and ``labels_per_class`` apply as to a named dataset.
    target : str, optional
        The label column of a DataFrame or CSV file.
    test : optional
        A separate test set in the same form as ``data``.

    Returns
    -------
    Dataset
        On the CPU.

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.config import RunConfig
    >>> from optwidgets.runs.prepare import prepare_data
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(200, 3)), rng.integers(0, 2, 200)
    >>> prepare_data(RunConfig(model="mlp"), (X, y)).X_train.shape
    torch.Size([130, 3])
    """
    if data is None:
        if target is not None or test is not None:
            field = "target" if target is not None else "test"
            raise ConfigError(field, target if target is not None else type(test).__name__,
                              "nothing without data= (it belongs to your own data)")
        ds = load_dataset_for(cfg)
    else:
        ds = as_dataset(data, target=target, test=test, seed=cfg.seed,
                        val_fraction=cfg.val_fraction, test_fraction=cfg.test_fraction,
                        task=cfg.task)
        ds = thin_train(select_classes(ds, cfg.classes), seed=cfg.seed,
                        train_fraction=cfg.train_fraction, labels_per_class=cfg.labels_per_class)
    pre = fit_preprocessor(cfg.preprocess, ds.X_train, image=ds.kind == "image")
    ds = dataclasses.replace(ds, X_train=pre.transform(ds.X_train),
                             X_val=pre.transform(ds.X_val), X_test=pre.transform(ds.X_test))
    return standardize_targets(ds)  # regression: targets scaled by the training split


def build_model_for(cfg: RunConfig, input_shape: tuple[int, ...] | None = None,
                    num_classes: int | None = None, *, name: str | None = None) -> nn.Module:
    """The config's model (or the zoo model ``name``), seeded with ``cfg.seed``."""
    if input_shape is None or num_classes is None:
        d = prepare_data(cfg)
        input_shape, num_classes = d.input_shape, d.num_classes
    torch.manual_seed(cfg.seed)
    return build_model(name or cfg.model, input_shape, num_classes, hidden=cfg.hidden,
                       activation=cfg.activation, width=cfg.width, dropout=cfg.dropout)


def load_dataset_for(cfg: RunConfig) -> Dataset:
    """Load the dataset a :class:`~optwidgets.config.RunConfig` describes.

    Example
    -------
    >>> from optwidgets.config import RunConfig
    >>> from optwidgets.runs.prepare import load_dataset_for
    >>> cfg = RunConfig(dataset="xor", model="mlp", n_samples=200, seed=3)
    >>> load_dataset_for(cfg).summary()["n_test"]
    40
    """
    return load_dataset(
        cfg.dataset,
        seed=cfg.seed,
        val_fraction=cfg.val_fraction,
        test_fraction=cfg.test_fraction,
        n_samples=cfg.n_samples,
        noise=cfg.noise,
        classes=cfg.classes,
        train_fraction=cfg.train_fraction,
        labels_per_class=cfg.labels_per_class,
    )
