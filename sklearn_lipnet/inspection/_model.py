"""The fitted LipNet inside a model, and the images its network sees."""

import copy
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..neural_network import LipNetClassifier
from ..neural_network._image_tensor import _as_nchw, as_image_tensor, resize_images

__all__ = ["ConvLayer", "InspectedLipNet", "conv_layers", "network_copy"]


def _final_step(model):
    """The last step of a pipeline (``model`` itself when it is none)."""
    steps = getattr(model, "steps", None)
    if not steps:
        return model
    return steps[-1][1]


def _describe(estimator):
    return type(estimator).__name__


class InspectedLipNet:
    """A fitted ``LipNetClassifier``, bare or at the end of a pipeline.

    Parameters
    ----------
    model : LipNetClassifier or Pipeline
        Fitted; a pipeline must end in a ``LipNetClassifier``. Its earlier
        steps turn ``X`` into the classifier's input (samplers are skipped,
        as in ``predict``).
    caller : str
        Name of the public function, for error messages.
    images : bool, default=True
        Refuse a classifier fitted on plain feature vectors.
    """

    def __init__(self, model, caller, *, images=True):
        classifier = _final_step(model)
        if not isinstance(classifier, LipNetClassifier):
            kind = (
                f"a pipeline ending in {_describe(classifier)}"
                if classifier is not model
                else f"a {_describe(model)}"
            )
            hint = (
                " A feature SVM has no image network; see "
                "sklearn_lipnet.inspection.feature_importance for what its "
                "features contribute."
                if "SVC" in kind or "Calibrated" in kind
                else ""
            )
            raise TypeError(
                f"{caller} needs a fitted LipNetClassifier or a pipeline ending in "
                f"one; got {kind}.{hint}"
            )
        check_is_fitted(
            classifier,
            msg=f"{caller} needs a fitted model: this LipNetClassifier is not "
            "fitted yet; call fit first.",
        )
        if images and classifier.input_layout_ != "image":
            raise ValueError(
                f"{caller} needs a LipNetClassifier fitted on images; this one was "
                f"fitted on plain feature vectors ({classifier.input_shape_[0]} "
                "columns), so there are no images or convolutions to look at."
            )
        self.model = model
        self.classifier = classifier
        self.preceding = (
            [step for _, step in model.steps[:-1]] if classifier is not model else []
        )

    @property
    def classes_(self):
        return self.classifier.classes_

    @property
    def device(self):
        return torch.device(self.classifier.net_.device)

    @property
    def input_size(self):
        """Side of the network's square input, in pixels."""
        return self.classifier._network_input_size

    def classifier_input(self, X):
        """``X`` through the steps before the classifier: its input array."""
        for step in self.preceding:
            if step is None or step == "passthrough":
                continue
            if hasattr(step, "fit_resample") and not hasattr(step, "transform"):
                continue  # samplers act in fit only, as in Pipeline.predict
            X = step.transform(X)
        return X

    def input_images(self, X):
        """The classifier's input images, checked: ``(n, C, H, W)`` ndarray.

        The rows of the image matrix (or the stacks) the classifier was given,
        before its standardisation and resizing: the "input images" whose
        pixel grid the saliency maps use.
        """
        return self.classifier_images(self.classifier_input(X))

    def classifier_images(self, X):
        """As :meth:`input_images`, for ``X`` that is the classifier's input."""
        return _as_nchw(self.classifier._check_input(X))

    def standardised(self, images):
        """``(n, C, H, W)`` images standardised like the training data.

        A float32 tensor on the network's device, at the input images' size
        (not yet resized to the network's input).
        """
        tensor, _ = as_image_tensor(
            images, "image", None, self.device, scaling=self.classifier._scaling
        )
        return tensor

    def channel_scale(self):
        """Training standard deviation per channel, shaped ``(1, C, 1, 1)``."""
        _, scale = self.classifier._scaling
        return torch.as_tensor(
            np.asarray(scale, dtype=np.float32).reshape(1, -1, 1, 1),
            device=self.device,
        )

    def to_network_input(self, standardised):
        """Resize standardised images to the network's input (differentiable)."""
        return resize_images(standardised, self.input_size)

    def batch_size(self):
        params = self.classifier.net_.get_params_for("iterator_valid")
        return int(params.get("batch_size", self.classifier.batch_size))


def network_copy(inspected):
    """A frozen copy of the fitted network in evaluation mode.

    Inspection works on a copy: the user's network keeps its weights, mode
    and hooks whatever happens (an error, an interrupt, a rectifier rule
    swapped in), and gradients are taken with respect to the input only.
    """
    network = copy.deepcopy(inspected.classifier.module_)
    network.eval()
    network.requires_grad_(False)
    return network


@dataclass(frozen=True)
class ConvLayer:
    """A convolution of the network and the rectifier that follows it.

    Attributes
    ----------
    name : str
        Qualified name of the convolution in the network (``"features.0"``).
    conv : torch.nn.Conv2d
    activation_name : str
        Qualified name of the ``ReLU`` whose output is the layer's feature
        maps.
    activation : torch.nn.ReLU
    """

    name: str
    conv: nn.Conv2d
    activation_name: str
    activation: nn.Module


def conv_layers(network):
    """The network's convolutional layers, in the order it defines them.

    A convolutional layer is an ``nn.Conv2d`` followed (possibly after a
    batch normalisation) by an ``nn.ReLU``; a convolution that feeds no
    rectifier, such as LipNet-4c's 1x1 convolution to the class maps, is
    part of the classifier head instead.
    """
    layers = []
    pending = None
    for name, module in network.named_modules():
        if isinstance(module, nn.Conv2d):
            pending = (name, module)
        elif isinstance(module, nn.ReLU) and pending is not None:
            layers.append(ConvLayer(pending[0], pending[1], name, module))
            pending = None
        elif isinstance(module, (nn.Linear, nn.MaxPool2d, nn.AvgPool2d)):
            pending = None
    return layers


def check_layer_index(layer, n_layers, parameter="layer"):
    """``layer`` as a non-negative index into ``n_layers``, or a clear error."""
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
        raise TypeError(f"{parameter} must be an int, got {layer!r}.")
    if not -n_layers <= layer < n_layers:
        raise ValueError(
            f"{parameter}={layer} is out of range: the network has {n_layers} "
            f"convolutional layer(s), numbered 0 to {n_layers - 1}."
        )
    return int(layer) % n_layers
