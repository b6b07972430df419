"""The compression step of a run: low-rank -> prune -> quantize, with fine-tuning between.

``experiment.run`` trains a model, then calls :func:`compress` with the run's config. The
order follows what each step needs: factorize first (SVD wants the dense trained weights),
prune next (masks or removed units are then fine-tuned), quantize last (quantization is
applied to the final weights; simulated quantization is fine-tuned with QAT, then frozen).
Distillation is not here: it is a training loss (:mod:`optwidgets.compress.distill`).

Example
-------
>>> import torch, torch.nn as nn
>>> from optwidgets.config import RunConfig
>>> from optwidgets.compress.pipeline import compress
>>> cfg = RunConfig(model="mlp", prune_method="weight", prune_ratio=0.5)
>>> m = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
>>> x = torch.randn(8, 1, 8, 8)
>>> out = compress(m, cfg, example_input=x, calibration=x, finetune=lambda m, e, p: m,
...                phase=print, device="cpu")
prune
>>> out.technique, sorted(out.extras)
('prune-weight', ['sparse_bytes'])
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from optwidgets.compress.lowrank import factorize
from optwidgets.compress.prune import (
    agp_schedule,
    is_masked,
    prune_filters,
    prune_neurons,
    prune_weights,
    remove_masks,
    sparse_bytes,
    step_amounts,
)
from optwidgets.compress.quantize import (
    calibrate,
    cast_weights,
    freeze,
    packed_bytes,
    quantize_int8,
    simulate_quantization,
)
from optwidgets.core.errors import ConfigError

if TYPE_CHECKING:
    from optwidgets.config import RunConfig

__all__ = ["CompressionOutcome", "compress", "preflight", "technique_label"]

Finetune = Callable[[nn.Module, int, str], nn.Module]


@dataclass
class CompressionOutcome:
    """What :func:`compress` hands back to the experiment.

    Attributes
    ----------
    model : nn.Module
        The deployable model (masks folded, simulated quantization frozen).
    extras : dict
        Sizes that are computed rather than saved, named as such: ``sparse_bytes``
        (weight pruning: CSR encoding) and ``packed_bytes`` (simulated k-bit packing).
    technique : str
        Short label, e.g. ``"prune-filter+int8"``; ``"baseline"`` when nothing ran.
    """

    model: nn.Module
    extras: dict[str, float] = field(default_factory=dict)
    technique: str = "baseline"


def _pruning_on(cfg: RunConfig) -> bool:
    return cfg.prune_method != "none" and cfg.prune_ratio > 0


def technique_label(cfg: RunConfig) -> str:
    """The compression techniques a config asks for, joined by ``+``.

    Parts in pipeline order: ``distill`` (a student is trained), ``lowrank``,
    ``prune-weight|neuron|filter`` (``-agp`` when gradual), then ``int8``, ``fp16``,
    ``bf16`` or ``sim-<k>bit`` (``-act`` with activations). ``"baseline"`` when none.

    Example
    -------
    >>> from optwidgets.config import RunConfig
    >>> technique_label(RunConfig(prune_method="filter", prune_ratio=0.5, quant_mode="int8"))
    'prune-filter+int8'
    >>> technique_label(RunConfig())
    'baseline'
    """
    parts = []
    if cfg.distill_student:
        parts.append("distill")
    if cfg.lowrank_rank > 0:
        parts.append("lowrank")
    if _pruning_on(cfg):
        agp = cfg.prune_schedule == "agp" and cfg.prune_steps > 1
        parts.append(f"prune-{cfg.prune_method}" + ("-agp" if agp else ""))
    if cfg.quant_mode == "simulated":
        parts.append(f"sim-{cfg.quant_bits}bit" + ("-act" if cfg.quant_activations else ""))
    elif cfg.quant_mode != "none":
        parts.append(cfg.quant_mode)
    return "+".join(parts) or "baseline"


def preflight(model: nn.Module, cfg: RunConfig, *, example_input: Tensor,
              device: torch.device | str) -> None:
    """Refuse, before any work, a compression the model or device cannot take.

    Cheap enough to call before training (the model's structure is what matters): it
    checks int8 against the device, filter/neuron pruning against the layers the model
    has, rehearses structured pruning (after low-rank, if on) on a deep copy so a ratio
    that would leave a layer without units is refused now, and tries the fp16/bf16 cast
    on a copy. :func:`compress` calls it first too.

    Raises
    ------
    ConfigError
        naming ``quant_mode``, ``prune_method`` or ``prune_ratio``.

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> from optwidgets.config import RunConfig
    >>> cfg = RunConfig(model="mlp", prune_method="neuron", prune_ratio=0.9)
    >>> m = nn.Sequential(nn.Linear(4, 1), nn.ReLU(), nn.Linear(1, 2))
    >>> preflight(m, cfg, example_input=torch.randn(1, 4), device="cpu")
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.ConfigError: prune_ratio=0.9 is not allowed: ...
    """
    device = torch.device(device)
    probe = example_input[:1]
    if cfg.quant_mode == "int8" and device.type != "cpu":
        raise ConfigError("quant_mode", "int8", f"'fp16', 'bf16' or 'simulated' on device "
                          f"{device.type!r}", "real int8 kernels run on the CPU only")
    if _pruning_on(cfg) and cfg.prune_method == "filter" and not any(
            isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)) for m in model.modules()):
        raise ConfigError("prune_method", "filter", "'weight' or 'neuron' for a model "
                          "without convolutions", f"{type(model).__name__} has no Conv layer")
    if _pruning_on(cfg) and cfg.prune_method == "neuron" and sum(
            isinstance(m, nn.Linear) for m in model.modules()) < 2:
        raise ConfigError("prune_method", "neuron", "'weight' or 'filter' for a model "
                          "without hidden Linear layers", "the output layer is never pruned")
    if _pruning_on(cfg) and cfg.prune_method in ("neuron", "filter"):
        trial = copy.deepcopy(model)
        if cfg.lowrank_rank > 0:
            factorize(trial, _rank(cfg), example_input=probe)
        prune = prune_neurons if cfg.prune_method == "neuron" else prune_filters
        for amount in _amounts(cfg):
            prune(trial, amount, example_input=probe)
        del trial
    if cfg.quant_mode in ("fp16", "bf16"):
        cast_weights(copy.deepcopy(model), cfg.quant_mode, example_input=probe)


def _rank(cfg: RunConfig) -> float | int:
    return cfg.lowrank_rank if cfg.lowrank_rank < 1 else int(cfg.lowrank_rank)


def _amounts(cfg: RunConfig) -> list[float]:
    steps = cfg.prune_steps if cfg.prune_schedule == "agp" else 1
    return step_amounts(agp_schedule(cfg.prune_ratio, steps))


def compress(
    model: nn.Module,
    cfg: RunConfig,
    *,
    example_input: Tensor,
    calibration: Tensor,
    finetune: Finetune,
    phase: Callable[[str], None],
    device: torch.device | str,
) -> CompressionOutcome:
    """Apply the config's compression to a trained model.

    Parameters
    ----------
    model : nn.Module
        The trained model on ``device``. It may be changed in place; use the returned one.
    cfg : RunConfig
        Reads ``lowrank_rank``, ``prune_*``, ``finetune_epochs``, ``quant_*``,
        ``qat_epochs``.
    example_input : Tensor
        A batch of inputs on ``device`` (traces structured pruning; checks casts).
    calibration : Tensor
        Training inputs (a few hundred) for int8 and activation-quantization ranges.
    finetune : callable
        ``finetune(model, epochs, "finetune") -> model`` trains with the run's settings.
        Called only with ``epochs > 0``. It must build its optimizer from the model it is
        given: structured pruning replaces parameters.
    phase : callable
        ``phase(name)`` at the start of each step: ``"lowrank"``, ``"prune"`` (once per
        pruning step), ``"quantize"``.
    device : torch.device or str
        The run's device (int8 refuses anything but the CPU).

    Returns
    -------
    CompressionOutcome
    """
    device = torch.device(device)
    preflight(model, cfg, example_input=example_input, device=device)
    extras: dict[str, float] = {}
    technique = technique_label(cfg)
    probe = example_input[:1]

    def tune(m: nn.Module, epochs: int) -> nn.Module:
        return finetune(m, epochs, "finetune") if epochs > 0 else m

    # 1. low-rank factorization
    if cfg.lowrank_rank > 0:
        phase("lowrank")
        model = tune(factorize(model, _rank(cfg), example_input=probe), cfg.finetune_epochs)

    # 2. pruning, one shot or gradual (AGP) with fine-tuning after each step
    if _pruning_on(cfg):
        for amount in _amounts(cfg):
            phase("prune")
            if cfg.prune_method == "weight":
                prune_weights(model, amount, scope=cfg.prune_scope)
            elif cfg.prune_method == "neuron":
                prune_neurons(model, amount, example_input=probe)
            else:
                prune_filters(model, amount, example_input=probe)
            model = tune(model, cfg.finetune_epochs)

    # 3. quantization
    if cfg.quant_mode == "simulated":
        phase("quantize")
        # masks stay on through QAT (carried into the simulated layers)
        simulate_quantization(model, cfg.quant_bits, activations=cfg.quant_activations)
        if cfg.quant_activations:
            calibrate(model, calibration)
        model = freeze(tune(model, cfg.qat_epochs))
        extras["packed_bytes"] = float(packed_bytes(model, cfg.quant_bits))
    elif cfg.quant_mode == "int8":
        phase("quantize")
        model = quantize_int8(remove_masks(model), calibration, example_input=probe,
                              device=device)
        if getattr(model, "int8_scheme", "") == "dynamic":
            technique = technique.replace("int8", "int8-dynamic")
    elif cfg.quant_mode in ("fp16", "bf16"):
        phase("quantize")
        model = cast_weights(remove_masks(model), cfg.quant_mode, example_input=probe)

    if is_masked(model):
        remove_masks(model)
    if cfg.prune_method == "weight" and _pruning_on(cfg):
        extras["sparse_bytes"] = float(sparse_bytes(model))
    return CompressionOutcome(model=model, extras=extras, technique=technique)
