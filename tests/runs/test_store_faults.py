"""The store against faults and hostile files: path escapes, bad files, killed runs."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.runs import RunResult
from optwidgets.runs.store import check_run_id


def _result(i: int) -> RunResult:
    return RunResult(run_id=f"20260101-000000-{i:06x}", config=ow.RunConfig(model="mlp"),
                     metrics={"test_acc": 0.5}, size_bytes=100,
                     history=pd.DataFrame({"step": [1], "epoch": [1], "phase": ["train"],
                                           "split": ["train"], "metric": ["loss"],
                                           "value": [1.0]}))


def _snapshot(path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and p.name != "index.sqlite" and "index.sqlite" not in p.name}


# ----------------------------------------------------------------- run ids and paths ----
@pytest.mark.parametrize("bad", ["../../../x", "..", ".hidden", "a/b", "a\\b", "", "x" * 200,
                                 "/etc/passwd", "run id", 7, None])
def test_run_ids_outside_the_pattern_are_refused_everywhere(tmp_path, bad):
    store = ow.RunStore(tmp_path / "store")
    store.save(_result(1))
    victim = tmp_path / "x.json"
    victim.write_text("{}")
    before = _snapshot(tmp_path)
    for call in (lambda: store.load(bad), lambda: store.delete(bad),
                 lambda: store.load_model(bad), lambda: store.weights_path(bad),
                 lambda: check_run_id(bad)):
        with pytest.raises(ConfigError) as err:
            call()
        assert err.value.field == "run_id" and repr(bad) in str(err.value)
    assert _snapshot(tmp_path) == before  # nothing written, nothing deleted


def test_run_refuses_a_run_id_that_would_escape_the_store(tmp_path):
    with pytest.raises(ConfigError, match="run_id"):
        ow.run(dataset="xor", model="mlp", epochs=1, store=tmp_path / "s",
               run_id="../../../x")
    assert not (tmp_path / "x.json").exists() and not list(tmp_path.rglob("x.*"))


def test_a_teacher_outside_the_store_is_refused(tmp_path):
    with pytest.raises(ConfigError) as err:
        ow.run(dataset="digits", model="cnn", distill_student="cnn_small",
               distill_teacher="../../etc/passwd", epochs=1, store=tmp_path)
    assert err.value.field == "run_id"


# ----------------------------------------------------------------- bad files ----
BAD_FILES = {
    "null.json": b"null",
    "list.json": b"[1, 2]",
    "latin1.json": "{\"run_id\": \"caf\xe9\"}".encode("latin-1"),
    "configlist.json": b'{"run_id": "configlist", "config": [1, 2]}',
    "empty.json": b"",
    "truncated.json": b'{"run_id": "truncated", "config": {"mod',
    "wrongid.json": b'{"run_id": "other", "config": {}}',
    "badconfig.json": b'{"run_id": "badconfig", "config": {"lr": -1}}',
    "bad name.json": b"{}",
}


def test_a_store_with_every_kind_of_bad_file_still_opens_and_says_which(tmp_path):
    store = ow.RunStore(tmp_path)
    store.save(_result(1))
    for name, data in BAD_FILES.items():
        (tmp_path / "runs" / name).write_bytes(data)
    fresh = ow.RunStore(tmp_path)
    with pytest.warns(UserWarning, match="RunStore skips") as record:
        frame = fresh.to_frame()
    assert frame["run_id"].tolist() == [_result(1).run_id]
    skipped = {p.path.name for p in fresh.problems}
    assert skipped == set(BAD_FILES)
    assert len(record) == len(BAD_FILES)
    reasons = {p.path.name: p.reason for p in fresh.problems}
    assert "not a run object" in reasons["null.json"] and "UTF-8" in reasons["latin1.json"]
    assert "empty" in reasons["empty.json"] and "not JSON" in reasons["truncated.json"]
    assert "'config' is not an object" in reasons["configlist.json"]
    assert "lr=-1" in reasons["badconfig.json"]
    # a second read warns no more (same files), and the index holds the verdicts
    again = ow.RunStore(tmp_path)
    with pytest.warns(UserWarning):
        assert len(again.to_frame()) == 1


def test_loading_a_bad_file_is_a_data_error_naming_it(tmp_path):
    store = ow.RunStore(tmp_path)
    (tmp_path / "runs" / "null.json").write_bytes(b"null")
    with pytest.raises(ow.DataError, match="null.json"):
        store.load("null")


def test_a_hostile_weights_file_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = (b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR.")
    store = ow.RunStore(tmp_path / "s")
    res = ow.run(dataset="xor", model="mlp", hidden=(4,), epochs=1, store=store)
    (store.weights_dir / f"{res.run_id}.pt").write_bytes(payload)
    for p in store.artefacts_dir.glob("*.pt"):
        p.unlink()
    with pytest.raises(ow.DataError, match="weights_only"):
        store.load_model(res.run_id)
    assert not marker.exists()


# ----------------------------------------------------------------- records ----
def test_a_run_is_recorded_as_running_from_its_start(tmp_path):
    seen = {}

    class Peek(ow.Callback):
        def on_epoch_end(self, run, logs):
            seen["status"] = ow.RunStore(tmp_path).load(run.run_id).status

    res = ow.run(dataset="xor", model="mlp", hidden=(4,), epochs=1, store=tmp_path,
                 callbacks=[Peek()])
    assert seen["status"] == "running"
    assert ow.RunStore(tmp_path).load(res.run_id).status == "done"
    assert "owner" not in ow.RunStore(tmp_path).load(res.run_id).extras


def test_a_killed_run_is_seen_as_interrupted_and_others_are_untouched(tmp_path):
    done = ow.run(dataset="xor", model="mlp", hidden=(4,), epochs=1, store=tmp_path)
    before = (tmp_path / "runs" / f"{done.run_id}.json").read_bytes()
    script = textwrap.dedent(f"""
        import optwidgets as ow
        class Slow(ow.Callback):
            def on_batch_end(self, run, loss):
                print("step", flush=True)
                import time; time.sleep(0.05)
        ow.run(dataset="xor", model="mlp", hidden=(4,), epochs=50, store={str(tmp_path)!r},
               callbacks=[Slow()])
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "step"  # training has started
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    store = ow.RunStore(tmp_path)
    frame = store.to_frame().set_index("run_id")
    assert frame.loc[done.run_id, "status"] == "done"
    killed = [r for r in frame.index if r != done.run_id]
    assert len(killed) == 1 and frame.loc[killed[0], "status"] == "interrupted"
    assert store.load(killed[0]).status == "interrupted"
    assert (tmp_path / "runs" / f"{done.run_id}.json").read_bytes() == before


def test_a_stopped_run_keeps_its_weights(tmp_path):
    class StopSoon(ow.Callback):
        def on_batch_end(self, run, loss):
            if run.step == 3:
                raise ow.StopRun()

    res = ow.run(dataset="xor", model="mlp", hidden=(4,), epochs=5, store=tmp_path,
                 callbacks=[StopSoon()])
    assert res.status == "stopped"
    store = ow.RunStore(tmp_path)
    assert store.weights_path(res.run_id) is not None
    assert store.load_model(res.run_id) is not None


def test_store_files_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        store = ow.RunStore(tmp_path)
        path = store.save(_result(2))
    finally:
        os.umask(old)
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o644, oct(mode)


def test_an_unwritable_store_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError) as err:
        ow.RunStore(blocker / "store")
    assert err.value.field == "store"


def test_the_index_is_a_cache_rebuilt_when_missing_or_stale(tmp_path):
    store = ow.RunStore(tmp_path)
    for i in range(3):
        store.save(_result(i))
    assert len(store.to_frame()) == 3
    (tmp_path / "index.sqlite").unlink()
    assert len(ow.RunStore(tmp_path).to_frame()) == 3  # rebuilt from the run files
    # a run file changed behind the index's back is read again
    p = tmp_path / "runs" / f"{_result(0).run_id}.json"
    d = json.loads(p.read_text())
    d["metrics"]["test_acc"] = 0.99
    time.sleep(0.01)
    p.write_text(json.dumps(d))
    frame = ow.RunStore(tmp_path).to_frame().set_index("run_id")
    assert frame.loc[_result(0).run_id, "test_acc"] == 0.99
    p.unlink()
    assert len(ow.RunStore(tmp_path).to_frame()) == 2
