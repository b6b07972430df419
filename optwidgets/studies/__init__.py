"""Studies: the article's twelve tables, measured here with a spread over seeds.

The domain article (``seeds/000_...``: "AI Model Optimization") makes its case with ten
tables and two timing tables whose numbers are invented. Each study below measures one
of them with ``ow.run`` / ``ow.search`` on this machine and returns a DataFrame: one row
per variant, ``<metric>_mean`` and ``<metric>_std`` over the seeds, ``n_seeds``, and in
``attrs`` the budget, device, seeds, notes on how it was measured and ``left_out`` (rows
that could not be measured here, such as GPU rows without a GPU: they hold no number).

========  ==================  ===========================================================
number    study               what varies
========  ==================  ===========================================================
1         hyperparameters     learning rate, batch size, dropout
2         optimizers          Adam, SGD, AdaGrad, RMSprop (time and accuracy)
3         preprocessing       none, min-max, standardize; one-hot for categorical features
4         pruning             weight, neuron, filter at the same ratio (saved bytes)
5         early_stopping      validation loss at several epoch counts, with and without
6         model_size          the zoo's models: saved MB and accuracy
7         quantization        32, 16, 8, 4, 2 bits: latency, size, accuracy
8         parallelism         CPU threads, GPU (where present), search workers
9         transfer            feature extraction, fine-tuning, the source as it is
10        augmentation        rotation, random crop (translate), flip
11        search_methods      grid, random, TPE, CMA-ES: best val accuracy, time to it
12        hardware_times      one workload on 1 thread, all threads, GPU, workers
========  ==================  ===========================================================

``budget="quick"`` keeps all twelve within a few minutes on two CPU cores (three seeds,
tiny models); ``"full"`` runs five seeds and larger models.

Example
-------
>>> from optwidgets import studies
>>> studies.TABLES[6].title, studies.article(7)["inference_time_ms"].tolist()
('Quantization impact on inference time', [8, 6, 4])
>>> t = studies.run_table(4, budget="quick")  # doctest: +SKIP
"""

from optwidgets.studies._common import BUDGETS, Budget, check_budget, check_device, hardware
from optwidgets.studies._compute import hardware_times, parallelism, search_methods
from optwidgets.studies._deploy import model_size, pruning, quantization
from optwidgets.studies._registry import (
    TABLES,
    StudyTable,
    article,
    check_only,
    run_table,
    save_csv,
    table_record,
)
from optwidgets.studies._training import (
    augmentation,
    early_stopping,
    hyperparameters,
    optimizers,
    preprocessing,
    transfer,
)

__all__ = [
    "TABLES",
    "StudyTable",
    "BUDGETS",
    "Budget",
    "article",
    "check_budget",
    "check_device",
    "check_only",
    "hardware",
    "run_table",
    "save_csv",
    "table_record",
    "hyperparameters",
    "optimizers",
    "preprocessing",
    "pruning",
    "early_stopping",
    "model_size",
    "quantization",
    "parallelism",
    "transfer",
    "augmentation",
    "search_methods",
    "hardware_times",
]
