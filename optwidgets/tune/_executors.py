"""Where trials run: this process, local worker processes, or Dask.

Design: the study lives in a storage every worker can reach (a journal file on this
machine, or a database URL). The driver in this process submits *one task per trial*;
a task opens the study in its worker (storage cached per process), builds the sampler
(seed + slot, so workers never draw the same random values), and calls
``study.optimize(runner, n_trials=1)``: sampling, pruning and the result all go
through the shared storage, exactly as Optuna's own multi-process recipe. Submitting
per trial keeps the budget exact, makes Stop and the timeout act between trials,
lets the driver call the caller's callbacks here as each trial finishes, and contains
crashes: a task whose worker died leaves its trial RUNNING, and the driver marks that
trial FAIL (found by the task id in its user attribute) and goes on, replacing a broken
process pool.

Local workers are ``spawn``-ed processes (safe under Jupyter and with torch threads),
each with ``torch.set_num_threads(1)``, each on its own pipe (not a
``ProcessPoolExecutor``, which kills every worker when one dies, possibly in the middle
of a journal write). :func:`worker_pool` keeps a pool warm across
several searches.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from optwidgets.core.errors import ConfigError
from optwidgets.tune._objective import ATTR, TrialRunner
from optwidgets.tune._storage import StorageSpec, StorageUnreachable, open_storage

__all__ = ["TrialJob", "run_trial_job", "worker_pool", "LocalPool", "DaskPool", "drive"]

_WORKER_READY = False


def _init_worker() -> None:
    """Once per worker process: one torch thread (workers share the cores), quiet Optuna."""
    global _WORKER_READY
    if _WORKER_READY:
        return
    import optuna
    import torch

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # What a first run would import lazily (~3 s: torch._dynamo via the optimizers,
    # scikit-learn via the datasets), imported while the worker starts instead.
    import sklearn.datasets  # noqa: F401
    import torch._dynamo  # noqa: F401

    import optwidgets.runs  # noqa: F401

    _WORKER_READY = True


@dataclass
class TrialJob:
    """Everything a worker needs for one trial (plain, picklable)."""

    storage: StorageSpec
    study_name: str
    runner: TrialRunner
    method: str
    n_objectives: int
    seed: int | None
    n_trials: int | None
    sampler: Any = None
    pruner: Any = None
    task: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def run_trial_job(job: TrialJob) -> dict[str, Any]:
    """Run one trial of ``job`` in this (worker) process; returns its number and state."""
    import optuna

    from optwidgets.tune._samplers import make_sampler

    _init_worker()
    storage = open_storage(job.storage)
    sampler = make_sampler(
        job.method,
        job.runner.params,
        job.n_objectives,
        seed=job.seed,
        n_trials=job.n_trials,
        parallel=True,
        sampler=job.sampler,
    )
    study = optuna.load_study(
        study_name=job.study_name, storage=storage, sampler=sampler, pruner=job.pruner
    )
    runner = job.runner
    runner.task = job.task
    seen: list[Any] = []
    study.optimize(runner, n_trials=1, catch=(Exception,), callbacks=[lambda _s, t: seen.append(t)])
    t = seen[0] if seen else None
    return {
        "task": job.task,
        "number": None if t is None else t.number,
        "state": None if t is None else t.state.name,
    }


# ---------------------------------------------------------------------------------------
# pools: submit(job) -> future, wait_any(futures, timeout) -> done set


class WorkerDied(RuntimeError):
    """A local worker process ended while it ran a trial."""


class _Task:
    """A trial job on one local worker; ``result()`` returns its outcome or raises."""

    def __init__(self, job: TrialJob, worker: _Worker) -> None:
        self.job, self.worker = job, worker
        self._out: Any = None
        self._exc: BaseException | None = None

    def result(self) -> Any:
        if self._exc is not None:
            raise self._exc
        return self._out

    def cancel(self) -> bool:
        return False


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker_main, args=(child,), daemon=True, name="optwidgets-search-worker"
        )
        self.proc.start()
        child.close()
        self.ready = False
        self.task: _Task | None = None

    def stop(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.task is None:
                self.conn.send(None)
        self.proc.join(timeout if self.task is None else 0)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout)
        self.conn.close()


def _worker_main(conn: Any) -> None:
    """A local worker: run the jobs it is sent until it gets None."""
    _init_worker()
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            out: tuple[str, Any] = ("ok", run_trial_job(job))
        except BaseException as exc:  # sent back, re-raised by the driver
            out = ("err", exc)
        try:
            conn.send(out)
        except Exception as exc:  # an exception that does not pickle
            conn.send(("err", RuntimeError(f"{type(out[1]).__name__}: {exc}")))


class LocalPool:
    """``n`` spawned worker processes, each on its own pipe: a worker that dies takes only
    its own trial along, and a fresh worker replaces it."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []

    @property
    def slots(self) -> int:
        return self.n

    def _start(self) -> None:
        self._workers = [w for w in self._workers if w.proc.is_alive() or w.task is not None]
        while len(self._workers) < self.n:
            self._workers.append(_Worker(self._ctx))

    def warm(self, timeout: float = 120.0) -> float:
        """Start every worker now and wait until each is ready; returns the seconds."""
        t0 = time.perf_counter()
        self._start()
        for w in self._workers:
            if not w.ready and w.conn.poll(timeout):
                msg, _ = w.conn.recv()
                w.ready = msg == "ready"
        return time.perf_counter() - t0

    def submit(self, job: TrialJob) -> _Task:
        self._start()
        worker = next(w for w in self._workers if w.task is None)
        task = _Task(job, worker)
        worker.task = task
        worker.conn.send(job)
        return task

    def wait_any(self, tasks: list[_Task], timeout: float) -> list[_Task]:
        from multiprocessing.connection import wait

        by_handle: dict[Any, _Task] = {}
        for t in tasks:
            by_handle[t.worker.conn] = t
            by_handle[t.worker.proc.sentinel] = t
        done: list[_Task] = []
        for handle in wait(list(by_handle), timeout=timeout):
            task = by_handle[handle]
            if task in done:
                continue
            w = task.worker
            try:
                while True:  # skip the "ready" greeting
                    if not w.conn.poll():
                        if w.proc.is_alive():
                            break
                        raise EOFError
                    msg, payload = w.conn.recv()
                    if msg == "ready":
                        w.ready = True
                        continue
                    if msg == "ok":
                        task._out = payload
                    else:
                        task._exc = payload
                    done.append(task)
                    w.task = None
                    break
            except (EOFError, OSError):
                w.proc.join(1.0)
                task._exc = WorkerDied(f"worker process ended (exit code {w.proc.exitcode})")
                done.append(task)
                w.task = None
                w.conn.close()
                self._workers.remove(w)
        return done

    def broken(self, exc: BaseException) -> bool:
        return False

    def reset(self) -> None:
        pass

    def close(self) -> None:
        for w in self._workers:
            w.stop()
        self._workers = []


_WARM_POOLS: dict[int, LocalPool] = {}


@contextlib.contextmanager
def worker_pool(n_workers: int) -> Iterator[LocalPool]:
    """Keep ``n_workers`` local worker processes warm for every search inside the block.

    Without it each search with ``n_workers > 1`` starts its own workers (about a
    second or two each to import torch) and stops them at the end.

    Example
    -------
    >>> with worker_pool(2):  # doctest: +SKIP
    ...     a = ow.search(cfg, space=space, n_trials=8, n_workers=2)
    ...     b = ow.search(cfg, space=space, n_trials=8, n_workers=2, method="random")
    """
    if n_workers in _WARM_POOLS:
        yield _WARM_POOLS[n_workers]
        return
    pool = LocalPool(n_workers)
    _WARM_POOLS[n_workers] = pool
    try:
        yield pool
    finally:
        _WARM_POOLS.pop(n_workers, None)
        pool.close()


@contextlib.contextmanager
def local_pool(n_workers: int) -> Iterator[LocalPool]:
    if n_workers in _WARM_POOLS:
        yield _WARM_POOLS[n_workers]
        return
    pool = LocalPool(n_workers)
    try:
        yield pool
    finally:
        pool.close()


class DaskPool:
    """Trials as Dask tasks on a client (a LocalCluster's, or a scheduler's)."""

    def __init__(self, client: Any, slots: int) -> None:
        self.client = client
        self.slots = slots

    def submit(self, job: TrialJob) -> Any:
        # pure=False: every trial is new work; retries=0: a crashed trial is not re-run
        return self.client.submit(
            run_trial_job, job, pure=False, retries=0, key=f"optwidgets-trial-{job.task}"
        )

    @staticmethod
    def wait_any(futures: list[Any], timeout: float) -> list[Any]:
        from distributed import wait

        try:
            done, _ = wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        return list(done)

    def broken(self, exc: BaseException) -> bool:
        return False

    def reset(self) -> None:
        pass


@contextlib.contextmanager
def dask_pool(
    n_workers: int | None, address: str | None, connect_timeout: float = 5.0
) -> Iterator[DaskPool]:
    """A Dask client: a new LocalCluster (processes, 1 thread each, 127.0.0.1, no
    dashboard) or the scheduler at ``address``; raises ConfigError if it is unreachable."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(
            "executor", "dask", "'local', or install Dask: pip install 'optwidgets[dask]'"
        ) from None
    cluster = None
    if address:
        try:
            client = Client(address, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(
                "dask_address",
                address,
                "the address of a running Dask scheduler such as 'tcp://127.0.0.1:8786'",
                f"could not connect: {type(exc).__name__}: {exc}",
            ) from None
        slots = n_workers or max(sum(client.nthreads().values()), 1)
    else:
        import dask

        n = n_workers or 2
        # a worker that dies fails its trial at once instead of re-running it elsewhere
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        client = Client(cluster)
        slots = n
    try:
        yield DaskPool(client, slots)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------------------------------
# the driver


def _frozen(study: Any, number: int) -> Any:
    storage = study._storage
    return storage.get_trial(
        storage.get_trial_id_from_study_id_trial_number(study._study_id, number)
    )


def mark_failed(study: Any, trial: Any, why: str) -> None:
    """FAIL a RUNNING trial in the storage, saying why (no sampler hooks run here)."""
    import optuna

    info = trial.user_attrs.get(ATTR) or {}
    storage = study._storage
    storage.set_trial_user_attr(trial._trial_id, ATTR, {**info, "status": "failed", "error": why})
    storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)


def _fail_orphans(study: Any, task: str, why: str, keep: int | None = None) -> list[int]:
    """Mark FAIL the RUNNING trials a dead task left behind (all but trial ``keep``)."""
    import optuna

    failed = []
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        info = t.user_attrs.get(ATTR) or {}
        if info.get("task") == task and t.number != keep:
            mark_failed(study, t, why)
            failed.append(t.number)
    return failed


def drive(
    pool: Any,
    study: Any,
    make_job: Callable[[int], TrialJob],
    budget: int,
    *,
    timeout: float | None,
    cancel: threading.Event,
    callbacks: list[Callable],
) -> None:
    """Keep ``pool.slots`` trials in flight until ``budget`` trials have been submitted,
    ``timeout`` seconds have passed or ``cancel`` is set; in-flight trials finish.

    Raises ConfigError (``storage``) when a worker cannot see the journal file.
    """
    t0 = time.monotonic()
    running: dict[Any, TrialJob] = {}
    submitted = 0

    def open_slots() -> bool:
        late = timeout is not None and time.monotonic() - t0 >= timeout
        return submitted < budget and not cancel.is_set() and not late

    def finished(numbers: list[int]) -> None:
        for n in numbers:
            trial = _frozen(study, n)
            for cb in callbacks:
                cb(study, trial)

    while True:
        while open_slots() and len(running) < pool.slots:
            job = make_job(submitted)
            running[pool.submit(job)] = job
            submitted += 1
        if not running:
            return
        for fut in pool.wait_any(list(running), timeout=0.2):
            if fut not in running:  # already accounted for (a broken pool)
                continue
            job = running.pop(fut)
            try:
                out = fut.result()
            except StorageUnreachable as exc:
                for other in running:
                    other.cancel()
                raise ConfigError(
                    "storage",
                    job.storage.target,
                    "a database URL (e.g. "
                    "'postgresql://user@host/db') that every Dask worker can "
                    "reach",
                    str(exc),
                ) from None
            except Exception as exc:  # the worker died
                lost = []
                if pool.broken(exc):  # a broken pool takes its other tasks along
                    pool.reset()
                    for other in list(running):
                        lost += _fail_orphans(
                            study, running.pop(other).task, "the worker pool broke"
                        )
                lost += _fail_orphans(
                    study, job.task, f"the worker process died: {type(exc).__name__}: {exc}"
                )
                finished(sorted(lost))
                continue
            # a retried task (Dask reschedules work of a dead worker) may leave orphans
            lost = _fail_orphans(study, job.task, "the worker process died", keep=out["number"])
            finished(sorted([*lost, *([out["number"]] if out["number"] is not None else [])]))
