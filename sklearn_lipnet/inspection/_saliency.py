"""Saliency maps: which pixels of a particle the network's decision rests on."""

import contextlib
from numbers import Integral

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._model import InspectedLipNet, conv_layers, network_copy

__all__ = ["METHODS", "saliency_maps"]

#: Methods of :func:`saliency_maps`.
METHODS = (
    "gradient",
    "deconvnet",
    "guided_backprop",
    "gradcam",
    "hirescam",
    "integrated_gradients",
)


class _RectifierRule(torch.autograd.Function):
    """ReLU forward; the backward pass of deconvnet or guided backpropagation.

    Zeiler & Fergus's deconvnet passes the signal back through a rectifier
    by rectifying the signal itself, ignoring where the forward input was
    negative; Springenberg et al.'s guided backpropagation keeps only what
    both the gradient rule (forward input positive) and the deconvnet rule
    (signal positive) let through.
    """

    @staticmethod
    def forward(ctx, inputs, guided):
        output = inputs.clamp(min=0)
        ctx.guided = guided
        ctx.save_for_backward(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        signal = grad_output.clamp(min=0)
        if ctx.guided:
            signal = signal * (output > 0).to(signal.dtype)
        return signal, None


class _RuledReLU(nn.Module):
    """Stands in for ``nn.ReLU`` (in-place or not) with a backward rule."""

    def __init__(self, guided):
        super().__init__()
        self.guided = guided

    def forward(self, inputs):
        return _RectifierRule.apply(inputs, self.guided)


def _swap_rectifiers(network, guided):
    """Replace every ``nn.ReLU`` of ``network`` (a private copy) by the rule."""
    swapped = 0
    for parent in network.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.ReLU):
                setattr(parent, name, _RuledReLU(guided))
                swapped += 1
    if not swapped:
        raise ValueError(
            "The network has no nn.ReLU modules, so deconvnet and guided "
            "backpropagation have no rectifiers to apply their rule to."
        )
    return network


def _target_scores(logits, targets):
    """Sum over samples of each sample's target log-odds (samples independent).

    ``log p / (1 - p)`` of the target class: its logit minus the log-sum-exp
    of the other logits. Unlike the target logit alone it does not change
    when the same amount is added to every logit, which softmax ignores and
    training therefore leaves arbitrary; with two classes it is the
    difference of the two logits, the network's decision function.
    """
    chosen = F.one_hot(targets, logits.shape[1]).bool()
    target_logit = logits[chosen]
    others = logits.masked_fill(chosen, float("-inf")).logsumexp(dim=1)
    return (target_logit - others).sum()


def _input_gradient(network, to_input, images, targets):
    """Gradient of the target scores with respect to ``images``."""
    images = images.detach().requires_grad_(True)
    logits = network(to_input(images))
    (gradient,) = torch.autograd.grad(_target_scores(logits, targets), images)
    return gradient


def _integrated_gradients(network, to_input, images, targets, n_steps):
    """Signed integrated gradients, baseline the training mean (0 here).

    Sundararajan et al. (2017), midpoint rule over ``n_steps`` points of the
    straight path from the baseline to the image; the attributions of a
    sample sum to its target score minus the baseline's, up to the
    quadrature error.
    """
    total = torch.zeros_like(images)
    for step in range(n_steps):
        alpha = (step + 0.5) / n_steps
        total += _input_gradient(network, to_input, alpha * images, targets)
    return images * total / n_steps


@contextlib.contextmanager
def _captured_output(module):
    """Record the output of ``module`` in the next forward pass."""
    captured = {}

    def hook(_module, _inputs, output):
        captured["output"] = output

    handle = module.register_forward_hook(hook)
    try:
        yield captured
    finally:
        handle.remove()


def class_map_layer(network):
    """The layer Grad-CAM and HiResCAM read: the last convolutional rectifier."""
    layers = conv_layers(network)
    if not layers:
        raise ValueError("The network has no convolutional layers for a class map.")
    return layers[-1].activation


def _class_activation_map(network, to_input, images, targets, layer, method):
    """Grad-CAM or HiResCAM at ``layer``, upsampled to the images' size.

    Grad-CAM (Selvaraju et al. 2017) weights each feature map by the spatial
    mean of the score's gradient with respect to it; HiResCAM (Draelos &
    Carin 2020) multiplies feature maps and gradients position by position.
    Both sum over the channels and rectify. Behind global average pooling
    (LipNet-4c) they coincide; behind a dense layer, whose weights differ
    from position to position, Grad-CAM's mean averages the positions away.
    """
    images = images.detach().requires_grad_(True)
    with _captured_output(layer) as captured:
        logits = network(to_input(images))
    feature_maps = captured["output"]
    (gradient,) = torch.autograd.grad(_target_scores(logits, targets), feature_maps)
    if method == "gradcam":
        gradient = gradient.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((gradient * feature_maps).sum(dim=1, keepdim=True))
    cam = F.interpolate(
        cam, size=tuple(images.shape[2:]), mode="bilinear", align_corners=False
    )
    return cam[:, 0]


def _target_codes(inspected, network, standardised, target):
    """Class index per sample: the prediction, or the label(s) asked for."""
    classes = inspected.classes_
    n_samples = len(standardised)
    if target is None:
        codes = []
        with torch.no_grad():
            for start in range(0, n_samples, inspected.batch_size()):
                batch = standardised[start : start + inspected.batch_size()]
                codes.append(network(inspected.to_network_input(batch)).argmax(1))
        return torch.cat(codes)
    labels = [target] * n_samples if np.ndim(target) == 0 else list(target)
    if len(labels) != n_samples:
        raise ValueError(
            f"target must be one class label or one label per sample; got "
            f"{len(labels)} labels for {n_samples} samples."
        )
    codes = np.empty(n_samples, dtype=np.int64)
    known = {label: code for code, label in enumerate(classes.tolist())}
    for i, label in enumerate(labels):
        key = label.item() if isinstance(label, np.generic) else label
        if key not in known:
            raise ValueError(
                f"target {label!r} is not one of the model's classes "
                f"{classes.tolist()}."
            )
        codes[i] = known[key]
    return torch.as_tensor(codes, device=standardised.device)


def saliency_maps(
    model,
    X,
    method="guided_backprop",
    target=None,
    *,
    n_steps=32,
    batch_size=None,
):
    """Saliency maps of a fitted LipNet: where in each image its decision lies.

    Each method gives one non-negative map per sample on the pixel grid of
    the input images (the rows of the image matrix the classifier is given,
    e.g. the cut-outs after ``ParticlePreprocessor``). When the classifier
    resizes its input to the network's size, the gradients are taken
    through that resizing, so the maps are in the input's pixels.

    The score explained is the target class's log-odds,
    ``log p / (1 - p)``: its logit minus the log-sum-exp of the others.
    (A logit alone is not a score of the class: adding the same amount to
    every logit changes no probability, so training leaves it arbitrary.)

    - ``"gradient"``: absolute gradient of the score with respect to each
      pixel (Simonyan et al. 2014), maximum over the channels, in score
      units per unit of the pixel's value.
    - ``"deconvnet"``: Zeiler & Fergus's (2014) deconvolutional network, the
      method the thesis describes in section 4.4: the signal goes back
      through transposed convolutions, max-pooling switches and rectifiers
      that rectify the signal itself; absolute value.
    - ``"guided_backprop"``: Springenberg et al. (2015): the gradient, but
      every rectifier also lets only positive signal through; absolute
      value. Sharp maps of the patterns that excite the class.
    - ``"gradcam"``: Grad-CAM (Selvaraju et al. 2017) at the last
      convolutional layer: its feature maps weighted by the spatial mean of
      the score's gradient, summed and rectified; coarse (that layer's
      resolution, e.g. 14 x 14 for LipNet-4), bilinearly upsampled. Exact
      for LipNet-4c, whose head averages class maps; behind the dense head
      of the other networks the mean discards where the evidence is, and
      the map can miss it or be zero (see the localisation benchmark).
    - ``"hirescam"``: HiResCAM (Draelos & Carin 2020): as Grad-CAM, but
      feature maps and gradients multiplied position by position, which
      keeps the dense head's positions; equal to Grad-CAM for LipNet-4c.
    - ``"integrated_gradients"``: Sundararajan et al. (2017): the gradient
      averaged along the straight path from a baseline (the training data's
      mean intensity, a flat image) to the image, times the image minus the
      baseline; absolute value, summed over the channels. The signed
      attributions of a sample add up to its score minus the baseline's.

    Parameters
    ----------
    model : LipNetClassifier or Pipeline
        A fitted classifier fitted on images, or a fitted pipeline ending in
        one (e.g. :func:`~sklearn_lipnet.make_lipnet_pipeline`); the
        pipeline's earlier steps are applied to ``X`` first.
    X : array-like or particle table
        Samples, as ``model.predict`` takes them.
    method : {"gradient", "deconvnet", "guided_backprop", "gradcam", \
            "hirescam", "integrated_gradients"}, default="guided_backprop"
        The method, see above.
    target : label, array-like of labels or None, default=None
        The class whose score is explained: ``None`` is each sample's
        predicted class; one label explains that class for every sample;
        an array gives one label per sample (e.g. the true classes).
    n_steps : int, default=32
        Points on the path of ``"integrated_gradients"`` (ignored by the
        other methods).
    batch_size : int, default=None
        Samples per forward and backward pass; ``None`` is the classifier's
        prediction batch size.

    Returns
    -------
    maps : ndarray of shape (n_samples, H, W)
        Non-negative float64 maps, ``H x W`` the size of the input images.
        Not normalised: compare maps of one method, not across methods.

    Raises
    ------
    TypeError
        If ``model`` is not a LipNetClassifier or a pipeline ending in one
        (a feature SVM has no image network).
    ValueError
        If the model is not fitted or was fitted on feature vectors, the
        images have another size than in ``fit``, ``method`` is unknown or a
        ``target`` label is not one of the classes.

    See Also
    --------
    plot_saliency : The maps over the particles.

    Notes
    -----
    The model's network is never modified: the maps are computed on a copy
    in evaluation mode (dropout off), whose rectifiers are replaced for
    ``"deconvnet"`` and ``"guided_backprop"``. The maps are taken on the
    network's device (CPU or CUDA).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.inspection import saliency_maps
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:200], y[:200]
    >>> clf = LipNetClassifier("lipnet1", max_epochs=1, random_state=0).fit(X, y)
    >>> maps = saliency_maps(clf, X[:4], method="gradcam")
    >>> maps.shape, bool((maps >= 0).all())
    ((4, 8, 8), True)
    """
    if method not in METHODS:
        raise ValueError(
            f"Unknown saliency method {method!r}; choose from {list(METHODS)}."
        )
    for name, value in (("n_steps", n_steps), ("batch_size", batch_size)):
        if value is None and name == "batch_size":
            continue
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    inspected = InspectedLipNet(model, "saliency_maps")
    images = inspected.input_images(X)
    standardised = inspected.standardised(images)
    network = network_copy(inspected)
    targets = _target_codes(inspected, network, standardised, target)
    if method in ("deconvnet", "guided_backprop"):
        network = _swap_rectifiers(network, guided=method == "guided_backprop")
    # Gradients with respect to the standardised pixels, expressed per unit
    # of the input images' values.
    scale = inspected.channel_scale()
    to_input = inspected.to_network_input
    class_maps = method in ("gradcam", "hirescam")
    layer = class_map_layer(network) if class_maps else None

    batch_size = batch_size or inspected.batch_size()
    maps = []
    # Gradients are needed even where the caller switched them off.
    with torch.enable_grad():
        for start in range(0, len(standardised), batch_size):
            batch = standardised[start : start + batch_size]
            batch_targets = targets[start : start + batch_size]
            if class_maps:
                saliency = _class_activation_map(
                    network, to_input, batch, batch_targets, layer, method
                )
            elif method == "integrated_gradients":
                attributions = _integrated_gradients(
                    network, to_input, batch, batch_targets, n_steps
                )
                saliency = attributions.sum(dim=1).abs()
            else:
                gradient = _input_gradient(network, to_input, batch, batch_targets)
                saliency = (gradient / scale).abs().amax(dim=1)
            maps.append(saliency.detach().clamp(min=0).cpu().numpy())
    return np.concatenate(maps).astype(np.float64)
