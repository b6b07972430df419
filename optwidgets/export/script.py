"""Export a run as a plain PyTorch script that reproduces it without optwidgets.

The script loads the same data the same way (scikit-learn's digits, or the toy 2-D
generator inlined), with the same seeded stratified splits and the same scaling fitted
on the training split; builds the same model (the zoo's module code, inlined) from the
same seed; trains with the same optimizer, schedule, batch order, L1 / L2 penalty,
gradient clipping and early stopping; and prints the test accuracy as its last line,
``test_acc=0.986111``. Same config, same device: same accuracy as ``ow.run``.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optwidgets.config import RunConfig
from optwidgets.core.errors import ConfigError

__all__ = ["export_script", "write_script", "EXPORTABLE_MODELS"]

EXPORTABLE_MODELS = ("mlp", "mlp_small", "cnn", "cnn_small", "resnet_tiny")
_IMAGE_MODELS = ("cnn", "cnn_small", "resnet_tiny")


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
_REFUSED_WHEN_ON = frozenset([
    "augment", "transfer", "source", "backbone_lr_scale", "distill_student", "distill_teacher",
    "distill_temperature", "distill_alpha", "lowrank_rank", "prune_method", "prune_ratio",
    "prune_scope", "prune_schedule", "prune_steps", "finetune_epochs", "quant_mode",
    "quant_bits", "quant_activations", "qat_epochs",
])
# fmt: on


def _check_exportable(cfg: RunConfig) -> None:
    """Refuse what the plain script cannot do, naming the field (nothing half-written)."""
    from optwidgets.data.toy import TOY_DATASETS

    cfg.validate()
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
        if name not in _REPRODUCED | _REFUSED_WHEN_ON and value != default.get(name):
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


def _lit(value: object) -> str:
    """A Python literal; strings in double quotes, as the rest of the script writes them."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _src(obj: Callable[..., Any]) -> str:
    return textwrap.dedent(inspect.getsource(obj)).rstrip() + "\n"


def _shape(cfg: RunConfig) -> tuple[tuple[int, ...], int]:
    """Input shape and class count, known without loading the data."""
    from optwidgets.data.toy import TOY_CLASSES

    shape: tuple[int, ...]
    if cfg.dataset == "digits":
        shape, k = (1, 8, 8), 10
    else:
        shape, k = (2,), TOY_CLASSES[cfg.dataset]
    return shape, (len(cfg.classes) if cfg.classes else k)


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

The run's dataset, model and the settings that differ from the defaults:
{settings}
"""

from __future__ import annotations

import copy
import math
import random

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
'''


def _settings(cfg: RunConfig) -> str:
    shape, k = _shape(cfg)
    rows = [
        ("SEED", cfg.seed, "seeds the splits, the initial weights, the batch order, dropout"),
        ("DEVICE", cfg.device, "auto = cuda, then mps, then cpu"),
        ("DATASET", cfg.dataset, ""),
    ]
    if cfg.dataset != "digits":
        rows += [
            ("N_SAMPLES", cfg.n_samples, "points generated"),
            ("NOISE", cfg.noise, "noise of the points, in units of their coordinates"),
        ]
    rows += [
        ("VAL_FRACTION", cfg.val_fraction, "share of all samples held out for validation"),
        ("TEST_FRACTION", cfg.test_fraction, "share held out for the test (never trained on)"),
        ("CLASSES", cfg.classes, "keep only these labels, relabelled 0..k-1; () = all"),
        ("TRAIN_FRACTION", cfg.train_fraction, "share of the training split kept"),
        ("LABELS_PER_CLASS", cfg.labels_per_class, "training samples kept per class; 0 = all"),
        ("PREPROCESS", cfg.preprocess, "input scaling, statistics from the training split"),
        ("INPUT_SHAPE", shape, "one sample"),
        ("NUM_CLASSES", k, ""),
        ("OPTIMIZER", cfg.optimizer, ""),
        ("LR", cfg.lr, "learning rate (peak rate for onecycle)"),
        ("MOMENTUM", cfg.momentum, "sgd and rmsprop only"),
        ("NESTEROV", cfg.nesterov, "sgd only"),
        ("SCHEDULE", cfg.schedule, "learning-rate schedule, stepped every batch"),
        ("STEP_SIZE", cfg.step_size, "epochs between decays (step schedule)"),
        ("GAMMA", cfg.gamma, "decay factor (step schedule)"),
        ("BATCH_SIZE", cfg.batch_size, "samples per gradient step"),
        ("EPOCHS", cfg.epochs, "passes over the training split"),
        ("AMP", cfg.amp, "mixed precision: none, bf16 (CUDA or CPU), fp16 (CUDA)"),
        ("WEIGHT_DECAY", cfg.weight_decay, "L2 penalty (decoupled for adamw)"),
        ("L1", cfg.l1, "L1 penalty on weights (tensors with dim > 1), added to the loss"),
        (
            "PATIENCE",
            cfg.patience,
            "early stopping on val loss: epochs without improvement; 0 = off",
        ),
        ("GRAD_CLIP", cfg.grad_clip, "max global gradient norm; 0 = off"),
        ("EVAL_BATCH", 2048, "samples per forward pass when evaluating"),
    ]
    width = max(len(f"{n} = {_lit(v)}") for n, v, _ in rows)
    lines = ["# " + "-" * 30 + " settings (from the RunConfig)"]
    for name, value, why in rows:
        text = f"{name} = {_lit(value)}"
        lines.append(f"{text:<{width}}  # {why}" if why else text)
    return "\n".join(lines) + "\n"


def _data_section(cfg: RunConfig) -> str:
    from optwidgets.data import toy
    from optwidgets.data.preprocess import _statistics

    if cfg.dataset == "digits":
        raw = '''
            PIXEL_SCALE = 1 / 16  # digits' pixels are 0..16: features end up in [0, 1]


            def load_raw():
                """All 1797 digits: uint8 images (N, 1, 8, 8) with values 0..16, and labels."""
                from sklearn.datasets import load_digits

                bunch = load_digits()
                return bunch.images.astype(np.uint8)[:, None], bunch.target.astype(np.int64)
            '''
        gen = ""
    else:
        generator = toy._GENERATORS[cfg.dataset]
        gen = _src(toy._per_class) + "\n\n" + _src(generator) + "\n\n"
        raw = f'''
            PIXEL_SCALE = 1.0


            def load_raw():
                """N_SAMPLES points of the {_lit(cfg.dataset)} set, generated from SEED."""
                rng = np.random.default_rng(SEED)
                X, y = {generator.__name__}(N_SAMPLES, NOISE, rng)
                return X.astype(np.float32), y.astype(np.int64)
            '''
    out = ["# " + "-" * 30 + " data", gen + textwrap.dedent(raw).lstrip()]
    out.append(
        textwrap.dedent('''
        def split_indices(y):
            """Seeded, stratified train / val / test indices (fractions of all samples)."""
            from sklearn.model_selection import train_test_split

            idx = np.arange(len(y))
            pool, test = train_test_split(idx, test_size=TEST_FRACTION, stratify=y,
                                          random_state=SEED)
            train, val = train_test_split(pool, test_size=VAL_FRACTION / (1.0 - TEST_FRACTION),
                                          stratify=y[pool], random_state=SEED)
            return train, val, test


        def features(X, idx):
            out = np.ascontiguousarray(X[idx], dtype=np.float32)
            if PIXEL_SCALE != 1.0:
                out *= np.float32(PIXEL_SCALE)
            return torch.from_numpy(out)


        def select_classes(X, y):
            """Keep the samples whose label is in CLASSES, relabelled 0..k-1 in that order."""
            if not CLASSES:
                return X, y
            lut = torch.full((max(max(CLASSES), int(y.max())) + 1,), -1, dtype=torch.long)
            lut[list(CLASSES)] = torch.arange(len(CLASSES))
            new = lut[y]
            keep = new >= 0
            return X[keep], new[keep]
        ''')
    )
    if cfg.train_fraction < 1 or cfg.labels_per_class > 0:
        out.append(
            textwrap.dedent('''
            def thin_train(X, y):
                """Keep TRAIN_FRACTION of the training split (stratified), then LABELS_PER_CLASS
                samples of each class; val and test are untouched."""
                from sklearn.model_selection import train_test_split

                labels = y.numpy()
                idx = np.arange(len(labels))
                if TRAIN_FRACTION < 1:
                    idx = train_test_split(idx, train_size=TRAIN_FRACTION, stratify=labels,
                                           random_state=SEED)[0]
                if LABELS_PER_CLASS > 0:
                    counts = np.bincount(labels[idx], minlength=NUM_CLASSES)
                    rng = np.random.default_rng(SEED)
                    idx = np.concatenate([
                        rng.choice(idx[labels[idx] == c], LABELS_PER_CLASS, replace=False)
                        for c in range(NUM_CLASSES) if counts[c] > 0])
                if len(idx) == len(labels):
                    return X, y
                keep = torch.from_numpy(np.sort(idx))
                return X[keep], y[keep]
            ''')
        )
    body = [
        "X, y = load_raw()",
        "tr, va, te = split_indices(y)",
        "splits = [select_classes(features(X, i), torch.from_numpy(y[i].astype(np.int64)))",
        "          for i in (tr, va, te)]",
    ]
    if cfg.train_fraction < 1 or cfg.labels_per_class > 0:
        body.append("splits[0] = thin_train(*splits[0])")
    if cfg.preprocess != "none":
        image = cfg.dataset == "digits"
        out.append("\n" + _src(_statistics).replace("_EPS", "1e-8"))
        cols = (
            "[X_train[:, c].reshape(-1, 1) for c in range(X_train.shape[1])]"
            if image
            else "[X_train]"
        )
        out.append(
            textwrap.dedent(f'''

            def fit_scaling(X_train):
                """{"Per-channel" if image else "Per-feature"} shift and scale of PREPROCESS, from the training split only."""
                parts = [_statistics(PREPROCESS, c) for c in {cols}]
                shift = np.concatenate([p[0] for p in parts])
                scale = np.concatenate([p[1] for p in parts])
                view = {"(1, -1, 1, 1)" if image else "(-1,)"}
                return (torch.tensor(shift, dtype=torch.float32).reshape(view),
                        torch.tensor(scale, dtype=torch.float32).reshape(view))
            ''')
        )
        body += [
            "shift, scale = fit_scaling(splits[0][0])",
            "splits = [((X - shift) / scale, y) for X, y in splits]",
        ]
    body.append("return tuple(t for pair in splits for t in pair)")
    out.append(
        '\n\ndef load_data():\n    """CPU tensors: (X_train, y_train, X_val, y_val, X_test, y_test)."""\n'
        + "".join(f"    {line}\n" for line in body)
    )
    return "\n".join(out)


def _model_section(cfg: RunConfig) -> str:
    from optwidgets.models import zoo

    acts = ",\n    ".join(f'"{k}": nn.{v.__name__}' for k, v in zoo._ACTIVATIONS.items())
    parts = ["# " + "-" * 30 + " model (the built-in model zoo's code)"]
    if cfg.model in ("mlp", "mlp_small"):
        parts += [
            f"_ACTIVATIONS = {{\n    {acts},\n}}\n\n",
            _src(zoo.activation_layer),
            "\n\n" + _src(zoo.MLP),
        ]
        hidden = cfg.hidden if cfg.model == "mlp" else (32,)
        call = (
            f"MLP(INPUT_SHAPE, NUM_CLASSES, hidden={hidden!r}, "
            f"activation={_lit(cfg.activation)}, dropout={cfg.dropout!r})"
        )
    elif cfg.model in ("cnn", "cnn_small"):
        width = cfg.width if cfg.model == "cnn" else 8
        parts += [_src(zoo._conv_bn), "\n\n" + _src(zoo.CNN)]
        call = f"CNN(INPUT_SHAPE, NUM_CLASSES, width={width!r}, dropout={cfg.dropout!r})"
    else:
        parts += [_src(zoo._conv_bn), "\n\n" + _src(zoo._Residual), "\n\n" + _src(zoo.ResNetTiny)]
        call = f"ResNetTiny(INPUT_SHAPE, NUM_CLASSES, width={cfg.width!r}, dropout={cfg.dropout!r})"
    parts.append(
        textwrap.dedent(f'''

        def build_model():
            """The run's model ({_lit(cfg.model)}) with the initial weights that SEED gives."""
            torch.manual_seed(SEED)
            return {call}
        ''')
    )
    return "\n".join(parts)


_TRAIN = '''
# ------------------------------ training (the Trainer's loop, without the UI hooks)
def pick_device(name):
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(name)


def make_optimizer(params):
    if OPTIMIZER == "sgd":
        return torch.optim.SGD(params, lr=LR, momentum=MOMENTUM,
                               nesterov=NESTEROV and MOMENTUM > 0, weight_decay=WEIGHT_DECAY)
    if OPTIMIZER == "adam":
        return torch.optim.Adam(params, lr=LR, weight_decay=WEIGHT_DECAY)
    if OPTIMIZER == "adamw":  # decoupled weight decay
        return torch.optim.AdamW(params, lr=LR, weight_decay=WEIGHT_DECAY)
    if OPTIMIZER == "adagrad":
        return torch.optim.Adagrad(params, lr=LR, weight_decay=WEIGHT_DECAY)
    if OPTIMIZER == "rmsprop":
        return torch.optim.RMSprop(params, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    raise ValueError(OPTIMIZER)


def make_scheduler(opt, steps_per_epoch, epochs):
    """A per-step scheduler, or None for a constant learning rate."""
    total = max(1, steps_per_epoch * epochs)
    if SCHEDULE == "constant":
        return None
    if SCHEDULE == "onecycle":
        max_lr = [g["lr"] for g in opt.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total)
    if SCHEDULE == "step":
        every = max(1, STEP_SIZE * steps_per_epoch)  # STEP_SIZE is in epochs
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: GAMMA ** (s // every))
    if SCHEDULE == "cosine":
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.5 * (1.0 + math.cos(math.pi * min(s, total) / total)))
    raise ValueError(SCHEDULE)


def amp_context(device):
    """(autocast context factory, grad scaler or None)."""
    if AMP == "none":
        return None, None
    if device.type == "cuda":
        dtype = torch.bfloat16 if AMP == "bf16" else torch.float16
        scaler = torch.amp.GradScaler("cuda") if AMP == "fp16" else None
        return (lambda: torch.autocast("cuda", dtype=dtype)), scaler
    if device.type == "cpu" and AMP == "bf16":
        return (lambda: torch.autocast("cpu", dtype=torch.bfloat16)), None
    raise SystemExit(f"AMP={AMP!r} cannot run on {device.type}")


@torch.inference_mode()
def evaluate(model, X, y):
    """Mean cross-entropy, accuracy and predictions, in eval mode."""
    was_training = model.training
    model.eval()
    try:
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), X.dtype)
        total = torch.zeros((), device=X.device, dtype=torch.float64)
        preds = []
        for i in range(0, len(X), EVAL_BATCH):
            out = model(X[i:i + EVAL_BATCH].to(dtype)).float()
            total += F.cross_entropy(out, y[i:i + EVAL_BATCH], reduction="sum").double()
            preds.append(out.argmax(1))
        pred = torch.cat(preds)
        n = max(len(y), 1)
        return float(total) / n, float((pred == y).sum()) / n, pred
    finally:
        model.train(was_training)


def train(model, X, y, X_val, y_val, device):
    """EPOCHS passes in a seeded batch order; returns "done" or "diverged"."""
    n, bs = len(X), BATCH_SIZE
    steps_per_epoch = math.ceil(n / bs)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(params)
    sched = make_scheduler(opt, steps_per_epoch, EPOCHS)
    autocast, scaler = amp_context(device)
    l1_params = [p for p in model.parameters() if p.requires_grad and p.dim() > 1]
    # The batch order has its own generator, so dropout (global RNG) does not shift it.
    gen = torch.Generator().manual_seed(SEED * 1_000_003)
    losses = torch.zeros(steps_per_epoch, device=device)
    check_each_step = device.type == "cpu"  # reading a CPU scalar costs nothing
    best_loss, best_state, best_epoch, bad_epochs = math.inf, None, 0, 0
    model.train()
    for epoch in range(1, EPOCHS + 1):
        perm = torch.randperm(n, generator=gen).to(device, non_blocking=True)
        for i in range(steps_per_epoch):
            idx = perm[i * bs:(i + 1) * bs]
            xb, yb = X[idx], y[idx]
            if autocast is None:
                loss = F.cross_entropy(model(xb), yb)
            else:
                with autocast():
                    loss = F.cross_entropy(model(xb), yb)
            if L1:
                loss = loss + L1 * sum(p.abs().sum() for p in l1_params)
            opt.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                if GRAD_CLIP:
                    scaler.unscale_(opt)
                    nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                if GRAD_CLIP:
                    nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
                opt.step()
            if sched is not None:
                sched.step()
            losses[i] = loss.detach()
            if check_each_step and not math.isfinite(loss.item()):
                print(f"diverged: training loss became {loss.item()} in epoch {epoch}")
                return "diverged"
        train_loss = sum(losses.tolist()) / steps_per_epoch
        if not math.isfinite(train_loss):
            print(f"diverged: training loss became {train_loss} in epoch {epoch}")
            return "diverged"
        val_loss, val_acc, _ = evaluate(model, X_val, y_val)
        print(f"epoch {epoch}: train_loss={train_loss:.4f} val_loss={val_loss:.4f} "
              f"val_acc={val_acc:.4f}")
        if PATIENCE:
            if val_loss < best_loss - 1e-6:
                best_loss, bad_epochs, best_epoch = val_loss, 0, epoch
                best_state = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
                if bad_epochs >= PATIENCE:
                    print(f"early stop after epoch {epoch}")
                    break
    if best_state is not None:
        model.load_state_dict(best_state)  # early stopping restores the best weights
        print(f"restored the weights of epoch {best_epoch}")
    return "done"


def main():
    random.seed(SEED)
    np.random.seed(SEED % 2**32)
    torch.manual_seed(SEED)
    device = pick_device(DEVICE)
    X_tr, y_tr, X_va, y_va, X_te, y_te = (t.to(device) for t in load_data())
    model = build_model().to(device)
    train(model, X_tr, y_tr, X_va, y_va, device)
    _, test_acc, _ = evaluate(model, X_te, y_te)
    print(f"test_acc={test_acc:.6f}")


if __name__ == "__main__":
    main()
'''


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
    >>> "EPOCHS = 3" in src
    True
    """
    _check_exportable(cfg)
    sections = [
        _header(cfg, filename),
        _settings(cfg),
        _data_section(cfg),
        _model_section(cfg),
        _TRAIN,
    ]
    text = "\n\n".join(s.strip("\n") + "\n" for s in sections)
    return text.replace("\n\n\n\n", "\n\n\n")


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
