"""mnist / fashion_mnist / cifar10 loaded through the real code from tiny real-format files.

Nothing leaves this machine: "offline" is http://127.0.0.1:9/ (refused at once), and the
download tests serve files through pooch from a local HTTP server on 127.0.0.1 (a
thread that stops with the test).
"""

from __future__ import annotations

import ast
import gzip
import http.server
import io
import tarfile
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

import optwidgets.data
from optwidgets.core.errors import DataError
from optwidgets.data import clear_cache, download, load_dataset, on_progress
from optwidgets.data.cifar import (
    ARCHIVE,
    RECORD_BYTES,
    parse_batch,
    read_cifar_archive,
    write_cifar_archive,
)
from optwidgets.data.cifar import CLASS_NAMES as CIFAR_NAMES
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


def _record(label: int, image: np.ndarray) -> bytes:
    """One record by the published layout, built by hand (not by write_cifar_archive):
    a label byte, then the red, green and blue 32x32 planes, each row by row."""
    return bytes([label]) + b"".join(image[c].tobytes() for c in range(3))


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buf.getvalue()


def _official_members(seed: int = 0, per_batch: int = 3):
    rng = np.random.default_rng(seed)
    members, images = {}, {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        imgs = rng.integers(0, 256, (per_batch, 3, 32, 32), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch)
        images[name] = (imgs, labels)
        members[f"cifar-10-batches-bin/{name}"] = b"".join(
            _record(int(lab), img) for img, lab in zip(imgs, labels))
    members["cifar-10-batches-bin/batches.meta.txt"] = ("\n".join(CIFAR_NAMES) + "\n\n").encode()
    members["cifar-10-batches-bin/readme.html"] = b"<html></html>"
    return members, images


def test_cifar_binary_records_read_by_the_published_layout(tmp_path):
    members, images = _official_members()
    path = tmp_path / ARCHIVE
    path.write_bytes(_tar_gz(members))
    raw = read_cifar_archive(path)
    assert raw.X.shape == (15, 3, 32, 32) and raw.X.dtype == np.uint8
    assert raw.X_test.shape == (3, 3, 32, 32) and raw.class_names == CIFAR_NAMES
    train = [images[f"data_batch_{i}.bin"] for i in range(1, 6)]
    assert np.array_equal(raw.X, np.concatenate([x for x, _ in train]))
    assert np.array_equal(raw.y, np.concatenate([y for _, y in train]))
    assert np.array_equal(raw.X_test, images["test_batch.bin"][0])
    assert np.array_equal(raw.y_test, images["test_batch.bin"][1])
    # the first 1024 pixel bytes of a record are the red plane, row by row
    rec = members["cifar-10-batches-bin/data_batch_1.bin"][:RECORD_BYTES]
    assert rec[0] == raw.y[0] and rec[1:33] == raw.X[0, 0, 0].tobytes()
    assert rec[1 + 1024:1 + 1024 + 32] == raw.X[0, 1, 0].tobytes()


def test_write_cifar_archive_matches_the_format(tmp_path):
    rng = np.random.default_rng(1)
    batch = (rng.integers(0, 256, (4, 3, 32, 32), dtype=np.uint8), [3, 1, 4, 1])
    write_cifar_archive(tmp_path / "c.tar.gz", [batch] * 5, batch)
    with tarfile.open(tmp_path / "c.tar.gz", "r:gz") as tar:
        blob = tar.extractfile("cifar-10-batches-bin/data_batch_2.bin").read()
        meta = tar.extractfile("cifar-10-batches-bin/batches.meta.txt").read().decode()
    assert blob == b"".join(_record(lab, img) for img, lab in zip(batch[0], batch[1]))
    assert meta.split() == CIFAR_NAMES


def test_no_pickle_in_the_data_package():
    # the data layer parses bytes and numbers only: no module imports an unpickler
    folder = Path(optwidgets.data.__file__).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not {"pickle", "_pickle", "dill", "joblib", "marshal", "cloudpickle"} & {
                    n.split(".")[0] for n in names}, path.name
            if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
                assert isinstance(node.value, ast.Constant) and node.value.value is False


def test_cifar10_loads_from_cache(home, offline, monkeypatch):
    train, test = _cifar_arrays(seed=2)
    folder = home / "cifar10"
    folder.mkdir(parents=True)
    write_cifar_archive(folder / ARCHIVE, train, test)
    monkeypatch.setitem(download.CHECKSUMS, "cifar10", {ARCHIVE: sha256_of(folder / ARCHIVE)})
    ds = load_dataset("cifar10", seed=0, val_fraction=0.2, classes=(0, 1, 2, 3, 4))
    assert ds.kind == "image" and ds.input_shape == (3, 32, 32)
    assert ds.class_names == CIFAR_NAMES[:5] and ds.num_classes == 5
    assert len(ds.y_test) == 10 and len(ds.y_train) + len(ds.y_val) == 25
    for X, y in ((ds.X_train, ds.y_train), (ds.X_test, ds.y_test)):
        assert torch.equal((X[:, 0, 0, 0] * 255 / 20).round().long(), y)


def _without(members, name):
    return {k: v for k, v in members.items() if not k.endswith(name)}


@pytest.mark.parametrize("change, words", [
    (lambda m: _without(m, "data_batch_3.bin"), "no cifar-10-batches-bin/data_batch_3.bin"),
    (lambda m: _without(m, "batches.meta.txt"), "batches.meta.txt"),
    (lambda m: {**m, "cifar-10-batches-bin/test_batch.bin": b"\x01" * 3000},
     "test_batch.bin: 3000 bytes is not a whole number of 3073-byte records"),
    (lambda m: {**m, "cifar-10-batches-bin/batches.meta.txt": b"cat\ndog\n"},
     "has label .* but batches.meta.txt names 2 classes"),
])
def test_crafted_or_broken_cifar_archive_is_refused(tmp_path, change, words):
    members, _ = _official_members(seed=3)
    path = tmp_path / ARCHIVE
    path.write_bytes(_tar_gz(change(members)))
    with pytest.raises(DataError, match=words) as err:
        read_cifar_archive(path)
    assert str(path) in str(err.value)


def test_cifar_member_that_is_a_link_or_too_big_is_refused(tmp_path):
    members, _ = _official_members(seed=4)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        link = tarfile.TarInfo("cifar-10-batches-bin/data_batch_1.bin")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    (tmp_path / "link.tar.gz").write_bytes(buf.getvalue())
    with pytest.raises(DataError, match="data_batch_1.bin is not a regular file"):
        read_cifar_archive(tmp_path / "link.tar.gz")
    big = {**members, "cifar-10-batches-bin/data_batch_1.bin": bytes(10_001 * RECORD_BYTES)}
    (tmp_path / "big.tar.gz").write_bytes(_tar_gz(big))
    with pytest.raises(DataError, match="more than a CIFAR-10 batch"):
        read_cifar_archive(tmp_path / "big.tar.gz")


def test_parse_batch_refuses_partial_records():
    with pytest.raises(DataError, match="mybatch: 0 bytes"):
        parse_batch(b"", "mybatch")


def test_corrupt_cifar_archive(tmp_path):
    (tmp_path / "c.tar.gz").write_bytes(gzip.compress(b"no tar inside"))
    with pytest.raises(DataError, match="CIFAR-10 binary archive") as err:
        read_cifar_archive(tmp_path / "c.tar.gz")
    assert "c.tar.gz" in str(err.value)


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
    with pytest.raises(DataError, match="cifar-10-binary.tar.gz .as downloaded: do not extract"):
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
    assert sorted(p.name for p in (home / "mnist").iterdir()) == sorted(IDX_FILES.values())
    # second process-equivalent: no cache, no network, files reused
    clear_cache()
    monkeypatch.setitem(download.MIRRORS, "mnist", OFFLINE)
    assert torch.equal(load_dataset("mnist", val_fraction=0.2).X_test, ds.X_test)


def test_downloaded_file_with_wrong_hash_is_deleted(home, local_server, monkeypatch):
    served, url = local_server
    (served / ARCHIVE).write_bytes(b"an error page, not the archive")
    actual = sha256_of(served / ARCHIVE)
    monkeypatch.setitem(download.CHECKSUMS, "cifar10", {ARCHIVE: "a" * 64})
    monkeypatch.setitem(download.MIRRORS, "cifar10", (url,))
    with pytest.raises(DataError, match=f"downloaded file .*{ARCHIVE}.*{actual}.*" + "a" * 64):
        load_dataset("cifar10")
    assert not any((home / "cifar10").iterdir())  # nor pooch's temporary file


def test_missing_file_on_the_server_is_an_offline_error(home, local_server, monkeypatch):
    served, url = local_server  # serves nothing: HTTP 404
    monkeypatch.setitem(download.MIRRORS, "cifar10", (url,))
    with pytest.raises(DataError, match="HTTP 404") as err:
        load_dataset("cifar10")
    assert str(home.resolve() / "cifar10") in str(err.value) and ARCHIVE in str(err.value)


def test_progress_reaches_listeners_and_the_progress_argument(home, local_server, monkeypatch):
    served, url = local_server
    payload = np.random.default_rng(0).bytes(300_000)  # several of pooch's 1 KiB chunks
    (served / ARCHIVE).write_bytes(payload)
    monkeypatch.setitem(download.CHECKSUMS, "cifar10", {ARCHIVE: sha256_of(served / ARCHIVE)})
    monkeypatch.setitem(download.MIRRORS, "cifar10", (url,))
    heard, given = [], []
    remove = on_progress(lambda *event: heard.append(event))
    try:
        path = download.fetch("cifar10", ARCHIVE, progress=lambda *e: given.append(e))
    finally:
        remove()
    assert path.read_bytes() == payload
    assert heard == given and len(heard) > 3
    assert all(d == "cifar10" and f == ARCHIVE and t == len(payload) for d, f, _, t in heard)
    done = [e[2] for e in heard]
    assert done[0] == 0 and done[-1] == len(payload) and max(done) == len(payload)
    # cached now: nothing downloads, nothing is reported; a removed listener hears nothing
    download.fetch("cifar10", ARCHIVE, progress=lambda *e: given.append(e))
    assert len(given) == len(heard)


def test_a_failing_progress_callback_stops_the_download(home, local_server, monkeypatch):
    served, url = local_server
    (served / ARCHIVE).write_bytes(b"x" * 5000)
    monkeypatch.setitem(download.CHECKSUMS, "cifar10", {ARCHIVE: sha256_of(served / ARCHIVE)})
    monkeypatch.setitem(download.MIRRORS, "cifar10", (url,))

    def stop(*event):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download.fetch("cifar10", ARCHIVE, progress=stop)
    assert not any((home / "cifar10").iterdir())  # the partial file is gone
    with pytest.raises(TypeError, match="callable"):
        on_progress("not a function")


def test_terminal_progress_bar_is_pooch_tqdm(home, local_server, monkeypatch, capsys):
    served, url = local_server
    (served / ARCHIVE).write_bytes(b"y" * 4096)
    monkeypatch.setitem(download.CHECKSUMS, "cifar10", {ARCHIVE: sha256_of(served / ARCHIVE)})
    monkeypatch.setitem(download.MIRRORS, "cifar10", (url,))
    download.fetch("cifar10", ARCHIVE)
    assert "4.10k/4.10k" in capsys.readouterr().err  # tqdm's bar, bytes with unit_scale


def test_pinned_checksums_look_right():
    for name, files in download.CHECKSUMS.items():
        assert download.MIRRORS[name]
        for fname, digest in files.items():
            assert len(digest) == 64 and int(digest, 16) >= 0, fname
    assert set(download.CHECKSUMS["mnist"]) == set(IDX_FILES.values())
    # the binary release (read without pickle), as pinned by other public projects
    assert download.CHECKSUMS["cifar10"] == {
        "cifar-10-binary.tar.gz": "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"}
