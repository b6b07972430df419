"""Loggers: send a run's settings, curves and measurements to TensorBoard or MLflow.

Both are callbacks. What they write, with the run's global optimizer step as x-axis:

- ``{phase}/loss``: the training loss of every ``every``-th optimizer step;
- ``{phase}/train_loss``, ``{phase}/val_loss``, ``{phase}/val_acc``, ``{phase}/lr``: one
  point per epoch (``phase`` is ``train``, ``distill``, ``finetune``, ...);
- the final metrics and measurements of the :class:`~optwidgets.runs.RunResult`
  (``test_acc``, ``f1``, ``size_bytes``, ``latency_ms``, ...) and the config.

Batch losses arrive as tensors on the run's device; the loggers keep them and read them
all at once at the end of each epoch (or every :data:`FLUSH_STEPS` of them), so logging
every step costs a GPU one synchronization per epoch, not one per step.

A logger keeps only its settings in ``__init__``; writers and clients are opened when a
run starts and closed when it ends, one per run id. So a logger pickles (to reach search
worker processes) and one logger object can serve several runs, also at the same time in
threads. :func:`parse_log_spec` builds a logger from the CLI's ``--log`` text.

Example
-------
>>> from optwidgets.train.loggers import parse_log_spec
>>> type(parse_log_spec("tensorboard:runs/tb")).__name__
'TensorBoardLogger'
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from optwidgets.core.errors import ConfigError
from optwidgets.data import data_home
from optwidgets.train.callbacks import Callback, RunState

if TYPE_CHECKING:  # pragma: no cover
    import os

    from optwidgets.runs import RunResult

__all__ = ["TensorBoardLogger", "MLflowLogger", "parse_log_spec", "default_mlflow_uri",
           "FLUSH_STEPS"]

FLUSH_STEPS = 256  # buffered batch losses read in one go (one GPU sync) at the latest
# numbers of a RunResult logged at the end besides its ``metrics`` (bytes, counts, ms, s)
MEASURES = ("size_bytes", "dense_bytes", "params", "nonzero_params", "latency_ms",
            "latency_iqr_ms", "latency_ms_b256", "latency_iqr_ms_b256", "train_seconds")
# RunResult.status -> the status an MLflow run ends with
MLFLOW_STATUS = {"done": "FINISHED", "stopped": "KILLED", "failed": "FAILED",
                 "diverged": "FAILED"}
MLFLOW_BATCH = 1000  # the most metrics MLflow's log_batch takes in one call
# MLflow builds a store (and a new SQLite file's tables) on a client's first call; runs in
# threads of one process take turns at that step so they never migrate one file twice
_MLFLOW_OPEN = threading.Lock()


# ---------------------------------------------------------------------------- helpers

def _require(module: str, extra: str, who: str) -> None:
    """Raise a readable ImportError when an optional extra is not installed."""
    if importlib.util.find_spec(module) is None:
        raise ImportError(f"{who} needs the optional package {module!r}: "
                          f"pip install 'optwidgets[{extra}]'")


def _plain(value: Any) -> str | int | float:
    """A config value as a number or a string (tuples, lists, dicts as JSON, e.g. ``[8]``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _config_dict(run: RunState) -> dict[str, str | int | float]:
    return {k: _plain(v) for k, v in run.config.to_dict().items()}


def _final_numbers(result: RunResult) -> dict[str, float]:
    """The run's final metrics and measurements that have a value."""
    out = {k: float(v) for k, v in result.metrics.items() if v is not None}
    for key in MEASURES:
        value = getattr(result, key, None)
        if value is not None:
            out[key] = float(value)
    return out


def _floats(values: list[Any]) -> list[float]:
    """Read buffered losses: one stack and one device-to-host copy for all the tensors."""
    if all(isinstance(v, (int, float)) for v in values):
        return [float(v) for v in values]
    out = [None if isinstance(v, torch.Tensor) else float(v) for v in values]
    at = [i for i, v in enumerate(values) if isinstance(v, torch.Tensor)]
    read = torch.stack([values[i].detach().float().reshape(()) for i in at]).cpu().tolist()
    for i, value in zip(at, read):
        out[i] = value
    return [float(v) for v in out if v is not None]


@dataclass
class _OpenRun:
    """One run's open writer or client, and its batch losses not yet written."""

    handle: Any
    # (tag, step, wall-clock time, loss tensor) of each logged step not yet written
    losses: list[tuple[str, int, float, Any]] = field(default_factory=list)


class _RunLogger(Callback):
    """Per-run state keyed by run id, and the batch-loss buffer; subclasses write."""

    def __init__(self, every: int) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError("every", every, "an int >= 1 (log every k-th step's loss)")
        self.every = every
        self._reset()

    def _reset(self) -> None:
        self._runs: dict[str, _OpenRun] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:  # settings only: open writers stay here
        return {k: v for k, v in self.__dict__.items() if k not in ("_runs", "_lock")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset()

    # -- the hooks
    def on_run_start(self, run: RunState) -> None:
        self._open(run)

    def on_phase(self, run: RunState, phase: str) -> None:
        self._flush(self._open(run))

    def on_batch_end(self, run: RunState, loss: torch.Tensor) -> None:
        if run.step % self.every:
            return
        entry = self._open(run)
        entry.losses.append((f"{run.phase}/loss", run.step, time.time(), loss))
        if len(entry.losses) >= FLUSH_STEPS:
            self._flush(entry)

    def on_epoch_end(self, run: RunState, logs: dict[str, float]) -> None:
        entry = self._open(run)
        now = time.time()
        rows = [(f"{run.phase}/{k}", run.step, now, float(v)) for k, v in logs.items()]
        self._flush(entry, rows)

    def on_run_end(self, run: RunState, result: RunResult) -> None:
        entry = self._open(run)
        try:
            self._flush(entry)
            self._finish(entry.handle, run, result)
        finally:
            with self._lock:
                self._runs.pop(run.run_id, None)
            self._close(entry.handle)

    # -- plumbing
    def _open(self, run: RunState) -> _OpenRun:
        with self._lock:
            entry = self._runs.get(run.run_id)
        if entry is None:  # normally at run_start; later if an earlier callback failed there
            entry = _OpenRun(self._start(run))
            with self._lock:
                self._runs[run.run_id] = entry
        return entry

    def _flush(self, entry: _OpenRun,
               epoch_rows: list[tuple[str, int, float, float]] | None = None) -> None:
        losses, entry.losses = entry.losses, []
        rows: list[tuple[str, int, float, float]] = []
        if losses:
            values = _floats([loss for *_, loss in losses])
            rows = [(tag, step, wall, v) for (tag, step, wall, _), v in zip(losses, values)]
        rows += epoch_rows or []
        if rows:
            self._write(entry.handle, rows)

    def _start(self, run: RunState) -> Any:
        raise NotImplementedError

    def _write(self, handle: Any, rows: list[tuple[str, int, float, float]]) -> None:
        raise NotImplementedError

    def _finish(self, handle: Any, run: RunState, result: RunResult) -> None:
        raise NotImplementedError

    def _close(self, handle: Any) -> None:
        pass


# ------------------------------------------------------------------------ TensorBoard

class TensorBoardLogger(_RunLogger):
    """Write each run to ``log_dir/<run id>/`` as TensorBoard event files.

    Scalars: ``{phase}/loss`` per step, ``{phase}/train_loss``, ``val_loss``, ``val_acc``
    and ``lr`` per epoch, and ``final/<name>`` for each final metric and measurement
    (``final/test_acc``, ``final/size_bytes``, ``final/latency_ms``, ...). The config is
    written as hyperparameters (with ``status`` and ``technique``; tuples, lists and dicts
    as JSON text) so the HPARAMS tab compares runs against their final numbers, and as a
    ``config`` text table shown while the run goes on. Start ``tensorboard --logdir DIR``.

    Parameters
    ----------
    log_dir : str or path
        The folder that gets one sub-folder per run.
    every : int, keyword-only
        Log the training loss of every ``every``-th optimizer step (1 = all of them).

    Raises
    ------
    ImportError
        When ``tensorboard`` is not installed (``pip install 'optwidgets[tensorboard]'``).

    Example
    -------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import optwidgets as ow
    >>> tmp = tempfile.TemporaryDirectory()
    >>> result = ow.run(dataset="xor", model="mlp", epochs=1, store=False,
    ...                 callbacks=[TensorBoardLogger(tmp.name)])
    >>> any((Path(tmp.name) / result.run_id).glob("events.out.tfevents.*"))
    True
    >>> tmp.cleanup()
    """

    def __init__(self, log_dir: str | os.PathLike[str], *, every: int = 1) -> None:
        _require("tensorboard", "tensorboard", "TensorBoardLogger")
        super().__init__(every)
        self.log_dir = log_dir

    def _start(self, run: RunState) -> Any:
        # tensorboard is the optional extra ``tensorboard``: imported only when a run starts
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(log_dir=str(Path(self.log_dir) / run.run_id))
        table = "\n".join(["| field | value |", "|---|---|",
                           *(f"| {k} | {v} |" for k, v in _config_dict(run).items())])
        writer.add_text("config", table, global_step=run.step)
        return writer

    def _write(self, handle: Any, rows: list[tuple[str, int, float, float]]) -> None:
        for tag, step, wall, value in rows:
            handle.add_scalar(tag, value, global_step=step, walltime=wall)
        handle.flush()

    def _finish(self, handle: Any, run: RunState, result: RunResult) -> None:
        from torch.utils.tensorboard.summary import hparams

        finals = {f"final/{k}": v for k, v in _final_numbers(result).items()}
        for tag, value in finals.items():
            handle.add_scalar(tag, value, global_step=run.step)
        hp = {**_config_dict(run), "status": result.status, "technique": result.technique}
        # the three hparams summaries go into this run's own event file (SummaryWriter's
        # add_hparams would open a second writer in a timestamped sub-folder)
        for summary in hparams(hp, finals):
            handle.file_writer.add_summary(summary, run.step)

    def _close(self, handle: Any) -> None:
        handle.close()  # flushes


# ----------------------------------------------------------------------------- MLflow

def default_mlflow_uri() -> str:
    """The default MLflow store: a SQLite file ``data_home() / "mlruns" / "mlflow.db"``.

    MLflow 3 refuses its file store (``./mlruns``) unless ``MLFLOW_ALLOW_FILE_STORE`` is
    set, so the default is a local SQLite database; run artefacts, if any, go next to it
    in ``mlruns/artifacts``. View it with ``mlflow ui --backend-store-uri <this URI>``.

    Example
    -------
    >>> default_mlflow_uri().startswith("sqlite:///")
    True
    """
    return "sqlite:///" + (data_home() / "mlruns" / "mlflow.db").as_posix()


class MLflowLogger(_RunLogger):
    """Log each run as an MLflow run in ``experiment``, through ``mlflow.MlflowClient``.

    Each run gets its own MLflow run (named by our run id) and is written by explicit
    MLflow run id, never through MLflow's global active run, so runs in threads do not mix.
    Params: every config field (tuples, lists and dicts as JSON text, e.g. ``hidden=[8]``).
    Metrics, with ``step`` = the run's optimizer step: ``{phase}/loss`` per step,
    ``{phase}/train_loss``, ``val_loss``, ``val_acc``, ``lr`` per epoch, then the final
    metrics and measurements under their own names (``test_acc``, ``f1``, ``size_bytes``,
    ``latency_ms``, ...). Tags: ``run_id``, ``status``, ``technique``. The MLflow run ends
    FINISHED (done), KILLED (stopped) or FAILED (failed, diverged).

    Parameters
    ----------
    tracking_uri : str, optional
        Any MLflow tracking URI (``sqlite:///path.db``, ``http://host:5000``); None = the
        local SQLite store of :func:`default_mlflow_uri` under the data home. MLflow 3
        refuses a plain folder (its file store) unless ``MLFLOW_ALLOW_FILE_STORE=true``.
    experiment : str
        The experiment's name, created on first use.
    every : int, keyword-only
        Log the training loss of every ``every``-th optimizer step (1 = all of them).

    Raises
    ------
    ImportError
        When ``mlflow`` is not installed (``pip install 'optwidgets[mlflow]'``).

    Notes
    -----
    The first use of a new SQLite store creates its tables (MLflow's migrations, several
    seconds). A SQLite store serves threads and processes on one machine, but writers
    queue on its single lock; for many parallel search workers use a tracking server.

    Example
    -------
    >>> import pickle
    >>> import optwidgets as ow
    >>> logger = MLflowLogger("sqlite:///runs.db", experiment="demo", every=10)
    >>> pickle.loads(pickle.dumps(logger)).experiment  # settings only: goes to workers
    'demo'
    >>> # a new SQLite store runs MLflow's migrations (seconds), so not run here:
    >>> ow.run(dataset="xor", model="mlp", callbacks=[logger])  # doctest: +SKIP
    """

    def __init__(self, tracking_uri: str | None = None, experiment: str = "optwidgets", *,
                 every: int = 1) -> None:
        _require("mlflow", "mlflow", "MLflowLogger")
        super().__init__(every)
        self.tracking_uri = tracking_uri
        self.experiment = experiment

    def _experiment_id(self, client: Any, default_store: bool) -> str:
        from mlflow.exceptions import MlflowException

        exp = client.get_experiment_by_name(self.experiment)
        if exp is None:
            artifacts = None
            if default_store:  # keep artefacts next to the database, not in the cwd
                artifacts = (data_home() / "mlruns" / "artifacts").as_uri()
            try:
                return str(client.create_experiment(self.experiment,
                                                    artifact_location=artifacts))
            except MlflowException:  # another run created it meanwhile
                exp = client.get_experiment_by_name(self.experiment)
                if exp is None:
                    raise
        if exp.lifecycle_stage != "active":
            raise ConfigError("experiment", self.experiment, "an MLflow experiment that is "
                              "not deleted", "restore it or pick another name")
        return str(exp.experiment_id)

    def _start(self, run: RunState) -> Any:
        # mlflow is the optional extra ``mlflow``: imported only when a run starts
        import mlflow
        from mlflow.entities import Param

        uri = self.tracking_uri or default_mlflow_uri()
        if self.tracking_uri is None:
            (Path(uri.removeprefix("sqlite:///"))).parent.mkdir(parents=True, exist_ok=True)
        client = mlflow.MlflowClient(tracking_uri=uri)
        with _MLFLOW_OPEN:
            exp_id = self._experiment_id(client, default_store=self.tracking_uri is None)
        created = client.create_run(exp_id, run_name=run.run_id,
                                    tags={"run_id": run.run_id, "status": "running"})
        run_id = created.info.run_id
        params = [Param(k, str(v)) for k, v in _config_dict(run).items()]
        client.log_batch(run_id, params=params)
        return client, run_id

    def _write(self, handle: Any, rows: list[tuple[str, int, float, float]]) -> None:
        from mlflow.entities import Metric

        client, run_id = handle
        metrics = [Metric(tag, value, int(wall * 1000), step) for tag, step, wall, value in rows]
        for i in range(0, len(metrics), MLFLOW_BATCH):
            client.log_batch(run_id, metrics=metrics[i:i + MLFLOW_BATCH])

    def _finish(self, handle: Any, run: RunState, result: RunResult) -> None:
        from mlflow.entities import RunTag

        client, run_id = handle
        now = time.time()
        self._write(handle, [(k, run.step, now, v) for k, v in _final_numbers(result).items()])
        client.log_batch(run_id, tags=[RunTag("status", result.status),
                                       RunTag("technique", result.technique)])
        client.set_terminated(run_id, status=MLFLOW_STATUS.get(result.status, "FAILED"))


# ------------------------------------------------------------------------------ CLI

def parse_log_spec(spec: str) -> TensorBoardLogger | MLflowLogger:
    """Build a logger from the CLI's ``--log`` text.

    Parameters
    ----------
    spec : str
        ``tensorboard:DIR`` (event files under DIR), ``mlflow`` (the default local store)
        or ``mlflow:URI`` (any tracking URI).

    Returns
    -------
    TensorBoardLogger or MLflowLogger

    Raises
    ------
    ConfigError
        For any other text (``field="log"``).

    Example
    -------
    >>> parse_log_spec("mlflow:sqlite:///runs.db").tracking_uri
    'sqlite:///runs.db'
    >>> parse_log_spec("mlflow").tracking_uri is None
    True
    >>> parse_log_spec("wandb")
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.ConfigError: log='wandb' is not allowed: expected tensorboard:DIR or mlflow[:URI]
    """
    kind, _, rest = str(spec).strip().partition(":")
    kind, rest = kind.strip().lower(), rest.strip()
    if kind == "tensorboard" and rest:
        return TensorBoardLogger(rest)
    if kind == "mlflow":
        return MLflowLogger(rest or None)
    raise ConfigError("log", spec, "tensorboard:DIR or mlflow[:URI]")
