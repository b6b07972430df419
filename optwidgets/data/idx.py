"""MNIST and Fashion-MNIST: gzip-compressed IDX files.

IDX layout (big-endian): two zero bytes, a type byte (0x08 = unsigned byte), the number
of dimensions ``d``, then ``d`` int32 sizes, then the values. Images have magic number
2051 (``00 00 08 03``: n x rows x cols), labels 2049 (``00 00 08 01``: n).

Example
-------
>>> import gzip, tempfile, pathlib
>>> import numpy as np
>>> from optwidgets.data.idx import read_idx, write_idx
>>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.gz"
>>> write_idx(p, np.array([3, 1, 4], np.uint8))
>>> read_idx(p).tolist()
[3, 1, 4]
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

from optwidgets.core.errors import DataError
from optwidgets.data.download import fetch_all
from optwidgets.data.raw import RawData

__all__ = ["read_idx", "write_idx", "load_idx_dataset", "IDX_FILES", "CLASS_NAMES"]

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
CLASS_NAMES = {
    "mnist": [str(i) for i in range(10)],
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}
_UBYTE = 0x08


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a gzip-compressed IDX file of unsigned bytes into a uint8 array.

    Raises
    ------
    DataError
        Not gzip, a wrong magic number, or a size that does not match the header.

    Example
    -------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from optwidgets.data.idx import read_idx, write_idx
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "train-images-idx3-ubyte.gz"
    >>> write_idx(p, np.zeros((5, 28, 28), np.uint8))
    >>> read_idx(p).shape
    (5, 28, 28)
    """
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path} is not a readable gzip file: {e}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != _UBYTE:
        raise DataError(f"{path}: not an unsigned-byte IDX file (magic {data[:4].hex()})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: IDX header is truncated")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    if len(data) - header != math.prod(shape):
        raise DataError(
            f"{path}: IDX header says shape {shape} ({math.prod(shape)} bytes) but "
            f"{len(data) - header} bytes follow"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write a uint8 array as a gzip-compressed IDX file (the official on-disk format).

    Example
    -------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from optwidgets.data.idx import read_idx, write_idx
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "img.gz"
    >>> write_idx(p, np.zeros((2, 3, 3), np.uint8))
    >>> read_idx(p).shape
    (2, 3, 3)
    """
    a = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, _UBYTE, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + a.tobytes())


def load_idx_dataset(name: str) -> RawData:
    """Raw arrays of ``mnist`` or ``fashion_mnist`` (downloaded and checked on first use).

    Images come back as ``(n, 1, 28, 28)`` uint8 with ``scale = 1/255``; the official
    10,000-image test split is kept as the test set.

    Example
    -------
    >>> from optwidgets.data.idx import load_idx_dataset
    >>> load_idx_dataset("mnist").X.shape  # doctest: +SKIP
    (60000, 1, 28, 28)
    """
    paths = fetch_all(name)
    arrays = {key: read_idx(paths[fname]) for key, fname in IDX_FILES.items()}
    for split in ("train", "test"):
        X, y = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
            raise DataError(
                f"{name}: {split} images have shape {X.shape} and labels {y.shape}; expected "
                "(n, rows, cols) images and n labels"
            )
    names = CLASS_NAMES[name]
    if max(int(arrays["train_labels"].max()), int(arrays["test_labels"].max())) >= len(names):
        raise DataError(f"{name}: labels outside 0..{len(names) - 1}")
    return RawData(
        name=name,
        X=arrays["train_images"][:, None],
        y=arrays["train_labels"].astype(np.int64),
        X_test=arrays["test_images"][:, None],
        y_test=arrays["test_labels"].astype(np.int64),
        class_names=list(names),
        kind="image",
        scale=1 / 255,
    ).frozen()
