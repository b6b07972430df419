"""Transfer learning: start a run from what another model learned.

``RunConfig.transfer`` picks how:

============== ============================================================================
``scratch``    no source; every weight starts from its seeded random initialisation
``feature_     the source's backbone is loaded and frozen (``requires_grad=False``, its
extraction``   BatchNorm layers kept in eval mode); only the new classifier head trains
``fine_tune``  the source's backbone is loaded and trained too, at
               ``lr * backbone_lr_scale``; the new head trains at ``lr``
============== ============================================================================

``RunConfig.source`` names where the weights come from:

- a built-in source from :data:`SOURCES` (``"digits_0_4_cnn"``: the ``cnn`` trained on
  digits 0-4). optwidgets trains it itself, offline, the first time it is asked for, and
  caches it as ``data_home()/sources/<name>.pt`` beside ``<name>.json`` (its config and
  SHA-256); a missing file, a changed recipe or a hash that does not match makes it anew;
- a weights file, ``"/path/model.pt"``: a state dict saved with
  ``torch.save(model.state_dict(), path)`` and read with ``torch.load(...,
  weights_only=True)`` (a pickled whole module is refused: loading it could run code);
- the id of a stored run (its weights in the :class:`~optwidgets.runs.RunStore`).

The *head* is the model's last ``nn.Linear`` (every zoo model ends in one); everything
else is the *backbone*. The head is always replaced by the run's own freshly initialised
one, so the class count may differ from the source's; the backbone must fit exactly
(same family, same widths, same input channels / features), or the error says which
tensor does not.

Example
-------
>>> import optwidgets as ow
>>> cfg = ow.RunConfig(dataset="digits", model="cnn", classes=(5, 6, 7, 8, 9),
...                    labels_per_class=5, transfer="fine_tune", source="digits_0_4_cnn",
...                    batch_size=16, epochs=20)
>>> ow.run(cfg, store=False).metrics["test_acc"] > 0.5  # doctest: +SKIP
True
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import io
import json
import os
import pickle
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from filelock import FileLock
from torch import nn

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError, closest_names
from optwidgets.core.io import atomic_write
from optwidgets.data import Dataset, data_home
from optwidgets.data.download import CHECKSUMS
from optwidgets.runs.prepare import build_model_for, prepare_data, seed_everything
from optwidgets.runs.store import RunStore, default_store
from optwidgets.train.callbacks import RunState
from optwidgets.train.trainer import Trainer, evaluate

__all__ = [
    "SOURCES",
    "SourceSpec",
    "SourceInfo",
    "source_names",
    "available_sources",
    "ensure_source",
    "load_source",
    "head_name",
    "transfer_weights",
    "freeze_backbone",
    "prepare_transfer",
]


@dataclass(frozen=True)
class SourceSpec:
    """A built-in source: the run that makes it, and what it needs on disk."""

    name: str
    description: str
    config: dict[str, Any]  # RunConfig fields of the source run (seeded: made the same way)
    needs: tuple[str, ...] = ()  # downloadable datasets whose files must already be present


_DIGITS_0_4 = {"dataset": "digits", "classes": (0, 1, 2, 3, 4), "seed": 0, "device": "cpu",
               "optimizer": "adam", "lr": 3e-3, "batch_size": 64, "preprocess": "standardize"}

SOURCES: dict[str, SourceSpec] = {
    "digits_0_4_cnn": SourceSpec(
        "digits_0_4_cnn", "cnn (width 32) trained on digits 0-4 (scikit-learn, offline)",
        {**_DIGITS_0_4, "model": "cnn", "width": 32, "epochs": 10}),
    "digits_0_4_mlp": SourceSpec(
        "digits_0_4_mlp", "mlp (hidden 128, relu) trained on digits 0-4 (offline)",
        {**_DIGITS_0_4, "model": "mlp", "hidden": (128,), "activation": "relu", "epochs": 20}),
    "mnist_cnn": SourceSpec(
        "mnist_cnn", "cnn (width 32) trained on MNIST, e.g. for Fashion-MNIST "
        "(needs the MNIST files in the data home)",
        {"dataset": "mnist", "model": "cnn", "width": 32, "epochs": 2, "seed": 0,
         "device": "auto", "optimizer": "adam", "lr": 3e-3, "batch_size": 128,
         "preprocess": "standardize"},
        needs=("mnist",)),
}

# Settings of the source run that decide the backbone's shapes or meaning: a run using the
# source must match them (checked before anything is made or loaded).
_ARCH_FIELDS = {"cnn": ("width",), "cnn_small": (), "resnet_tiny": ("width",),
                "mlp": ("hidden", "activation"), "mlp_small": ("activation",)}


@dataclass
class SourceInfo:
    """Where a source's weights came from (returned by :func:`ensure_source`)."""

    name: str  # built-in name, file path or run id
    kind: str  # "builtin" | "file" | "run"
    path: Path | None = None
    sha256: str = ""
    config: dict[str, Any] = field(default_factory=dict)  # the source run's RunConfig fields
    input_shape: tuple[int, ...] | None = None
    num_classes: int | None = None
    test_acc: float | None = None  # built-in: accuracy on its own held-out test split


def source_names() -> list[str]:
    """Names of the built-in sources.

    Example
    -------
    >>> from optwidgets.runs.transfer import source_names
    >>> source_names()[:2]
    ['digits_0_4_cnn', 'digits_0_4_mlp']
    """
    return list(SOURCES)


def _missing_files(spec: SourceSpec) -> list[str]:
    return [f"{ds}/{f}" for ds in spec.needs for f in CHECKSUMS.get(ds, {})
            if not (data_home() / ds / f).exists()]


def available_sources() -> list[str]:
    """Built-in sources that can be made here without a download (their data is present).

    Example
    -------
    >>> from optwidgets.runs.transfer import available_sources
    >>> "digits_0_4_cnn" in available_sources()
    True
    """
    return [n for n, s in SOURCES.items() if not _missing_files(s)]


# ---------------------------------------------------------------------------------------
# built-in sources: made once, cached with config and SHA-256

def _sources_dir() -> Path:
    d = data_home() / "sources"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _spec_config(spec: SourceSpec) -> dict[str, Any]:
    return RunConfig(**spec.config).to_dict()


def _read_cached(spec: SourceSpec) -> SourceInfo | None:
    """The cached source if its JSON, recipe and weights' SHA-256 all check out."""
    folder = _sources_dir()
    pt, meta = folder / f"{spec.name}.pt", folder / f"{spec.name}.json"
    try:
        info = json.loads(meta.read_text())
        data = pt.read_bytes()
    except (OSError, ValueError):
        return None
    if info.get("config") != _spec_config(spec) or info.get("sha256") != _sha256(data):
        return None  # a changed recipe, or a truncated / replaced weights file: make anew
    return SourceInfo(spec.name, "builtin", pt, info["sha256"], info["config"],
                      tuple(info["input_shape"]), int(info["num_classes"]), info.get("test_acc"))


@contextlib.contextmanager
def _rng_kept():
    """Making a source trains a model; the caller's random streams must not notice."""
    py, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        yield
    random.setstate(py)
    np.random.set_state(np_state)


def ensure_source(name: str, *, remake: bool = False) -> SourceInfo:
    """The built-in source ``name``, made first if it is not cached (or does not check out).

    Making it is one seeded ``ow.run`` of the source's config (a few seconds for the digits
    sources on a CPU), not saved in any RunStore. The weights go to
    ``data_home()/sources/<name>.pt`` and ``<name>.json`` records the config, the SHA-256
    of the weights, the input shape, the class count and the source's own test accuracy.
    A file lock keeps two processes from making the same source at once.

    Parameters
    ----------
    name : str
        A key of :data:`SOURCES`.
    remake : bool
        Train it again even when the cache checks out.

    Returns
    -------
    SourceInfo

    Raises
    ------
    ConfigError
        Unknown name (closest names suggested), or a source whose data is not present.

    Example
    -------
    >>> from optwidgets.runs.transfer import ensure_source
    >>> info = ensure_source("digits_0_4_cnn")  # doctest: +SKIP
    >>> info.num_classes, info.input_shape  # doctest: +SKIP
    (5, (1, 8, 8))
    """
    if name not in SOURCES:
        raise _unknown_source(name)
    spec = SOURCES[name]
    if not remake and (info := _read_cached(spec)) is not None:
        return info
    missing = _missing_files(spec)
    if missing:
            raise ConfigError(
            "source", name, "a source whose training data is present: "
            + ", ".join(map(repr, available_sources())),
            f"{name!r} is trained on {', '.join(spec.needs)}, whose files are not in "
            f"{data_home()} (missing: {', '.join(missing)}); "
            f"ow.data.load_dataset({spec.needs[0]!r}) downloads them once")
    folder = _sources_dir()
    with FileLock(str(folder / f"{name}.lock")):
        if not remake and (info := _read_cached(spec)) is not None:
            return info  # another process made it while we waited
        cfg = RunConfig(**spec.config)
        with _rng_kept():
            model, d, test_acc = _train_source(cfg)
        buf = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buf)
        data = buf.getvalue()
        meta = {"name": name, "description": spec.description, "config": cfg.to_dict(),
                "sha256": _sha256(data), "input_shape": list(d.input_shape),
                "num_classes": d.num_classes, "class_names": list(d.class_names),
                "test_acc": test_acc, "device": "cpu",
                "torch": torch.__version__,
                "made_at": _dt.datetime.now().isoformat(timespec="seconds")}
        atomic_write(folder / f"{name}.pt", data)
        atomic_write(folder / f"{name}.json", json.dumps(meta, indent=1).encode())
    info = _read_cached(spec)
    assert info is not None
    return info


def _train_source(cfg: RunConfig) -> tuple[nn.Module, Dataset, float]:
    """Train a built-in source: the same seeded steps a run's train phase takes, on the CPU
    (so the cached weights do not depend on the machine's GPU). Returns the trained model,
    its prepared data and its test accuracy."""
    seed_everything(cfg.seed)
    data = prepare_data(cfg)
    model = build_model_for(cfg, data.input_shape, data.num_classes)
    Trainer(model, data, cfg, run=RunState(cfg, f"source-{cfg.dataset}")).fit(cfg.epochs)
    _, test_acc, _ = evaluate(model, data.X_test, data.y_test)
    return model, data, test_acc


# ---------------------------------------------------------------------------------------
# resolving a source to a state dict

def _unknown_source(value: str) -> ConfigError:
    close = closest_names(value, SOURCES)
    hint = (f"did you mean {' or '.join(map(repr, close))}?" if close
            else "give a built-in name, a path to weights saved with "
                 "torch.save(model.state_dict(), path), or a stored run id")
    return ConfigError("source", value, "a built-in source (" + ", ".join(map(repr, SOURCES))
                       + "), a .pt weights file or the id of a stored run", hint)


def _looks_like_path(source: str) -> bool:
    return (os.sep in source or "/" in source or source.endswith((".pt", ".pth", ".bin"))
            or source.startswith("~"))


def _plain_state_dict(obj: Any, source: str) -> dict[str, torch.Tensor]:
    if isinstance(obj, Mapping):
        for key in ("state_dict", "model_state_dict", "model"):  # common checkpoint layouts
            inner = obj.get(key)
            if isinstance(inner, Mapping) and inner and all(
                    isinstance(v, torch.Tensor) for v in inner.values()):
                obj = inner
                break
        if obj and all(isinstance(k, str) and isinstance(v, torch.Tensor)
                       for k, v in obj.items()):
            return dict(obj)
    raise ConfigError("source", source, "a state dict: names mapped to tensors, as saved by "
                      "torch.save(model.state_dict(), path)",
                      f"the file holds a {type(obj).__name__} of other things")


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # terminal colour/bold codes


def _unpickling_reason(exc: Exception) -> str:
    """torch's one-line reason for refusing a file, without its terminal escape codes.

    torch >= 2.6 opens the message with advice in bold (``\\x1b[1m``) and names the
    refused class in the first sentence of a ``WeightsUnpickler error:`` line: that
    sentence is the reason (without such a line, the message's first sentence).

    Example
    -------
    >>> _unpickling_reason(Exception("\\x1b[1mbold\\x1b[0m advice\\n\\tWeightsUnpickler error: "
    ...                               "Unsupported global: GLOBAL a.B. Please use ..."))
    'WeightsUnpickler error: Unsupported global: GLOBAL a.B'
    """
    lines = [line.strip() for line in _ANSI.sub("", str(exc)).splitlines() if line.strip()]
    reason = next((line for line in lines if line.startswith("WeightsUnpickler error")),
                  lines[0] if lines else type(exc).__name__)
    reason = reason.split(". ")[0].rstrip(".")  # its first sentence; the rest is advice
    return reason if len(reason) <= 160 else reason[:159] + "…"


def _load_file(source: str) -> tuple[dict[str, torch.Tensor], SourceInfo]:
    path = Path(source).expanduser()
    if not path.is_file():
        raise ConfigError("source", source, "an existing weights file (or a built-in name: "
                          + ", ".join(map(repr, SOURCES)) + ")", f"no file at {path}")
    data = path.read_bytes()
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = _unpickling_reason(exc)
        raise ConfigError(
            "source", source, "a file of plain weights, saved with "
            "torch.save(model.state_dict(), path)",
            "it is not plain weights: it holds pickled Python objects (e.g. a whole "
            "nn.Module) or is not a torch file, and loading it with weights_only=True was "
            f"refused, since unpickling can run code ({first})") from None
    except Exception as exc:  # a damaged or foreign file: torch raises many kinds
        raise ConfigError("source", source, "a weights file written by torch.save",
                          f"cannot read it: {type(exc).__name__}: {exc}") from None
    return _plain_state_dict(obj, source), SourceInfo(source, "file", path, _sha256(data))


def load_source(source: str, *, store: RunStore | None = None
                ) -> tuple[dict[str, torch.Tensor], SourceInfo]:
    """The weights ``source`` names, on the CPU, and where they came from.

    Parameters
    ----------
    source : str
        A built-in name (made on first use, see :func:`ensure_source`), a path to a
        weights file, or the id of a run stored with its weights in ``store``.
    store : RunStore, optional
        Where run ids are looked up; default: the default store.

    Returns
    -------
    (state_dict, SourceInfo)

    Raises
    ------
    ConfigError
        Naming ``source``: an unknown name (closest built-in names suggested), a missing
        file, or a file that is not plain weights.

    Example
    -------
    >>> import tempfile, torch
    >>> from optwidgets.runs.transfer import load_source
    >>> path = tempfile.mkdtemp() + "/lin.pt"
    >>> torch.save(torch.nn.Linear(2, 3).state_dict(), path)
    >>> sorted(load_source(path)[0])
    ['bias', 'weight']
    """
    if not isinstance(source, str) or not source:
        raise _unknown_source(str(source))
    if source in SOURCES:
        info = ensure_source(source)
        assert info.path is not None
        return torch.load(info.path, map_location="cpu", weights_only=True), info
    if _looks_like_path(source) or Path(source).expanduser().is_file():
        return _load_file(source)
    if store is None:
        store = default_store()
    path = store.weights_path(source)
    if path is not None:
        state, info = _load_file(str(path))
        cfg = store.load(source).config
        info.name, info.kind, info.config = source, "run", cfg.to_dict()
        return state, info
    raise _unknown_source(source)


# ---------------------------------------------------------------------------------------
# backbone and head

def head_name(model: nn.Module) -> str:
    """Qualified name of the classifier head: the model's last ``nn.Linear``.

    Example
    -------
    >>> from optwidgets.models import build_model
    >>> head_name(build_model("cnn", (1, 8, 8), 10))
    '9'
    >>> head_name(build_model("resnet_tiny", (1, 8, 8), 10))
    'classifier.1'
    """
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not names:
        raise ConfigError("model", type(model).__name__,
                          "a model whose classifier head is an nn.Linear (its last one)",
                          "transfer learning replaces that head and keeps the rest")
    return names[-1]


def _is_head_key(key: str, head: str) -> bool:
    return key.startswith(head + ".")


def _arch_hint(info: SourceInfo | None, model: nn.Module, data: Dataset | None,
               cfg: RunConfig | None) -> str:
    parts = []
    if info is not None and info.config:
        c = info.config
        keys = _ARCH_FIELDS.get(c.get("model", ""), ())
        opts = "".join(f", {k}={tuple(c[k]) if isinstance(c[k], list) else c[k]!r}"
                       for k in keys)
        shape = f" on input {info.input_shape}" if info.input_shape else ""
        parts.append(f"the source is model={c.get('model')!r}{opts}{shape}")
    if cfg is not None:
        keys = _ARCH_FIELDS.get(cfg.model, ())
        opts = "".join(f", {k}={getattr(cfg, k)!r}" for k in keys)
        shape = f" on input {data.input_shape}" if data is not None else ""
        parts.append(f"this run builds model={cfg.model!r}{opts}{shape}")
    return "; ".join(parts)


def transfer_weights(model: nn.Module, state: Mapping[str, torch.Tensor], *, source: str = "source",
                     info: SourceInfo | None = None, data: Dataset | None = None,
                     cfg: RunConfig | None = None) -> list[str]:
    """Copy the backbone tensors of ``state`` into ``model``; its head stays as it is.

    Every parameter and buffer of the model outside the head must be in ``state`` with the
    same shape (same family, widths and input channels / features); the source's own head
    is ignored, so the class count may differ.

    Returns
    -------
    list of str
        The names of the copied tensors.

    Raises
    ------
    ConfigError
        Naming ``source``: which tensor is missing or has another shape, and, when known,
        the architecture and input shape of the source and of this run.

    Example
    -------
    >>> import torch
    >>> from optwidgets.models import build_model
    >>> src = build_model("mlp", (4,), 3, hidden=(8,))
    >>> dst = build_model("mlp", (4,), 2, hidden=(8,))
    >>> transfer_weights(dst, src.state_dict())
    ['1.weight', '1.bias']
    >>> torch.equal(dst[1].weight, src[1].weight)
    True
    """
    head = head_name(model)
    own = model.state_dict()
    picked: dict[str, torch.Tensor] = {}
    for key, mine in own.items():
        if _is_head_key(key, head):
            continue
        theirs = state.get(key)
        problem = None
        if theirs is None:
            problem = (f"it has no tensor {key!r} (it has "
                       f"{', '.join(list(state)[:6])}{', ...' if len(state) > 6 else ''}): "
                       "is it the same model family?")
        elif tuple(theirs.shape) != tuple(mine.shape):
            problem = (f"its tensor {key!r} has shape {tuple(theirs.shape)}, this model needs "
                       f"{tuple(mine.shape)}")
        if problem:
            arch = _arch_hint(info, model, data, cfg)
            raise ConfigError(
                "source", source,
                "weights whose backbone fits this model: the same family, widths and input "
                "channels / features (the classifier head is replaced, so the class count "
                "may differ, but the input must fit)",
                problem + (f"; {arch}" if arch else ""))
        assert theirs is not None
        picked[key] = theirs.to(dtype=mine.dtype)
    model.load_state_dict({**own, **picked})
    return list(picked)


class _FrozenBatchNorm1d(nn.BatchNorm1d):
    """A BatchNorm that stays in eval mode (running statistics, no updates)."""

    def train(self, mode: bool = True) -> _FrozenBatchNorm1d:
        return super().train(False)


class _FrozenBatchNorm2d(nn.BatchNorm2d):
    def train(self, mode: bool = True) -> _FrozenBatchNorm2d:
        return super().train(False)


class _FrozenBatchNorm3d(nn.BatchNorm3d):
    def train(self, mode: bool = True) -> _FrozenBatchNorm3d:
        return super().train(False)


_FROZEN = {nn.BatchNorm1d: _FrozenBatchNorm1d, nn.BatchNorm2d: _FrozenBatchNorm2d,
           nn.BatchNorm3d: _FrozenBatchNorm3d}


def freeze_backbone(model: nn.Module) -> list[str]:
    """Freeze everything but the head: ``requires_grad=False``, BatchNorm kept in eval mode.

    Why BatchNorm too: in train mode a BatchNorm normalizes with the statistics of each
    (small, new-task) batch and overwrites its running statistics, so a "frozen" backbone
    would still change what it computes, and differ between training and test. A frozen
    layer keeps its class's state-dict keys (the weights load into a plain model) but
    ignores ``model.train()``. Other norms with running statistics stop updating them.

    Returns
    -------
    list of str
        Names of the frozen parameters.

    Example
    -------
    >>> from optwidgets.models import build_model
    >>> net = build_model("cnn", (1, 8, 8), 5)
    >>> frozen = freeze_backbone(net.train())
    >>> net[1].training, net[9].weight.requires_grad, "0.weight" in frozen
    (False, True, True)
    """
    head = head_name(model)
    frozen = []
    for name, p in model.named_parameters():
        if not _is_head_key(name, head):
            p.requires_grad_(False)
            frozen.append(name)
    for name, m in model.named_modules():
        if name == head or name.startswith(head + "."):
            continue
        cls = _FROZEN.get(type(m))
        if cls is not None:
            m.__class__ = cls
            m.eval()
        elif isinstance(m, nn.modules.batchnorm._NormBase) and m.track_running_stats:
            m.momentum = 0.0  # keep its running statistics as the source left them
    return frozen


def _check_builtin_fits(spec: SourceSpec, cfg: RunConfig) -> None:
    want = spec.config["model"]
    if cfg.model != want:
        same = [n for n, s in SOURCES.items() if s.config["model"] == cfg.model]
        raise ConfigError(
            "source", spec.name, f"a source for model={cfg.model!r}"
            + (f" ({', '.join(map(repr, same))})" if same else " (none is built in)"),
            f"{spec.name!r} is a {want!r}; its weights fit only a {want!r}: set "
            f"model={want!r} or pick another source")
    src = RunConfig(**spec.config)
    for key in _ARCH_FIELDS.get(want, ()):
        if getattr(cfg, key) != getattr(src, key):
            raise ConfigError(
                key, getattr(cfg, key), f"{getattr(src, key)!r}, as source {spec.name!r} "
                f"was trained with", "the backbone's weights fit only the same architecture")


def prepare_transfer(model: nn.Module, cfg: RunConfig, *, data: Dataset | None = None,
                     store: RunStore | None = None) -> tuple[nn.Module, list[dict] | None]:
    """Apply ``cfg.transfer`` to a freshly built ``model``: load, freeze, group parameters.

    Parameters
    ----------
    model : nn.Module
        The run's model, built and seeded (its head keeps that initialisation).
    cfg : RunConfig
        ``transfer``, ``source``, ``lr`` and ``backbone_lr_scale`` are used.
    data : Dataset, optional
        The run's data, named in error messages (input shape).
    store : RunStore, optional
        Where a run-id source is looked up.

    Returns
    -------
    (model, param_groups)
        ``param_groups`` for the train phase's optimizer, or ``None`` for ``scratch``.
        ``feature_extraction``: one group, the head at ``lr``. ``fine_tune``: the backbone
        at ``lr * backbone_lr_scale`` (group ``"backbone"``), the head at ``lr``
        (group ``"head"``).

    Raises
    ------
    ConfigError
        A source that cannot be found, read or does not fit (see :func:`load_source`,
        :func:`transfer_weights`); raised before the run starts.

    Example
    -------
    >>> import optwidgets as ow
    >>> from optwidgets.runs import build_model_for
    >>> cfg = ow.RunConfig(dataset="digits", model="cnn", classes=(5, 6, 7, 8, 9),
    ...                    transfer="fine_tune", source="digits_0_4_cnn")
    >>> net, groups = prepare_transfer(build_model_for(cfg), cfg)  # doctest: +SKIP
    >>> [(g["name"], g["lr"]) for g in groups]  # doctest: +SKIP
    [('backbone', 0.0003), ('head', 0.003)]
    """
    if cfg.transfer == "scratch":
        return model, None
    if cfg.source in SOURCES:
        _check_builtin_fits(SOURCES[cfg.source], cfg)
    state, info = load_source(cfg.source, store=store)
    transfer_weights(model, state, source=cfg.source, info=info, data=data, cfg=cfg)
    head = head_name(model)
    head_params = [p for n, p in model.named_parameters() if _is_head_key(n, head)]
    if cfg.transfer == "feature_extraction":
        freeze_backbone(model)
        return model, [{"params": head_params, "lr": cfg.lr, "name": "head"}]
    backbone = [p for n, p in model.named_parameters() if not _is_head_key(n, head)]
    return model, [{"params": backbone, "lr": cfg.lr * cfg.backbone_lr_scale, "name": "backbone"},
                   {"params": head_params, "lr": cfg.lr, "name": "head"}]
