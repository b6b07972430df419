"""RunStore: persistence across processes and restarts."""

import json
import subprocess
import sys
import textwrap

import pandas as pd

import optwidgets as ow
from optwidgets.runs import RunResult


def _fake_result(i):
    return RunResult(run_id=f"20260101-000000-{i:06x}", config=ow.RunConfig(model="mlp"),
                     metrics={"test_acc": 0.5 + i / 1000}, size_bytes=100 + i, params=10,
                     nonzero_params=9, latency_ms=0.1, latency_ms_b256=1.0,
                     history=pd.DataFrame({"step": [1], "epoch": [1], "phase": ["train"],
                                           "split": ["train"], "metric": ["loss"],
                                           "value": [1.0]}))


def test_store_round_trip_and_frame(tmp_path):
    store = ow.RunStore(tmp_path)
    res = _fake_result(1)
    store.save(res)
    again = ow.RunStore(tmp_path)  # a new process would see the same
    assert again.run_ids() == [res.run_id]
    frame = again.to_frame()
    assert frame.loc[0, "test_acc"] == 0.501 and frame.loc[0, "model"] == "mlp"
    assert frame.loc[0, "hidden"] == "128"
    assert again.history(res.run_id)["value"].tolist() == [1.0]


def test_real_run_persists_weights_and_reloads_model(tmp_path):
    res = ow.run(ow.RunConfig(dataset="xor", model="mlp", hidden=(8,), epochs=2), store=tmp_path)
    store = ow.RunStore(tmp_path)
    model = store.load_model(res.run_id)
    import torch

    for a, b in zip(model.state_dict().values(), res.model.state_dict().values()):
        assert torch.equal(a, b)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    script = textwrap.dedent(f"""
        import sys, pandas as pd
        import optwidgets as ow
        from optwidgets.runs import RunResult
        store = ow.RunStore({str(tmp_path)!r})
        who = int(sys.argv[1])
        for i in range(40):
            r = RunResult(run_id=f"20260101-000000-p{{who}}-{{i:03d}}",
                          config=ow.RunConfig(model="mlp", seed=i), metrics={{"test_acc": i}},
                          history=pd.DataFrame({{"value": [float(i)] * 500}}))
            store.save(r)
            store.to_frame()  # read while the other process writes
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(k)]) for k in (1, 2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    frame = ow.RunStore(tmp_path).to_frame()
    assert len(frame) == 80
    assert sorted(frame["seed"].tolist()) == sorted(list(range(40)) * 2)
    for p in (tmp_path / "runs").glob("*.json"):
        json.loads(p.read_text())  # every file is whole
    assert not list((tmp_path / "runs").glob(".tmp-*"))
