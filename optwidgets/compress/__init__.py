"""Compression: measure, prune, quantize, distill, low-rank factorize.

Plain functions on ``nn.Module`` objects, shaped like ``torch.nn.utils.prune``
(``amount``: a float is a fraction, an int a count). Heavy dependencies (Torch-Pruning,
``torch.ao.quantization``) are imported only by the functions that need them.

Example
-------
>>> import torch, torch.nn as nn
>>> from optwidgets import compress as C
>>> m = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
>>> _ = C.prune_neurons(m, 0.5, example_input=torch.randn(1, 64))
>>> C.count_params(m)
1210
"""

from optwidgets.compress.distill import check_student_size, distillation_loss
from optwidgets.compress.lowrank import factorize, layer_rank
from optwidgets.compress.measure import (
    count_nonzero,
    count_params,
    deployable_state,
    latency_ms,
    measure,
    model_device,
    model_dtype,
    size_bytes,
)
from optwidgets.compress.pipeline import (
    CompressionOutcome,
    compress,
    preflight,
    technique_label,
)
from optwidgets.compress.prune import (
    agp_schedule,
    is_masked,
    output_layer,
    prunable_layers,
    prune_filters,
    prune_neurons,
    prune_weights,
    remove_masks,
    sensitivity,
    sparse_bytes,
    step_amounts,
)
from optwidgets.compress.quantize import (
    ActivationFakeQuant,
    calibrate,
    cast_weights,
    fake_quantize,
    freeze,
    packed_bytes,
    quantize_int8,
    simulate_quantization,
)

__all__ = [
    # measure
    "count_nonzero",
    "count_params",
    "deployable_state",
    "latency_ms",
    "measure",
    "model_device",
    "model_dtype",
    "size_bytes",
    # prune
    "agp_schedule",
    "is_masked",
    "output_layer",
    "prunable_layers",
    "prune_filters",
    "prune_neurons",
    "prune_weights",
    "remove_masks",
    "sensitivity",
    "sparse_bytes",
    "step_amounts",
    # quantize
    "ActivationFakeQuant",
    "calibrate",
    "cast_weights",
    "fake_quantize",
    "freeze",
    "packed_bytes",
    "quantize_int8",
    "simulate_quantization",
    # distill, low-rank
    "check_student_size",
    "distillation_loss",
    "factorize",
    "layer_rank",
    # pipeline
    "CompressionOutcome",
    "compress",
    "preflight",
    "technique_label",
]
