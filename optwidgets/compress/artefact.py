"""The deployable model as saved: one artefact per technique, its bytes, loading it back.

:func:`encode` turns a model (dense, pruned, factorized, quantized, or several of these)
into an :class:`Artefact`: the bytes written to disk (``payload``), how they store the
model (``encoding``), the size of the same model saved plain (``dense_bytes``) and what
rebuilding it needs (``meta``). ``size_bytes`` everywhere in the kit is
``encode(model).nbytes``. :func:`load` decodes a payload into a *skeleton* (a model of the
same structure, e.g. :func:`optwidgets.compress.pipeline.rebuild` of a fresh model) so that
it predicts exactly what the encoded model predicted.

What is saved
-------------
The deployable state (:func:`~optwidgets.compress.state.deployable_state`: masks folded,
simulated quantization at its k-bit values, int8 layers lean) with each tensor stored one
of three ways:

* **dense**: the tensor at its dtype (fp32, fp16, bf16; int8 codes of int8 layers).
* **csr**: a weight (2-D or more, reshaped to ``(out, rest)``) with zeros, as CSR row
  pointers and column indices in the narrowest integer type that holds them
  (:func:`optwidgets.compress.prune.sparse_bytes`'s rule: uint8 up to 255, then int16,
  int32) plus its non-zero values; only where that is smaller than dense.
* **packed**: the weight of a simulated k-bit layer (2..16 bits) as integer codes
  ``q`` in ``[-(2**(k-1) - 1), 2**(k-1) - 1]``, offset to ``q + 2**(k-1) - 1`` and packed
  ``k`` bits each into uint8 (least significant bit first, value after value), plus one
  float32 scale per output channel (symmetric: no zero points). With weight pruning the
  codes may be stored *sparse*, CSR indices plus packed non-zero codes, when that is
  smaller than packing every code; each weight gets whichever is smaller.

Encodings (``Artefact.encoding``):

=====================  ===============================================================
``dense-fp32``         every tensor dense; also ``dense-fp16``, ``dense-bf16`` (a cast)
``csr``                some weights CSR (fp32 values), the rest dense fp32;
                       ``csr-fp16`` / ``csr-bf16`` after a cast
``packed-<k>bit``      k-bit weights packed, everything else dense fp32
``csr+packed-<k>bit``  as above, some weights' codes stored sparse (CSR)
``int8``               int8 layers lean: int8 weights, fp32 per-channel scales, int8 zero
                       points, output qparams as numbers (``deployable_state``)
``csr+int8``           as ``int8``, some int8 weights stored CSR
=====================  ===============================================================

A structurally pruned (neuron, filter) or low-rank model is simply a smaller model:
its tensors have the smaller shapes and are stored as above (so filter pruning + int8
is ``int8``); ``meta`` and the technique label say which structure it has.

The file
--------
One ``torch.save`` of a dict of plain values only (``torch.load(path,
weights_only=True)`` reads it): ``format``, ``version``, ``encoding``, ``meta``,
``dense_bytes``, ``entries`` (per state key: how it is stored, its shape, and where its
parts lie) and ``data`` (one flat tensor per dtype holding every part, end to end).
Packing all tensors of a dtype into one record, as safetensors does, matters for small
models: ``torch.save`` spends about 250 bytes of zip framing per tensor, 5 % of the
91 kB digits ``cnn`` and a third of its 2-bit weights.

Example
-------
>>> import torch, torch.nn as nn
>>> from optwidgets.compress.artefact import encode, load
>>> from optwidgets.compress.prune import prune_weights
>>> m = prune_weights(nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)), 0.8)
>>> art = encode(m)
>>> art.encoding, art.nbytes < 0.5 * art.dense_bytes
('csr', True)
>>> x = torch.randn(4, 64)
>>> back = load(art.payload, nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)))
>>> torch.equal(back(x), m.eval()(x))
True
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import torch
from torch import Tensor, nn

from optwidgets.compress.prune import _csr_parts
from optwidgets.compress.quantize import ActivationFakeQuant, layer_codes
from optwidgets.compress.state import (
    _int8_layers,
    _under,
    deployable_state,
    load_deployable_state,
    model_dtype,
)
from optwidgets.core.io import atomic_write

__all__ = ["Artefact", "encode", "read", "load", "FORMAT", "VERSION"]

FORMAT = "optwidgets.artefact"  # the payload's "format" entry
VERSION = 1  # bumped when the layout changes; load reads versions up to this one

_DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "float64": torch.float64, "uint8": torch.uint8, "int8": torch.int8,
    "int16": torch.int16, "int32": torch.int32, "int64": torch.int64, "bool": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}
_SHORT = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16",
          torch.float64: "fp64"}
_INT8_FIELDS = ("weight_scale", "weight_zero_point", "weight_axis", "scale", "zero_point")

@dataclass(frozen=True)
class Artefact:
    """A model as saved: the bytes and what they hold.

    Attributes
    ----------
    payload : bytes
        What is written to disk (one ``torch.save``; ``weights_only`` loading reads it).
    encoding : str
        How the tensors are stored, e.g. ``"dense-fp32"``, ``"csr+packed-4bit"``, ``"int8"``
        (see the module docstring).
    dense_bytes : int
        Bytes of the same deployed model saved as ``dense-fp32`` (int8 weights
        dequantized, codes expanded), for ratios.
    meta : dict
        What rebuilding needs and the config does not say: ``dtype``, ``weight_bits``,
        ``activation_bits``, ``int8_scheme``, ``int8_engine``, ``torch``, plus the caller's
        keys. Saved in the payload too.

    Example
    -------
    >>> import torch.nn as nn
    >>> art = encode(nn.Linear(8, 2))
    >>> art.nbytes == len(art.payload) == art.dense_bytes, art.meta["dtype"]
    (True, 'fp32')
    """

    payload: bytes
    encoding: str
    dense_bytes: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """Bytes of the saved file: ``len(payload)``."""
        return len(self.payload)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the payload to ``path`` atomically; returns the path.

        Example
        -------
        >>> import tempfile, pathlib, torch.nn as nn
        >>> art = encode(nn.Linear(8, 2))
        >>> p = art.save(pathlib.Path(tempfile.mkdtemp()) / "model.pt")
        >>> p.stat().st_size == art.nbytes
        True
        """
        return atomic_write(path, self.payload)


Source = bytes | bytearray | memoryview | str | os.PathLike | Artefact  # what load reads


# ---------------------------------------------------------------------------------------
# bit packing


def _pack(values: Tensor, bits: int) -> Tensor:
    """Non-negative integers < 2**bits, ``bits`` each, LSB first, into a uint8 tensor."""
    flat = values.reshape(-1).to(torch.int32)
    shifts = torch.arange(bits, dtype=torch.int32)
    stream = ((flat[:, None] >> shifts) & 1).to(torch.uint8).reshape(-1)
    stream = torch.cat([stream, stream.new_zeros((-stream.numel()) % 8)])
    weights = torch.tensor([1 << i for i in range(8)], dtype=torch.int32)
    return (stream.reshape(-1, 8).to(torch.int32) * weights).sum(1).to(torch.uint8)


def _unpack(packed: Tensor, bits: int, n: int) -> Tensor:
    """The first ``n`` values of :func:`_pack`'s output, as int32."""
    stream = (packed.to(torch.int32)[:, None] >> torch.arange(8, dtype=torch.int32)) & 1
    stream = stream.reshape(-1)[: n * bits].reshape(n, bits)
    return (stream << torch.arange(bits, dtype=torch.int32)).sum(1, dtype=torch.int32)


def _packed_nbytes(n: int, bits: int) -> int:
    return math.ceil(n * bits / 8)


# ---------------------------------------------------------------------------------------
# writing


class _Writer:
    """Collects every stored part, one flat tensor per dtype; a part is [dtype, offset, n]."""

    def __init__(self) -> None:
        self.parts: dict[str, list[Tensor]] = {}
        self.sizes: dict[str, int] = {}

    def put(self, t: Tensor) -> list[Any]:
        if t.dtype not in _NAMES:
            raise TypeError(f"artefact: cannot store a {t.dtype} tensor")
        name = _NAMES[t.dtype]
        flat = t.detach().reshape(-1).cpu()
        offset = self.sizes.get(name, 0)
        self.parts.setdefault(name, []).append(flat)
        self.sizes[name] = offset + flat.numel()
        return [name, offset, flat.numel()]

    def data(self) -> dict[str, Tensor]:
        return {k: torch.cat(v) for k, v in self.parts.items()}  # cat: fresh storage each


def _nbytes(t: Tensor) -> int:
    return t.numel() * t.element_size()


def _csr_nbytes(parts: Mapping[str, Tensor]) -> int:
    return _nbytes(parts["crow_indices"]) + _nbytes(parts["col_indices"])


def _entry(w: _Writer, t: Tensor, codes: tuple[Tensor, Tensor, int] | None
           ) -> tuple[dict[str, Any], str]:
    """How one tensor is stored (the smallest way this layout allows) and its kind."""
    t = t.detach().cpu()
    if t.is_quantized:
        raise TypeError("artefact: quantized tensors are saved lean (int8 values and "
                        "scales), not as quantized tensors")
    shape = list(t.shape)
    sparse = (t.dim() >= 2 and t.numel() > 0 and t.dtype != torch.bool
              and int(torch.count_nonzero(t)) < t.numel())
    if codes is not None:
        q, scale, bits = codes
        qmax = 2 ** (bits - 1) - 1
        packed = _packed_nbytes(q.numel(), bits)
        if sparse:
            csr = _csr_parts(q)
            nnz = csr["values"].numel()
            if _csr_nbytes(csr) + _packed_nbytes(nnz, bits) < packed:
                return {"kind": "csr", "shape": shape, "crow": w.put(csr["crow_indices"]),
                        "col": w.put(csr["col_indices"]),
                        "values": {"bits": bits, "codes": w.put(_pack(csr["values"] + qmax,
                                                                      bits)),
                                   "scale": w.put(scale)}}, "csr+packed"
        return {"kind": "packed", "shape": shape, "bits": bits,
                "codes": w.put(_pack(q + qmax, bits)), "scale": w.put(scale)}, "packed"
    if sparse:
        csr = _csr_parts(t)
        if _csr_nbytes(csr) + _nbytes(csr["values"]) < _nbytes(t):
            return {"kind": "csr", "shape": shape, "crow": w.put(csr["crow_indices"]),
                    "col": w.put(csr["col_indices"]),
                    "values": w.put(csr["values"])}, "csr"
    return {"kind": "dense", "shape": shape, "data": w.put(t)}, "dense"


def _plain(value: Any, where: str) -> Any:
    """``value`` if ``torch.load(weights_only=True)`` reads it back as is (tuples: lists)."""
    if value is None:
        return None
    for kind in (bool, int, float, str):  # exact types: a str subclass would need a global
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    raise TypeError(f"artefact: {where} is a {type(value).__name__}; meta holds only "
                    "numbers, strings, None, lists and dicts with string keys")


def _save(obj: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _container(entries: dict[str, Any], data: dict[str, Tensor], encoding: str,
               meta: dict[str, Any], dense_bytes: int) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "encoding": encoding, "meta": meta,
            "dense_bytes": dense_bytes, "entries": entries, "data": data}


def _self_sized(entries: dict[str, Any], data: dict[str, Tensor], meta: dict[str, Any]
                ) -> bytes:
    """The ``dense-fp32`` payload, whose ``dense_bytes`` is its own length."""
    n = 1 << 20  # pickles as wide as any size up to 2 GiB: usually right the first time
    for _ in range(4):
        payload = _save(_container(entries, data, "dense-fp32", meta, n))
        if len(payload) == n:
            return payload
        n = len(payload)
    raise AssertionError("artefact: the dense size did not settle")  # pragma: no cover


def _dense_fp32_state(model: nn.Module, state: Mapping[str, object]) -> dict[str, object]:
    """The same deployed model as plain fp32: int8 weights dequantized, qparams dropped."""
    layers = {(f"{n}." if n else ""): m for n, m in _int8_layers(model)}
    layers = {p: m for p, m in layers.items() if p + "weight_scale" in state}
    out: dict[str, object] = {}
    for key, value in state.items():
        prefix = next((p for p in layers if _under(key, p)), None)
        if prefix is not None:
            name = key[len(prefix):]
            if name == "weight":
                value = cast(Any, layers[prefix]).weight().dequantize()
            elif name in _INT8_FIELDS:
                continue
        if isinstance(value, Tensor) and value.is_floating_point():
            value = value.float()
        out[key] = value
    return out


def _encoding_name(kinds: set[str], bits: set[int], int8: bool, dtype: torch.dtype) -> str:
    short = _SHORT.get(dtype, str(dtype).removeprefix("torch."))
    csr = bool(kinds & {"csr", "csr+packed"})
    parts = []
    if csr:
        parts.append("csr" if bits or int8 or short == "fp32" else f"csr-{short}")
    if bits:
        parts.append("packed-" + "-".join(str(b) for b in sorted(bits)) + "bit")
    elif int8:
        parts.append("int8")
    elif not csr:
        parts.append(f"dense-{short}")
    return "+".join(parts)


def encode(model: nn.Module, *, meta: Mapping[str, Any] | None = None) -> Artefact:
    """The model's deployable artefact: its bytes as saved, encoding and dense size.

    Stores the deployable state as the module docstring describes: every tensor dense
    at its dtype, a weight with zeros as CSR where smaller, a simulated k-bit weight
    (a ``SimQuant*`` layer, or one :func:`~optwidgets.compress.quantize.freeze` left on its
    grid) as bit-packed codes plus per-channel scales, int8 layers lean. The model is not
    changed. ``meta`` adds the caller's plain values (e.g. the technique label) to
    ``Artefact.meta``; the keys the artefact sets itself may not be among them.

    Example
    -------
    >>> import torch.nn as nn
    >>> from optwidgets.compress.quantize import freeze, simulate_quantization
    >>> m = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    >>> dense = encode(m).nbytes
    >>> art = encode(freeze(simulate_quantization(m, 4)), meta={"technique": "sim-4bit"})
    >>> art.encoding, round(art.nbytes / dense, 2), art.meta["weight_bits"]
    ('packed-4bit', 0.14, 4)
    """
    state = deployable_state(model)
    dtype = model_dtype(model)
    plan: dict[str, tuple[Tensor, Tensor, int]] = {}
    for name, module in model.named_modules():
        key = f"{name}.weight" if name else "weight"
        codes = layer_codes(module)
        value = state.get(key)
        if codes is None or not isinstance(value, Tensor):
            continue
        q, scale, _ = codes
        view = scale.view(-1, *([1] * (q.dim() - 1)))
        if torch.equal(q.to(scale.dtype) * view, value.detach().cpu()):  # what ships
            plan[key] = codes

    writer, entries, kinds = _Writer(), {}, set()
    for key, value in state.items():
        if isinstance(value, Tensor):
            entries[key], kind = _entry(writer, value, plan.get(key))
            kinds.add(kind)
        else:
            entries[key] = {"kind": "value", "value": _plain(value, key)}

    int8 = bool(_int8_layers(model))
    info: dict[str, Any] = {"dtype": _SHORT.get(dtype, str(dtype)), "torch": str(torch.__version__)}
    bits = {b for k, (_, _, b) in plan.items() if entries[k]["kind"] != "dense"}
    if bits:
        info["weight_bits"] = next(iter(bits)) if len(bits) == 1 else sorted(bits)
    act = sorted({m.bits for m in model.modules() if isinstance(m, ActivationFakeQuant)})
    if act:
        info["activation_bits"] = act[0] if len(act) == 1 else act
    if int8:
        info["int8_scheme"] = str(getattr(model, "int8_scheme", "static-fx"))
        info["int8_engine"] = str(torch.backends.quantized.engine)
    for k, v in (meta or {}).items():
        if k in info:
            raise ValueError(f"artefact: meta key {k!r} is set by encode itself")
        info[k] = _plain(v, f"meta[{k!r}]")

    encoding = _encoding_name(kinds, bits, int8, dtype)
    dense_writer = _Writer()
    dense_entries: dict[str, Any] = {}
    for key, value in _dense_fp32_state(model, state).items():
        if isinstance(value, Tensor):
            t = value.detach().cpu()
            dense_entries[key] = {"kind": "dense", "shape": list(t.shape),
                                  "data": dense_writer.put(t)}
        else:
            dense_entries[key] = {"kind": "value", "value": _plain(value, key)}
    dense_payload = _self_sized(dense_entries, dense_writer.data(), info)
    if encoding == "dense-fp32" and all(
            v.dtype == torch.float32 for v in state.values()
            if isinstance(v, Tensor) and v.is_floating_point()):
        payload = dense_payload  # the same entries: the dense artefact is this one
    else:
        payload = _save(_container(entries, writer.data(), encoding, info,
                                   len(dense_payload)))
    return Artefact(payload=payload, encoding=encoding, dense_bytes=len(dense_payload),
                    meta=info)


# ---------------------------------------------------------------------------------------
# reading


def _container_of(source: Source) -> dict[str, Any]:
    if isinstance(source, Artefact):
        source = source.payload
    f: Any = io.BytesIO(bytes(source)) if isinstance(source, (bytes, bytearray, memoryview)) \
        else os.fspath(source)
    obj = torch.load(f, map_location="cpu", weights_only=True)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError(f"not an optwidgets artefact (no format {FORMAT!r}): {source!r:.80}")
    if not isinstance(obj.get("version"), int) or obj["version"] > VERSION:
        raise ValueError(f"artefact version {obj.get('version')!r} is newer than this "
                         f"optwidgets reads ({VERSION}): upgrade optwidgets")
    return obj


def read(source: Source) -> Artefact:
    """The :class:`Artefact` in a payload (bytes) or a file, without loading a model.

    Example
    -------
    >>> import torch.nn as nn
    >>> read(encode(nn.Linear(4, 2)).payload).encoding
    'dense-fp32'
    """
    obj = _container_of(source)
    payload = source.payload if isinstance(source, Artefact) else (
        bytes(source) if isinstance(source, (bytes, bytearray, memoryview))
        else Path(os.fspath(source)).read_bytes())
    return Artefact(payload=payload, encoding=str(obj["encoding"]),
                    dense_bytes=int(obj["dense_bytes"]), meta=dict(obj["meta"]))


def _part(data: Mapping[str, Tensor], ref: list[Any]) -> Tensor:
    name, offset, n = ref
    if name not in _DTYPES or name not in data:
        raise ValueError(f"artefact: no {name!r} data")
    return data[name][offset: offset + n].clone()


def _decode(entry: Mapping[str, Any], data: Mapping[str, Tensor]) -> object:
    kind = entry["kind"]
    if kind == "value":
        return entry["value"]
    shape = [int(s) for s in entry["shape"]]
    if kind == "dense":
        return _part(data, entry["data"]).reshape(shape)
    if kind == "packed":
        bits, scale = int(entry["bits"]), _part(data, entry["scale"])
        n = math.prod(shape)
        q = _unpack(_part(data, entry["codes"]), bits, n) - (2 ** (bits - 1) - 1)
        return q.to(scale.dtype).reshape(shape) * scale.view(-1, *([1] * (len(shape) - 1)))
    if kind == "csr":
        crow, col = _part(data, entry["crow"]).long(), _part(data, entry["col"]).long()
        rows = torch.repeat_interleave(torch.arange(shape[0]), crow.diff())
        values = entry["values"]
        if isinstance(values, Mapping):  # packed codes of the non-zeros, scale per row
            bits, scale = int(values["bits"]), _part(data, values["scale"])
            q = _unpack(_part(data, values["codes"]), bits, len(col)) - (2 ** (bits - 1) - 1)
            vals = q.to(scale.dtype) * scale[rows]
        else:
            vals = _part(data, values)
        dense = torch.zeros(shape[0], math.prod(shape[1:]), dtype=vals.dtype)
        dense[rows, col] = vals
        return dense.reshape(shape)
    raise ValueError(f"artefact: unknown entry kind {kind!r}")


def _fit(skeleton: nn.Module, state: Mapping[str, object], encoding: str) -> None:
    """Check dtypes against the skeleton; resize plain layers whose shapes differ."""
    have = skeleton.state_dict()
    for key, value in state.items():
        old = have.get(key)
        if not isinstance(value, Tensor) or not isinstance(old, Tensor) or old.is_quantized:
            continue  # int8 layers are rebuilt by load_deployable_state
        if old.dtype != value.dtype:
            raise ValueError(
                f"artefact ({encoding}) holds {key} as {value.dtype}, the skeleton as "
                f"{old.dtype}: rebuild the skeleton with the artefact's quant_mode")
        if old.shape != value.shape:
            _resize(skeleton, key, value.shape)


def _resize(model: nn.Module, key: str, shape: torch.Size) -> None:
    """Give ``model``'s tensor ``key`` the shape ``shape`` (its layer's sizes follow)."""
    owner_name, _, attr = key.rpartition(".")
    owner = model.get_submodule(owner_name) if owner_name else model
    old = getattr(owner, attr)
    new = torch.empty(shape, dtype=old.dtype, device=old.device)
    if isinstance(old, nn.Parameter):
        setattr(owner, attr, nn.Parameter(new, requires_grad=old.requires_grad))
    else:
        owner._buffers[attr] = new
    layer = cast(Any, owner)
    if attr == "weight" and isinstance(owner, nn.Linear):
        layer.out_features, layer.in_features = int(shape[0]), int(shape[1])
    elif attr == "weight" and isinstance(owner, nn.modules.conv._ConvNd):
        groups = owner.groups
        if groups > 1 and owner.in_channels == groups:  # depthwise: one group per channel,
            groups = int(shape[0]) // (owner.out_channels // groups)  # so groups shrink too
        layer.groups = groups
        layer.out_channels, layer.in_channels = int(shape[0]), int(shape[1]) * groups
    elif isinstance(owner, nn.modules.batchnorm._NormBase) and attr in (
            "weight", "running_mean"):
        layer.num_features = int(shape[0])
    elif isinstance(owner, (nn.LayerNorm, nn.GroupNorm)) and attr in ("weight", "bias"):
        if isinstance(owner, nn.LayerNorm):
            layer.normalized_shape = tuple(int(s) for s in shape)
        else:
            layer.num_channels = int(shape[0])


def load(source: Source, skeleton: nn.Module) -> nn.Module:
    """Decode an artefact (payload bytes, a file path or an :class:`Artefact`) into ``skeleton``.

    ``skeleton`` must have the encoded model's structure: the same modules, dtype and
    quantization (build it with :func:`optwidgets.compress.pipeline.rebuild`). Plain
    Linear / Conv (depthwise ones with their groups) / BatchNorm / LayerNorm layers whose
    shapes differ from the saved ones are resized to them first (which units a structured pruning kept does not matter: the values
    come from the artefact). The result predicts exactly what the encoded model did
    (``torch.equal`` on the logits): every stored tensor decodes to the same bits (CSR
    and packed codes are exact; k-bit weights are ``codes * scale``, the very product the
    encoded model computed with), and int8 layers get the same int8 values and qparams.
    Returns ``skeleton``, in ``eval()`` mode, on its device.

    Raises
    ------
    ValueError
        when ``source`` is no artefact, or a tensor's dtype differs from the skeleton's.
    RuntimeError
        when the skeleton's state keys differ from the artefact's (it names both).

    Example
    -------
    >>> import torch, torch.nn as nn
    >>> m = nn.Linear(4, 2).to(torch.bfloat16)
    >>> back = load(encode(m).payload, nn.Linear(4, 2).to(torch.bfloat16))
    >>> torch.equal(back.weight, m.weight)
    True
    """
    obj = _container_of(source)
    data = obj["data"]
    state = {key: _decode(entry, data) for key, entry in obj["entries"].items()}
    _fit(skeleton, state, obj["encoding"])
    try:
        load_deployable_state(skeleton, state)
    except (RuntimeError, KeyError) as err:  # quantized layers raise KeyError on a missing key
        raise RuntimeError(f"artefact ({obj['encoding']}, meta {obj['meta']}) does not fit "
                           f"this skeleton: {err!r}") from err
    return skeleton.eval()
