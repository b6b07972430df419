"""The ensemble parts of a run: k members built, trained, compressed and saved one by one.

A config with ``ensemble=k`` (k > 1) runs :func:`optwidgets.runs.run` as usual, except
that its model is an :class:`~optwidgets.models.ensemble.Ensemble` of ``k`` zoo models:

* member ``i`` (0-based) is built, shuffled, augmented and (with dropout) trained with
  seed ``cfg.seed + i`` (:func:`member_config`); the data splits stay those of
  ``cfg.seed``, so every member is validated and tested on the same samples;
* with ``ensemble_bootstrap`` member ``i`` trains on a bootstrap sample of the training
  split (``n`` draws with replacement, seeded ``cfg.seed + i``: :func:`bootstrap_indices`);
* compression (low rank, pruning, quantization) is applied to each member as it would be
  to one model, fine-tuning each on its own seed and sample;
* the ensemble predicts the log of its members' averaged probabilities; its test and
  validation numbers, latency (one forward of every member on the same input) and
  parameter count are measured on that module. ``size_bytes`` is the sum of the members'
  saved artefacts (:class:`MemberArtefacts`): an ensemble ships as ``k`` model files,
  which the RunStore writes as ``artefacts/<run_id>/member-<i>.pt``;
* each member's own test and validation accuracy are kept in ``extras``
  (``member_test_acc``, ``member_val_acc``, lists in member order), and the steps each
  member trained in ``member_steps`` (``[first, last]`` of the run's step count).

Example
-------
>>> from optwidgets.config import RunConfig
>>> [member_config(RunConfig(seed=7, ensemble=3), i).seed for i in range(3)]
[7, 8, 9]
>>> idx = bootstrap_indices(1000, seed=0)
>>> len(idx), 0.6 < len(set(idx.tolist())) / 1000 < 0.67  # about 1 - 1/e of them distinct
(1000, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from optwidgets.compress.artefact import Artefact, encode
from optwidgets.compress.measure import measure as measure_model
from optwidgets.compress.pipeline import compress as compress_model
from optwidgets.config import RunConfig
from optwidgets.data import Dataset, augment_batch
from optwidgets.models.ensemble import Ensemble
from optwidgets.runs.prepare import build_model_for, seed_everything
from optwidgets.train.trainer import evaluate

__all__ = ["member_config", "bootstrap_indices", "member_data", "build_members",
           "train_members", "compress_members", "MemberArtefacts", "encode_deployed",
           "measure_deployed", "MEMBER_KEY"]

# RunState.extra key: "2/5" while member 2 of 5 trains or is compressed (removed after; a run
# stopped meanwhile keeps it in its extras: where it stopped)
MEMBER_KEY = "ensemble_member"
CALIBRATION_SAMPLES = 512  # training inputs that set a member's static int8 ranges


def member_config(cfg: RunConfig, index: int) -> RunConfig:
    """The settings member ``index`` trains with: seed ``cfg.seed + index``, one model.

    Example
    -------
    >>> c = member_config(RunConfig(seed=0, ensemble=4, ensemble_bootstrap=True), 2)
    >>> c.seed, c.ensemble, c.ensemble_bootstrap
    (2, 1, False)
    """
    return cfg.replace(seed=cfg.seed + index, ensemble=1, ensemble_bootstrap=False)


def bootstrap_indices(n: int, *, seed: int) -> torch.Tensor:
    """``n`` indices into ``range(n)`` drawn uniformly with replacement (a bootstrap sample).

    About ``1 - 1/e`` (63 %) of the samples appear at least once; the rest are left out.

    Example
    -------
    >>> bootstrap_indices(5, seed=1).tolist() == bootstrap_indices(5, seed=1).tolist()
    True
    """
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randint(0, int(n), (int(n),), generator=gen)


def member_data(data: Dataset, cfg: RunConfig, index: int) -> Dataset:
    """The data member ``index`` trains on: the run's, or with ``cfg.ensemble_bootstrap`` a
    bootstrap sample of its training split (seeded ``cfg.seed + index``; validation and
    test splits unchanged)."""
    if not cfg.ensemble_bootstrap:
        return data
    idx = bootstrap_indices(len(data.y_train), seed=cfg.seed + index).to(data.y_train.device)
    return dataclasses.replace(data, X_train=data.X_train[idx], y_train=data.y_train[idx])


def build_members(cfg: RunConfig, input_shape: tuple[int, ...], num_classes: int, *,
                  prepare: Any = None) -> tuple[Ensemble, list[list[dict] | None]]:
    """The untrained ensemble of ``cfg.ensemble`` zoo models, member ``i`` seeded
    ``cfg.seed + i``, and each member's optimizer groups.

    ``prepare(model, member_cfg) -> (model, param_groups)`` is applied to each member
    as it is built (a run passes its transfer-learning step); default: none.

    Example
    -------
    >>> ens, groups = build_members(RunConfig(model="mlp", hidden=(4,), ensemble=2), (2,), 2)
    >>> len(ens), torch.equal(ens.members[0][1].weight, ens.members[1][1].weight), groups
    (2, False, [None, None])
    """
    members, groups = [], []
    for i in range(cfg.ensemble):
        mcfg = member_config(cfg, i)
        model = build_model_for(mcfg, input_shape, num_classes)  # seeded with mcfg.seed
        pg = None
        if prepare is not None:
            model, pg = prepare(model, mcfg)
        members.append(model)
        groups.append(pg)
    return Ensemble(members), groups


# ---------------------------------------------------------------------------------------
# training and compressing, one member at a time (``job`` is a runs.run.Job)

def _augmenter(cfg: RunConfig, device: torch.device) -> Any:
    """Member augmentation, seeded as a single run's is (its seed + 17)."""
    if not cfg.augment:
        return None
    gen = torch.Generator(device=device).manual_seed(cfg.seed + 17)
    spec = dict(cfg.augment)
    return lambda xb: augment_batch(xb, spec, gen)


def _member_job(job: Any, index: int) -> Any:
    """A view of ``job`` for member ``index``: its settings, data and augmentation; the
    run's state, callbacks, store and training clock shared (``dataclasses.replace``)."""
    mcfg = member_config(job.cfg, index)
    groups = (job.member_param_groups or [None] * len(job.model))[index]
    return dataclasses.replace(job, cfg=mcfg, data=member_data(job.data, job.cfg, index),
                               augment=_augmenter(mcfg, job.device), param_groups=groups)


def train_members(job: Any) -> None:
    """Train every member for ``cfg.epochs`` (phase ``train`` each, progress says which),
    then log the ensemble's validation loss and accuracy (phase ``ensemble``) and record
    each member's accuracies."""
    ensemble: Ensemble = job.model
    k = len(ensemble)
    steps = []
    for i, member in enumerate(ensemble.members):
        mjob = _member_job(job, i)
        job.state.extra[MEMBER_KEY] = f"{i + 1}/{k}"
        seed_everything(mjob.cfg.seed)  # dropout draws from the global generator
        first = job.state.step + 1
        mjob.fit(member, job.cfg.epochs, "train", param_groups=mjob.param_groups)
        steps.append([first, job.state.step])
    job.state.extra.pop(MEMBER_KEY, None)
    job.state.model = ensemble
    job.result.extras["member_steps"] = steps
    _log_ensemble_val(job)
    _record_members(job)


def _log_ensemble_val(job: Any) -> None:
    """The ensemble's validation numbers, as the last ``val`` rows of the history (so the
    run's ``val_loss``, and a search's ``val_acc``, are the ensemble's)."""
    val_loss, val_acc, _ = evaluate(job.model, job.data.X_val, job.data.y_val)
    state = job.state
    state.phase = "ensemble"
    state.log("val", "loss", val_loss)
    state.log("val", "acc", val_acc)


def _record_members(job: Any) -> None:
    data = job.data
    test, val = [], []
    for member in job.model.members:
        test.append(evaluate(member, data.X_test, data.y_test)[1])
        val.append(evaluate(member, data.X_val, data.y_val)[1])
    job.result.extras.update(member_test_acc=test, member_val_acc=val,
                             member_test_acc_mean=sum(test) / len(test))


def compress_members(job: Any) -> None:
    """Apply the config's compression to each member, as to one model (each fine-tuned on
    its own seed and sample); the deployed ensemble replaces ``job.model``."""
    ensemble: Ensemble = job.model
    data, k = job.data, len(ensemble)
    n_cal = min(len(data.X_train), CALIBRATION_SAMPLES)
    technique = ""
    for i, member in enumerate(list(ensemble.members)):
        mjob = _member_job(job, i)
        job.state.extra[MEMBER_KEY] = f"{i + 1}/{k}"

        def finetune(m: nn.Module, epochs: int, phase: str, mjob: Any = mjob) -> nn.Module:
            return mjob.fit(m, epochs, phase, augment=False)

        outcome = compress_model(
            member, mjob.cfg, example_input=data.X_train[:1],
            calibration=data.X_train[:n_cal], finetune=finetune,
            phase=lambda p: job.callbacks.phase(job.state, p), device=job.device)
        ensemble.members[i] = outcome.model
        technique = outcome.technique  # e.g. int8-dynamic when FX could not trace
        job.result.extras.update(outcome.extras)
    job.state.extra.pop(MEMBER_KEY, None)
    job.result.technique = f"ensemble-{k}+{technique}"
    job.model = ensemble
    _record_members(job)


# ---------------------------------------------------------------------------------------
# what is saved and measured

@dataclass(frozen=True)
class MemberArtefacts:
    """An ensemble as saved: one :class:`~optwidgets.compress.artefact.Artefact` per member.

    ``nbytes`` (the run's ``size_bytes``) and ``dense_bytes`` are the members' sums;
    ``payload`` is the list of the members' payloads, in member order (one file each).

    Example
    -------
    >>> import torch.nn as nn
    >>> arts = encode_deployed(Ensemble([nn.Linear(4, 2), nn.Linear(4, 2)]))
    >>> arts.nbytes == sum(len(p) for p in arts.payload), arts.encoding
    (True, 'dense-fp32')
    """

    members: Sequence[Artefact] = field(default_factory=tuple)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.members)

    @property
    def dense_bytes(self) -> int:
        return sum(a.dense_bytes for a in self.members)

    @property
    def encoding(self) -> str:
        """The members' encoding (``"dense-fp32"``), or theirs joined by ``,`` if they differ."""
        return ",".join(dict.fromkeys(a.encoding for a in self.members))

    @property
    def payload(self) -> list[bytes]:
        return [a.payload for a in self.members]


def encode_deployed(model: nn.Module) -> Artefact | MemberArtefacts:
    """What a run saves for its deployed model: its artefact, or one per ensemble member."""
    if isinstance(model, Ensemble):
        return MemberArtefacts(tuple(encode(m) for m in model.members))
    return encode(model)


def measure_deployed(model: nn.Module, input_shape: tuple[int, ...], *,
                     device: torch.device | str = "cpu") -> dict[str, Any]:
    """:func:`optwidgets.compress.measure.measure` of the deployed model; for an ensemble
    the sizes are the sums of its members' artefacts (the files it ships as), while
    parameters and latency are the whole ensemble's (every member, one input).

    Example
    -------
    >>> import torch.nn as nn
    >>> ens = Ensemble([nn.Linear(8, 2), nn.Linear(8, 2)])
    >>> m = measure_deployed(ens, (8,))
    >>> m["params"], m["size_bytes"] == 2 * encode(nn.Linear(8, 2)).nbytes
    (36, True)
    """
    out = measure_model(model, input_shape, device=device)
    if isinstance(model, Ensemble):
        arts = encode_deployed(model)
        out.update(size_bytes=arts.nbytes, dense_bytes=arts.dense_bytes,
                   size_encoding=arts.encoding)
    return out

