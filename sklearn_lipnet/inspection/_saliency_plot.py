"""Saliency maps drawn over the particles."""

import numpy as np

from ._figure import display_range, hide_axes, new_figure
from ._model import InspectedLipNet
from ._saliency import METHODS, saliency_maps

__all__ = ["plot_saliency"]

#: plot_saliency draws one row per sample; more would be unreadable.
MAX_ROWS = 40

_TITLES = {
    "gradient": "gradient",
    "deconvnet": "deconvnet",
    "guided_backprop": "guided backprop",
    "gradcam": "Grad-CAM",
    "hirescam": "HiResCAM",
    "integrated_gradients": "integrated gradients",
}


def plot_saliency(
    model,
    X,
    method="guided_backprop",
    target=None,
    *,
    y=None,
    n_steps=32,
    alpha=0.7,
):
    """Saliency maps over the particles: one row per sample, one column per method.

    The first column is the input image (what the classifier is given, e.g.
    the cut-out after ``ParticlePreprocessor``) with its predicted class and
    probability; each further column overlays one method's map, scaled to
    its own 99th percentile, on the image in grey.

    Parameters
    ----------
    model : LipNetClassifier or Pipeline
        Fitted on images; a pipeline must end in a ``LipNetClassifier``.
    X : array-like or particle table
        At most 40 samples, as ``model.predict`` takes them.
    method : str or list of str, default="guided_backprop"
        One or several of :data:`METHODS`; ``"all"`` is every method.
    target : label, array-like of labels or None, default=None
        The class explained, as in :func:`saliency_maps` (default: each
        sample's predicted class).
    y : array-like of shape (n_samples,), default=None
        True labels, shown beside the predictions when given.
    n_steps : int, default=32
        Path points of ``"integrated_gradients"``.
    alpha : float, default=0.7
        Opacity of the maps at their strongest; the weakest quarter of each
        map's scale stays transparent so the particle shows through.

    Returns
    -------
    figure : matplotlib.figure.Figure

    See Also
    --------
    saliency_maps : The maps as arrays.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.inspection import plot_saliency
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:200], y[:200]
    >>> clf = LipNetClassifier("lipnet1", max_epochs=1, random_state=0).fit(X, y)
    >>> figure = plot_saliency(clf, X[:2], ["gradient", "gradcam"], y=y[:2])
    >>> len(figure.axes)  # 2 rows of image, gradient, Grad-CAM
    6
    """
    methods = (
        list(METHODS)
        if method == "all"
        else ([method] if isinstance(method, str) else list(method))
    )
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(
            f"Unknown saliency method(s) {unknown}; choose from {list(METHODS)} "
            "or 'all'."
        )
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha!r}.")
    inspected = InspectedLipNet(model, "plot_saliency")
    # The steps before the classifier run once; from here on the bare
    # classifier takes their output.
    X = inspected.classifier_input(X)
    classifier = inspected.classifier
    images = inspected.classifier_images(X)
    n_samples = len(images)
    if n_samples > MAX_ROWS:
        raise ValueError(
            f"plot_saliency draws one row per sample; got {n_samples}, at most "
            f"{MAX_ROWS} make a readable figure. Pass a subset of X."
        )
    if y is not None and len(y) != n_samples:
        raise ValueError(f"y has {len(y)} labels for {n_samples} samples.")
    proba = classifier.predict_proba(X)
    maps = {
        m: saliency_maps(classifier, X, method=m, target=target, n_steps=n_steps)
        for m in methods
    }
    targets = (
        None
        if target is None
        else np.broadcast_to(np.asarray(target, dtype=object), (n_samples,))
    )

    from matplotlib.colors import LinearSegmentedColormap

    # Transparent where the map is weak (the lowest quarter of its scale),
    # hot colours growing opaque where it is strong.
    overlay = LinearSegmentedColormap.from_list(
        "saliency",
        [
            (0.0, (1, 1, 0, 0)),
            (0.25, (1, 1, 0, 0)),
            (0.6, (1, 0.75, 0, alpha * 0.6)),
            (1.0, (1, 0.05, 0, alpha)),
        ],
    )
    side = 1.7
    figure = new_figure(side * (1 + len(methods)), side * n_samples + 0.5)
    axes = figure.subplots(n_samples, 1 + len(methods), squeeze=False)
    for i in range(n_samples):
        image = images[i].mean(axis=0)
        low, high = display_range(image)
        best = int(np.argmax(proba[i]))
        label = f"pred {inspected.classes_[best]!s} ({proba[i, best]:.2f})"
        if y is not None:
            label = f"true {np.asarray(y, dtype=object)[i]!s}\n{label}"
        axes[i, 0].imshow(image, cmap="gray", vmin=low, vmax=high)
        axes[i, 0].set_title(label, fontsize=7)
        for ax, m in zip(axes[i, 1:], methods):
            ax.imshow(image, cmap="gray", vmin=low, vmax=high)
            saliency = maps[m][i]
            top = np.percentile(saliency, 99)
            scaled = np.clip(saliency / top, 0, 1) if top > 0 else saliency
            ax.imshow(scaled, cmap=overlay, vmin=0, vmax=1, interpolation="bilinear")
            title = _TITLES[m]
            if targets is not None:
                title += f"\nfor {targets[i]!s}"
            ax.set_title(title, fontsize=7)
        for ax in axes[i]:
            hide_axes(ax)
    return figure
