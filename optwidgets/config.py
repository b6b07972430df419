"""RunConfig: every knob of a run, as plain validated data.

A RunConfig is what a slider edits, what the CLI parses, what a search samples and
what the RunStore saves. It is a mutable dataclass: assigning a field validates that
field at once, and :meth:`RunConfig.validate` checks the fields against each other.
Bad values raise :class:`~optwidgets.core.errors.ConfigError` naming field, value and
what is allowed.

Example
-------
>>> from optwidgets.config import RunConfig
>>> cfg = RunConfig(dataset="digits", model="mlp", lr=0.01, epochs=2)
>>> cfg.lr = 0.05
>>> RunConfig.from_dict(cfg.to_dict()) == cfg
True
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from optwidgets.core.errors import ConfigError, unknown_name
from optwidgets.data import dataset_names, dataset_task, is_image_dataset, register_dataset_object
from optwidgets.models import is_conv_model, model_names
from optwidgets.models.ensemble import ENSEMBLE_MAX

__all__ = [
    "RunConfig",
    "OPTIMIZERS",
    "SCHEDULES",
    "ACTIVATIONS",
    "PREPROCESS",
    "AMP_MODES",
    "TRANSFER_MODES",
    "PRUNE_METHODS",
    "PRUNE_SCHEDULES",
    "PRUNE_SCOPES",
    "QUANT_MODES",
    "QUANT_BITS",
    "AUGMENT_KEYS",
    "TASK_CHOICES",
    "LOSSES",
]

OPTIMIZERS = ("sgd", "adam", "adamw", "adagrad", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "onecycle")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")
PREPROCESS = ("none", "minmax", "standardize", "robust")
AMP_MODES = ("none", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda", "mps")
TRANSFER_MODES = ("scratch", "feature_extraction", "fine_tune")
PRUNE_METHODS = ("none", "weight", "neuron", "filter")
PRUNE_SCHEDULES = ("oneshot", "agp")
PRUNE_SCOPES = ("layer", "global")
QUANT_MODES = ("none", "simulated", "int8", "fp16", "bf16")
TASK_CHOICES = ("auto", "classification", "regression")  # auto: what the dataset declares
LOSSES = ("mse", "mae", "huber")  # regression losses (classification trains on cross-entropy)
QUANT_BITS = (2, 16)  # simulated quantization bit widths, inclusive (the one place they live)
# Augmentation knobs and their allowed magnitudes (units in the comments).
AUGMENT_KEYS = {
    "rotate": (0.0, 180.0),  # degrees, drawn uniformly in [-v, v]
    "translate": (0.0, 16.0),  # pixels, shift drawn uniformly in [-v, v] on each axis
    "hflip": None,  # bool: flip left-right with probability 0.5
    "noise": (0.0, 10.0),  # std of added Gaussian noise, in units of the (preprocessed) input
    "cutout": (0.0, 32.0),  # side of a zeroed square, pixels (0 = off)
}


@dataclass(eq=True)
class RunConfig:
    """Everything that decides a run. Same config, same device: same result.

    Fields are grouped as the Explorer's tabs group them. Zero means "off" for the
    optional techniques (``l1``, ``grad_clip``, ``patience``, ``prune_ratio``, ...).
    """

    # --- data & model -------------------------------------------------------------
    dataset: str = "digits"  # registered dataset name (ow.data.dataset_names())
    task: str = "auto"  # auto = the dataset's (ow.data.dataset_task), classification, regression
    n_samples: int = 1000  # points generated for the toy 2-D sets
    noise: float = 0.1  # noise of the toy 2-D sets, in units of their coordinates
    val_fraction: float = 0.15  # share of samples held out for validation / early stopping
    test_fraction: float = 0.2  # share held out for the final test metrics (never trained on)
    preprocess: str = "standardize"  # input scaling, statistics from the training split only
    classes: tuple[int, ...] = ()  # keep only these labels (relabelled 0..k-1); () = all
    train_fraction: float = 1.0  # share of the training split that keeps its labels
    labels_per_class: int = 0  # labelled training samples per class; 0 = all
    model: str = "cnn"  # registered model name (ow.models.model_names())
    hidden: tuple[int, ...] = (128,)  # hidden units per layer of the mlp family
    activation: str = "relu"  # non-linearity of the mlp family
    width: int = 32  # channels of the first conv layer (cnn, resnet_tiny); later layers scale it
    dropout: float = 0.0  # dropout probability before each hidden/classifier layer, in [0, 1)
    seed: int = 0  # seeds weights, splits, shuffling and augmentation
    device: str = "auto"  # auto = cuda, then mps, then cpu
    # --- training -----------------------------------------------------------------
    optimizer: str = "adam"
    lr: float = 3e-3  # learning rate (peak rate for onecycle)
    momentum: float = 0.9  # sgd and rmsprop momentum
    nesterov: bool = False  # sgd only
    schedule: str = "constant"  # learning-rate schedule
    step_size: int = 5  # epochs between decays of the step schedule
    gamma: float = 0.1  # decay factor of the step schedule
    batch_size: int = 64  # samples per gradient step
    epochs: int = 4  # passes over the training split
    amp: str = "none"  # mixed precision on CUDA (bf16 also on CPU)
    loss: str = "mse"  # regression loss on standardized targets: mse, mae, huber (delta 1 std)
    grad_every: int = 20  # steps between gradient-health records (res.gradients); 0 = off
    # --- regularization -----------------------------------------------------------
    weight_decay: float = 0.0  # L2 penalty (decoupled for adamw)
    l1: float = 0.0  # L1 penalty on weights, added to the loss
    patience: int = 0  # early stopping: epochs without val-loss improvement; 0 = off
    grad_clip: float = 0.0  # max global gradient norm; 0 = off
    # --- data side ----------------------------------------------------------------
    augment: dict[str, Any] = field(default_factory=dict)  # e.g. {"rotate": 15, "hflip": True}
    transfer: str = "scratch"  # scratch | feature_extraction | fine_tune
    source: str = ""  # pretrained source: a built-in name or a .pt weights file
    backbone_lr_scale: float = 0.1  # fine_tune: backbone lr = lr * this
    # --- compression --------------------------------------------------------------
    distill_student: str = ""  # zoo model distilled from the trained model; "" = off
    distill_teacher: str = ""  # run id of a stored teacher; "" = the model this run trains
    distill_temperature: float = 4.0  # softmax temperature T of the KL term
    distill_alpha: float = 0.7  # weight of the KL term; 1 - alpha weighs cross-entropy
    lowrank_rank: float = 0.0  # SVD rank: fraction in (0, 1) or a count >= 1; 0 = off
    prune_method: str = "none"  # none | weight (unstructured) | neuron | filter
    prune_ratio: float = 0.0  # fraction of weights / units / channels removed, in [0, 1)
    prune_scope: str = "layer"  # weight pruning: per layer or one global threshold
    prune_schedule: str = "oneshot"  # oneshot, or agp (cubic, gradual over prune_steps)
    prune_steps: int = 1  # pruning steps of the agp schedule
    finetune_epochs: int = 0  # epochs of fine-tuning after each compression phase
    quant_mode: str = "none"  # none | simulated (k-bit) | int8 | fp16 | bf16
    quant_bits: int = 8  # bit width of simulated quantization, 2..16
    quant_activations: bool = False  # simulated: quantize activations too
    qat_epochs: int = 0  # simulated: quantization-aware fine-tune epochs (STE)
    # --- ensembles ----------------------------------------------------------------
    ensemble: int = 1  # members (seeds seed, seed+1, ...), probabilities averaged; 1 = off
    ensemble_bootstrap: bool = False  # each member trains on a bootstrap sample of train

    _CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {
        "optimizer": OPTIMIZERS,
        "schedule": SCHEDULES,
        "activation": ACTIVATIONS,
        "preprocess": PREPROCESS,
        "amp": AMP_MODES,
        "device": DEVICES,
        "transfer": TRANSFER_MODES,
        "prune_method": PRUNE_METHODS,
        "prune_scope": PRUNE_SCOPES,
        "prune_schedule": PRUNE_SCHEDULES,
        "quant_mode": QUANT_MODES,
        "task": TASK_CHOICES,
        "loss": LOSSES,
    }

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _validate_field(f.name, getattr(self, f.name)))
        self.validate()

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FIELD_NAMES:
            value = _validate_field(name, value)
        elif not name.startswith("_"):
            raise unknown_name("RunConfig field", name, _FIELD_NAMES)
        object.__setattr__(self, name, value)

    # -- what the config turns on: each rule written once, here ------------------------
    @property
    def pruning(self) -> bool:
        """Pruning runs: a method is chosen and its ratio is above zero."""
        return self.prune_method != "none" and self.prune_ratio > 0

    @property
    def structured_pruning(self) -> bool:
        """Pruning removes whole units or channels (the model gets smaller and faster)."""
        return self.pruning and self.prune_method in ("neuron", "filter")

    @property
    def quantizing(self) -> bool:
        """Any quantization: simulated k-bit, int8, fp16 or bf16."""
        return self.quant_mode != "none"

    @property
    def simulated_quant(self) -> bool:
        """Simulated (fake) k-bit quantization, the only mode with bits, QAT and activations."""
        return self.quant_mode == "simulated"

    @property
    def low_rank(self) -> bool:
        """SVD low-rank factorization runs."""
        return self.lowrank_rank > 0

    @property
    def distilling(self) -> bool:
        """A student is distilled from a teacher (this run's model or a stored one)."""
        return bool(self.distill_student)

    @property
    def transferring(self) -> bool:
        """The model starts from a pretrained source."""
        return self.transfer != "scratch"

    @property
    def compressing(self) -> bool:
        """A compression step runs after training (low rank, pruning or quantization)."""
        return self.low_rank or self.pruning or self.quantizing

    @property
    def ensembling(self) -> bool:
        """This run trains ``ensemble`` > 1 members: deployed as one model that averages their
        probabilities, or the teacher of its ``distill_student``."""
        return self.ensemble > 1 and not (self.distilling and self.distill_teacher)

    @property
    def resolved_task(self) -> str:
        """``task``, or with ``task='auto'`` the dataset's (``'classification'`` where the
        dataset is not registered in this process: a stored run records its own task).

        Example
        -------
        >>> RunConfig(dataset="diabetes", model="mlp").resolved_task
        'regression'
        """
        if self.task != "auto":
            return self.task
        try:
            return dataset_task(self.dataset)
        except ConfigError:
            return "classification"

    @property
    def regression(self) -> bool:
        """The run fits a continuous target (R², RMSE, MAE instead of accuracy)."""
        return self.resolved_task == "regression"

    @property
    def prune_amounts(self) -> int:
        """Pruning steps: ``prune_steps`` for the gradual (agp) schedule, else one."""
        return self.prune_steps if self.prune_schedule == "agp" else 1

    def check_device(self, device_type: str) -> RunConfig:
        """Refuse settings this device cannot run (the one place these rules live).

        Raises ConfigError naming ``amp`` or ``quant_mode``; returns self.

        Example
        -------
        >>> RunConfig(quant_mode="int8").check_device("cuda")
        Traceback (most recent call last):
        ...
        optwidgets.core.errors.ConfigError: quant_mode='int8' is not allowed: ...
        """
        if self.amp == "fp16" and device_type != "cuda":
            raise ConfigError("amp", self.amp, f"'none' or 'bf16' on {device_type}",
                              "fp16 mixed precision needs CUDA")
        if self.amp != "none" and device_type == "mps":
            raise ConfigError("amp", self.amp, "'none' on mps")
        if self.quant_mode == "int8" and device_type != "cpu":
            raise ConfigError("quant_mode", "int8",
                              f"'simulated', 'fp16' or 'bf16' on {device_type}",
                              "real int8 kernels run on the CPU; set device='cpu'")
        return self

    # -- settings that only apply when something else is on ----------------------------
    def inactive_reason(self, name: str) -> str | None:
        """Why field ``name`` has no effect with the other settings, or None if it applies.

        The Explorer disables such a control with this text as its tooltip, and a run
        refuses a field set away from its default while it has no effect.

        Example
        -------
        >>> RunConfig().inactive_reason("quant_bits")
        "applies only with quant_mode='simulated'"
        >>> RunConfig(quant_mode="simulated").inactive_reason("quant_bits") is None
        True
        """
        rule = _APPLIES_WHEN.get(name)
        if rule is None or rule[0](self):
            return None
        return f"applies only with {rule[1]}"

    def unused_settings(self) -> list[tuple[str, Any, str]]:
        """``(field, value, reason)`` for each field set away from its default that has no
        effect with the other settings (``prune_ratio=0.5`` with ``prune_method='none'``)."""
        out = []
        for name in _APPLIES_WHEN:
            value = getattr(self, name)
            if value != _DEFAULTS[name] and (reason := self.inactive_reason(name)):
                out.append((name, value, reason))
        return out

    def check_settings_apply(self) -> RunConfig:
        """Refuse a setting that would be silently ignored; returns self.

        Called when a run starts (not on every assignment, so a base config for a search
        or a sweep may hold settings that only some of its runs use).

        Example
        -------
        >>> RunConfig(qat_epochs=2).check_settings_apply()
        Traceback (most recent call last):
        ...
        optwidgets.core.errors.ConfigError: qat_epochs=2 is not allowed: expected 0 (its default) ...
        """
        unused = self.unused_settings()
        if unused:
            name, value, reason = unused[0]
            raise ConfigError(name, value, f"{_DEFAULTS[name]!r} (its default) or a setting "
                              f"that uses it", f"{name} {reason}; it would be ignored")
        return self

    def without_unused(self) -> RunConfig:
        """A copy with every setting that has no effect put back to its default
        (a search trial's effective settings)."""
        unused = self.unused_settings()
        return self.replace(**{n: _DEFAULTS[n] for n, _, _ in unused}) if unused else self

    # -- checks across fields ----------------------------------------------------------
    def validate(self) -> RunConfig:
        """Check the fields against each other; returns self for chaining."""
        if _STORED.get():  # a stored run's config: checked when it ran (see from_stored)
            return self
        conv = is_conv_model(self.model)
        if self.task != "auto" and self.task != (declared := dataset_task(self.dataset)):
            raise ConfigError(
                "task", self.task, f"'auto' or {declared!r} for dataset {self.dataset!r}",
                f"its targets are {'continuous' if declared == 'regression' else 'class labels'}"
                + ("; to regress on numeric labels register the data with task='regression' "
                   "(ow.data.from_arrays(X, y, task='regression'))"
                   if self.task == "regression" else ""))
        if self.distill_student and self.regression:
            raise ConfigError(
                "distill_student", self.distill_student, "'' (off) for a regression task",
                "distillation matches the teacher's softened class probabilities; a "
                "regression model has one output and no classes")
        if conv and not is_image_dataset(self.dataset):
            raise ConfigError(
                "model",
                self.model,
                "a model that takes feature vectors (e.g. 'mlp') for dataset "
                f"{self.dataset!r}",
                f"{self.model!r} needs image input (channels, height, width)",
            )
        if self.distill_student and is_conv_model(self.distill_student) and not is_image_dataset(
                self.dataset):
            raise ConfigError(
                "distill_student", self.distill_student,
                f"a student that takes feature vectors (e.g. 'mlp_small') for dataset "
                f"{self.dataset!r}", f"{self.distill_student!r} needs image input",
            )
        geometric = [k for k in ("rotate", "translate", "hflip", "cutout") if self.augment.get(k)]
        if geometric and not is_image_dataset(self.dataset):
            raise ConfigError(
                f"augment[{geometric[0]!r}]", self.augment[geometric[0]],
                "0 / False for feature-vector data (only 'noise' applies to it)",
                f"dataset {self.dataset!r} has no images to rotate, shift, flip or cut out",
            )
        if self.pruning and self.prune_method == "filter" and not conv:
            raise ConfigError(
                "prune_method", "filter", "'weight' or 'neuron' for a model without convolutions",
                f"model {self.model!r} has no conv layers",
            )
        if self.transferring and not self.source:
            raise ConfigError(
                "source", self.source, f"a pretrained source for transfer={self.transfer!r}",
                "name a built-in source or a .pt weights file",
            )
        if self.ensemble > 1 and self.regression:
            raise ConfigError(
                "ensemble", self.ensemble, "1 (off) for a regression task",
                "an ensemble here averages its members' class probabilities")
        top_seed = RANGES["seed"].hi
        if top_seed is not None and self.seed + self.ensemble - 1 > top_seed:
            # members use seed .. seed+k-1
            raise ConfigError(
                "ensemble", self.ensemble, f"at most {int(top_seed) - self.seed + 1} "
                f"with seed={self.seed}", "member i trains with seed + i, which must stay a seed",
            )
        if self.val_fraction + self.test_fraction >= 0.9:
            raise ConfigError(
                "test_fraction", self.test_fraction,
                f"val_fraction + test_fraction < 0.9 (val_fraction is {self.val_fraction})",
            )
        return self

    # -- serialization -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every field (tuples become lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else (dict(v) if isinstance(v, dict) else v)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Rebuild a config; unknown keys are refused with the closest field names."""
        for k in data:
            if k not in _FIELD_NAMES:
                raise unknown_name("RunConfig field", k, _FIELD_NAMES)
        return cls(**data)

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> RunConfig:
        """Rebuild the config of a stored run, also in a process that does not have its
        dataset or model registered (data registered in a notebook, a model of your own).

        Every field is still checked for its type and range; names of datasets and models
        are kept as stored, and the checks across fields (made when the run started) are
        skipped. Running it needs those names registered again.

        Example
        -------
        >>> RunConfig.from_stored({"dataset": "my-notebook-data", "model": "mlp"}).dataset
        'my-notebook-data'
        """
        token = _STORED.set(True)
        try:
            return cls.from_dict(data)
        finally:
            _STORED.reset(token)

    def replace(self, **changes: Any) -> RunConfig:
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return _FIELD_NAMES


# ---------------------------------------------------------------------------------------
# per-field validation: each returns the normalized value or raises ConfigError

def _number(name: str, value: Any, *, integer: bool = False) -> float:
    if isinstance(value, bool):  # True is an int to Python, never a learning rate to a user
        raise ConfigError(name, value, "an integer" if integer else "a number",
                          "True / False are not numbers here")
    if not isinstance(value, (int, float)):
        try:  # accept numeric strings from the CLI and text boxes
            value = float(value) if not integer else int(str(value))
        except (TypeError, ValueError):
            kind = "an integer" if integer else "a number"
            raise ConfigError(name, value, kind) from None
    if integer and float(value) != int(value):
        raise ConfigError(name, value, "an integer")
    if not integer and not math.isfinite(float(value)):
        raise ConfigError(name, value, "a finite number")
    return int(value) if integer else float(value)


class Range(NamedTuple):
    """The allowed values of a numeric field: ``lo`` .. ``hi`` (None = unbounded)."""

    lo: float | None
    hi: float | None
    integer: bool = False
    lo_open: bool = False
    hi_open: bool = False

    def describe(self) -> str:
        """In words: ``'a number in (0, 10]'``, ``'an integer >= 1'``."""
        kind = "an integer" if self.integer else "a number"
        lo, hi = self.lo, self.hi
        if lo is not None and hi is None:
            return f"{kind} {'>' if self.lo_open else '>='} {_num(lo)}"
        if hi is not None and lo is None:
            return f"{kind} {'<' if self.hi_open else '<='} {_num(hi)}"
        if lo is None or hi is None:
            return kind
        return (f"{kind} in {'(' if self.lo_open else '['}{_num(lo)}, "
                f"{_num(hi)}{')' if self.hi_open else ']'}")


def _num(x: float) -> str:
    """1000000 as '1,000,000' (not '1e+06'); 0.5 as '0.5'."""
    return f"{int(x):,}" if float(x).is_integer() and abs(x) >= 1000 else f"{x:g}"


# Numeric fields and their ranges (units in the RunConfig field comments).
RANGES: dict[str, Range] = {
    "n_samples": Range(20, 1_000_000, integer=True),
    "noise": Range(0.0, 10.0),
    "val_fraction": Range(0.0, 0.5, lo_open=True),
    "test_fraction": Range(0.0, 0.5, lo_open=True),
    "train_fraction": Range(0.0, 1.0, lo_open=True),
    "labels_per_class": Range(0, None, integer=True),
    "width": Range(1, 4096, integer=True),
    "dropout": Range(0.0, 1.0, hi_open=True),
    "seed": Range(0, 2**32 - 1, integer=True),
    "lr": Range(0.0, 10.0, lo_open=True),
    "momentum": Range(0.0, 1.0, hi_open=True),
    "step_size": Range(1, None, integer=True),
    "gamma": Range(0.0, 1.0, lo_open=True),
    "batch_size": Range(1, 1_000_000, integer=True),
    "epochs": Range(1, 100_000, integer=True),
    "weight_decay": Range(0.0, 1.0),
    "l1": Range(0.0, 1.0),
    "patience": Range(0, None, integer=True),
    "grad_clip": Range(0.0, None),
    "grad_every": Range(0, 1_000_000, integer=True),
    "backbone_lr_scale": Range(0.0, 1.0),
    "distill_temperature": Range(0.0, 100.0, lo_open=True),
    "distill_alpha": Range(0.0, 1.0),
    "lowrank_rank": Range(0.0, None),
    "prune_ratio": Range(0.0, 1.0, hi_open=True),
    "prune_steps": Range(1, 1000, integer=True),
    "finetune_epochs": Range(0, 100_000, integer=True),
    "quant_bits": Range(*QUANT_BITS, integer=True),
    "qat_epochs": Range(0, 100_000, integer=True),
    "ensemble": Range(1, ENSEMBLE_MAX, integer=True),
}


def _in_range(name: str, value: Any, rule: Range) -> float:
    v = _number(name, value, integer=rule.integer)
    lo, hi = rule.lo, rule.hi
    bad = (lo is not None and (v <= lo if rule.lo_open else v < lo)) or (
        hi is not None and (v >= hi if rule.hi_open else v > hi)
    )
    if bad:
        raise ConfigError(name, v, rule.describe())  # the parsed value: lr=-1.0, not lr='-1'
    return v


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ConfigError(name, value, "True or False")


def _int_tuple(name: str, value: Any, *, lo: int) -> tuple[int, ...]:
    if isinstance(value, str):
        value = [p for p in value.replace(",", " ").split() if p]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    try:
        items = tuple(_in_range(name, v, Range(lo, None, integer=True)) for v in value)
    except TypeError:
        raise ConfigError(name, value, f"a sequence of integers >= {lo}") from None
    return tuple(int(v) for v in items)


def _hidden(value: Any) -> tuple[int, ...]:
    widths = _int_tuple("hidden", value, lo=1)
    if not widths:
        raise ConfigError("hidden", value, "at least one layer width, e.g. (128,) or '64,32'",
                          "an mlp without hidden layers would be a linear model")
    return widths


def _augment(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError("augment", value, "a dict such as {'rotate': 15, 'hflip': True}")
    out: dict[str, Any] = {}
    for key, v in value.items():
        if key not in AUGMENT_KEYS:
            raise unknown_name("augment key", key, AUGMENT_KEYS)
        bounds = AUGMENT_KEYS[key]
        if bounds is None:
            out[key] = _bool(f"augment[{key!r}]", v)
        else:
            out[key] = _in_range(f"augment[{key!r}]", v, Range(bounds[0], bounds[1]))
    return out


def _lowrank_rank(value: Any) -> float:
    v = _in_range("lowrank_rank", value, RANGES["lowrank_rank"])
    if v >= 1 and v != int(v):
        raise ConfigError("lowrank_rank", value, "0 (off), a fraction in (0, 1) or a whole count >= 1")
    return v


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        raise unknown_name(name, value, choices)
    return value.lower()


def _dataset_name(value: Any) -> Any:
    """A name stays a name; data itself (a Dataset, ``(X, y)``, a torch Dataset or
    DataLoader) is registered and the config keeps the name it got."""
    if isinstance(value, str) or value is None or isinstance(value, (int, float, bool)):
        return value
    if hasattr(value, "columns") and hasattr(value, "iloc"):
        raise ConfigError("dataset", type(value).__name__, "a dataset name, a Dataset or "
                          "(X, y); a DataFrame needs its target column",
                          "use ow.data.register_dataset_object(df, target='label') or "
                          "ow.run(cfg, data=df) with target")
    return register_dataset_object(value)


def _registered(name: str, value: Any, names: list[str], *, allow_empty: bool = False) -> str:
    if allow_empty and value == "":
        return ""
    if _STORED.get() and isinstance(value, str) and value:
        return value  # registered in the process that ran it, maybe not in this one
    if not isinstance(value, str) or value not in names:
        raise unknown_name(name, value, names)
    return value


_TEXT_RULES: dict[str, Any] = {
    "dataset": lambda v: _registered("dataset", _dataset_name(v), dataset_names()),
    "model": lambda v: _registered("model", v, model_names()),
    "distill_student": lambda v: _registered("distill_student", v, model_names(),
                                             allow_empty=True),
    "classes": lambda v: _int_tuple("classes", v, lo=0),
    "hidden": _hidden,
    "nesterov": lambda v: _bool("nesterov", v),
    "augment": _augment,
    "source": lambda v: v if isinstance(v, str) else str(v),
    "distill_teacher": lambda v: v if isinstance(v, str) else str(v),
    "lowrank_rank": _lowrank_rank,
    "quant_activations": lambda v: _bool("quant_activations", v),
    "ensemble_bootstrap": lambda v: _bool("ensemble_bootstrap", v),
}
_ALLOWED_TEXT = {
    "classes": "labels to keep, e.g. '0,1,2' (empty = all)",
    "hidden": "layer widths >= 1, e.g. '128' or '64,32'",
    "nesterov": "True or False",
    "quant_activations": "True or False",
    "ensemble_bootstrap": "True or False",
    "augment": "JSON such as '{\"rotate\": 15, \"hflip\": true}' with keys "
               + ", ".join(AUGMENT_KEYS),
    "source": "a built-in source name, a .pt weights file or a stored run id",
    "distill_teacher": "a stored run id ('' = the model this run trains)",
    "lowrank_rank": "0 (off), a fraction in (0, 1) or a whole count >= 1",
}


def allowed(name: str) -> str:
    """What a field accepts, in words (for ``--help``, tooltips and error messages).

    Example
    -------
    >>> allowed("lr"), allowed("optimizer")
    ('a number in (0, 10]', "one of 'sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'")
    """
    if name in RunConfig._CHOICES:
        return "one of " + ", ".join(repr(c) for c in RunConfig._CHOICES[name])
    if name in ("dataset", "model", "distill_student"):
        names = dataset_names() if name == "dataset" else model_names()
        return ("'' (off) or " if name == "distill_student" else "") + "one of " + ", ".join(
            repr(n) for n in names)
    if name in _ALLOWED_TEXT:
        return _ALLOWED_TEXT[name]
    if name in RANGES:
        return RANGES[name].describe()
    raise unknown_name("RunConfig field", name, _FIELD_NAMES)


def _validate_field(name: str, value: Any) -> Any:
    if name in RunConfig._CHOICES:
        return _choice(name, value, RunConfig._CHOICES[name])
    rule = _TEXT_RULES.get(name)
    if rule is not None:
        return rule(value)
    if name in RANGES:
        return _in_range(name, value, RANGES[name])
    raise AssertionError(f"no validation rule for RunConfig.{name}")  # pragma: no cover


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RunConfig))
# set while a stored run's config is rebuilt (RunConfig.from_stored)
_STORED: contextvars.ContextVar[bool] = contextvars.ContextVar("optwidgets_stored",
                                                               default=False)
_DEFAULTS: dict[str, Any] = {
    f.name: f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    for f in dataclasses.fields(RunConfig)}

# field -> (when it has an effect, that condition in words)
_APPLIES_WHEN: dict[str, tuple[Any, str]] = {
    "loss": (lambda c: c.regression, "a regression task (task='regression' or a regression "
             "dataset such as 'diabetes')"),
    "classes": (lambda c: not c.regression, "a classification task (class labels)"),
    "labels_per_class": (lambda c: not c.regression, "a classification task (class labels)"),
    "nesterov": (lambda c: c.optimizer == "sgd" and c.momentum > 0,
                 "optimizer='sgd' and momentum > 0"),
    "momentum": (lambda c: c.optimizer in ("sgd", "rmsprop"), "optimizer 'sgd' or 'rmsprop'"),
    "step_size": (lambda c: c.schedule == "step", "schedule='step'"),
    "gamma": (lambda c: c.schedule == "step", "schedule='step'"),
    "source": (lambda c: c.transferring, "transfer 'feature_extraction' or 'fine_tune'"),
    "backbone_lr_scale": (lambda c: c.transfer == "fine_tune", "transfer='fine_tune'"),
    "distill_teacher": (lambda c: c.distilling, "a distill_student"),
    "distill_temperature": (lambda c: c.distilling, "a distill_student"),
    "distill_alpha": (lambda c: c.distilling, "a distill_student"),
    "prune_ratio": (lambda c: c.prune_method != "none",
                    "prune_method 'weight', 'neuron' or 'filter'"),
    "prune_scope": (lambda c: c.pruning and c.prune_method == "weight",
                    "prune_method='weight' and prune_ratio > 0"),
    "prune_schedule": (lambda c: c.pruning, "a prune_method and prune_ratio > 0"),
    "prune_steps": (lambda c: c.pruning and c.prune_schedule == "agp",
                    "prune_schedule='agp' (and pruning on)"),
    "finetune_epochs": (lambda c: c.low_rank or c.pruning,
                        "low rank (lowrank_rank > 0) or pruning on"),
    "quant_bits": (lambda c: c.simulated_quant, "quant_mode='simulated'"),
    "quant_activations": (lambda c: c.simulated_quant, "quant_mode='simulated'"),
    "qat_epochs": (lambda c: c.simulated_quant, "quant_mode='simulated'"),
    "ensemble": (lambda c: not (c.distilling and c.distill_teacher),
                 "a run that trains its own model (not a stored distill_teacher)"),
    "ensemble_bootstrap": (lambda c: c.ensembling, "ensemble > 1"),
}


def _refuse_unknown_keywords(init: Any) -> Any:
    """Wrap the dataclass ``__init__`` so a misspelt field gets "did you mean", not a bare
    TypeError (``RunConfig(lrr=0.1)`` suggests ``lr``)."""

    @functools.wraps(init)
    def __init__(self: RunConfig, *args: Any, **kwargs: Any) -> None:
        for key in kwargs:
            if key not in _FIELD_NAMES:
                raise unknown_name("RunConfig field", key, _FIELD_NAMES)
        init(self, *args, **kwargs)

    return __init__


RunConfig.__init__ = _refuse_unknown_keywords(RunConfig.__init__)  # type: ignore[method-assign]
