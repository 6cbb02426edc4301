"""The penultimate layer's features, and a map of them."""

from numbers import Real

import numpy as np

from ._figure import new_figure
from ._model import InspectedLipNet

__all__ = ["embed", "plot_embedding"]

#: Projections of :func:`plot_embedding`.
PROJECTIONS = ("pca", "tsne")


def embed(model, X):
    """The penultimate-layer features of a fitted LipNet: what it classifies.

    The activations of the hidden dense layer (after its rectifier) for
    LipNet-1, -2, -4 and -6 and for feature-vector classifiers; the last
    convolutional layer's channels averaged over the image for LipNet-4c.
    The last layer of the network is a linear function of them, so classes
    the network tells apart lie apart here.

    Parameters
    ----------
    model : LipNetClassifier or Pipeline
        Fitted; a pipeline must end in a ``LipNetClassifier``.
    X : array-like or particle table
        Samples, as ``model.predict`` takes them.

    Returns
    -------
    features : ndarray of shape (n_samples, n_features)
        float64; 128 columns (``module__dense_units``) for the dense heads,
        32 (``module__conv_channels``) for LipNet-4c.

    See Also
    --------
    plot_embedding : A 2-D map of these features.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.inspection import embed
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:200], y[:200]
    >>> clf = LipNetClassifier("lipnet1", max_epochs=1, random_state=0).fit(X, y)
    >>> embed(clf, X[:5]).shape
    (5, 128)
    """
    inspected = InspectedLipNet(model, "embed", images=False)
    return inspected.classifier._embed(inspected.classifier_input(X))


def _project(features, method, random_state, perplexity):
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=random_state)
        points = pca.fit_transform(features)
        share = pca.explained_variance_ratio_.sum()
        return points, f"PCA, {share:.0%} of the variance"
    from sklearn.manifold import TSNE

    # t-SNE needs fewer neighbours than samples.
    perplexity = min(perplexity, max((len(features) - 1) / 3, 1.0))
    tsne = TSNE(
        n_components=2, perplexity=perplexity, init="pca", random_state=random_state
    )
    return tsne.fit_transform(features), f"t-SNE, perplexity {perplexity:.0f}"


def plot_embedding(model, X, y, *, method="pca", perplexity=30.0, random_state=None):
    """A 2-D map of the penultimate-layer features, by true class.

    Each particle is a point coloured by its true class; the particles the
    model misclassifies are circled in black, so one sees whether the errors
    sit between two classes (ambiguous particles) or deep in another class
    (label noise, or particles unlike the training data).

    Parameters
    ----------
    model : LipNetClassifier or Pipeline
        Fitted; a pipeline must end in a ``LipNetClassifier``.
    X : array-like or particle table
        Samples, as ``model.predict`` takes them (at least 3).
    y : array-like of shape (n_samples,)
        True labels.
    method : {"pca", "tsne"}, default="pca"
        Principal components (:class:`sklearn.decomposition.PCA`), or
        :class:`sklearn.manifold.TSNE`, which keeps neighbours together but
        distorts distances between groups.
    perplexity : float, default=30.0
        t-SNE's perplexity, lowered to a third of the samples for small
        ``X``.
    random_state : int, RandomState instance or None, default=None
        Seeds the projection.

    Returns
    -------
    figure : matplotlib.figure.Figure

    See Also
    --------
    embed : The features themselves.
    plot_misclassified : The misclassified particles themselves.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.inspection import plot_embedding
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:200], y[:200]
    >>> clf = LipNetClassifier("lipnet1", max_epochs=1, random_state=0).fit(X, y)
    >>> figure = plot_embedding(clf, X[:100], y[:100], random_state=0)
    >>> figure.axes[0].get_xlabel()
    'component 1'
    """
    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {list(PROJECTIONS)}, got {method!r}.")
    if isinstance(perplexity, bool) or not isinstance(perplexity, Real):
        raise ValueError(f"perplexity must be a positive number, got {perplexity!r}.")
    if not perplexity > 0:
        raise ValueError(f"perplexity must be a positive number, got {perplexity!r}.")
    inspected = InspectedLipNet(model, "plot_embedding", images=False)
    X = inspected.classifier_input(X)
    y = np.asarray(y, dtype=object)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y must hold one label per sample of X ({len(X)}).")
    if len(X) < 3:
        raise ValueError(f"plot_embedding needs at least 3 samples, got {len(X)}.")
    features = inspected.classifier._embed(X)
    predicted = np.asarray(inspected.classifier.predict(X), dtype=object)
    points, description = _project(features, method, random_state, perplexity)
    wrong = predicted != y

    labels = list(inspected.classes_.tolist())
    labels += sorted({label for label in y.tolist() if label not in labels}, key=str)
    figure = new_figure(6.2, 5.0)
    ax = figure.subplots()
    colours = [f"C{k % 10}" for k in range(len(labels))]
    for label, colour in zip(labels, colours):
        members = y == label
        if not members.any():
            continue
        ax.scatter(
            points[members, 0],
            points[members, 1],
            s=14,
            color=colour,
            alpha=0.75,
            linewidths=0,
            label=f"{label!s} ({members.sum()})",
        )
    if wrong.any():
        ax.scatter(
            points[wrong, 0],
            points[wrong, 1],
            s=60,
            facecolors="none",
            edgecolors="black",
            linewidths=1.0,
            label=f"misclassified ({wrong.sum()})",
        )
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    ax.legend(fontsize=8, loc="best", title="true class", title_fontsize=8)
    ax.set_title(
        f"Penultimate layer ({features.shape[1]} features), {description}",
        fontsize=9,
    )
    return figure
