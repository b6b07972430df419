"""Regularization tab: L2, L1, dropout, early stopping, gradient clipping."""

from __future__ import annotations

from optwidgets.ui._spec import Control, Tab

TAB = Tab(
    "Regularization",
    order=30,
    controls=[
        Control(
            "weight_decay",
            "float",
            "L2 (weight decay)",
            help="L2 penalty, in [0, 1]; decoupled for adamw",
        ),
        Control("l1", "float", "L1", help="L1 penalty on weights added to the loss, in [0, 1]"),
        Control(
            "dropout",
            "slider",
            "dropout",
            min=0.0,
            max=0.9,
            step=0.05,
            help="probability of zeroing a hidden unit during training",
        ),
        Control(
            "patience",
            "int",
            "early stopping",
            help="stop after this many epochs without val-loss improvement; 0 = off",
        ),
        Control(
            "grad_clip", "float", "gradient clipping", help="max global gradient norm; 0 = off"
        ),
    ],
)
