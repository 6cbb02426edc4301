"""The gallery a microscopist checks first: the worst misclassified particles."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import _safe_indexing

from ..neural_network import LipNetClassifier
from ..utils import as_particle_table, row_label
from ._figure import display_range, hide_axes, new_figure
from ._model import InspectedLipNet

__all__ = ["plot_misclassified", "worst_misclassified"]


def worst_misclassified(proba, classes, y):
    """Positions of the misclassified samples, most confidently wrong first.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
    classes : ndarray of shape (n_classes,)
    y : array-like of shape (n_samples,)
        True labels; a label that is not among ``classes`` has probability 0.

    Returns
    -------
    positions : ndarray of int
        Sorted by the probability of the true class, lowest first (ties:
        the more probable wrong class first).
    """
    y = np.asarray(y, dtype=object)
    codes = {label: k for k, label in enumerate(np.asarray(classes).tolist())}
    rows = np.arange(len(y))
    true_code = np.array([codes.get(label, -1) for label in y.tolist()])
    true_proba = np.where(true_code >= 0, proba[rows, np.maximum(true_code, 0)], 0.0)
    wrong = np.flatnonzero(proba.argmax(axis=1) != true_code)
    order = np.lexsort((-proba[wrong].max(axis=1), true_proba[wrong]))
    return wrong[order]


def _gallery_images(model, X, positions):
    """2-D images of the samples at ``positions`` for display.

    A particle table shows its cut-outs as they are (surrounding included),
    which is what a microscopist recognises; a bare LipNetClassifier's input
    shows its images.
    """
    if isinstance(model, LipNetClassifier) and not isinstance(X, pd.DataFrame):
        images = InspectedLipNet(model, "plot_misclassified").input_images(
            _safe_indexing(X, positions)
        )
        return [image.mean(axis=0) for image in images], None
    table = as_particle_table(_safe_indexing(X, positions))
    return list(table["image"]), table


def plot_misclassified(model, X, y, n=12, *, ncols=6):
    """The worst misclassified particles, with true class, prediction and probability.

    The particles whose true class got the lowest probability, i.e. the most
    confidently wrong first: the ones to look at for label errors, unusual
    particles or a systematic confusion.

    Parameters
    ----------
    model : classifier or Pipeline
        Any fitted classifier with ``predict_proba`` (a LipNet pipeline, an
        SVM pipeline with ``probability=True``, ...).
    X : particle table or array-like
        Samples, as ``model.predict_proba`` takes them. A particle table (or
        a sequence of images) is shown as its cut-outs; the image matrix of a
        bare ``LipNetClassifier`` as its images.
    y : array-like of shape (n_samples,)
        True labels.
    n : int, default=12
        At most this many particles.
    ncols : int, default=6
        Panels per row.

    Returns
    -------
    figure : matplotlib.figure.Figure
        Titles give the true class, the predicted class with its probability
        and the probability of the true class; a particle table's ``id``
        (or ``path``) names the particle.

    See Also
    --------
    plot_embedding : Where the misclassified particles lie among the others.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.inspection import plot_misclassified
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:200], y[:200]
    >>> clf = LipNetClassifier("lipnet1", max_epochs=1, random_state=0).fit(X, y)
    >>> figure = plot_misclassified(clf, X, y, n=6)
    >>> figure.axes[0].get_title().startswith("true ")
    True
    """
    for name, value in (("n", n), ("ncols", ncols)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    if not hasattr(model, "predict_proba"):
        raise TypeError(
            f"plot_misclassified needs a classifier with predict_proba; "
            f"{type(model).__name__} has none (an SVM pipeline needs "
            "probability=True)."
        )
    y = np.asarray(y, dtype=object)
    proba = model.predict_proba(X)
    if y.ndim != 1 or len(y) != len(proba):
        raise ValueError(f"y must hold one label per sample of X ({len(proba)}).")
    classes = np.asarray(model.classes_)
    positions = worst_misclassified(proba, classes, y)
    n_wrong = len(positions)
    positions = positions[:n]

    if not n_wrong:
        figure = new_figure(4, 1.2)
        figure.text(
            0.5,
            0.5,
            f"No misclassified particles among {len(y)}.",
            ha="center",
            va="center",
        )
        return figure
    images, table = _gallery_images(model, X, positions)
    ncols = min(ncols, len(positions))
    nrows = -(-len(positions) // ncols)
    figure = new_figure(1.9 * ncols, 2.25 * nrows + 0.4)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    codes = {label: k for k, label in enumerate(classes.tolist())}
    for k, ax in enumerate(axes.flat):
        hide_axes(ax)
        if k >= len(positions):
            ax.set_axis_off()
            continue
        i = positions[k]
        best = int(np.argmax(proba[i]))
        true_proba = proba[i, codes[y[i]]] if y[i] in codes else 0.0
        image = np.asarray(images[k], dtype=np.float64)
        low, high = display_range(image)
        ax.imshow(image, cmap="gray", vmin=low, vmax=high)
        title = (
            f"true {y[i]!s} ({true_proba:.2f})\npred {classes[best]!s} "
            f"({proba[i, best]:.2f})"
        )
        if table is not None and ({"id", "path"} & set(table.columns)):
            title += "\n" + row_label(table, k).removeprefix("particle ")
        ax.set_title(title, fontsize=7)
    figure.suptitle(
        f"{n_wrong} of {len(y)} particles misclassified; the {len(positions)} "
        "most confidently wrong (probabilities in brackets)",
        fontsize=9,
    )
    return figure
