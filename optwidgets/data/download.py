"""Download-once, SHA-256-checked files of the larger datasets.

Files live in ``data_home() / <dataset> / <file>``. A file already there with the
expected SHA-256 is used without touching the network. A file with another hash is
deleted and refused (:class:`~optwidgets.core.errors.DataError` naming the file, the expected
and the actual hash). When a download fails, the error says which files to put in which
folder by hand.

:data:`CHECKSUMS` and :data:`MIRRORS` are plain module-level dicts so tests (and people
behind a proxy mirror) can replace entries.

Example
-------
>>> from optwidgets.data.download import CHECKSUMS
>>> sorted(CHECKSUMS["mnist"])[0]
't10k-images-idx3-ubyte.gz'
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from optwidgets.core.errors import DataError
from optwidgets.data.home import ENV_VAR, data_home

__all__ = ["CHECKSUMS", "MIRRORS", "TIMEOUT_S", "sha256_of", "fetch", "fetch_all"]

# SHA-256 of the official files. Each value was checked against several independent
# public projects that pin the same files (and the md5 sums torchvision pins for them:
# mnist f68b3c2d.., d53e105e.., 9fb629c4.., ec29112d..; fashion 8d4fb7e6.., 25c81989..,
# bef4ecab.., bb300cfd..; cifar-10-python.tar.gz c58f3010..); we did not download the
# files ourselves to hash them, as this project's machines have no route to those hosts.
CHECKSUMS: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
    "cifar10": {
        "cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    },
}

# Base URLs tried in order; a file's URL is base + file name.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",  # PyTorch's maintained mirror
        "https://storage.googleapis.com/cvdf-datasets/mnist/",  # TensorFlow's mirror
    ),
    "fashion_mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    "cifar10": ("https://www.cs.toronto.edu/~kriz/",),
}

TIMEOUT_S = 30.0  # seconds without data before one download attempt gives up


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from optwidgets.data.download import sha256_of
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> _ = p.write_bytes(b"")
    >>> sha256_of(p)[:12]
    'e3b0c44298fc'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verify(path: Path, expected: str, origin: str) -> None:
    actual = sha256_of(path)
    if actual != expected.lower():
        path.unlink(missing_ok=True)
        raise DataError(
            f"{origin} file {path} has SHA-256 {actual}, expected {expected}; the file was "
            "deleted (it is corrupt, truncated or a different version). Loading again "
            "downloads it anew, or put the official file in its place."
        )


def _offline_error(dataset: str, folder: Path, missing: list[str], reason: str) -> DataError:
    base = MIRRORS[dataset][0] if MIRRORS.get(dataset) else ""
    urls = "\n".join(f"  {base}{f}" for f in missing)
    packed = any(f.endswith((".tar.gz", ".tgz")) for f in missing)
    return DataError(
        f"could not download dataset {dataset!r} ({reason}). To install it by hand, put "
        f"these files into the folder {folder}:\n  " + "\n  ".join(missing)
        + (" (as downloaded: do not extract the archive)" if packed else "")
        + f"\nThey are available at:\n{urls}\n(the folder is data_home()/{dataset}; set "
        f"${ENV_VAR} to use another data home)."
    )


def _download(url: str, dest: Path) -> None:
    part = dest.with_name(f"{dest.name}.{os.getpid()}.part")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, open(part, "wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)


def fetch(dataset: str, filename: str) -> Path:
    """Path of one checked file of ``dataset``, downloading it first if it is missing.

    Raises
    ------
    DataError
        The file's SHA-256 does not match (the file is deleted), or it is missing and
        cannot be downloaded (the message lists every missing file and the folder).

    Example
    -------
    >>> from optwidgets.data.download import fetch
    >>> fetch("mnist", "t10k-labels-idx1-ubyte.gz")  # doctest: +SKIP
    PosixPath('/home/me/.cache/optwidgets/mnist/t10k-labels-idx1-ubyte.gz')
    """
    expected = CHECKSUMS[dataset][filename]
    folder = data_home() / dataset
    path = folder / filename
    if path.exists():
        _verify(path, expected, "cached")
        return path
    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for base in MIRRORS.get(dataset, ()):
        try:
            _download(base + filename, path)
            break
        except (urllib.error.URLError, OSError, ValueError) as e:
            errors.append(f"{base + filename}: {getattr(e, 'reason', e)}")
    else:
        missing = [f for f in CHECKSUMS[dataset] if not (folder / f).exists()]
        raise _offline_error(dataset, folder, missing, "; ".join(errors) or "no mirror")
    _verify(path, expected, "downloaded")
    return path


def fetch_all(dataset: str) -> dict[str, Path]:
    """Every file of ``dataset``, checked (downloading the missing ones).

    Example
    -------
    >>> from optwidgets.data.download import fetch_all
    >>> sorted(fetch_all("cifar10"))  # doctest: +SKIP
    ['cifar-10-python.tar.gz']
    """
    return {name: fetch(dataset, name) for name in CHECKSUMS[dataset]}
