"""Trainer overhead: ``ow.run`` against a plain PyTorch loop, same model, data, batch order.

Both sides train the same seeded model on the same tensors (already on the device), with
the same optimizer, batch size, epochs and batch order, and both evaluate the validation
split once per epoch (the kit does that for its curves and early stopping, so the plain
loop does the same work). The kit runs with a callback that records every step's loss.
Repeats alternate kit / kit with gradient records / plain and the median of each is
reported.

The kit's case runs with gradient recording off (``grad_every=0``); the gradient case
records per-layer gradient norms and update ratios every ``--grad-every`` steps (default:
RunConfig's default), the cost that k must keep within 5 % of the plain loop's throughput.

    python benchmarks/trainer_overhead.py [--device cpu|cuda] [--repeats 5] [--json]
                                          [--grad-every 10] [--models cnn,mlp]

Prints one JSON object: per case ``kit_samples_per_s``, ``plain_samples_per_s``, ``ratio``,
and ``grad_samples_per_s``, ``grad_ratio`` (against the plain loop), ``grad_cost`` (one
minus the throughput with records over the kit's without), ``grad_every``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

import optwidgets as ow
from optwidgets.data import Dataset
from optwidgets.runs import build_model_for, prepare_data
from optwidgets.train.trainer import shuffle_seed


class StepLossRecorder(ow.Callback):
    """Keeps every step's loss (as device tensors: no per-step host sync)."""

    def __init__(self) -> None:
        self.losses: list[torch.Tensor] = []

    def on_batch_end(self, run, loss) -> None:
        self.losses.append(loss)


def plain_loop(cfg: ow.RunConfig, data: Dataset, device: torch.device) -> float:
    """A plain PyTorch loop; returns its training seconds."""
    model = build_model_for(cfg, data.input_shape, data.num_classes).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    X, y, Xv, yv = data.X_train, data.y_train, data.X_val, data.y_val
    n, bs = len(X), cfg.batch_size
    gen = torch.Generator().manual_seed(shuffle_seed(cfg.seed, 0))
    losses = []
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(cfg.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        model.eval()
        with torch.inference_mode():
            correct = sum(int((model(Xv[j:j + 2048]).argmax(1) == yv[j:j + 2048]).sum())
                          for j in range(0, len(Xv), 2048))
        model.train()
    _ = [float(v) for v in losses[-1:]] + [correct]
    _sync(device)
    return time.perf_counter() - t0


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def kit_run(cfg: ow.RunConfig, data: Dataset) -> float:
    rec = StepLossRecorder()
    res = ow.run(cfg, data=data, callbacks=[rec], store=False)
    assert res.status == "done", res.error
    assert len(rec.losses) > 0
    return res.train_seconds


def synthetic_mnist(n: int = 60_000, seed: int = 0) -> Dataset:
    """MNIST-shaped random data (1x28x28, 10 classes) with a learnable signal."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    X = torch.randn(n, 1, 28, 28, generator=g) * 0.5
    X[torch.arange(n), 0, y * 2 + 4, 14] += 2.0  # one bright pixel per class
    k, v = int(n * 0.8), int(n * 0.9)
    return Dataset("synthetic_mnist", X[:k], y[:k], X[k:v], y[k:v], X[v:], y[v:],
                   input_shape=(1, 28, 28), num_classes=10,
                   class_names=[str(i) for i in range(10)], kind="image")


def cases(device: torch.device) -> list[tuple[str, ow.RunConfig, Dataset | None]]:
    dev = device.type
    if dev == "cpu":
        return [(f"digits_{m}_cpu", ow.RunConfig(dataset="digits", model=m, device=dev,
                                                 epochs=8, batch_size=64, seed=0), None)
                for m in ("cnn", "mlp")]
    data = synthetic_mnist()
    return [
        ("mnist_cnn_b512_cuda", ow.RunConfig(dataset="digits", model="cnn", device=dev,
                                             epochs=3, batch_size=512, preprocess="none"), data),
        ("mnist_mlp_b2048_cuda", ow.RunConfig(dataset="digits", model="mlp", device=dev,
                                              epochs=5, batch_size=2048, hidden=(512, 512),
                                              preprocess="none"), data),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--grad-every", type=int, default=ow.RunConfig().grad_every,
                    help="steps between gradient records in the gradient case (>= 1)")
    ap.add_argument("--models", default="cnn,mlp",
                    help="comma-separated zoo models to measure (default: cnn,mlp)")
    args = ap.parse_args(argv)
    models = set(args.models.split(","))
    from optwidgets.core.devices import resolve_device

    device = resolve_device(args.device)
    out: dict = {"device": str(device), "torch": torch.__version__,
                 "threads": torch.get_num_threads(), "cases": {}}
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name()
    for name, cfg, raw in cases(device):
        if cfg.model not in models:
            continue
        data = prepare_data(cfg, raw)  # the same preprocessed tensors for both sides
        cfg = cfg.replace(preprocess="none")  # ...so the kit must not scale them again
        grad_cfg = cfg.replace(grad_every=args.grad_every)
        cfg = cfg.replace(grad_every=0)  # the trainer alone; records are the next case
        n_samples = len(data.X_train) * cfg.epochs
        kit_run(cfg, data)  # warm-up (allocator, kernels, lazy imports)
        kit_run(grad_cfg, data)
        plain_loop(cfg, data.to(device), device)
        times: dict[str, list[float]] = {"kit": [], "grad": [], "plain": []}
        names = list(times)
        for r in range(args.repeats):  # the order rotates: no side always runs first
            for k in names[r % 3:] + names[:r % 3]:
                if k == "plain":
                    times[k].append(plain_loop(cfg, data.to(device), device))
                else:
                    times[k].append(kit_run(cfg if k == "kit" else grad_cfg, data))
        kit_t, grad_t, plain_t = times["kit"], times["grad"], times["plain"]
        kit_sps = n_samples / statistics.median(kit_t)
        grad_sps = n_samples / statistics.median(grad_t)
        plain_sps = n_samples / statistics.median(plain_t)
        # the records' cost from each repeat's own pair (the same machine state), median
        paired_cost = statistics.median(1 - k / g for k, g in zip(kit_t, grad_t))
        out["cases"][name] = {"kit_samples_per_s": round(kit_sps, 1),
                              "plain_samples_per_s": round(plain_sps, 1),
                              "ratio": round(kit_sps / plain_sps, 4),
                              "grad_samples_per_s": round(grad_sps, 1),
                              "grad_ratio": round(grad_sps / plain_sps, 4),
                              "grad_cost": round(1 - grad_sps / kit_sps, 4),
                              "grad_cost_paired": round(paired_cost, 4),
                              "grad_every": args.grad_every,
                              "batch_size": cfg.batch_size, "epochs": cfg.epochs,
                              "model": cfg.model}
    if args.json:
        print(json.dumps(out))
    else:
        for name, c in out["cases"].items():
            print(f"{name}: kit {c['kit_samples_per_s']:.0f}/s plain "
                  f"{c['plain_samples_per_s']:.0f}/s ratio {c['ratio']:.3f}; gradients "
                  f"every {c['grad_every']} steps {c['grad_samples_per_s']:.0f}/s ratio "
                  f"{c['grad_ratio']:.3f} (cost {c['grad_cost']:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
