"""Download-once, SHA-256-checked files of the larger datasets, through pooch.

Files live in ``data_home() / <dataset> / <file>``; pooch downloads each to a temporary
file in that folder, checks it against the SHA-256 registry :data:`CHECKSUMS` and only
then moves it into place (a download with another hash is deleted and refused with a
:class:`~optwidgets.core.errors.DataError` naming the file, the expected and the actual
hash). A file already there with the expected SHA-256 is used without touching the
network; a cached file with another hash is deleted and refused the same way. When no
mirror can be reached, the error lists the missing files and the folder to put them in.

Progress: a bar in the terminal (pooch's ``progressbar=True``, drawn by tqdm; set
:data:`SHOW_PROGRESS` to False to hide it), and for widgets :func:`on_progress` (every
download) or ``progress=`` of :func:`fetch` (one call): a callable receiving
``(dataset, file, bytes_done, bytes_total)`` (``bytes_total`` is 0 when the server does
not say). It runs on the thread that downloads; an exception from it stops the download.

:data:`CHECKSUMS` and :data:`MIRRORS` are plain module-level dicts so tests (and people
behind a proxy mirror) can replace entries.

Example
-------
>>> from optwidgets.data.download import CHECKSUMS, on_progress
>>> sorted(CHECKSUMS["mnist"])[0]
't10k-images-idx3-ubyte.gz'
>>> seen = []
>>> remove = on_progress(lambda dataset, file, done, total: seen.append(done))
>>> remove()  # stop listening
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optwidgets.core.errors import DataError
from optwidgets.data.home import ENV_VAR, data_home

__all__ = ["CHECKSUMS", "MIRRORS", "TIMEOUT_S", "SHOW_PROGRESS", "ProgressCallback",
           "on_progress", "sha256_of", "fetch", "fetch_all"]

# SHA-256 of the official files. The MNIST / Fashion-MNIST values were checked against
# several independent public projects that pin the same files (and the md5 sums
# torchvision pins for them: mnist f68b3c2d.., d53e105e.., 9fb629c4.., ec29112d..;
# fashion 8d4fb7e6.., 25c81989.., bef4ecab.., bb300cfd..). cifar-10-binary.tar.gz
# (md5 c32a1d4a.., the sum published on the CIFAR page) is pinned with the same SHA-256
# by JuliaML/MLDatasets.jl and ankane/torchvision-ruby, among others. We did not download
# the files ourselves to hash them: this project's machines have no route to those hosts.
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
        # the binary version (records of bytes, read without pickle; see data/cifar.py)
        "cifar-10-binary.tar.gz": "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
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

TIMEOUT_S = 30.0  # seconds without data (or to connect) before one download attempt gives up
SHOW_PROGRESS = True  # draw a tqdm bar on stderr while downloading

ProgressCallback = Callable[[str, str, int, int], None]
_LISTENERS: list[ProgressCallback] = []
_LOCK = threading.Lock()


def on_progress(callback: ProgressCallback) -> Callable[[], None]:
    """Call ``callback(dataset, file, bytes_done, bytes_total)`` during every download.

    Returns a function that removes the callback again. ``bytes_total`` is 0 when the
    server sends no length; the last call of a finished file has ``bytes_done ==
    bytes_total``. Files found in the cache download nothing and report nothing.

    Example
    -------
    >>> from optwidgets.data.download import on_progress
    >>> remove = on_progress(print)
    >>> remove()
    """
    if not callable(callback):
        raise TypeError(f"on_progress needs a callable, got {type(callback).__name__}")
    with _LOCK:
        _LISTENERS.append(callback)

    def remove() -> None:
        with _LOCK:
            if callback in _LISTENERS:
                _LISTENERS.remove(callback)

    return remove


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


def _mismatch(origin: str, path: Path, actual: str, expected: str) -> DataError:
    return DataError(
        f"{origin} file {path} has SHA-256 {actual}, expected {expected}; the file was "
        "deleted (it is corrupt, truncated or a different version). Loading again "
        "downloads it anew, or put the official file in its place."
    )


def _verify(path: Path, expected: str, origin: str) -> None:
    actual = sha256_of(path)
    if actual != expected.lower():
        path.unlink(missing_ok=True)
        raise _mismatch(origin, path, actual, expected)


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


class _Progress:
    """pooch's custom progress-bar protocol (``total``, ``update``, ``reset``, ``close``),
    forwarding to the callbacks and, when asked, to a tqdm bar in the terminal."""

    def __init__(self, dataset: str, filename: str, callbacks: list[ProgressCallback],
                 terminal: bool) -> None:
        self.dataset, self.filename, self.callbacks = dataset, filename, callbacks
        self._total, self.done = 0, 0
        self._bar: Any = None
        if terminal:
            from tqdm.auto import tqdm  # only when a download starts

            self._bar = tqdm(total=0, unit="B", unit_scale=True, ncols=79, leave=True,
                             desc=filename)

    @property
    def total(self) -> int:
        return self._total

    @total.setter
    def total(self, value: int) -> None:  # set by pooch from Content-Length
        self._total = int(value or 0)
        if self._bar is not None:
            self._bar.total = self._total
            self._bar.refresh()
        self._emit()

    def update(self, n: int) -> None:
        self.done += int(n)
        if self._bar is not None:
            self._bar.update(n)
        self._emit()

    def reset(self) -> None:
        self.done = 0
        if self._bar is not None:
            self._bar.reset(total=self._total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def _emit(self) -> None:
        # pooch counts whole chunks: the last one may overshoot the length
        done = min(self.done, self._total) if self._total else self.done
        for callback in self.callbacks:
            callback(self.dataset, self.filename, done, self._total)


class _Downloader:
    """pooch's HTTP downloader, remembering the SHA-256 of what arrived (for the message
    when it does not match)."""

    def __init__(self, progressbar: Any) -> None:
        import pooch  # heavy (and it imports requests): only when downloading

        self._inner = pooch.HTTPDownloader(progressbar=progressbar, timeout=TIMEOUT_S)
        self.received: str | None = None

    def __call__(self, url: str, output_file: Any, pooch_instance: Any) -> None:
        self.received = None
        self._inner(url, output_file, pooch_instance)
        if isinstance(output_file, (str, os.PathLike)):
            self.received = sha256_of(output_file)


def _reason(exc: Exception) -> str:
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.Timeout):
        return f"no answer within {TIMEOUT_S:g} s"
    if isinstance(exc, requests.ConnectionError):
        errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
        return "cannot connect" + (f" ({errno.group(1).strip()})" if errno else "")
    return f"{type(exc).__name__}: {exc}"


def _download(dataset: str, filename: str, base: str, folder: Path,
              callbacks: list[ProgressCallback]) -> Path:
    import pooch

    registry = {f: f"sha256:{h}" for f, h in CHECKSUMS[dataset].items()}
    store = pooch.create(path=folder, base_url=base, registry=registry, allow_updates=False,
                         retry_if_failed=0)
    bar: Any = (_Progress(dataset, filename, callbacks, SHOW_PROGRESS) if callbacks
                else SHOW_PROGRESS)
    downloader = _Downloader(bar)
    try:
        return Path(store.fetch(filename, downloader=downloader))
    except ValueError as exc:  # pooch's hash mismatch (requests' errors are handled above)
        import requests

        if isinstance(exc, requests.RequestException) or downloader.received is None:
            raise
        raise _mismatch("downloaded", folder / filename, downloader.received,
                        CHECKSUMS[dataset][filename]) from None
    finally:
        if isinstance(bar, _Progress):
            bar.close()


def fetch(dataset: str, filename: str, *, progress: ProgressCallback | None = None) -> Path:
    """Path of one checked file of ``dataset``, downloading it first if it is missing.

    Parameters
    ----------
    dataset, filename : str
        A key of :data:`CHECKSUMS` and one of its files.
    progress : callable, optional
        Called as ``progress(dataset, filename, bytes_done, bytes_total)`` while this
        file downloads (besides the :func:`on_progress` listeners).

    Raises
    ------
    DataError
        The file's SHA-256 does not match (the file is deleted), or it is missing and
        cannot be downloaded (the message lists every missing file and the folder).

    Example
    -------
    A file already in the data home with the pinned hash is used as it is (no network):

    >>> from optwidgets.data import data_home
    >>> from optwidgets.data.download import CHECKSUMS, fetch, sha256_of
    >>> (data_home() / "demo").mkdir(exist_ok=True)
    >>> _ = (data_home() / "demo" / "hello.txt").write_text("hello")
    >>> CHECKSUMS["demo"] = {"hello.txt": sha256_of(data_home() / "demo" / "hello.txt")}
    >>> fetch("demo", "hello.txt").read_text()
    'hello'
    >>> del CHECKSUMS["demo"]
    """
    expected = CHECKSUMS[dataset][filename]
    folder = data_home() / dataset
    path = folder / filename
    if path.exists():
        _verify(path, expected, "cached")
        return path
    import requests  # pooch's HTTP library: its errors mean "could not download"

    folder.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        callbacks = [*_LISTENERS, *([progress] if progress is not None else [])]
    errors = []
    for base in MIRRORS.get(dataset, ()):
        try:
            return _download(dataset, filename, base, folder, callbacks)
        except (requests.RequestException, OSError) as e:
            errors.append(f"{base + filename}: {_reason(e)}")
    missing = [f for f in CHECKSUMS[dataset] if not (folder / f).exists()]
    raise _offline_error(dataset, folder, missing, "; ".join(errors) or "no mirror")


def fetch_all(dataset: str, *, progress: ProgressCallback | None = None) -> dict[str, Path]:
    """Every file of ``dataset``, checked (downloading the missing ones).

    Example
    -------
    >>> from optwidgets.data import data_home
    >>> from optwidgets.data.download import CHECKSUMS, fetch_all, sha256_of
    >>> (data_home() / "demo2").mkdir(exist_ok=True)
    >>> _ = (data_home() / "demo2" / "a.bin").write_bytes(b"a")
    >>> CHECKSUMS["demo2"] = {"a.bin": sha256_of(data_home() / "demo2" / "a.bin")}
    >>> sorted(fetch_all("demo2"))
    ['a.bin']
    >>> del CHECKSUMS["demo2"]
    """
    return {name: fetch(dataset, name, progress=progress) for name in CHECKSUMS[dataset]}
