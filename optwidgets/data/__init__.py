"""Datasets for optwidgets: built-ins, toy 2-D sets, downloads, your own data.

Built-in names: ``digits`` (scikit-learn's 8x8 digits, offline, the default), the toy
2-D sets in :data:`TOY_DATASETS` (generated), and ``mnist``, ``fashion_mnist``,
``cifar10`` (downloaded once into :func:`data_home` through pooch, SHA-256 checked;
:func:`on_progress` reports download progress). Bring your own data in any usual form
(arrays, a DataFrame, a CSV file, a torch Dataset or DataLoader) with :func:`as_dataset`,
:func:`from_arrays`, :func:`from_dataframe`, :func:`from_csv`, :func:`register` or
:func:`register_dataset_object`; :func:`save_dataset` keeps it in the data home for
every process. What is refused, and why: :mod:`optwidgets.data.checks`.

Example
-------
>>> from optwidgets.data import load_dataset, fit_preprocessor, augment_batch
>>> ds = load_dataset("digits", seed=0)
>>> prep = fit_preprocessor("standardize", ds.X_train, image=ds.kind == "image")
>>> x = prep.transform(ds.X_train[:32])
>>> augment_batch(x, {"rotate": 10, "cutout": 2}).shape
torch.Size([32, 1, 8, 8])
"""

from __future__ import annotations

from optwidgets.data.augment import AUGMENT_KEYS, augment_batch
from optwidgets.data.builtin import BUILTIN_NAMES, clear_cache
from optwidgets.data.convert import (
    as_dataset,
    delete_saved_dataset,
    register_dataset_object,
    save_dataset,
)
from optwidgets.data.custom import from_arrays, from_csv, from_dataframe
from optwidgets.data.dataset import Dataset
from optwidgets.data.download import on_progress
from optwidgets.data.home import data_home
from optwidgets.data.preprocess import PREPROCESSORS, Preprocessor, fit_preprocessor
from optwidgets.data.registry import (
    dataset_names,
    dataset_task,
    is_image_dataset,
    load_dataset,
    register,
    unregister,
)
from optwidgets.data.regression import REGRESSION_DATASETS, REGRESSION_TOYS, TASKS
from optwidgets.data.toy import TOY_DATASETS

__all__ = [
    "AUGMENT_KEYS",
    "BUILTIN_NAMES",
    "Dataset",
    "PREPROCESSORS",
    "Preprocessor",
    "REGRESSION_DATASETS",
    "REGRESSION_TOYS",
    "TASKS",
    "TOY_DATASETS",
    "as_dataset",
    "augment_batch",
    "clear_cache",
    "data_home",
    "dataset_names",
    "dataset_task",
    "delete_saved_dataset",
    "fit_preprocessor",
    "from_arrays",
    "from_csv",
    "from_dataframe",
    "is_image_dataset",
    "load_dataset",
    "on_progress",
    "register",
    "register_dataset_object",
    "save_dataset",
    "unregister",
]
