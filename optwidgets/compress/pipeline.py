"""The compression step of a run: low-rank -> prune -> quantize, with fine-tuning between.

``experiment.run`` trains a model, then calls :func:`compress` with the run's config. The
order follows what each step needs: factorize first (SVD wants the dense trained weights),
prune next (masks or removed units are then fine-tuned), quantize last (quantization is
applied to the final weights; simulated quantization is fine-tuned with QAT, then frozen).
Distillation is not here: it is a training loss (:mod:`optwidgets.compress.distill`).

The deployed model is saved as an artefact (:mod:`optwidgets.compress.artefact`).
:func:`rebuild` replays the structural steps on a fresh model of the same config, without
training, and :func:`load_deployed` loads a saved artefact into it.

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
>>> out.technique, out.extras
('prune-weight', {})
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from optwidgets.compress.artefact import Source, load, read
from optwidgets.compress.lowrank import factorize
from optwidgets.compress.prune import (
    agp_schedule,
    check_prunable,
    is_masked,
    prune_filters,
    prune_neurons,
    prune_weights,
    remove_masks,
    step_amounts,
)
from optwidgets.compress.quantize import (
    calibrate,
    cast_weights,
    freeze,
    quantize_int8,
    simulate_quantization,
)
from optwidgets.core.errors import ConfigError

if TYPE_CHECKING:
    from optwidgets.config import RunConfig

__all__ = ["CompressionOutcome", "compress", "preflight", "technique_label", "rebuild",
           "load_deployed"]

Finetune = Callable[[nn.Module, int, str], nn.Module]


@dataclass
class CompressionOutcome:
    """What :func:`compress` hands back to the experiment.

    Attributes
    ----------
    model : nn.Module
        The deployable model (masks folded, simulated quantization frozen). Its saved
        size is ``size_bytes`` (the artefact: CSR, packed k-bit, int8, ... as it ships).
    extras : dict
        Numbers of the step that are not measurements of the model (empty today: the
        computed ``sparse_bytes`` / ``packed_bytes`` of earlier versions are now the
        saved ``size_bytes`` itself).
    technique : str
        Short label, e.g. ``"prune-filter+int8"``; ``"baseline"`` when nothing ran.
    """

    model: nn.Module
    extras: dict[str, float] = field(default_factory=dict)
    technique: str = "baseline"


def technique_label(cfg: RunConfig) -> str:
    """The compression techniques a config asks for, joined by ``+``.

    Parts in pipeline order: ``ensemble-<k>`` (k members deployed together; a run that
    distills its ensemble deploys the student, so it says ``distill``), ``distill`` (a
    student is trained), ``lowrank``, ``prune-weight|neuron|filter`` (``-agp`` when
    gradual), then ``int8``, ``fp16``, ``bf16`` or ``sim-<k>bit`` (``-act`` with
    activations). ``"baseline"`` when none.

    Example
    -------
    >>> from optwidgets.config import RunConfig
    >>> technique_label(RunConfig(prune_method="filter", prune_ratio=0.5, quant_mode="int8"))
    'prune-filter+int8'
    >>> technique_label(RunConfig())
    'baseline'
    >>> technique_label(RunConfig(ensemble=5))
    'ensemble-5'
    """
    parts = []
    if cfg.ensembling and not cfg.distilling:
        parts.append(f"ensemble-{cfg.ensemble}")
    if cfg.distilling:
        parts.append("distill")
    if cfg.low_rank:
        parts.append("lowrank")
    if cfg.pruning:
        parts.append(f"prune-{cfg.prune_method}" + ("-agp" if cfg.prune_amounts > 1 else ""))
    if cfg.simulated_quant:
        parts.append(f"sim-{cfg.quant_bits}bit" + ("-act" if cfg.quant_activations else ""))
    elif cfg.quantizing:
        parts.append(cfg.quant_mode)
    return "+".join(parts) or "baseline"


def preflight(model: nn.Module, cfg: RunConfig, *, example_input: Tensor,
              device: torch.device | str) -> None:
    """Refuse, before any work, a compression the model or device cannot take.

    Cheap enough to call before training (the model's structure is what matters): it
    checks the config against the device (``cfg.check_device``: int8 on the CPU only),
    filter/neuron pruning against the layers the model has, rehearses structured pruning
    (after low-rank, if on) on a deep copy and runs the pruned copy once, so a ratio that
    would leave a layer without units, a structure Torch-Pruning cannot follow or a forward
    that hard-codes the pruned sizes is refused now, and tries the fp16/bf16 cast on a
    copy. :func:`compress` calls it first too.

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
    cfg.check_device(torch.device(device).type)
    probe = example_input[:1]
    if cfg.pruning:
        check_prunable(model, cfg.prune_method)
    if cfg.structured_pruning:
        _rehearse_structured(model, cfg, probe)
    if cfg.quant_mode in ("fp16", "bf16"):
        cast_weights(copy.deepcopy(model), cfg.quant_mode, example_input=probe)


def _rehearse_structured(model: nn.Module, cfg: RunConfig, probe: Tensor) -> None:
    """Prune a deep copy as :func:`compress` will, then run it: a model whose structure
    Torch-Pruning cannot follow, or whose forward hard-codes the sizes that pruning changes
    (``x.view(n, 512)``), is refused now with a ConfigError naming ``prune_method``, not
    broken after training."""
    method = cfg.prune_method
    units = "neurons" if method == "neuron" else "filters"
    name = type(model).__name__
    allowed = "'weight' (unstructured pruning keeps every shape) for this model"
    trial = copy.deepcopy(model)
    try:
        if cfg.low_rank:
            factorize(trial, _rank(cfg), example_input=probe)
        _prune_structured(trial, cfg, probe)
    except ConfigError:
        raise
    except Exception as err:  # Torch-Pruning could not trace or prune this structure
        raise ConfigError("prune_method", method, allowed,
                          f"Torch-Pruning cannot remove {units} of {name}: "
                          f"{type(err).__name__}: {str(err)[:200]}") from err
    trial.eval()
    try:
        with torch.no_grad():
            trial(probe)
    except Exception as err:  # the forward computes with sizes fixed in its code
        raise ConfigError("prune_method", method, allowed,
                          f"{name}'s forward fails once {units} are removed (sizes fixed in "
                          f"its code?): {type(err).__name__}: {str(err)[:200]}") from err


def _rank(cfg: RunConfig) -> float | int:
    return cfg.lowrank_rank if cfg.lowrank_rank < 1 else int(cfg.lowrank_rank)


def _amounts(cfg: RunConfig) -> list[float]:
    return step_amounts(agp_schedule(cfg.prune_ratio, cfg.prune_amounts))


def _prune_structured(model: nn.Module, cfg: RunConfig, probe: Tensor,
                      after: Callable[[nn.Module], nn.Module] | None = None) -> nn.Module:
    """Every structured pruning step of the config (``after`` runs after each)."""
    prune = prune_neurons if cfg.prune_method == "neuron" else prune_filters
    for amount in _amounts(cfg):
        prune(model, amount, example_input=probe)
        if after is not None:
            model = after(model)
    return model


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

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> from optwidgets.config import RunConfig
    >>> cfg = RunConfig(model="mlp", quant_mode="simulated", quant_bits=4)
    >>> m = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    >>> x = torch.randn(8, 1, 8, 8)
    >>> compress(m, cfg, example_input=x, calibration=x, finetune=lambda m, e, p: m,
    ...          phase=lambda p: None, device="cpu").technique
    'sim-4bit'
    """
    device = torch.device(device)
    preflight(model, cfg, example_input=example_input, device=device)
    extras: dict[str, float] = {}
    technique = technique_label(cfg)
    probe = example_input[:1]

    def tune(m: nn.Module, epochs: int) -> nn.Module:
        return finetune(m, epochs, "finetune") if epochs > 0 else m

    # 1. low-rank factorization
    if cfg.low_rank:
        phase("lowrank")
        model = tune(factorize(model, _rank(cfg), example_input=probe), cfg.finetune_epochs)

    # 2. pruning, one shot or gradual (AGP) with fine-tuning after each step
    if cfg.pruning:
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
    if cfg.simulated_quant:
        phase("quantize")
        # masks stay on through QAT (carried into the simulated layers)
        simulate_quantization(model, cfg.quant_bits, activations=cfg.quant_activations)
        if cfg.quant_activations:
            calibrate(model, calibration)
        model = freeze(tune(model, cfg.qat_epochs))
    elif cfg.quant_mode == "int8":
        phase("quantize")
        model = quantize_int8(remove_masks(model), calibration, example_input=probe,
                              device=device)
        if getattr(model, "int8_scheme", "") == "dynamic":
            technique = technique.replace("int8", "int8-dynamic")
    elif cfg.quantizing:  # fp16 / bf16
        phase("quantize")
        model = cast_weights(remove_masks(model), cfg.quant_mode, example_input=probe)

    if is_masked(model):
        remove_masks(model)
    return CompressionOutcome(model=model, extras=extras, technique=technique)


def rebuild(model: nn.Module, cfg: RunConfig, *, example_input: Tensor,
            meta: Mapping[str, Any] | None = None) -> nn.Module:
    """The skeleton an artefact of ``cfg``'s deployed model loads into; ``model`` changed.

    ``model`` is a FRESH model built from the same config (the same zoo model, input
    shape and classes; the student for a distillation run). The structural steps of
    :func:`compress` are replayed without training or data: low-rank factorization,
    structured pruning to the same shapes (which units stay does not matter: the loaded
    state sets every value), simulated quantization frozen (with its activation
    quantizers), int8 conversion (calibrated on ``example_input``, e.g.
    ``torch.zeros(1, *input_shape)``; the loaded state overwrites every qparam) or the
    fp16/bf16 cast. Weight pruning changes no structure (its zeros come from the CSR
    values). ``meta`` (``Artefact.meta``) supplies what the config does not say: the int8
    scheme (static FX or dynamic) and engine; when given, it is checked against the
    config (quantization, bits, dtype).

    Raises
    ------
    ValueError
        when ``meta`` describes another quantization than ``cfg``.

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> from optwidgets.config import RunConfig
    >>> cfg = RunConfig(model="mlp", prune_method="neuron", prune_ratio=0.5)
    >>> fresh = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    >>> rebuild(fresh, cfg, example_input=torch.zeros(1, 1, 8, 8))[1].out_features
    16
    """
    meta = dict(meta or {})
    if meta:  # an artefact's meta: it must describe what the config asks for
        _check_meta(cfg, meta)
    probe = example_input[:1]
    model.eval()
    if cfg.low_rank:
        factorize(model, _rank(cfg), example_input=probe)
    if cfg.structured_pruning:
        _prune_structured(model, cfg, probe)
    if cfg.simulated_quant:
        simulate_quantization(model, cfg.quant_bits, activations=cfg.quant_activations)
        model = freeze(model)
    elif cfg.quant_mode == "int8":
        engine = meta.get("int8_engine")
        if engine and engine != torch.backends.quantized.engine:
            if engine not in torch.backends.quantized.supported_engines:
                raise ValueError(f"the artefact was quantized for int8 engine {engine!r}, "
                                 "which this torch build does not have")
            torch.backends.quantized.engine = engine
        model = quantize_int8(model, probe, example_input=probe, device="cpu",
                              scheme=meta.get("int8_scheme"))
    elif cfg.quantizing:
        model = cast_weights(model, cfg.quant_mode)
    return model


def _check_meta(cfg: RunConfig, meta: Mapping[str, Any]) -> None:
    said = ("int8" if "int8_scheme" in meta else
            f"simulated {meta['weight_bits']}-bit" if "weight_bits" in meta else None)
    wanted = ("int8" if cfg.quant_mode == "int8" else
              f"simulated {cfg.quant_bits}-bit" if cfg.simulated_quant else None)
    dtype = cfg.quant_mode if cfg.quant_mode in ("fp16", "bf16") else "fp32"
    if said == wanted or (said is None and cfg.simulated_quant):
        # (simulated quantization whose codes all fell back to dense says nothing)
        said, wanted = meta.get("dtype", dtype), dtype
    if said != wanted:
        raise ValueError(f"the artefact holds {said or 'no quantization'}, the config asks "
                         f"for {wanted or 'none'} (quant_mode={cfg.quant_mode!r}): "
                         "rebuild with the config of the run that saved it")


def load_deployed(source: Source, fresh_model: nn.Module, cfg: RunConfig,
                  example_input: Tensor) -> nn.Module:
    """Rebuild a saved deployed model: :func:`rebuild` ``fresh_model``, then load into it.

    ``source`` is the artefact's payload, its file, or the :class:`Artefact`. The run
    store calls ``load_deployed(path, build_model_for(cfg, input_shape, num_classes,
    name=...), cfg, torch.zeros(1, *input_shape))``. Returns the model in ``eval()`` mode,
    predicting exactly what the saved model predicted.

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> from optwidgets.config import RunConfig
    >>> from optwidgets.compress.artefact import encode
    >>> cfg = RunConfig(model="mlp", quant_mode="simulated", quant_bits=4)
    >>> make = lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    >>> x = torch.randn(2, 1, 8, 8)
    >>> deployed = freeze(simulate_quantization(make(), 4))
    >>> back = load_deployed(encode(deployed).payload, make(), cfg, torch.zeros(1, 1, 8, 8))
    >>> torch.equal(back(x), deployed(x))
    True
    """
    art = read(source)
    return load(art, rebuild(fresh_model, cfg, example_input=example_input, meta=art.meta))
