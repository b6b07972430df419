"""CIFAR-10 from the official *binary* release ``cifar-10-binary.tar.gz``: bytes, no pickle.

The archive holds ``cifar-10-batches-bin/data_batch_1.bin`` .. ``data_batch_5.bin``
(training, 10,000 images each), ``test_batch.bin`` and ``batches.meta.txt`` (the 10 class
names, one per line). A batch file is a run of 3073-byte records: one label byte
(0..9), then 3072 pixel bytes of a 32x32 RGB image stored channel after channel (1024
red, 1024 green, 1024 blue, each row by row). That is read with ``numpy.frombuffer``;
nothing in the file is ever run, so a crafted archive can at worst be refused
(the python-version archive holds pickles, which run code when loaded: it is not used).

The archive is read in place (no extraction to disk), one pass over the gzip stream.

Example
-------
>>> import tempfile, pathlib
>>> import numpy as np
>>> from optwidgets.data.cifar import read_cifar_archive, write_cifar_archive
>>> p = pathlib.Path(tempfile.mkdtemp()) / "cifar-10-binary.tar.gz"
>>> imgs, labels = np.zeros((10, 3, 32, 32), np.uint8), np.arange(10)
>>> write_cifar_archive(p, [(imgs, labels)] * 5, (imgs, labels))
>>> read_cifar_archive(p).X.shape
(50, 3, 32, 32)
"""

from __future__ import annotations

import io
import os
import tarfile
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from optwidgets.core.errors import DataError
from optwidgets.data.download import fetch
from optwidgets.data.raw import RawData

__all__ = ["ARCHIVE", "CLASS_NAMES", "FOLDER", "RECORD_BYTES", "parse_batch",
           "read_cifar_archive", "write_cifar_archive", "load_cifar10"]

ARCHIVE = "cifar-10-binary.tar.gz"
FOLDER = "cifar-10-batches-bin"
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]
RECORD_BYTES = 1 + 3 * 32 * 32  # a label byte, then the red, green and blue planes
_TRAIN = [f"data_batch_{i}.bin" for i in range(1, 6)]
_TEST = "test_batch.bin"
_META = "batches.meta.txt"
# The official batches hold 10,000 records; a member claiming more is not CIFAR-10 (and
# reading it whole could exhaust memory).
_MAX_BATCH_BYTES = 10_000 * RECORD_BYTES
_MAX_META_BYTES = 64 * 1024


def parse_batch(data: bytes, source: str = "batch") -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 3, 32, 32)`` uint8 and labels ``(n,)`` int64 from a batch's bytes.

    Raises
    ------
    DataError
        The length is not a whole number of 3073-byte records (``source`` names the file).

    Example
    -------
    >>> import numpy as np
    >>> from optwidgets.data.cifar import parse_batch
    >>> record = bytes([7]) + bytes(range(256)) * 12  # label 7, then 3072 pixel bytes
    >>> images, labels = parse_batch(record)
    >>> images.shape, labels.tolist(), int(images[0, 0, 0, 1])
    ((1, 3, 32, 32), [7], 1)
    """
    if len(data) == 0 or len(data) % RECORD_BYTES:
        raise DataError(f"{source}: {len(data)} bytes is not a whole number of "
                        f"{RECORD_BYTES}-byte records (1 label byte + 3072 pixel bytes)")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    images = records[:, 1:].reshape(-1, 3, 32, 32).copy()  # owns writable memory
    return images, labels


def _members(path: str) -> dict[str, bytes]:
    wanted = {f"{FOLDER}/{m}": m for m in (*_TRAIN, _TEST, _META)}
    found: dict[str, bytes] = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:  # in stream order: one pass over the gzip data
            key = wanted.get(member.name.removeprefix("./"))
            if key is None or key in found:
                continue
            if not member.isfile():
                raise DataError(f"{path}: {member.name} is not a regular file")
            limit = _MAX_META_BYTES if key == _META else _MAX_BATCH_BYTES
            if member.size > limit:
                raise DataError(f"{path}: {member.name} has {member.size} bytes, more than "
                                f"a CIFAR-10 batch ({limit})")
            f = tar.extractfile(member)
            if f is None:
                raise DataError(f"{path}: {member.name} cannot be read")
            with f:
                found[key] = f.read()
    missing = [m for m in (*_TRAIN, _TEST, _META) if m not in found]
    if missing:
        raise DataError(f"{path}: the archive has no {FOLDER}/{missing[0]}"
                        + (f" (nor {len(missing) - 1} more of its files)" if len(missing) > 1
                           else "") + "; expected the binary version, cifar-10-binary.tar.gz")
    return found


def _class_names(text: bytes, path: str) -> list[str]:
    try:
        names = [line.strip() for line in text.decode("utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError:
        raise DataError(f"{path}: {FOLDER}/{_META} is not text") from None
    if not names:
        raise DataError(f"{path}: {FOLDER}/{_META} lists no class names")
    return names


def read_cifar_archive(path: str | os.PathLike[str]) -> RawData:
    """Raw CIFAR-10 arrays from the binary-version archive, without extracting it to disk.

    Returns
    -------
    RawData
        Training images ``(50000, 3, 32, 32)`` uint8 (``scale = 1/255``), and the
        official ``test_batch.bin`` as the test split.

    Raises
    ------
    DataError
        Not a gzip-compressed tar, a file missing, a batch that is not whole records, or
        a label without a class name (each naming the archive and the member).

    Example
    -------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from optwidgets.data.cifar import read_cifar_archive, write_cifar_archive
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cifar-10-binary.tar.gz"
    >>> batch = (np.zeros((4, 3, 32, 32), np.uint8), [0, 1, 2, 3])
    >>> write_cifar_archive(p, [batch] * 5, batch)
    >>> raw = read_cifar_archive(p)
    >>> raw.X_test.shape, raw.class_names[:2]
    ((4, 3, 32, 32), ['airplane', 'automobile'])
    """
    path = str(path)
    try:
        members = _members(path)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        raise DataError(f"{path} is not a readable CIFAR-10 binary archive: {e}") from None
    names = _class_names(members[_META], path)
    batches = {m: parse_batch(members[m], f"{path}: {FOLDER}/{m}") for m in (*_TRAIN, _TEST)}
    for m, (_, labels) in batches.items():
        if int(labels.max()) >= len(names):
            raise DataError(f"{path}: {FOLDER}/{m} has label {int(labels.max())} but "
                            f"{_META} names {len(names)} classes")
    return RawData(
        name="cifar10",
        X=np.concatenate([batches[m][0] for m in _TRAIN]),
        y=np.concatenate([batches[m][1] for m in _TRAIN]),
        X_test=batches[_TEST][0],
        y_test=batches[_TEST][1],
        class_names=names,
        kind="image",
        scale=1 / 255,
    ).frozen()


def _batch_bytes(images: np.ndarray, labels: Any) -> bytes:
    flat = np.ascontiguousarray(images, dtype=np.uint8).reshape(len(images), -1)
    if flat.shape[1] != RECORD_BYTES - 1:
        raise ValueError(f"images must be (n, 3, 32, 32), got {np.shape(images)}")
    lab = np.asarray(labels, dtype=np.int64)
    if len(lab) != len(flat) or lab.min() < 0 or lab.max() > 255:
        raise ValueError("need one label in 0..255 per image")
    return np.concatenate([lab.astype(np.uint8)[:, None], flat], axis=1).tobytes()


def write_cifar_archive(
    path: str | os.PathLike[str],
    train_batches: Sequence[tuple[np.ndarray, Any]],
    test_batch: tuple[np.ndarray, Any],
    class_names: Sequence[str] = CLASS_NAMES,
) -> None:
    """Write images in the official binary archive format (for tests and small sets).

    Parameters
    ----------
    train_batches : five (images, labels) pairs
        Images ``(n, 3, 32, 32)`` uint8, labels ints; written as ``data_batch_1..5.bin``.
    test_batch : (images, labels)
        Written as ``test_batch.bin``.
    class_names : list of str
        Written one per line as ``batches.meta.txt``.

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

    def add(tar: tarfile.TarFile, member: str, blob: bytes) -> None:
        info = tarfile.TarInfo(f"{FOLDER}/{member}")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))

    with tarfile.open(path, "w:gz") as tar:
        add(tar, _META, ("\n".join(class_names) + "\n\n").encode())
        for member, (images, labels) in zip(_TRAIN, train_batches):
            add(tar, member, _batch_bytes(images, labels))
        add(tar, _TEST, _batch_bytes(*test_batch))


def load_cifar10() -> RawData:
    """CIFAR-10 raw arrays, downloading and checking the archive on first use.

    Example
    -------
    >>> from optwidgets.data.cifar import load_cifar10
    >>> load_cifar10().X.shape  # doctest: +SKIP
    (50000, 3, 32, 32)
    """
    return read_cifar_archive(fetch("cifar10", ARCHIVE))
