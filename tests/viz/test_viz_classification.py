"""confusion_matrix() and decision_boundary()."""

from __future__ import annotations

import numpy as np
import pytest

from optwidgets.viz import confusion_data, confusion_matrix, decision_boundary
from optwidgets.viz._decision_boundary import BINARY_COLORS, grid_axes, grid_proba

from .viz_helpers import check_figure, names


def test_confusion_data_counts():
    d = confusion_data([[5, 1], [2, 7]], ["cat", "dog"])
    assert d.z.tolist() == [[5, 1], [2, 7]]
    assert d.text.tolist() == [["5", "1"], ["2", "7"]]
    assert d.class_names == ["cat", "dog"]


def test_confusion_data_normalized_rows_and_empty_row():
    d = confusion_data(np.array([[3, 1, 0], [0, 0, 0], [1, 1, 2]]), normalize=True)
    assert d.z.tolist() == [[0.75, 0.25, 0.0], [0.0, 0.0, 0.0], [0.25, 0.25, 0.5]]
    assert d.text[0].tolist() == ["75.0%", "25.0%", "0.0%"]
    assert d.class_names == ["0", "1", "2"]


def test_confusion_data_errors():
    with pytest.raises(ValueError, match="square"):
        confusion_data([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match="class_names"):
        confusion_data([[1, 2], [3, 4]], ["a"])


@pytest.mark.parametrize("normalize", [False, True])
def test_confusion_matrix_figure(normalize):
    fig = check_figure(confusion_matrix([[5, 1], [2, 7]], ["cat", "dog"], normalize=normalize))
    (heat,) = fig.data
    assert heat.type == "heatmap"
    assert list(heat.x) == ["cat", "dog"] and list(heat.y) == ["cat", "dog"]
    assert heat.texttemplate == "%{text}"
    assert heat.customdata.tolist() == [[5, 1], [2, 7]]  # counts on hover in both modes
    assert fig.layout.xaxis.title.text == "Predicted class"
    assert fig.layout.yaxis.title.text == "True class"
    assert fig.layout.yaxis.autorange == "reversed"  # class 0 on top
    assert heat.zmax == (1 if normalize else None)


def test_confusion_matrix_empty():
    fig = check_figure(confusion_matrix(np.zeros((0, 0)), []))
    assert len(fig.data) == 1


# --- decision boundary ----------------------------------------------------------------


@pytest.fixture
def grid():
    xs = np.linspace(-1, 1, 6)
    ys = np.linspace(-2, 2, 5)
    xx, yy = np.meshgrid(xs, ys)
    return xs, ys, xx, yy


def test_grid_axes(grid):
    xs, ys, xx, yy = grid
    for a, b in (grid_axes(xx, yy), grid_axes(xs, ys)):
        assert a.tolist() == xs.tolist() and b.tolist() == ys.tolist()
    with pytest.raises(ValueError, match="meshgrid"):
        grid_axes(xx, ys)


def test_grid_proba_shapes():
    p1 = np.array([[0.25, 1.0]])
    assert grid_proba(p1, 1, 2).tolist() == [[[0.75, 0.25], [0.0, 1.0]]]
    assert grid_proba(p1.ravel(), 1, 2).shape == (1, 2, 2)
    p3 = np.full((2, 3), 1 / 3)
    assert grid_proba(p3, 1, 2).shape == (1, 2, 3)  # (H*W, K)
    assert grid_proba(p3.reshape(1, 2, 3), 1, 2).shape == (1, 2, 3)
    with pytest.raises(ValueError, match="grid"):
        grid_proba(np.zeros(7), 2, 3)


def test_binary_boundary(grid):
    xs, ys, xx, yy = grid
    proba = 1 / (1 + np.exp(-4 * xx))
    X = np.array([[-0.5, 0.0], [0.5, 0.2], [0.7, -1.0]])
    y = np.array([0, 1, 1])
    fig = check_figure(decision_boundary(xx, yy, proba, X, y, class_names=["neg", "pos"]))
    assert names(fig) == ["P(class 1)", "neg", "pos"]
    contour = fig.data[0]
    assert contour.type == "contour" and (contour.zmin, contour.zmax) == (0, 1)
    assert np.asarray(contour.z).shape == (5, 6)
    assert np.allclose(contour.z, proba)
    assert fig.data[1].marker.color == BINARY_COLORS[0]
    assert fig.data[2].x.tolist() == [0.5, 0.7]
    assert list(fig.layout.xaxis.range) == [-1.0, 1.0]
    assert list(fig.layout.yaxis.range) == [-2.0, 2.0]


def test_multiclass_boundary(grid):
    xs, ys, xx, yy = grid
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1, 1, 1], size=(5, 6))
    X = rng.normal(size=(9, 2))
    y = np.repeat([0, 1, 2], 3)
    fig = check_figure(decision_boundary(xs, ys, proba, X, y))
    assert names(fig) == ["predicted class", "confidence", "class 0", "class 1", "class 2"]
    assert np.array_equal(fig.data[0].z, proba.argmax(axis=-1))
    assert np.allclose(fig.data[1].z, proba.max(axis=-1))
    colors = {t.marker.color for t in fig.data[2:]}
    assert len(colors) == 3


def test_boundary_empty():
    e = np.empty(0)
    fig = check_figure(decision_boundary(e, e, e, np.empty((0, 2)), e))
    assert names(fig) == ["P(class 1)", "class 0", "class 1"]


def test_boundary_class_names_too_few(grid):
    xs, ys, xx, yy = grid
    with pytest.raises(ValueError, match="class_names"):
        decision_boundary(
            xx, yy, np.full((5, 6, 3), 1 / 3), np.zeros((1, 2)), [2], class_names=["a"]
        )
