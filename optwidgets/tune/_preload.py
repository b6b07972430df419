"""Imported once by the forkserver that forks search workers: what every trial needs.

Importing torch, Optuna and the kit takes a few seconds (``torch._dynamo`` via the
optimizers and scikit-learn via the datasets are the slow parts). The forkserver of
:mod:`optwidgets.tune._executors` imports this module once per kernel, then forks each
worker (local or a Dask LocalCluster's) from that state in milliseconds.

Nothing here runs torch code: a forked child must not inherit torch's or OpenMP's
thread pools. BLAS/OpenMP thread counts are set to one before numpy and torch load, for
this process and the workers forked from it (each worker is one trial on one core).
"""

from __future__ import annotations

import os
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# Python >= 3.12 warns on fork() from a process with threads; this one runs no work
warnings.filterwarnings("ignore", message=r".*multi-threaded.*fork", category=DeprecationWarning)

# heavy, on purpose: this module exists to import these before any worker is forked
import optuna  # noqa: E402, F401
import sklearn.datasets  # noqa: E402, F401
import torch  # noqa: E402, F401
import torch._dynamo  # noqa: E402, F401

import optwidgets.runs  # noqa: E402, F401
import optwidgets.tune  # noqa: E402, F401
