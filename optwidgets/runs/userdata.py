"""Bring your own data to the Explorer: register it, get the dataset name to select.

``ow.Explorer(data=df, target="label")`` and ``ow.Explorer(data=(X, y))`` call
:func:`use_data`; the name it returns goes into the dataset menu (and ``config.dataset``),
and :func:`model_for` picks a model family that fits (``mlp`` for feature vectors).

Example
-------
>>> import numpy as np
>>> from optwidgets.runs.userdata import use_data, model_for
>>> rng = np.random.default_rng(0)
>>> name = use_data((rng.normal(size=(60, 3)), rng.integers(0, 2, 60)), name="mine")
>>> name, model_for(name, "cnn")
('mine', 'mlp')
"""

from __future__ import annotations

import os
from typing import Any

from optwidgets.core.errors import ConfigError

__all__ = ["use_data", "model_for"]


def use_data(data: Any, target: str | None = None, *, name: str | None = None) -> str:
    """Register ``data`` as a dataset and return its name.

    Parameters
    ----------
    data : DataFrame, (X, y), Dataset, CSV path or dataset name
        - a pandas DataFrame: ``target`` names the label column (text columns are one-hot
          encoded, NaN refused naming the columns; see
          :func:`optwidgets.data.from_dataframe`);
        - a tuple ``(X, y)`` of arrays: ``(N, F)`` features or ``(N, H, W)`` /
          ``(N, C, H, W)`` images (:func:`optwidgets.data.from_arrays`);
        - a :class:`~optwidgets.data.Dataset` (its splits are used as they are);
        - a path to a ``.csv`` file (``target`` as for a DataFrame);
        - the name of an already registered dataset.
    target : str, optional
        The label column of a DataFrame or CSV file.
    name : str, optional
        Name in the dataset menu (default: ``"dataframe"``, ``"arrays"``, the Dataset's
        own name or the CSV file's stem).

    Returns
    -------
    str
        The registered name: ``RunConfig(dataset=name)`` works from now on.

    Raises
    ------
    ConfigError
        ``target`` missing or given where it means nothing; data of another type.
    DataError
        Data the data package refuses (NaNs, a single class, mismatched lengths, ...).

    Example
    -------
    >>> import pandas as pd
    >>> from optwidgets.runs.userdata import use_data
    >>> df = pd.DataFrame({"a": range(40), "b": [0.5, 1.5] * 20, "label": ["x", "y"] * 20})
    >>> use_data(df, target="label", name="toy_frame")
    'toy_frame'
    """
    from optwidgets import data as d

    kw: dict[str, Any] = {} if name is None else {"name": name}
    if hasattr(data, "columns") and hasattr(data, "iloc"):  # a pandas DataFrame
        if target is None:
            raise ConfigError("target", None, "the name of the label column of the DataFrame",
                              "one of " + ", ".join(repr(c) for c in data.columns))
        return d.from_dataframe(data, target, **kw).name
    if target is not None and not isinstance(data, (str, os.PathLike)):
        raise ConfigError("target", target, "no target for (X, y) arrays or a Dataset",
                          "target names the label column of a DataFrame or CSV file")
    if isinstance(data, d.Dataset):
        ds_name = name or data.name
        d.register(ds_name, data)
        return ds_name
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return d.from_arrays(data[0], data[1], **kw).name
    if isinstance(data, (str, os.PathLike)):
        text = os.fspath(data)
        if text.lower().endswith(".csv"):
            if target is None:
                raise ConfigError("target", None, "the name of the label column of the CSV file")
            return d.from_csv(text, target, **kw).name
        if text in d.dataset_names() and target is None and name is None:
            return text
    raise ConfigError("data", type(data).__name__,
                      "a pandas DataFrame (with target=), a tuple (X, y), a Dataset, a .csv "
                      "path or a registered dataset name")


def model_for(dataset: str, model: str) -> str:
    """``model`` if it fits ``dataset``, else ``"mlp"`` (image-only models on feature data).

    Example
    -------
    >>> from optwidgets.runs.userdata import model_for
    >>> model_for("moons", "cnn"), model_for("digits", "cnn")
    ('mlp', 'cnn')
    """
    from optwidgets.data import is_image_dataset
    from optwidgets.models import is_conv_model

    if is_conv_model(model) and not is_image_dataset(dataset):
        return "mlp"
    return model
