"""Networks on hand-made feature vectors: alone, and joined to a LipNet.

:class:`MLPHead` is the LipNet head alone, for plain feature matrices.
:class:`HybridLipNet` is the thesis code's combined model: a LipNet's
convolutional part and a dense layer on hand-made particle features, joined
before the last layer. It is a function of two tensors, ``(image, features)``.
"""

import torch
from torch import nn

from ._networks import ARCHITECTURES

__all__ = ["NETWORKS", "HybridLipNet", "MLPHead"]


class MLPHead(nn.Module):
    """A multilayer perceptron: the LipNet head alone, for plain feature vectors.

    :class:`~sklearn_lipnet.LipNetClassifier` uses it for plain feature
    matrices (see its ``input_layout`` parameter): dense layer, ReLU,
    dropout, dense to the classes, with the same defaults as the LipNet head.

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_classes : int, default=3
        Number of output classes.
    dense_units : int, default=128
        Width of the hidden layer.
    dense_dropout : float, default=0.5
        Dropout probability after the hidden layer.
    batch_norm : bool, default=False
        Insert ``BatchNorm1d`` after the hidden layer.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lipnet.neural_network import MLPHead
    >>> MLPHead(n_features=5, n_classes=2)(torch.zeros(3, 5)).shape
    torch.Size([3, 2])
    """

    def __init__(
        self,
        n_features,
        n_classes=3,
        dense_units=128,
        dense_dropout=0.5,
        batch_norm=False,
    ):
        super().__init__()
        layers = [nn.Linear(n_features, dense_units)]
        if batch_norm:
            layers.append(nn.BatchNorm1d(dense_units))
        layers += [
            nn.ReLU(inplace=True),
            nn.Dropout(dense_dropout),
            nn.Linear(dense_units, n_classes),
        ]
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        """Class scores (logits) of a batch of feature vectors.

        Parameters
        ----------
        X : torch.Tensor of shape (n_samples, n_features)

        Returns
        -------
        logits : torch.Tensor of shape (n_samples, n_classes)
        """
        return self.layers(torch.flatten(X, 1))

    def embed(self, X):
        """Hidden-layer activations (after ReLU), ``(n_samples, dense_units)``.

        Parameters
        ----------
        X : torch.Tensor of shape (n_samples, n_features)

        Returns
        -------
        features : torch.Tensor of shape (n_samples, dense_units)
        """
        n_hidden = 3 if isinstance(self.layers[1], nn.BatchNorm1d) else 2
        return self.layers[:n_hidden](torch.flatten(X, 1))


class HybridLipNet(nn.Module):
    """A LipNet that also sees a feature vector: image and features joined.

    The combined model of the thesis's code (section 4.2: hand-made features
    "can be incorporated in a CNN model"). The image goes through the
    convolutional blocks of the chosen LipNet and its hidden dense layer
    (for LipNet-4c: global average pooling of the last block), the feature
    vector through one dense layer with ReLU; the two are concatenated,
    dropped out and mapped to the classes by one linear layer. Trained end
    to end by :class:`~sklearn_lipnet.LipNetClassifier` given
    ``n_image_features`` (see :func:`~sklearn_lipnet.make_hybrid_pipeline`).

    Parameters
    ----------
    n_features : int
        Length of the feature vector.
    n_classes : int, default=3
        Number of output classes.
    architecture : {"lipnet1", "lipnet2", "lipnet4", "lipnet4c", "lipnet6"}, \
            default="lipnet4"
        The LipNet whose convolutional part and hidden layer form the image
        branch.
    in_channels : int, default=1
        Number of image channels.
    input_size : int or None, default=None
        Side of the square input images; ``None`` is the architecture's
        default (28, or 32 for LipNet-6).
    conv_channels : int, default=32
        Filters of every convolution.
    dense_units : int, default=128
        Width of the image branch's hidden dense layer (not used by
        LipNet-4c, whose image branch ends in global average pooling).
    conv_dropout : float, default=0.25
        Dropout after each convolutional block.
    dense_dropout : float, default=0.5
        Dropout on the joined image and feature activations.
    batch_norm : bool, default=False
        Batch normalisation after every convolution and after the feature
        layer.
    feature_units : int, default=32
        Width of the dense layer on the features.

    Examples
    --------
    >>> import torch
    >>> from sklearn_lipnet.neural_network import HybridLipNet
    >>> net = HybridLipNet(n_features=5, n_classes=3)
    >>> net(torch.zeros(2, 1, 28, 28), torch.zeros(2, 5)).shape
    torch.Size([2, 3])
    >>> net.embed(torch.zeros(2, 1, 28, 28), torch.zeros(2, 5)).shape
    torch.Size([2, 160])
    """

    def __init__(
        self,
        n_features,
        n_classes=3,
        architecture="lipnet4",
        in_channels=1,
        input_size=None,
        conv_channels=32,
        dense_units=128,
        conv_dropout=0.25,
        dense_dropout=0.5,
        batch_norm=False,
        feature_units=32,
    ):
        super().__init__()
        if architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {sorted(ARCHITECTURES)}, got "
                f"{architecture!r}."
            )
        image_kwargs = {
            "n_classes": n_classes,
            "in_channels": in_channels,
            "conv_channels": conv_channels,
            "dense_units": dense_units,
            "conv_dropout": conv_dropout,
            "dense_dropout": dense_dropout,
            "batch_norm": batch_norm,
        }
        if input_size is not None:
            image_kwargs["input_size"] = input_size
        image_network = ARCHITECTURES[architecture](**image_kwargs)
        self.n_classes = n_classes
        self.input_size = image_network.input_size
        # The LipNet's own layers, up to (not including) its last one: the
        # same attribute name, so code that reads a LipNet's convolutional
        # blocks (filters, activations) reads the hybrid's too.
        self.features = image_network.features
        if isinstance(image_network.head[0], nn.Flatten):
            self.image_head = image_network.head[:3]  # flatten, dense, ReLU
            n_image = dense_units
        else:
            self.image_head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
            n_image = conv_channels
        feature_layers = [nn.Linear(n_features, feature_units)]
        if batch_norm:
            feature_layers.append(nn.BatchNorm1d(feature_units))
        feature_layers.append(nn.ReLU(inplace=True))
        self.feature_branch = nn.Sequential(*feature_layers)
        self.head = nn.Sequential(
            nn.Dropout(dense_dropout), nn.Linear(n_image + feature_units, n_classes)
        )

    def embed(self, image, features):
        """The joined activations that the last layer classifies.

        Parameters
        ----------
        image : torch.Tensor of shape (n_samples, in_channels, side, side)
        features : torch.Tensor of shape (n_samples, n_features)

        Returns
        -------
        joined : torch.Tensor of shape (n_samples, n_image + feature_units)
            The image branch's ``dense_units`` (LipNet-4c: ``conv_channels``)
            activations, then the feature branch's ``feature_units``.
        """
        return torch.cat(
            [self.image_head(self.features(image)), self.feature_branch(features)],
            dim=1,
        )

    def forward(self, image, features):
        """Class logits (before the softmax) of images with their features.

        Parameters
        ----------
        image : torch.Tensor of shape (n_samples, in_channels, side, side)
        features : torch.Tensor of shape (n_samples, n_features)

        Returns
        -------
        logits : torch.Tensor of shape (n_samples, n_classes)
        """
        return self.head(self.embed(image, features))


#: Every network a classifier can hold, by the name model files store.
NETWORKS = {**ARCHITECTURES, "mlp": MLPHead, "hybrid": HybridLipNet}
