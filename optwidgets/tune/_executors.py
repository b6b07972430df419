"""Where trials run: this process, local worker processes, or Dask.

Design: the study lives in a storage every worker can reach (a journal file on this
machine, a database URL, or Optuna's DaskStorage on the Dask scheduler). The driver in
this process submits *one task per trial*; a task opens the study in its worker
(storage cached per process), builds the sampler (seed + slot, so workers never draw
the same random values), and calls ``study.optimize(runner, n_trials=1)``: sampling,
pruning and the result all go through the shared storage, exactly as Optuna's own
multi-process recipe. Submitting per trial keeps the budget exact, makes Stop and the
timeout act between trials, lets the driver call the caller's callbacks here as each
trial finishes, and contains crashes: a task whose worker died leaves its trial
RUNNING, and the driver marks that trial FAIL (found by the task id in its user
attribute) and goes on.

Workers start with everything imported. Local workers, and the worker processes of a
Dask LocalCluster, are forked from one *forkserver* per kernel that has imported torch,
Optuna and the kit once (:mod:`optwidgets.tune._preload`): a worker is up in
milliseconds instead of the seconds a fresh interpreter needs (``spawn`` where the
platform has no forkserver). Each runs ``torch.set_num_threads(1)``, each on its own
pipe (not a ``ProcessPoolExecutor``, which kills every worker when one dies, possibly
in the middle of a journal write). While the workers are still starting (the first
search of a kernel, while the forkserver imports), this process runs trials itself,
one at a time, as ``n_workers=1`` would: a parallel search pays from its first trial.
:func:`worker_pool` keeps a pool warm across several searches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import multiprocessing.connection
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from optwidgets.core.errors import ConfigError
from optwidgets.tune._objective import ATTR, TrialRunner, release_grid_point
from optwidgets.tune._samplers import make_sampler
from optwidgets.tune._storage import StorageSpec, StorageUnreachable, open_storage

__all__ = [
    "TrialJob",
    "run_trial_job",
    "worker_pool",
    "worker_context",
    "LocalPool",
    "DaskPool",
    "drive",
    "mark_failed",
]

_WORKER_READY = False
_PRELOAD = "optwidgets.tune._preload"
# seconds a starting pool gets before this process runs a trial itself: a worker forked
# from a running forkserver is up well within it, so only a real start-up is bridged
INLINE_GRACE_S = 0.25
_FORKSERVER_LOCK = threading.Lock()


def _init_worker() -> None:
    """Once per worker process: one torch thread (workers share the cores), quiet Optuna."""
    global _WORKER_READY
    if _WORKER_READY:
        return
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # heavy, on purpose here: what a first run would import lazily (~3 s: torch._dynamo
    # via the optimizers, scikit-learn via the datasets), imported while the worker
    # starts instead of in its first trial (a no-op in a worker forked from the
    # forkserver, which imported them already)
    import optwidgets.tune._preload as _preload  # heavy: see above  # noqa: F401

    _WORKER_READY = True


def worker_context(*extra_preload: str) -> Any:
    """The multiprocessing context search workers start from: the forkserver with torch
    and the kit preloaded (started now, in the background), or ``spawn`` where the
    platform has no forkserver. ``extra_preload``: more modules for the forkserver to
    import, if it is not running yet (``"distributed"`` for Dask workers)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    with _FORKSERVER_LOCK:
        # set each time: a forkserver that died is restarted with this list
        ctx.set_forkserver_preload([_PRELOAD, *extra_preload])
        # returns at once; the server imports the preload while this process goes on
        import multiprocessing.forkserver as forkserver  # the module, for ensure_running

        forkserver.ensure_running()
    return ctx


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


def run_trial_job(job: TrialJob, *, here: bool = False) -> dict[str, Any]:
    """Run one trial of ``job`` in this process (a worker's, or with ``here=True`` the
    driver's own); returns its number and state."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    if not here:
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
    runner = dataclasses.replace(job.runner, task=job.task)
    seen: list[Any] = []
    study.optimize(runner, n_trials=1, catch=(Exception,), callbacks=[lambda _s, t: seen.append(t)])
    t = seen[0] if seen else None
    return {
        "task": job.task,
        "number": None if t is None else t.number,
        "state": None if t is None else t.state.name,
    }


# ---------------------------------------------------------------------------------------
# pools: can_take(n) -> bool, submit(job) -> future, wait_any(futures, timeout) -> done,
# starting(grace) -> bool (workers still starting, for longer than grace seconds)


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
    """One worker process on its own pipe. It is started on a thread: a forkserver that
    is still importing answers only when it is done, and this process goes on meanwhile."""

    def __init__(self, ctx: Any) -> None:
        self.conn, self._child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker_main, args=(self._child,), daemon=True, name="optwidgets-search-worker"
        )
        self.born = time.monotonic()
        self.ready = False  # its "ready" greeting arrived
        self.task: _Task | None = None
        self.start_error: BaseException | None = None
        self.started = threading.Event()
        threading.Thread(target=self._start, daemon=True, name="optwidgets-worker-start").start()

    def _start(self) -> None:
        try:
            self.proc.start()
        except BaseException as exc:  # reported by the pool as a worker that died
            self.start_error = exc
        finally:
            self._child.close()
            self.started.set()

    @property
    def gone(self) -> bool:
        """It failed to start, or it has ended."""
        if not self.started.is_set():
            return False
        return self.start_error is not None or not self.proc.is_alive()

    def handles(self) -> list[Any]:
        out = [self.conn]
        if self.started.is_set() and self.start_error is None:
            out.append(self.proc.sentinel)
        return out

    def stop(self, timeout: float = 5.0) -> None:
        if not self.started.is_set():
            # still starting: stop it once it is up, without holding up the caller
            threading.Thread(target=self._stop_when_started, args=(timeout,), daemon=True).start()
            return
        with contextlib.suppress(OSError, ValueError):
            if self.task is None:
                self.conn.send(None)
        if self.start_error is None:
            self.proc.join(timeout if self.task is None else 0)
            if self.proc.is_alive():
                self.proc.terminate()
                self.proc.join(timeout)
        self.conn.close()

    def _stop_when_started(self, timeout: float) -> None:
        self.started.wait()
        self.stop(timeout)


def _worker_main(conn: Any) -> None:
    """A local worker: run the jobs it is sent until it gets None."""
    _init_worker()
    try:
        conn.send(("ready", None))
    except OSError:  # the search ended (and its process, maybe) before this worker was up
        return
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
        except OSError:  # the driver is gone
            return
        except Exception as exc:  # an exception that does not pickle
            conn.send(("err", RuntimeError(f"{type(out[1]).__name__}: {exc}")))


class LocalPool:
    """``n`` worker processes forked from the preloaded forkserver, each on its own pipe:
    a worker that dies takes only its own trial along, and a fresh worker replaces it."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._ctx: Any = None
        self._workers: list[_Worker] = []
        self._failed_starts: list[BaseException] = []

    @property
    def slots(self) -> int:
        return self.n

    def _fill(self) -> None:
        if self._ctx is None:
            self._ctx = worker_context()
        if len(self._failed_starts) >= 3:
            raise RuntimeError(f"search workers do not start: {self._failed_starts[-1]!r}")
        self._workers = [w for w in self._workers if not w.gone or w.task is not None]
        while len(self._workers) < self.n:
            self._workers.append(_Worker(self._ctx))

    def warm(self, timeout: float = 120.0) -> float:
        """Start every worker now and wait until each is ready; returns the seconds."""
        t0 = time.perf_counter()
        self._fill()
        while not all(w.ready for w in self._workers) and time.perf_counter() - t0 < timeout:
            self.wait_any([], timeout=0.1)
            self._fill()
        return time.perf_counter() - t0

    def can_take(self, n_running: int) -> bool:
        """A started worker is idle."""
        self._fill()
        return any(w.ready and w.task is None for w in self._workers)

    def starting(self, grace: float) -> bool:
        """Some worker has been starting for more than ``grace`` seconds."""
        now = time.monotonic()
        return any(not w.ready and now - w.born >= grace for w in self._workers)

    def submit(self, job: TrialJob) -> _Task:
        worker = next(w for w in self._workers if w.ready and w.task is None)
        task = _Task(job, worker)
        worker.task = task
        worker.conn.send(job)
        return task

    def wait_any(self, tasks: Sequence[_Task], timeout: float) -> list[_Task]:
        """Wait until a task ends or a worker becomes ready (then ``[]``)."""
        by_handle = {h: w for w in self._workers for h in w.handles()}
        if any(not w.started.is_set() for w in self._workers):
            timeout = min(timeout, 0.05)  # a start that ends gives no handle to wait on
        done: list[_Task] = []
        for w in {by_handle[h] for h in multiprocessing.connection.wait(list(by_handle), timeout)}:
            try:
                while w.conn.poll():
                    msg, payload = w.conn.recv()
                    if msg == "ready":
                        w.ready = True
                        continue
                    task, w.task = w.task, None
                    if task is not None:
                        task._out, task._exc = (payload, None) if msg == "ok" else (None, payload)
                        done.append(task)
            except (EOFError, OSError):
                pass
            if w.gone or w.conn.closed:
                self._bury(w, done)
        for w in [w for w in self._workers if w.started.is_set() and w.gone]:
            self._bury(w, done)  # a start that failed
        return [t for t in done if t in tasks]

    def _bury(self, w: _Worker, done: list[_Task]) -> None:
        if w not in self._workers:
            return
        if w.start_error is None:
            w.proc.join(1.0)
        else:
            self._failed_starts.append(w.start_error)
        if w.task is not None:
            why = w.start_error or f"exit code {w.proc.exitcode}"
            w.task._exc = WorkerDied(f"worker process ended ({why})")
            done.append(w.task)
            w.task = None
        with contextlib.suppress(OSError):
            w.conn.close()
        self._workers.remove(w)

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

    Without it each search with ``n_workers > 1`` forks its own workers (milliseconds,
    once the kernel's forkserver is up) and stops them at the end.

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
    pool.can_take(0)  # start the workers now, while the search gets ready
    try:
        yield pool
    finally:
        pool.close()


class DaskPool:
    """Trials as Dask tasks on a client (a LocalCluster's, or a scheduler's)."""

    def __init__(self, client: Any, slots: int, *, starting: bool = False) -> None:
        self.client = client
        self.slots = slots
        self.born = time.monotonic()
        self._starting = starting  # our LocalCluster's workers are still starting
        self.boot_error: BaseException | None = None

    def _n_ready(self) -> int:
        if self._starting:
            if self.boot_error is not None:
                raise self.boot_error
            ready = sum(self.client.nthreads().values())
            if ready < self.slots:
                return ready
            self._starting = False
        return self.slots

    def can_take(self, n_running: int) -> bool:
        return n_running < self._n_ready()

    def still_starting(self) -> bool:
        """Some of our LocalCluster's workers are not up yet."""
        try:
            return self._n_ready() < self.slots
        except Exception:  # a start that failed, or a cluster already gone
            return False

    def starting(self, grace: float) -> bool:
        return (
            self._starting
            and time.monotonic() - self.born >= grace
            and self._n_ready() < self.slots
        )

    def submit(self, job: TrialJob) -> Any:
        # pure=False: every trial is new work; retries=0: a crashed trial is not re-run
        return self.client.submit(
            run_trial_job, job, pure=False, retries=0, key=f"optwidgets-trial-{job.task}"
        )

    def wait_any(self, futures: list[Any], timeout: float) -> list[Any]:
        if not futures:
            time.sleep(min(timeout, 0.05))
            return []
        from distributed import wait  # optional: Dask, only for executor="dask"

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
    dashboard; its workers forked from the preloaded forkserver while the search starts)
    or the scheduler at ``address``; raises ConfigError if it is unreachable."""
    try:
        from distributed import Client, LocalCluster  # optional: only for executor="dask"
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
        pool = DaskPool(client, n_workers or max(sum(client.nthreads().values()), 1))
    else:
        import dask  # optional: only for executor="dask" (distributed imported above)

        n = n_workers or 2
        ctx = worker_context("distributed")
        # a worker that dies fails its trial at once instead of re-running it elsewhere
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            # the scheduler now (the study's DaskStorage lives there), the workers below
            cluster = LocalCluster(
                n_workers=0,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        client = Client(cluster)
        pool = DaskPool(client, n, starting=True)

        def start_workers() -> None:
            method = ctx.get_start_method()
            try:  # the setting is read as each nanny starts its worker: held until all are up
                with dask.config.set({"distributed.worker.multiprocessing-method": method}):
                    cluster.scale(n)
                    client.wait_for_workers(n, timeout=300)
            except Exception as exc:  # raised by the pool's next can_take
                if client.status == "running":
                    pool.boot_error = exc

        threading.Thread(target=start_workers, daemon=True, name="optwidgets-dask-start").start()
    try:
        yield pool
    finally:

        def close() -> None:
            client.close()
            if cluster is not None:
                cluster.close()

        if cluster is not None and pool.still_starting():
            # closing waits for workers still starting: done on a thread, the search
            # returns now (not a daemon thread: the interpreter waits for it at exit)
            threading.Thread(target=close, name="optwidgets-dask-close").start()
        else:
            close()


class _HereTask:
    """One trial run by this process on a thread (while the pool's workers start)."""

    def __init__(self, job: TrialJob) -> None:
        self.job = job
        self._out: Any = None
        self._exc: BaseException | None = None
        self._done = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="optwidgets-trial-here").start()

    def _run(self) -> None:
        try:
            self._out = run_trial_job(self.job, here=True)
        except BaseException as exc:  # re-raised by result(), in the driver
            self._exc = exc
        finally:
            self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def result(self) -> Any:
        if self._exc is not None:
            raise self._exc
        return self._out

    def cancel(self) -> bool:
        return False


# ---------------------------------------------------------------------------------------
# the driver


def _frozen(study: Any, number: int) -> Any:
    storage = study._storage
    return storage.get_trial(
        storage.get_trial_id_from_study_id_trial_number(study._study_id, number)
    )


def mark_failed(study: Any, trial: Any, why: str) -> None:
    """FAIL a RUNNING trial whose process is gone, saying why (no sampler hooks run
    here). It is marked ``interrupted``: a grid search runs its point again."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    info = trial.user_attrs.get(ATTR) or {}
    storage = study._storage
    storage.set_trial_user_attr(
        trial._trial_id,
        ATTR,
        {**info, "status": "interrupted", "interrupted": True, "error": why},
    )
    release_grid_point(storage, trial._trial_id, trial.system_attrs)
    storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)


def _fail_orphans(study: Any, task: str, why: str, keep: int | None = None) -> list[int]:
    """Mark FAIL the RUNNING trials a dead task left behind (all but trial ``keep``)."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

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
    here: bool = True,
) -> None:
    """Keep ``pool.slots`` trials in flight until ``budget`` trials have been submitted,
    ``timeout`` seconds have passed or ``cancel`` is set; in-flight trials finish.

    While the pool's workers are still starting (past :data:`INLINE_GRACE_S`), one of
    the slots is this process (``here``): it runs a trial on a thread, as a search with
    one worker would, so the start-up costs no trials.

    Raises ConfigError (``storage``) when a worker cannot see the journal file.
    """
    t0 = time.monotonic()
    running: dict[Any, TrialJob] = {}  # pool futures and this process's trial
    submitted = 0

    def open_slots() -> bool:
        late = timeout is not None and time.monotonic() - t0 >= timeout
        return submitted < budget and not cancel.is_set() and not late

    def finished(numbers: list[int]) -> None:
        for n in numbers:
            trial = _frozen(study, n)
            for cb in callbacks:
                cb(study, trial)

    def next_job() -> TrialJob:
        nonlocal submitted
        job = make_job(submitted)
        submitted += 1
        return job

    while True:
        while open_slots() and len(running) < pool.slots:
            in_pool = sum(not isinstance(f, _HereTask) for f in running)
            if pool.can_take(in_pool):
                job = next_job()
                running[pool.submit(job)] = job
            elif (
                here
                and not any(isinstance(f, _HereTask) for f in running)
                and pool.starting(INLINE_GRACE_S)
            ):
                job = next_job()
                running[_HereTask(job)] = job
            else:
                break
        if not running:
            if not open_slots():
                return
            pool.wait_any([], timeout=0.05)  # workers starting: nothing to wait for yet
            continue
        mine = [f for f in running if isinstance(f, _HereTask)]
        futures = [f for f in running if not isinstance(f, _HereTask)]
        done = [f for f in mine if f.done()]
        done += pool.wait_any(futures, timeout=0.05 if mine or not futures else 0.2)
        for fut in done:
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
                        if not isinstance(other, _HereTask):
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
