"""Quantization: simulated k-bit (with QAT), real int8 on CPU, and fp16/bf16 casts.

Three kinds, three honesty levels:

* **Simulated k-bit** (:func:`simulate_quantization`, k = 2..16): every Linear/Conv layer
  computes with its per-output-channel symmetric k-bit fake-quantized weight; optionally the input of every Linear/Conv is fake-quantized
  too (per-tensor, affine, range observed during training/calibration). Rounding uses a
  straight-through estimator, so a short quantization-aware fine-tune (QAT) trains the
  float "shadow" weights. :func:`freeze` writes the quantized values back into plain
  weights and records each layer's bits and scales, so the artefact
  (:mod:`optwidgets.compress.artefact`) saves them as bit-packed k-bit codes plus one
  float32 scale per output channel: the saved size shrinks with the bits.
  :func:`packed_bytes` is an older *computed* estimate (no file framing), named as such.
* **Real int8 on CPU** (:func:`quantize_int8`) -- the choice and why:

  - ``torch.ao.quantization`` is deprecated in torch 2.13 (it warns), but it is the only
    int8 path in torch itself that runs real int8 kernels (fbgemm / oneDNN) on a CPU in
    eager execution. PT2E (``torch.export`` + ``X86InductorQuantizer``) is no longer in
    torch 2.13 (it moved to torchao) and only gets int8 kernels under ``torch.compile``,
    which costs a C++ compile per model -- too slow for a slider. torchao's ``quantize_``
    measured no faster than fp32 on this CPU (shared/notes/compression-facts.md).
  - Within ``torch.ao`` we use **FX graph mode static quantization** (``prepare_fx`` with
    the backend's default qconfig: per-channel int8 weights, uint8 activations observed on
    calibration data, BatchNorm folded into the conv, conv+ReLU fused, ``convert_fx``).
    It quantizes Conv *and* Linear layers without editing the model. Measured on this
    2-core CPU (x86 engine, fp32 -> int8, one thread, best of 5 medians; random weights,
    512 calibration inputs; sizes are the lean int8 save of
    ``state.deployable_state``, before the artefact's container):

    ==============================  ==========  ===============  ===============
    model                           size        batch 1 (ms)     batch 256 (ms)
    ==============================  ==========  ===============  ===============
    zoo ``cnn`` on digits (1x8x8)   0.29x       0.071 -> 0.099   7.25 -> 0.63
    zoo ``mlp`` 64-128-10           0.34x       0.017 -> 0.044   0.058 -> 0.068
    MLP 784-512-512-10              0.25x       0.104 -> 0.062   2.08 -> 0.66
    ==============================  ==========  ===============  ===============

    With two threads on an idle machine: MLP 784-512-512-10 batch 256 1.13 -> 0.37 ms,
    a conv32/conv64/BN/global-pool CNN on 1x8x8 inputs 3.7 -> 0.52 ms.

    Dynamic quantization (``quantize_dynamic``, Linear only) was slower at batch 256 for
    the MLPs (0.83 vs 0.66 ms, one thread) and leaves convs in fp32 (digits CNN 0.92x
    size, 11.4 ms at batch 256: no speed-up), so it is
    only the fallback for a model that FX cannot trace (data-dependent control flow); the
    returned model's ``int8_scheme`` attribute says which was used ("static-fx" or
    "dynamic"). Batch-1 latency of the digits-sized models gets *worse*
    (quantize/dequantize overhead dominates tiny layers): the kit measures and shows that.
  - The deprecation warnings of ``torch.ao`` are silenced only around those calls.
  - int8 runs on CPU only: on CUDA/MPS :class:`ConfigError` names ``quant_mode``.
* **fp16 / bf16** (:func:`cast_weights`): a plain cast; a forward pass checks that the
  device can run every op in that dtype and refuses with ``quant_mode`` if not. Inputs
  must be cast too (``optwidgets.compress.measure.model_dtype`` tells the dtype).

Example
-------
>>> import torch, torch.nn as nn
>>> from optwidgets.compress.quantize import simulate_quantization, freeze
>>> m = simulate_quantization(nn.Sequential(nn.Linear(4, 3)), 2)
>>> len(torch.unique(freeze(m)[0].weight[0])) <= 3  # ternary: -s, 0, +s
True
"""

from __future__ import annotations

import contextlib
import copy
import math
import warnings
from collections.abc import Iterator
from typing import Any, cast

import torch
from torch import Tensor, nn

from optwidgets.compress.prune import remove_masks
from optwidgets.compress.state import deployable_state, model_device
from optwidgets.config import QUANT_BITS, RunConfig
from optwidgets.core.errors import ConfigError

__all__ = [
    "fake_quantize",
    "weight_codes",
    "SimQuantLinear",
    "SimQuantConv1d",
    "SimQuantConv2d",
    "SimQuantConv3d",
    "ActivationFakeQuant",
    "simulate_quantization",
    "calibrate",
    "freeze",
    "layer_codes",
    "packed_bytes",
    "quantize_int8",
    "cast_weights",
]

_LAYER = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _check_bits(bits: int) -> int:
    lo, hi = QUANT_BITS  # the one definition of the bit range (optwidgets.config)
    if isinstance(bits, bool) or not isinstance(bits, int) or not lo <= bits <= hi:
        raise ConfigError("quant_bits", bits, f"an integer in [{lo}, {hi}]")
    return bits


# ---------------------------------------------------------------------------------------
# simulated k-bit


def _grid(w: Tensor, bits: int) -> tuple[Tensor, Tensor]:
    """Integer-valued codes (float, in ``[-qmax, qmax]``) and the per-row scale (keepdim)."""
    qmax = 2 ** (bits - 1) - 1
    dims = tuple(range(1, w.dim()))
    amax = w.detach().abs().amax(dim=dims, keepdim=True) if dims else w.detach().abs()
    scale = (amax / qmax).clamp_min(torch.finfo(w.dtype).tiny)
    return torch.clamp(torch.round(w.detach() / scale), -qmax, qmax), scale


def fake_quantize(w: Tensor, bits: int) -> Tensor:
    """Per-output-channel symmetric k-bit rounding of ``w``, with a straight-through gradient.

    Each row (output unit / channel) gets ``scale = max|w_row| / (2**(bits-1) - 1)``; values
    become ``round(w / scale) * scale`` in ``[-qmax, qmax]`` (no clipping happens since the
    scale covers the row). The backward pass treats rounding as identity (STE). The value
    is exactly ``codes * scale`` (see :func:`weight_codes`): the STE term added to it,
    ``w - w.detach()``, is exactly zero, so the saved codes reproduce it bit for bit.

    Example
    -------
    >>> import torch
    >>> fake_quantize(torch.tensor([[1.0, 0.4, -0.2]]), 2)
    tensor([[1., 0., 0.]])
    """
    q, scale = _grid(w, bits)
    return (q * scale) + (w - w.detach())


def weight_codes(w: Tensor, bits: int) -> tuple[Tensor, Tensor]:
    """The integer codes and per-row scales of :func:`fake_quantize`: ``codes * scale``.

    Returns ``codes`` (int32, shape of ``w``, in ``[-(2**(bits-1) - 1), 2**(bits-1) - 1]``)
    and ``scale`` (``w``'s dtype, one per output row, shape ``(w.shape[0],)``), such that
    ``codes.to(scale.dtype) * scale.view(-1, 1, ...)`` equals ``fake_quantize(w, bits)``
    exactly.

    Example
    -------
    >>> import torch
    >>> w = torch.tensor([[1.0, 0.4, -0.2], [0.5, -0.5, 0.1]])
    >>> codes, scale = weight_codes(w, 3)
    >>> codes.tolist(), torch.equal(codes * scale[:, None], fake_quantize(w, 3))
    ([[3, 1, -1], [3, -3, 1]], True)
    """
    _check_bits(bits)
    if w.dim() < 2:
        raise ConfigError("quant_mode", "simulated", "a weight with an output dimension",
                          f"got a tensor of shape {tuple(w.shape)}")
    q, scale = _grid(w, bits)
    return q.to(torch.int32), scale.reshape(-1)


class _SimQuant:
    """Mixin of the simulated-quantization layers: the forward uses the k-bit weight.

    ``weight`` stays the float "shadow" Parameter that QAT trains (state-dict keys do not
    change); ``sim_bits`` and an optional ``sim_mask`` (a pruning mask carried along, so
    pruned weights stay zero through QAT) decide the weight actually used.
    """

    def _masked(self) -> Tensor:
        me = cast(Any, self)  # a Linear/Conv at run time; the mixin alone has no weight
        return me.weight if me.sim_mask is None else me.weight * me.sim_mask

    def deploy_weight(self) -> Tensor:
        """The weight the layer computes with (masked, fake-quantized)."""
        return fake_quantize(self._masked(), cast(Any, self).sim_bits)

    def deploy_codes(self) -> tuple[Tensor, Tensor]:
        """``(codes, scale)`` of :meth:`deploy_weight` (see :func:`weight_codes`)."""
        with torch.no_grad():
            return weight_codes(self._masked(), cast(Any, self).sim_bits)


class SimQuantLinear(_SimQuant, nn.Linear):
    """``nn.Linear`` whose forward uses k-bit fake-quantized weights (see :func:`simulate_quantization`)."""

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.linear(x, self.deploy_weight(), self.bias)


class SimQuantConv1d(_SimQuant, nn.Conv1d):
    """``nn.Conv1d`` with k-bit fake-quantized weights."""

    def forward(self, x: Tensor) -> Tensor:
        return self._conv_forward(x, self.deploy_weight(), self.bias)


class SimQuantConv2d(_SimQuant, nn.Conv2d):
    """``nn.Conv2d`` with k-bit fake-quantized weights."""

    def forward(self, x: Tensor) -> Tensor:
        return self._conv_forward(x, self.deploy_weight(), self.bias)


class SimQuantConv3d(_SimQuant, nn.Conv3d):
    """``nn.Conv3d`` with k-bit fake-quantized weights."""

    def forward(self, x: Tensor) -> Tensor:
        return self._conv_forward(x, self.deploy_weight(), self.bias)


# Exact classes only: a user subclass of nn.Linear may have its own forward, which the
# swap would lose, so such layers are left in float.
_SIM_CLASS: dict[type, type] = {
    nn.Linear: SimQuantLinear,
    nn.Conv1d: SimQuantConv1d,
    nn.Conv2d: SimQuantConv2d,
    nn.Conv3d: SimQuantConv3d,
}
_BASE_CLASS = {v: k for k, v in _SIM_CLASS.items()}


class ActivationFakeQuant(nn.Module):
    """Per-tensor affine k-bit fake quantization of an activation, range observed.

    In training mode the range ``[lo, hi]`` follows an exponential moving average
    (momentum 0.1) of each batch's min/max; in eval mode it is fixed (the first batch seen
    initializes it). Values outside the range are clipped; the gradient passes through
    inside the range and is zero outside (STE with clipping).
    """

    lo: Tensor
    hi: Tensor
    initialized: Tensor

    def __init__(self, bits: int, momentum: float = 0.1) -> None:
        super().__init__()
        self.bits = _check_bits(bits)
        self.momentum = momentum
        self.register_buffer("lo", torch.tensor(0.0))
        self.register_buffer("hi", torch.tensor(0.0))
        self.register_buffer("initialized", torch.tensor(False))

    def forward(self, x: Tensor) -> Tensor:
        if not bool(self.initialized) or self.training:
            with torch.no_grad():
                lo, hi = x.detach().min().float(), x.detach().max().float()
                if bool(self.initialized):
                    lo = self.lo + self.momentum * (lo - self.lo)
                    hi = self.hi + self.momentum * (hi - self.hi)
                self.lo.copy_(torch.minimum(lo, torch.zeros_like(lo)))  # 0 stays exact
                self.hi.copy_(torch.maximum(hi, torch.zeros_like(hi)))
                self.initialized.fill_(True)
        lo, hi = self.lo.to(x.dtype), self.hi.to(x.dtype)
        scale = ((hi - lo) / (2**self.bits - 1)).clamp_min(torch.finfo(x.dtype).tiny)
        zero = torch.round(-lo / scale)
        xc = torch.minimum(torch.maximum(x, lo), hi)
        q = (torch.clamp(torch.round(xc / scale) + zero, 0, 2**self.bits - 1) - zero) * scale
        return xc + (q - xc).detach()

    def extra_repr(self) -> str:
        return f"bits={self.bits}"


def _quantize_input_hook(module: nn.Module, args: tuple) -> tuple:
    # a module-level function (not a lambda) so the model can be deep-copied and pickled
    return (cast(Any, module).input_quant(args[0]), *args[1:])


def simulate_quantization(model: nn.Module, bits: int, *, activations: bool = False) -> nn.Module:
    """Fake-quantize every Linear/Conv weight to ``bits`` (and their inputs); in place.

    Each ``nn.Linear`` / ``nn.ConvNd`` becomes its ``SimQuant*`` subclass (same parameters
    and state-dict keys; the forward uses the k-bit weight). We swap classes rather than
    use ``torch.nn.utils.parametrize`` because parametrized modules cannot be pickled and
    their deep copies share one injected class, so removing the parametrization from one
    copy breaks the others. Pruning masks present on a layer are folded and carried along,
    so pruned weights stay zero during QAT. Train the returned model as usual (QAT), then
    :func:`freeze` it. With ``activations=True`` run :func:`calibrate` (or train) before
    evaluating so activation ranges come from data.

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> m = simulate_quantization(nn.Sequential(nn.Linear(4, 2)), 8)
    >>> m(torch.randn(3, 4)).sum().backward()  # STE: gradients reach the float weights
    >>> type(m[0]).__name__, m[0].weight.grad is not None
    ('SimQuantLinear', True)
    """
    import torch.nn.utils.prune as tprune

    _check_bits(bits)
    for m in list(model.modules()):
        if isinstance(m, _SimQuant):
            raise ConfigError("quant_mode", "simulated", "a model not yet quantized",
                              f"{type(m).__name__} already simulates "
                              f"{cast(Any, m).sim_bits} bits")
        if type(m) not in _SIM_CLASS:
            continue
        mask = None
        for hook in list(m._forward_pre_hooks.values()):
            if isinstance(hook, tprune.BasePruningMethod) and hook._tensor_name == "weight":
                mask = cast(Tensor, m.weight_mask).detach().clone()
                tprune.remove(m, "weight")
        m.__class__ = _SIM_CLASS[type(m)]
        cast(Any, m).sim_bits = bits
        m.register_buffer("sim_mask", mask)
        if activations:
            m.input_quant = ActivationFakeQuant(bits)
            m.register_forward_pre_hook(_quantize_input_hook)
    return model


def calibrate(model: nn.Module, data: Tensor, *, batch_size: int = 256) -> nn.Module:
    """Run ``data`` through the model in eval mode (no gradients) to set activation ranges.

    Simulated activation quantizers that have seen no data take their range from the
    first batch; BatchNorm statistics are not touched (eval mode).

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> m = simulate_quantization(nn.Sequential(nn.Linear(4, 2)), 8, activations=True)
    >>> bool(calibrate(m, torch.randn(16, 4))[0].input_quant.initialized)
    True
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i in range(0, len(data), batch_size):
                model(data[i : i + batch_size])
    finally:
        model.train(was_training)
    return model


def freeze(model: nn.Module, *, keep_activations: bool = True) -> nn.Module:
    """Write the fake-quantized values into plain weights; in place.

    Afterwards every simulated layer is again a plain ``nn.Linear`` / ``nn.ConvNd`` whose
    ``weight`` holds only values on its k-bit grid (the same Parameter object, so an
    optimizer holding it stays valid). Each keeps ``frozen_bits`` (int) and
    ``frozen_scale`` (its per-channel scales, a plain attribute outside the state dict):
    with them :func:`layer_codes` recovers the integer codes exactly, which the artefact
    saves bit-packed. Activation quantizers stay (they are part of what the model
    computes) unless ``keep_activations=False``.

    Example
    -------
    >>> import torch.nn as nn
    >>> m = freeze(simulate_quantization(nn.Sequential(nn.Linear(4, 2)), 4))
    >>> type(m[0]).__name__, len(m[0].weight[0].unique()) <= 15
    ('Linear', True)
    """
    for m in list(model.modules()):
        if isinstance(m, _SimQuant):
            layer = cast(Any, m)
            codes, scale = layer.deploy_codes()
            with torch.no_grad():
                layer.weight.copy_(layer.deploy_weight())
            bits = layer.sim_bits
            del layer.sim_mask
            del layer.sim_bits
            layer.__class__ = _BASE_CLASS[type(m)]
            layer.frozen_bits, layer.frozen_scale = bits, scale.detach().cpu()
        if not keep_activations and isinstance(getattr(m, "input_quant", None),
                                               ActivationFakeQuant):
            for key, hook in list(m._forward_pre_hooks.items()):
                if hook is _quantize_input_hook:
                    del m._forward_pre_hooks[key]
            del m.input_quant
    return model


def layer_codes(layer: nn.Module) -> tuple[Tensor, Tensor, int] | None:
    """``(codes, scale, bits)`` of a simulated or frozen k-bit layer's weight, else None.

    For a ``SimQuant*`` layer they come from its weight as it computes
    (:meth:`deploy_codes`); for a layer :func:`freeze` left, from its weight and the
    ``frozen_scale`` it recorded, and only if ``codes * scale`` still equals the weight
    exactly (a weight changed after freezing is no longer on its grid: None). Codes are
    int32 in ``[-(2**(bits-1) - 1), 2**(bits-1) - 1]``, ``scale`` has one entry per output
    row; the weight is ``codes.to(scale.dtype) * scale.view(-1, 1, ...)``.

    Example
    -------
    >>> import torch.nn as nn
    >>> m = freeze(simulate_quantization(nn.Sequential(nn.Linear(4, 2)), 3))
    >>> codes, scale, bits = layer_codes(m[0])
    >>> bits, int(codes.abs().max()) <= 3, layer_codes(nn.Linear(4, 2)) is None
    (3, True, True)
    """
    me = cast(Any, layer)
    if isinstance(layer, _SimQuant):
        codes, sim_scale = layer.deploy_codes()
        return codes.cpu(), sim_scale.detach().cpu(), int(me.sim_bits)
    bits, scale = getattr(layer, "frozen_bits", None), getattr(layer, "frozen_scale", None)
    weight = getattr(layer, "weight", None)
    if bits is None or not isinstance(scale, Tensor) or not isinstance(weight, Tensor):
        return None
    w = weight.detach().cpu()
    if w.dim() < 2 or scale.dtype != w.dtype or scale.numel() != w.shape[0]:
        return None
    qmax = 2 ** (int(bits) - 1) - 1
    view = scale.view(-1, *([1] * (w.dim() - 1)))
    codes = torch.clamp(torch.round(w / view), -qmax, qmax)
    if not torch.equal(codes * view, w):
        return None
    return codes.to(torch.int32), scale, int(bits)


def packed_bytes(model: nn.Module, bits: int) -> int:
    """Computed (not saved) bytes of the model with Linear/Conv weights packed at ``bits``.

    Sum of ``ceil(numel * bits / 8)`` per weight, one float32 scale per output channel, and
    the raw bytes (``numel * element_size``) of every other tensor in the deployable state
    (biases, BatchNorm, activation ranges). No file-format overhead is included, so compare
    it with ``size_bytes`` knowing that a saved file adds a few hundred bytes per tensor.

    Example
    -------
    >>> import torch.nn as nn
    >>> packed_bytes(nn.Linear(64, 10, bias=False), 4)  # 640 * 4 / 8 + 10 * 4
    360
    """
    _check_bits(bits)
    state = deployable_state(model)
    total = 0
    for name, m in model.named_modules():
        if isinstance(m, _LAYER):
            w = m.weight
            total += math.ceil(w.numel() * bits / 8) + 4 * w.shape[0]
            state.pop(f"{name}.weight" if name else "weight", None)
    for t in state.values():
        if isinstance(t, Tensor):
            total += t.numel() * t.element_size()
    return total


# ---------------------------------------------------------------------------------------
# real int8 (CPU)


@contextlib.contextmanager
def _quiet_torch_ao() -> Iterator[None]:
    # torch.ao.quantization is deprecated in torch 2.13 but is the fast int8 path on CPU
    # (see module docstring); silence its warnings here only. catch_warnings is process
    # global, so a warning from another thread in this window is silenced as well.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"torch\.ao\.quantization is deprecated")
        warnings.filterwarnings("ignore", message=r"Please use quant_min and quant_max")
        warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor, torch\.quant")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.ao")
        yield


def _int8_engine() -> str:
    engines = torch.backends.quantized.supported_engines
    if torch.backends.quantized.engine in ("x86", "fbgemm", "onednn", "qnnpack"):
        return torch.backends.quantized.engine
    for e in ("x86", "fbgemm", "qnnpack"):
        if e in engines:
            torch.backends.quantized.engine = e
            return e
    raise ConfigError("quant_mode", "int8", "'fp16', 'bf16' or 'simulated'",
                      "this torch build has no int8 CPU engine")


class _UseDynamic(Exception):
    """Raised inside :func:`quantize_int8` to take the dynamic path on request."""


def _check_int8_device(model: nn.Module, device: torch.device | str | None) -> None:
    dev = torch.device(device) if device is not None else model_device(model)
    # the rule "int8 runs on the CPU only" lives on the config (RunConfig.check_device)
    RunConfig(quant_mode="int8").check_device(dev.type)


def quantize_int8(
    model: nn.Module,
    calibration_data: Tensor,
    *,
    example_input: Tensor,
    device: torch.device | str | None = None,
    batch_size: int = 256,
    scheme: str | None = None,
) -> nn.Module:
    """A real int8 copy of ``model`` for the CPU (the original is not changed).

    FX graph mode static quantization (see the module docstring for why): observers are
    inserted, ``calibration_data`` (a few hundred training inputs) is run through in eval
    mode to fix activation ranges, then the graph is converted to int8 kernels. Pruning
    masks and simulated quantization are folded first. If the model cannot
    be traced by FX, dynamic quantization of its Linear layers is used instead. The result
    has ``int8_scheme`` = ``"static-fx"`` or ``"dynamic"``; ``scheme`` forces one of them
    (rebuilding a saved model replays the scheme it was saved with).

    Raises
    ------
    ConfigError
        naming ``quant_mode`` when the model or ``device`` is not the CPU.

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> m = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)).eval()
    >>> q = quantize_int8(m, torch.randn(64, 16), example_input=torch.randn(1, 16))
    >>> q.int8_scheme, q(torch.randn(2, 16)).shape
    ('static-fx', torch.Size([2, 4]))
    """
    if scheme not in (None, "static-fx", "dynamic"):
        raise ConfigError("int8_scheme", scheme, "'static-fx', 'dynamic' or None (automatic)")
    _check_int8_device(model, device)
    _check_int8_device(model, example_input.device)
    engine = _int8_engine()
    work = freeze(remove_masks(copy.deepcopy(model)))
    work.eval()
    with _quiet_torch_ao():
        from torch.ao.quantization import get_default_qconfig_mapping
        from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

        try:
            if scheme == "dynamic":
                raise _UseDynamic
            prepared = prepare_fx(work, get_default_qconfig_mapping(engine),
                                  example_inputs=(example_input,))
        except Exception:  # FX cannot trace this model: Linear-only dynamic int8
            if scheme == "static-fx":
                raise
            q = torch.ao.quantization.quantize_dynamic(work, {nn.Linear}, dtype=torch.qint8)
            cast(Any, q).int8_scheme = "dynamic"
            return q
        calibrate(prepared, calibration_data, batch_size=batch_size)
        q = convert_fx(prepared)
    cast(Any, q).int8_scheme = "static-fx"
    return q


# ---------------------------------------------------------------------------------------
# fp16 / bf16

_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


def cast_weights(
    model: nn.Module,
    dtype: torch.dtype | str,
    *,
    example_input: Tensor | None = None,
) -> nn.Module:
    """Cast every floating parameter and buffer to fp16/bf16; in place.

    With ``example_input``, one forward pass (input cast to ``dtype``) checks the device
    can run the model in that dtype; if it cannot, the model is cast back and
    :class:`ConfigError` names ``quant_mode`` and the device.

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> m = cast_weights(nn.Linear(4, 2), "bf16", example_input=torch.randn(1, 4))
    >>> m.weight.dtype
    torch.bfloat16
    """
    name = dtype if isinstance(dtype, str) else {v: k for k, v in _DTYPES.items()}.get(dtype)
    if name not in _DTYPES:
        raise ConfigError("quant_mode", dtype, "'fp16' or 'bf16'")
    target = _DTYPES[name]
    floats = [t.dtype for t in [*model.parameters(), *model.buffers()] if t.is_floating_point()]
    model.to(target)
    if example_input is not None:
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                model(example_input.to(device=model_device(model), dtype=target))
        except (RuntimeError, NotImplementedError) as err:
            model.to(floats[0] if floats else torch.float32)  # undo the cast
            dev = model_device(model).type
            raise ConfigError("quant_mode", name, f"a dtype that device {dev!r} can run "
                              "this model in", f"forward pass failed: {err}") from err
        finally:
            model.train(was_training)
    return model
