"""The thesis's figures 14 and 15: convolution kernels and feature maps."""

import math
from numbers import Integral

import numpy as np
import torch

from ._figure import display_range, hide_axes, new_figure, tile
from ._model import InspectedLipNet, check_layer_index, conv_layers, network_copy

__all__ = ["plot_activations", "plot_filters"]


def _kernel_columns(n_kernels):
    """Columns of a filter's kernel mosaic: about twice as wide as high."""
    return min(n_kernels, math.ceil(math.sqrt(2 * n_kernels)))


def _check_count(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int or None, got {value!r}.")
    return int(value)


def plot_filters(model, layer=0, *, max_filters=None):
    """The kernels of one convolutional layer, as the thesis's figure 14.

    The filters of the layer tiled eight to a row and numbered; a filter of
    a layer with several input channels shows one 3 x 3 kernel per input
    channel, tiled in turn (eight to a row for 32 channels). A
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
    >>> X, y = X[:200], y[:200]
    >>> clf = LipNetClassifier("lipnet1", max_epochs=1, random_state=0).fit(X, y)
    >>> figure = plot_filters(clf)
    >>> len(figure.axes)  # the 32 filters tiled, and the colour bar
    2
    """
    max_filters = _check_count("max_filters", max_filters)
    inspected = InspectedLipNet(model, "plot_filters")
    layers = conv_layers(inspected.classifier.module_)
    index = check_layer_index(layer, len(layers))
    weights = layers[index].conv.weight.detach().cpu().numpy().astype(np.float64)
    n_out, n_in, kh, kw = weights.shape
    shown = weights[:max_filters] if max_filters else weights
    limit = float(np.abs(weights).max()) or 1.0

    # Each filter's kernels tiled (one per input channel), the filters tiled
    # in turn, with a wider gap between filters than between kernels.
    filters = np.stack([tile(kernels, _kernel_columns(n_in)) for kernels in shown])
    ncols = min(8 if n_in == 1 else 4, len(filters))
    gap = 1 if n_in == 1 else 3
    mosaic = tile(filters, ncols, gap=gap)
    height, width = mosaic.shape
    scale = min(5.5 / width, 5.0 / height)  # inches per tile pixel
    figure = new_figure(width * scale + 1.3, height * scale + 0.6)
    ax = figure.subplots()
    image = ax.imshow(mosaic, cmap="seismic", vmin=-limit, vmax=limit)
    fh, fw = filters.shape[1:]
    for k in range(len(filters)):
        row, col = divmod(k, ncols)
        ax.text(
            col * (fw + gap) - 0.5,
            row * (fh + gap) - 0.5,
            str(k),
            fontsize=5,
            ha="left",
            va="bottom",
        )
    hide_axes(ax)
    ax.set_frame_on(False)
    figure.colorbar(image, ax=ax, shrink=0.8, label="weight")
    ax.set_title(
        f"Convolutional layer {index} ({layers[index].name}): {n_out} filters of "
        f"{n_in} x {kh} x {kw}"
        + (f", first {len(shown)} shown" if len(shown) < n_out else ""),
        fontsize=9,
        pad=10,
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
    convolutional layer, the output of its rectifier, one tile per channel
    (16 to a row), on one colour scale per layer (dark: no response).

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
    >>> X, y = X[:200], y[:200]
    >>> clf = LipNetClassifier("lipnet2", max_epochs=1, random_state=0).fit(X, y)
    >>> figure = plot_activations(clf, X[:1], max_channels=8)
    >>> len(figure.axes)  # the input and two convolutional layers
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

    mosaics = []
    for i in indices:
        maps = captured[i][0].cpu().numpy()
        channels = len(maps)
        maps = maps[:max_channels] if max_channels else maps
        mosaics.append((i, channels, maps, tile(maps, 16)))
    shown = network_input[0].mean(dim=0).cpu().numpy()
    width = 8.6
    heights = [1.6] + [width * m.shape[0] / m.shape[1] + 0.35 for *_, m in mosaics]
    figure = new_figure(width + 0.4, sum(heights) + 0.3)
    axes = figure.subplots(len(heights), 1, height_ratios=heights)
    axes[0].imshow(shown, cmap="gray", vmin=display_range(shown)[0], vmax=shown.max())
    axes[0].set_title(
        f"Network input ({shown.shape[0]} x {shown.shape[1]}): predicted "
        f"{inspected.classes_[best]!s} (p = {float(proba[best]):.2f})",
        fontsize=9,
    )
    for ax, (i, channels, maps, mosaic) in zip(axes[1:], mosaics):
        ax.imshow(mosaic, cmap="magma", vmin=0, vmax=float(maps.max()) or 1.0)
        ax.set_title(
            f"Layer {i} ({all_layers[i].name}): {channels} channels of "
            f"{maps.shape[1]} x {maps.shape[2]}"
            + (f", first {len(maps)} shown" if len(maps) < channels else ""),
            fontsize=9,
        )
    for ax in axes:
        hide_axes(ax)
        ax.set_frame_on(False)
    return figure
