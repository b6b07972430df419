"""A dataset's first load downloads it: the Explorer's progress line and bar say so.

The files come through the real pooch download from a local HTTP server on 127.0.0.1
(the same server and tiny real-format MNIST files as ``tests/data/test_download.py``).
The first load is either the Augmentation tab's preview (drawn while the dashboard is
shown, on the figures thread) or, without that tab, the first Train (the run's thread).
"""

from __future__ import annotations

import pytest

import optwidgets as ow
from optwidgets.data import clear_cache, download
from optwidgets.ui.tabs import tabs as all_tabs
from tests.data.test_download import _idx_arrays, _write_idx_set, local_server  # noqa: F401

from .helpers import TIMEOUT


@pytest.fixture
def served_mnist(tmp_path, monkeypatch, local_server):  # noqa: F811
    """An empty data home and tiny MNIST files that only the local server has."""
    monkeypatch.setenv("OPTWIDGETS_DATA", str(tmp_path / "home"))
    clear_cache()
    served, url = local_server
    arrays = _idx_arrays(seed=1, n_train=300, n_test=40)
    monkeypatch.setitem(download.CHECKSUMS, "mnist", _write_idx_set(served, arrays))
    monkeypatch.setitem(download.MIRRORS, "mnist", (url,))
    monkeypatch.setattr(download, "SHOW_PROGRESS", False)  # no tqdm bar in the test log
    yield
    clear_cache()


@pytest.mark.parametrize("first_load", ["preview", "train"])
def test_the_progress_line_shows_the_download_of_a_first_load(served_mnist, tmp_path, first_load):
    cfg = ow.RunConfig(dataset="mnist", model="mlp", hidden=(8,), epochs=1, batch_size=16)
    tabs = all_tabs()
    if first_load == "train":
        tabs = [t for t in tabs if t.title != "Augmentation"]
    lines, bars = [], []
    ex = ow.Explorer(cfg, store=ow.RunStore(tmp_path / "store"), tabs=tabs)
    ex.progress.label.observe(lambda change: lines.append(ex.progress.text), names="value")
    ex.progress.bar.observe(lambda change: bars.append(change["new"]), names="value")
    assert ex.ready(TIMEOUT)
    shown_before_train = len(lines)
    assert ex.train(block=True, timeout=TIMEOUT)
    assert ex.state == "done", ex.status

    shown = [t for t in lines if t.startswith(("downloading mnist", "downloaded mnist"))]
    files = {t.split(" · ")[1] for t in shown}
    assert files == set(download.CHECKSUMS["mnist"]), lines  # each of the four files
    assert sum(t.startswith("downloaded mnist") and " of " in t for t in shown) == 4, shown
    assert max(bars) > 0
    last = lines.index(shown[-1])
    if first_load == "preview":
        assert last < shown_before_train  # drawn with the dashboard, before any Train
    else:
        assert shown_before_train == 0 and last < lines.index("starting …", 1)
    assert lines[-1].startswith("done")  # then the run's own progress took the line over
    assert not download._LISTENERS  # each listener went with its job
