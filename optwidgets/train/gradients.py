"""Gradient health: per-layer gradient norm and update-to-weight ratio, every k steps.

Every ``every``-th optimizer step (``RunConfig.grad_every``; 0 = off) the
:class:`GradientRecorder` measures, for each layer (a module that owns trainable
parameters, its weight and bias together):

- ``grad_norm``: the L2 norm of the layer's gradient as backpropagation left it (after
  fp16 unscaling, *before* ``grad_clip``), so an exploding gradient shows even when
  clipping tames the step;
- ``update_ratio``: ``‖Δw‖ / ‖w‖``, the L2 norm of what this optimizer step changed in the
  layer's parameters over their norm before the step (a healthy run is often quoted near
  1e-3; far below, the layer barely learns; near 1, each step rewrites it).

A record costs a few batched tensor operations (``torch._foreach_norm`` over the
gradients, a copy of the parameters, one small matrix product) and never synchronizes
with a GPU: the norms stay device tensors until :meth:`GradientRecorder.flush` reads all
of them back in one go (the trainer calls it once per epoch, where it reads the epoch's
losses anyway).

Layers are named by module path and type, ``"1 (Linear)"``, ``"features.0 (Conv2d)"``
(:func:`layer_label`), in the model's order.

Example
-------
>>> import torch
>>> from torch import nn
>>> _ = torch.manual_seed(0)
>>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
>>> rec = GradientRecorder(every=1)
>>> rec.bind(net, "train")
>>> loss = net(torch.randn(16, 4)).square().mean()
>>> loss.backward()
>>> monitor = rec.at(step=1, epoch=1)
>>> monitor.before_step()
>>> opt.step()
>>> monitor.after_step()
>>> frame = rec.frame()
>>> frame["layer"].tolist()
['0 (Linear)', '2 (Linear)']
>>> bool((frame["grad_norm"] > 0).all() and (frame["update_ratio"] > 0).all())
True
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from optwidgets.core.errors import ConfigError

__all__ = ["GRADIENT_COLUMNS", "GradientRecorder", "layer_groups", "layer_label",
           "live_recorder", "empty_gradients"]

# one row per (recorded step, layer)
GRADIENT_COLUMNS = ["step", "epoch", "phase", "layer", "grad_norm", "update_ratio"]


def empty_gradients() -> pd.DataFrame:
    """A gradient frame without rows (a run with ``grad_every=0``).

    Example
    -------
    >>> list(empty_gradients().columns)
    ['step', 'epoch', 'phase', 'layer', 'grad_norm', 'update_ratio']
    """
    return pd.DataFrame({"step": pd.Series(dtype="int64"), "epoch": pd.Series(dtype="int64"),
                         "phase": pd.Series(dtype=object), "layer": pd.Series(dtype=object),
                         "grad_norm": pd.Series(dtype="float64"),
                         "update_ratio": pd.Series(dtype="float64")})


def layer_label(path: str, module: nn.Module) -> str:
    """A readable layer name: module path and type (the whole model: its type alone).

    Example
    -------
    >>> layer_label("features.0", nn.Conv2d(1, 2, 3)), layer_label("", nn.Linear(2, 2))
    ('features.0 (Conv2d)', 'Linear')
    """
    kind = type(module).__name__
    return f"{path} ({kind})" if path else kind


def layer_groups(model: nn.Module) -> list[tuple[str, list[nn.Parameter]]]:
    """``(label, parameters)`` for each module that owns trainable parameters directly,
    in the model's order (frozen parameters, e.g. a feature-extraction backbone, left out).

    Example
    -------
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.LayerNorm(4), nn.Linear(4, 2))
    >>> [(name, len(ps)) for name, ps in layer_groups(net)]
    [('0 (Linear)', 2), ('2 (LayerNorm)', 2), ('3 (Linear)', 2)]
    """
    out: list[tuple[str, list[nn.Parameter]]] = []
    seen: set[int] = set()
    for path, module in model.named_modules():
        params = [p for p in module.parameters(recurse=False)
                  if p.requires_grad and id(p) not in seen]  # a shared tensor counts once
        seen.update(id(p) for p in params)
        if params:
            out.append((layer_label(path, module), params))
    return out


def _norms(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """L2 norm of each tensor, as one float32 vector (one batched kernel where torch has it)."""
    foreach = getattr(torch, "_foreach_norm", None)
    if foreach is not None:
        return torch.stack(foreach(tensors)).float()
    return torch.stack([torch.linalg.vector_norm(t) for t in tensors]).float()  # pragma: no cover


# recorders of the runs going on now, by run id (a live view finds its run's records here)
_LIVE: weakref.WeakValueDictionary[str, GradientRecorder] = weakref.WeakValueDictionary()


def live_recorder(run_id: str) -> GradientRecorder | None:
    """The recorder of the run ``run_id`` while it trains (None: none, or recording off).

    A dashboard's view reads :meth:`GradientRecorder.frame` from it between epochs.

    Example
    -------
    >>> rec = GradientRecorder(every=5, run_id="doc-run")
    >>> live_recorder("doc-run") is rec, live_recorder("another") is None
    (True, True)
    """
    return _LIVE.get(run_id)


class GradientRecorder:
    """Records per-layer gradient norms and update ratios every ``every`` steps.

    The trainer calls :meth:`bind` when a fit starts (each phase: train, fine-tune,
    distill), :meth:`at` before each step (the recorder itself on a step to record, else
    None), and :meth:`flush` at each epoch's end. :func:`train_step` calls
    ``before_step()`` between backward and clipping, ``after_step()`` after the step.

    Parameters
    ----------
    every : int
        Steps between two records (>= 1); step ``s`` (1-based, counted over the whole run)
        is recorded when ``s % every == 0``.
    run_id : str, optional
        Registers the recorder for :func:`live_recorder` while it lives.

    Attributes
    ----------
    labels : list of str
        The bound model's layer names.
    rows : list of tuple
        Records read back so far, in :data:`GRADIENT_COLUMNS` order.
    """

    def __init__(self, every: int, *, run_id: str | None = None) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError("grad_every", every, "an integer >= 1 (steps between records)")
        self.every = every
        self.labels: list[str] = []
        self.rows: list[tuple[int, int, str, str, float, float]] = []
        self._phase = ""
        self._data: list[torch.Tensor] = []  # detached views of the parameters
        self._members: torch.Tensor | None = None  # (params, layers) 0/1 matrix
        self._pending: list[tuple[int, int, str, list[str], torch.Tensor]] = []
        self._step = self._epoch = 0
        self._grad_norms: torch.Tensor | None = None
        self._before: list[torch.Tensor] = []
        if run_id is not None:
            _LIVE[run_id] = self

    def bind(self, model: nn.Module, phase: str) -> None:
        """Record ``model``'s layers from now on (a fit's start; its phase names the rows)."""
        groups = layer_groups(model)
        self.labels = [name for name, _ in groups]
        self._params = [p for _, ps in groups for p in ps]
        self._data = [p.detach() for p in self._params]
        self._phase = phase
        if not self._params:
            self._members = None
            return
        device = self._params[0].device
        members = torch.zeros(len(self._params), len(groups), device=device)
        i = 0
        for j, (_, ps) in enumerate(groups):
            members[i:i + len(ps), j] = 1.0
            i += len(ps)
        self._members = members

    def at(self, step: int, epoch: int) -> GradientRecorder | None:
        """Self if step ``step`` (of ``epoch``) is one to record, else None."""
        if step % self.every or self._members is None:
            return None
        self._step, self._epoch = step, epoch
        return self

    def before_step(self) -> None:
        """Between backward and the optimizer step: the gradients' norms, the weights."""
        grads = [p.grad if p.grad is not None else torch.zeros_like(d)
                 for p, d in zip(self._params, self._data)]
        self._grad_norms = _norms(grads)
        # a copy of the weights before the step (one batched op): Δw after it
        self._before = list(torch._foreach_mul(self._data, 1.0))

    def after_step(self) -> None:
        """After the optimizer step: the update's norm; keeps the record (on the device)."""
        if self._grad_norms is None or self._members is None:
            return
        delta = torch._foreach_sub(self._data, self._before)
        # one batched norm for the updates and the old weights; (3, params) squared norms
        sq = torch.cat([self._grad_norms, _norms([*delta, *self._before])]).view(3, -1).square()
        per_layer = (sq @ self._members).sqrt()  # (3, layers): grad, update, weight norms
        ratio = per_layer[1] / per_layer[2]  # a zero weight gives inf / nan (None when saved)
        self._pending.append((self._step, self._epoch, self._phase, self.labels,
                              torch.stack([per_layer[0], ratio])))
        self._grad_norms, self._before = None, []

    def flush(self) -> None:
        """Read the pending records back (one device read for all of them)."""
        if not self._pending:
            return
        values = torch.stack([t for *_, t in self._pending]).cpu().tolist()
        for (step, epoch, phase, labels, _), (grads, ratios) in zip(self._pending, values):
            self.rows.extend((step, epoch, phase, name, g, r)
                             for name, g, r in zip(labels, grads, ratios))
        self._pending = []

    def frame(self) -> pd.DataFrame:
        """Every record so far, one row per (step, layer): :data:`GRADIENT_COLUMNS`."""
        self.flush()
        if not self.rows:
            return empty_gradients()
        return pd.DataFrame(self.rows, columns=GRADIENT_COLUMNS)
