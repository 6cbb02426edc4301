"""The LipNet convolutional networks as a scikit-learn classifier.

:class:`LipNetClassifier` trains one of the thesis's five networks
(:class:`LipNet1`, :class:`LipNet2`, :class:`LipNet4`, :class:`LipNet4c`,
:class:`LipNet6`) the way the thesis does: per-epoch class balancing,
augmentation of the training batches (:class:`Augmentation`), label
smoothing, early stopping on a validation split. Underneath is a skorch
``NeuralNetClassifier`` that trains from tensors resident on the device.
"""

from ._augmentation import Augmentation
from ._batching import BALANCE_STRATEGIES
from ._classifier import LipNetClassifier, resolve_device
from ._networks import (
    ARCHITECTURES,
    NETWORKS,
    LipNet,
    LipNet1,
    LipNet2,
    LipNet4,
    LipNet4c,
    LipNet6,
    MLPHead,
)

__all__ = [
    "ARCHITECTURES",
    "BALANCE_STRATEGIES",
    "NETWORKS",
    "Augmentation",
    "LipNet",
    "LipNet1",
    "LipNet2",
    "LipNet4",
    "LipNet4c",
    "LipNet6",
    "LipNetClassifier",
    "MLPHead",
    "resolve_device",
]
