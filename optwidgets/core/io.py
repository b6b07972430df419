"""Files written whole or not at all, and values made JSON-safe.

Every file the kit writes (store runs, weights, cached transfer sources) goes through
:func:`atomic_write`: the bytes go to a temporary file in the same folder, are flushed
and fsynced, then renamed over the target. A rename is atomic on POSIX, so a reader
(another process, a notebook) sees the old file or the whole new one, and a crash
mid-write leaves the old file as it was.

Example
-------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a" / "x.json"
>>> atomic_write(p, b'{"ok": true}').read_bytes()
b'{"ok": true}'
>>> json_safe({"a": float("nan"), "b": (1, 2)})
{'a': None, 'b': [1, 2]}
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "json_safe"]


def atomic_write(target: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (temp file, fsync, rename); returns the path.

    The file gets the permissions the user's umask gives a new file (``0o666 & ~umask``),
    not ``mkstemp``'s private ``0o600``, so a class sharing a store can read each other's
    runs.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)  # atomic: readers see the old file or the whole new one
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once (not thread-safe in
    # theory, but every writer here sets the same value back).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def json_safe(value: Any) -> Any:
    """NaN/Inf become None; tuples become lists; nested dicts and lists are walked."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return json_safe(value.item())
    return value
