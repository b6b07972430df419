"""``ow.search``: many runs chosen by an Optuna sampler, one study, every run stored."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.train.callbacks import Callback
from optwidgets.tune._executors import mark_failed
from optwidgets.tune._objective import ATTR, OBJECTIVES, TrialRunner, parse_objectives
from optwidgets.tune._result import STUDY_ATTR, SearchResult
from optwidgets.tune._samplers import (
    check_method,
    make_pruner,
    make_sampler,
    sampler_name,
)
from optwidgets.tune._space import GRID_MAX, grid_size, parse_space, space_to_dict
from optwidgets.tune._storage import forget_storage, resolve_storage

__all__ = ["search", "load_search", "EXECUTORS"]

EXECUTORS = ("local", "dask")


def _positive_int(name: str, value: Any, *, allow_none: bool = True) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        try:
            if isinstance(value, str) and int(value) >= 1:
                return int(value)
        except ValueError:
            pass
        raise ConfigError(name, value, "a whole number >= 1" + (" or None" if allow_none else ""))
    return value


def _store_arg(store: Any) -> str | bool:
    """RunStore / path / None / False -> what a worker can use (a folder path or False)."""
    if store is False:
        return False
    if store is None:
        from optwidgets.runs import default_store

        return str(default_store().path)
    if hasattr(store, "runs_dir"):
        return str(store.path)
    if isinstance(store, (str, os.PathLike)):
        return os.fspath(store)
    raise ConfigError(
        "store",
        store,
        "a RunStore, a folder path, None (the default store) or False (do not store runs)",
    )


def default_study_name(
    base: RunConfig, space: dict[str, str], method: str, objectives: Sequence[str]
) -> str:
    """``<method>-<hash>`` of what was searched: re-running the same cell resumes it."""
    text = json.dumps([base.to_dict(), space, method, list(objectives)], sort_keys=True)
    return f"{method}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Optuna logs every trial at INFO; during a search only warnings are shown."""
    import optuna

    old = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(max(old, optuna.logging.WARNING))
    try:
        yield
    finally:
        optuna.logging.set_verbosity(old)


def _check_study(study: Any, meta: dict[str, Any]) -> None:
    """A resumed study must have searched the same thing."""
    stored = study.user_attrs.get(STUDY_ATTR)
    if stored is None:
        if study.trials:
            raise ConfigError(
                "study_name",
                study.study_name,
                "a study made by ow.search, or a new name",
                "this study was not made by optwidgets",
            )
        study.set_user_attr(STUDY_ATTR, meta)
        return
    for key, field in (
        ("objectives", "objectives"),
        ("space", "space"),
        ("base", "cfg"),
        ("method", "method"),
    ):
        if stored.get(key) != meta[key]:
            raise ConfigError(
                field,
                meta[key],
                f"the study's {key} {stored.get(key)!r}",
                f"study {study.study_name!r} in this storage searched other "
                "settings: pass another study_name to start a new study",
            )


def _fail_dead_trials(study: Any) -> None:
    """Trials left RUNNING by a process of this machine that is gone become FAIL."""
    import optuna

    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        info = t.user_attrs.get(ATTR) or {}
        pid = info.get("pid")
        if info.get("host") != host or not isinstance(pid, int):
            continue
        try:
            os.kill(pid, 0)
            continue  # still running (another search on the same study)
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        mark_failed(study, t, "its process ended before the trial finished")


def _grid_points(params: Sequence[Any], study: Any, seed: int | None) -> list[dict[str, Any]]:
    """The grid points no finished trial has visited, in a seeded random order."""
    import itertools

    import numpy as np

    names = [p.name for p in params]
    points = [
        dict(zip(names, combo)) for combo in itertools.product(*[p.grid_values() for p in params])
    ]
    order = list(range(len(points)))  # shuffled as indices: the same draws, the same order
    np.random.RandomState(seed).shuffle(order)
    points = [points[i] for i in order]
    done = {
        tuple(sorted(t.params.items()))
        for t in study.get_trials(deepcopy=False)
        if t.state.is_finished()
    }
    return [pt for pt in points if tuple(sorted(pt.items())) not in done]


def search(
    cfg: RunConfig | None = None,
    *,
    space: Mapping[str, Any] | Sequence[str],
    method: str = "bayes",
    n_trials: int | None = None,
    objectives: Sequence[str] | str = ("test_acc",),
    timeout: float | None = None,
    n_workers: int | None = None,
    storage: Any = None,
    study_name: str | None = None,
    executor: str = "local",
    dask_address: str | None = None,
    seed: int | None = 0,
    pruner: Any = True,
    callbacks: Sequence[Callable[[Any, Any], None]] | None = None,
    sampler: Any = None,
    store: Any = None,
    run_callbacks: Sequence[Callback] | None = None,
    cancel: threading.Event | None = None,
) -> SearchResult:
    """Search RunConfig fields with Optuna; every trial is an ``ow.run`` saved in the store.

    Parameters
    ----------
    cfg : RunConfig, optional
        The base settings; each trial changes only the fields in ``space``.
    space : dict or list of str
        Field -> ``("log", lo, hi)``, ``("float", lo, hi)``, ``("int", lo, hi)`` or a list
        of choices; or texts ``"lr=log:1e-4:1e-1"`` (see :mod:`optwidgets.tune._space`).
    method : {"grid", "random", "bayes", "evolution"}
        GridSampler, RandomSampler, TPESampler (``sampler="gp"``: GPSampler),
        CmaEsSampler (one objective) / NSGAIISampler (several).
    n_trials : int, optional
        Trials to run now (a resumed study adds them). A grid defaults to its size;
        other methods need ``n_trials`` or ``timeout``.
    objectives : sequence of str
        ``("test_acc",)``, ``("test_acc", "size_bytes")``, ... with ``latency_ms``,
        ``f1``, ``params`` ...: accuracy-like ones are maximized, costs minimized.
    timeout : float, optional
        Seconds after which no new trial starts.
    n_workers : int, optional
        Trials at once: local worker processes (default 1 = this process), or Dask
        tasks (default: 2 LocalCluster workers, or every thread at ``dask_address``).
    storage : str or path, optional
        A journal file path (resumable, several processes) or a database URL.
    study_name : str, optional
        Default: ``<method>-<hash of cfg, space, objectives>``, so re-running resumes.
    executor : {"local", "dask"}
    dask_address : str, optional
        A running scheduler (``"tcp://host:8786"``); trials then need a storage all
        workers reach (a database URL when they are on other machines).
    seed : int or None
        Seeds the sampler (worker tasks use seed + trial slot).
    pruner : bool or optuna pruner
        True: MedianPruner on each epoch's ``val_acc`` (one objective only).
    callbacks : list of callables
        Optuna-style ``callback(study, frozen_trial)``, called in this process as each
        trial finishes.
    sampler : str or optuna sampler, optional
        Override: ``"gp"``, ``"tpe"``, ``"cmaes"``, ``"nsga2"``, or a sampler object.
    store : RunStore, path, None or False
        Where the runs go (None: the default store; False: nowhere).
    run_callbacks : list of Callback
        Given to every run (must pickle for worker processes).
    cancel : threading.Event, optional
        Set it to stop: no new trial starts (in this process the running one stops too).

    Returns
    -------
    SearchResult

    Example
    -------
    >>> import optwidgets as ow
    >>> res = ow.search(ow.RunConfig(dataset="moons", model="mlp", epochs=2),
    ...                 space={"lr": ("log", 1e-3, 1e-1), "optimizer": ["adam", "sgd"]},
    ...                 method="random", n_trials=4, store=False)  # doctest: +SKIP
    >>> res.best.config.optimizer  # doctest: +SKIP
    'adam'
    """
    import optuna

    # -- check everything before anything starts -----------------------------------------
    if cfg is not None and not isinstance(cfg, RunConfig):
        raise ConfigError("cfg", cfg, "a RunConfig")
    base = (cfg if cfg is not None else RunConfig()).replace().validate()
    params = parse_space(space, base)
    objs = parse_objectives(objectives)
    check_method(method, sampler, len(objs))
    if executor not in EXECUTORS:
        raise unknown_name("executor", executor, EXECUTORS)
    if dask_address is not None and executor != "dask":
        raise ConfigError("executor", executor, "'dask' when dask_address is given")
    n_workers = _positive_int("n_workers", n_workers)
    n_trials = _positive_int("n_trials", n_trials)
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0
    ):
        raise ConfigError("timeout", timeout, "a number of seconds > 0, or None")
    size = grid_size(params) if method == "grid" else None
    if size is not None and n_trials is None and size > GRID_MAX:
        raise ConfigError(
            "n_trials",
            None,
            f"a trial budget for a grid of {size:,} points",
            f"more than {GRID_MAX:,} points: give n_trials, or fewer grid points",
        )
    if size is None and n_trials is None and timeout is None:
        raise ConfigError("n_trials", None, "a number of trials >= 1 (or a timeout)")
    pruner_obj = make_pruner(pruner, len(objs))
    prune = not isinstance(pruner_obj, optuna.pruners.NopPruner)
    run_cbs = list(run_callbacks or [])
    for cb in run_cbs:
        if not isinstance(cb, Callback):
            raise ConfigError("run_callbacks", cb, "instances of optwidgets.Callback")
    study_cbs = list(callbacks or [])
    for study_cb in study_cbs:
        if not callable(study_cb):
            raise ConfigError("callbacks", study_cb, "callables taking (study, frozen_trial)")
    store_arg = _store_arg(store)
    cancel = cancel or threading.Event()
    parallel = executor == "dask" or (n_workers or 1) > 1
    space_text = space_to_dict(params)
    meta = {"method": method, "objectives": list(objs), "space": space_text, "base": base.to_dict()}
    name = study_name or default_study_name(base, space_text, method, objs)
    if not isinstance(name, str) or not name:
        raise ConfigError("study_name", study_name, "a non-empty text")

    from optwidgets.tune._executors import dask_pool, local_pool

    if executor == "dask":  # connect first: an unreachable scheduler changes nothing
        pool_cm: Any = dask_pool(n_workers, dask_address)
    elif parallel:
        pool_cm = local_pool(n_workers or 1)
    else:
        pool_cm = contextlib.nullcontext()
    t0 = time.perf_counter()
    with pool_cm as pool, _quiet_optuna():
        storage_obj, spec, tmp = resolve_storage(storage, workers=parallel)
        try:
            study = optuna.create_study(
                storage=storage_obj,
                study_name=name,
                load_if_exists=True,
                directions=[OBJECTIVES[o] for o in objs],
                pruner=pruner_obj,
                # with workers the sampling happens there; here only storage bookkeeping
                sampler=optuna.samplers.RandomSampler(seed=seed)
                if parallel
                else make_sampler(
                    method, params, len(objs), seed=seed, n_trials=n_trials, sampler=sampler
                ),
            )
            if [d.name.lower() for d in study.directions] != [OBJECTIVES[o] for o in objs]:
                raise ConfigError(
                    "objectives",
                    list(objs),
                    "the objectives of the stored study",
                    f"study {name!r} optimizes {len(study.directions)} objective(s)"
                    " in other directions: pass another study_name",
                )
            _check_study(study, meta)
            _fail_dead_trials(study)
            budget = n_trials
            grid = _grid_points(params, study, seed) if size is not None else None
            if grid is not None:
                budget = len(grid) if budget is None else min(budget, len(grid))
            runner = TrialRunner(
                base.to_dict(),
                params,
                objs,
                name,
                store=store_arg,
                prune=prune,
                run_callbacks=run_cbs,
                cancel=cancel,
            )
            if not parallel:
                if grid is not None and any(
                    t.state.is_finished() and "grid_id" not in t.system_attrs
                    for t in study.get_trials(deepcopy=False)
                ):  # resuming a grid that workers started: deal out the rest the same way
                    for point in grid[:budget]:
                        study.enqueue_trial(point)
                    study.sampler = optuna.samplers.RandomSampler(seed=seed)
                _run_here(study, runner, budget, timeout, cancel, study_cbs)
            else:
                from optwidgets.tune._executors import TrialJob, drive

                # resolve_storage(workers=True) always gives workers a spec (or refuses)
                assert spec is not None, "workers need a storage spec"
                offset = len(study.trials)
                # a grid is dealt out here: each job gets one unvisited point, enqueued
                # (Optuna hands a waiting trial to exactly one worker); GridSampler in
                # each worker would let two workers pick the same point at once

                def make_job(slot: int) -> TrialJob:
                    if grid is not None:
                        study.enqueue_trial(grid[slot])
                    return TrialJob(
                        spec,
                        name,
                        runner,
                        method,
                        len(objs),
                        None if seed is None else seed + offset + slot,
                        n_trials,
                        sampler="random" if grid is not None else sampler,
                        pruner=pruner_obj,
                    )

                limit = budget if budget is not None else 10**9  # timeout-only search
                drive(
                    pool,
                    study,
                    make_job,
                    limit,
                    timeout=timeout,
                    cancel=cancel,
                    callbacks=study_cbs,
                )
            if tmp is not None:  # several workers without a storage: keep it in memory
                mem = optuna.storages.InMemoryStorage()
                optuna.copy_study(from_study_name=name, from_storage=storage_obj, to_storage=mem)
                study = optuna.load_study(study_name=name, storage=mem)
        finally:
            if tmp is not None:
                forget_storage(spec, tmp)
    return SearchResult(
        study,
        base,
        params,
        objs,
        method,
        sampler_name=sampler_name(method, len(objs), sampler),
        executor=executor,
        n_workers=(pool.slots if pool is not None else 1),
        wall_seconds=time.perf_counter() - t0,
        store=store_arg if isinstance(store_arg, str) else None,
    )


def _run_here(
    study: Any,
    runner: TrialRunner,
    budget: int | None,
    timeout: float | None,
    cancel: threading.Event,
    callbacks: list[Callable],
) -> None:
    """One process: Optuna's own loop, stopped between trials when ``cancel`` is set."""
    if cancel.is_set() or budget == 0:
        return

    def stop_when_cancelled(study: Any, _trial: Any) -> None:
        if cancel.is_set():
            study.stop()

    study.optimize(
        runner,
        n_trials=budget,
        timeout=timeout,
        catch=(Exception,),
        callbacks=[*callbacks, stop_when_cancelled],
    )


def load_search(storage: Any, study_name: str | None = None) -> SearchResult:
    """Reopen a stored search (e.g. after a kernel restart) without running trials.

    With one study in the storage ``study_name`` may be left out.
    """
    import optuna

    from optwidgets.tune._space import parse_space as _parse

    storage_obj, _, _ = resolve_storage(storage, workers=False)
    names = [s.study_name for s in optuna.get_all_study_summaries(storage_obj)]
    if study_name is None:
        if len(names) != 1:
            raise ConfigError("study_name", None, "one of " + ", ".join(map(repr, names)))
        study_name = names[0]
    if study_name not in names:
        raise unknown_name("study_name", study_name, names)
    study = optuna.load_study(study_name=study_name, storage=storage_obj)
    meta = study.user_attrs.get(STUDY_ATTR)
    if not meta:
        raise ConfigError("study_name", study_name, "a study made by ow.search")
    base = RunConfig.from_dict(meta["base"])
    params = _parse(meta["space"], base)
    objs = tuple(meta["objectives"])
    return SearchResult(
        study,
        base,
        params,
        objs,
        meta["method"],
        sampler_name=sampler_name(meta["method"], len(objs)),
    )
