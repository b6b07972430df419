import math

import pytest
import torch
from torch import nn

from optwidgets.compress.distill import check_student_size, distillation_loss
from optwidgets.core.errors import ConfigError


def _by_hand(s, t, y, T, a):
    total = 0.0
    for si, ti, yi in zip(s.tolist(), t.tolist(), y.tolist()):
        zs = sum(math.exp(v / T) for v in si)
        zt = sum(math.exp(v / T) for v in ti)
        ps = [math.exp(v / T) / zs for v in si]
        pt = [math.exp(v / T) / zt for v in ti]
        kl = sum(p * (math.log(p) - math.log(q)) for p, q in zip(pt, ps))
        z1 = sum(math.exp(v) for v in si)
        ce = -math.log(math.exp(si[yi]) / z1)
        total += a * T * T * kl + (1 - a) * ce
    return total / len(y)


@pytest.mark.parametrize("T,a", [(1.0, 0.5), (4.0, 0.7), (2.0, 0.0), (3.0, 1.0)])
def test_loss_equals_hand_computation(T, a):
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    y = torch.randint(0, 4, (5,), generator=g)
    got = float(distillation_loss(s, t, y, temperature=T, alpha=a))
    assert got == pytest.approx(_by_hand(s, t, y, T, a), rel=1e-5)


def test_gradient_reaches_student_only():
    s = torch.randn(3, 5, requires_grad=True)
    t = torch.randn(3, 5, requires_grad=True)
    distillation_loss(s, t, torch.tensor([0, 1, 2]), temperature=2.0, alpha=0.9).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_identical_logits_leave_only_cross_entropy():
    s = torch.randn(4, 3)
    y = torch.tensor([0, 1, 2, 0])
    got = distillation_loss(s, s.clone(), y, temperature=5.0, alpha=0.4)
    assert float(got) == pytest.approx(0.6 * float(nn.functional.cross_entropy(s, y)), rel=1e-6)


def test_bad_settings():
    s = torch.randn(2, 3)
    with pytest.raises(ConfigError) as e:
        distillation_loss(s, s, None, temperature=2.0, alpha=0.5)
    assert e.value.field == "distill_alpha"
    assert float(distillation_loss(s, s, None, temperature=2.0, alpha=1.0)) == pytest.approx(0)
    with pytest.raises(ConfigError) as e:
        distillation_loss(s, s, torch.tensor([0, 1]), temperature=0.0, alpha=0.5)
    assert e.value.field == "distill_temperature"


def test_student_size_check():
    small, big = nn.Linear(8, 2), nn.Linear(64, 2)
    assert check_student_size(small, big) is None
    with pytest.warns(UserWarning, match="distill_student"):
        msg = check_student_size(big, small)
    assert "distill_student" in msg
