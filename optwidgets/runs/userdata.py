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

from optwidgets import data as d
from optwidgets.core.errors import unknown_name
from optwidgets.data import is_image_dataset
from optwidgets.models import is_conv_model

__all__ = ["use_data", "model_for"]


def use_data(data: Any, target: str | None = None, *, name: str | None = None,
             test: Any = None) -> str:
    """Register ``data`` as a dataset and return its name.

    The conversion is :func:`optwidgets.data.as_dataset`'s (through
    :func:`optwidgets.data.register_dataset_object`): the same forms and the same
    refusals as ``ow.run(cfg, data=...)``.

    Parameters
    ----------
    data : DataFrame, (X, y), CSV path, torch Dataset or DataLoader, Dataset, or a name
        - a pandas DataFrame: ``target`` names the label column (text columns are one-hot
          encoded, NaN refused naming the columns; see
          :func:`optwidgets.data.from_dataframe`);
        - a tuple ``(X, y)`` of arrays: ``(N, F)`` features or ``(N, H, W)`` /
          ``(N, C, H, W)`` images (:func:`optwidgets.data.from_arrays`);
        - a path to a ``.csv`` file (``target`` as for a DataFrame);
        - a map-style torch Dataset of ``(x, y)`` items, or a DataLoader of batches;
        - a :class:`~optwidgets.data.Dataset` (its splits are used as they are);
        - the name of a dataset already known (built in, registered or saved).
    target : str, optional
        The label column of a DataFrame or CSV file.
    name : str, optional
        Name in the dataset menu (default: ``"dataframe"``, ``"arrays"``, the Dataset's
        own name or the CSV file's stem; an earlier registration of that name is
        replaced, a built-in name never is).
    test : optional
        A separate test set, in the same form as ``data``.

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
    if isinstance(data, str) and data in d.dataset_names() and not data.lower().endswith(
            ".csv") and target is None and name is None and test is None:
        return data  # already a dataset: nothing to register
    if isinstance(data, str) and not data.lower().endswith(".csv") and not os.path.isfile(data):
        raise unknown_name("dataset", data, d.dataset_names())  # a typo, not a file
    return d.register_dataset_object(data, target=target, test=test, name=name, unique=False)


def model_for(dataset: str, model: str) -> str:
    """``model`` if it fits ``dataset``, else ``"mlp"`` (image-only models on feature data).

    Example
    -------
    >>> from optwidgets.runs.userdata import model_for
    >>> model_for("moons", "cnn"), model_for("digits", "cnn")
    ('mlp', 'cnn')
    """
    if is_conv_model(model) and not is_image_dataset(dataset):
        return "mlp"
    return model
