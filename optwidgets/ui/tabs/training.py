"""Training tab: optimizer, learning rate, batch size, epochs, schedule."""

from __future__ import annotations

from optwidgets.config import OPTIMIZERS, SCHEDULES
from optwidgets.ui._spec import Control, Tab

TAB = Tab(
    "Training",
    order=20,
    controls=[
        Control("optimizer", "dropdown", "optimizer", choices=OPTIMIZERS),
        Control(
            "lr",
            "log_slider",
            "learning rate",
            min=1e-5,
            max=10.0,
            help="step size of the optimizer (log scale, up to RunConfig's limit of 10)",
        ),
        Control(
            "batch_size",
            "dropdown",
            "batch size",
            choices=(8, 16, 32, 64, 128, 256, 512),
            help="samples per gradient step",
        ),
        Control("epochs", "int", "epochs", help="passes over the training split (>= 1)"),
        Control(
            "schedule",
            "dropdown",
            "lr schedule",
            choices=SCHEDULES,
            help="how the learning rate changes over the run",
        ),
    ],
)
