"""The twelve tables: title, the article's claim, the article's (invented) numbers, and the
study that measures them here.

Example
-------
>>> [t.number for t in TABLES][:3], TABLES[3].title
([1, 2, 3], 'Pruning techniques and model size reduction')
>>> article(7).columns.tolist()
['quantization_bits', 'inference_time_ms']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optwidgets.core.errors import ConfigError
from optwidgets.core.io import atomic_write, json_safe
from optwidgets.studies import _compute, _deploy, _training
from optwidgets.studies._common import Budget, check_budget, check_device

__all__ = ["StudyTable", "TABLES", "article", "check_only", "run_table", "table_record",
           "save_csv"]


@dataclass(frozen=True)
class StudyTable:
    """One table of the article: what it claims and the study that measures it."""

    number: int
    key: str  # the study function's name
    title: str
    claim: str  # the article's claim, in one sentence
    article_rows: tuple[dict[str, Any], ...]  # the article's numbers (invented there)
    study: Callable[..., pd.DataFrame]


def _rows(columns: tuple[str, ...], *values: tuple[Any, ...]) -> tuple[dict[str, Any], ...]:
    return tuple(dict(zip(columns, v)) for v in values)


TABLES: tuple[StudyTable, ...] = (
    StudyTable(1, "hyperparameters", "Impact of hyperparameter tuning on accuracy",
               "Each hyperparameter (learning rate, batch size, dropout) sets the accuracy "
               "a network reaches.",
               _rows(("hyperparameter", "accuracy"), ("lr", 0.89), ("batch_size", 0.91),
                     ("dropout", 0.88)), _training.hyperparameters),
    StudyTable(2, "optimizers", "Efficiency comparison of optimization algorithms",
               "Adam trains fastest and most accurately; SGD, AdaGrad and RMSprop are "
               "slower or less accurate.",
               _rows(("optimizer", "train_seconds", "accuracy"), ("adam", 156, 0.95),
                     ("sgd", 180, 0.92), ("adagrad", 200, 0.94), ("rmsprop", 165, 0.93)),
               _training.optimizers),
    StudyTable(3, "preprocessing", "Impact of data preprocessing techniques",
               "Preprocessing sets accuracy: feature scaling is best, then one-hot encoding, "
               "then normalization.",
               _rows(("technique", "accuracy"), ("normalization (min-max)", 0.88),
                     ("one-hot", 0.91), ("feature scaling (standardize)", 0.92)),
               _training.preprocessing),
    StudyTable(4, "pruning", "Pruning techniques and model size reduction",
               "Pruning shrinks a model: weight pruning by 40 percent, filter pruning by 35, "
               "neuron pruning by 25.",
               _rows(("technique", "size_reduction_pct"), ("weight", 40), ("neuron", 25),
                     ("filter", 35)), _deploy.pruning),
    StudyTable(5, "early_stopping", "Impact of early stopping",
               "Early stopping prevents overfitting: the validation loss is lowest at a middle "
               "epoch count and rises when training goes on.",
               _rows(("epochs", "val_loss"), (50, 0.10), (100, 0.08), (150, 0.09)),
               _training.early_stopping),
    StudyTable(6, "model_size", "Trade-off between model size and accuracy",
               "Bigger models are more accurate: size buys accuracy.",
               _rows(("model", "size_mb", "accuracy"), ("ResNet-50", 102, 0.91),
                     ("VGG-16", 150, 0.94), ("AlexNet", 75, 0.89)), _deploy.model_size),
    StudyTable(7, "quantization", "Quantization impact on inference time",
               "Fewer bits mean faster inference: 8-bit weights run twice as fast as 32-bit.",
               _rows(("quantization_bits", "inference_time_ms"), (32, 8), (16, 6), (8, 4)),
               _deploy.quantization),
    StudyTable(8, "parallelism", "Parallel processing and training time",
               "More parallel devices cut training time: two GPUs take little more than half "
               "the time of one, four a third.",
               _rows(("parallelism", "train_seconds"), ("1 GPU", 360), ("2 GPUs", 200),
                     ("4 GPUs", 120)), _compute.parallelism),
    StudyTable(9, "transfer", "Accuracy comparison of transfer learning approaches",
               "Fine-tuning beats feature extraction, which beats the pretrained model as "
               "it is.",
               _rows(("approach", "accuracy"), ("feature extraction", 0.93),
                     ("fine tune", 0.95), ("pretrained as it is", 0.92)),
               _training.transfer),
    StudyTable(10, "augmentation", "Impact of data augmentation techniques",
               "Augmentation raises accuracy: flips most, then random crops, then rotation.",
               _rows(("technique", "accuracy"), ("rotation", 0.89),
                     ("random crop (translate)", 0.91), ("flip", 0.92)),
               _training.augmentation),
    StudyTable(11, "search_methods", "Example hyperparameter optimization results",
               "Bayesian optimization finds the best accuracy in the least time; grid search "
               "is the slowest and the worst.",
               _rows(("method", "best_accuracy", "seconds"), ("grid", 0.915, 3600),
                     ("random", 0.923, 2400), ("Bayesian (TPE)", 0.932, 1900),
                     ("evolutionary (CMA-ES)", 0.928, 2700)), _compute.search_methods),
    StudyTable(12, "hardware_times", "Comparison of training times",
               "A GPU trains several times faster than a CPU, several CPU cores faster than "
               "one, and two GPUs fastest.",
               _rows(("hardware", "seconds"), ("1 CPU", 7200), ("1 GPU", 1600),
                     ("8 CPU cores", 2100), ("2 GPUs", 900)), _compute.hardware_times),
)


def check_only(only: Any) -> int:
    """A table number 1..12; ConfigError naming field ``only``, the value and the range.

    Example
    -------
    >>> check_only("4")
    4
    >>> check_only(13)
    Traceback (most recent call last):
    ...
    optwidgets.core.errors.ConfigError: only=13 is not allowed: expected an integer from 1 to 12
    """
    allowed = f"an integer from 1 to {len(TABLES)}"
    if isinstance(only, bool):
        raise ConfigError("only", only, allowed)
    try:
        n = int(str(only).strip())
    except ValueError:
        raise ConfigError("only", only, allowed) from None
    if not 1 <= n <= len(TABLES) or str(only).strip() != str(n):
        raise ConfigError("only", only, allowed)
    return n


def article(number: int) -> pd.DataFrame:
    """The article's numbers for table ``number`` (invented there), as a small frame."""
    return pd.DataFrame(list(TABLES[check_only(number) - 1].article_rows))


def run_table(number: int, budget: str | Budget = "quick", device: str = "cpu"
              ) -> pd.DataFrame:
    """Measure table ``number``; its frame's attrs carry number, title and claim too."""
    spec = TABLES[check_only(number) - 1]
    b, dev = check_budget(budget), check_device(device)
    table = spec.study(b, dev)
    table.attrs.update({"number": spec.number, "title": spec.title, "claim": spec.claim})
    return table


def table_record(number: int, table: pd.DataFrame) -> dict[str, Any]:
    """One table as a JSON-safe dict: number, title, claim, the article's rows, the
    measured rows, and how they were measured (budget, device, seeds, notes, left_out)."""
    spec = TABLES[check_only(number) - 1]
    return json_safe({
        "number": spec.number, "title": spec.title, "claim": spec.claim,
        "article": [dict(r) for r in spec.article_rows],
        "rows": table.to_dict("records"),
        **{k: table.attrs.get(k) for k in ("budget", "device", "seeds", "notes", "left_out")},
    })


def save_csv(number: int, table: pd.DataFrame, folder: str | Path,
             machine: dict[str, Any]) -> Path:
    """Write table ``number`` as ``folder/tableNN_<key>.csv`` with where and when it was
    measured as its first columns (``measured_at``, ``cpu``, ``cpu_threads``, ``gpu``,
    ``torch``, ``budget``, ``device``); returns the path.

    Example
    -------
    >>> import tempfile
    >>> t = pd.DataFrame({"x": [1]}); t.attrs.update(budget="quick", device="cpu")
    >>> p = save_csv(4, t, tempfile.mkdtemp(), {"date": "2026-01-01", "cpu": "c",
    ...              "cpu_threads": 2, "gpu": "none", "torch": "2"})
    >>> p.name, p.read_text().splitlines()[0]
    ('table04_pruning.csv', 'measured_at,cpu,cpu_threads,gpu,torch,budget,device,x')
    """
    spec = TABLES[check_only(number) - 1]
    out = table.copy()
    where = {"measured_at": machine["date"], "cpu": machine["cpu"],
             "cpu_threads": machine["cpu_threads"], "gpu": machine["gpu"],
             "torch": machine["torch"], "budget": table.attrs.get("budget"),
             "device": table.attrs.get("device")}
    for i, (k, v) in enumerate(where.items()):
        out.insert(i, k, v)
    path = Path(folder) / f"table{spec.number:02d}_{spec.key}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, out.to_csv(index=False).encode())
    return path
