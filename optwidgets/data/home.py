"""Where downloaded datasets are cached.

Example
-------
>>> from optwidgets.data import data_home
>>> (data_home() / "mnist").name  # where mnist's files are cached
'mnist'
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_home", "ENV_VAR"]

ENV_VAR = "OPTWIDGETS_DATA"


def data_home() -> Path:
    """The folder datasets are cached in, created on demand.

    ``$OPTWIDGETS_DATA`` when set (and not empty), else ``~/.cache/optwidgets``.
    Each downloadable dataset lives in its own sub-folder, ``data_home() / "mnist"``.

    Returns
    -------
    pathlib.Path
        An existing, absolute folder.

    Example
    -------
    >>> from optwidgets.data import data_home
    >>> data_home().exists()
    True
    """
    env = os.environ.get(ENV_VAR, "").strip()
    home = Path(env).expanduser() if env else Path.home() / ".cache" / "optwidgets"
    home.mkdir(parents=True, exist_ok=True)
    return home.resolve()
