"""The model registry: names to factories ``(input_shape, num_classes, **options) -> nn.Module``.

Example
-------
>>> import torch.nn as nn
>>> from optwidgets.models import register, build_model
>>> register("linear", lambda input_shape, num_classes, **_: nn.Sequential(
...     nn.Flatten(), nn.Linear(int(torch.tensor(input_shape).prod()), num_classes)))
>>> build_model("linear", (1, 8, 8), 10)(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import torch  # noqa: F401  (used by the doctest)
from torch import nn

from optwidgets.core.errors import ConfigError, unknown_name

__all__ = ["register", "build_model", "model_names", "ModelFactory", "is_conv_model",
           "model_options", "ARCH_OPTIONS"]

ModelFactory = Callable[..., nn.Module]
_FACTORIES: dict[str, ModelFactory] = {}
_NEEDS_IMAGES: set[str] = set()


def register(name: str, factory: ModelFactory, *, needs_images: bool = False,
             overwrite: bool = True) -> None:
    """Add a model under ``name``; the factory receives ``input_shape`` and ``num_classes``
    and whichever of ``hidden, activation, width, dropout`` its signature names."""
    if not isinstance(name, str) or not name:
        raise ConfigError("model", name, "a non-empty name")
    if not callable(factory):
        raise ConfigError("factory", factory, "a callable (input_shape, num_classes, **options)")
    if name in _FACTORIES and not overwrite:
        raise ConfigError("model", name, "a name that is not registered yet")
    _FACTORIES[name] = factory
    if needs_images:
        _NEEDS_IMAGES.add(name)
    else:
        _NEEDS_IMAGES.discard(name)


def model_names() -> list[str]:
    """Registered model names, built-ins first."""
    return list(_FACTORIES)


def is_conv_model(name: str) -> bool:
    """True when the model needs image input (channels, height, width)."""
    return name in _NEEDS_IMAGES


ARCH_OPTIONS = ("hidden", "activation", "width", "dropout")  # knobs a factory may take


def model_options(name: str) -> tuple[str, ...]:
    """Which of ``hidden, activation, width, dropout`` model ``name``'s factory takes
    (all of them for a factory with ``**options``); an architecture search varies these.

    Example
    -------
    >>> model_options("mlp"), model_options("cnn")
    (('hidden', 'activation', 'dropout'), ('width', 'dropout'))
    """
    if name not in _FACTORIES:
        raise unknown_name("model", name, _FACTORIES)
    try:
        params = inspect.signature(_FACTORIES[name]).parameters
    except (TypeError, ValueError):  # builtins without a signature take no options
        return ()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return ARCH_OPTIONS
    return tuple(k for k in ARCH_OPTIONS if k in params)


def build_model(name: str, input_shape: tuple[int, ...], num_classes: int,
                **options: Any) -> nn.Module:
    """Build a registered model; options its factory does not take are ignored."""
    if name not in _FACTORIES:
        raise unknown_name("model", name, _FACTORIES)
    if name in _NEEDS_IMAGES and len(input_shape) != 3:
        raise ConfigError("model", name, "a model that takes feature vectors (e.g. 'mlp')",
                          f"{name!r} needs image input (C, H, W), the data has shape {input_shape}")
    factory = _FACTORIES[name]
    try:
        params = inspect.signature(factory).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        kwargs = options if takes_any else {k: v for k, v in options.items() if k in params}
    except (TypeError, ValueError):  # builtins without a signature
        kwargs = {}
    return factory(tuple(input_shape), int(num_classes), **kwargs)
