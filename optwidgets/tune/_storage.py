"""Where a study lives, and how a worker process reaches the same place.

Every storage is a plain Optuna storage: ``optuna.load_study(study_name=...,
storage=...)`` and ``optuna-dashboard`` open it as they open any other.

``storage=`` -> Optuna storage:

- ``None``, one process: ``InMemoryStorage`` (gone with the kernel).
- ``None``, local workers: a journal file in a temporary folder, copied into memory
  when the search ends.
- a file path (``"runs/study.log"``): ``JournalStorage(JournalFileBackend(path))``, an
  append-only log that several processes on one machine write safely (a file lock);
  a study resumes from it after a restart. Optuna recommends it over SQLite for
  parallel writers.
- a database URL (``"postgresql://user@host/db"``, ``"sqlite:///x.db"``): ``RDBStorage``.
- an optuna storage object: used as is (local workers get a pickled copy of it, which
  Journal and RDB storages allow).
- with ``executor="dask"``: any of these wrapped in Optuna's ``DaskStorage``
  (``optuna_integration.dask``): the storage lives on the Dask scheduler and workers
  reach it through the scheduler, so a cluster of several machines needs no database
  (``None``: in memory on the scheduler, copied here when the search ends).

An unknown URL scheme (``"bogus://x"``) or a folder is refused with a ConfigError
before anything starts. Workers get a :class:`StorageSpec` (plain, picklable) and open
the storage once per process (:func:`open_storage` caches it), so each trial only reads
what is new.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optwidgets.core.errors import ConfigError

__all__ = [
    "StorageSpec",
    "parse_storage",
    "resolve_storage",
    "dask_storage",
    "open_storage",
    "local_study_storage",
    "StorageUnreachable",
    "STORAGE_ALLOWED",
]

_OPEN: dict[tuple[str, str], Any] = {}  # per process: spec -> storage object
STORAGE_ALLOWED = "a journal file path or a database URL such as sqlite:///study.db"


class StorageUnreachable(RuntimeError):
    """A worker cannot see the study's journal file (another machine, no shared disk)."""


@dataclass(frozen=True)
class StorageSpec:
    """A storage a worker process can open.

    ``kind`` is ``journal`` (``target``: the file), ``url`` (a database URL), ``dask``
    (``target``: the name of a DaskStorage on the scheduler) or ``object`` (an optuna
    storage object carried in ``obj``, ``target`` an id to cache it by).
    """

    kind: str
    target: str
    obj: Any = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        return self.target


def _check_url(text: str) -> None:
    """Refuse a URL that names no database dialect SQLAlchemy knows (``bogus://x``)."""
    try:
        # heavy: SQLAlchemy (Optuna's dependency for RDBStorage), only for a URL storage
        from sqlalchemy.engine import make_url

        make_url(text).get_dialect()
    except Exception as exc:  # ArgumentError, NoSuchModuleError, a missing driver
        raise ConfigError(
            "storage", text, STORAGE_ALLOWED, f"{type(exc).__name__}: {exc}"
        ) from None


def parse_storage(storage: Any) -> StorageSpec | Any | None:
    """Check ``storage=`` without opening anything: None, an optuna storage object (as
    is) or a :class:`StorageSpec` of a journal file or a database URL."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    if storage is None or isinstance(storage, optuna.storages.BaseStorage):
        return storage
    if not isinstance(storage, (str, os.PathLike)):
        raise ConfigError("storage", storage, "None, " + STORAGE_ALLOWED)
    text = os.fspath(storage)
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("storage", storage, STORAGE_ALLOWED)
    if "://" in text:
        _check_url(text)
        return StorageSpec("url", text)
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        raise ConfigError(
            "storage",
            text,
            "a file path (the journal file), not a folder",
            f"e.g. {str(path / 'study.log')!r}",
        )
    return StorageSpec("journal", str(path))


def _open_checked(spec: StorageSpec) -> Any:
    try:
        return open_storage(spec, create=True)
    except ConfigError:
        raise
    except Exception as exc:  # OSError, a database that refuses the connection, ...
        raise ConfigError(
            "storage",
            spec.target,
            "a writable file path or a reachable database URL",
            f"{type(exc).__name__}: {exc}",
        ) from None


def resolve_storage(storage: Any, *, workers: bool) -> tuple[Any, StorageSpec | None, str | None]:
    """-> (storage for this process, spec for local workers or None, temporary folder or
    None). Raises ConfigError for a storage that cannot be used (nothing is opened then)."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    parsed = parse_storage(storage)
    if parsed is None:
        if not workers:
            return optuna.storages.InMemoryStorage(), None, None
        tmp = tempfile.mkdtemp(prefix="optwidgets-study-")
        spec = StorageSpec("journal", str(Path(tmp) / "study.log"))
        return open_storage(spec, create=True), spec, tmp
    if isinstance(parsed, StorageSpec):
        return _open_checked(parsed), parsed, None
    if not workers:
        return parsed, None, None
    if isinstance(parsed, optuna.storages.InMemoryStorage):
        raise ConfigError(
            "storage",
            storage,
            "a file path, a database URL or a Journal/RDB storage when trials run in "
            "other processes (n_workers > 1 or executor='dask')",
            "an InMemoryStorage lives in this process only",
        )
    spec = StorageSpec("object", f"object-{uuid.uuid4().hex}", obj=parsed)
    _OPEN[(spec.kind, spec.target)] = parsed
    return parsed, spec, None


def dask_storage(storage: Any, client: Any) -> tuple[Any, StorageSpec]:
    """Optuna's DaskStorage on ``client``'s scheduler around ``storage`` (None, a path, a
    URL or a Journal/RDB storage object) -> (storage here, spec for the Dask workers)."""
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune

    try:
        # optional: optuna-integration, only for executor="dask"
        from optuna_integration.dask import DaskStorage
    except ImportError:
        raise ConfigError(
            "executor", "dask", "'local', or install optuna-integration for Optuna's DaskStorage"
        ) from None
    parsed = parse_storage(storage)
    inner: Any = parsed
    if isinstance(parsed, StorageSpec):
        if parsed.kind == "journal":  # opened on the scheduler, as the same file here
            Path(parsed.target).parent.mkdir(parents=True, exist_ok=True)
            from optuna.storages.journal import (  # heavy: Optuna
                JournalFileBackend,
                JournalStorage,
            )

            inner = JournalStorage(JournalFileBackend(parsed.target))
        else:
            inner = parsed.target
    elif isinstance(parsed, optuna.storages.InMemoryStorage):
        raise ConfigError(
            "storage",
            storage,
            "None, " + STORAGE_ALLOWED + " with executor='dask'",
            "an InMemoryStorage lives in this process only",
        )
    with warnings.catch_warnings():  # DaskStorage is "experimental" in Optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        try:
            ds = DaskStorage(storage=inner, client=client)
        except Exception as exc:
            raise ConfigError(
                "storage",
                storage,
                STORAGE_ALLOWED + " the Dask scheduler can open",
                f"{type(exc).__name__}: {exc}",
            ) from None
    spec = StorageSpec("dask", ds.name)
    _OPEN[(spec.kind, spec.target)] = ds
    return ds, spec


def local_study_storage(storage: Any, dask: Any) -> Any:
    """After a Dask search: the study's storage as this process can keep reading it (the
    journal file or database itself, else a copy in memory of the scheduler's)."""
    parsed = parse_storage(storage)
    if isinstance(parsed, StorageSpec) and (parsed.kind == "url" or Path(parsed.target).exists()):
        return open_storage(parsed)
    if parsed is not None and not isinstance(parsed, StorageSpec):
        return parsed
    return dask.get_base_storage()


def open_storage(spec: StorageSpec, *, create: bool = False) -> Any:
    """The storage object of ``spec``, opened once per process."""
    key = (spec.kind, spec.target)
    hit = _OPEN.get(key)
    if hit is not None:
        return hit
    import optuna  # heavy: Optuna loads when a search runs, not with import optwidgets.tune
    from optuna.storages.journal import JournalFileBackend, JournalStorage  # heavy: Optuna

    storage: optuna.storages.BaseStorage
    if spec.kind == "journal":
        path = Path(spec.target)
        if not create and not path.exists():
            raise StorageUnreachable(
                f"the study's journal file {spec.target} does not exist on {socket.gethostname()}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        storage = JournalStorage(JournalFileBackend(str(path)))
    elif spec.kind == "dask":
        # optional: optuna-integration; a Dask worker reaches the scheduler's storage
        from optuna_integration.dask import DaskStorage

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = DaskStorage(name=spec.target, register=False)
    elif spec.kind == "object":
        storage = spec.obj
    else:
        storage = optuna.storages.RDBStorage(spec.target)
    _OPEN[key] = storage
    return storage


def forget_storage(spec: StorageSpec | None, tmp: str | None = None) -> None:
    """Drop a cached storage (and remove a temporary folder)."""
    if spec is not None:
        _OPEN.pop((spec.kind, spec.target), None)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
