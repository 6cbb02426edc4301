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


#: Small images are enlarged to about this many pixels a side in the mosaic.
_CELL_PIXELS = 112


def _enlarge(saliency, zoom):
    """Bilinear enlargement by an integer factor, pixel centres kept."""
    if zoom == 1:
        return saliency
    from scipy.ndimage import zoom as scipy_zoom

    return np.clip(
        scipy_zoom(saliency, zoom, order=1, mode="nearest", grid_mode=True), 0, 1
    )


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
    the cut-out after ``ParticlePreprocessor``), labelled with its predicted
    class and probability (and its true class when ``y`` is given); each
    further column blends one method's map, scaled to its own 99th
    percentile, over the image in grey. The panels form one image in one
    axes, the labels are its texts.

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
    >>> [text.get_text() for text in figure.axes[0].texts[:3]]
    ['particle', 'gradient', 'Grad-CAM']
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
    # One RGB mosaic in one axes, the maps blended over the particles here:
    # a figure of dozens of panels draws in a fraction of the time. Small
    # images are enlarged, pixels as blocks and maps smoothly, as imshow's
    # nearest and bilinear interpolation would show them.
    zoom = max(1, round(_CELL_PIXELS / max(images.shape[2:])))
    height, width = (side * zoom for side in images.shape[2:])
    cells = np.empty((n_samples, 1 + len(methods), height, width, 3))
    for i in range(n_samples):
        image = images[i].mean(axis=0)
        low, high = display_range(image)
        grey = np.clip((image - low) / (high - low), 0, 1)
        grey = grey.repeat(zoom, axis=0).repeat(zoom, axis=1)[..., None]
        cells[i, 0] = grey
        for k, m in enumerate(methods, 1):
            saliency = maps[m][i]
            top = np.percentile(saliency, 99)
            scaled = np.clip(saliency / top, 0, 1) if top > 0 else saliency
            scaled = _enlarge(scaled, zoom)
            colour = overlay(scaled)
            opacity = colour[..., 3:]
            cells[i, k] = grey * (1 - opacity) + colour[..., :3] * opacity
    gap = max(1, round(0.06 * max(height, width)))
    step_y, step_x = height + gap, width + gap
    mosaic = np.ones((n_samples * step_y - gap, cells.shape[1] * step_x - gap, 3))
    for i in range(n_samples):
        for k in range(cells.shape[1]):
            top, left = i * step_y, k * step_x
            mosaic[top : top + height, left : left + width] = cells[i, k]

    side = 1.45
    figure = new_figure(side * (1.6 + len(methods)), side * n_samples + 0.5)
    ax = figure.subplots()
    ax.imshow(mosaic, interpolation="nearest")
    hide_axes(ax)
    ax.set_frame_on(False)
    for k, m in enumerate(["input", *methods]):
        ax.text(
            k * step_x + width / 2 - 0.5,
            -gap,
            "particle" if m == "input" else _TITLES[m],
            ha="center",
            va="bottom",
            fontsize=8,
        )
    y = None if y is None else np.asarray(y, dtype=object)
    for i in range(n_samples):
        best = int(np.argmax(proba[i]))
        label = f"pred {inspected.classes_[best]!s} ({proba[i, best]:.2f})"
        if y is not None:
            label = f"true {y[i]!s}\n{label}"
        if targets is not None:
            label += f"\nmaps for {targets[i]!s}"
        ax.text(
            -gap,
            i * step_y + height / 2 - 0.5,
            label,
            ha="right",
            va="center",
            fontsize=7,
        )
    return figure
