"""mnist / fashion_mnist / cifar10 loaded through the real code from tiny real-format files.

Nothing leaves this machine: "offline" is http://127.0.0.1:9/ (refused at once), and the
download test serves files from a local HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import http.server
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from optwidgets.core.errors import DataError
from optwidgets.data import download, load_dataset
from optwidgets.data.cifar import CLASS_NAMES as CIFAR_NAMES
from optwidgets.data.cifar import read_cifar_archive, write_cifar_archive
from optwidgets.data.download import sha256_of
from optwidgets.data.idx import CLASS_NAMES, IDX_FILES, read_idx, write_idx

OFFLINE = ("http://127.0.0.1:9/",)


def _idx_arrays(seed: int, n_train: int = 60, n_test: int = 20):
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        rng.shuffle(labels)
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        images[:, 0, 0] = labels * 20  # a pixel that ties each image to its label
        out[f"{split}_images"], out[f"{split}_labels"] = images, labels
    return out


def _write_idx_set(folder: Path, arrays) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    for key, fname in IDX_FILES.items():
        write_idx(folder / fname, arrays[key])
    return {fname: sha256_of(folder / fname) for fname in IDX_FILES.values()}


def _cifar_arrays(seed: int, per_batch: int = 10, n_test: int = 20):
    rng = np.random.default_rng(seed)

    def batch(n):
        labels = np.arange(n) % 10
        imgs = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        imgs[:, 0, 0, 0] = labels * 20
        return imgs, labels

    return [batch(per_batch) for _ in range(5)], batch(n_test)


@pytest.fixture
def offline(monkeypatch):
    for name in download.MIRRORS:
        monkeypatch.setitem(download.MIRRORS, name, OFFLINE)


def test_idx_round_trip_and_magic(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", a)
    raw = gzip.decompress((tmp_path / "a.gz").read_bytes())
    assert raw[:4] == bytes([0, 0, 8, 3]) and int.from_bytes(raw[4:8], "big") == 2
    assert np.array_equal(read_idx(tmp_path / "a.gz"), a)
    write_idx(tmp_path / "l.gz", np.arange(5, dtype=np.uint8))
    assert gzip.decompress((tmp_path / "l.gz").read_bytes())[:4] == bytes([0, 0, 8, 1])


@pytest.mark.parametrize("payload, words", [
    (b"\x00\x00\x0d\x01\x00\x00\x00\x01abcd", "magic"),  # float type code
    (bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]), "5 bytes"),  # header says 5 values, 2 follow
])
def test_corrupt_idx_refused(tmp_path, payload, words):
    (tmp_path / "bad.gz").write_bytes(gzip.compress(payload))
    with pytest.raises(DataError, match=words):
        read_idx(tmp_path / "bad.gz")
    (tmp_path / "plain").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="gzip"):
        read_idx(tmp_path / "plain")


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_idx_dataset_loads_from_cache_without_network(home, offline, monkeypatch, name):
    arrays = _idx_arrays(seed=1)
    monkeypatch.setitem(download.CHECKSUMS, name, _write_idx_set(home / name, arrays))
    ds = load_dataset(name, seed=0, val_fraction=0.2)
    assert ds.kind == "image" and ds.input_shape == (1, 28, 28) and ds.num_classes == 10
    assert ds.class_names == CLASS_NAMES[name]
    assert ds.X_train.dtype == torch.float32 and ds.X_train.min() >= 0 and ds.X_train.max() <= 1
    # official test split used as the test set, in order; validation carved from train
    assert torch.equal(ds.y_test, torch.from_numpy(arrays["test_labels"].astype(np.int64)))
    assert torch.allclose(ds.X_test[:, 0], torch.from_numpy(arrays["test_images"]) / 255)
    assert len(ds.y_train) == 48 and len(ds.y_val) == 12
    assert np.bincount(ds.y_val.numpy(), minlength=10).min() >= 1  # stratified
    # each image still carries its own label
    for X, y in ((ds.X_train, ds.y_train), (ds.X_val, ds.y_val), (ds.X_test, ds.y_test)):
        assert torch.equal((X[:, 0, 0, 0] * 255 / 20).round().long(), y)


def test_cifar_archive_format(tmp_path):
    train, test = _cifar_arrays(seed=0)
    path = tmp_path / "cifar-10-python.tar.gz"
    write_cifar_archive(path, train, test)
    import pickle
    import tarfile

    with tarfile.open(path, "r:gz") as tar:
        names = sorted(m.name for m in tar.getmembers())
        batch = pickle.load(tar.extractfile("cifar-10-batches-py/data_batch_1"), encoding="bytes")
    assert names == sorted(f"cifar-10-batches-py/{n}" for n in
                           ["batches.meta", "test_batch"] + [f"data_batch_{i}" for i in range(1, 6)])
    assert batch[b"data"].shape == (10, 3072) and batch[b"data"].dtype == np.uint8
    raw = read_cifar_archive(path)
    assert raw.X.shape == (50, 3, 32, 32) and raw.class_names == CIFAR_NAMES
    # channel-major layout: the first 1024 bytes of a row are the red plane
    assert np.array_equal(raw.X[0, 0].ravel(), train[0][0][0, 0].ravel())


def test_cifar10_loads_from_cache(home, offline, monkeypatch):
    train, test = _cifar_arrays(seed=2)
    folder = home / "cifar10"
    folder.mkdir(parents=True)
    write_cifar_archive(folder / "cifar-10-python.tar.gz", train, test)
    monkeypatch.setitem(download.CHECKSUMS, "cifar10",
                        {"cifar-10-python.tar.gz": sha256_of(folder / "cifar-10-python.tar.gz")})
    ds = load_dataset("cifar10", seed=0, val_fraction=0.2, classes=(0, 1, 2, 3, 4))
    assert ds.kind == "image" and ds.input_shape == (3, 32, 32)
    assert ds.class_names == CIFAR_NAMES[:5] and ds.num_classes == 5
    assert len(ds.y_test) == 10 and len(ds.y_train) + len(ds.y_val) == 25
    for X, y in ((ds.X_train, ds.y_train), (ds.X_test, ds.y_test)):
        assert torch.equal((X[:, 0, 0, 0] * 255 / 20).round().long(), y)


def test_corrupt_cifar_archive(tmp_path):
    (tmp_path / "c.tar.gz").write_bytes(gzip.compress(b"no tar inside"))
    with pytest.raises(DataError, match="CIFAR-10"):
        read_cifar_archive(tmp_path / "c.tar.gz")


def test_checksum_mismatch_deletes_and_names_the_file(home, offline, monkeypatch):
    hashes = _write_idx_set(home / "mnist", _idx_arrays(seed=0))
    bad = "t10k-labels-idx1-ubyte.gz"
    actual = hashes[bad]
    monkeypatch.setitem(download.CHECKSUMS, "mnist", {**hashes, bad: "0" * 64})
    with pytest.raises(DataError) as err:
        load_dataset("mnist")
    msg = str(err.value)
    assert bad in msg and "0" * 64 in msg and actual in msg and "deleted" in msg
    assert not (home / "mnist" / bad).exists()
    assert (home / "mnist" / "train-images-idx3-ubyte.gz").exists()  # good files are kept


def test_offline_error_names_files_and_folder(home, offline):
    with pytest.raises(DataError) as err:
        load_dataset("fashion_mnist")
    msg = str(err.value)
    folder = home.resolve() / "fashion_mnist"
    assert str(folder) in msg and "127.0.0.1:9" in msg
    for fname in IDX_FILES.values():
        assert fname in msg
    with pytest.raises(DataError, match="cifar-10-python.tar.gz"):
        load_dataset("cifar10")


def test_offline_error_lists_only_missing_files(home, offline, monkeypatch):
    hashes = _write_idx_set(home / "mnist", _idx_arrays(seed=0))
    (home / "mnist" / "t10k-images-idx3-ubyte.gz").unlink()
    monkeypatch.setitem(download.CHECKSUMS, "mnist", hashes)
    with pytest.raises(DataError) as err:
        load_dataset("mnist")
    assert "t10k-images-idx3-ubyte.gz" in str(err.value)
    assert "train-labels-idx1-ubyte.gz" not in str(err.value)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def local_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=served))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_download_from_a_mirror_then_reuse(home, local_server, monkeypatch):
    served, url = local_server
    hashes = _write_idx_set(served, _idx_arrays(seed=3))
    monkeypatch.setitem(download.CHECKSUMS, "mnist", hashes)
    # the first mirror refuses; the second (local) one serves the files
    monkeypatch.setitem(download.MIRRORS, "mnist", (*OFFLINE, url))
    ds = load_dataset("mnist", val_fraction=0.2)
    assert len(ds.y_test) == 20
    for fname in IDX_FILES.values():
        assert sha256_of(home / "mnist" / fname) == hashes[fname]
    assert not list((home / "mnist").glob("*.part"))
    # second process-equivalent: no cache, no network, files reused
    from optwidgets.data import clear_cache

    clear_cache()
    monkeypatch.setitem(download.MIRRORS, "mnist", OFFLINE)
    assert torch.equal(load_dataset("mnist", val_fraction=0.2).X_test, ds.X_test)


def test_downloaded_file_with_wrong_hash_is_deleted(home, local_server, monkeypatch):
    served, url = local_server
    (served / "cifar-10-python.tar.gz").write_bytes(b"an error page, not the archive")
    monkeypatch.setitem(download.CHECKSUMS, "cifar10", {"cifar-10-python.tar.gz": "a" * 64})
    monkeypatch.setitem(download.MIRRORS, "cifar10", (url,))
    with pytest.raises(DataError, match="downloaded file .*cifar-10-python.tar.gz.*" + "a" * 64):
        load_dataset("cifar10")
    assert not any((home / "cifar10").iterdir())


def test_pinned_checksums_look_right():
    for name, files in download.CHECKSUMS.items():
        assert download.MIRRORS[name]
        for fname, digest in files.items():
            assert len(digest) == 64 and int(digest, 16) >= 0, fname
    assert set(download.CHECKSUMS["mnist"]) == set(IDX_FILES.values())
