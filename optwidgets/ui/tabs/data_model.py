"""Data & model tab: which data, which network, which seed and device."""

from __future__ import annotations

from optwidgets.core.devices import available_devices
from optwidgets.data import dataset_names
from optwidgets.models import model_names
from optwidgets.ui._spec import Control, Tab


def _devices() -> list[str]:
    return ["auto", *available_devices()]


TAB = Tab(
    "Data & model",
    order=10,
    controls=[
        Control(
            "dataset",
            "dropdown",
            "dataset",
            choices=dataset_names,  # called when a form is built: registered data shows
            help="digits: 8x8 images; moons, circles, spiral, xor, gaussians: 2-D toy sets",
        ),
        Control(
            "model",
            "dropdown",
            "model",
            choices=model_names,
            help="mlp works on every dataset; cnn and resnet_tiny need images",
        ),
        Control(
            "hidden", "text", "hidden units", help="units per hidden layer of the mlp, e.g. 64, 64"
        ),
        Control(
            "seed", "int", "seed", help="seeds weights, splits and shuffling: same seed, same run"
        ),
        Control(
            "device", "dropdown", "device", choices=_devices, help="auto = cuda, then mps, then cpu"
        ),
    ],
)
