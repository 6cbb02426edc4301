"""The LipNet convolutional networks of the thesis, as ``torch.nn.Module`` s.

Five networks are defined in section 7 of Gryshkevych (2016). All of them use
3x3 convolutions with 32 channels, *same* padding, unit stride and ReLU
activations, group them in blocks that end with 2x2 max-pooling and dropout,
and finish with a fully connected head:

==========  =======================================================  ==========
network     convolutional part                                       input
==========  =======================================================  ==========
LipNet-1    [conv] pool drop                                         28 x 28
LipNet-2    [conv] pool drop, [conv] pool drop                       28 x 28
LipNet-4    [conv conv] pool drop, [conv conv] pool drop             28 x 28
LipNet-4c   as LipNet-4, pooling replaced by 3x3 stride-2 convs,     28 x 28
            flatten + dense head replaced by a 1x1 conv to the
            classes and global average pooling
LipNet-6    [conv conv] pool drop, three times                       32 x 32
==========  =======================================================  ==========

Where the thesis leaves a detail open we chose, and every choice is a keyword
argument so that ``LipNetClassifier(module__dense_units=256)`` changes it:

- the hidden fully connected layer has 128 units (``dense_units``), as in the
  Keras MNIST example the thesis's Keras set-up follows;
- dropout is 0.25 after each convolutional block (``conv_dropout``) and 0.5
  after the hidden dense layer (``dense_dropout``);
- no batch normalisation by default (``batch_norm=False``), as in 2016; with
  ``batch_norm=True`` every convolution is followed by ``BatchNorm2d``;
- LipNet-4c ends in global average pooling of the 1x1-convolution's class maps
  (the "all convolutional net" of Springenberg et al., the thesis's ref. [20]),
  which makes it independent of the input size.

Every network outputs unnormalised class scores (logits) of shape
``(n_samples, n_classes)``; softmax is applied by the loss and by
``predict_proba``.

The networks on feature vectors, alone and joined to a LipNet, are in
:mod:`._feature_networks`.
"""

from torch import nn

__all__ = [
    "ARCHITECTURES",
    "LipNet",
    "LipNet1",
    "LipNet2",
    "LipNet4",
    "LipNet4c",
    "LipNet6",
]


def _conv(in_channels, out_channels, *, stride=1, batch_norm=False):
    layers = [
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size=3,
            stride=stride,
            padding=1,
            bias=not batch_norm,
        )
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.ReLU(inplace=True))
    return layers


class LipNet(nn.Module):
    """A LipNet network: convolutional blocks followed by a classifier head.

    The subclasses :class:`LipNet1`, :class:`LipNet2`, :class:`LipNet4`,
    :class:`LipNet4c` and :class:`LipNet6` fix ``block_sizes``,
    ``downsampling``, ``head`` and the default ``input_size`` to the thesis's
    architectures; use them rather than this class.

    Parameters
    ----------
    n_classes : int, default=3
        Number of output classes.
    in_channels : int, default=1
        Number of image channels (1 for grayscale micrographs).
    input_size : int, default=28
        Side in pixels of the square input images. Inputs of another size are
        resized by :class:`~sklearn_lipnet.LipNetClassifier` before they reach
        the network.
    conv_channels : int, default=32
        Number of filters of every convolution.
    dense_units : int, default=128
        Width of the hidden fully connected layer (``head="dense"`` only).
    conv_dropout : float, default=0.25
        Dropout probability after each convolutional block.
    dense_dropout : float, default=0.5
        Dropout probability after the hidden fully connected layer.
    batch_norm : bool, default=False
        Insert ``BatchNorm2d`` after every convolution.
    block_sizes : tuple of int, default=(2, 2)
        Number of 3x3 convolutions in each block.
    downsampling : {"maxpool", "stride"}, default="maxpool"
        How each block halves the resolution: 2x2 max-pooling, or a 3x3
        convolution with stride 2.
    head : {"dense", "conv"}, default="dense"
        ``"dense"``: flatten, hidden dense layer, ReLU, dropout, dense to the
        classes. ``"conv"``: 1x1 convolution to the classes, then global
        average pooling.
    """

    def __init__(
        self,
        n_classes=3,
        in_channels=1,
        input_size=28,
        conv_channels=32,
        dense_units=128,
        conv_dropout=0.25,
        dense_dropout=0.5,
        batch_norm=False,
        block_sizes=(2, 2),
        downsampling="maxpool",
        head="dense",
    ):
        super().__init__()
        if downsampling not in ("maxpool", "stride"):
            raise ValueError(
                f"downsampling must be 'maxpool' or 'stride', got {downsampling!r}."
            )
        if head not in ("dense", "conv"):
            raise ValueError(f"head must be 'dense' or 'conv', got {head!r}.")
        min_size = 2 ** len(block_sizes)
        if input_size < min_size:
            raise ValueError(
                f"input_size={input_size} is too small for {len(block_sizes)} "
                f"downsampling blocks; it must be at least {min_size} pixels."
            )
        self.n_classes = n_classes
        self.in_channels = in_channels
        self.input_size = input_size

        layers = []
        channels = in_channels
        side = input_size
        for n_convs in block_sizes:
            for _ in range(n_convs):
                layers += _conv(channels, conv_channels, batch_norm=batch_norm)
                channels = conv_channels
            if downsampling == "maxpool":
                layers.append(nn.MaxPool2d(2))
                side //= 2
            else:
                layers += _conv(channels, channels, stride=2, batch_norm=batch_norm)
                side = (side + 1) // 2
            layers.append(nn.Dropout(conv_dropout))
        self.features = nn.Sequential(*layers)

        if head == "dense":
            self.head = nn.Sequential(
                nn.Flatten(),
                nn.Linear(channels * side * side, dense_units),
                nn.ReLU(inplace=True),
                nn.Dropout(dense_dropout),
                nn.Linear(dense_units, n_classes),
            )
        else:
            self.head = nn.Sequential(
                nn.Conv2d(channels, n_classes, kernel_size=1),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
            )

    def forward(self, X):
        """Class scores (logits) of a batch of images.

        Parameters
        ----------
        X : torch.Tensor of shape (n_samples, in_channels, input_size, input_size)

        Returns
        -------
        logits : torch.Tensor of shape (n_samples, n_classes)
        """
        return self.head(self.features(X))

    def embed(self, X):
        """Penultimate-layer features: what the last layer classifies.

        The hidden dense layer's activations (after ReLU) for ``head="dense"``;
        the last convolutional block's channels averaged over the image for
        ``head="conv"`` (the class maps are a 1x1 convolution of them, so
        their averages are a linear function of these features).

        Parameters
        ----------
        X : torch.Tensor of shape (n_samples, in_channels, input_size, input_size)

        Returns
        -------
        features : torch.Tensor of shape (n_samples, n_features)
            ``dense_units`` or ``conv_channels`` columns.
        """
        features = self.features(X)
        if isinstance(self.head[0], nn.Flatten):
            # Flatten, Linear, ReLU: the head up to its last dropout.
            return self.head[:3](features)
        return features.mean(dim=(2, 3))


class LipNet1(LipNet):
    """LipNet-1: one convolution, max-pooling and dropout, two dense layers.

    The simplest network of the thesis (section 7).

    Parameters
    ----------
    n_classes : int, default=3
        Number of output classes.
    in_channels : int, default=1
        Number of image channels.
    input_size : int, default=28
        Side in pixels of the square input images.
    **kwargs
        Further :class:`LipNet` parameters (``conv_channels``,
        ``dense_units``, dropout rates, ``batch_norm``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_lipnet.neural_network import LipNet1
    >>> LipNet1(n_classes=3)(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_classes=3, in_channels=1, input_size=28, **kwargs):
        super().__init__(n_classes, in_channels, input_size, block_sizes=(1,), **kwargs)


class LipNet2(LipNet):
    """LipNet-2: LipNet-1 with a second convolutional block.


    Parameters
    ----------
    n_classes : int, default=3
        Number of output classes.
    in_channels : int, default=1
        Number of image channels.
    input_size : int, default=28
        Side in pixels of the square input images.
    **kwargs
        Further :class:`LipNet` parameters (``conv_channels``,
        ``dense_units``, dropout rates, ``batch_norm``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_lipnet.neural_network import LipNet2
    >>> LipNet2(n_classes=2)(torch.zeros(4, 1, 28, 28)).shape
    torch.Size([4, 2])
    """

    def __init__(self, n_classes=3, in_channels=1, input_size=28, **kwargs):
        super().__init__(
            n_classes, in_channels, input_size, block_sizes=(1, 1), **kwargs
        )


class LipNet4(LipNet):
    """LipNet-4: two blocks of two convolutions, VGG-style; the thesis's best.

    ``[conv3x3-32, conv3x3-32, maxpool, dropout] x 2``, flatten, dense-128,
    dropout, dense to the classes.

    Parameters
    ----------
    n_classes : int, default=3
        Number of output classes.
    in_channels : int, default=1
        Number of image channels.
    input_size : int, default=28
        Side in pixels of the square input images.
    **kwargs
        Further :class:`LipNet` parameters (``conv_channels``,
        ``dense_units``, dropout rates, ``batch_norm``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_lipnet.neural_network import LipNet4
    >>> net = LipNet4(n_classes=3)
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 3])
    >>> sum(p.numel() for p in net.parameters())
    229283
    """

    def __init__(self, n_classes=3, in_channels=1, input_size=28, **kwargs):
        super().__init__(
            n_classes, in_channels, input_size, block_sizes=(2, 2), **kwargs
        )


class LipNet4c(LipNet):
    """LipNet-4c: LipNet-4 made fully convolutional.

    Max-pooling is replaced by 3x3 convolutions with stride 2 and the flatten
    and dense layers by a 1x1 convolution to the classes followed by global
    average pooling, so ``dense_units`` and ``dense_dropout`` are unused.

    Parameters
    ----------
    n_classes : int, default=3
        Number of output classes.
    in_channels : int, default=1
        Number of image channels.
    input_size : int, default=28
        Side in pixels of the square input images.
    **kwargs
        Further :class:`LipNet` parameters (``conv_channels``,
        ``dense_units``, dropout rates, ``batch_norm``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_lipnet.neural_network import LipNet4c
    >>> LipNet4c(n_classes=3)(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_classes=3, in_channels=1, input_size=28, **kwargs):
        kwargs.setdefault("downsampling", "stride")
        kwargs.setdefault("head", "conv")
        super().__init__(
            n_classes, in_channels, input_size, block_sizes=(2, 2), **kwargs
        )


class LipNet6(LipNet):
    """LipNet-6: LipNet-4 with a third block of two convolutions, 32x32 input.


    Parameters
    ----------
    n_classes : int, default=3
        Number of output classes.
    in_channels : int, default=1
        Number of image channels.
    input_size : int, default=32
        Side in pixels of the square input images.
    **kwargs
        Further :class:`LipNet` parameters (``conv_channels``,
        ``dense_units``, dropout rates, ``batch_norm``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_lipnet.neural_network import LipNet6
    >>> LipNet6(n_classes=3)(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_classes=3, in_channels=1, input_size=32, **kwargs):
        super().__init__(
            n_classes, in_channels, input_size, block_sizes=(2, 2, 2), **kwargs
        )


#: Names accepted by ``LipNetClassifier(architecture=...)``.
ARCHITECTURES = {
    "lipnet1": LipNet1,
    "lipnet2": LipNet2,
    "lipnet4": LipNet4,
    "lipnet4c": LipNet4c,
    "lipnet6": LipNet6,
}
