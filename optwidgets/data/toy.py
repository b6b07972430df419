"""Toy 2-D classification sets, generated in code (TensorFlow-Playground style).

Each generator takes ``n_samples`` (split as evenly as possible over the classes),
``noise`` (std of Gaussian noise added to the coordinates, in coordinate units) and
``seed``; points lie roughly in ``[-1.5, 1.5]^2`` (moons in ``[-1, 2] x [-0.5, 1]``).

=========  =======  ==========================================================
name       classes  shape
=========  =======  ==========================================================
moons      2        two interleaved half circles (scikit-learn's ``make_moons``)
circles    2        a disc inside a ring (``make_circles``, factor 0.5)
spiral     2        two interleaved spiral arms, 1.75 turns each
xor        2        four quadrants; label 1 where x * y > 0
gaussians  3        three round blobs on a circle of radius 1
=========  =======  ==========================================================

Example
-------
>>> from optwidgets.data.toy import make_toy
>>> X, y = make_toy("spiral", n_samples=100, noise=0.0, seed=0)
>>> X.shape, X.dtype.name, sorted(set(y.tolist()))
((100, 2), 'float32', [0, 1])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from optwidgets.core.errors import ConfigError, unknown_name

__all__ = ["TOY_DATASETS", "TOY_CLASSES", "TOY_GENERATORS", "make_toy", "per_class", "moons",
           "circles", "spiral", "xor", "gaussians"]


def per_class(n: int, k: int) -> list[int]:
    """``n`` samples split as evenly as possible over ``k`` classes (the first get one more).

    Example
    -------
    >>> per_class(10, 3)
    [4, 3, 3]
    """
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles: scikit-learn's ``make_moons``, seeded from ``rng``.

    Example
    -------
    >>> X, y = moons(10, 0.0, np.random.default_rng(0))
    >>> X.shape, int(y.sum())
    ((10, 2), 5)
    """
    from sklearn.datasets import make_moons

    return make_moons(n_samples=n, noise=noise, random_state=int(rng.integers(2**31)))


def circles(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A disc inside a ring: scikit-learn's ``make_circles`` (factor 0.5), seeded from ``rng``.

    Example
    -------
    >>> X, y = circles(10, 0.0, np.random.default_rng(0))
    >>> X.shape, int(y.sum())
    ((10, 2), 5)
    """
    from sklearn.datasets import make_circles

    return make_circles(n_samples=n, noise=noise, factor=0.5,
                        random_state=int(rng.integers(2**31)))


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms of 1.75 turns each, radius growing from 0 to 1.

    Example
    -------
    >>> X, y = spiral(10, 0.0, np.random.default_rng(0))
    >>> X.shape, int(y.sum())
    ((10, 2), 5)
    """
    Xs, ys = [], []
    for label, m in enumerate(per_class(n, 2)):
        t = rng.uniform(0.0, 1.0, m)  # position along the arm: radius grows from 0 to 1
        angle = 1.75 * 2 * np.pi * t + label * np.pi  # the second arm is the first turned 180°
        pts = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
        Xs.append(pts + noise * rng.standard_normal((m, 2)))
        ys.append(np.full(m, label))
    return np.concatenate(Xs), np.concatenate(ys)


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants; label 1 where ``x * y > 0``.

    Example
    -------
    >>> X, y = xor(10, 0.0, np.random.default_rng(0))
    >>> bool(((X[:, 0] * X[:, 1] > 0) == (y == 1)).all())
    True
    """
    # |x|, |y| uniform in [0.06, 1]: a margin around the axes keeps labels clean at noise 0.
    Xs, ys = [], []
    for label, m in enumerate(per_class(n, 2)):
        sign = rng.choice([-1.0, 1.0], (m, 1))
        pts = rng.uniform(0.06, 1.0, (m, 2)) * sign * np.array([1.0, 1.0 if label else -1.0])
        Xs.append(pts + noise * rng.standard_normal((m, 2)))  # label 1: x * y > 0
        ys.append(np.full(m, label))
    return np.concatenate(Xs), np.concatenate(ys)


def gaussians(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three round blobs (std 0.25, widened by ``noise``) on a circle of radius 1.

    Example
    -------
    >>> X, y = gaussians(9, 0.0, np.random.default_rng(0))
    >>> X.shape, np.bincount(y).tolist()
    ((9, 2), [3, 3, 3])
    """
    Xs, ys = [], []
    for label, m in enumerate(per_class(n, 3)):
        a = np.pi / 2 + label * 2 * np.pi / 3
        center = np.array([np.cos(a), np.sin(a)])
        # Each blob has std 0.25 of its own; noise widens it further.
        spread = np.sqrt(0.25**2 + noise**2)
        Xs.append(center + spread * rng.standard_normal((m, 2)))
        ys.append(np.full(m, label))
    return np.concatenate(Xs), np.concatenate(ys)


# generator(n_samples, noise, rng) -> (X float64 (n, 2), y int): what make_toy calls.
TOY_GENERATORS: dict[str, Callable[[int, float, np.random.Generator],
                                   tuple[np.ndarray, np.ndarray]]] = {
    "moons": moons,
    "circles": circles,
    "spiral": spiral,
    "xor": xor,
    "gaussians": gaussians,
}
TOY_DATASETS: tuple[str, ...] = tuple(TOY_GENERATORS)
TOY_CLASSES: dict[str, int] = {"moons": 2, "circles": 2, "spiral": 2, "xor": 2, "gaussians": 3}


def make_toy(name: str, *, n_samples: int = 1000, noise: float = 0.1,
             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generate one toy set: features ``(n_samples, 2)`` float32, labels int64.

    Parameters
    ----------
    name : str
        One of :data:`TOY_DATASETS`.
    n_samples : int
        Number of points (at least 20).
    noise : float
        Std of the Gaussian noise added to each coordinate (>= 0).
    seed : int
        Same seed, same points.

    Example
    -------
    >>> from optwidgets.data.toy import make_toy
    >>> X, y = make_toy("gaussians", n_samples=30, seed=1)
    >>> [int((y == c).sum()) for c in range(3)]
    [10, 10, 10]
    """
    if name not in TOY_GENERATORS:
        raise unknown_name("dataset", name, TOY_DATASETS)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 20:
        raise ConfigError("n_samples", n_samples, "an integer >= 20")
    if not isinstance(noise, (int, float)) or not 0 <= noise <= 10:
        raise ConfigError("noise", noise, "a number in [0, 10]")
    rng = np.random.default_rng(seed)
    X, y = TOY_GENERATORS[name](int(n_samples), float(noise), rng)
    return X.astype(np.float32), y.astype(np.int64)
