"""The loggers, read back from what TensorBoard and MLflow themselves wrote."""

import importlib.util
import pickle
import shutil
import threading

import pytest
import torch

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.train import Callback, RunState, StopRun
from optwidgets.train import loggers as L
from optwidgets.train.loggers import MLflowLogger, TensorBoardLogger, parse_log_spec

pytestmark = [
    # SQLAlchemy 2.1 deprecates a loader strategy MLflow's store still configures
    pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow.store.tracking.sqlalchemy_store"),
]

STEPS_PER_EPOCH = 11  # xor: 1000 samples, 65 % train, batch 64


def _cfg(**kw):
    return ow.RunConfig(**{"dataset": "xor", "model": "mlp", "hidden": (8,), "epochs": 2, **kw})


def _history(result, phase, split, metric):
    h = result.history
    rows = h[(h.phase == phase) & (h.split == split) & (h.metric == metric)]
    return list(zip(rows.step.astype(int), rows.value.astype(float)))


# ------------------------------------------------------------------------- TensorBoard

def _events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


@pytest.fixture(scope="module")
def tb_run(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("tb")
    result = ow.run(_cfg(), callbacks=[TensorBoardLogger(logdir)], store=False)
    assert result.status == "done"
    return _events(logdir / result.run_id), result


def test_tensorboard_curves_equal_the_history(tb_run):
    acc, result = tb_run
    tags = set(acc.Tags()["scalars"])
    assert {"train/loss", "train/train_loss", "train/val_loss", "train/val_acc",
            "train/lr"} <= tags
    for tag, (split, metric) in {"train/loss": ("train", "loss"),
                                 "train/val_loss": ("val", "loss"),
                                 "train/val_acc": ("val", "acc"),
                                 "train/lr": ("train", "lr")}.items():
        got, want = _scalars(acc, tag), _history(result, "train", split, metric)
        assert [s for s, _ in got] == [s for s, _ in want], tag
        assert [v for _, v in got] == pytest.approx([v for _, v in want], rel=1e-6), tag
    assert len(_scalars(acc, "train/loss")) == 2 * STEPS_PER_EPOCH
    assert _scalars(acc, "train/val_loss")[-1][1] == pytest.approx(result.metrics["val_loss"],
                                                                    rel=1e-6)


def test_tensorboard_final_numbers_and_hparams(tb_run):
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    acc, result = tb_run
    last = {tag: _scalars(acc, tag)[-1][1] for tag in acc.Tags()["scalars"]
            if tag.startswith("final/")}
    assert last["final/test_acc"] == pytest.approx(result.metrics["test_acc"], rel=1e-6)
    assert last["final/f1"] == pytest.approx(result.metrics["f1"], rel=1e-6)
    assert last["final/size_bytes"] == result.size_bytes
    assert last["final/latency_ms"] == pytest.approx(result.latency_ms, rel=1e-6)

    content = {tag: HParamsPluginData.FromString(c)
               for tag, c in acc.PluginTagToContent("hparams").items()}
    hp = content["_hparams_/session_start_info"].session_start_info.hparams
    cfg = result.config.to_dict()
    assert set(hp) == set(cfg) | {"status", "technique"}
    assert hp["hidden"].string_value == "[8]"
    assert hp["dataset"].string_value == "xor"
    assert hp["epochs"].number_value == 2
    assert hp["lr"].number_value == pytest.approx(cfg["lr"])
    assert hp["nesterov"].string_value == "False"
    assert hp["status"].string_value == "done"
    metrics = content["_hparams_/experiment"].experiment.metric_infos
    assert {m.name.tag for m in metrics} == set(last)
    assert "config/text_summary" in acc.Tags()["tensors"]


def test_tensorboard_tags_by_phase_and_every(tmp_path):
    cfg = _cfg(prune_method="weight", prune_ratio=0.5, finetune_epochs=1)
    result = ow.run(cfg, callbacks=[TensorBoardLogger(tmp_path, every=5)], store=False)
    acc = _events(tmp_path / result.run_id)
    assert [s for s, _ in _scalars(acc, "train/loss")] == [5, 10, 15, 20]
    assert [s for s, _ in _scalars(acc, "finetune/loss")] == [25, 30]
    assert _scalars(acc, "finetune/val_loss") == [
        (s, pytest.approx(v, rel=1e-6)) for s, v in _history(result, "finetune", "val", "loss")]


def test_tensorboard_one_folder_per_run(tmp_path):
    logger = TensorBoardLogger(tmp_path)
    a = ow.run(_cfg(), callbacks=[logger], store=False)
    b = ow.run(_cfg(seed=1), callbacks=[logger], store=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([a.run_id, b.run_id])
    for r in (a, b):
        acc = _events(tmp_path / r.run_id)
        assert len(_scalars(acc, "train/loss")) == 2 * STEPS_PER_EPOCH
        assert _scalars(acc, "final/test_acc")[0][1] == pytest.approx(r.metrics["test_acc"])
    assert logger._runs == {}  # every writer closed


# ------------------------------------------------------------------------------ MLflow

@pytest.fixture(scope="module")
def mlflow_template(tmp_path_factory):
    """An empty MLflow SQLite store: creating one runs MLflow's migrations (seconds), so
    it is made once and each test gets a copy."""
    import mlflow

    path = tmp_path_factory.mktemp("mlflow") / "template.db"
    mlflow.MlflowClient(f"sqlite:///{path.as_posix()}").search_experiments()
    return path


@pytest.fixture()
def mlflow_uri(tmp_path, monkeypatch, mlflow_template):
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    shutil.copy(mlflow_template, tmp_path / "mlflow.db")
    return f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"


def _mlflow_runs(uri, experiment="optwidgets"):
    import mlflow

    client = mlflow.MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id])
    return client, {r.data.tags["run_id"]: r for r in runs}


def _history_of(client, mlrun, key):
    return [(m.step, m.value) for m in
            sorted(client.get_metric_history(mlrun.info.run_id, key), key=lambda m: m.step)]


def test_mlflow_reads_back_params_curves_finals_and_tags(mlflow_uri):
    result = ow.run(_cfg(), callbacks=[MLflowLogger(mlflow_uri)], store=False)
    client, runs = _mlflow_runs(mlflow_uri)
    mlrun = runs[result.run_id]
    assert mlrun.info.status == "FINISHED"
    assert mlrun.info.run_name == result.run_id
    assert mlrun.data.tags["status"] == "done"
    assert mlrun.data.tags["technique"] == result.technique

    params = mlrun.data.params
    cfg = result.config.to_dict()
    assert set(params) == set(cfg)
    assert params["hidden"] == "[8]"
    assert params["dataset"] == "xor"
    assert params["epochs"] == "2"
    assert float(params["lr"]) == cfg["lr"]

    assert _history_of(client, mlrun, "train/loss") == _history(result, "train", "train", "loss")
    assert len(_history_of(client, mlrun, "train/loss")) == 2 * STEPS_PER_EPOCH
    assert _history_of(client, mlrun, "train/val_loss") == _history(result, "train", "val", "loss")
    assert _history_of(client, mlrun, "train/val_acc") == _history(result, "train", "val", "acc")

    finals = mlrun.data.metrics
    for key, value in result.metrics.items():
        assert finals[key] == value, key
    assert finals["size_bytes"] == result.size_bytes
    assert finals["params"] == result.params
    assert finals["latency_ms"] == result.latency_ms
    assert finals["train_seconds"] == result.train_seconds


class _Raise(Callback):
    def __init__(self, exc):
        self.exc = exc

    def on_epoch_end(self, run, logs):
        raise self.exc


@pytest.mark.parametrize("exc,status,mlflow_status", [
    (StopRun("enough"), "stopped", "KILLED"),
    (RuntimeError("boom"), "failed", "FAILED"),
])
def test_mlflow_end_status(mlflow_uri, exc, status, mlflow_status):
    result = ow.run(_cfg(), callbacks=[MLflowLogger(mlflow_uri, every=4), _Raise(exc)],
                    store=False)
    assert result.status == status
    client, runs = _mlflow_runs(mlflow_uri)
    mlrun = runs[result.run_id]
    assert mlrun.info.status == mlflow_status
    assert mlrun.data.tags["status"] == status
    # stopped after the first epoch: steps 4 and 8 of its 11
    assert [s for s, _ in _history_of(client, mlrun, "train/loss")] == [4, 8]


def test_mlflow_two_runs_in_threads_through_one_logger(mlflow_uri):
    logger = MLflowLogger(mlflow_uri, experiment="pair")
    results = {}

    def go(seed):
        results[seed] = ow.run(_cfg(seed=seed), callbacks=[logger], store=False)

    threads = [threading.Thread(target=go, args=(s,)) for s in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client, runs = _mlflow_runs(mlflow_uri, "pair")
    assert set(runs) == {r.run_id for r in results.values()}
    for r in results.values():
        mlrun = runs[r.run_id]
        assert mlrun.info.status == "FINISHED"
        assert _history_of(client, mlrun, "train/loss") == _history(r, "train", "train", "loss")
        assert mlrun.data.metrics["test_acc"] == r.metrics["test_acc"]
        assert mlrun.data.params["seed"] == str(r.config.seed)
    assert logger._runs == {}


def test_mlflow_default_store_is_sqlite_under_the_data_home(tmp_path, monkeypatch,
                                                          mlflow_template):
    monkeypatch.setenv("OPTWIDGETS_DATA", str(tmp_path))
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    uri = L.default_mlflow_uri()
    db = tmp_path.resolve() / "mlruns" / "mlflow.db"
    assert uri == f"sqlite:///{db.as_posix()}"
    db.parent.mkdir()
    shutil.copy(mlflow_template, db)  # an empty store, without running the migrations again
    result = ow.run(_cfg(epochs=1), callbacks=[parse_log_spec("mlflow")], store=False)
    client, runs = _mlflow_runs(uri)
    assert runs[result.run_id].info.status == "FINISHED"
    exp = client.get_experiment_by_name("optwidgets")
    assert exp.artifact_location == (tmp_path.resolve() / "mlruns" / "artifacts").as_uri()


# ------------------------------------------------------------- pickling, buffering, CLI

class _PickleMidRun(Callback):
    def __init__(self, logger):
        self.logger, self.copies = logger, []

    def on_epoch_end(self, run, logs):
        self.copies.append(pickle.loads(pickle.dumps(self.logger)))


@pytest.mark.parametrize("kind", ["tensorboard", "mlflow"])
def test_loggers_pickle_with_settings_only(tmp_path, kind, request):
    logger = (TensorBoardLogger(tmp_path / "tb", every=3) if kind == "tensorboard" else
              MLflowLogger(request.getfixturevalue("mlflow_uri"), "e", every=3))
    spy = _PickleMidRun(logger)
    ow.run(_cfg(epochs=1), callbacks=[logger, spy], store=False)
    copy = spy.copies[0]  # pickled while the run's writer was open
    assert type(copy) is type(logger)
    assert copy._runs == {} and copy.every == 3
    assert {k: v for k, v in vars(copy).items() if k not in ("_runs", "_lock")} == \
        {k: v for k, v in vars(logger).items() if k not in ("_runs", "_lock")}
    result = ow.run(_cfg(epochs=1), callbacks=[copy], store=False)  # the copy logs too
    assert result.status == "done"


class _Recorder(L._RunLogger):
    def __init__(self, every=1):
        super().__init__(every)
        self.writes = []

    def _start(self, run):
        return "handle"

    def _write(self, handle, rows):
        self.writes.append([(tag, step, value) for tag, step, _, value in rows])

    def _finish(self, handle, run, result):
        self.writes.append("finish")


def test_batch_losses_are_buffered_and_read_in_one_go(monkeypatch):
    monkeypatch.setattr(L, "FLUSH_STEPS", 4)
    rec, run = _Recorder(every=2), RunState(config=_cfg(), run_id="r", phase="train")
    rec.on_run_start(run)
    for step in range(1, 13):  # steps 2, 4, ..., 12 are logged: six losses
        run.step = step
        rec.on_batch_end(run, torch.tensor(float(step)))
    assert rec.writes == [[("train/loss", s, float(s)) for s in (2, 4, 6, 8)]]
    rec.on_epoch_end(run, {"val_loss": 0.5})
    assert rec.writes[1] == [("train/loss", 10, 10.0), ("train/loss", 12, 12.0),
                             ("train/val_loss", 12, 0.5)]
    rec.on_run_end(run, ow.runs.RunResult(run_id="r", config=run.config))
    assert rec.writes[2:] == ["finish"] and rec._runs == {}


def test_floats_reads_tensors_of_mixed_dtypes():
    values = [torch.tensor(1.5), torch.tensor(2.0, dtype=torch.bfloat16), 3]
    assert L._floats(values) == [1.5, 2.0, 3.0]


@pytest.mark.gpu
def test_tensorboard_on_cuda_logs_every_step(tmp_path):
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    result = ow.run(_cfg(device="cuda"), callbacks=[TensorBoardLogger(tmp_path)], store=False)
    assert result.device.startswith("cuda")
    acc = _events(tmp_path / result.run_id)
    got, want = _scalars(acc, "train/loss"), _history(result, "train", "train", "loss")
    assert [s for s, _ in got] == [s for s, _ in want]
    assert [v for _, v in got] == pytest.approx([v for _, v in want], rel=1e-6)


@pytest.mark.parametrize("spec,cls,attr,value", [
    ("tensorboard:runs/tb", TensorBoardLogger, "log_dir", "runs/tb"),
    (" TensorBoard : C:\\logs ", TensorBoardLogger, "log_dir", "C:\\logs"),
    ("mlflow", MLflowLogger, "tracking_uri", None),
    ("mlflow:", MLflowLogger, "tracking_uri", None),
    ("mlflow:http://host:5000", MLflowLogger, "tracking_uri", "http://host:5000"),
    ("mlflow:sqlite:///r.db", MLflowLogger, "tracking_uri", "sqlite:///r.db"),
])
def test_parse_log_spec(spec, cls, attr, value):
    logger = parse_log_spec(spec)
    assert type(logger) is cls and getattr(logger, attr) == value


@pytest.mark.parametrize("spec", ["", "tensorboard", "tensorboard:", "wandb:x", "mlflowx"])
def test_parse_log_spec_refuses(spec):
    with pytest.raises(ConfigError) as err:
        parse_log_spec(spec)
    assert err.value.field == "log" and "mlflow[:URI]" in str(err.value)


@pytest.mark.parametrize("every", [0, -1, 1.5, True])
def test_every_is_validated(tmp_path, every):
    with pytest.raises(ConfigError, match="every"):
        TensorBoardLogger(tmp_path, every=every)


@pytest.mark.parametrize("cls,module", [(TensorBoardLogger, "tensorboard"),
                                        (MLflowLogger, "mlflow")])
def test_missing_extra_names_the_pip_command(monkeypatch, cls, module):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == module else real(name, *a))
    with pytest.raises(ImportError, match=rf"pip install 'optwidgets\[{module}\]'"):
        cls("somewhere")
