"""Training tab: optimizer, learning rate, batch size, epochs, schedule, ensemble size and
bootstrap, and the learning-rate finder (:mod:`optwidgets.ui.lr_finder`) below them."""

from __future__ import annotations

from optwidgets.config import OPTIMIZERS, SCHEDULES
from optwidgets.models.ensemble import ENSEMBLE_MAX
from optwidgets.ui._spec import Control, Tab
from optwidgets.ui.lr_finder import finder_panel

TAB = Tab(
    "Training",
    order=20,
    extra=finder_panel,
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
            "grad_every",
            "int",
            "gradients every",
            help="steps between records of each layer's gradient norm and update ratio "
            "(the Gradients view); 0 = off",
        ),
        Control(
            "schedule",
            "dropdown",
            "lr schedule",
            choices=SCHEDULES,
            help="how the learning rate changes over the run",
        ),
        Control(
            "ensemble",
            "int_slider",
            "ensemble k",
            min=1,
            max=ENSEMBLE_MAX,
            help="train k models (seeds seed .. seed+k-1) and average their probabilities; "
            "1 = one model. Size and latency are the k members' together",
        ),
        Control(
            "ensemble_bootstrap",
            "checkbox",
            "bootstrap",
            help="each ensemble member trains on its own bootstrap sample of the training "
            "split (drawn with replacement)",
        ),
    ],
)
