"""Where a study lives, and how a worker process reaches the same place.

``storage=`` -> Optuna storage:

- ``None``, one process: ``InMemoryStorage`` (gone with the kernel).
- ``None``, several workers: a journal file in a temporary folder, copied into memory
  when the search ends.
- a file path (``"runs/study.log"``): ``JournalStorage(JournalFileBackend(path))``, an
  append-only log that several processes on one machine write safely (a file lock);
  a study resumes from it after a restart. Optuna recommends it over SQLite for
  parallel writers.
- a database URL (``"postgresql://user@host/db"``, ``"sqlite:///x.db"``): ``RDBStorage``,
  the choice for Dask workers on several machines.
- an optuna storage object: used as is (one process only).

Workers get a :class:`StorageSpec` (plain, picklable) and open the storage once per
process (:func:`open_storage` caches it), so each trial only reads the new log lines.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optwidgets.core.errors import ConfigError

__all__ = ["StorageSpec", "resolve_storage", "open_storage", "StorageUnreachable"]

_OPEN: dict[tuple[str, str], Any] = {}  # per process: spec -> storage object


class StorageUnreachable(RuntimeError):
    """A worker cannot see the study's journal file (another machine, no shared disk)."""


@dataclass(frozen=True)
class StorageSpec:
    """A storage a worker process can open: ``kind`` is ``journal`` or ``url``."""

    kind: str
    target: str

    def describe(self) -> str:
        return self.target


def resolve_storage(storage: Any, *, workers: bool) -> tuple[Any, StorageSpec | None, str | None]:
    """-> (storage for this process, spec for workers or None, temporary folder or None)."""
    import optuna

    if storage is None:
        if not workers:
            return optuna.storages.InMemoryStorage(), None, None
        tmp = tempfile.mkdtemp(prefix="optwidgets-study-")
        spec = StorageSpec("journal", str(Path(tmp) / "study.log"))
        return open_storage(spec, create=True), spec, tmp
    if isinstance(storage, optuna.storages.BaseStorage):
        if workers:
            raise ConfigError(
                "storage",
                storage,
                "a file path or a database URL when trials "
                "run in other processes (n_workers > 1 or executor='dask')",
            )
        return storage, None, None
    if isinstance(storage, (str, os.PathLike)):
        text = os.fspath(storage)
        if not text:
            raise ConfigError("storage", storage, "a file path or a database URL")
        if "://" in text:
            spec = StorageSpec("url", text)
        else:
            path = Path(text).expanduser().resolve()
            if path.is_dir():
                raise ConfigError(
                    "storage",
                    text,
                    "a file path (the journal file), not a folder",
                    f"e.g. {str(path / 'study.log')!r}",
                )
            spec = StorageSpec("journal", str(path))
        try:
            return open_storage(spec, create=True), spec, None
        except (OSError, ImportError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(
                "storage",
                text,
                "a writable file path or a reachable database URL",
                f"{type(exc).__name__}: {exc}",
            ) from None
    raise ConfigError("storage", storage, "None, a file path or a database URL")


def open_storage(spec: StorageSpec, *, create: bool = False) -> Any:
    """The storage object of ``spec``, opened once per process."""
    key = (spec.kind, spec.target)
    hit = _OPEN.get(key)
    if hit is not None:
        return hit
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    if spec.kind == "journal":
        path = Path(spec.target)
        if not create and not path.exists():
            import socket

            raise StorageUnreachable(
                f"the study's journal file {spec.target} does not exist on {socket.gethostname()}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        storage: optuna.storages.BaseStorage = JournalStorage(JournalFileBackend(str(path)))
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
