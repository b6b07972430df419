"""Export a run as a plain PyTorch script that reproduces it without optwidgets.

The script loads the same data the same way (scikit-learn's digits, or the toy 2-D
generator), with the same seeded stratified splits and the same scaling fitted on the
training split; builds the same model from the same seed; trains with the same
optimizer, schedule, batch order, L1 / L2 penalty, gradient clipping and early stopping;
and prints the test accuracy as its last line, ``test_acc=0.986111``. Same config, same
device: same accuracy as ``ow.run``.

It is assembled from the kit's own code, not from a copy of it: every function the run
executes to get there (``split_indices``, ``fit_statistics``, the zoo's model classes,
``make_optimizer``, ``train_step``, ``evaluate``, ``EarlyStopping``, ...; see
:func:`inlined_objects`) goes in as ``inspect.getsource`` gives it, under a
``# from <file>`` line. Those functions read settings as ``cfg.<field>``, so the script
defines ``cfg`` as a ``SimpleNamespace`` of the RunConfig's values. What is written here
is only the wiring: the settings, ``load_data()`` and ``build_model()`` that call the
inlined functions in the kit's order, ``pick_device()``, and ``main()``, the Trainer's
loop without its dashboard hooks.

Settings the script cannot reproduce (compression, distillation, augmentation,
transfer learning, datasets that need optwidgets' downloader or your own data) are
refused with a :class:`~optwidgets.core.errors.ConfigError` that names the field.

Example
-------
>>> import optwidgets as ow
>>> from optwidgets.export import export_script
>>> text = export_script(ow.RunConfig(dataset="moons", model="mlp", epochs=2))
>>> "import optwidgets" in text, text.rstrip().endswith("main()")
(False, True)
"""

from __future__ import annotations

import inspect
import json
import os
import textwrap
from pathlib import Path
from typing import Any

from optwidgets.config import ACTIVATIONS, RunConfig
from optwidgets.core.errors import ConfigError
from optwidgets.core.errors import ConfigError as KitConfigError
from optwidgets.data import builtin, preprocess, splits, toy
from optwidgets.data.toy import TOY_CLASSES, TOY_DATASETS
from optwidgets.models import outputs, zoo
from optwidgets.runs.prepare import seed_everything
from optwidgets.train import optim, trainer
from optwidgets.train.trainer import DIVERGENCE_GROWTH, EVAL_BATCH, REGRESSION_LOSSES

__all__ = ["export_script", "write_script", "inlined_objects", "EXPORTABLE_MODELS"]

EXPORTABLE_MODELS = ("mlp", "mlp_small", "cnn", "cnn_small", "resnet_tiny")


# --------------------------------------------------------------------------- checks

# RunConfig fields the script reproduces, and those that only matter while a technique it
# refuses is on. A field added to RunConfig later is in neither: a config that sets it away
# from its default is refused (naming it), never exported as if it did nothing.
# fmt: off
_REPRODUCED = frozenset([
    "dataset", "n_samples", "noise", "val_fraction", "test_fraction", "preprocess", "classes",
    "train_fraction", "labels_per_class", "model", "hidden", "activation", "width", "dropout",
    "seed", "device", "optimizer", "lr", "momentum", "nesterov", "schedule", "step_size",
    "gamma", "batch_size", "epochs", "amp", "weight_decay", "l1", "patience", "grad_clip",
])
# Fields that only observe a run (what is recorded), never change its weights or numbers:
# the script ignores them whatever their value.
_OBSERVING = frozenset(["grad_every"])
_REFUSED_WHEN_ON = frozenset([
    "augment", "transfer", "source", "backbone_lr_scale", "distill_student", "distill_teacher",
    "distill_temperature", "distill_alpha", "lowrank_rank", "prune_method", "prune_ratio",
    "prune_scope", "prune_schedule", "prune_steps", "finetune_epochs", "quant_mode",
    "quant_bits", "quant_activations", "qat_epochs",
])
# fmt: on


def _check_exportable(cfg: RunConfig) -> None:
    """Refuse what the plain script cannot do, naming the field (nothing half-written)."""
    cfg.validate()
    if cfg.regression:  # checked first: a regression set would be refused as a dataset
        raise ConfigError(
            "task", cfg.resolved_task, "'classification' (a run on class labels)",
            "the exported script trains with cross-entropy and reports accuracy; a "
            "regression run's loss, one-unit output and R² are not in it",
        )
    if cfg.dataset != "digits" and cfg.dataset not in TOY_DATASETS:
        raise ConfigError(
            "dataset",
            cfg.dataset,
            "'digits' or a toy 2-D set (" + ", ".join(TOY_DATASETS) + ")",
            "the exported script loads data without optwidgets; downloaded and registered "
            "datasets need optwidgets' loaders",
        )
    if cfg.model not in EXPORTABLE_MODELS:
        raise ConfigError(
            "model",
            cfg.model,
            "one of " + ", ".join(EXPORTABLE_MODELS),
            "the exported script inlines the built-in models only",
        )
    refused = [
        ("augment", bool(cfg.augment), "{} (the exported script does not augment)"),
        ("transfer", cfg.transfer != "scratch", "'scratch' (no pretrained source)"),
        ("distill_student", bool(cfg.distill_student), "'' (no distillation)"),
        ("lowrank_rank", cfg.lowrank_rank > 0, "0 (no low-rank factorization)"),
        ("prune_ratio", cfg.prune_method != "none" and cfg.prune_ratio > 0, "0 (no pruning)"),
        ("quant_mode", cfg.quant_mode != "none", "'none' (no quantization)"),
    ]
    default = RunConfig().to_dict()
    for name, value in cfg.to_dict().items():
        known = _REPRODUCED | _REFUSED_WHEN_ON | _OBSERVING
        if name not in known and value != default.get(name):
            refused.append((name, True, f"its default {default.get(name)!r}"))
    for name, used, allowed in refused:
        if used:
            raise ConfigError(
                name,
                getattr(cfg, name),
                allowed,
                "the exported plain PyTorch script cannot reproduce it",
            )


# --------------------------------------------------------------------------- pieces
# A script is a list of parts: the kit's own functions and classes, whose source goes in
# verbatim (inspect.getsource) under a "# from <file>" line, and glue written here as
# strings: the settings, the lines that wire those functions together, and main().

Part = Any  # str (glue) or a function / class of the kit (inlined)

_PACKAGE = Path(__file__).resolve().parents[1]  # the package folder, for "# from" lines

# The comment beside each setting of the script's ``cfg``, in RunConfig's order. The model's
# own settings (hidden, activation, width, dropout) are arguments of build_model() instead.
# fmt: off
_SETTINGS = {
    "dataset": "",
    "n_samples": "points generated (toy 2-D sets)",
    "noise": "noise of the points, in units of their coordinates",
    "val_fraction": "share of all samples held out for validation",
    "test_fraction": "share held out for the test (never trained on)",
    "preprocess": "input scaling, statistics from the training split",
    "classes": "keep only these labels, relabelled 0..k-1; () = all",
    "train_fraction": "share of the training split kept",
    "labels_per_class": "training samples kept per class; 0 = all",
    "model": "",
    "seed": "seeds the splits, the initial weights, the batch order, dropout",
    "device": "auto = cuda, then mps, then cpu",
    "optimizer": "",
    "lr": "learning rate (peak rate for onecycle)",
    "momentum": "sgd and rmsprop only",
    "nesterov": "sgd only",
    "schedule": "learning-rate schedule, stepped every batch",
    "step_size": "epochs between decays (step schedule)",
    "gamma": "decay factor (step schedule)",
    "batch_size": "samples per gradient step",
    "epochs": "passes over the training split",
    "amp": "mixed precision: none, bf16 (CUDA or CPU), fp16 (CUDA)",
    "weight_decay": "L2 penalty (decoupled for adamw)",
    "l1": "L1 penalty on weights (tensors with dim > 1), added to the loss",
    "patience": "early stopping on val loss: epochs without improvement; 0 = off",
    "grad_clip": "max global gradient norm; 0 = off",
}
_MODEL_SETTINGS = ("hidden", "activation", "width", "dropout")
# fmt: on


def _lit(value: object) -> str:
    """A Python literal; strings in double quotes, as the rest of the script writes them."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _kit_source(obj: Any) -> str:
    """``inspect.getsource(obj)``, unchanged, checked to stand alone in a plain script."""
    src = inspect.getsource(obj)
    if src[:1].isspace() or "optwidgets" in src.lower():
        raise AssertionError(
            f"{obj.__module__}.{obj.__qualname__} cannot be inlined in the plain script: it "
            "must be top-level and must not name the package (its docstring included)"
        )
    return src


def _origin(obj: Any) -> str:
    """Where ``obj`` is defined, relative to the package: ``train/trainer.py``."""
    path = inspect.getsourcefile(inspect.unwrap(obj)) or "?"
    return Path(path).resolve().relative_to(_PACKAGE).as_posix()


def _banner(title: str) -> str:
    return "# " + "-" * 30 + " " + title


def _shape(cfg: RunConfig) -> tuple[tuple[int, ...], int, int]:
    """Input shape, the dataset's label count, and the model's (after ``classes``)."""
    shape: tuple[int, ...]
    if cfg.dataset == "digits":
        shape, k = (1, 8, 8), 10
    else:
        shape, k = (2,), TOY_CLASSES[cfg.dataset]
    return shape, k, (len(cfg.classes) if cfg.classes else k)


def _header(cfg: RunConfig, filename: str) -> str:
    default = RunConfig().to_dict()
    shown = ", ".join(
        f"{k}={v!r}"
        for k, v in cfg.to_dict().items()
        if k in ("dataset", "model") or v != default[k]
    )
    settings = textwrap.fill(shown, 86, initial_indent="    ", subsequent_indent="    ")
    return f'''\
"""A plain PyTorch script that reproduces one training run exactly (an exported RunConfig).
It needs torch, numpy and scikit-learn only.

Run it:  python {filename}
It prints one line per epoch and, last, the test accuracy: ``test_acc=0.986111``.
The same seed on the same device gives the same splits, initial weights, batch order
and result as the run.

Every function or class under a "# from <file>" line is the training kit's own code,
copied from that file unchanged: the data splits, the model, the training step, the
evaluation and early stopping that the run itself used. The rest (the settings, the few
lines that wire those functions together, and main()) was written for this script.

The run's dataset, model and the settings that differ from the defaults:
{settings}
"""

from __future__ import annotations

import contextlib
import copy
import math
import random
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
'''


def _settings(cfg: RunConfig) -> list[Part]:
    shape, k_all, k = _shape(cfg)
    toy_only = ("n_samples", "noise")
    rows = [
        (name, _lit(getattr(cfg, name)), _SETTINGS[name])
        for name in cfg.to_dict()
        if name in _SETTINGS and not (cfg.dataset == "digits" and name in toy_only)
    ]
    width = max(len(f"    {name}={value},") for name, value, _ in rows)
    lines = [
        _banner("settings: the RunConfig's values, read as cfg.<field>"),
        "cfg = SimpleNamespace(",
    ]
    for name, value, why in rows:
        text = f"    {name}={value},"
        lines.append(f"{text:<{width}}  # {why}" if why else text)
    lines.append(")")
    consts = [
        ("INPUT_SHAPE", _lit(shape), "one sample"),
        ("DATASET_CLASSES", _lit(k_all), "labels of the whole dataset"),
        ("NUM_CLASSES", _lit(k), "the model's outputs (the labels cfg.classes keeps)"),
        ("EVAL_BATCH", _lit(EVAL_BATCH), "samples per forward pass when evaluating"),
        ("DIVERGENCE_GROWTH", _lit(DIVERGENCE_GROWTH), "diverged: epoch loss > this x the first"),
        # evaluate() names them (its regression branch; the script itself classifies)
        ("REGRESSION_LOSSES", "{" + ", ".join(f'"{k}": F.{fn.__name__}'
                                              for k, fn in REGRESSION_LOSSES.items()) + "}",
         "regression losses by name"),
    ]
    width = max(len(f"{n} = {v}") for n, v, _ in consts)
    lines += [f"{f'{n} = {v}':<{width}}  # {why}" for n, v, why in consts]
    return ["\n".join(lines)]


def _data_section(cfg: RunConfig) -> list[Part]:
    image = cfg.dataset == "digits"
    parts: list[Part] = [_banner("data")]
    if image:
        parts += [
            f"DIGITS_SCALE = {_lit(builtin.DIGITS_SCALE)}  # digits' pixels are 0..16: "
            "features end up in [0, 1]",
            builtin.digits_arrays,
        ]
        load = ["X, y = digits_arrays()"]
        scale = "DIGITS_SCALE"
    else:
        generator = toy.TOY_GENERATORS[cfg.dataset]
        if "per_class(" in inspect.getsource(generator):
            parts.append(toy.per_class)
        parts.append(generator)
        load = [
            "rng = np.random.default_rng(cfg.seed)  # the points, as the kit's make_toy draws them",
            f"X, y = {generator.__name__}(int(cfg.n_samples), float(cfg.noise), rng)",
            "X, y = X.astype(np.float32), y.astype(np.int64)",
        ]
        scale = "1.0"
    parts.append(splits.split_indices)
    load += [
        "train, val, test = split_indices(y, seed=cfg.seed, val_fraction=cfg.val_fraction,",
        "                                 test_fraction=cfg.test_fraction)",
        f"splits = [(features(X, i, {scale}), torch.from_numpy(y[i])) for i in (train, val, test)]",
    ]
    if cfg.classes:
        parts.append(splits.relabel_classes)
        load += [
            "for k, (X_k, y_k) in enumerate(splits):  # keep cfg.classes, relabelled 0..k-1",
            "    keep, new = relabel_classes(y_k, cfg.classes, DATASET_CLASSES)",
            "    splits[k] = (X_k[keep], new)",
        ]
    if cfg.train_fraction < 1 or cfg.labels_per_class > 0:
        parts.append(splits.thin_indices)
        load += [
            "X_train, y_train = splits[0]  # thin the training split only",
            "keep = torch.from_numpy(thin_indices(",
            "    y_train.numpy(), seed=cfg.seed, train_fraction=cfg.train_fraction,",
            "    labels_per_class=cfg.labels_per_class, num_classes=NUM_CLASSES))",
            "splits[0] = (X_train[keep], y_train[keep])",
        ]
    if cfg.preprocess != "none":
        parts += [
            f"SCALE_EPS = {_lit(preprocess.SCALE_EPS)}  # scales below this (relative to the "
            "data's magnitude) count as zero",
            preprocess.column_statistics,
            preprocess.fit_statistics,
            preprocess.apply_scaling,
        ]
        load += [
            "# scaling, with statistics of the training split only",
            f"shift, scale = fit_statistics(cfg.preprocess, splits[0][0], image={image})",
            f"splits = [(apply_scaling(X_k, shift, scale, image={image}), y_k) "
            "for X_k, y_k in splits]",
        ]
    load.append("return tuple(t for pair in splits for t in pair)")
    parts += [
        textwrap.dedent('''\
            def features(X, idx, scale):
                """Float32 features of the samples ``idx``, times ``scale``: a copy, as the kit's
                dataset builder makes them."""
                out = np.ascontiguousarray(X[idx], dtype=np.float32)
                if scale != 1.0:
                    out *= np.float32(scale)
                return torch.from_numpy(out)
            '''),
        'def load_data():\n    """The run\'s splits, CPU tensors: (X_train, y_train, X_val, '
        'y_val, X_test, y_test)."""\n' + "".join(f"    {line}\n" for line in load),
    ]
    return parts


def _model_section(cfg: RunConfig) -> list[Part]:
    parts: list[Part] = [_banner("model (the built-in model zoo's code)")]
    if cfg.model in ("mlp", "mlp_small"):
        acts = ",\n    ".join(
            f'"{k}": nn.{type(zoo.activation_layer(k)).__name__}' for k in ACTIVATIONS
        )
        parts += [f"_ACTIVATIONS = {{\n    {acts},\n}}", zoo.activation_layer, zoo.MLP]
        hidden = cfg.hidden if cfg.model == "mlp" else (32,)
        call = (
            f"MLP(INPUT_SHAPE, NUM_CLASSES, hidden={hidden!r}, "
            f"activation={_lit(cfg.activation)}, dropout={cfg.dropout!r})"
        )
    elif cfg.model in ("cnn", "cnn_small"):
        width = cfg.width if cfg.model == "cnn" else 8
        parts += [*_zoo_helpers(cfg.model), zoo.CNN]
        call = f"CNN(INPUT_SHAPE, NUM_CLASSES, width={width!r}, dropout={cfg.dropout!r})"
    else:
        parts += [*_zoo_helpers(cfg.model), zoo.ResNetTiny]
        call = f"ResNetTiny(INPUT_SHAPE, NUM_CLASSES, width={cfg.width!r}, dropout={cfg.dropout!r})"
    parts.append(
        textwrap.dedent(f'''\
        def build_model():
            """The run's model ({_lit(cfg.model)}) with the initial weights that cfg.seed gives."""
            torch.manual_seed(cfg.seed)
            return {call}
        ''')
    )
    return parts


def _zoo_helpers(model: str) -> list[Part]:
    # The conv models' building blocks are module-private in models/zoo.py (not public API
    # there yet), so this is the one place the exporter reaches for private names.
    return [zoo._conv_bn] + ([zoo._Residual] if model == "resnet_tiny" else [])


def _train_section() -> list[Part]:
    return [
        _banner("training: the Trainer's own functions"),
        KitConfigError,
        outputs.logits_of,
        trainer.RunDiverged,
        trainer.shuffle_seed,
        optim.make_optimizer,
        optim.make_scheduler,
        trainer.amp_context,
        trainer.batch_order,
        trainer.l1_parameters,
        trainer.train_step,
        trainer.keep_loss,
        trainer.epoch_losses,
        trainer.check_epoch_loss,
        trainer.evaluate,
        trainer.EarlyStopping,
    ]


_MAIN = '''\
def main():
    """The run: the Trainer's loop (Trainer.fit) without the dashboard's hooks."""
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    X, y, X_val, y_val, X_test, y_test = (t.to(device) for t in load_data())
    model = build_model().to(device)
    n, bs = len(X), cfg.batch_size
    steps_per_epoch = math.ceil(n / bs)
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], cfg)
    sched = make_scheduler(opt, cfg, steps_per_epoch, cfg.epochs)
    autocast, scaler = amp_context(cfg, device)
    l1_params = l1_parameters(model)
    gen = torch.Generator().manual_seed(shuffle_seed(cfg.seed, 0))
    stopper = EarlyStopping(cfg.patience) if cfg.patience else None
    on_cpu = device.type == "cpu"
    start_loss = None  # the first step's loss, for the DIVERGENCE_GROWTH check
    model.train()
    try:
        for epoch in range(1, cfg.epochs + 1):
            perm = batch_order(n, gen, device)
            losses = []
            for i in range(steps_per_epoch):
                idx = perm[i * bs:(i + 1) * bs]
                loss = train_step(model, opt, X[idx], y[idx], autocast=autocast, l1=cfg.l1,
                                  l1_params=l1_params, clip=cfg.grad_clip, scaler=scaler)
                if sched is not None:
                    sched.step()
                if not keep_loss(losses, loss, on_cpu):
                    raise RunDiverged(f"training loss became {losses[-1]} in epoch {epoch}")
            losses = epoch_losses(losses)
            train_loss = sum(losses) / len(losses)
            start_loss = losses[0] if start_loss is None else start_loss
            check_epoch_loss(train_loss, start_loss, epoch)
            val_loss, val_acc, _ = evaluate(model, X_val, y_val)
            print(f"epoch {epoch}: train_loss={train_loss:.4f} val_loss={val_loss:.4f} "
                  f"val_acc={val_acc:.4f}")
            if stopper is not None and stopper.update(model, epoch, val_loss):
                print(f"early stop after epoch {epoch}")
                break
        if stopper is not None and stopper.restore(model):
            print(f"restored the weights of epoch {stopper.best_epoch_}")
    except RunDiverged as exc:  # the run ends as "diverged"; its model is still tested
        print(f"diverged: {exc}")
    _, test_acc, _ = evaluate(model, X_test, y_test)
    print(f"test_acc={test_acc:.6f}")


if __name__ == "__main__":
    main()
'''

_PICK_DEVICE = '''\
def pick_device(name):
    """auto = cuda, then mps, then cpu; a named device is used as it is."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(name)
'''


def _run_section() -> list[Part]:
    return [_banner("the run"), seed_everything, _PICK_DEVICE, _MAIN]


def _parts(cfg: RunConfig, filename: str) -> list[Part]:
    return [
        _header(cfg, filename),
        *_settings(cfg),
        *_data_section(cfg),
        *_model_section(cfg),
        *_train_section(),
        *_run_section(),
    ]


def _render(parts: list[Part]) -> str:
    """Glue stripped of blank edges; kit sources exactly as inspect.getsource gives them."""
    chunks = []
    for part in parts:
        if isinstance(part, str):
            chunks.append(part.strip("\n") + "\n")
        else:
            chunks.append(f"# from {_origin(part)}\n" + _kit_source(part))
    return "\n\n".join(chunks)


# --------------------------------------------------------------------------- public


def export_script(cfg: RunConfig, *, filename: str = "run.py") -> str:
    """A plain PyTorch script (no optwidgets import) that reproduces ``ow.run(cfg)``.

    Parameters
    ----------
    cfg : RunConfig
        The run to reproduce: dataset ``digits`` or a toy 2-D set; model ``mlp``,
        ``mlp_small``, ``cnn``, ``cnn_small`` or ``resnet_tiny``; no compression,
        distillation, augmentation or transfer learning.
    filename : str
        Shown in the script's docstring (``python FILENAME``).

    Returns
    -------
    str
        Python source. Its last printed line is ``test_acc=<accuracy>``.

    Raises
    ------
    ConfigError
        A setting the script cannot reproduce; the error names the field.

    Example
    -------
    >>> import optwidgets as ow
    >>> from optwidgets.export import export_script
    >>> src = export_script(ow.RunConfig(dataset="digits", model="cnn", epochs=3))
    >>> "    epochs=3," in src
    True
    """
    _check_exportable(cfg)
    return _render(_parts(cfg, filename))


def inlined_objects(cfg: RunConfig) -> list[Any]:
    """The kit's functions and classes whose source the script of ``cfg`` carries verbatim.

    In the order they appear in :func:`export_script`'s text, each under a ``# from
    <file>`` line: what the data preparation, the model and the training loop of the run
    itself execute (the rest of the script is settings and the loop that calls them).

    Example
    -------
    >>> import optwidgets as ow
    >>> from optwidgets.export import inlined_objects
    >>> names = [f.__name__ for f in inlined_objects(ow.RunConfig(dataset="xor", model="mlp"))]
    >>> names[:3], "train_step" in names
    (['per_class', 'xor', 'split_indices'], True)
    """
    _check_exportable(cfg)
    return [part for part in _parts(cfg, "run.py") if not isinstance(part, str)]


def write_script(cfg: RunConfig, path: str | os.PathLike) -> Path:
    """Write :func:`export_script` of ``cfg`` to ``path`` (folders made); returns the path.

    Example
    -------
    >>> import tempfile, optwidgets as ow
    >>> from optwidgets.export import write_script
    >>> p = write_script(ow.RunConfig(dataset="xor", model="mlp"), tempfile.mkdtemp() + "/xor.py")
    >>> p.name
    'xor.py'
    """
    path = Path(path)
    text = export_script(cfg, filename=path.name)  # refuses before anything is written
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
