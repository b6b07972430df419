"""Built-in models: mlp, cnn, resnet_tiny and their small students.

All take ``input_shape`` (per sample) and ``num_classes``; image models expect
``(C, H, W)``. Sizes are chosen so the default digits run trains in about a second
on one CPU core.

Example
-------
>>> import torch
>>> from optwidgets.models.zoo import CNN
>>> CNN((1, 8, 8), 10)(torch.zeros(4, 1, 8, 8)).shape
torch.Size([4, 10])
"""

from __future__ import annotations

import math

from torch import nn

__all__ = ["MLP", "CNN", "ResNetTiny", "activation_layer"]

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
}


def activation_layer(name: str) -> nn.Module:
    return _ACTIVATIONS[name]()


class MLP(nn.Sequential):
    """Flatten, then ``Linear -> activation -> Dropout`` per hidden size, then a classifier."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, hidden: tuple[int, ...] = (128,),
                 activation: str = "relu", dropout: float = 0.0) -> None:
        layers: list[nn.Module] = [nn.Flatten()]
        n_in = math.prod(input_shape)
        for n_out in hidden:
            layers += [nn.Linear(n_in, n_out), activation_layer(activation)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            n_in = n_out
        layers.append(nn.Linear(n_in, num_classes))
        super().__init__(*layers)


def _conv_bn(c_in: int, c_out: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class CNN(nn.Sequential):
    """Two conv-BN-ReLU-maxpool blocks (``width`` then ``2*width`` channels, 3x3 kernels),
    then flatten, dropout and a linear classifier. Flattening (not global pooling) keeps
    where a stroke is, which small 8x8 digits need."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, width: int = 32,
                 dropout: float = 0.0) -> None:
        c, h, w = input_shape
        layers: list[nn.Module] = [*_conv_bn(c, width), nn.MaxPool2d(2),
                                   *_conv_bn(width, 2 * width), nn.MaxPool2d(2), nn.Flatten()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(2 * width * (h // 4) * (w // 4), num_classes))
        super().__init__(*layers)


class _Residual(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*_conv_bn(c_in, c_out, stride)[:-1], nn.ReLU(inplace=True),
                                  nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(c_out))
        self.skip = (nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(self.body(x) + self.skip(x))


class ResNetTiny(nn.Module):
    """A stem conv and two residual stages (``width``, ``2*width``; the second strided)."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, width: int = 16,
                 dropout: float = 0.0) -> None:
        super().__init__()
        c = input_shape[0]
        self.features = nn.Sequential(*_conv_bn(c, width), _Residual(width, width, 1),
                                      _Residual(width, 2 * width, 2),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Sequential(nn.Dropout(dropout) if dropout > 0 else nn.Identity(),
                                        nn.Linear(2 * width, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))
