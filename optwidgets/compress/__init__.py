"""Compression: the saved artefact, measure, prune, quantize, distill, low-rank factorize.

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

from optwidgets.compress.artefact import Artefact, encode, load, read
from optwidgets.compress.distill import (
    check_student_size,
    distillation_loss,
    distillation_objective,
)
from optwidgets.compress.lowrank import factorize, layer_rank
from optwidgets.compress.measure import (
    Latency,
    count_nonzero,
    count_params,
    deployable_state,
    latency,
    latency_ms,
    load_deployable_state,
    measure,
    model_device,
    model_dtype,
    size_bytes,
)
from optwidgets.compress.pipeline import (
    CompressionOutcome,
    compress,
    load_deployed,
    preflight,
    rebuild,
    technique_label,
)
from optwidgets.compress.prune import (
    agp_schedule,
    check_prunable,
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
    layer_codes,
    packed_bytes,
    quantize_int8,
    simulate_quantization,
    weight_codes,
)

__all__ = [
    # artefact: the model as saved
    "Artefact",
    "encode",
    "load",
    "read",
    # measure
    "count_nonzero",
    "count_params",
    "Latency",
    "deployable_state",
    "latency",
    "latency_ms",
    "load_deployable_state",
    "measure",
    "model_device",
    "model_dtype",
    "size_bytes",
    # prune
    "agp_schedule",
    "check_prunable",
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
    "layer_codes",
    "packed_bytes",
    "quantize_int8",
    "simulate_quantization",
    "weight_codes",
    # distill, low-rank
    "check_student_size",
    "distillation_loss",
    "distillation_objective",
    "factorize",
    "layer_rank",
    # pipeline
    "CompressionOutcome",
    "compress",
    "load_deployed",
    "preflight",
    "rebuild",
    "technique_label",
]
