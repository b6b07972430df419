"""RunStore: every run, on disk, in a folder that survives restarts and hostile files.

A store is a folder::

    runs/<run_id>.json       the run's to_dict() (history included); written when the
                             run starts (status "running") and again when it ends
    weights/<run_id>.pt      the trained model's state dict, before any compression
                             (a later run's teacher or transfer source)
    artefacts/<run_id>.pt    the deployed model as saved (compressed where it was):
                             size_bytes is this file's length
    artefacts/<run_id>/member-<i>.pt
                             an ensemble's members, one artefact each (i from 0):
                             size_bytes is the sum of their lengths
    index.sqlite             one compact summary row per run file, for to_frame(); a
                             cache only, rebuilt from runs/ where missing or stale

Every file is written with :func:`optwidgets.core.io.atomic_write`, so several
processes (a notebook, a search's workers) can write to one store at once and a reader
never sees half a run. Run ids have one allowed pattern (:func:`check_run_id`) and
every path is checked to lie inside the store. A file the store cannot use (not JSON,
not a run, a config that no longer validates) is skipped with a warning naming it, and
listed in :attr:`RunStore.problems`; it never stops the store from opening.

Example
-------
>>> import tempfile
>>> store = RunStore(tempfile.mkdtemp())
>>> len(store), store.to_frame().empty, store.problems
(0, True, [])
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import socket
import sqlite3
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import torch
from torch import nn

from optwidgets.compress.pipeline import load_deployed
from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, DataError, unknown_name
from optwidgets.core.io import atomic_write
from optwidgets.data import data_home
from optwidgets.models.ensemble import Ensemble
from optwidgets.runs.prepare import build_model_for
from optwidgets.runs.result import MEASURE_KEYS, METRIC_KEYS, REGRESSION_KEYS, RunResult

__all__ = ["RunStore", "StoreProblem", "default_store", "as_store", "check_run_id",
           "RUN_ID_PATTERN"]

# letters, digits, '-', '_' and '.'; first a letter or digit: no '/', no '..', no hidden file
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_RUN_ID_RULE = ("letters, digits, '-', '_' and '.' (at most 128, the first a letter or "
                "digit), e.g. '20261201-101500-a1b2c3'")
_INDEX_VERSION = 3  # bump when the summary row changes: old index rows are rebuilt


def check_run_id(run_id: Any, *, field: str = "run_id") -> str:
    """``run_id`` if it matches :data:`RUN_ID_PATTERN`, else a ConfigError naming it.

    Example
    -------
    >>> check_run_id("20261201-101500-a1b2c3")
    '20261201-101500-a1b2c3'
    >>> check_run_id("../../x")
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.ConfigError: run_id='../../x' is not allowed: expected letters, ...
    """
    if not isinstance(run_id, str) or RUN_ID_PATTERN.fullmatch(run_id) is None:
        raise ConfigError(field, run_id, _RUN_ID_RULE)
    return run_id


class _Unusable(Exception):
    """A run file the store cannot use; the message says why."""


class StoreProblem(NamedTuple):
    """A file in the store that was skipped, and why."""

    path: Path
    reason: str


def _row(d: dict[str, Any]) -> dict[str, Any]:
    """One flat row of a saved run for to_frame (history left out)."""
    row: dict[str, Any] = {"run_id": d["run_id"], "status": d.get("status"),
                           "started_at": d.get("started_at"),
                           "finished_at": d.get("finished_at"), "technique": d.get("technique"),
                           "device": d.get("device"), "error": d.get("error"),
                           "teacher_run_id": d.get("teacher_run_id"),
                           "size_encoding": d.get("size_encoding")}
    for k, v in d["config"].items():
        if k == "model" and d.get("custom_model"):  # your own model: its class, not the zoo's
            v = str(d.get("model_class", "")).rpartition(".")[2] or v
        elif isinstance(v, list):
            v = ",".join(str(x) for x in v)
        elif isinstance(v, dict):
            v = json.dumps(v, sort_keys=True)
        row[k] = v
    # the task the run fitted (config "auto" resolved when it ran)
    row["task"] = d.get("task") or "classification"
    metrics = d.get("metrics") or {}
    for k in (*METRIC_KEYS, *REGRESSION_KEYS):
        row[k] = metrics.get(k)
    for k in (*MEASURE_KEYS, "train_seconds"):
        row[k] = d.get(k)
    for k, v in (d.get("extras") or {}).items():
        # the traceback stays in the JSON: the status and error columns say what happened
        if (isinstance(v, (int, float, str)) or v is None) and k != "traceback":
            row[k] = v
    for k, v in (d.get("before") or {}).items():
        if isinstance(v, (int, float)) or v is None:
            row[f"before_{k}"] = v
    owner = (d.get("extras") or {}).get("owner") or {}
    if owner:  # a running record: who runs it, to tell "interrupted" on a later read
        row["owner_host"], row["owner_pid"] = owner.get("host"), owner.get("pid")
    return row


def _check_run_dict(d: Any, run_id: str) -> dict[str, Any]:
    """``d`` if it is a run this version can read; else _Unusable saying what is wrong."""
    if not isinstance(d, dict):
        raise _Unusable(f"holds a JSON {type(d).__name__}, not a run object")
    if d.get("run_id") != run_id:
        raise _Unusable(f"its run_id {d.get('run_id')!r} does not match the file name")
    if not isinstance(d.get("config"), dict):
        raise _Unusable("its 'config' is not an object")
    try:
        RunConfig.from_stored(d["config"])
    except (ConfigError, DataError, TypeError) as exc:
        raise _Unusable(f"its config does not load here: {exc}") from None
    return d


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _interrupted(status: Any, host: Any, pid: Any) -> bool:
    """A 'running' record whose process, on this machine, is gone.

    A record from another machine stays 'running': its process cannot be seen from here.
    """
    return status == "running" and host == socket.gethostname() and isinstance(pid, int) \
        and not _pid_alive(pid)


class RunStore:
    """Every run, one JSON file each, in a folder that survives restarts.

    Example
    -------
    >>> import tempfile
    >>> from optwidgets.runs import RunStore
    >>> RunStore(tempfile.mkdtemp()).run_ids()
    []
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).expanduser().resolve()
        self.runs_dir = self.path / "runs"
        self.weights_dir = self.path / "weights"
        self.artefacts_dir = self.path / "artefacts"
        self.index_path = self.path / "index.sqlite"
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError("store", str(path), "a folder this user can create and write",
                              f"{type(exc).__name__}: {exc.strerror or exc}") from None
        self.problems: list[StoreProblem] = []
        self._warned: set[tuple[str, int]] = set()
        self._cache: dict[str, tuple[int, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    def __len__(self) -> int:
        return len(self.run_ids())

    # -- paths: one pattern for ids, every path inside the store ----------------------
    def _file(self, folder: Path, run_id: Any, suffix: str) -> Path:
        run_id = check_run_id(run_id)
        path = (folder / f"{run_id}{suffix}").resolve()
        if path.parent != folder.resolve():  # a link or a name that leaves the folder
            raise ConfigError("run_id", run_id, f"a run inside the store {self.path}")
        return path

    def weights_path(self, run_id: str) -> Path | None:
        """The trained (pre-compression) weights of a run, or None."""
        p = self._file(self.weights_dir, run_id, ".pt")
        return p if p.is_file() else None

    def artefact_path(self, run_id: str) -> Path | None:
        """The deployed model's artefact of a run (what size_bytes counts), or None."""
        p = self._file(self.artefacts_dir, run_id, ".pt")
        return p if p.is_file() else None

    def member_artefact_paths(self, run_id: str) -> list[Path]:
        """An ensemble run's member artefacts, ``artefacts/<run_id>/member-<i>.pt`` in member
        order (its size_bytes is their summed length); ``[]`` for any other run."""
        folder = self._file(self.artefacts_dir, run_id, "")
        paths: list[Path] = []
        while (p := folder / f"member-{len(paths)}.pt").is_file():
            paths.append(p)
        return paths

    # -- writing ------------------------------------------------------------------------
    def start(self, result: RunResult) -> Path:
        """Record a run as ``running`` from its start, with the process that runs it.

        If that process dies, the next read shows the run as ``interrupted``.
        """
        result.status = "running"
        result.extras["owner"] = {"host": socket.gethostname(), "pid": os.getpid()}
        return self.save(result)

    def save(self, result: RunResult, weights: dict | None = None,
             artefact: bytes | Sequence[bytes] | None = None) -> Path:
        """Write a run (and its trained weights and deployed artefact, when given).

        ``artefact`` is one file's bytes, or an ensemble's list of its members' files.
        Returns the JSON path. The weights and the artefact are written first, so a
        finished run's record never points at files that are not there yet.
        """
        if result.status != "running":
            result.extras.pop("owner", None)
        target = self._file(self.runs_dir, result.run_id, ".json")
        if weights is not None:
            buf = io.BytesIO()
            torch.save(weights, buf)
            atomic_write(self._file(self.weights_dir, result.run_id, ".pt"), buf.getvalue())
        if isinstance(artefact, bytes):
            atomic_write(self._file(self.artefacts_dir, result.run_id, ".pt"), artefact)
        elif artefact is not None:  # an ensemble: one file per member
            folder = self._file(self.artefacts_dir, result.run_id, "")
            for i, payload in enumerate(artefact):
                atomic_write(folder / f"member-{i}.pt", payload)
        d = result.to_dict()
        data = json.dumps(d).encode()
        atomic_write(target, data)
        with contextlib.suppress(OSError):  # the index is a cache: a miss is rebuilt
            st = target.stat()
            self._index_put([(result.run_id, st.st_mtime_ns, st.st_size, json.dumps(_row(d)),
                              None)])
        return target

    def delete(self, run_id: str) -> None:
        """Remove a run's record, weights and artefact (a no-op for an unknown id)."""
        paths = (self._file(self.runs_dir, run_id, ".json"),
                 self._file(self.weights_dir, run_id, ".pt"),
                 self._file(self.artefacts_dir, run_id, ".pt"))
        for p in (*paths, *self.member_artefact_paths(run_id)):
            with contextlib.suppress(OSError):
                p.unlink()
        with contextlib.suppress(OSError):  # an ensemble's (now empty) member folder
            self._file(self.artefacts_dir, run_id, "").rmdir()
        with self._lock:
            self._cache.pop(run_id, None)
        self._index_delete([run_id])

    # -- reading ------------------------------------------------------------------------
    def _files(self) -> dict[str, os.stat_result]:
        """Run files by id (names that are not run ids are problems, not runs)."""
        out: dict[str, os.stat_result] = {}
        with contextlib.suppress(FileNotFoundError), os.scandir(self.runs_dir) as it:
            for entry in it:
                name = entry.name
                if not name.endswith(".json") or name.startswith("."):
                    continue
                rid = name[:-len(".json")]
                if RUN_ID_PATTERN.fullmatch(rid) is None or not entry.is_file():
                    self._problem(Path(entry.path), 0, "its name is not a run id")
                    continue
                with contextlib.suppress(FileNotFoundError):
                    out[rid] = entry.stat()
        return out

    def run_ids(self) -> list[str]:
        """Ids of the stored runs, oldest first (ids start with their start time)."""
        return sorted(self._files())

    def _read(self, run_id: str, st: os.stat_result | None = None) -> dict[str, Any]:
        """The run's dict, checked; _Unusable (why) for a file the store cannot use."""
        p = self._file(self.runs_dir, run_id, ".json")
        try:
            st = st or p.stat()
        except FileNotFoundError:
            raise unknown_name("run_id", run_id, self.run_ids()) from None
        with self._lock:
            hit = self._cache.get(run_id)
            if hit and hit[0] == st.st_mtime_ns:
                return hit[1]
        try:
            d = json.loads(p.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            raise _Unusable("it is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise _Unusable("it is empty" if not p.stat().st_size
                             else f"it is not JSON ({exc.msg} at line {exc.lineno})") from None
        d = _check_run_dict(d, run_id)
        with self._lock:
            self._cache[run_id] = (st.st_mtime_ns, d)
        return d

    def load(self, run_id: str) -> RunResult:
        """The stored RunResult (without its model); ``interrupted`` if its process died."""
        try:
            d = self._read(run_id)
        except _Unusable as exc:
            raise DataError(f"run file {self._file(self.runs_dir, run_id, '.json')} cannot "
                            f"be read: {exc}") from None
        result = RunResult.from_dict(d)
        owner = result.extras.get("owner") or {}
        if _interrupted(result.status, owner.get("host"), owner.get("pid")):
            result.status = "interrupted"
        return result

    def history(self, run_id: str) -> pd.DataFrame:
        """The run's history frame (step, epoch, phase, split, metric, value)."""
        return self.load(run_id).history

    def load_model(self, run_id: str, model: nn.Module | None = None, *,
                   map_location: str = "cpu") -> nn.Module:
        """The model the run's metrics were measured on (compressed where it was).

        A zoo model is rebuilt from the run's record alone (its config, input shape and
        class count), so no dataset is loaded. A model of your own is rebuilt from its
        recorded class and constructor arguments where that works; otherwise pass a fresh
        instance as ``model`` (the error says which class). An ensemble run gives an
        :class:`~optwidgets.models.ensemble.Ensemble` of its members, each from its own
        artefact. A run stored before artefacts were kept gives its trained weights. A run without either is refused with a
        ConfigError naming ``run_id``.

        Example
        -------
        >>> import tempfile, optwidgets as ow
        >>> store = ow.RunStore(tempfile.mkdtemp())
        >>> res = ow.run(dataset="xor", model="mlp", hidden=(4,), epochs=1, store=store)
        >>> type(store.load_model(res.run_id)).__name__
        'MLP'
        """
        result = self.load(run_id)
        cfg = result.config
        fresh = model if model is not None else self._fresh_model(result)
        shape = tuple(result.input_shape) or _input_shape_of(fresh)
        artefact = self.artefact_path(run_id)
        members = self.member_artefact_paths(run_id)
        if artefact is None and members:  # an ensemble: each member from its own file
            try:
                return Ensemble([load_deployed(p, self._fresh_model(result, member=True), cfg,
                                               torch.zeros(1, *shape)) for p in members])
            except (ConfigError, DataError):
                raise
            except Exception as exc:  # not artefacts this version wrote: say which folder
                raise DataError(f"member artefacts {members[0].parent} cannot be loaded as run "
                                f"{run_id}'s ensemble: {type(exc).__name__}: "
                                f"{str(exc)[:200]}") from None
        if artefact is not None:
            try:
                return load_deployed(artefact, fresh, cfg, torch.zeros(1, *shape))
            except (ConfigError, DataError):
                raise
            except Exception as exc:  # not an artefact this version wrote: say which file
                raise DataError(f"artefact file {artefact} cannot be loaded as run {run_id}'s "
                                f"model: {type(exc).__name__}: {str(exc)[:200]}") from None
        weights = self.weights_path(run_id)
        if weights is None:
            raise ConfigError("run_id", run_id, "a run saved with its model",
                              f"no artefact or weights file for it in {self.path}")
        fresh.load_state_dict(_load_weights(weights, map_location))
        return fresh

    def _fresh_model(self, result: RunResult, *, member: bool = False) -> nn.Module:
        """An untrained model of the run's architecture, from its record (``member``: one
        member of an ensemble run)."""
        cfg = result.config
        if result.custom_model:
            return _rebuild_custom(result)
        if cfg.ensembling and not cfg.distilling and not member:
            return Ensemble([self._fresh_model(result, member=True)
                             for _ in range(cfg.ensemble)])
        shape = tuple(result.input_shape)
        name = cfg.distill_student or None
        if shape and result.num_classes:  # recorded since artefacts: no dataset needed
            return build_model_for(cfg, shape, result.num_classes, name=name)
        return build_model_for(cfg, name=name)  # a store file from before: load the data

    def load_trained(self, run_id: str, map_location: str = "cpu") -> dict[str, torch.Tensor]:
        """The run's trained weights (before compression) as a state dict."""
        weights = self.weights_path(run_id)
        if weights is None:
            raise ConfigError("run_id", run_id, "a run saved with its trained weights",
                              f"no weights file for it in {self.weights_dir}")
        return _load_weights(weights, map_location)

    # -- the summary frame, from the index --------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per stored run: config columns, metrics and measures.

        Reads the compact index (one summary row per run file); only files that are new
        or changed since the index saw them are parsed. Files that cannot be used are
        skipped with a warning and listed in :attr:`problems`.
        """
        files = self._files()
        indexed = self._index_all()
        fresh: list[tuple[str, int, int, str | None, str | None]] = []
        rows: dict[str, str] = {}
        for rid, st in files.items():
            hit = indexed.get(rid)
            if hit is not None and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
                row, problem = hit[2], hit[3]
            else:
                try:
                    row, problem = json.dumps(_row(self._read(rid, st))), None
                except _Unusable as exc:
                    row, problem = None, str(exc)
                except FileNotFoundError:
                    continue  # deleted right now by another process
                fresh.append((rid, st.st_mtime_ns, st.st_size, row, problem))
            if problem is not None:
                self._problem(self.runs_dir / f"{rid}.json", st.st_mtime_ns, problem)
            elif row is not None:
                rows[rid] = row
        self._index_put(fresh)
        self._index_delete([rid for rid in indexed if rid not in files])
        parsed = [json.loads(rows[rid]) for rid in sorted(rows)]
        for r in parsed:
            if _interrupted(r.get("status"), r.get("owner_host"), r.get("owner_pid")):
                r["status"] = "interrupted"
        return pd.DataFrame(parsed)

    def _problem(self, path: Path, mtime_ns: int, reason: str) -> None:
        if not any(p.path == path for p in self.problems):
            self.problems.append(StoreProblem(path, reason))
        key = (str(path), mtime_ns)
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(f"RunStore skips {path}: {reason}", UserWarning, stacklevel=3)

    # -- the index: SQLite beside the run files, never the only copy ------------------
    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.index_path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, "
                    "mtime_ns INTEGER, size INTEGER, row TEXT, problem TEXT, version INTEGER)")
        return con

    def _index_all(self) -> dict[str, tuple[int, int, str | None, str | None]]:
        try:
            with contextlib.closing(self._connect()) as con:
                cur = con.execute("SELECT run_id, mtime_ns, size, row, problem FROM runs "
                                  "WHERE version = ?", (_INDEX_VERSION,))
                return {r[0]: (r[1], r[2], r[3], r[4]) for r in cur}
        except sqlite3.Error:  # unreadable or locked index: parse the files instead
            return {}

    def _index_put(self, rows: list[tuple[str, int, int, str | None, str | None]]) -> None:
        if not rows:
            return
        try:
            with contextlib.closing(self._connect()) as con, con:
                con.executemany("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                                [(*r, _INDEX_VERSION) for r in rows])
        except sqlite3.Error:
            pass  # a cache: the next read parses these files again

    def _index_delete(self, run_ids: list[str]) -> None:
        if not run_ids:
            return
        try:
            with contextlib.closing(self._connect()) as con, con:
                con.executemany("DELETE FROM runs WHERE run_id = ?", [(r,) for r in run_ids])
        except sqlite3.Error:
            pass


def _rebuild_custom(result: RunResult) -> nn.Module:
    """Your own model's class, imported by its recorded path, built with the recorded
    arguments; a ConfigError naming ``model`` says what to pass when that fails."""
    path = result.model_class
    module_name, _, qualname = path.rpartition(".")
    hint = (f"pass a fresh instance: store.load_model({result.run_id!r}, "
            f"model={qualname or path}(...))")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj(**result.model_args)
    except Exception as exc:  # not importable here (a notebook's class), or other args
        raise ConfigError("model", path, f"an instance of {path} to load the weights into",
                          f"{hint}; rebuilding it failed: {type(exc).__name__}: "
                          f"{str(exc)[:160]}") from None


def _input_shape_of(model: nn.Module) -> tuple[int, ...]:
    """A plausible one-sample shape when the record has none (stores from before 0.2)."""
    first = next((m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))), None)
    if isinstance(first, nn.Conv2d):
        return (first.in_channels, 8, 8)
    return (first.in_features,) if isinstance(first, nn.Linear) else (1,)


def _load_weights(path: Path, map_location: str) -> dict[str, torch.Tensor]:
    """A state dict saved with torch.save, read with ``weights_only=True`` (no code runs)."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # UnpicklingError, EOFError, RuntimeError: not plain weights
        raise DataError(f"weights file {path} cannot be read as plain tensors "
                        f"(torch.load with weights_only=True): {type(exc).__name__}") from None
    if not isinstance(state, dict):
        raise DataError(f"weights file {path} holds a {type(state).__name__}, "
                        "expected a state dict")
    return state


def default_store() -> RunStore:
    """The store under the data home: ``$OPTWIDGETS_DATA/results``."""
    return RunStore(data_home() / "results")


def as_store(store: RunStore | str | os.PathLike | bool | None) -> RunStore | None:
    """The one reading of a ``store=`` argument, everywhere the kit takes one.

    ``None`` or ``True``: the default store; ``False``: none (the run is not saved); a
    RunStore: itself; a folder path: a store there.

    Example
    -------
    >>> as_store(False) is None, as_store(None).path.name
    (True, 'results')
    """
    if store is None or store is True:
        return default_store()
    if store is False:
        return None
    if isinstance(store, RunStore):
        return store
    if isinstance(store, (str, os.PathLike)):
        return RunStore(store)
    raise ConfigError("store", store, "a RunStore, a folder path, True / None (the default "
                      "store) or False (do not save)")
