"""``ow.search``: many runs chosen by an Optuna sampler, one study, every run stored.

A study resumes exactly: started again with the same storage and study name (the
default name is a hash of what is searched), a search keeps every finished trial,
fails the trials a dead process left RUNNING (``interrupted``), and goes on. Random,
TPE and CMA-ES samplers are seeded with ``seed + trials already in the study``
(:func:`~optwidgets.tune._samplers.resume_seed`), so a resumed study continues its
sequence instead of drawing its first values again. A grid is dealt out here, point by
point, as Optuna's GridSampler numbers it (``grid_id``): a point whose trial was
interrupted is run again, every other point exactly once.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.runs import RunStore, as_store
from optwidgets.train.callbacks import Callback
from optwidgets.tune._executors import TrialJob, dask_pool, drive, local_pool, mark_failed
from optwidgets.tune._objective import ATTR, OBJECTIVES, TrialRunner, parse_objectives
from optwidgets.tune._result import STUDY_ATTR, SearchResult
from optwidgets.tune._samplers import (
    METHODS,
    check_method,
    make_pruner,
    make_sampler,
    method_of,
    resume_seed,
    sampler_name,
)
from optwidgets.tune._space import GRID_MAX, Param, grid_size, parse_space, space_to_dict
from optwidgets.tune._storage import (
    dask_storage,
    forget_storage,
    local_study_storage,
    parse_storage,
    resolve_storage,
)
from optwidgets.tune.architecture import default_objectives

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


def _store_arg(store: RunStore | str | os.PathLike | bool | None) -> str | bool:
    """``store=`` read by :func:`optwidgets.runs.as_store`, as what a worker process can
    use: the store's folder path, or False (runs are not stored)."""
    run_store = as_store(store)
    return False if run_store is None else str(run_store.path)


def default_study_name(
    base: RunConfig, space: dict[str, str], method: str, objectives: Sequence[str]
) -> str:
    """``<method>-<hash>`` of what was searched: re-running the same cell resumes it."""
    text = json.dumps([base.to_dict(), space, method, list(objectives)], sort_keys=True)
    return f"{method}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Optuna logs every trial at INFO; during a search only warnings are shown."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    old = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(max(old, optuna.logging.WARNING))
    try:
        yield
    finally:
        optuna.logging.set_verbosity(old)


def _check_study(study: Any, meta: dict[str, Any], *, adopt: bool = False) -> None:
    """A resumed study must have searched the same thing (``adopt``: a user's study
    given as ``study=`` may hold trials of its own)."""
    stored = study.user_attrs.get(STUDY_ATTR)
    if stored is None:
        if study.trials and not adopt:
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
    """Trials left RUNNING by a process of this machine that is gone become FAIL
    (``interrupted``)."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

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


# ---------------------------------------------------------------------------------------
# the grid, dealt out here


def _grid(params: Sequence[Param], seed: int | None) -> tuple[dict[str, list], list[dict]]:
    """``(search_space, points)`` as Optuna's ``GridSampler(search_space, seed)`` has
    them: fields sorted by name, the product shuffled by ``seed`` (0 for None); a point's
    index is its ``grid_id``."""
    space = {p.name: p.grid_values() for p in sorted(params, key=lambda p: p.name)}
    names = list(space)
    combos = list(itertools.product(*space.values()))
    np.random.RandomState(seed or 0).shuffle(combos)  # type: ignore[arg-type]
    return space, [dict(zip(names, c)) for c in combos]


def _grid_todo(
    params: Sequence[Param], study: Any, seed: int | None
) -> tuple[dict[str, list], list[tuple[int, dict[str, Any]]], int]:
    """``(search_space, points to run, trials already waiting)``.

    A point is done once a trial of it completed, was pruned or failed by itself; a
    point whose trial was *interrupted* (its process died, or it was stopped) and no
    trial since covers is run again, first; then the points no trial has touched, in
    GridSampler's order. Points of RUNNING or WAITING trials are left to those.
    """
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    state = optuna.trial.TrialState
    space, points = _grid(params, seed)
    names = list(space)
    index = {tuple(pt[n] for n in names): i for i, pt in enumerate(points)}
    done: set[int] = set()
    taken: set[int] = set()
    again: list[int] = []
    waiting = 0
    for t in study.get_trials(deepcopy=False):
        values = t.params or t.system_attrs.get("fixed_params") or {}
        gid = index.get(tuple(values.get(n) for n in names))
        if gid is None:
            continue
        if t.state == state.WAITING:
            waiting += 1
            taken.add(gid)
        elif t.state == state.RUNNING:
            taken.add(gid)
        elif t.state == state.FAIL and (t.user_attrs.get(ATTR) or {}).get("interrupted"):
            again.append(gid)
        else:
            done.add(gid)
    taken |= done
    rerun = [g for g in dict.fromkeys(again) if g not in taken]
    fresh = [g for g in range(len(points)) if g not in taken and g not in rerun]
    return space, [(g, points[g]) for g in rerun + fresh], waiting


def _enqueue_point(study: Any, gid: int, point: dict[str, Any], space: dict[str, list]) -> None:
    """Queue one grid point as a WAITING trial that carries its ``grid_id``, as a
    GridSampler's own trial would: Optuna hands it to exactly one process."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    study.add_trial(
        optuna.trial.create_trial(
            state=optuna.trial.TrialState.WAITING,
            system_attrs={"fixed_params": point, "grid_id": gid, "search_space": space},
        )
    )


def search(
    cfg: RunConfig | None = None,
    *,
    space: Mapping[str, Any] | Sequence[str] | str,
    method: str = "bayes",
    n_trials: int | None = None,
    objectives: Sequence[str] | str | None = None,
    timeout: float | None = None,
    n_workers: int | None = None,
    storage: Any = None,
    study_name: str | None = None,
    study: Any = None,
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

    Each trial runs its *effective* settings: the base with the sampled values, where a
    value that has no effect with that trial's other settings (``prune_ratio`` in a
    trial whose ``prune_method`` is ``"none"``, ``finetune_epochs`` of the base when
    nothing is compressed) is put back to its default
    (:meth:`~optwidgets.RunConfig.without_unused`). So a flat space may mix settings
    that only some trials use; :meth:`SearchResult.trials_frame` lists them per trial
    in ``inactive_params``.

    Parameters
    ----------
    cfg : RunConfig, optional
        The base settings; each trial changes only the fields in ``space``.
    space : dict, list of str or str
        Field -> ``("log", lo, hi)``, ``("float", lo, hi)``, ``("int", lo, hi)`` or a list
        of choices; or texts ``"lr=log:1e-4:1e-1"`` (see :mod:`optwidgets.tune._space`);
        or the preset ``"architecture"`` (depth, units, activation, dropout or width: the
        knobs the base model takes), alone or in a list with texts that add or replace
        fields (see :mod:`optwidgets.tune.architecture`).
    method : {"grid", "random", "bayes", "evolution"}
        GridSampler, RandomSampler, TPESampler (``sampler="gp"``: GPSampler),
        CmaEsSampler (one objective) / NSGAIISampler (several). The method recorded
        (``SearchResult.method``, the default study name) is what the sampler really is:
        with ``sampler=`` (or ``study=``) it follows the sampler's class.
    n_trials : int, optional
        Trials to run now (a resumed study adds them). A grid defaults to its points
        not run yet; other methods need ``n_trials`` or ``timeout``.
    objectives : sequence of str, optional
        ``("val_acc",)``, ``("val_acc", "size_bytes")``, ... with ``latency_ms``,
        ``test_acc``, ``f1``, ``params`` ...: accuracy-like ones are maximized, costs
        minimized. Default: chosen on validation data (the test split only reports):
        ``("val_acc", "size_bytes")`` for the ``"architecture"`` preset, else
        ``("val_acc",)`` (``val_r2`` for a regression).
    timeout : float, optional
        Seconds after which no new trial starts.
    n_workers : int, optional
        Trials at once: local worker processes (default 1 = this process), or Dask
        tasks (default: 2 LocalCluster workers, or every thread at ``dask_address``).
        Workers are forked from a server that has torch and the kit imported; while
        they start (the first parallel search of a kernel) this process runs trials.
    storage : str, path or optuna storage, optional
        Where the study lives: a journal file path (``"study.log"``:
        ``JournalStorage(JournalFileBackend(path))``, resumable, several processes) or a
        database URL (``"sqlite:///study.db"``: ``RDBStorage``). It is a plain Optuna
        storage: ``optuna.load_study(study_name=..., storage=...)`` and
        ``optuna-dashboard study.db`` (or ``JournalFileBackend``) open it. With
        ``executor="dask"`` it is wrapped in Optuna's ``DaskStorage``, held by the
        scheduler, so workers on other machines need no database. An unknown URL
        scheme is refused (ConfigError) before anything runs.
    study_name : str, optional
        Default: ``<method>-<hash of cfg, space, objectives>``, so re-running resumes.
    study : optuna.Study, optional
        Continue this study instead: its storage, name, sampler (unless ``sampler=``)
        and pruner (unless ``pruner`` is False or a pruner); not with ``storage`` or
        ``study_name``.
    executor : {"local", "dask"}
    dask_address : str, optional
        A running scheduler (``"tcp://host:8786"``); its DaskStorage holds the study.
    seed : int or None
        Seeds the sampler: ``seed + trials already in the study`` (worker slots count
        on from there), so a resumed study draws new values.
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
    >>> import optuna  # the study is a plain Optuna study  # doctest: +SKIP
    >>> res = ow.search(cfg, space=space, n_trials=4, storage="sqlite:///study.db",
    ...                 study_name="lr")  # doctest: +SKIP
    >>> len(optuna.load_study(study_name="lr", storage="sqlite:///study.db").trials)
    ... # doctest: +SKIP
    4
    """
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    # -- check everything before anything starts -----------------------------------------
    if cfg is not None and not isinstance(cfg, RunConfig):
        raise ConfigError("cfg", cfg, "a RunConfig")
    base = (cfg if cfg is not None else RunConfig()).replace().validate()
    params = parse_space(space, base)
    if objectives is None and base.regression:  # maximize R² where there is no accuracy
        objectives = tuple("val_r2" if o == "val_acc" else "test_r2" if o == "test_acc" else o
                           for o in default_objectives(space))
    objs = parse_objectives(default_objectives(space) if objectives is None else objectives,
                            regression=base.regression)
    if study is not None:
        if not isinstance(study, optuna.Study):
            raise ConfigError("study", study, "an optuna.Study")
        if storage is not None or study_name is not None:
            raise ConfigError(
                "study", study.study_name, "a study, or storage= and study_name= (not both)"
            )
        if sampler is None:
            sampler = study.sampler
    check_method(method, sampler, len(objs))
    own_sampler = sampler is None or isinstance(sampler, str)
    searched = method_of(method, sampler)  # what the sampler really is
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
    parallel = executor == "dask" or (n_workers or 1) > 1
    dealt = searched == "grid" and own_sampler  # our grid: dealt out point by point
    size = grid_size(params) if dealt else None
    if size is not None and n_trials is None and size > GRID_MAX:
        raise ConfigError(
            "n_trials",
            None,
            f"a trial budget for a grid of {size:,} points",
            f"more than {GRID_MAX:,} points: give n_trials, or fewer grid points",
        )
    stops_itself = searched == "grid" and not own_sampler and not parallel
    if size is None and n_trials is None and timeout is None and not stops_itself:
        raise ConfigError("n_trials", None, "a number of trials >= 1 (or a timeout)")
    if study is not None and pruner is True:  # the study's own pruner
        pruner_obj = study.pruner if len(objs) == 1 else optuna.pruners.NopPruner()
    else:
        pruner_obj = make_pruner(pruner, len(objs))
    prune = len(objs) == 1 and not isinstance(pruner_obj, optuna.pruners.NopPruner)
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
    space_text = space_to_dict(params)
    used_sampler = sampler_name(method, len(objs), sampler)
    meta = {
        "method": searched,
        "sampler": used_sampler,
        "objectives": list(objs),
        "space": space_text,
        "base": base.to_dict(),
    }
    name = study.study_name if study is not None else study_name
    name = name or default_study_name(base, space_text, searched, objs)
    if not isinstance(name, str) or not name:
        raise ConfigError("study_name", study_name, "a non-empty text")
    storage_arg = study._storage if study is not None else storage
    dask = executor == "dask"
    if dask:
        parse_storage(storage_arg)  # refused now, if it must be; opened on the scheduler
        storage_obj: Any = None
        spec, tmp = None, None
    else:  # opened now: a storage that cannot be used refuses before workers start
        storage_obj, spec, tmp = resolve_storage(storage_arg, workers=parallel)

    if dask:  # connect first: an unreachable scheduler changes nothing
        pool_cm: Any = dask_pool(n_workers, dask_address)
    elif parallel:
        pool_cm = local_pool(n_workers or 1)
    else:
        pool_cm = contextlib.nullcontext()
    t0 = time.perf_counter()
    try:
        with pool_cm as pool, _quiet_optuna():
            if dask:
                storage_obj, spec = dask_storage(storage_arg, pool.client)
            if study is None:
                study = optuna.create_study(
                    storage=storage_obj,
                    study_name=name,
                    load_if_exists=True,
                    directions=[OBJECTIVES[o] for o in objs],
                    pruner=pruner_obj,
                    sampler=optuna.samplers.RandomSampler(seed=seed),  # set below
                )
                adopt = False
            else:  # the user's study: through this search's storage (DaskStorage)
                adopt = True
                if pruner is not True:
                    study.pruner = pruner_obj
            work = study
            if dask:
                work = optuna.load_study(study_name=name, storage=storage_obj, pruner=pruner_obj)
            if [d.name.lower() for d in work.directions] != [OBJECTIVES[o] for o in objs]:
                raise ConfigError(
                    "objectives",
                    list(objs),
                    "the objectives of the stored study",
                    f"study {name!r} optimizes {len(work.directions)} objective(s)"
                    " in other directions: pass another study_name",
                )
            _check_study(work, meta, adopt=adopt)
            _fail_dead_trials(work)
            offset = len(work.trials)
            budget = n_trials
            todo: list[tuple[int, dict[str, Any]]] = []
            waiting = 0
            grid_space: dict[str, list] = {}
            if dealt:
                grid_space, todo, waiting = _grid_todo(params, work, seed)
                total = waiting + len(todo)
                budget = total if budget is None else min(budget, total)
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
                if own_sampler:  # a grid keeps its seed: its points keep their ids
                    work.sampler = make_sampler(
                        method,
                        params,
                        len(objs),
                        seed=seed if dealt else resume_seed(seed, offset),
                        n_trials=n_trials,
                        sampler=sampler,
                    )
                else:
                    work.sampler = sampler
                for gid, point in todo[: max(0, (budget or 0) - waiting)]:
                    _enqueue_point(work, gid, point, grid_space)
                _run_here(work, runner, budget, timeout, cancel, study_cbs)
            else:
                # resolve_storage / dask_storage always give workers a spec (or refuse)
                assert spec is not None, "workers need a storage spec"
                # a grid is dealt out here: each job gets one unvisited point, enqueued
                # (Optuna hands a waiting trial to exactly one worker); a GridSampler in
                # each worker choosing by itself would let two workers pick one point

                def make_job(slot: int) -> TrialJob:
                    if dealt and slot >= waiting:
                        _enqueue_point(work, *todo[slot - waiting], grid_space)
                    return TrialJob(
                        spec,
                        name,
                        runner,
                        method,
                        len(objs),
                        seed if dealt else resume_seed(seed, offset + slot),
                        n_trials,
                        sampler=sampler,
                        pruner=pruner_obj,
                    )

                limit = budget if budget is not None else 10**9  # timeout-only search
                drive(
                    pool,
                    work,
                    make_job,
                    limit,
                    timeout=timeout,
                    cancel=cancel,
                    callbacks=study_cbs,
                )
            if adopt:
                pass  # the user's study object sees the new trials in its own storage
            elif tmp is not None or dask:  # keep it readable after the workers are gone
                if dask:
                    keep = local_study_storage(storage_arg, storage_obj)
                else:  # several local workers without a storage: keep it in memory
                    keep = optuna.storages.InMemoryStorage()
                    optuna.copy_study(
                        from_study_name=name, from_storage=storage_obj, to_storage=keep
                    )
                study = optuna.load_study(study_name=name, storage=keep)
            else:
                study = work
    finally:
        forget_storage(spec, tmp)
    return SearchResult(
        study,
        base,
        params,
        objs,
        searched,
        sampler_name=used_sampler,
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
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

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
    params = parse_space(meta["space"], base)
    objs = tuple(meta["objectives"])
    method = meta["method"]
    used = meta.get("sampler") or (sampler_name(method, len(objs)) if method in METHODS else method)
    return SearchResult(study, base, params, objs, method, sampler_name=used)
