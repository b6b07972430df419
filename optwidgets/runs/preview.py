"""What augmentation does to a run's own training samples, as plain arrays.

The Explorer's *Augmentation* tab draws these arrays with
:func:`optwidgets.viz.augmentation_grid`; notebooks can do the same. The samples are
the config's training split after ``cfg.preprocess`` (fitted on that split, as in a
run), so ``noise`` is shown in the units it is applied in, and the augmentation is
:func:`optwidgets.data.augment_batch` itself, the function a run applies to its batches.

Example
-------
>>> from optwidgets.config import RunConfig
>>> from optwidgets.runs.preview import augmentation_preview
>>> cfg = RunConfig(dataset="digits", augment={"rotate": 20, "cutout": 3})
>>> originals, augmented = augmentation_preview(cfg, n=4)
>>> originals.shape, augmented.shape, originals.dtype.name
((4, 1, 8, 8), (4, 1, 8, 8), 'float32')
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

import numpy as np
import torch

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError
from optwidgets.data import BUILTIN_NAMES, augment_batch
from optwidgets.runs.prepare import prepare_data

__all__ = ["augmentation_preview", "clear_preview_cache", "MAX_PREVIEW"]

MAX_PREVIEW = 64  # samples a preview can show (and what is kept per cached dataset)
_CACHE_SIZE = 4  # datasets whose preview samples are kept
_DATA_FIELDS = ("dataset", "seed", "val_fraction", "test_fraction", "n_samples", "noise",
                "preprocess", "classes", "train_fraction", "labels_per_class")

_cache: OrderedDict[tuple[Any, ...], torch.Tensor] = OrderedDict()
_lock = Lock()


def clear_preview_cache() -> None:
    """Forget the samples kept for previews (e.g. after replacing a dataset's files).

    Example
    -------
    >>> from optwidgets.runs.preview import clear_preview_cache
    >>> clear_preview_cache()
    """
    with _lock:
        _cache.clear()


def _samples(cfg: RunConfig) -> torch.Tensor:
    """The first :data:`MAX_PREVIEW` preprocessed training samples of ``cfg``'s data.

    Built-in datasets are cached (moving a knob must not reload them); registered ones
    are read each time, since a name can be registered again with other data.
    """

    key = tuple(getattr(cfg, f) for f in _DATA_FIELDS)
    cacheable = cfg.dataset in BUILTIN_NAMES
    if cacheable:
        with _lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
    x = prepare_data(cfg).X_train[:MAX_PREVIEW].clone()
    if cacheable:
        with _lock:
            _cache[key] = x
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return x


def augmentation_preview(cfg: RunConfig, n: int = 8, *, draw: int = 0
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` training samples of ``cfg``'s data, and the same after ``cfg.augment``.

    Parameters
    ----------
    cfg : RunConfig
        ``dataset`` (and the split, subset and ``preprocess`` fields) pick the samples;
        ``augment`` says what is done to them; ``seed`` seeds the random draws.
    n : int
        How many samples, 1 to :data:`MAX_PREVIEW` (fewer when the split is smaller).
    draw : int
        Another number gives another random draw of the same augmentation.

    Returns
    -------
    (originals, augmented) : tuple of numpy.ndarray
        float32, ``(n, C, H, W)`` for images or ``(n, F)`` for feature vectors (where only
        ``noise`` applies), in preprocessed units. With an empty ``augment`` the two are
        equal.

    Raises
    ------
    ConfigError
        ``n`` out of range, or settings that do not fit together (the message names the
        field).

    Example
    -------
    >>> from optwidgets.config import RunConfig
    >>> from optwidgets.runs.preview import augmentation_preview
    >>> o, a = augmentation_preview(RunConfig(dataset="moons", model="mlp",
    ...                                       augment={"noise": 0.5}), n=3)
    >>> o.shape, bool((o != a).any())
    ((3, 2), True)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_PREVIEW:
        raise ConfigError("n", n, f"an integer in [1, {MAX_PREVIEW}]")
    if isinstance(draw, bool) or not isinstance(draw, (int, np.integer)) or draw < 0:
        raise ConfigError("draw", draw, "an integer >= 0")
    cfg.validate()

    x = _samples(cfg)[:n]
    gen = torch.Generator().manual_seed((cfg.seed * 1_000_003 + int(draw)) % 2**63)
    out = augment_batch(x, dict(cfg.augment), gen) if cfg.augment else x
    return x.numpy().astype(np.float32, copy=True), out.numpy().astype(np.float32, copy=True)
