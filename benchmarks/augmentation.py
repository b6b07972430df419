"""Augmentation overhead: training throughput with rotate + translate + hflip vs without.

Both sides are ``ow.run`` of the same seeded config (digits ``cnn`` on the CPU by
default), same epochs, same batch order; the augmented side adds
``augment={"rotate": 15, "translate": 1, "hflip": True}``, applied batched on the run's
device (one fused affine warp per batch, :func:`optwidgets.data.augment_batch`).
Throughput is training samples per second from ``RunResult.train_seconds`` (which, on
both sides, includes the per-epoch validation pass). Repeats alternate plain /
augmented after one warm-up each, and medians are compared.

    python benchmarks/augmentation.py [--device cpu|cuda] [--repeats 7] [--threads 1] [--json]

Prints one JSON object with ``throughput_ratio`` (augmented / plain samples per second;
target >= 0.70), both medians and every repeat's seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

import torch

import optwidgets as ow
from optwidgets.runs import prepare_data

AUGMENT = {"rotate": 15.0, "translate": 1.0, "hflip": True}
TARGET = 0.70


def config(device: str) -> ow.RunConfig:
    if device == "cpu":
        return ow.RunConfig(dataset="digits", model="cnn", device="cpu", epochs=6,
                            batch_size=64, seed=0)
    # On a GPU the digits batches are too small to measure anything but launch latency:
    # larger batches over more epochs of the same data.
    return ow.RunConfig(dataset="digits", model="cnn", device=device, epochs=30,
                        batch_size=256, seed=0)


def timed(cfg: ow.RunConfig, data) -> float:
    res = ow.run(cfg, data=data, store=False)
    assert res.status == "done", res.error
    return res.train_seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads; 1 (default) measures the work itself on a shared "
                    "machine, where more threads than free cores mostly measure contention; "
                    "0 leaves torch's default")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from optwidgets.core.devices import resolve_device

    device = resolve_device(args.device)
    plain = config(device.type)
    augmented = plain.replace(augment=AUGMENT)
    data = prepare_data(plain)  # the same preprocessed tensors for both sides
    plain, augmented = plain.replace(preprocess="none"), augmented.replace(preprocess="none")
    n_samples = len(data.X_train) * plain.epochs
    timed(plain, data)  # warm-up: allocator, kernels, lazy imports
    timed(augmented, data)
    t_plain, t_aug = [], []
    for _ in range(args.repeats):  # alternating, so drifts in machine load hit both sides
        t_plain.append(timed(plain, data))
        t_aug.append(timed(augmented, data))
    plain_sps = n_samples / statistics.median(t_plain)
    aug_sps = n_samples / statistics.median(t_aug)
    out = {
        "device": str(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "model": plain.model,
        "dataset": plain.dataset,
        "batch_size": plain.batch_size,
        "epochs": plain.epochs,
        "augment": AUGMENT,
        "repeats": args.repeats,
        "plain_samples_per_s": round(plain_sps, 1),
        "augmented_samples_per_s": round(aug_sps, 1),
        "throughput_ratio": round(aug_sps / plain_sps, 4),
        "target": TARGET,
        "meets_target": aug_sps / plain_sps >= TARGET,
        "plain_seconds": [round(t, 4) for t in t_plain],
        "augmented_seconds": [round(t, 4) for t in t_aug],
    }
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name()
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{out['device']}: plain {plain_sps:.0f} samples/s, augmented {aug_sps:.0f} "
              f"samples/s, throughput_ratio {out['throughput_ratio']:.3f} "
              f"(target >= {TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
