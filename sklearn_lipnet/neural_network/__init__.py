"""The LipNet convolutional networks as a scikit-learn classifier.

:class:`LipNetClassifier` trains one of the thesis's five networks
(:class:`LipNet1`, :class:`LipNet2`, :class:`LipNet4`, :class:`LipNet4c`,
:class:`LipNet6`) the way the thesis does: per-epoch class balancing,
augmentation of the training batches (:class:`Augmentation`), label
smoothing, early stopping on a validation split. Underneath is a skorch
``NeuralNetClassifier`` that trains from tensors resident on the device.

Given ``n_image_features``, the classifier reads each row as an image
followed by a feature vector and trains :class:`HybridLipNet` on both;
:class:`LipNetEmbedding` turns a trained network's penultimate layer into
features for another model (the SVM).
"""

from ._augmentation import Augmentation
from ._batching import BALANCE_STRATEGIES
from ._classifier import LipNetClassifier, resolve_device
from ._embedding import LipNetEmbedding
from ._feature_networks import NETWORKS, HybridLipNet, MLPHead
from ._networks import (
    ARCHITECTURES,
    LipNet,
    LipNet1,
    LipNet2,
    LipNet4,
    LipNet4c,
    LipNet6,
)
from ._training_length import MinimumUpdates
from ._weight_averaging import WeightAveraging

__all__ = [
    "ARCHITECTURES",
    "BALANCE_STRATEGIES",
    "NETWORKS",
    "Augmentation",
    "HybridLipNet",
    "LipNet",
    "LipNet1",
    "LipNet2",
    "LipNet4",
    "LipNet4c",
    "LipNet6",
    "LipNetClassifier",
    "LipNetEmbedding",
    "MLPHead",
    "MinimumUpdates",
    "WeightAveraging",
    "resolve_device",
]
