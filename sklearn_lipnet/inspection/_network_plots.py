"""The thesis's figures 14 and 15: convolution kernels and feature maps."""

import math
from numbers import Integral

import numpy as np
import torch

from ._figure import display_range, hide_axes, new_figure
from ._model import InspectedLipNet, check_layer_index, conv_layers, network_copy

__all__ = ["plot_activations", "plot_filters"]


def _mosaic(kernels):
    """``(n, kh, kw)`` kernels tiled, twice as wide as high, NaN between them."""
    n, kh, kw = kernels.shape
    ncols = min(n, math.ceil(math.sqrt(2 * n)))
    nrows = math.ceil(n / ncols)
    mosaic = np.full((nrows * (kh + 1) - 1, ncols * (kw + 1) - 1), np.nan)
    for k in range(n):
        row, col = divmod(k, ncols)
        top, left = row * (kh + 1), col * (kw + 1)
        mosaic[top : top + kh, left : left + kw] = kernels[k]
    return mosaic


def _grid(n_panels, max_columns=8):
    ncols = min(max_columns, n_panels)
    return math.ceil(n_panels / ncols), ncols


def _check_count(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int or None, got {value!r}.")
    return int(value)


def plot_filters(model, layer=0, *, max_filters=None):
    """The kernels of one convolutional layer, as the thesis's figure 14.

    Each panel is one filter of the layer; a filter of a layer with several
    input channels shows one 3 x 3 kernel per input channel, tiled. A
    diverging colour map centred on zero, as in the thesis: blue negative,
    white zero, red positive weights, one scale for the whole layer.

    Parameters
    ----------
    model : LipNetClassifier or Pipeline
        Fitted on images; a pipeline must end in a ``LipNetClassifier``.
    layer : int, default=0
        Which convolutional layer, counted from the input (0 is the first;
        negative counts from the last). The layers are the convolutions
        followed by a rectifier: 4 in LipNet-4, 6 in LipNet-4c (with its
        stride-2 convolutions) and LipNet-6.
    max_filters : int, default=None
        Show only the first filters of the layer; ``None`` shows all.

    Returns
    -------
    figure : matplotlib.figure.Figure
        Not attached to pyplot; save it with ``figure.savefig(path)``.

    See Also
    --------
    plot_activations : What the layers make of one particle.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.inspection import plot_filters
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LipNetClassifier("lipnet1", max_epochs=1, random_state=0).fit(X, y)
    >>> figure = plot_filters(clf)
    >>> len(figure.axes)  # 32 filters and the colour bar
    33
    """
    max_filters = _check_count("max_filters", max_filters)
    inspected = InspectedLipNet(model, "plot_filters")
    layers = conv_layers(inspected.classifier.module_)
    index = check_layer_index(layer, len(layers))
    conv = layers[index].conv
    weights = conv.weight.detach().cpu().numpy().astype(np.float64)
    n_out, n_in, kh, kw = weights.shape
    shown = weights[:max_filters] if max_filters else weights
    limit = float(np.abs(weights).max()) or 1.0

    nrows, ncols = _grid(len(shown))
    panel = 0.55 if n_in == 1 else 1.1
    figure = new_figure(panel * ncols + 1.0, panel * nrows + 0.6)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    image = None
    for k, ax in enumerate(axes.flat):
        hide_axes(ax)
        if k >= len(shown):
            ax.set_axis_off()
            continue
        image = ax.imshow(_mosaic(shown[k]), cmap="seismic", vmin=-limit, vmax=limit)
        ax.set_title(str(k), fontsize=6, pad=1)
    figure.colorbar(image, ax=axes, shrink=0.8, label="weight")
    figure.suptitle(
        f"Convolutional layer {index} ({layers[index].name}): {n_out} filters of "
        f"{n_in} x {kh} x {kw}"
        + (f", first {len(shown)} shown" if len(shown) < n_out else ""),
        fontsize=9,
    )
    return figure


def _one_sample(X_one):
    if isinstance(X_one, np.ndarray) and X_one.ndim == 1:
        return X_one[None]
    n = len(X_one) if hasattr(X_one, "__len__") else None
    if n != 1:
        raise ValueError(
            "X_one must hold exactly one particle (e.g. X[:1] or "
            f"table.iloc[:1]); got {n if n is not None else 'no sequence'}."
        )
    return X_one


def plot_activations(model, X_one, layers=None, *, max_channels=None):
    """The feature maps of the convolutional layers for one particle.

    The thesis's figure 15: the input image the network sees, then, for each
    convolutional layer, the output of its rectifier, one panel per channel,
    on one colour scale per layer (dark: no response).

    Parameters
    ----------
    model : LipNetClassifier or Pipeline
        Fitted on images; a pipeline must end in a ``LipNetClassifier``.
    X_one : array-like or particle table with one sample
        One particle, as ``model.predict`` takes it (``X[:1]``,
        ``table.iloc[:1]``); a 1-D array is one row of the image matrix.
    layers : int, list of int or None, default=None
        Convolutional layers to show, numbered as in :func:`plot_filters`;
        ``None`` shows all.
    max_channels : int, default=None
        Show only the first channels of each layer; ``None`` shows all.

    Returns
    -------
    figure : matplotlib.figure.Figure

    See Also
    --------
    plot_filters : The kernels that produce these maps.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.inspection import plot_activations
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LipNetClassifier("lipnet2", max_epochs=1, random_state=0).fit(X, y)
    >>> figure = plot_activations(clf, X[:1], max_channels=8)
    >>> len(figure.subfigs)  # the input and two convolutional layers
    3
    """
    max_channels = _check_count("max_channels", max_channels)
    inspected = InspectedLipNet(model, "plot_activations")
    images = inspected.input_images(_one_sample(X_one))
    network = network_copy(inspected)
    all_layers = conv_layers(network)
    if layers is None:
        indices = list(range(len(all_layers)))
    else:
        requested = [layers] if np.ndim(layers) == 0 else list(layers)
        if not requested:
            raise ValueError("layers must name at least one layer.")
        indices = [
            check_layer_index(value, len(all_layers), "layers") for value in requested
        ]

    captured = {}
    handles = [
        all_layers[i].activation.register_forward_hook(
            lambda _m, _in, output, i=i: captured.__setitem__(i, output.detach())
        )
        for i in indices
    ]
    try:
        network_input = inspected.to_network_input(inspected.standardised(images))
        with torch.no_grad():
            proba = torch.softmax(network(network_input), dim=1)[0]
    finally:
        for handle in handles:
            handle.remove()
    best = int(proba.argmax())

    figure = new_figure(10, 1.9 + 1.5 * len(indices))
    rows = figure.subfigures(1 + len(indices), 1, height_ratios=None)
    shown = network_input[0].mean(dim=0).cpu().numpy()
    ax = rows[0].subplots()
    ax.imshow(shown, cmap="gray", vmin=display_range(shown)[0], vmax=shown.max())
    hide_axes(ax)
    rows[0].suptitle(
        f"Network input ({shown.shape[0]} x {shown.shape[1]}): predicted "
        f"{inspected.classes_[best]!s} (p = {float(proba[best]):.2f})",
        fontsize=9,
    )
    for row, i in zip(rows[1:], indices):
        maps = captured[i][0].cpu().numpy()
        if max_channels:
            maps = maps[:max_channels]
        nrows, ncols = _grid(len(maps), max_columns=16)
        axes = row.subplots(nrows, ncols, squeeze=False)
        vmax = float(maps.max()) or 1.0
        for k, ax in enumerate(axes.flat):
            hide_axes(ax)
            if k < len(maps):
                ax.imshow(maps[k], cmap="magma", vmin=0, vmax=vmax)
            else:
                ax.set_axis_off()
        channels = captured[i].shape[1]
        row.suptitle(
            f"Layer {i} ({all_layers[i].name}): {channels} channels of "
            f"{maps.shape[1]} x {maps.shape[2]}"
            + (f", first {len(maps)} shown" if len(maps) < channels else ""),
            fontsize=9,
        )
    return figure
