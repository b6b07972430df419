"""Small hand-made frames shaped like the engine's history, runs and trials frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .viz_helpers import make_history


@pytest.fixture
def history():
    return make_history()


@pytest.fixture
def runs():
    nan = np.nan
    return pd.DataFrame(
        {
            "run_id": ["r1", "r2", "r3", "r4", "r5"],
            "status": ["done", "done", "done", "failed", "done"],
            "technique": ["baseline", "int8", "prune-filter", "distill", "prune-filter+int8"],
            "model": ["cnn"] * 5,
            "optimizer": ["adam", "adam", "sgd", "adam", "adam"],
            "lr": [1e-3, 1e-3, 1e-2, 1e-3, 1e-3],
            "prune_ratio": [0.0, 0.0, 0.5, 0.0, 0.5],
            "quant_bits": [8, 8, 8, 8, 8],
            "test_acc": [0.97, 0.96, 0.93, nan, 0.90],
            "f1": [0.96, 0.95, 0.92, nan, 0.89],
            "precision": [0.96, 0.95, 0.92, nan, 0.89],
            "recall": [0.96, 0.95, 0.92, nan, 0.89],
            "size_bytes": [400_000, 110_000, 200_000, nan, 60_000],
            "dense_bytes": [400_000, 400_000, 200_000, nan, 200_000],
            "params": [100_000, 100_000, 50_000, nan, 50_000],
            "nonzero_params": [100_000, 100_000, 50_000, nan, 50_000],
            "latency_ms": [1.0, 1.5, 0.6, nan, 0.9],
            "latency_ms_b256": [10.0, 12.0, 6.0, nan, 8.0],
            "train_seconds": [5.0, 5.5, 7.0, nan, 7.5],
            "sparse_bytes": [nan, nan, 150_000, nan, nan],
            "packed_bytes": [nan, 100_000, nan, nan, 50_000],
        }
    )


@pytest.fixture
def trials():
    return pd.DataFrame(
        {
            "number": [0, 1, 2, 3, 4],
            "state": ["COMPLETE", "COMPLETE", "PRUNED", "COMPLETE", "FAIL"],
            "value": [0.80, 0.75, 0.10, 0.90, np.nan],
            "values_0": [3e5, 1e5, 9e5, 2e5, np.nan],
            "values_1": [0.80, 0.75, 0.10, 0.90, np.nan],
            "params_lr": [1e-4, 1e-3, 1e-2, 1e-1, 1e-2],
            "params_optimizer": ["sgd", "adam", "adam", "adamw", "sgd"],
            "params_batch_size": [32, 64, 64, 128, 32],
            "duration_s": [1.0, 2.0, 0.5, 1.5, 0.1],
        }
    )
