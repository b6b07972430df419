"""Compression: measure, prune, quantize, distill, low-rank factorize.

Plain functions on ``nn.Module`` objects, shaped like ``torch.nn.utils.prune``.
"""

from optwidgets.compress.measure import (
    count_nonzero,
    count_params,
    deployable_state,
    latency_ms,
    measure,
    size_bytes,
)

__all__ = [
    "count_nonzero",
    "count_params",
    "deployable_state",
    "latency_ms",
    "measure",
    "size_bytes",
]
