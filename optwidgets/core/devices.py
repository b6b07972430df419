"""Pick the device a run uses.

Example
-------
>>> resolve_device("cpu").type
'cpu'
"""

from __future__ import annotations

import torch

from optwidgets.core.errors import ConfigError

__all__ = ["resolve_device", "available_devices"]


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """Device names this machine can run: always ``cpu``, plus ``cuda`` / ``mps``."""
    out = ["cpu"]
    if torch.cuda.is_available():
        out.insert(0, "cuda")
    if _mps_available():
        out.insert(0, "mps")
    return out


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; a named device must be present."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device", name, "one of " + ", ".join(["auto", *available_devices()]),
                          "this machine has no CUDA GPU (torch.cuda.is_available() is False)")
    if name == "mps" and not _mps_available():
        raise ConfigError("device", name, "one of " + ", ".join(["auto", *available_devices()]),
                          "Apple MPS is not available here")
    return torch.device(name)
