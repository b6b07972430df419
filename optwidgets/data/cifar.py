"""CIFAR-10 from the official python archive ``cifar-10-python.tar.gz``.

The archive holds ``cifar-10-batches-py/data_batch_1`` .. ``data_batch_5`` (training),
``test_batch`` and ``batches.meta``, each a pickled dict (written by Python 2, so keys
are bytes): ``b"data"`` is an ``(n, 3072)`` uint8 array of 32x32 RGB images stored
channel after channel, ``b"labels"`` a list of ints, ``b"label_names"`` the 10 names.

The pickles are only unpickled after the archive's SHA-256 has matched the official
one (see :mod:`optwidgets.data.download`), since unpickling runs code from the file.

Example
-------
>>> import tempfile, pathlib
>>> import numpy as np
>>> from optwidgets.data.cifar import read_cifar_archive, write_cifar_archive
>>> p = pathlib.Path(tempfile.mkdtemp()) / "cifar-10-python.tar.gz"
>>> imgs, labels = np.zeros((10, 3, 32, 32), np.uint8), np.arange(10)
>>> write_cifar_archive(p, [(imgs, labels)] * 5, (imgs, labels))
>>> read_cifar_archive(p).X.shape
(50, 3, 32, 32)
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from optwidgets.core.errors import DataError
from optwidgets.data.download import fetch
from optwidgets.data.raw import RawData

__all__ = ["ARCHIVE", "CLASS_NAMES", "read_cifar_archive", "write_cifar_archive",
           "load_cifar10"]

ARCHIVE = "cifar-10-python.tar.gz"
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]
_FOLDER = "cifar-10-batches-py"
_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]


def _get(d: dict[Any, Any], key: str) -> Any:
    return d[key.encode()] if key.encode() in d else d[key]


def _read_batch(tar: tarfile.TarFile, member: str, path: str) -> dict[Any, Any]:
    try:
        f = tar.extractfile(f"{_FOLDER}/{member}")
    except KeyError:
        raise DataError(f"{path}: the archive has no {_FOLDER}/{member}") from None
    if f is None:
        raise DataError(f"{path}: {_FOLDER}/{member} is not a file")
    with f:
        return pickle.load(f, encoding="bytes")  # noqa: S301 - checksum-verified archive


def _images(batch: dict[Any, Any], member: str, path: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        data = np.asarray(_get(batch, "data"), dtype=np.uint8)
        labels = np.asarray(_get(batch, "labels"), dtype=np.int64)
    except KeyError as e:
        raise DataError(f"{path}: batch {member} has no key {e}") from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise DataError(
            f"{path}: batch {member} has data {data.shape} and {len(labels)} labels; expected "
            "(n, 3072) and n labels"
        )
    return data.reshape(-1, 3, 32, 32), labels


def read_cifar_archive(path: str | os.PathLike[str]) -> RawData:
    """Raw CIFAR-10 arrays from the python-version archive, without extracting it to disk.

    Returns
    -------
    RawData
        Training images ``(50000, 3, 32, 32)`` uint8 (``scale = 1/255``), and the
        official ``test_batch`` as the test split.

    Example
    -------
    >>> from optwidgets.data.cifar import read_cifar_archive
    >>> read_cifar_archive("cifar-10-python.tar.gz").X_test.shape  # doctest: +SKIP
    (10000, 3, 32, 32)
    """
    path = str(path)
    try:
        with tarfile.open(path, "r:gz") as tar:
            train = [_images(_read_batch(tar, m, path), m, path) for m in _TRAIN]
            X_test, y_test = _images(_read_batch(tar, "test_batch", path), "test_batch", path)
            meta = _read_batch(tar, "batches.meta", path)
    except (tarfile.TarError, EOFError, zlib.error, pickle.UnpicklingError) as e:
        raise DataError(f"{path} is not a readable CIFAR-10 python archive: {e}") from None
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in _get(meta, "label_names")]
    return RawData(
        name="cifar10",
        X=np.concatenate([x for x, _ in train]),
        y=np.concatenate([y for _, y in train]),
        X_test=X_test,
        y_test=y_test,
        class_names=names,
        kind="image",
        scale=1 / 255,
    ).frozen()


def write_cifar_archive(
    path: str | os.PathLike[str],
    train_batches: Sequence[tuple[np.ndarray, np.ndarray]],
    test_batch: tuple[np.ndarray, np.ndarray],
    class_names: Sequence[str] = CLASS_NAMES,
) -> None:
    """Write images in the official archive format (for tests and your own small sets).

    Parameters
    ----------
    train_batches : five (images, labels) pairs
        Images ``(n, 3, 32, 32)`` uint8, labels ints; written as ``data_batch_1..5``.
    test_batch : (images, labels)
        Written as ``test_batch``.

    Example
    -------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from optwidgets.data.cifar import write_cifar_archive
    >>> batch = (np.zeros((2, 3, 32, 32), np.uint8), [0, 1])
    >>> write_cifar_archive(pathlib.Path(tempfile.mkdtemp()) / "c.tar.gz", [batch] * 5, batch)
    """
    if len(train_batches) != len(_TRAIN):
        raise ValueError(f"need {len(_TRAIN)} training batches, got {len(train_batches)}")

    def add(tar: tarfile.TarFile, member: str, obj: dict[bytes, Any]) -> None:
        blob = pickle.dumps(obj, protocol=2)
        info = tarfile.TarInfo(f"{_FOLDER}/{member}")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))

    def batch(images: np.ndarray, labels: Any, member: str) -> dict[bytes, Any]:
        flat = np.ascontiguousarray(images, dtype=np.uint8).reshape(len(images), -1)
        return {b"batch_label": member.encode(), b"labels": [int(v) for v in labels],
                b"data": flat, b"filenames": [b"img.png"] * len(flat)}

    with tarfile.open(path, "w:gz") as tar:
        for member, (images, labels) in zip(_TRAIN, train_batches):
            add(tar, member, batch(images, labels, member))
        add(tar, "test_batch", batch(*test_batch, "test_batch"))
        add(tar, "batches.meta", {b"label_names": [n.encode() for n in class_names],
                                  b"num_cases_per_batch": len(train_batches[0][0]),
                                  b"num_vis": 3072})


def load_cifar10() -> RawData:
    """CIFAR-10 raw arrays, downloading and checking the archive on first use.

    Example
    -------
    >>> from optwidgets.data.cifar import load_cifar10
    >>> load_cifar10().X.shape  # doctest: +SKIP
    (50000, 3, 32, 32)
    """
    return read_cifar_archive(fetch("cifar10", ARCHIVE))
